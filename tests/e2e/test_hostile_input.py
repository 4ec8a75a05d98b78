"""Hostile and malformed input (issue 11, part 7), end to end: the real bot on the Slack emulator and a
fresh PostgreSQL.

* A payload that does not match what Steward sent (a forged view state, a button value of the wrong type
  or form, a str where a dict was expected) is refused at once: its inbox row is done after one attempt
  (no retry, no dead letter), the person gets a polite private answer, and `security_audit_logs` has an
  `invalid_payload` row.
* Every envelope with an `envelope_id` is acked, whatever it holds.
* Nothing a person wrote is echoed as a special mention; a memory answer in a channel names people
  instead of mentioning them.
* A raw event whose fields have the wrong types is finished, not left `processing`.
* A DM holding only a file gets a reply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.app import Steward
from bot.emulators.slack import SlackEmulator, payloads
from bot.slack_markup import NO_PING
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, STANDUP, TEAM, dm
from tests.e2e.test_context_answers import _backfilled, _client_for_acme, _mention, _pipeline, _start
from tests.helpers import eventually, fetchval

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam")


async def _db(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def _settled(dsn: str) -> None:
    """Every inbox row finished (done or dead): nothing pending, nothing left processing."""
    async with await _db(dsn) as conn:
        await eventually(lambda: _nothing_open(conn), within=20)


async def _nothing_open(conn: psycopg.AsyncConnection) -> bool:
    return await fetchval(conn, "SELECT count(*) FROM event_inbox WHERE status IN ('pending', 'processing')") == 0


async def _rows(dsn: str) -> list[tuple[str, int, str | None]]:
    async with await _db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(  # type: ignore[misc]
            "SELECT status, attempts, last_error FROM event_inbox ORDER BY id")).fetchall()]


async def _invalid_logged(dsn: str) -> list[tuple[str | None, str, dict[str, Any]]]:
    async with await _db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(  # type: ignore[misc]
            "SELECT external_user_id, threat_level, details FROM security_audit_logs "
            "WHERE event_type = 'invalid_payload' ORDER BY id")).fetchall()]


def _shown(args: dict[str, Any]) -> str:
    return json.dumps({k: args.get(k) for k in ("text", "blocks", "view")}, ensure_ascii=False)


def _dm_message(emu: SlackEmulator, user: str) -> dict[str, Any]:
    """A message of Steward's in ``user``'s DM (a button's home), posted for the test."""
    channel = emu.workspace.dm_channel(user)
    return emu.workspace.bot_message(channel, "A message with buttons", blocks=[
        {"type": "actions", "block_id": "b1", "elements": [
            {"type": "button", "action_id": "x", "value": "1", "text": {"type": "plain_text", "text": "x"}}]}])


def _click(emu: SlackEmulator, user: str, action: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload on a message in the person's DM, carrying ``action`` as given."""
    message = _dm_message(emu, user)
    channel = emu.workspace.dm_channel(user)
    return payloads.block_actions_on_message(emu.identity, emu.workspace.user(user), channel, message, [action], "", "")


def _button(action_id: str, value: Any) -> dict[str, Any]:
    return {"action_id": action_id, "block_id": "b1", "type": "button", "value": value, "action_ts": "1.2",
            "text": {"type": "plain_text", "text": "x"}}


def _answers_to(emu: SlackEmulator, user: str, since: int) -> list[str]:
    """What Steward said privately to ``user`` since call ``since``: responses, ephemerals and DMs."""
    dm_channel = emu.workspace.dm_channel(user).id
    said = [c.args.get("text") or "" for c in emu.calls[since:]
            if (c.method == "chat.postEphemeral" and c.args.get("user") == user)
            or (c.method == "chat.postMessage" and c.args.get("channel") in (user, dm_channel))]
    return said + [p.body.get("text") or "" for p in emu.response_posts]


FORGED_CLICKS = [
    ("task_mark_done", "99999999999999999999"),  # beyond any id PostgreSQL holds
    ("task_mark_done", "\u00b2"),  # a digit to str.isdigit, not to int()
    ("draft_confirm", {"draft": 3}),  # a dict where Slack always sends a string
    ("draft_edit", "1:x"),
    ("home_task_move", "7"),  # no stage after the task id
    ("stage_remove_into", "1"),
    ("reminder_cancel", "abc"),
    ("mood_note_open", "not-a-date"),
    ("standup_undo", 12),
    ("ooo_undo", ["1"]),
    ("memory_delete", "\u0663"),  # an Arabic-Indic three
    ("eod_all_done", None),
]


@pytest.mark.parametrize(("action_id", "value"), FORGED_CLICKS, ids=[f"{a}={v!r}" for a, v in FORGED_CLICKS])
async def test_a_forged_button_value_is_refused_at_once_logged_and_answered(
        emulator: SlackEmulator, steward: Steward, db_dsn: str, action_id: str, value: Any) -> None:
    mark = len(emulator.calls)
    result = await emulator.send_payload("interactive", _click(emulator, SAM, _button(action_id, value)), user=SAM)
    assert result.acked and not result.timed_out
    await _settled(db_dsn)
    assert [(status, attempts) for status, attempts, _ in await _rows(db_dsn)] == [("done", 1)]
    (who, level, details), = await _invalid_logged(db_dsn)
    assert who == SAM and level == "low" and details["action_id"] == action_id
    answer = await result.wait_for_response(timeout=10)
    assert "button" in (answer.text or "") and "Sorry" in (answer.text or "")
    assert not [t for t in _answers_to(emulator, SAM, mark) if "something went wrong" in t]


SHAPES = [
    pytest.param(lambda p: {**p, "actions": "task_mark_done"}, id="actions-a-str"),
    pytest.param(lambda p: {**p, "actions": [5]}, id="an-action-an-int"),
    pytest.param(lambda p: {**p, "actions": []}, id="no-action"),
    pytest.param(lambda p: {**p, "container": "C1"}, id="container-a-str"),
    pytest.param(lambda p: {**p, "message": "hello", "container": {"type": "message"}}, id="message-a-str"),
    pytest.param(lambda p: {**p, "channel": ["C1"]}, id="channel-a-list"),
    pytest.param(lambda p: {**p, "actions": [{**p["actions"][0], "selected_options": "1"}]}, id="options-a-str"),
]


@pytest.mark.parametrize("forge", SHAPES)
async def test_a_block_action_of_the_wrong_shape_is_refused_at_once(
        emulator: SlackEmulator, steward: Steward, db_dsn: str, forge: Any) -> None:
    payload = forge(_click(emulator, SAM, _button("task_mark_done", "1")))
    result = await emulator.send_payload("interactive", payload, user=SAM)
    assert result.acked
    await _settled(db_dsn)
    assert [(status, attempts) for status, attempts, _ in await _rows(db_dsn)] == [("done", 1)]
    assert [who for who, _, _ in await _invalid_logged(db_dsn)] == [SAM]
    answer = await result.wait_for_response(timeout=10)
    assert "Sorry" in (answer.text or "")


def _view(callback_id: str, private_metadata: str, values: Any) -> dict[str, Any]:
    return {"id": "V0FORGED", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
            "team_id": TEAM, "blocks": [], "state": {"values": values}, "title": {"type": "plain_text", "text": "x"}}


FORGED_VIEWS = [
    pytest.param("draft_edit", "junk", {"title": {"title": {"type": "plain_text_input", "value": "Fix the bug"}}},
                 id="draft_edit-metadata-junk"),
    pytest.param("task_edit", "12abc", {"title": {"title": {"type": "plain_text_input", "value": "Fix it"}}},
                 id="task_edit-metadata-junk"),
    pytest.param("task_edit", "1", {"due_date": {"due_date": {"type": "datepicker", "selected_date": "someday"}},
                                    "title": {"title": {"type": "plain_text_input", "value": "Fix it"}}},
                 id="task_edit-a-date-that-is-none"),
    pytest.param("eod_drop", "2026-03-06|D1", {"task": {"task": {"type": "static_select", "selected_option": {"value": "\u00b2"}}},
                                               "reason": {"reason": {"type": "plain_text_input", "value": "cancelled"}}},
                 id="eod_drop-metadata-and-option-junk"),
    pytest.param("mood_note", "yesterday||", {"note": {"note": "a str where a dict was expected"}}, id="mood_note-junk"),
    pytest.param("standup_reply_edit", "x|1.2|C1|1.3", {"text": {"text": {"type": "plain_text_input", "value": "Today: ship"}}},
                 id="standup_reply_edit-id-junk"),
    pytest.param("standup_settings", "", {"workdays": {"workdays": {"type": "checkboxes", "selected_options": [{"value": "\u00b2"}]}}},
                 id="standup_settings-workday-junk"),
    pytest.param("standup_settings", "", "values-a-str", id="state-values-a-str"),
]


@pytest.mark.parametrize(("callback_id", "metadata", "values"), FORGED_VIEWS)
async def test_a_forged_view_submission_is_refused_at_once_and_logged(
        emulator: SlackEmulator, steward: Steward, db_dsn: str, callback_id: str, metadata: str, values: Any) -> None:
    mark = len(emulator.calls)
    payload = payloads.view_submission(emulator.identity, emulator.workspace.user(MAYA), _view(callback_id, metadata, values), "")
    result = await emulator.send_payload("interactive", payload)
    assert result.acked and not result.timed_out
    await _settled(db_dsn)
    assert [(status, attempts) for status, attempts, _ in await _rows(db_dsn)] == [("done", 1)]
    (who, _level, details), = await _invalid_logged(db_dsn)
    assert who == MAYA and details["callback_id"] == callback_id
    told = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, emulator.workspace.dm_channel(MAYA).id),
                                        since=mark, timeout=10)
    assert "form" in told.args["text"] and "Sorry" in told.args["text"]


