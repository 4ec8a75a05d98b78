"""Offline-parser throughput and DM -> draft preview latency through the Slack emulator.

    python bench/drafts.py [--parses 5000] [--dms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(var, None)

PHRASES = [
    "I'll redo the Acme landing page by Friday and fix the login bug",
    "- review PR 42 tomorrow\n- write the release notes EOD\n- call the client next Tue 3pm",
    "send the invoice in 2 days",
    "migrate the blog to the new CMS next week, no rush",
    "deploy the hotfix asap",
    "terminar el informe mañana",
    "update the pricing page by 3/12",
    "research competitor onboarding flows by end of week",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_parser(n: int) -> None:
    from bot.parsing import parse_tasks, warm_up

    warm_up()
    now = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    times = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        parse_tasks(PHRASES[i % len(PHRASES)], now=now, tz="America/New_York", clients=("Acme Corp",))
        times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - start
    print(f"offline parser: {n / total:,.0f} messages/s; per message median {statistics.median(times):.3f} ms, p95 {pct(times, 0.95):.3f} ms")


async def bench_dm(n: int) -> None:
    import psycopg

    from bot.app import Steward
    from bot.emulators.slack import SlackEmulator
    from bot.log import configure_logging
    from bot.settings import Settings
    from db import migrate
    from db.embedded import start_embedded
    from db.pool import open_pool

    configure_logging("WARNING")
    data = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    pg = start_embedded(data, database="bench")
    dsn = pg.dsn("bench")
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await migrate.migrate(conn)
    emu = SlackEmulator(team_id="TBENCH", team_name="Bench", ack_timeout=10)
    emu.add_user("U00001", "sam", tz="Europe/London")
    await emu.start()
    settings = Settings.from_env({"SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token,
                                  "SLACK_API_URL": emu.api_url, "STEWARD_DATA_DIR": str(data)})
    pool = await open_pool(dsn, min_size=2, max_size=8)
    bot = Steward(settings, pool, dsn, health_port=0)
    await bot.start()
    await emu.wait_for_connections(1)
    channel = await emu.dm_channel("U00001")
    latencies = []
    for i in range(n):
        mark = len(emu.calls)
        t0 = time.perf_counter()
        await emu.user_message("U00001", channel, PHRASES[i % len(PHRASES)])
        await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channel, since=mark, timeout=30)
        latencies.append((time.perf_counter() - t0) * 1000)
    warm = latencies[5:]
    print(f"DM -> draft preview (offline parser, {len(warm)} DMs after 5 warm-up): p50 {statistics.median(warm):.1f} ms, p95 {pct(warm, 0.95):.1f} ms")
    await bot.stop()
    await pool.close()
    await emu.stop()
    pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parses", type=int, default=5000)
    parser.add_argument("--dms", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    bench_parser(args.parses)
    asyncio.run(bench_dm(args.dms))
