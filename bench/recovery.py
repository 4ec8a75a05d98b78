"""Recovery (issue 11): a real `steward run` process, the Slack emulator and an embedded PostgreSQL of its own.

    python bench/recovery.py [--section all|drain|database|model] [--dms 1500] [--outage 45] [--helps 50]

Sections (each a function; run alone with --section):

* drain: a burst of DMs (each becomes a draft and its preview), `kill -9` when a third is done, `steward run`
  again: time from the restart until every row is done, and the rate of the drain against the rate before
  the kill (the rows the dead process held are claimed again once their lease ends: bot/inbox.py).
* database: PostgreSQL stopped for ``--outage`` seconds, then started: time from its return to the first
  event processed (a DM sent the moment it is back, and one sent during the outage that Slack retried).
* model: the p50/p95 of replies that need no model (`help` DMs), normally and while every model call hangs
  (the OpenAI fake holds them; 30 DMs wait for the model meanwhile).

Nothing is asserted: the numbers are printed (README, "Reliability").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import machine, median, pct
from recovery_deliveries import main as deliveries_main

PEOPLE = [f"U0R{i:04d}" for i in range(100)]  # 15 DMs each stay under the 20-a-minute parse limit


@dataclass
class Rig:
    emulator: Any
    process: Any
    pg: Any
    dsn: str


def seed(emu: Any) -> None:
    for person in PEOPLE:
        emu.add_user(person, person.lower(), f"Person {person}")


@asynccontextmanager
async def rig(**env: str) -> AsyncIterator[Rig]:
    """A fresh embedded PostgreSQL, the emulator seeded with PEOPLE, and `steward run` connected to both."""
    from bot.emulators.slack import SlackEmulator
    from db.embedded import start_embedded
    from tests.chaos.harness import StewardProcess, process_env

    data = Path(tempfile.mkdtemp(prefix="steward-bench-recovery-"))
    pg = start_embedded(data / "db", database="bench")
    dsn = pg.dsn("bench")
    emu = SlackEmulator(team_id="TBENCH", team_name="Bench", ack_timeout=3.0)
    seed(emu)
    await emu.start()
    proc = StewardProcess(process_env(emu, dsn, data, LOG_LEVEL="WARNING", **env))
    await proc.start(emu, timeout=120)
    try:
        yield Rig(emu, proc, pg, dsn)
    finally:
        await proc.aclose()
        await emu.stop()
        await asyncio.to_thread(pg.resume)
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


async def count(dsn: str, sql: str) -> int:
    from tests.chaos.harness import value

    return int(await value(dsn, sql) or 0)


async def until(check: Callable[[], Any], *, every: float = 0.05, limit: float = 600) -> float:
    """Wait until ``check()`` (sync or async) is truthy; the monotonic time it became so."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError("the condition was not met in time")
        await asyncio.sleep(every)


async def send_dms(emu: Any, texts: list[str]) -> None:
    channels = {p: await emu.dm_channel(p) for p in PEOPLE}
    for i, text in enumerate(texts):
        person = PEOPLE[i % len(PEOPLE)]
        await emu.user_message(person, channels[person], text)


# ============================================================================ sections


