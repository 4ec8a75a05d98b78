"""Issue 12, graceful stop, on real processes: SIGTERM in the middle of a burst of 1,000 inbound events (DMs
that become drafts, replies in the morning thread, `/journal` commands) and 200 notifications due now.

Two `steward run` replicas share the emulator (which spreads envelopes over their sockets in turn and sends
an unacknowledged event again, to whichever socket is live) and the database. The first, the scheduler's
leader, is stopped with SIGTERM once part of both bursts is done: it exits 0 within
STEWARD_SHUTDOWN_SECONDS, its socket closed first (what Slack sends afterwards goes to the other replica),
and it leaves nothing claimed (no inbox row and no delivery waits out a lease; its leader lock is gone and
the other replica takes it). The other replica finishes the bursts: each event is answered exactly once in
Slack and recorded exactly once (a draft, a standup reply, a journal entry), each notification is posted
exactly once, nothing is dead-lettered. A slash command Slack saw unacknowledged (the person was shown an
error) is typed again, as its person would: it still takes effect once.

The second case: a second signal while the stop waits on Slack ends the process at once (128 + the signal),
and the process started again delivers everything exactly once (the leases run out and are claimed again).

CI size and full size (STEWARD_CHAOS_FULL=1): 1,000 events and 200 notifications (the issue's numbers); the
second case 200 events and 60 notifications."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.emulators.slack import InteractionResult, SlackEmulator
from bot.inbox import HEARTBEAT_SECONDS
from bot.services.notifications import LEASE
from jobs.leader import LEADER_LOCK_KEY
from tests.chaos.harness import StewardProcess, process_env, query, size, value
from tests.chaos.test_dispatch_kill import ANSWER_LATENCY, REQUEST_LATENCY, counts, queue_dms
from tests.e2e.conftest import STANDUP
from tests.helpers import eventually

pytestmark = pytest.mark.asyncio

SHUTDOWN_SECONDS = 20  # STEWARD_SHUTDOWN_SECONDS given to the processes (the default)
MARGIN = 5.0  # seconds beyond it for the exit itself on a loaded 2-core machine (a bound, not a speed)
TRIES = 5  # how many times a person types a slash command Slack showed them an error for


@dataclass
class Burst:
    """The inbound burst of one test: who says what, and what the emulator made of it."""

    events: int
    writers: list[str]  # DM and /journal authors (at most 17 DMs each: the parse limit is 20 a minute)
    repliers: list[str]  # one reply each in the morning thread
    thread_ts: str = ""
    dms: dict[str, tuple[str, str]] = field(default_factory=dict)  # text -> (person, DM channel)
    replies: dict[str, str] = field(default_factory=dict)  # text -> person
    journals: dict[str, list[InteractionResult]] = field(default_factory=dict)  # text -> each time it was typed
    sent: int = 0  # events sent so far

    def plan(self) -> list[tuple[str, str, str]]:
        """(kind, person, text) for each event, the kinds interleaved: 4 DMs, 3 replies, 3 commands in 10."""
        out: list[tuple[str, str, str]] = []
        counters = Counter[str]()
        for i in range(self.events):
            kind = ("dm", "dm", "dm", "dm", "reply", "reply", "reply", "journal", "journal", "journal")[i % 10]
            n = counters[kind]
            counters[kind] += 1
            if kind == "dm":
                out.append((kind, self.writers[n % len(self.writers)], f"I'll send report {n} to the client by Friday"))
            elif kind == "reply":
                out.append((kind, self.repliers[n], f"Today: draft the brief for client {n}"))
            else:
                out.append((kind, self.writers[n % len(self.writers)], f"Burst entry {n}: a calm afternoon"))
        return out


def people(prefix: str, count: int) -> list[str]:
    return [f"U0{prefix}{n:04d}" for n in range(count)]


async def open_morning_thread(emulator: SlackEmulator, dsn: str) -> str:
    """Today's morning thread in #standup, as the morning-thread job leaves it once posted: its ts."""
    root = emulator.add_message(STANDUP, ":sunrise: Good morning! What are you working on today?")
    org = await value(dsn, "SELECT id FROM organizations")
    await query(dsn, "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, posted_at) "
                     "VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::date, %s, 'posted', now())", (org, STANDUP, root["ts"]))
    return str(root["ts"])


