"""structlog set-up: JSON or console output, with context bound per event (organization, user, event id)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

import structlog

_SECRET_KEYS = ("token", "password", "api_key", "secret", "authorization")


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Belt and braces: Secret objects already print as stars, but a raw string under a
    # telling key should never reach a log line either.
    for key in list(event):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = "**********"
    return event


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: structlog.types.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library; keep their noise at WARNING unless debugging.
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name) if name else structlog.get_logger()


bind_context = structlog.contextvars.bind_contextvars
clear_context = structlog.contextvars.clear_contextvars
bound_context = structlog.contextvars.bound_contextvars


T = TypeVar("T")


async def run_isolated(fn: Callable[..., Awaitable[T]], *args: Any, **bound: Any) -> T:
    """Await ``fn(*args)`` in a fresh, empty context with only ``bound`` bound to the log.

    A unit of work (a scheduled job, a worker loop) must not carry the bound context of whatever
    happened to schedule it: APScheduler's timers and ``asyncio.create_task`` copy the caller's
    context, so a reminder scheduled from someone's DM would otherwise log that DM's ``event_key``
    and ``slack_user``. Nothing bound inside leaks back to the caller either. Cancelling the caller
    cancels the work.
    """
    context = contextvars.Context()
    context.run(bind_context, **bound)

    async def call() -> T:
        return await fn(*args)

    return await asyncio.create_task(call(), context=context)


# Summary keys that describe why nothing happened (or where things stand), not something done.
_IDLE_KEYS = frozenset({"skipped", "next", "date", "extraction", "reason", "waiting_until"})


def is_idle(summary: Any) -> bool:
    """Whether a job summary says nothing happened, so its tick logs at DEBUG instead of INFO.

    Idle: None, empty, zeros, False, and explanations (``skipped``, ``next``…); per-organization
    summaries (``{org_id: {...}}``) are idle when every one is. Anything else (a positive count,
    ``posted``, an ``error``) is activity.
    """
    if summary is None or summary is False or summary == "":
        return True
    if isinstance(summary, bool):
        return not summary
    if isinstance(summary, int | float):
        return summary <= 0
    if isinstance(summary, dict):
        return all(key in _IDLE_KEYS or is_idle(value) for key, value in summary.items())
    if isinstance(summary, list | tuple):
        return all(is_idle(value) for value in summary)
    return False
