"""Issue 11, part 1: a delivery whose sender died is neither lost nor blindly re-sent.

Every post carries its delivery id in Slack message metadata; a claim is a lease of seconds, renewed while
Slack holds the post; a delivery whose lease ran out is claimed again and first looked for in its
conversation (conversations.history / replies with include_all_metadata). "A dispatcher that died" is one
whose post the emulator holds (before or after Slack handled it) and that never renews its lease; the
clock, not a sleep, makes its lease run out. Real PostgreSQL, the real Slack client and the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest_asyncio

from bot.app import Steward
from bot.clock import Clock
from bot.emulators.slack import RecordedCall, SlackEmulator
from bot.services.notifications import LEASE, Dispatcher, Target, notify
from bot.slack_metadata import DELIVERY_EVENT_TYPE, REPLY_EVENT_TYPE, find_message
from tests.e2e.conftest import ACME, SAM, STANDUP, dm
from tests.helpers import eventually, fetchval

NEVER = timedelta(hours=1)  # the renewal period of a dispatcher that died (it renews nothing in a test)


@pytest_asyncio.fixture
async def conn(db_dsn: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as connection:
        yield connection


async def queue(conn: psycopg.AsyncConnection, key: str, text: str, target: Target) -> int:
    """Queue one urgent notice; the id of its delivery."""
    org = await fetchval(conn, "SELECT id FROM organizations")
    nid = await notify(conn, organization_id=org, kind="test.recovery", dedupe_key=key, text=text, targets=[target],
                       now=datetime.now(UTC), urgent=True)
    assert nid is not None
    return int(await fetchval(conn, "SELECT id FROM notification_deliveries WHERE notification_id = %s", (nid,)))


async def row(conn: psycopg.AsyncConnection, delivery_id: int) -> dict[str, object]:
    cur = await conn.execute("SELECT status, slack_ts, slack_channel_id, attempts, lease_until, unconfirmed_since "
                             "FROM notification_deliveries WHERE id = %s", (delivery_id,))
    found = await cur.fetchone()
    assert found is not None
    return dict(zip(("status", "slack_ts", "channel", "attempts", "lease_until", "unconfirmed_since"), found, strict=True))


def copies(emu: SlackEmulator, channel: str, delivery_id: int) -> list[dict[str, object]]:
    """Every message in ``channel`` (thread replies included) that carries this delivery's id."""
    return [m for m in emu.messages(channel)
            if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]


def lookups(emu: SlackEmulator, method: str = "conversations.history") -> list[RecordedCall]:
    """The dispatcher's look-ups (with include_all_metadata; the memory backfill reads history without it)."""
    return [c for c in emu.calls_to(method) if str(c.args.get("include_all_metadata")).lower() in ("true", "1")]