async def journal(emulator: SlackEmulator, burst: Burst, person: str, text: str) -> None:
    """``person`` types `/journal text`; when Slack shows them an error (no ack within 3 s), again."""
    tries = burst.journals.setdefault(text, [])
    for _ in range(TRIES):
        result = await emulator.slash_command(person, "/journal", text)
        tries.append(result)
        if not result.timed_out:
            return


async def send_burst(emulator: SlackEmulator, burst: Burst, commands: list[asyncio.Task[None]]) -> None:
    """Every event of ``burst``, one after the other as fast as the emulator takes them (a command does not
    wait for its ack: its person's typing runs in a task of its own, kept in ``commands``)."""
    for kind, person, text in burst.plan():
        if kind == "dm":
            channel = await emulator.dm_channel(person)
            burst.dms[text] = (person, channel)
            await emulator.user_message(person, channel, text)
        elif kind == "reply":
            burst.replies[text] = person
            await emulator.user_message(person, STANDUP, text, thread_ts=burst.thread_ts)
        else:
            commands.append(asyncio.create_task(journal(emulator, burst, person, text)))
        burst.sent += 1


def event_ids(emulator: SlackEmulator) -> dict[str, str]:
    """The ts of each message event the emulator sent -> its event_id."""
    return {r.payload["event"]["ts"]: str(r.payload["event_id"]) for r in emulator.envelopes
            if r.type == "events_api" and r.payload.get("event", {}).get("type") == "message"}


def answers(emulator: SlackEmulator, channel: str) -> Counter[tuple[str, str]]:
    """Steward's posts in ``channel`` (threads included) by the inbox row and effect their metadata names."""
    out = Counter[tuple[str, str]]()
    for message in emulator.messages(channel):
        meta = message.get("metadata") or {}
        if message.get("bot_id") and meta.get("event_type") == "steward_reply":
            out[(meta["event_payload"]["event_key"], meta["event_payload"]["effect"])] += 1
    return out


async def handled(dsn: str, burst: Burst) -> int:
    """How many events of ``burst`` are handled (their inbox row done)."""
    return int(await value(dsn, "SELECT count(*) FROM event_inbox WHERE status = 'done' AND ("
                                "payload->'event'->>'text' LIKE 'I''ll send report %%' OR "
                                "payload->'event'->>'text' LIKE 'Today: draft the brief %%' OR "
                                "payload->>'text' LIKE 'Burst entry %%')"))


async def at_least(count: Any, floor: int) -> bool:
    return bool(await count >= floor)


async def assert_each_once(emulator: SlackEmulator, dsn: str, burst: Burst, deliveries: dict[str, int]) -> None:
    """Every event and notification of the test took effect exactly once, in Slack and in the database."""
    ids = event_ids(emulator)
    lost: list[str] = []
    duplicated: list[str] = []
    for text, (_, channel) in burst.dms.items():
        by_text = [m for m in emulator.messages(channel) if m.get("text") == text and not m.get("bot_id")]
        key = f"ev:{ids[by_text[0]['ts']]}"
        posts = {effect: n for (k, effect), n in answers(emulator, channel).items() if k == key}
        (lost if not posts else duplicated if max(posts.values()) > 1 else []).append(text)
    thread = answers(emulator, STANDUP)
    sent_replies = {m["text"]: m["ts"] for m in emulator.thread(STANDUP, burst.thread_ts) if not m.get("bot_id")}
    for text in burst.replies:
        key = f"ev:{ids[sent_replies[text]]}"
        posts = {effect: n for (k, effect), n in thread.items() if k == key}
        (lost if not posts else duplicated if max(posts.values()) > 1 else []).append(text)
    assert (lost, duplicated) == ([], []), f"{len(lost)} lost, {len(duplicated)} answered twice"

    drafts = Counter(r[0] for r in await query(dsn, "SELECT raw_text FROM task_drafts"))
    assert {t: drafts[t] for t in burst.dms if drafts[t] != 1} == {}
    submissions = Counter(r[0] for r in await query(dsn, "SELECT raw_text FROM thread_submissions"))
    assert {t: submissions[t] for t in burst.replies if submissions[t] != 1} == {}
    entries = Counter(r[0] for r in await query(dsn, "SELECT body FROM journals"))
    assert {t: entries[t] for t in burst.journals if entries[t] != 1} == {}
    # The try that was acknowledged is the one answered; a try Slack showed an error for did nothing.
    for text, tries in burst.journals.items():
        assert [bool(t.responses) for t in tries] == [not t.timed_out for t in tries], (text, tries)
    assert await value(dsn, "SELECT count(*) FROM event_inbox WHERE status NOT IN ('done', 'expired')") == 0

    for person, delivery_id in deliveries.items():
        channel = await emulator.dm_channel(person)
        mine = [m for m in emulator.messages(channel)
                if (m.get("metadata") or {}).get("event_payload") == {"delivery_id": delivery_id}]
        assert len(mine) == 1, (person, len(mine))
    assert (await counts(dsn, list(deliveries.values()))) == {"sent": len(deliveries)}


