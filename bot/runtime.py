"""Building the runtime pieces shared by the bot and the CLI's one-off commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.clock import Clock
from bot.deps import Deps
from bot.settings import Settings
from db.database import Database, locate, prepare


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = locate(settings)
    try:
        await prepare(db, settings)
        await db.open_pool()
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def job_runtime(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Deps]:
    """Deps for running a job once from the command line: the database, the AI interface, and the
    Slack Web API when tokens are set (no socket connection), with a notification dispatcher on it
    (``extras["dispatcher"]``) for jobs/runs.py to send what the run decided."""
    from bot.ai import AI
    from bot.services.notifications import Dispatcher
    from bot.slack_app import build_client

    async with database(settings) as db:
        assert db.pool is not None
        clock = clock or Clock()
        slack = build_client(settings.slack_bot_token.reveal(), settings.slack_api_url) if settings.slack_bot_token else None
        deps = Deps(settings=settings, pool=db.pool, clock=clock, slack=slack, ai=AI.from_settings(settings))
        if settings.slack_bot_token is not None:
            dispatching = build_client(settings.slack_bot_token.reveal(), settings.slack_api_url, resend_after_disconnect=False)
            deps.extras["dispatcher"] = Dispatcher(db.pool, dispatching, clock)
        try:
            yield deps
        finally:
            await deps.ai.aclose()
