"""Task state stays consistent (issue 10, part 6), end to end through the emulator: a dropped task is never
done or moved until reopened, the board counts what it shows and keeps a Done column, `/task edit` reads
words and says what changed, confirmations never say "due no due date", `/task assign` tells the new
owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, start_steward
from tests.helpers import eventually, fetchval

# Wednesday 4 March 2026, 14:00 UTC: 14:00 in London (Sam), 09:00 in New York (Maya, Diego), 19:30 in
# Kolkata (Priya): nobody is in quiet hours.
NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=NOW)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    emulator.workspace.users[SAM].locale = "en-GB"  # day-first; Diego keeps Slack's en-US
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute("INSERT INTO clients (organization_id, name) VALUES (%s, 'Acme Corp')", (org,))
    try:
        yield running.bot
    finally:
        await running.stop()


async def db(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def command(emu: SlackEmulator, user: str, name: str, text: str) -> Any:
    """Run a slash command; its (ephemeral) response."""
    return await (await emu.slash_command(user, name, text, channel=ACME)).wait_for_response(timeout=10)


async def task_says(emu: SlackEmulator, user: str, text: str) -> str:
    return (await command(emu, user, "/task", text)).text or ""


def _button(message: dict[str, Any], action_id: str) -> str:
    return next(e["value"] for b in message["blocks"] if b.get("type") == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


async def make_task(emu: SlackEmulator, user: str, text: str) -> dict[str, Any]:
    """DM ``text``, confirm the draft; the confirmed preview (chat.update) is returned."""
    channel = await emu.dm_channel(user)
    mark = len(emu.calls)
    await emu.user_message(user, channel, text)
    await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user), since=mark, timeout=15)
    preview = [m for m in emu.messages(channel) if any(b.get("block_id") == "draft_actions" for b in m.get("blocks") or [])][-1]
    mark = len(emu.calls)
    await emu.click_button(user, message_ts=preview["ts"], channel=channel, action_id="draft_confirm",
                           value=_button(preview, "draft_confirm"))
    return (await emu.wait_for_call("chat.update", since=mark, timeout=15)).args


async def task_row(dsn: str, display_id: str) -> tuple[Any, ...]:
    async with await db(dsn) as conn:
        row = await (await conn.execute(
            "SELECT t.status, s.slug, t.completed_at, t.dropped_at, t.dropped_reason, t.due_date, t.due_at, t.size, "
            "c.name, t.title FROM tasks t LEFT JOIN pipeline_stages s ON s.id = t.stage_id "
            "LEFT JOIN clients c ON c.id = t.client_id WHERE t.display_id = %s", (display_id,))).fetchone()
    assert row is not None
    return tuple(row)


async def log_actions(dsn: str, display_id: str) -> list[str]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute("SELECT l.action FROM task_logs l JOIN tasks t ON t.id = l.task_id "
                                         "WHERE t.display_id = %s ORDER BY l.id", (display_id,))).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- dropped stays dropped

async def test_a_dropped_task_is_not_done_moved_or_assigned_until_reopened(emulator: SlackEmulator, bot: Steward,
                                                                        db_dsn: str) -> None:
    await make_task(emulator, SAM, "fix the checkout bug by Friday")
    assert "Dropped T-1" in await task_says(emulator, SAM, "drop T-1 the client cancelled it")

    # The example: "/task done" on a dropped task said "✅ … is done. Nice work!".
    refused = await task_says(emulator, SAM, "done T-1")
    assert "Nice work" not in refused
    assert "T-1" in refused and "was dropped on Wed 4 Mar (the client cancelled it)" in refused
    assert "can't mark it done" in refused and "`/task reopen T-1` puts it back in Backlog" in refused
    # Moving it anywhere, into Done too, and giving it to someone: the same answer, in their words.
    for words in ("move T-1 review", "move T-1 done", "move T-1 in progress"):
        answer = await task_says(emulator, SAM, words)
        assert "was dropped on Wed 4 Mar" in answer and "can't move it" in answer and "Moved" not in answer
    answer = await task_says(emulator, SAM, f"assign T-1 <@{PRIYA}|priya>")
    assert "was dropped on Wed 4 Mar" in answer and "can't assign it" in answer
    # An admin is refused the same way (the rule is about the task, not about permissions).
    assert "was dropped" in await task_says(emulator, MAYA, "done T-1")
    status, slug, completed_at, dropped_at, reason, *_ = await task_row(db_dsn, "T-1")
    assert (status, slug, completed_at, reason) == ("dropped", "to-do", None, "the client cancelled it")
    assert dropped_at == NOW
    assert await log_actions(db_dsn, "T-1") == ["created", "status_changed"]

    # Reopened: open in the first open stage, the dropped marks cleared, logged.
    reopened = await task_says(emulator, SAM, "reopen T-1")
    assert "T-1" in reopened and "is open again, in Backlog" in reopened
    assert (await task_row(db_dsn, "T-1"))[:5] == ("pending", "backlog", None, None, None)
    async with await db(db_dsn) as conn:
        row = await (await conn.execute("SELECT from_value, to_value, note FROM task_logs WHERE action = 'reopened'")).fetchone()
    assert row == ("dropped", "pending", "the client cancelled it")
    assert "already open (in Backlog)" in await task_says(emulator, SAM, "reopen T-1")

    # Now it can be done, and a done task is reopened rather than dropped.
    assert "is done. Nice work!" in await task_says(emulator, SAM, "done T-1")
    answer = await task_says(emulator, SAM, "drop T-1 never mind")
    assert "T-1 is done, so there's nothing to drop" in answer and "`/task reopen T-1`" in answer
    assert (await task_row(db_dsn, "T-1"))[0] == "done"
    assert "is open again" in await task_says(emulator, SAM, "reopen T-1")
    status, slug, completed_at, *_ = await task_row(db_dsn, "T-1")
    assert (status, slug, completed_at) == ("pending", "backlog", None)
    # Someone else's task: reopening is a change like any other.
    assert "isn't yours to change" in await task_says(emulator, PRIYA, "reopen T-1")
    assert await log_actions(db_dsn, "T-1") == ["created", "status_changed", "reopened", "status_changed", "reopened"]
    assert "reopen T-12" in await task_says(emulator, SAM, "help")


async def test_app_home_done_on_a_task_dropped_since_is_refused_and_home_refreshed(emulator: SlackEmulator, bot: Steward,
                                                                                  db_dsn: str) -> None:
    await make_task(emulator, SAM, "fix the login bug by Friday")
    await make_task(emulator, SAM, "update the pricing page")
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    stale = emulator.home_views[SAM]
    done_values = [e["value"] for b in stale["blocks"] if b.get("type") == "actions" for e in b["elements"]
                   if e["action_id"] == "home_task_done"]
    assert len(done_values) == 2
    # Dropped from a command while the Home still shows it with its Done button.
    assert "Dropped T-1" in await task_says(emulator, SAM, "drop T-1 merged into T-2")
    dm = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.click_button(SAM, view_id=stale["id"], action_id="home_task_done", value=done_values[0], seen=stale)
    told = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, dm), since=mark, timeout=10)
    assert "was dropped on Wed 4 Mar (merged into T-2)" in told.args["text"] and "/task reopen T-1" in told.args["text"]
    await eventually(lambda: "T-1" not in str(emulator.home_views[SAM]["blocks"]))
    assert "T-2" in str(emulator.home_views[SAM]["blocks"])
    assert (await task_row(db_dsn, "T-1"))[0] == "dropped"
    # A "Start" on it is refused the same way.
    mark = len(emulator.calls)
    await emulator.click_button(SAM, view_id=stale["id"], action_id="home_task_move",
                                value=next(e["value"] for b in stale["blocks"] if b.get("type") == "actions" for e in b["elements"]
                                           if e["action_id"] == "home_task_move" and e["value"].startswith(done_values[0] + ":")),
                                seen=stale)
    told = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, dm), since=mark, timeout=10)
    assert "can't move it" in told.args["text"]
    assert (await task_row(db_dsn, "T-1"))[:2] == ("dropped", "to-do")


# ---------------------------------------------------------------- the board

def board_text(response: Any) -> str:
    return "\n".join(b["text"]["text"] for b in response.blocks if b.get("type") == "section")


def stage_text(board: str, stage: str) -> str:
    """The section of one stage (from its heading to the next stage's)."""
    start = board.index(f"*{stage}*")
    following = [board.index(f"\n*{s}*", start) for s in ("Backlog", "To do", "In progress", "Review", "Done")
                 if f"\n*{s}*" in board[start:]]
    return board[start: min(following) if following else len(board)]


async def test_board_counts_what_it_shows_and_done_shows_the_last_seven_days(emulator: SlackEmulator, bot: Steward,
                                                                            db_dsn: str) -> None:
    await make_task(emulator, SAM, "fix the checkout bug by Friday")  # T-1
    await make_task(emulator, PRIYA, "write the onboarding docs")  # T-2
    await make_task(emulator, PRIYA, "review the Acme homepage copy")  # T-3
    await make_task(emulator, SAM, "send the Acme invoice")  # T-4
    assert "Moved T-3 to In progress" in await task_says(emulator, PRIYA, "move T-3 in progress")

    # The example: Sam's board said "To do — 2" and listed one task.
    sams = board_text(await command(emulator, MAYA, "/board", f"<@{SAM}|sam>"))
    todo = stage_text(sams, "To do")
    assert todo.startswith("*To do* \u2014 2\n") and "T-1" in todo and "T-4" in todo and "T-2" not in todo
    # Beside a stage with a WIP limit, the team's figure, labelled as the team's.
    progress = stage_text(sams, "In progress")
    assert progress.startswith("*In progress* \u2014 0 \u00b7 _team: 1 / 5 WIP_") and "_empty_" in progress
    priyas = board_text(await command(emulator, PRIYA, "/board", f"<@{PRIYA}|priya>"))
    assert stage_text(priyas, "To do").startswith("*To do* \u2014 1\n")
    assert stage_text(priyas, "In progress").startswith("*In progress* \u2014 1 \u00b7 _team: 1 / 5 WIP_")
    team = board_text(await command(emulator, MAYA, "/board", ""))
    assert stage_text(team, "To do").startswith("*To do* \u2014 3\n")
    assert stage_text(team, "In progress").startswith("*In progress* \u2014 1 / 5\n") and "team:" not in team
    # A client's board counts the client's tasks.
    acme = board_text(await command(emulator, MAYA, "/board", "acme"))
    assert stage_text(acme, "To do").startswith("*To do* \u2014 1\n") and "T-4" in acme and "T-1" not in acme

    # The Done column stayed empty after tasks were done: now it shows those of the last 7 days.
    assert "Nice work" in await task_says(emulator, SAM, "done T-1")
    assert "Nice work" in await task_says(emulator, PRIYA, "done T-2")
    async with await db(db_dsn) as conn:  # T-2 was done 8 days ago: no longer "recent"
        await conn.execute("UPDATE tasks SET completed_at = %s WHERE display_id = 'T-2'", (NOW - timedelta(days=8),))
    team = board_text(await command(emulator, MAYA, "/board", ""))
    done = stage_text(team, "Done")
    assert done.startswith("*Done* \u2014 1 _(done in the last 7 days)_") and "T-1" in done and "T-2" not in done
    assert stage_text(team, "To do").startswith("*To do* \u2014 1\n") and "T-1" not in stage_text(team, "To do")
    sams = board_text(await command(emulator, SAM, "/board", f"<@{SAM}|sam>"))
    assert "T-1" in stage_text(sams, "Done") and stage_text(sams, "Done").startswith("*Done* \u2014 1 ")
    assert stage_text(board_text(await command(emulator, PRIYA, "/board", f"<@{PRIYA}|priya>")), "Done").startswith("*Done* \u2014 0 ")
    # `/tasks` stays a list of open work.
    assert "T-1" not in str((await command(emulator, SAM, "/tasks", "")).blocks)
    # App Home's board line counts the person's tasks the same way.
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    home = str(emulator.home_views[SAM]["blocks"])
    assert "To do: 1" in home and "Done in the last 7 days: 1" in home


# ---------------------------------------------------------------- /task edit and what changed

async def test_task_edit_words_edit_directly_and_say_what_changed(emulator: SlackEmulator, bot: Steward, db_dsn: str,
                                                                  clock: FrozenClock) -> None:
    await make_task(emulator, SAM, "write the blog post")  # T-1, no due date, size from its type
    mark = len(emulator.calls)
    # The example: the words were ignored and the modal opened with the old date.
    said = await task_says(emulator, SAM, "edit T-1 due monday")
    assert "T-1: due Mon 9 Mar (was no due date)" in said
    assert not [c for c in emulator.calls[mark:] if c.method == "views.open"]
    assert (await task_row(db_dsn, "T-1"))[5:7] == (date(2026, 3, 9), None)
    assert said.endswith("T-1: nothing changed.") is False
    assert (await task_says(emulator, SAM, "edit T-1 due Monday")).endswith("T-1: nothing changed.")
    # Sam's Slack locale is en-GB: 3/4 is 3 April, said back spelled out.
    assert "due Fri 3 Apr (was due Mon 9 Mar)" in await task_says(emulator, SAM, "edit T-1 due 3/4")
    # A time of day is kept, in Sam's zone.
    assert "due Fri 6 Mar 17:00 (was due Fri 3 Apr)" in await task_says(emulator, SAM, "edit T-1 due by Friday at 5pm")
    assert (await task_row(db_dsn, "T-1"))[5:7] == (date(2026, 3, 6), datetime(2026, 3, 6, 17, 0, tzinfo=LONDON))
    assert "no due date (was due Fri 6 Mar 17:00)" in await task_says(emulator, SAM, "edit T-1 no due date")
    assert (await task_row(db_dsn, "T-1"))[5:7] == (None, None)
    # Several at once; the title runs to the end.
    said = await task_says(emulator, SAM, "edit T-1 size xl client acme title Write the launch blog post due Friday")
    assert "size XL (was S)" in said and "client Acme Corp (was no client)" in said
    assert "title \u201cWrite the launch blog post due Friday\u201d (was \u201cwrite the blog post\u201d)" in said
    assert (await task_row(db_dsn, "T-1"))[7:] == ("xl", "Acme Corp", "Write the launch blog post due Friday")
    assert "no client (was Acme Corp)" in await task_says(emulator, SAM, "edit T-1 no client")
    assert "size M (was XL)" in await task_says(emulator, SAM, "edit T-1 size medium")
    assert await log_actions(db_dsn, "T-1") == ["created"] + ["edited"] * 7

    # Words that are not a change get a specific answer, and change nothing.
    said = await task_says(emulator, SAM, "edit T-1 banana")
    assert "I don't know how to change `banana` on T-1" in said and "`due <date>`" in said
    said = await task_says(emulator, SAM, "edit T-1 tomorrow")
    assert "say `/task edit T-1 due tomorrow`" in said
    assert "I couldn't read `someday soon` as a date" in await task_says(emulator, SAM, "edit T-1 due someday soon")
    assert "I couldn't read `pizza` as a date" in await task_says(emulator, SAM, "edit T-1 due friday pizza")
    assert "`huge-ish` isn't a size" in await task_says(emulator, SAM, "edit T-1 size huge-ish")
    assert "I don't know a client called `Globex`" in await task_says(emulator, SAM, "edit T-1 client Globex")
    assert "You said `due` twice" in await task_says(emulator, SAM, "edit T-1 due monday due friday")
    assert "Due when?" in await task_says(emulator, SAM, "edit T-1 due")
    assert "isn't yours to change" in await task_says(emulator, PRIYA, "edit T-1 due monday")
    assert await log_actions(db_dsn, "T-1") == ["created"] + ["edited"] * 7

    # Priya's "tomorrow" is hers: at 20:00 UTC it is already Thursday 01:30 in Kolkata.
    clock.at = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    await make_task(emulator, PRIYA, "renew the SSO certificate")
    assert "T-2: due Fri 6 Mar (was no due date)" in await task_says(emulator, PRIYA, "edit T-2 due tomorrow")
    # Diego writes month-first: his 3/4 is 4 March (today in New York: shown as a date all the same).
    await make_task(emulator, DIEGO, "book the team offsite")
    assert "T-3: due Wed 4 Mar (was no due date)" in await task_says(emulator, DIEGO, "edit T-3 due 3/4")


async def test_task_edit_modal_says_what_changed(emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    await make_task(emulator, SAM, "write the blog post")
    mark = len(emulator.calls)
    await emulator.slash_command(SAM, "/task", "edit T-1", channel=ACME)  # no words: the form
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "task_edit")
    dm = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.submit_view(SAM, view_id, {
        "title": {"title": {"type": "plain_text_input", "value": "write the blog post"}},
        "due_date": {"due_date": {"type": "datepicker", "selected_date": "2026-03-09"}}})
    said = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, dm), since=mark, timeout=10)
    assert "T-1: due Mon 9 Mar (was no due date)" in said.args["text"] and "Updated" not in said.args["text"]
    mark = len(emulator.calls)
    await emulator.slash_command(SAM, "/task", "edit T-1", channel=ACME)
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "task_edit")
    mark = len(emulator.calls)
    await emulator.submit_view(SAM, view_id, {
        "title": {"title": {"type": "plain_text_input", "value": "write the blog post"}},
        "due_date": {"due_date": {"type": "datepicker", "selected_date": "2026-03-09"}}})
    said = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, dm), since=mark, timeout=10)
    assert said.args["text"].endswith("T-1: nothing changed.")


