"""Offline-parser throughput and DM -> draft preview latency through the Slack emulator.

    python bench/drafts.py [--parses 5000] [--dms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from harness import machine, median, pct, running_steward

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
    print(f"offline parser: {n / total:,.0f} messages/s; per message median {median(times):.3f} ms, p95 {pct(times, 0.95):.3f} ms")


# Twenty people, so no one trips the per-person rate limit on parsing (20 a minute).
PEOPLE = [f"U{i:05d}" for i in range(20)]


def seed(emu) -> None:  # type: ignore[no-untyped-def]
    for p in PEOPLE:
        emu.add_user(p, p.lower(), tz="Europe/London")


async def bench_dm(n: int) -> None:
    async with running_steward(seed) as b:
        emu = b.emulator
        latencies, previews = [], 0
        for i in range(n):
            person = PEOPLE[i % len(PEOPLE)]
            channel = await emu.dm_channel(person)
            mark = len(emu.calls)
            t0 = time.perf_counter()
            await emu.user_message(person, channel, PHRASES[i % len(PHRASES)])
            call = await emu.wait_for_call("chat.postMessage", lambda c, ch=channel: c.args.get("channel") == ch, since=mark, timeout=30)
            latencies.append((time.perf_counter() - t0) * 1000)
            previews += "draft_confirm" in str(call.args.get("blocks"))
    warm = latencies[len(PEOPLE):]
    print(f"DM -> draft preview (offline parser, {len(warm)} DMs after a warm-up of {len(PEOPLE)}; {previews}/{n} replies were previews): "
          f"p50 {median(warm):.1f} ms, p95 {pct(warm, 0.95):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parses", type=int, default=5000)
    parser.add_argument("--dms", type=int, default=200)
    args = parser.parse_args()
    print(machine())
    bench_parser(args.parses)
    asyncio.run(bench_dm(args.dms))
