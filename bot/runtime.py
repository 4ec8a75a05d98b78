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
    Slack Web API when tokens are set (no socket connection): the environment token's workspace and, with
    STEWARD_TOKEN_KEY, every stored token it decrypts (bot/tenants.py), so a run works only on organizations
    whose token it holds, each with its own. A notification dispatcher on them (``extras["dispatcher"]``)
    sends what the run decided (jobs/runs.py)."""
    from bot.ai import AI
    from bot.services.notifications import Dispatcher
    from bot.slack_app import build_client
    from bot.tenants import Tenants
    from bot.tokens import TokenBox

    async with database(settings) as db:
        assert db.pool is not None
        clock = clock or Clock()
        slack = build_client(settings.slack_bot_token.reveal(), settings.slack_api_url) if settings.slack_bot_token else None
        box = TokenBox(settings.token_key.reveal()) if settings.token_key else None
        tenants = Tenants(db.pool, environment=slack, box=box, api_url=settings.slack_api_url) if slack or box else None
        if tenants is not None:
            await tenants.refresh(clock.now())
        deps = Deps(settings=settings, pool=db.pool, clock=clock, slack=slack, ai=AI.from_settings(settings),
                    tenants=tenants)
        if tenants is not None:
            deps.extras["dispatcher"] = Dispatcher(db.pool, tenants, clock)
        try:
            yield deps
        finally:
            await deps.ai.aclose()
            if tenants is not None:
                await tenants.aclose()
