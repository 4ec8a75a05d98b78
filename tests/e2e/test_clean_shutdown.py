"""Issue 11, part 4: stopping never hangs. Each background loop that could wait forever is stopped while it
waits: a listener whose Slack call never returns, a job run in progress, the scheduler's leadership and the
dispatcher while PostgreSQL stops answering (a proxy that holds every byte). Each stop must return within a
bound (asyncio.timeout, never wait_for), and leave its work to be picked up again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot.clock import Clock
from bot.emulators.slack import SlackEmulator
from bot.inbox import ACK_SECONDS, STOP_GRACE_SECONDS, InboxWorker, Metrics, store
from bot.services.notifications import Dispatcher, Target, notify
from bot.slack_app import build_client
from bot.worker import UNWIND_SECONDS
from db.pool import configure_connection, open_pool
from jobs.leader import Leadership
from tests.e2e.conftest import ACME, SAM, start_steward
from tests.helpers import eventually, fetchval
from tests.stalling_proxy import StallingProxy

MARGIN = 2.0  # seconds beyond the documented bounds (a loaded 2-core machine)


async def test_steward_stops_while_a_listener_and_a_job_wait_on_slack(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    running = await start_steward(emulator, db_dsn, tmp_path)
    bot = running.bot
    bot.scheduler.shutdown()  # the test starts the job run itself
    reply_held = emulator.pause("chat.postMessage")
    people_held = emulator.pause("users.list")
    try:
        # A DM whose answer Slack never acknowledges, and the workspace sync stuck on users.list.
        await emulator.user_message(SAM, await emulator.dm_channel(SAM), "help")
        await reply_held.wait_for_calls(1)
        job = asyncio.create_task(bot.scheduler.run_claimed("workspace-sync", datetime(2031, 1, 1, 3, 15, tzinfo=UTC)))
        await people_held.wait_for_calls(1)

        async with asyncio.timeout(STOP_GRACE_SECONDS + UNWIND_SECONDS + MARGIN):
            await bot.stop()
        assert job.done()
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            # The interrupted run says so (it did not succeed); the event waits in the inbox to be retried.
            status, summary = (await (await conn.execute(
                "SELECT status, summary FROM job_runs WHERE job_name = 'workspace-sync'")).fetchone()) or (None, None)
            assert status == "failed" and "interrupted" in summary["error"]
            # Handed back at once (not left to wait out its lease), marked to look in Slack before posting again.
            assert (await (await conn.execute(
                "SELECT status, locked_at, next_attempt_at <= now(), uncertain FROM event_inbox "
                "WHERE payload->'event'->>'text' = 'help'")).fetchall()) == [("pending", None, True, True)]
    finally:
        reply_held.abandon()
        people_held.abandon()
        await running.pool.close()


async def test_leadership_stops_while_the_database_does_not_answer(db_dsn: str) -> None:
    proxy = StallingProxy()
    leadership = Leadership(await proxy.start(db_dsn), retry_seconds=0.05)
    try:
        await leadership.start()
        assert leadership.is_leader
        proxy.stall()
        await eventually(lambda: proxy.held > 0)  # its next check is stuck on the silent connection
        async with asyncio.timeout(UNWIND_SECONDS + MARGIN):
            await leadership.stop()
        assert not leadership.is_leader
    finally:
        await proxy.close()
    # Its session gone, the lock is free for the next leader.
    other = Leadership(db_dsn, retry_seconds=60)
    try:
        await eventually(other.try_acquire)
    finally:
        await other.stop()


async def test_the_dispatcher_stops_while_slack_and_the_database_do_not_answer(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    running = await start_steward(emulator, db_dsn, tmp_path, connect=False)
    await running.bot.dispatcher.stop()
    proxy = StallingProxy()
    pool = await open_pool(await proxy.start(db_dsn), min_size=1, max_size=4, name="stalling")
    post_held = emulator.pause("chat.postMessage", times=1)
    try:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            org = await fetchval(conn, "SELECT id FROM organizations")
            await notify(conn, organization_id=org, kind="test.stop", dedupe_key="stop", text="Stuck",
                         targets=[Target.channel(ACME)], now=datetime.now(UTC), urgent=True)
        sender = Dispatcher(pool, build_client(emulator.bot_token, emulator.api_url),
                            Clock())
        sender.start()
        sender.wake()
        await post_held.wait_for_calls(1)
        proxy.stall()  # it cannot even hand its claim back now
        async with asyncio.timeout(UNWIND_SECONDS + MARGIN):
            await sender.stop()
    finally:
        post_held.abandon()
        await proxy.close()
        await pool.close(timeout=1)
        await running.stop()


async def test_a_stop_during_a_claim_hands_the_claimed_delivery_back(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    """The claim committed, its answer not yet back, when the stop comes: the delivery must not stay claimed
    (and wait out its lease) after the dispatcher stopped."""
    running = await start_steward(emulator, db_dsn, tmp_path, connect=False)
    await running.bot.dispatcher.stop()
    proxy = StallingProxy()
    # Without the pool's checkout check (a query whose answer the proxy would hold before the claim is sent).
    pool = AsyncConnectionPool(await proxy.start(db_dsn), min_size=1, max_size=4, open=False, name="stalling",
                               configure=configure_connection, kwargs={"autocommit": True})
    await pool.open(wait=True)
    try:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            org = await fetchval(conn, "SELECT id FROM organizations")
            await notify(conn, organization_id=org, kind="test.claimed", dedupe_key="claimed", text="Claimed",
                         targets=[Target.channel(ACME)], now=datetime.now(UTC), urgent=True)
            sender = Dispatcher(pool, build_client(emulator.bot_token, emulator.api_url), Clock(), concurrency=1)
            await sender.tenants.ensure_loaded()  # which workspace it serves is known before the database goes quiet
            proxy.stall(answers_only=True)
            sender.start()
            sender.wake()
            await eventually(lambda: fetchval(conn, "SELECT count(*) = 1 FROM notification_deliveries d JOIN notifications n "
                                                    "ON n.id = d.notification_id WHERE n.kind = 'test.claimed' "
                                                    "AND d.status = 'sending'"))
            stopping = asyncio.create_task(sender.stop())
            await eventually(lambda: sender._stopping)
            proxy.resume()  # the claim's answer comes back while the dispatcher stops
            async with asyncio.timeout(UNWIND_SECONDS + MARGIN):
                await stopping
            status, lease = (await (await conn.execute(
                "SELECT d.status, d.lease_until FROM notification_deliveries d JOIN notifications n "
                "ON n.id = d.notification_id WHERE n.kind = 'test.claimed'")).fetchone()) or (None, None)
        assert (status, lease) == ("pending", None)
        assert [m for m in emulator.messages(ACME) if m.get("text") == "Claimed"] == []
    finally:
        await proxy.close()
        await pool.close(timeout=1)
        await running.stop()


async def test_a_stop_during_an_inbox_claim_hands_the_claimed_rows_back(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    """The inbox claim committed, its answer not yet back, when the stop comes: the rows must not stay
    `processing` (and wait out their lease) after the worker stopped, nor count an attempt never made."""
    running = await start_steward(emulator, db_dsn, tmp_path, connect=False)
    await running.bot.worker.stop()
    proxy = StallingProxy()
    pool = AsyncConnectionPool(await proxy.start(db_dsn), min_size=1, max_size=4, open=False, name="stalling",
                               configure=configure_connection, kwargs={"autocommit": True})
    await pool.open(wait=True)
    try:
        for n in range(3):
            await store(running.pool, "events_api", {"team_id": emulator.team_id, "event_id": f"EvClaim{n}",
                                                     "event": {"type": "message", "text": f"claimed {n}"}}, f"ev:EvClaim{n}")
        worker = InboxWorker(running.bot.app, pool, Metrics())
        proxy.stall(answers_only=True)
        worker.start()
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            await eventually(lambda: fetchval(conn, "SELECT count(*) = 3 FROM event_inbox WHERE status = 'processing'"))
            stopping = asyncio.create_task(worker.stop())
            await eventually(lambda: worker._stopping)
            proxy.resume()  # the claim's answer comes back while the worker stops
            async with asyncio.timeout(UNWIND_SECONDS + MARGIN):
                await stopping
            rows = await (await conn.execute("SELECT status, locked_at, attempts FROM event_inbox "
                                             "WHERE event_key LIKE 'ev:EvClaim%%'")).fetchall()
        assert rows == [("pending", None, 0)] * 3
    finally:
        await proxy.close()
        await pool.close(timeout=1)
        await running.stop()


async def test_the_socket_closes_once_the_envelopes_being_stored_are_acknowledged(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    """A slash command being stored as the stop closes the socket: it is acknowledged before the socket closes
    (and runs once), never stored and then left unacknowledged (its person shown an error, so they type it
    again, while the first copy runs as well)."""
    running = await start_steward(emulator, db_dsn, tmp_path)
    assert running.bot.handler is not None
    try:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as watcher, \
                await psycopg.AsyncConnection.connect(db_dsn) as blocker:
            await blocker.execute("LOCK TABLE event_inbox IN EXCLUSIVE MODE")  # the store waits for this transaction
            command = asyncio.create_task(emulator.slash_command(SAM, "/journal", "Written as Steward stops"))
            await eventually(lambda: fetchval(watcher, "SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = "
                                                       "'Lock' AND query LIKE 'INSERT INTO event_inbox%%'"))
            closing = asyncio.create_task(running.bot.handler.close_async())
            await asyncio.sleep(0.3)  # room for a close that does not wait to happen first
            await blocker.rollback()
            async with asyncio.timeout(ACK_SECONDS + MARGIN):
                await closing
            result = await command
            assert result.acked and not result.timed_out
            await result.wait_for_response(timeout=10)
            assert await fetchval(watcher, "SELECT count(*) FROM journals WHERE body = 'Written as Steward stops'") == 1
    finally:
        await running.stop()