async def leader_backend(dsn: str) -> int | None:
    """The PostgreSQL backend holding the scheduler's leader lock (jobs/leader.py), if any."""
    return await value(dsn, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 "
                            "AND objid = %s AND objsubid = 1", (LEADER_LOCK_KEY,))


async def start(emulator: SlackEmulator, dsn: str, tmp_path: Path, name: str) -> StewardProcess:
    proc = StewardProcess(process_env(emulator, dsn, tmp_path / name, STEWARD_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS)),
                          name=name)
    await proc.start(emulator)
    return proc


def add_people(emulator: SlackEmulator, burst: Burst) -> None:
    for person in burst.writers + burst.repliers:
        emulator.add_user(person, person.lower(), f"Person {person}")


async def test_sigterm_mid_burst_exits_0_within_the_bound_and_the_other_replica_does_each_once(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    events, notices = size(1000, 1000), size(200, 200)
    burst = Burst(events, writers=people("W", 40), repliers=people("R", events * 3 // 10 + 1))
    add_people(emulator, burst)
    emulator.set_latency("chat.postMessage", before=REQUEST_LATENCY, after=ANSWER_LATENCY)
    first = await start(emulator, db_dsn, tmp_path, "first")  # the leader: started first
    second: StewardProcess | None = None
    commands: list[asyncio.Task[None]] = []
    sender: asyncio.Task[None] | None = None
    try:
        second = await start(emulator, db_dsn, tmp_path, "second")
        assert len(emulator.hub.live) == 2
        first_socket, second_socket = emulator.hub.live
        leader = await leader_backend(db_dsn)
        assert leader is not None
        burst.thread_ts = await open_morning_thread(emulator, db_dsn)
        sender = asyncio.create_task(send_burst(emulator, burst, commands))
        # The notifications go out far faster than the events are handled: queued once part of the events is.
        await eventually(lambda: at_least(handled(db_dsn, burst), events // 5), within=90, interval=0.02)
        deliveries = await queue_dms(db_dsn, "chaos.stop", burst.repliers[:notices])

        async def mid_flight() -> bool:
            now = await counts(db_dsn, list(deliveries.values()))
            return notices // 4 <= now.get("sent", 0) and now.get("sending", 0) >= 1

        await eventually(mid_flight, within=60, interval=0.005)
        assert await handled(db_dsn, burst) < events
        started = time.monotonic()
        code = await first.terminate(timeout=SHUTDOWN_SECONDS + 30)
        took = time.monotonic() - started
        assert code == 0, first.tail()
        assert took <= SHUTDOWN_SECONDS + MARGIN, f"{took:.1f} s"
        # It stopped taking envelopes first: its socket closed while it was stopping, and the burst went on
        # over the other one.
        assert first_socket.closed_at is not None and first_socket.closed_at - started < took
        # It left nothing claimed: a row it was handling and a delivery it was sending would still be held
        # (not renewed) after two heartbeats of the other replica.
        held = {r[0]: r[1] for r in await query(db_dsn, "SELECT id, locked_at FROM event_inbox WHERE status = 'processing'")}
        sending = {r[0]: r[1] for r in await query(
            db_dsn, "SELECT id, claim_token FROM notification_deliveries WHERE status = 'sending'")}
        await asyncio.sleep(2 * HEARTBEAT_SECONDS + 0.5)
        still = await query(db_dsn, "SELECT id, locked_at FROM event_inbox WHERE status = 'processing' AND id = ANY(%s)",
                            (list(held),))
        assert [i for i, at in still if held[i] == at] == []
        still = await query(db_dsn, "SELECT id, claim_token FROM notification_deliveries WHERE status = 'sending' "
                                    "AND id = ANY(%s)", (list(sending),))
        assert [i for i, token in still if sending[i] == token] == []
        assert await value(db_dsn, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (leader,)) == 0

        await asyncio.wait_for(sender, 120)
        await asyncio.wait_for(asyncio.gather(*commands), 120)

        async def drained() -> bool:
            done = await counts(db_dsn, list(deliveries.values()))
            return await handled(db_dsn, burst) >= events and done.get("sent", 0) == notices

        await eventually(drained, within=120, interval=0.2)
        assert second.running and second_socket in emulator.hub.live
        await assert_each_once(emulator, db_dsn, burst, deliveries)
        assert await query(db_dsn, "SELECT event_key, attempts, last_error FROM event_inbox WHERE status = 'dead'") == []
        # The other replica takes the leader lock (it tries every 15 s).
        await eventually(lambda: leader_backend(db_dsn), within=30, interval=0.5)
    finally:
        if sender is not None:
            sender.cancel()
        for task in commands:
            task.cancel()
        await first.aclose()
        if second is not None:
            await second.aclose()


async def test_a_second_signal_during_the_stop_exits_at_once_and_a_restart_delivers_each_once(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    events, notices = size(200, 200), size(60, 60)
    burst = Burst(events, writers=people("X", 12), repliers=people("Y", events * 3 // 10 + 1))
    add_people(emulator, burst)
    emulator.connect_wait = 60.0  # Slack keeps trying a while for a connection (the process restarts)
    proc = await start(emulator, db_dsn, tmp_path, "steward")
    commands: list[asyncio.Task[None]] = []
    sender: asyncio.Task[None] | None = None
    held = None
    try:
        burst.thread_ts = await open_morning_thread(emulator, db_dsn)
        deliveries = await queue_dms(db_dsn, "chaos.forced", burst.repliers[:notices])
        sender = asyncio.create_task(send_burst(emulator, burst, commands))
        await eventually(lambda: handled(db_dsn, burst), within=60, interval=0.02)
        # Slack takes the posts from now on but its answers do not come back: the stop waits on them.
        held = emulator.pause("chat.postMessage", after_handling=True)
        await held.wait_for_calls(1, timeout=30)
        socket = emulator.hub.live[0]
        proc.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        await eventually(lambda: socket.closed_at is not None, within=10, interval=0.01)
        started = time.monotonic()
        assert await proc.terminate(sig=signal.SIGINT, timeout=10) == 128 + signal.SIGINT
        assert time.monotonic() - started < 3.0  # at once: not after the stop's bounds (seconds each)
        assert proc.running is False
        held.resume()
        await proc.start(emulator)
        await asyncio.wait_for(sender, 120)
        await asyncio.wait_for(asyncio.gather(*commands), 120)

        async def drained() -> bool:
            done = await counts(db_dsn, list(deliveries.values()))
            return await handled(db_dsn, burst) >= events and done.get("sent", 0) == notices

        await eventually(drained, within=120 + LEASE.total_seconds(), interval=0.2)
        await assert_each_once(emulator, db_dsn, burst, deliveries)
        assert await value(db_dsn, "SELECT count(*) FROM event_inbox WHERE status = 'dead'") == 0
        assert await proc.terminate(timeout=SHUTDOWN_SECONDS + MARGIN) == 0
    finally:
        if held is not None:
            held.resume()
        if sender is not None:
            sender.cancel()
        for task in commands:
            task.cancel()
        await proc.aclose()
