"""Notifications (F11) and the scheduler across processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from bot.services.notifications import Target, notify, quiet_until
from tests.e2e.conftest import ACME, PRIYA, SAM, start_steward
from tests.helpers import eventually, fetchval


async def _org(conn: psycopg.AsyncConnection) -> int:
    return await fetchval(conn, "SELECT id FROM organizations")



async def test_rate_limited_twice_then_delivered_once(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    emulator.set_rate_limit("chat.postMessage", times=2, retry_after=1)
    mark = len(emulator.calls)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await _org(conn)
        nid = await notify(conn, organization_id=org, kind="test.ping", dedupe_key="ping-1", text="Ping!",
                           targets=[Target.channel(ACME)], now=datetime.now(UTC), urgent=True)
        assert nid is not None
        steward.dispatcher.wake()
        await eventually(lambda: fetchval(conn, "SELECT status = 'sent' FROM notification_deliveries WHERE notification_id = %s", (nid,)))
        ts = await fetchval(conn, "SELECT slack_ts FROM notification_deliveries WHERE notification_id = %s", (nid,))
    posts = [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("text") == "Ping!"]
    assert len(posts) == 3  # two 429s, then the one that landed
    delivered = [m for m in emulator.messages(ACME) if m.get("text") == "Ping!"]
    assert len(delivered) == 1 and delivered[0]["ts"] == ts
    # The second 429 was honoured: the last attempt came at least Retry-After after the first.
    assert posts[-1].at - posts[0].at >= 0.9


async def test_same_dedupe_key_is_sent_once(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await _org(conn)
        now = datetime.now(UTC)
        first = await notify(conn, organization_id=org, kind="test.once", dedupe_key="once", text="Only once",
                             targets=[Target.channel(ACME)], now=now, urgent=True)
        second = await notify(conn, organization_id=org, kind="test.once", dedupe_key="once", text="Only once",
                              targets=[Target.channel(ACME)], now=now, urgent=True)
        assert first is not None and second is None
        steward.dispatcher.wake()
        await eventually(lambda: fetchval(conn, "SELECT count(*) = 1 FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE d.status = 'sent' AND n.kind = 'test.once'"))
    await asyncio.sleep(0.3)
    assert len([m for m in emulator.messages(ACME) if m.get("text") == "Only once"]) == 1


async def test_quiet_hours_hold_non_urgent_dms(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    # 23:30 in Kolkata is quiet time for Priya; 08:00 her time is when it goes out.
    late = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 23:30 IST
    until = quiet_until(late, "Asia/Kolkata")
    assert until == datetime(2026, 3, 5, 2, 30, tzinfo=UTC)  # 08:00 IST
    assert quiet_until(datetime(2026, 3, 4, 6, 0, tzinfo=UTC), "Asia/Kolkata") is None  # 11:30 IST
    # These notices are dated in March 2026 and the bot's clock is real: keep its dispatcher from
    # sending them while we look at what notify() decided.
    await steward.dispatcher.stop()
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await _org(conn)
        await notify(conn, organization_id=org, kind="test.fyi", dedupe_key="fyi", text="FYI", targets=[Target.dm(PRIYA)], now=late)
        await notify(conn, organization_id=org, kind="test.urgent", dedupe_key="urgent", text="Now!", targets=[Target.dm(PRIYA)],
                     now=late, urgent=True)
        rows = dict(await (await conn.execute(
            "SELECT n.dedupe_key, d.status FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id "
            "WHERE n.kind LIKE 'test.%%'")).fetchall())
        held_until = await fetchval(conn, "SELECT next_attempt_at FROM notification_deliveries WHERE status = 'held'")
    assert rows == {"fyi": "held", "urgent": "pending"}
    assert held_until == until


async def test_two_processes_each_job_once_each_notification_once_and_leader_handover(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    a = await start_steward(emulator, db_dsn, tmp_path / "a")
    b = await start_steward(emulator, db_dsn, tmp_path / "b")
    for running in (a, b):
        # The test triggers the jobs itself; the wall-clock minute jobs firing mid-test only add load.
        running.bot.scheduler.shutdown()
    try:
        leaders = [r.bot.leadership.is_leader for r in (a, b)]
        assert sorted(leaders) == [False, True]
        # A trigger fires in both processes at the same minute: the job body runs once.
        slot = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
        results = await asyncio.gather(a.bot.scheduler.run_claimed("retention-daily", slot),
                                       b.bot.scheduler.run_claimed("retention-daily", slot))
        assert sum(r is not None for r in results) == 1
        # Even if both believed they led (a hand-over moment), job_runs lets one through.
        follower = b if a.bot.leadership.is_leader else a
        follower.bot.leadership.is_leader = True
        slot2 = slot + timedelta(days=1)
        results = await asyncio.gather(a.bot.scheduler.run_claimed("retention-daily", slot2),
                                       b.bot.scheduler.run_claimed("retention-daily", slot2))
        assert sum(r is not None for r in results) == 1
        follower.bot.leadership.is_leader = False

        # 40 notifications, both dispatchers racing: each delivered exactly once.
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            org = await _org(conn)
            now = datetime.now(UTC)
            for i in range(40):
                await notify(conn, organization_id=org, kind="test.fanout", dedupe_key=f"fan-{i}", text=f"fan {i}",
                             targets=[Target.channel(ACME)], now=now, urgent=True)
            a.bot.dispatcher.wake()
            b.bot.dispatcher.wake()
            await eventually(lambda: fetchval(conn, "SELECT count(*) = 40 FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE d.status = 'sent' AND n.kind = 'test.fanout'"))
        texts = [m["text"] for m in emulator.messages(ACME) if m.get("text", "").startswith("fan ")]
        assert sorted(texts) == sorted(f"fan {i}" for i in range(40))

        # Kill the leader (its connection, and so its advisory lock, goes away): the other takes over.
        leader, other = (a, b) if a.bot.leadership.is_leader else (b, a)
        await leader.stop()
        await eventually(lambda: (other.bot.leadership.is_leader), within=5)
    finally:
        for r in (a, b):
            try:
                await r.stop()
            except Exception:
                pass



async def test_dm_notification_uses_the_dm_and_records_ts(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await _org(conn)
        await notify(conn, organization_id=org, kind="test.dm", dedupe_key="dm-1", text="Hello Sam", targets=[Target.dm(SAM)],
                     now=datetime.now(UTC), urgent=True)
        steward.dispatcher.wake()
        await eventually(lambda: fetchval(conn, "SELECT slack_ts IS NOT NULL FROM notification_deliveries WHERE target_id = %s", (SAM,)))
    channel = await emulator.dm_channel(SAM)
    assert [m["text"] for m in emulator.messages(channel)] == ["Hello Sam"]


async def test_quiet_hours_follow_the_organization_setting(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    late = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata
    await steward.dispatcher.stop()  # see test_quiet_hours_hold_non_urgent_dms
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await _org(conn)
        await conn.execute("UPDATE org_settings SET quiet_hours_start = NULL, quiet_hours_end = NULL")
        await notify(conn, organization_id=org, kind="test.fyi", dedupe_key="no-quiet", text="FYI", targets=[Target.dm(PRIYA)], now=late)
        assert await fetchval(conn, "SELECT d.status FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.dedupe_key = 'no-quiet'") == "pending"
        await conn.execute("UPDATE org_settings SET quiet_hours_start = '22:00', quiet_hours_end = '07:00'")
        await notify(conn, organization_id=org, kind="test.fyi", dedupe_key="quiet", text="FYI", targets=[Target.dm(PRIYA)], now=late)
        held = await fetchval(conn, "SELECT next_attempt_at FROM notification_deliveries WHERE status = 'held'")
    assert held == datetime(2026, 3, 5, 1, 30, tzinfo=UTC)  # 07:00 in Kolkata


async def test_steward_admins_by_email_and_id(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    running = await start_steward(emulator, db_dsn, tmp_path, STEWARD_ADMINS=f"sam@acme.test, {PRIYA}")
    try:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            roles = dict(await (await conn.execute(
                "SELECT pi.external_id, u.role FROM users u JOIN platform_identities pi ON pi.user_id = u.id")).fetchall())
    finally:
        await running.stop()
    assert roles[SAM] == "admin" and roles[PRIYA] == "admin"
    assert roles["U0MAYA"] == "member"  # the owner is not made admin when admins are configured
