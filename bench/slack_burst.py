"""Ack latency and throughput for a burst of message events through the Slack emulator.

    python bench/slack_burst.py [--events 2000] [--concurrency 50]

Starts an embedded PostgreSQL (temporary data directory), the Slack emulator and a real
Steward process (this event loop), sends N channel message events over Socket Mode, and
reports ack latency (envelope sent -> ack received, as Slack would see it) p50/p99 and
processed events per second (first envelope sent -> last inbox row done).
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(var, None)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(events: int, concurrency: int) -> None:
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
    people = [f"U{i:05d}" for i in range(20)]
    for p in people:
        emu.add_user(p, p.lower())
    emu.add_channel("CBENCH", "general", members=[*people, emu.bot_user_id])
    await emu.start()
    settings = Settings.from_env({"SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token,
                                  "SLACK_API_URL": emu.api_url, "STEWARD_DATA_DIR": str(data)})
    pool = await open_pool(dsn, min_size=4, max_size=12)
    bot = Steward(settings, pool, dsn, health_port=0)
    await bot.start()
    await emu.wait_for_connections(1)
    # Warm up (auth.test, users cached in the database).
    for p in people:
        await emu.user_message(p, "CBENCH", "warm up")
    await asyncio.sleep(1.0)

    gate = asyncio.Semaphore(concurrency)
    start = time.perf_counter()
    first_env = len(emu.envelopes)

    async def send(i: int) -> None:
        async with gate:
            await emu.user_message(people[i % len(people)], "CBENCH", f"status update number {i}: shipping the thing")

    await asyncio.gather(*(send(i) for i in range(events)))
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        while True:
            row = await (await conn.execute("SELECT count(*) FROM event_inbox WHERE status IN ('pending', 'processing')")).fetchone()
            if row and row[0] == 0:
                break
            await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - start
    envs = [e for e in emu.envelopes[first_env:] if e.type == "events_api" and e.retry_attempt == 0]
    lat = [(e.acked_at - e.sent_at) * 1000 for e in envs if e.acked_at is not None]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}")
    print(f"events sent: {len(envs)}, acked: {len(lat)}, redelivered by the emulator: "
          f"{sum(1 for e in emu.envelopes[first_env:] if e.retry_attempt > 0)}")
    print(f"ack latency ms: p50 {statistics.median(lat):.1f}, p99 {pct(lat, 0.99):.1f}, max {max(lat):.1f}")
    print(f"processed: {events / elapsed:.0f} events/s ({elapsed:.2f} s for {events}, concurrency {concurrency})")
    await bot.stop()
    await pool.close()
    await emu.stop()
    pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