RAW_ENVELOPES = [
    {"envelope_id": "raw-no-payload", "type": "events_api"},
    {"envelope_id": "raw-no-type", "payload": {"type": "event_callback"}},
    {"envelope_id": "raw-payload-a-list", "type": "events_api", "payload": [1, 2]},
    {"envelope_id": "raw-payload-null", "type": "interactive", "payload": None},
    {"envelope_id": "raw-type-an-int", "type": 5, "payload": {"event_id": "Ev0RAW5"}},
    {"envelope_id": "raw-actions-a-str", "type": "interactive", "payload": {"type": "block_actions", "trigger_id": "1.1", "actions": "x"}},
    {"envelope_id": "raw-team-a-dict", "type": "slash_commands", "payload": {"command": "/steward", "team_id": {"id": TEAM}, "text": "help"}},
    {"envelope_id": "raw-authorizations-a-str", "type": "events_api",
     "payload": {"type": "event_callback", "event_id": "Ev0RAWAUTH", "authorizations": "x", "event": {"type": "message"}}},
]


async def test_every_envelope_with_an_envelope_id_is_acked(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    for raw in RAW_ENVELOPES:
        await emulator.send_raw_envelope(raw)
    # JSON that PostgreSQL's jsonb cannot hold as such: NaN, and a lone surrogate.
    await emulator.send_raw_envelope('{"envelope_id": "raw-nan", "type": "events_api", "payload": '
                                     '{"type": "event_callback", "event_id": "Ev0NAN", "event": {"type": "message", "x": NaN}}}')
    await emulator.send_raw_envelope('{"envelope_id": "raw-surrogate", "type": "events_api", "payload": '
                                     '{"type": "event_callback", "event_id": "Ev0SUR", "event": {"type": "message", "text": "\\ud800"}}}')
    ids = [r["envelope_id"] for r in RAW_ENVELOPES] + ["raw-nan", "raw-surrogate"]
    await eventually(lambda: all(e.acked for e in emulator.envelopes if e.envelope_id in ids), within=10)
    await _settled(db_dsn)
    assert not [r for r in await _rows(db_dsn) if r[0] != "done" or r[1] > 1]
    # and the bot still answers
    assert "Here's what I can do" in (await dm(emulator, PRIYA, "help"))["text"]


async def test_a_raw_event_with_fields_of_the_wrong_type_is_finished_not_left_processing(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    event = {"type": "member_joined_channel", "user": 5, "channel": ACME, "channel_type": "C", "team": TEAM, "event_ts": "1.1"}
    await emulator.send_raw_envelope({"envelope_id": "env-user-5", "type": "events_api", "accepts_response_payload": False,
                                      "payload": payloads.event_callback(emulator.identity, event, "Ev0USER5")})
    async with await _db(db_dsn) as conn:
        await eventually(lambda: fetchval(conn, "SELECT status = 'done' FROM event_inbox WHERE event_key = 'ev:Ev0USER5'"), within=10)
        assert await fetchval(conn, "SELECT attempts FROM event_inbox WHERE event_key = 'ev:Ev0USER5'") == 1
    assert "Here's what I can do" in (await dm(emulator, PRIYA, "help"))["text"]


# ---------------------------------------------------------------- echoes never ping

async def test_the_reminder_confirmation_of_the_issue_does_not_ping_the_user_group(
        emulator: SlackEmulator, steward: Steward) -> None:
    said = await dm(emulator, SAM, "remind me to <!subteam^S0ALL|@all> call the bank in 2 hours", within=15)
    for ping in PINGS:
        assert ping not in _shown(said)
    assert f"@{NO_PING}all call the bank" in said["text"]


async def test_echoes_of_special_mentions_in_answers_never_ping(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    mark = len(emulator.calls)
    typed = ["<!here>", "<!channel>", "<!everyone>", "<!subteam^S0ALL|@all>"]
    for ping in typed:
        await dm(emulator, SAM, f"I'll tell {ping} about the launch by Friday", within=15)
        await emulator.slash_command(SAM, "/task", f"add brief {ping} on the outage by Monday", channel=ACME)
        await emulator.slash_command(SAM, "/ooo", f"tomorrow {ping} dentist", channel=ACME)
        await emulator.slash_command(SAM, "/tasks", ping, channel=ACME)
        await emulator.slash_command(SAM, "/board", ping, channel=ACME)
        await emulator.slash_command(SAM, "/task", f"move T-1 {ping}", channel=ACME)
        await emulator.slash_command(SAM, "/task", f"drop T-1 {ping} asked for it", channel=ACME)
        await emulator.slash_command(MAYA, "/steward", f"stage add {ping} QA", channel=ACME)
        await emulator.slash_command(MAYA, "/steward", f"client remove {ping}", channel=ACME)
        await emulator.slash_command(SAM, "/mood", f"2 {ping} meetings", channel=ACME)
        await emulator.slash_command(SAM, "/steward", f"dates {ping}", channel=ACME)
        await emulator.slash_command(SAM, "/steward", f"{ping} what", channel=ACME)
        await emulator.slash_command(SAM, "/ask", f"what did {ping} say?", channel=ACME)
    await _settled(db_dsn)
    shown = [_shown(c.args) for c in emulator.calls[mark:] if c.method.startswith(("chat.", "views."))]
    shown += [json.dumps(p.body, ensure_ascii=False) for p in emulator.response_posts]
    leaks = [s for s in shown for ping in PINGS if ping in s]
    assert leaks == [], "\n".join(leaks)


async def test_a_memory_answer_in_a_channel_names_people_instead_of_mentioning_them(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    emulator.workspace.channel(ACME).members.append(PRIYA)
    emulator.add_message(ACME, f"Heads up: <@{PRIYA}> owns the Acme SSO certificate renewal, and <@{SAM}> reviews the "
                               "new metadata before it goes out.", MAYA)
    running = await _start(emulator, db_dsn, tmp_path)
    try:
        await _client_for_acme(db_dsn)
        await _backfilled(db_dsn, ACME, STANDUP)
        await _pipeline(running.bot)
        _ts, public = await _mention(emulator, MAYA, ACME, "what's going on with Acme?")
        call = [c for c in emulator.calls if c.method == "chat.postMessage" and c.args.get("channel") == ACME][-1]
        assert "SSO certificate renewal" in public.body
        assert "<@U" not in _shown(call.args)  # nobody is pinged again by the answer
        assert "Priya Nair owns the Acme SSO certificate renewal, and Sam Carter reviews" in public.body
        # Asked privately, the people stay mentions (a mention in a DM notifies nobody else).
        private = await emulator.slash_command(MAYA, "/ask", "what's going on with Acme?", channel=ACME)
        assert f"<@{PRIYA}> owns the Acme SSO" in ((await private.wait_for_response(timeout=15)).text or "")
    finally:
        await running.stop()


# ---------------------------------------------------------------- a file alone

async def test_a_dm_with_only_a_file_gets_a_reply(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(PRIYA)
    mark = len(emulator.calls)
    await emulator.user_file(PRIYA, channel, "screenshot.png", b"\x89PNG...")
    reply = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, PRIYA),
                                         since=mark, timeout=10)
    assert "file" in reply.args["text"] and "words" in reply.args["text"]
    # With a comment, the words are read as any DM.
    mark = len(emulator.calls)
    await emulator.user_file(PRIYA, channel, "notes.txt", b"notes", text="help")
    reply = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, PRIYA),
                                         since=mark, timeout=10)
    assert "Here's what I can do" in reply.args["text"]