async def test_confirmations_never_say_due_no_due_date(emulator: SlackEmulator, bot: Steward) -> None:
    channel = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.user_message(SAM, channel, "fix the login bug and send the Acme report by Friday")
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, SAM), since=mark, timeout=15)
    preview = [m for m in emulator.messages(channel) if any(b.get("block_id") == "draft_actions" for b in m.get("blocks") or [])][-1]
    shown = str(preview["blocks"])
    assert "due no due date" not in shown and "no due date" in shown and "due Fri 6 Mar" in shown
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=preview["ts"], channel=channel, action_id="draft_confirm",
                                value=_button(preview, "draft_confirm"))
    confirmed = str((await emulator.wait_for_call("chat.update", since=mark, timeout=15)).args["blocks"])
    assert "due no due date" not in confirmed and "no due date" in confirmed and "due Fri 6 Mar" in confirmed
    listed = str((await command(emulator, SAM, "/tasks", "")).blocks)
    assert "due no due date" not in listed and "no due date" in listed and "due Fri 6 Mar" in listed
    board = str((await command(emulator, SAM, "/board", "")).blocks)
    assert "due no due date" not in board and "no due date" in board


# ---------------------------------------------------------------- /task assign tells the new owner

async def _dm_texts(emu: SlackEmulator, user: str) -> list[str]:
    return [m.get("text") or "" for m in emu.messages(await emu.dm_channel(user))]


