"""Ack latency and throughput for a burst of message events through the Slack emulator.

    python bench/slack_burst.py [--events 2000] [--concurrency 50] [--rate 200]

Sends N channel message events over Socket Mode to a real Steward on an embedded PostgreSQL
and reports ack latency (envelope sent -> ack received, as Slack would see it) p50/p99 and
processed events per second (first envelope sent -> last inbox row done).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from harness import machine, median, pct, running_steward

PEOPLE = [f"U{i:05d}" for i in range(20)]


def seed(emu) -> None:  # type: ignore[no-untyped-def]
    for p in PEOPLE:
        emu.add_user(p, p.lower())
    emu.add_channel("CBENCH", "general", members=[*PEOPLE, emu.bot_user_id])


async def main(events: int, concurrency: int, rate: float | None) -> None:
    import psycopg

    async with running_steward(seed) as b:
        emu = b.emulator
        for p in PEOPLE:  # warm up: users resolved, connections pooled
            await emu.user_message(p, "CBENCH", "warm up")
        await asyncio.sleep(1.0)
        gate = asyncio.Semaphore(concurrency)
        first_env = len(emu.envelopes)
        start = time.perf_counter()

        async def send(i: int) -> None:
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            async with gate:
                await emu.user_message(PEOPLE[i % len(PEOPLE)], "CBENCH", f"status update number {i}: shipping the thing")

        await asyncio.gather(*(send(i) for i in range(events)))
        # Every envelope acked (so stored), then every inbox row processed.
        while True:
            if sum(1 for e in emu.envelopes[first_env:] if e.acked) >= events or time.perf_counter() - start > 120:
                break
            await asyncio.sleep(0.02)
        async with await psycopg.AsyncConnection.connect(b.dsn, autocommit=True) as conn:
            while True:
                row = await (await conn.execute("SELECT count(*) FROM event_inbox WHERE status IN ('pending', 'processing')")).fetchone()
                if row and row[0] == 0:
                    break
                await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        envs = [e for e in emu.envelopes[first_env:] if e.type == "events_api" and e.retry_attempt == 0]
        lat = [(e.acked_at - e.sent_at) * 1000 for e in envs if e.acked_at is not None]
        print(machine())
        print(f"events sent: {len(envs)}, acked: {len(lat)}, redelivered by the emulator: "
              f"{sum(1 for e in emu.envelopes[first_env:] if e.retry_attempt > 0)}")
        print(f"ack latency ms: p50 {median(lat):.1f}, p99 {pct(lat, 0.99):.1f}, max {max(lat):.1f}")
        paced = f", paced at {rate:.0f}/s" if rate else ", all at once"
        print(f"processed: {events / elapsed:.0f} events/s ({elapsed:.2f} s for {events}, concurrency {concurrency}{paced})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=None, help="send at this many events per second (default: a burst)")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency, args.rate))
