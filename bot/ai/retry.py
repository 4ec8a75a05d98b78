"""Retrying calls to the AI service: tenacity, exponential backoff with jitter, a total deadline.

The openai client is built with ``max_retries=0``; this module owns retries so that all attempts
*and* the waits between them fit inside one deadline (default: 3 attempts, 20 s). Retried: HTTP
429, 408, 409 and 5xx, timeouts and connection errors. A 429's ``Retry-After`` (or
``retry-after-ms``) is honoured when it fits in the deadline; when it does not, we give up at once
rather than sleep past the deadline. Anything else (400, 401, 403, 404...) fails at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    deadline: float = 20.0  # seconds for all attempts and waits together
    request_timeout: float = 15.0  # per attempt, and never more than what is left of the deadline
    backoff_initial: float = 0.5  # first wait; doubles each time, plus up to 100 % jitter
    backoff_max: float = 4.0
    min_attempt_time: float = 0.5  # no new attempt with less time than this left


class AttemptTimeout(Exception):
    """An attempt outlived its share of the deadline (our own guard around the client's timeout)."""


class GiveUp(Exception):
    """No usable answer from the AI service. ``reason`` is for people; ``transient`` says whether
    the failure was the service's (outage, rate limit) rather than a permanent refusal."""

    def __init__(self, reason: str, *, attempts: int, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.transient = transient


def is_transient(exc: BaseException | None) -> bool:
    if isinstance(exc, AttemptTimeout | TimeoutError | openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``retry-after`` seconds or HTTP
    date), or None."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, parsed.timestamp() - time.time())
    return None


def describe(exc: BaseException) -> str:
    if isinstance(exc, openai.RateLimitError):
        return "HTTP 429, rate limited"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError | AttemptTimeout | TimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect"
    return type(exc).__name__


def _permanent_reason(exc: BaseException) -> str:
    if isinstance(exc, openai.AuthenticationError):
        return "the AI service rejected the API key (HTTP 401)"
    if isinstance(exc, openai.PermissionDeniedError):
        return "the AI service refused access (HTTP 403)"
    if isinstance(exc, openai.NotFoundError):
        return "the AI service does not know this model or endpoint (HTTP 404)"
    if isinstance(exc, openai.APIStatusError):
        message = exc.message.split(" - ", 1)[-1] if exc.message else ""
        detail = f": {message[:160]}" if message and not message.startswith("Error code") else ""
        return f"the AI service rejected the request (HTTP {exc.status_code}{detail})"
    if isinstance(exc, openai.OpenAIError):
        return f"the AI client failed ({type(exc).__name__})"
    return f"the AI call failed unexpectedly ({type(exc).__name__})"


async def call_with_retries(
    fn: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T, int]:
    """Run ``fn(timeout)`` until it succeeds, per ``policy``; return (result, attempts made).

    ``fn`` gets the seconds this attempt may take. Raises :class:`GiveUp` when out of attempts,
    out of time, or on a permanent error.
    """
    start = clock()
    attempts = 0

    def remaining() -> float:
        return policy.deadline - (clock() - start)

    def wait(state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return asked
        base = policy.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(policy.backoff_max, base + random.uniform(0, base))

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.attempts:
            return True
        return remaining() - state.upcoming_sleep < policy.min_attempt_time

    retrying = AsyncRetrying(stop=stop, wait=wait, retry=retry_if_exception(is_transient), reraise=True, sleep=sleep)
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                budget = min(policy.request_timeout, max(remaining(), 0.05))
                try:
                    async with asyncio.timeout(budget + 1.0):
                        result = await fn(budget)
                except TimeoutError as exc:
                    raise AttemptTimeout() from exc
    except Exception as exc:
        if not is_transient(exc):
            raise GiveUp(_permanent_reason(exc), attempts=attempts, transient=False) from exc
        asked = retry_after(exc)
        if attempts >= policy.attempts:
            reason = f"the AI service failed {attempts} times (last: {describe(exc)})"
        elif asked is not None and asked > remaining() - policy.min_attempt_time:
            reason = f"the AI service is rate-limiting us (asked to wait {asked:.0f} s, more than the {policy.deadline:g} s allowed)"
        else:
            plural = "s" if attempts != 1 else ""
            reason = f"the AI service did not answer within {policy.deadline:g} s ({attempts} attempt{plural}; last: {describe(exc)})"
        raise GiveUp(reason, attempts=attempts, transient=True) from exc
    return result, attempts
