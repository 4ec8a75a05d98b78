"""Issue 11, part 1 on real processes: `steward run` killed with kill -9 while it sends a burst of DMs, then
started again. Every recipient ends with exactly one copy, and every delivery is `sent` with the ts of that
copy: the deliveries in flight at the kill are claimed again once their lease runs out and looked for in
Slack (message metadata) before anything is posted again.

CI size: 300 DMs, one kill. Full size (STEWARD_CHAOS_FULL=1): 1,000 DMs, three kills."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from bot.emulators.slack import SlackEmulator
from bot.services.notifications import LEASE, Target, notify
from tests.chaos.harness import StewardProcess, query, size, value
from tests.helpers import eventually

pytestmark = pytest.mark.asyncio

DMS = size(300, 1000)
KILLS = size(1, 3)
# A post takes this long to reach Slack, and Slack's answer this long after the message exists: a kill finds
# posts not yet in Slack (to be posted) and posts in Slack whose ts Steward has not recorded (to be found, not
# posted again: the case a blind re-send would duplicate).
REQUEST_LATENCY, ANSWER_LATENCY = 0.01, 0.02


async def queue_dms(dsn: str, kind: str, people: list[str]) -> dict[str, int]:
    """One urgent DM notice to each person, all queued in one transaction (so a dispatch starts with the whole
    burst waiting): person -> delivery id."""
    org = await value(dsn, "SELECT id FROM organizations")
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        async with conn.transaction():
            for n, person in enumerate(people):
                queued = await notify(conn, organization_id=org, kind=kind, dedupe_key=f"{kind}-{n}",
                                      text=f"Notice {n} for you", targets=[Target.dm(person)], now=datetime.now(UTC),
                                      urgent=True)
                assert queued is not None
    rows = await query(dsn, "SELECT d.target_id, d.id FROM notification_deliveries d "
                            "JOIN notifications n ON n.id = d.notification_id WHERE n.kind = %s", (kind,))
    return dict(rows)


async def counts(dsn: str, ids: list[int]) -> dict[str, int]:
    rows = await query(dsn, "SELECT status, count(*) FROM notification_deliveries WHERE id = ANY(%s) GROUP BY status",
                       (ids,))
    return {status: int(n) for status, n in rows}


async def test_kill_9_during_a_burst_of_dms_loses_and_duplicates_nothing(
        emulator: SlackEmulator, steward_process: StewardProcess, db_dsn: str, tmp_path: Path) -> None:
    people = [f"U0R{n:05d}" for n in range(DMS)]
    for n, person in enumerate(people):
        emulator.add_user(person, f"person{n}", f"Person {n}")
    emulator.set_latency("chat.postMessage", before=REQUEST_LATENCY, after=ANSWER_LATENCY)
    deliveries = await queue_dms(db_dsn, "chaos.dm", people)
    ids = list(deliveries.values())

    in_flight_at_kills: set[int] = set()  # one still leased from a kill may be in flight at the next
    for kill in range(KILLS):
        target = (kill + 1) * DMS // (KILLS + 1)

        async def mid_dispatch(target: int = target) -> bool:
            now = await counts(db_dsn, ids)
            return now.get("sent", 0) >= target and now.get("sending", 0) >= 1

        await eventually(mid_dispatch, within=60, interval=0.005)
        await steward_process.kill()
        in_flight = [r[0] for r in await query(db_dsn, "SELECT id FROM notification_deliveries "
                                                       "WHERE id = ANY(%s) AND status = 'sending'", (ids,))]
        assert in_flight, "the kill was meant to land while deliveries were being sent"
        # It had claimed only what its four slots were sending, not a batch of 50 (rows still leased from an
        # earlier kill are not its own).
        assert len(set(in_flight) - in_flight_at_kills) <= 4
        in_flight_at_kills |= set(in_flight)
        await steward_process.start(emulator)

    async def all_sent() -> bool:
        return (await counts(db_dsn, ids)).get("sent", 0) == DMS

    # The interrupted ones wait out their lease (seconds), then go; the rest at once.
    await eventually(all_sent, within=60 + LEASE.total_seconds() * KILLS, interval=0.1)

    rows = {r[0]: r[1:] for r in await query(db_dsn, "SELECT id, slack_ts, slack_channel_id, unconfirmed_since "
                                                     "FROM notification_deliveries WHERE id = ANY(%s)", (ids,))}
    lost, duplicated, wrong_ts = [], [], []
    for person, delivery_id in deliveries.items():
        channel = await emulator.dm_channel(person)
        mine = [m for m in emulator.messages(channel)
                if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]
        if not mine:
            lost.append(person)
        elif len(mine) > 1:
            duplicated.append(person)
        elif (mine[0]["ts"], channel) != rows[delivery_id][:2]:
            wrong_ts.append(person)
    assert (lost, duplicated, wrong_ts) == ([], [], [])
    # Each one in flight at a kill was looked for in Slack before anything was posted again.
    assert all(rows[i][2] is not None for i in in_flight_at_kills)
    assert steward_process.running


async def test_sigterm_during_a_burst_hands_the_claims_back_and_the_next_process_sends_each_once(
        emulator: SlackEmulator, steward_process: StewardProcess, db_dsn: str) -> None:
    dms = size(120, 400)
    people = [f"U0T{n:05d}" for n in range(dms)]
    for n, person in enumerate(people):
        emulator.add_user(person, f"member{n}", f"Member {n}")
    emulator.set_latency("chat.postMessage", before=REQUEST_LATENCY, after=ANSWER_LATENCY)
    deliveries = await queue_dms(db_dsn, "chaos.term", people)
    ids = list(deliveries.values())

    async def mid_dispatch() -> bool:
        now = await counts(db_dsn, ids)
        return now.get("sent", 0) >= dms // 3 and now.get("sending", 0) >= 1

    await eventually(mid_dispatch, within=60, interval=0.005)
    assert await steward_process.terminate(timeout=30) == 0
    # It handed back what it was sending: nothing is left to wait out a lease.
    assert (await counts(db_dsn, ids)).get("sending", 0) == 0
    await steward_process.start(emulator)

    async def all_sent() -> bool:
        return (await counts(db_dsn, ids)).get("sent", 0) == dms

    await eventually(all_sent, within=60, interval=0.1)
    for person, delivery_id in deliveries.items():
        channel = await emulator.dm_channel(person)
        mine = [m for m in emulator.messages(channel)
                if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]
        assert len(mine) == 1, (person, len(mine))