def posts(emu: SlackEmulator, delivery_id: int) -> list[RecordedCall]:
    """The chat.postMessage calls made for this delivery."""
    return [c for c in emu.calls_to("chat.postMessage")
            if (c.args.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]


def dispatcher(steward: Steward, clock: Clock, *, renew_every: timedelta | None = None) -> Dispatcher:
    if renew_every is None:
        return Dispatcher(steward.pool, steward.dispatcher.client, clock)
    return Dispatcher(steward.pool, steward.dispatcher.client, clock, renew_every=renew_every)


async def stopped(task: asyncio.Task[object]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_every_post_carries_its_delivery_id_and_where_it_landed(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    dm = await queue(conn, "meta-dm", "To Sam", Target.dm(SAM))
    post = await queue(conn, "meta-channel", "To #client-acme", Target.channel(ACME))
    steward.dispatcher.wake()
    await eventually(lambda: fetchval(conn, "SELECT count(*) = 2 FROM notification_deliveries "
                                            "WHERE status = 'sent' AND id = ANY(%s)", ([dm, post],)))
    sam = await emulator.dm_channel(SAM)
    for delivery_id, channel in ((dm, sam), (post, ACME)):
        [message] = copies(emulator, channel, delivery_id)
        assert message["metadata"] == {"event_type": DELIVERY_EVENT_TYPE, "event_payload": {"delivery_id": delivery_id}}
        state = await row(conn, delivery_id)
        assert (state["status"], state["slack_ts"], state["channel"]) == ("sent", message["ts"], channel)
        assert state["lease_until"] is None and state["unconfirmed_since"] is None
    # A first delivery looks nothing up: it cannot have been posted before.
    assert lookups(emulator) == []


async def test_a_reclaimed_delivery_slack_already_has_is_recorded_with_its_ts_not_posted_again(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id = await queue(conn, "found", "Hello Sam", Target.dm(SAM))
    # The first dispatcher's post reaches Slack, and it dies before Slack's answer comes back.
    answer_held = emulator.pause("chat.postMessage", after_handling=True, times=1)
    dead = dispatcher(steward, clock, renew_every=NEVER)
    dying = asyncio.create_task(dead.deliver_due(clock.now()))
    await answer_held.wait_for_calls(1)
    sam = await emulator.dm_channel(SAM)
    [posted] = copies(emulator, sam, delivery_id)
    claimed = await row(conn, delivery_id)
    assert claimed["status"] == "sending" and claimed["slack_ts"] is None

    # Within its lease nobody else touches it; past it, the next dispatcher claims it and finds it in Slack.
    alive = dispatcher(steward, clock)
    assert await alive.deliver_due(clock.now()) == []
    clock.advance(LEASE + timedelta(seconds=1))
    assert await alive.deliver_due(clock.now()) == [delivery_id]
    state = await row(conn, delivery_id)
    assert (state["status"], state["slack_ts"], state["channel"]) == ("sent", posted["ts"], sam)
    assert state["attempts"] == 2 and state["unconfirmed_since"] is not None
    assert len(copies(emulator, sam, delivery_id)) == 1
    assert len(posts(emulator, delivery_id)) == 1
    [looked] = lookups(emulator)
    assert looked.args["channel"] == sam
    # Bounded to the messages since the claim (less a minute for clock skew).
    assert float(looked.args["oldest"]) <= float(str(posted["ts"])) and float(looked.args["oldest"]) > float(str(posted["ts"])) - 120

    # The old answer finally arrives: the record stands, and nothing more is posted.
    answer_held.resume()
    await asyncio.wait_for(dying, 10)
    assert (await row(conn, delivery_id))["slack_ts"] == posted["ts"]
    assert len(copies(emulator, sam, delivery_id)) == 1


async def test_a_reclaimed_delivery_slack_does_not_have_is_posted_once(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id = await queue(conn, "not-found", "Morning, #client-acme", Target.channel(ACME))
    # The first dispatcher dies before its post reaches Slack.
    never_handled = emulator.pause("chat.postMessage", times=1)
    dead = dispatcher(steward, clock, renew_every=NEVER)
    dying = asyncio.create_task(dead.deliver_due(clock.now()))
    await never_handled.wait_for_calls(1)
    clock.advance(LEASE + timedelta(seconds=1))
    alive = dispatcher(steward, clock)
    assert await alive.deliver_due(clock.now()) == [delivery_id]
    [message] = copies(emulator, ACME, delivery_id)
    state = await row(conn, delivery_id)
    assert (state["status"], state["slack_ts"], state["channel"]) == ("sent", message["ts"], ACME)
    assert len(lookups(emulator)) == 1  # looked for first, not found
    # The dead one's request never reaches Slack; it sees no answer and, were it alive, would look before
    # posting again: it finds the copy just posted and sends nothing.
    never_handled.abandon()
    await asyncio.wait_for(dying, 10)
    assert len(copies(emulator, ACME, delivery_id)) == 1
    assert (await row(conn, delivery_id))["slack_ts"] == message["ts"]


async def test_a_lease_is_renewed_while_slack_holds_the_post(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id = await queue(conn, "renewed", "Slow Slack", Target.channel(ACME))
    slow = emulator.pause("chat.postMessage", times=1)
    sender = dispatcher(steward, clock, renew_every=timedelta(milliseconds=50))
    sending = asyncio.create_task(sender.deliver_due(clock.now()))
    try:
        await slow.wait_for_calls(1)
        first_lease = (await row(conn, delivery_id))["lease_until"]
        assert isinstance(first_lease, datetime)
        # Time passes beyond the first lease while Slack still holds the post: the sender keeps renewing it...
        clock.advance(LEASE + timedelta(seconds=5))
        await eventually(lambda: fetchval(conn, "SELECT lease_until > %s FROM notification_deliveries WHERE id = %s",
                                          (clock.now(), delivery_id)))
        # ...so no other dispatcher claims it, looks it up or posts it.
        other = dispatcher(steward, clock)
        assert await other.deliver_due(clock.now()) == []
        assert lookups(emulator) == []
        slow.resume()
        assert await asyncio.wait_for(sending, 10) == [delivery_id]
    finally:
        await stopped(sending)
    state = await row(conn, delivery_id)
    assert state["status"] == "sent" and state["attempts"] == 1
    assert len(copies(emulator, ACME, delivery_id)) == 1


async def test_a_post_that_got_no_answer_is_looked_for_before_the_retry(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    """Slack stored the message but its answer was lost (HTTP 503 after handling): the retry finds it."""
    await steward.dispatcher.stop()
    clock = Clock()
    parent = emulator.add_message(STANDUP, "Standup for today", user=None)
    delivery_id = await queue(conn, "thread", "Your reply, please", Target.thread(STANDUP, parent["ts"]))
    lost_answer = emulator.pause("chat.postMessage", after_handling=True, times=1)
    sender = dispatcher(steward, clock)
    sending = asyncio.create_task(sender.deliver_due(clock.now()))
    await lost_answer.wait_for_calls(1)
    lost_answer.abandon()
    assert await asyncio.wait_for(sending, 10) == [delivery_id]
    [message] = [m for m in emulator.thread(STANDUP, parent["ts"])
                 if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]
    state = await row(conn, delivery_id)
    assert (state["status"], state["slack_ts"]) == ("sent", message["ts"])
    assert len(posts(emulator, delivery_id)) == 1
    [looked] = lookups(emulator, "conversations.replies")
    assert looked.args["ts"] == parent["ts"]


async def test_stopping_hands_a_claim_back_and_the_next_dispatcher_looks_before_posting(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id = await queue(conn, "handed-back", "Interrupted", Target.channel(ACME))
    held = emulator.pause("chat.postMessage", times=1)
    sender = dispatcher(steward, clock)
    sender.start()
    sender.wake()
    await held.wait_for_calls(1)
    await asyncio.wait_for(sender.stop(), 5)
    state = await row(conn, delivery_id)
    # Back to pending at once (no lease to wait out), marked as possibly in Slack.
    assert state["status"] == "pending" and state["unconfirmed_since"] is not None
    held.abandon()  # the interrupted request never reached Slack
    successor = dispatcher(steward, clock)
    assert await successor.deliver_due(clock.now()) == [delivery_id]
    assert len(copies(emulator, ACME, delivery_id)) == 1
    assert len(lookups(emulator)) == 1


async def test_a_post_whose_connection_broke_after_slack_stored_it_is_looked_for_not_resent(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    """No answer at all (the connection reset after Slack stored the message): neither the Slack client nor
    the dispatcher resends it blindly; the next attempt finds it."""
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id = await queue(conn, "cut", "Cut off", Target.channel(ACME))
    cut = emulator.pause("chat.postMessage", after_handling=True, times=1)
    sender = dispatcher(steward, clock)  # the running bot's dispatching client
    sending = asyncio.create_task(sender.deliver_due(clock.now()))
    await cut.wait_for_calls(1)
    cut.cut()
    assert await asyncio.wait_for(sending, 10) == [delivery_id]
    state = await row(conn, delivery_id)
    assert state["status"] == "pending" and state["unconfirmed_since"] is not None
    clock.advance(timedelta(seconds=5))  # past its backoff
    assert await sender.deliver_due(clock.now()) == [delivery_id]
    [message] = copies(emulator, ACME, delivery_id)
    assert (await row(conn, delivery_id))["slack_ts"] == message["ts"]
    assert len(posts(emulator, delivery_id)) == 1 and len(lookups(emulator)) == 1


async def test_a_listener_reply_carries_the_key_of_the_event_it_answers(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    sent = await dm(emulator, SAM, "help")
    assert sent["metadata"]["event_type"] == REPLY_EVENT_TYPE
    key = sent["metadata"]["event_payload"]["event_key"]
    assert await fetchval(conn, "SELECT payload->'event'->>'text' FROM event_inbox WHERE event_key = %s", (key,)) == "help"
    # Found again in Slack by that key, as a delivery is by its id.
    channel = await emulator.dm_channel(SAM)
    found = await find_message(steward.deps.slack, channel=channel, since=datetime.now(UTC) - timedelta(minutes=1),
                               match=lambda m: ((m.get("metadata") or {}).get("event_payload") or {}).get("event_key") == key)
    assert found is not None and found["text"] == sent["text"]
