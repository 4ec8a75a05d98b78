"""The Slack spine end to end: real bot, real sockets, the emulator, the real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import psycopg

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, TEAM, dm, start_steward
from tests.helpers import eventually, fetchval


async def test_dm_help_and_slash_help(emulator: SlackEmulator, steward: Steward) -> None:
    reply = await dm(emulator, SAM, "help")
    assert "Here's what I can do" in reply["text"]
    assert "/task add" in reply["text"]

    result = await emulator.slash_command(SAM, "/steward", "help", channel=ACME)
    assert result.acked and not result.timed_out
    response = await result.wait_for_response(timeout=5)
    assert "Here's what I can do" in response.text
    assert response.body.get("response_type") == "ephemeral"


async def test_unknown_subcommand_gets_a_polite_hint(emulator: SlackEmulator, steward: Steward) -> None:
    result = await emulator.slash_command(SAM, "/steward", "frobnicate now", channel=ACME)
    response = await result.wait_for_response(timeout=5)
    assert "I don't know `/steward frobnicate`" in response.text
    assert "/steward help" in response.text


async def test_workspace_sync_fills_org_users_and_admins(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM platform_connections WHERE external_team_id = %s", (TEAM,)) == 1
        rows = await (await conn.execute(
            "SELECT pi.external_id, u.role, u.timezone, u.active FROM users u JOIN platform_identities pi ON pi.user_id = u.id ORDER BY 1")).fetchall()
    people = {r[0]: r[1:] for r in rows}
    assert set(people) == {MAYA, SAM, PRIYA, DIEGO}  # no bots, no Slackbot
    assert people[MAYA] == ("admin", "America/New_York", True)  # the owner, with no STEWARD_ADMINS set
    assert people[PRIYA] == ("member", "Asia/Kolkata", True)


async def test_deactivated_user_becomes_inactive_and_new_user_is_created_on_the_spot(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    emulator.workspace.user(DIEGO).deleted = True
    await steward.sync_workspace()
    emulator.add_user("U0NEW", "newbie", "New Person", tz="Europe/Berlin")
    await dm(emulator, "U0NEW", "help")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        rows = dict(await (await conn.execute(
            "SELECT pi.external_id, u.active FROM users u JOIN platform_identities pi ON pi.user_id = u.id")).fetchall())
        tz = await fetchval(conn, "SELECT u.timezone FROM users u JOIN platform_identities pi ON pi.user_id = u.id WHERE pi.external_id = 'U0NEW'")
    assert rows[DIEGO] is False  # kept, inactive
    assert rows["U0NEW"] is True and tz == "Europe/Berlin"


async def test_duplicate_envelope_and_slack_retry_are_processed_once(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    event = {"type": "message", "channel": channel, "user": SAM, "text": "help", "ts": "1790000000.000100",
             "channel_type": "im", "event_ts": "1790000000.000100"}
    payload = {"type": "event_callback", "team_id": TEAM, "api_app_id": emulator.app_id, "event_id": "Ev0DUP1",
               "event_time": 1790000000, "event": event}
    mark = len(emulator.calls)
    for attempt, reason in ((0, ""), (0, ""), (1, "timeout"), (2, "timeout")):
        await emulator.send_raw_envelope({"envelope_id": f"env-{attempt}-{reason}-{len(emulator.envelopes)}", "type": "events_api",
                                          "accepts_response_payload": False, "retry_attempt": attempt,
                                          "retry_reason": reason, "payload": payload})
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channel, since=mark)
    await asyncio.sleep(0.5)
    replies = [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("channel") == channel]
    assert len(replies) == 1
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM event_inbox WHERE event_key = 'ev:Ev0DUP1'") == 1
        assert await fetchval(conn, "SELECT status FROM event_inbox WHERE event_key = 'ev:Ev0DUP1'") == "done"
    assert steward.metrics.events_duplicate == 3


async def test_event_stored_but_not_processed_survives_a_crash(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    first = await start_steward(emulator, db_dsn, tmp_path)
    # Simulate a crash between the inbox commit and processing: the worker is gone.
    await first.bot.worker.stop()
    channel = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.user_message(SAM, channel, "help")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await eventually(lambda: fetchval(conn, "SELECT count(*) FROM event_inbox WHERE status = 'pending' AND payload->'event'->>'text' = 'help'"))
    assert all(e.acked for e in emulator.envelopes)  # acked after the durable write
    await first.stop()
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("channel") == channel]

    second = await start_steward(emulator, db_dsn, tmp_path)
    try:
        await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channel, since=mark)
        await asyncio.sleep(0.5)
        replies = [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("channel") == channel]
        assert len(replies) == 1
    finally:
        await second.stop()


async def test_socket_drop_reconnects_and_handles_next_event(emulator: SlackEmulator, steward: Steward) -> None:
    opens_before = len(emulator.calls_to("apps.connections.open"))
    emulator.drop_sockets()
    await eventually(lambda: (len(emulator.calls_to("apps.connections.open")) > opens_before and emulator.connections >= 1))
    reply = await dm(emulator, PRIYA, "help")
    assert "Here's what I can do" in reply["text"]



async def test_malformed_huge_and_emoji_only_input(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    # Malformed frames: not JSON, and an envelope whose payload is nonsense.
    await emulator.send_raw_envelope("{not json")
    await emulator.send_raw_envelope({"envelope_id": "bad-1", "type": "events_api", "payload": {"event": "not-a-dict"}})
    huge = "word " * 8000  # 40,000 characters
    reply = await dm(emulator, SAM, huge)
    assert "long message" in reply["text"]
    emoji = await dm(emulator, SAM, "\U0001F389\U0001F680\U0001F44D")
    assert "tell me in words" in emoji["text"]
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        stored = await fetchval(conn, "SELECT payload->'event'->>'text' FROM event_inbox WHERE length(payload->'event'->>'text') = 40000")
        assert stored == huge  # stored verbatim
        bad = await fetchval(conn, "SELECT status FROM event_inbox WHERE payload->>'event' = 'not-a-dict'")
    assert bad in ("done", "pending", "dead")  # stored, and never crashed the bot
    again = await dm(emulator, PRIYA, "help")
    assert "Here's what I can do" in again["text"]


async def test_health_and_metrics(emulator: SlackEmulator, steward: Steward) -> None:
    await dm(emulator, SAM, "help")
    # The counter moves once the inbox row is marked done, just after the reply went out.
    await eventually(lambda: (steward.metrics.events_processed >= 1))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{steward.health_port}/healthz") as resp:
            body = json.loads(await resp.text())
            assert resp.status == 200
        async with http.get(f"http://127.0.0.1:{steward.health_port}/metrics") as resp:
            metrics = await resp.text()
    assert body["checks"] == {"database": True, "slack_socket": True, "scheduler_leader": True}
    assert "steward_events_received_total" in metrics
    processed = [line for line in metrics.splitlines() if line.startswith("steward_events_processed_total ")]
    assert processed and float(processed[0].split()[1]) >= 1


async def test_failing_event_is_retried_then_dead_lettered_and_doctor_shows_it(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    from bot.doctor import collect
    from bot.settings import Settings

    calls: list[int] = []

    async def explode(ack, **_):  # type: ignore[no-untyped-def]
        await ack()
        calls.append(1)
        raise RuntimeError("the widget fell over")

    from bot.listeners.help import subcommands

    subcommands(steward.deps)["explode"] = explode
    steward.worker.backoff_base = 0.01
    steward.worker.poll_seconds = 0.05
    mark = len(emulator.calls)
    await emulator.slash_command(SAM, "/steward", "explode now", channel=ACME)
    notice = await emulator.wait_for_call("chat.postEphemeral", lambda c: "something went wrong" in c.args.get("text", ""),
                                          since=mark, timeout=20)
    assert notice.args["user"] == SAM
    assert len(calls) == 5  # five attempts, then the dead letter
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        row = await (await conn.execute("SELECT status, attempts, last_error FROM event_inbox WHERE payload->>'text' = 'explode now'")).fetchone()
    assert row[0] == "dead" and row[1] == 5 and "widget fell over" in row[2]
    checks = await collect(Settings.from_env({"DATABASE_URL": db_dsn}))
    inbox = next(c for c in checks if c.name == "event inbox")
    assert inbox.status == "WARN" and "1 dead-lettered" in inbox.detail


async def test_llm_backed_actions_are_rate_limited_per_person(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        user_id = await fetchval(conn, "SELECT user_id FROM platform_identities WHERE external_id = %s", (SAM,))
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute("INSERT INTO rate_limit_events (organization_id, user_id, action, created_at) "
                           "SELECT %s, %s, 'llm.parse', now() FROM generate_series(1, 20)", (org, user_id))
    reply = await dm(emulator, SAM, "fix the login bug by Friday")
    assert "going a bit fast" in reply["text"] and "Nothing you sent was lost" in reply["text"]
    other = await dm(emulator, PRIYA, "fix the signup bug by Friday")  # others are not affected
    assert "going a bit fast" not in other.get("text", "")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM rate_limit_events WHERE NOT allowed AND user_id = %s", (user_id,)) == 1


async def test_a_command_nobody_handles_still_gets_an_answer(emulator: SlackEmulator, steward: Steward) -> None:
    result = await emulator.slash_command(SAM, "/retro", "<@U0PRIYA> thanks!", channel=ACME)
    response = await result.wait_for_response(timeout=10)
    assert "`/retro` isn't something I can do yet" in response.text


async def test_database_dropping_every_connection_loses_nothing(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await dm(emulator, SAM, "help")  # warm: the pool holds connections now
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as admin:
        # What a PostgreSQL restart or failover does to every client: all sessions killed.
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    # Slack does not retry a slash command: it must be stored and acked on the first try.
    result = await emulator.slash_command(SAM, "/steward", "help", channel=ACME)
    assert result.acked and not result.timed_out
    assert "Here's what I can do" in (await result.wait_for_response(timeout=10)).text
    reply = await dm(emulator, PRIYA, "help", within=20)
    assert "Here's what I can do" in reply["text"]
    # The scheduler's leadership connection died too; it is taken again.
    await eventually(lambda: _leader(steward), within=10)


async def _leader(steward: Steward) -> bool:
    await steward.leadership.try_acquire()
    return steward.leadership.is_leader


async def test_admins_get_one_welcome_with_the_setup_steps(emulator: SlackEmulator, steward: Steward, db_dsn: str,
                                                           tmp_path: Path) -> None:
    maya_dm = await emulator.dm_channel(MAYA)
    welcome = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm), timeout=10)
    assert "I'm Steward" in welcome.args["text"] and "/steward standup channel" in welcome.args["text"]
    # A second process (or a restart) does not welcome again; members are not welcomed at all.
    second = await start_steward(emulator, db_dsn, tmp_path / "second")
    try:
        await second.bot.dispatcher.run_once()
    finally:
        await second.stop()
    texts = [m["text"] for m in emulator.messages(maya_dm) if "I'm Steward" in m.get("text", "")]
    assert len(texts) == 1
    assert not [m for m in emulator.messages(await emulator.dm_channel(SAM)) if "I'm Steward" in m.get("text", "")]
