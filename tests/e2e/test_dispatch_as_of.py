"""The dispatcher's pass "as of T" (jobs/runs.py, Dispatcher.deliver_due): what is due by T goes now,
holds that end after T stay, retries wait for Slack on the real clock, two dispatchers send each
message once, and a run's report waits for a message another dispatcher is sending. Real PostgreSQL,
the real Slack client and the emulator; the dispatchers' clocks are frozen, so nothing sleeps on time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg

from bot.app import Steward
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.emulators.slack import SlackEmulator
from bot.services.notifications import Dispatcher, Target, notify
from jobs.runs import deliver
from tests.e2e.conftest import ACME, PRIYA
from tests.helpers import fetchval

QUIET_IN_KOLKATA = timedelta(hours=18)  # 18:00 UTC is 23:30 in Kolkata; her quiet hours end at 02:30 UTC


def a_future_day(days: int = 2) -> datetime:
    """Midnight UTC ``days`` from now on the real clock."""
    today = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


async def status_of(conn: psycopg.AsyncConnection, notification_id: int) -> tuple[str, int, datetime, datetime | None]:
    row = await (await conn.execute("SELECT status, attempts, next_attempt_at, sent_at FROM notification_deliveries "
                                    "WHERE notification_id = %s", (notification_id,))).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def posted(emu: SlackEmulator, channel: str, text: str) -> list[dict[str, object]]:
    return [m for m in emu.messages(channel) if m.get("text") == text]


async def test_due_by_t_goes_now_holds_past_t_stay_and_retries_keep_the_real_clock(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await steward.dispatcher.stop()  # only the dispatchers of this test send
    real = datetime.now(UTC)
    clock = FrozenClock(at=real)
    dispatcher = Dispatcher(steward.pool, steward.dispatcher.client, clock)
    t = a_future_day() + QUIET_IN_KOLKATA
    hold_ends = t.replace(hour=2, minute=30) + timedelta(days=1)  # 08:00 in Kolkata
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        post = await notify(conn, organization_id=org, kind="test.post", dedupe_key="post", text="Posted at T",
                            targets=[Target.channel(ACME)], now=t)
        dm = await notify(conn, organization_id=org, kind="test.dm", dedupe_key="dm", text="Held for Priya",
                          targets=[Target.dm(PRIYA)], now=t)
        assert post is not None and dm is not None
        assert (await status_of(conn, dm))[0] == "held" and (await status_of(conn, dm))[2] == hold_ends

        assert await dispatcher.deliver_due(t - timedelta(minutes=1)) == []
        assert posted(emulator, ACME, "Posted at T") == []
        # As of T: the post goes now (sent "at T", its world's clock); the DM stays held past T.
        assert len(await dispatcher.deliver_due(t)) == 1
        assert len(posted(emulator, ACME, "Posted at T")) == 1
        assert (await status_of(conn, post))[::3] == ("sent", t)
        assert (await status_of(conn, dm))[0] == "held"
        assert await dispatcher.deliver_due(hold_ends - timedelta(seconds=1)) == []
        assert len(await dispatcher.deliver_due(hold_ends)) == 1
        assert len(emulator.messages(await emulator.dm_channel(PRIYA))) == 1
        assert (await status_of(conn, dm))[::3] == ("sent", hold_ends)

        # Slack keeps answering 429 (the Slack client itself retries twice, after Retry-After each time): the
        # dispatcher reschedules it Retry-After later, and no simulated instant sends it sooner than Slack asked.
        emulator.set_rate_limit("chat.postMessage", times=3, retry_after=1)
        retry = await notify(conn, organization_id=org, kind="test.retry", dedupe_key="retry", text="Retried",
                             targets=[Target.channel(ACME)], now=real)
        assert retry is not None
        assert len(await dispatcher.deliver_due(real)) == 1
        status, attempts, next_attempt_at, _ = await status_of(conn, retry)
        assert (status, attempts, next_attempt_at) == ("pending", 1, real + timedelta(seconds=1))
        assert await dispatcher.deliver_due(t + timedelta(days=30)) == []
        clock.at = real + timedelta(seconds=1)
        assert len(await dispatcher.deliver_due(clock.at)) == 1
        assert len(posted(emulator, ACME, "Retried")) == 1


async def test_two_dispatchers_as_of_t_send_each_message_once(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    t = a_future_day() + timedelta(hours=14)
    clock = FrozenClock(at=datetime.now(UTC))
    # The running bot's own dispatcher (on the real clock) and the command line's, both claiming as of T.
    ours = Dispatcher(steward.pool, steward.dispatcher.client, clock)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        for i in range(30):
            await notify(conn, organization_id=org, kind="test.many", dedupe_key=f"many-{i}", text=f"Message {i}",
                         targets=[Target.channel(ACME)], now=t)
        a, b = await asyncio.gather(ours.deliver_due(t), steward.dispatcher.deliver_due(t))
        assert not set(a) & set(b) and len(a) + len(b) == 30
        assert await fetchval(conn, "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'") >= 30
    for i in range(30):
        assert len(posted(emulator, ACME, f"Message {i}")) == 1


async def test_a_report_waits_for_what_another_dispatcher_is_sending(steward: Steward, db_dsn: str) -> None:
    await steward.dispatcher.stop()
    t = a_future_day() + timedelta(hours=14)
    clock = FrozenClock(at=datetime.now(UTC))
    deps = Deps(settings=steward.settings, pool=steward.pool, clock=clock,
                extras={"dispatcher": Dispatcher(steward.pool, steward.dispatcher.client, clock)})
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        nid = await notify(conn, organization_id=org, kind="test.raced", dedupe_key="raced", text="Raced",
                           targets=[Target.channel(ACME)], now=t)
        assert nid is not None
        # Another process has claimed it and is talking to Slack...
        await conn.execute("UPDATE notification_deliveries SET status = 'sending', locked_at = now(), attempts = 1, "
                           "lease_until = now() + interval '15 seconds' WHERE notification_id = %s", (nid,))

        async def the_other_process_finishes() -> None:
            await asyncio.sleep(0.3)
            await conn.execute("UPDATE notification_deliveries SET status = 'sent', slack_ts = '1.000100', sent_at = %s "
                               "WHERE notification_id = %s", (t, nid))

        finishing = asyncio.create_task(the_other_process_finishes())
        report = await deliver(deps, "test-job", t, {"queued": 1}, [nid])
        await finishing
    # ...and the report says it was sent (with its ts), not that it is waiting.
    assert [(report.outcome(d), d.slack_ts) for d in report.deliveries] == [("sent", "1.000100")]
    assert report.to_json()["sent"] == [{"kind": "test.raced", "to": f"<#{ACME}>", "ts": "1.000100"}]


async def test_a_report_waits_for_a_claim_another_dispatcher_has_not_committed(steward: Steward, db_dsn: str) -> None:
    """The race behind "not sent yet" for messages already sent: the running bot's dispatcher claims what a
    run queued (its UPDATE holds the rows, not yet committed), the run's own claim skips them (SKIP LOCKED),
    and a plain read still sees them pending. The report must wait for that claim and then for the send."""
    await steward.dispatcher.stop()
    t = a_future_day() + timedelta(hours=14)
    clock = FrozenClock(at=datetime.now(UTC))
    deps = Deps(settings=steward.settings, pool=steward.pool, clock=clock,
                extras={"dispatcher": Dispatcher(steward.pool, steward.dispatcher.client, clock)})
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn, \
            await psycopg.AsyncConnection.connect(db_dsn) as other:
        org = await fetchval(conn, "SELECT id FROM organizations")
        nid = await notify(conn, organization_id=org, kind="test.claimed", dedupe_key="claimed", text="Claimed",
                           targets=[Target.channel(ACME)], now=t)
        assert nid is not None
        # The other dispatcher's claim, in its transaction: the row is locked and still reads "pending" to others.
        await other.execute("UPDATE notification_deliveries SET status = 'sending', locked_at = now(), attempts = 1, "
                            "lease_until = now() + interval '15 seconds' WHERE notification_id = %s", (nid,))
        the_other_committed = asyncio.Event()

        async def the_other_dispatcher_commits_then_sends() -> None:
            await asyncio.sleep(0.2)  # the other process's own pace, on the real clock: not this test's time
            await other.commit()
            the_other_committed.set()
            await asyncio.sleep(0.2)
            await conn.execute("UPDATE notification_deliveries SET status = 'sent', slack_ts = '1.000200', sent_at = %s "
                               "WHERE notification_id = %s", (t, nid))

        sending = asyncio.create_task(the_other_dispatcher_commits_then_sends())
        report = await deliver(deps, "test-job", t, {"queued": 1}, [nid])
        await sending
        assert the_other_committed.is_set()
    assert [(report.outcome(d), d.slack_ts) for d in report.deliveries] == [("sent", "1.000200")]


async def test_a_claim_that_never_commits_leaves_the_message_to_the_run(emulator: SlackEmulator, steward: Steward,
                                                                       db_dsn: str) -> None:
    """The other dispatcher's claim is rolled back (its process died before committing): the run sends the
    message itself, once, and reports it sent."""
    await steward.dispatcher.stop()
    t = a_future_day() + timedelta(hours=14)
    clock = FrozenClock(at=datetime.now(UTC))
    deps = Deps(settings=steward.settings, pool=steward.pool, clock=clock,
                extras={"dispatcher": Dispatcher(steward.pool, steward.dispatcher.client, clock)})
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn, \
            await psycopg.AsyncConnection.connect(db_dsn) as other:
        org = await fetchval(conn, "SELECT id FROM organizations")
        nid = await notify(conn, organization_id=org, kind="test.orphan", dedupe_key="orphan", text="Left to the run",
                           targets=[Target.channel(ACME)], now=t)
        assert nid is not None
        await other.execute("UPDATE notification_deliveries SET status = 'sending', locked_at = now(), attempts = 1, "
                            "lease_until = now() + interval '15 seconds' WHERE notification_id = %s", (nid,))

        async def the_other_process_dies() -> None:
            await asyncio.sleep(0.2)
            await other.rollback()

        dying = asyncio.create_task(the_other_process_dies())
        report = await deliver(deps, "test-job", t, {"queued": 1}, [nid])
        await dying
    assert [report.outcome(d) for d in report.deliveries] == ["sent"]
    assert len(posted(emulator, ACME, "Left to the run")) == 1
