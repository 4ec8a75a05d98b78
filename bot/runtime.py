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
    """Deps for running a job once from the command line (no socket connection)."""
    async with database(settings) as db:
        assert db.pool is not None
        deps = Deps(settings=settings, pool=db.pool, clock=clock or Clock())
        yield deps