async def assigned_notices(dsn: str, slack_id: str) -> list[tuple[str, str]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT d.status, n.payload->>'text' FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id "
            "WHERE n.kind = 'task.assigned' AND d.target_id = %s ORDER BY n.id", (slack_id,))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def test_assigning_a_task_tells_the_new_owner(emulator: SlackEmulator, bot: Steward, db_dsn: str, clock: FrozenClock) -> None:
    await make_task(emulator, SAM, "renew the Acme SSO certificate by Friday")  # T-1
    # The example: the new owner was not told. Sam gives his T-1 to Maya, who is told who, what and when.
    said = await task_says(emulator, SAM, f"assign T-1 <@{MAYA}|maya>")
    assert "T-1 is now <@U0MAYA>'s. I've let them know." in said
    notice = f"<@{SAM}> assigned you `T-1` renew the Acme SSO certificate \u2014 due Fri 6 Mar."
    await eventually(lambda: _has_dm(emulator, MAYA, notice))
    # Maya (an admin) gives it to Priya: Priya is told who assigned it.
    assert "I've let them know" in await task_says(emulator, MAYA, f"assign T-1 <@{PRIYA}|priya>")
    await eventually(lambda: _has_dm(emulator, PRIYA, f"<@{MAYA}> assigned you `T-1`"))
    # Not when people assign to themselves, and not again when nothing changes.
    await make_task(emulator, SAM, "update the pricing page")  # T-2
    said = await task_says(emulator, MAYA, f"assign T-2 <@{MAYA}|maya>")
    assert "T-2 is now <@U0MAYA>'s." in said and "let them know" not in said
    assert "T-2 is already yours" in await task_says(emulator, MAYA, f"assign T-2 <@{MAYA}|maya>")
    assert "T-1 is already <@U0PRIYA>'s" in await task_says(emulator, MAYA, f"assign T-1 <@{PRIYA}|priya>")
    # One notice per assignment: back to Maya and to Priya again tells Priya again.
    await task_says(emulator, MAYA, f"assign T-1 <@{MAYA}|maya>")
    await task_says(emulator, MAYA, f"assign T-1 <@{PRIYA}|priya>")
    assert len(await assigned_notices(db_dsn, PRIYA)) == 2
    await eventually(lambda: _all_sent(db_dsn, PRIYA))
    assert len(await assigned_notices(db_dsn, MAYA)) == 1  # her own assignment to herself told nobody
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM task_logs WHERE action = 'assigned'") == 5
    # Quiet hours are the recipient's: at 21:00 UTC it is 21:00 in London, so Sam's notice waits for the morning.
    clock.at = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    assert "I've let them know" in await task_says(emulator, PRIYA, f"assign T-1 <@{SAM}|sam>")
    [(status, text)] = await assigned_notices(db_dsn, SAM)
    assert status == "held" and f"<@{PRIYA}> assigned you `T-1`" in text
    async with await db(db_dsn) as conn:
        held_until = await fetchval(conn, "SELECT d.next_attempt_at FROM notification_deliveries d JOIN notifications n "
                                          "ON n.id = d.notification_id WHERE n.kind = 'task.assigned' AND d.target_id = %s", (SAM,))
    assert held_until == datetime(2026, 3, 5, 8, 0, tzinfo=LONDON)


async def _has_dm(emu: SlackEmulator, user: str, text: str) -> bool:
    return any(text in t for t in await _dm_texts(emu, user))


async def _all_sent(dsn: str, slack_id: str) -> bool:
    return all(status == "sent" for status, _ in await assigned_notices(dsn, slack_id))
