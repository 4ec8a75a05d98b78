"""The composition root for the running bot: settings → logging → database → app → scheduler."""

from __future__ import annotations

import asyncio

from bot.log import get_logger
from bot.runtime import database
from bot.settings import Settings

log = get_logger(__name__)


async def run_bot(settings: Settings, *, sandbox: bool = False, sandbox_port: int | None = None) -> int:
    async with database(settings):
        log.info("database_ready")
        print("Steward: database ready. The Slack side is not wired yet; press Ctrl-C to stop.", flush=True)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
    return 0