async def drain_after_kill(dms: int) -> None:
    """Time to drain after a kill -9 mid-burst, against the rate before it."""
    from tests.chaos.harness import query, value

    texts = "kind = 'events_api' AND payload->'event'->>'text' ~ '^I''ll send report '"
    async with rig() as r:
        started = time.monotonic()
        await send_dms(r.emulator, [f"I'll send report {i} to the client by Friday" for i in range(dms)])
        await until(lambda: _at_least(r.dsn, f"SELECT count(*) FROM event_inbox WHERE status = 'done' AND {texts}", dms // 3))
        await r.process.kill()
        killed_at = time.monotonic()
        before = await count(r.dsn, f"SELECT count(*) FROM event_inbox WHERE status = 'done' AND {texts}")
        rate_before = before / (killed_at - started)
        in_flight = await count(r.dsn, f"SELECT count(*) FROM event_inbox WHERE status = 'processing' AND {texts}")
        await r.process.start(r.emulator, timeout=120)
        restarted = time.monotonic()
        restarted_db = await value(r.dsn, "SELECT clock_timestamp()")
        await until(lambda: _at_least(r.dsn, f"SELECT count(*) FROM event_inbox WHERE status = 'done' AND {texts}", dms))
        (fresh, fresh_last, again, again_last), = await query(r.dsn, f"""
            SELECT count(*) FILTER (WHERE attempts = 1),
                   extract(epoch FROM max(processed_at) FILTER (WHERE attempts = 1) - %(t)s),
                   count(*) FILTER (WHERE attempts > 1),
                   extract(epoch FROM max(processed_at) FILTER (WHERE attempts > 1) - %(t)s)
            FROM event_inbox WHERE {texts} AND processed_at > %(t)s""", {"t": restarted_db})
        previews = await count(r.dsn, "SELECT count(*) FROM task_drafts WHERE preview_ts IS NOT NULL")
        drafts = await count(r.dsn, "SELECT count(*) FROM task_drafts")
        print(f"\n## time to drain after a kill -9 ({dms} DMs, each a draft and its preview)")
        print(f"before the kill: {before} done at {rate_before:.0f} DMs/s; {in_flight} rows in flight when killed")
        print(f"restart (kill -9 -> connected again): {restarted - killed_at:.1f} s")
        print(f"the {fresh} never started: all done {float(fresh_last or 0):.1f} s after the restart "
              f"({fresh / max(float(fresh_last or 0), 1e-9):.0f} DMs/s)")
        print(f"the {again} the dead process held: all done {float(again_last or 0):.1f} s after the restart")
        print(f"drafts: {drafts}, previews posted: {previews} (expected {dms} each)")


async def _at_least(dsn: str, sql: str, n: int) -> bool:
    return await count(dsn, sql) >= n


async def database_outage(outage: float) -> None:
    """Time to the first processed event after PostgreSQL returns from an outage."""
    async with rig() as r:
        emu = r.emulator
        first, during = PEOPLE[0], PEOPLE[1]
        channels = {p: await emu.dm_channel(p) for p in (first, during)}
        await emu.user_message(first, channels[first], "help")  # warm
        await until(lambda: _replied(emu, channels[first], 1))
        await asyncio.to_thread(r.pg.halt)
        down = time.monotonic()
        await asyncio.sleep(max(0.0, outage - 2))
        await emu.user_message(during, channels[during], "help")  # Slack retries it until it is stored
        await asyncio.sleep(max(0.0, outage - (time.monotonic() - down)))
        await asyncio.to_thread(r.pg.resume)
        back = time.monotonic()
        await emu.user_message(first, channels[first], "help")
        fresh = await until(lambda: _replied(emu, channels[first], 2), limit=120)
        retried = await until(lambda: _replied(emu, channels[during], 1), limit=120)
        print(f"\n## time to first processed event after PostgreSQL returns ({outage:.0f} s outage)")
        print(f"a DM sent as it came back: answered {fresh - back:.2f} s after")
        print(f"a DM sent during the outage (retried by Slack): answered {retried - back:.2f} s after")


def _replied(emu: Any, channel: str, n: int) -> bool:
    return sum(1 for c in emu.calls_to("chat.postMessage")
               if c.args.get("channel") == channel and "Here's what I can do" in str(c.args.get("text"))) >= n


async def model_outage(helps: int) -> None:
    """The p50/p95 of replies that need no model, normally and while every model call hangs."""
    from bot.emulators.openai_fake import OpenAIFake

    fake = await OpenAIFake().start()
    try:
        async with rig(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=fake.base_url) as r:
            await _help_latencies(r.emulator, 10, PEOPLE[20:30])  # warm up
            normal = await _help_latencies(r.emulator, helps, PEOPLE[:10])
            fake.hang()
            await send_dms(r.emulator, [f"I'll fix bug {i} by Friday" for i in range(30)])
            await until(lambda: fake.held >= 8, limit=30)
            await asyncio.sleep(1.0)  # the other 22 reach the model lane too (each read its context first)
            hanging = await _help_latencies(r.emulator, helps, PEOPLE[10:20])
            still = fake.held
            fake.release()
        print(f"\n## p95 of replies that need no model ({helps} `help` DMs, 5 at a time)")
        print(f"normal: p50 {median(normal):.0f} ms, p95 {pct(normal, 0.95):.0f} ms")
        print(f"every model call hanging (30 DMs waiting on it, {still} calls still held at the end): "
              f"p50 {median(hanging):.0f} ms, p95 {pct(hanging, 0.95):.0f} ms")
    finally:
        fake.release()
        await fake.stop()


async def _help_latencies(emu: Any, n: int, people: list[str]) -> list[float]:
    channels = {p: await emu.dm_channel(p) for p in people}
    gate = asyncio.Semaphore(5)
    out: list[float] = []

    async def one(i: int) -> None:
        person = people[i % len(people)]
        async with gate:
            mark = len(emu.calls)
            sent = time.monotonic()
            await emu.user_message(person, channels[person], "help")
            call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channels[person]
                                           and "Here's what I can do" in str(c.args.get("text")), timeout=60, since=mark)
            out.append((call.at - sent) * 1000)

    await asyncio.gather(*(one(i) for i in range(n)))
    return out


async def main(section: str, dms: int, outage: float, helps: int) -> None:
    print(machine())
    if section in ("all", "drain"):
        await drain_after_kill(dms)
    if section in ("all", "database"):
        await database_outage(outage)
    if section in ("all", "model"):
        await model_outage(helps)
    if section in ("all", "deliveries"):
        await deliveries_main(dms=300, kills=1)  # bench/recovery_deliveries.py (its own --dms/--kills there)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=("all", "drain", "database", "model", "deliveries"), default="all")
    parser.add_argument("--dms", type=int, default=1500)
    parser.add_argument("--outage", type=float, default=45.0)
    parser.add_argument("--helps", type=int, default=50)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.section, args.dms, args.outage, args.helps))
