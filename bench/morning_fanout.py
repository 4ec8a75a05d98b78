"""The morning fan-out to a big team under Slack's rate limit: one standup thread, then a nudge DM
to every participant who has not replied, each delivered exactly once.

    python bench/morning_fanout.py [--people 500] [--rate-limit 300]

A real Steward (embedded PostgreSQL, the Slack emulator with a per-method limit of N calls per
sliding minute for chat.postMessage, like Slack's per-workspace tiers) runs the named jobs
through its scheduler, as production does: `morning-thread` at 09:00, then `nudges` at 10:00
(nobody replied), and `nudges` again a minute later (it must add nothing). It reports how long
queueing and delivery took against the floor the rate limit imposes, how many 429s were
answered, and checks that every person got exactly one nudge.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from harness import machine, running_steward

CHANNEL = "CSTANDUP"


def people(n: int) -> list[str]:
    return [f"U{i:06d}" for i in range(n)]


def rate_floor(calls: int, per_minute: int) -> float:
    """The least time `calls` requests can take under a sliding one-minute window of `per_minute`."""
    return 60.0 * ((calls - 1) // per_minute) if calls > 0 else 0.0


async def main(n: int, per_minute: int) -> None:
    import psycopg

    def seed(emu) -> None:  # type: ignore[no-untyped-def]
        for p in people(n):
            emu.add_user(p, p.lower(), f"Person {p[1:]}", tz="UTC")
        emu.add_channel(CHANNEL, "standup", members=[*people(n), emu.bot_user_id])

    async with running_steward(seed, emulator_kwargs={"rate_limit_per_minute": per_minute}) as b:
        emu, bot = b.emulator, b.bot
        async with await psycopg.AsyncConnection.connect(b.dsn, autocommit=True) as conn:
            await conn.execute("UPDATE org_settings SET standup_channel_id = %s, timezone = 'UTC', morning_time = '09:00', "
                               "nudge_delay_minutes = 60, manager_summary_delay_minutes = 120, end_of_day_time = '17:30'",
                               (CHANNEL,))
            # The sandbox's way of moving time: shift the bot's clock to a Monday 09:00 UTC (it keeps running).
            bot.clock.offset = datetime(2026, 3, 9, 9, 0, 5, tzinfo=UTC) - datetime.now(UTC)
            mark = len(emu.calls)
            t0 = time.perf_counter()
            await bot.scheduler.run_claimed("morning-thread", bot.clock.now())
            thread_queued = time.perf_counter() - t0
            await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == CHANNEL and c.status == 200,
                                    since=mark, timeout=60)
            thread_posted = time.perf_counter() - t0

            bot.clock.offset += timedelta(hours=1)  # 10:00: nobody replied
            t1 = time.perf_counter()
            summary = await bot.scheduler.run_claimed("nudges", bot.clock.now())
            nudges_queued = time.perf_counter() - t1
            bot.clock.offset += timedelta(minutes=1)
            again = await bot.scheduler.run_claimed("nudges", bot.clock.now())  # a second tick adds nothing
            while True:
                row = await (await conn.execute(
                    "SELECT count(*) FILTER (WHERE d.status = 'sent'), count(*) FILTER (WHERE d.status = 'failed') "
                    "FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id "
                    "WHERE n.kind = 'standup.nudge'")).fetchone()
                assert row is not None
                if row[0] + row[1] >= n:
                    break
                await asyncio.sleep(0.05)
            delivered = time.perf_counter() - t1
            sent, failed = row
            queued = await (await conn.execute("SELECT count(*) FROM notifications WHERE kind = 'standup.nudge'")).fetchone()

        posts = [c for c in emu.calls[mark:] if c.method == "chat.postMessage"]
        landed = [c for c in posts if c.status == 200 and c.ok]
        limited = [c for c in posts if c.status == 429]
        dm_counts = [len(emu.messages(await emu.dm_channel(p))) for p in people(n)]
        span = (landed[-1].at - landed[0].at) if landed else 0.0
        floor = rate_floor(len(landed), per_minute)
        print(machine())
        print(f"people: {n}; chat.postMessage limit: {per_minute}/min (sliding window); offline AI")
        print(f"morning-thread: queued in {thread_queued * 1000:.0f} ms, posted after {thread_posted:.2f} s "
              f"({n} participants listed)")
        print(f"nudges job: {summary and next(iter(summary.values()))} queued in {nudges_queued:.2f} s; "
              f"second tick: {again and next(iter(again.values()))}")
        print(f"nudges delivered: {sent} sent, {failed} failed, {queued and queued[0]} notifications; "
              f"all {n} delivered {delivered:.1f} s after the nudge tick")
        print(f"exactly once: {sum(1 for c in dm_counts if c == 1)} people with 1 DM, "
              f"{sum(1 for c in dm_counts if c != 1)} with another count")
        print(f"chat.postMessage: {len(landed)} landed, {len(limited)} answered 429 (retried after Retry-After)")
        print(f"first to last post: {span:.1f} s; rate-limit floor for {len(landed)} posts: {floor:.0f} s; "
              f"overhead over the floor: {span - floor:+.1f} s")
        assert all(c == 1 for c in dm_counts) and sent == n and failed == 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--rate-limit", type=int, default=300, help="chat.postMessage calls per sliding minute")
    args = parser.parse_args()
    asyncio.run(main(args.people, args.rate_limit))
