"""What every benchmark starts with: a fresh embedded PostgreSQL (temporary data directory),
the Slack emulator seeded by the caller, and a real Steward connected to it."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)


def machine() -> str:
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Bench:
    emulator: Any
    bot: Any
    dsn: str


@asynccontextmanager
async def fresh_database() -> AsyncIterator[tuple[Path, str]]:
    """A fresh embedded PostgreSQL in a temporary data directory, every migration applied: (directory, dsn)."""
    import psycopg

    from db import migrate
    from db.embedded import start_embedded

    data = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    pg = start_embedded(data, database="bench")
    dsn = pg.dsn("bench")
    try:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await migrate.migrate(conn)
        yield data, dsn
    finally:
        pg.stop()


@asynccontextmanager
async def running_steward(seed: Callable[[Any], None], *, emulator_kwargs: dict[str, Any] | None = None,
                          pool_size: int = 12, env: dict[str, str] | None = None) -> AsyncIterator[Bench]:
    from bot.app import Steward
    from bot.emulators.slack import SlackEmulator
    from bot.log import configure_logging
    from bot.settings import Settings
    from db.pool import open_pool

    configure_logging("WARNING")
    async with fresh_database() as (data, dsn):
        emu = SlackEmulator(team_id="TBENCH", team_name="Bench", **{"ack_timeout": 10, **(emulator_kwargs or {})})
        seed(emu)
        await emu.start()
        settings = Settings.from_env({"SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token,
                                      "SLACK_API_URL": emu.api_url, "STEWARD_DATA_DIR": str(data), **(env or {})})
        pool = await open_pool(dsn, min_size=2, max_size=pool_size)
        bot = Steward(settings, pool, dsn, health_port=0)
        await bot.start()
        await emu.wait_for_connections(1)
        try:
            yield Bench(emu, bot, dsn)
        finally:
            await bot.stop()
            await pool.close()
            await emu.stop()
