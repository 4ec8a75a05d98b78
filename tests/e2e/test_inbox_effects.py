"""Issue 11, part 2, in one process: handling an inbox row again (its worker died at a stage boundary, or the
row was done but not yet marked) does none of its effects twice, and a row whose worker died is claimed
again within its short lease.

A "crash" here cancels the row's task at the chosen moment (like kill -9, nothing after that point runs
for the row: it stays `processing`, its lease is no longer renewed) while the worker lives on to claim it
again; tests/chaos does the same with real processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from bot.emulators.slack.errors import SlackError
from db.pool import open_pool
from tests.e2e.conftest import ACME, SAM, settings_for
from tests.helpers import eventually, fetchval

LEASE = 2.0  # seconds: short, so a dead row is claimed again quickly; renewed every HEARTBEAT while handled
HEARTBEAT = 0.4
DRAFT_TEXT = "I'll fix the login bug by Friday"


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[Steward]:
    pool = await open_pool(db_dsn, min_size=1, max_size=10, name="steward-effects")
    steward = Steward(settings_for(emulator, tmp_path), pool, db_dsn, health_port=0, leader_retry_seconds=0.3)
    steward.worker.lease_seconds = LEASE
    steward.worker.heartbeat_seconds = HEARTBEAT
    await steward.start()
    await emulator.wait_for_connections(1, timeout=20)
    try:
        yield steward
    finally:
        await steward.stop()
        await pool.close()


def crash(bot: Steward) -> int:
    """Kill the rows the worker is handling right now (their tasks die where they are); how many."""
    tasks = list(bot.worker._running)
    for task in tasks:
        task.cancel()
    return len(tasks)


async def rows(db_dsn: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        return await (await conn.execute(sql, params)).fetchall()


async def inbox_row(db_dsn: str, text: str) -> tuple[int, str, int]:
    """(id, status, attempts) of the DM or command whose text is ``text``."""
    found = await stored(db_dsn, text)
    assert found is not None
    return found


async def stored(db_dsn: str, text: str) -> tuple[int, str, int] | None:
    found = await rows(db_dsn, "SELECT id, status, attempts FROM event_inbox WHERE payload->'event'->>'text' = %s "
                               "OR payload->>'text' = %s", (text, text))
    assert len(found) <= 1, found
    return found[0] if found else None


async def settled(db_dsn: str, text: str, attempts: int) -> None:
    """The row of ``text`` is done after exactly ``attempts`` attempts."""
    async def check() -> bool:
        found = await stored(db_dsn, text)
        return found is not None and found[1] == "done" and found[2] >= attempts
    await eventually(check, within=20)
    assert (await inbox_row(db_dsn, text))[2] == attempts


async def redo(db_dsn: str, text: str) -> None:
    """The row of ``text`` was handled, but its process died before marking it done: it is still
    `processing`, with a lease long gone."""
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute("UPDATE event_inbox SET status = 'processing', processed_at = NULL, "
                           "locked_at = now() - interval '1 hour' WHERE id = %s", ((await inbox_row(db_dsn, text))[0],))


def previews(emu: SlackEmulator, channel: str) -> list[dict[str, Any]]:
    return [m for m in emu.messages(channel) if m.get("bot_id") and "draft_confirm" in str(m.get("blocks"))]


async def drafts_of(db_dsn: str, text: str) -> list[tuple[Any, ...]]:
    return await rows(db_dsn, "SELECT id, preview_ts FROM task_drafts WHERE raw_text = %s", (text,))


def once_then_off(action: Callable[[], None]) -> Callable[[], bool]:
    """``action`` the first time the returned function is called; True when it acted."""
    fired: list[bool] = []

    def fire() -> bool:
        if fired:
            return False
        fired.append(True)
        action()
        return True
    return fire


async def test_crash_after_the_draft_before_its_preview_posts_one_draft_and_one_preview(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    fire = once_then_off(lambda: crash(bot))

    async def gate(method: str, args: dict[str, Any]) -> None:
        # The draft is in the database; the preview reaches Slack as the process dies: Slack never takes it.
        if method == "chat.postMessage" and args.get("channel") == channel and fire():
            raise SlackError("service_unavailable")

    remove = emulator.add_gate(gate)
    try:
        await emulator.user_message(SAM, channel, DRAFT_TEXT)
        await settled(db_dsn, DRAFT_TEXT, attempts=2)
    finally:
        remove()
    shown = previews(emulator, channel)
    drafts = await drafts_of(db_dsn, DRAFT_TEXT)
    assert len(shown) == 1 and len(drafts) == 1
    assert drafts[0][1] == shown[0]["ts"]  # the preview the person sees is the draft's


async def test_crash_after_slack_took_the_preview_before_its_record_finds_it_in_slack(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    fire = once_then_off(lambda: crash(bot))

    def on_bot_message(where: Any, message: dict[str, Any]) -> None:
        # Slack stored the preview; the process dies before it hears back (nothing recorded).
        if where.id == channel and "draft_confirm" in str(message.get("blocks")):
            fire()

    emulator.workspace.bot_message_hooks.append(on_bot_message)
    try:
        await emulator.user_message(SAM, channel, DRAFT_TEXT)
        await settled(db_dsn, DRAFT_TEXT, attempts=2)
    finally:
        emulator.workspace.bot_message_hooks.remove(on_bot_message)
    shown = previews(emulator, channel)
    drafts = await drafts_of(db_dsn, DRAFT_TEXT)
    assert len(shown) == 1 and len(drafts) == 1
    assert drafts[0][1] == shown[0]["ts"]
    # Found by the metadata every inbox post carries, in the DM's history read with include_all_metadata.
    assert shown[0]["metadata"]["event_type"] == "steward_reply"
    lookups = [c for c in emulator.calls_to("conversations.history") if c.args.get("channel") == channel]
    assert lookups and str(lookups[-1].args.get("include_all_metadata")).lower() in ("true", "1")


async def test_crash_after_everything_before_the_row_is_marked_does_nothing_again(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    await emulator.user_message(SAM, channel, DRAFT_TEXT)
    await settled(db_dsn, DRAFT_TEXT, attempts=1)
    posts = len(emulator.calls_to("chat.postMessage"))
    await redo(db_dsn, DRAFT_TEXT)
    await settled(db_dsn, DRAFT_TEXT, attempts=2)
    assert len(previews(emulator, channel)) == 1 and len(await drafts_of(db_dsn, DRAFT_TEXT)) == 1
    assert len(emulator.calls_to("chat.postMessage")) == posts  # Slack was not asked again


async def test_a_row_claimed_by_a_worker_that_died_is_claimed_again_within_its_lease(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    await bot.worker.stop()
    channel = await emulator.dm_channel(SAM)
    await emulator.user_message(SAM, channel, DRAFT_TEXT)
    row_id, status, _attempts = await eventually(lambda: stored(db_dsn, DRAFT_TEXT))
    assert status == "pending"
    # Claimed just now by a process that then died: nobody renews its lease.
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute("UPDATE event_inbox SET status = 'processing', attempts = 1, locked_at = now() WHERE id = %s",
                           (row_id,))
    bot.worker.start()
    await settled(db_dsn, DRAFT_TEXT, attempts=2)
    assert len(previews(emulator, channel)) == 1 and len(await drafts_of(db_dsn, DRAFT_TEXT)) == 1


async def test_a_row_being_handled_keeps_its_lease(emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    """A live worker's slow row is not claimed by another attempt while it is handled (its lease is renewed)."""
    channel = await emulator.dm_channel(SAM)
    release = asyncio.Event()
    held: list[str] = []

    async def slow_slack(method: str, args: dict[str, Any]) -> None:
        if method == "chat.postMessage" and args.get("channel") == channel:
            held.append(method)
            await release.wait()

    remove = emulator.add_gate(slow_slack)
    try:
        await emulator.user_message(SAM, channel, DRAFT_TEXT)
        await eventually(lambda: held, within=10)
        await asyncio.sleep(LEASE * 3)  # well past the lease: a worker that stopped renewing would lose the row
        _id, status, attempts = await inbox_row(db_dsn, DRAFT_TEXT)
        assert (status, attempts) == ("processing", 1)
    finally:
        release.set()
        remove()
    await settled(db_dsn, DRAFT_TEXT, attempts=1)
    assert len(previews(emulator, channel)) == 1


@pytest.mark.parametrize(("command", "text", "count_sql"), [
    ("/reminder", "me to call the bank tomorrow at 3pm", "SELECT count(*) FROM reminders"),
    ("/journal", "Shipped the release; felt good.", "SELECT count(*) FROM journals"),
    ("/ooo", "next monday vacation", "SELECT count(*) FROM ooo_records"),
    ("/task", "add send the Acme report by Friday", "SELECT count(*) FROM task_drafts"),
])
async def test_a_command_handled_again_changes_nothing_and_answers_once(
        emulator: SlackEmulator, bot: Steward, db_dsn: str, command: str, text: str, count_sql: str) -> None:
    result = await emulator.slash_command(SAM, command, text, channel=ACME)
    first = await result.wait_for_response(timeout=10)
    await settled(db_dsn, text, attempts=1)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        made = await fetchval(conn, count_sql)
    answers, posts = len(emulator.response_posts), len(emulator.calls_to("chat.postMessage"))
    assert made == 1
    await redo(db_dsn, text)
    await settled(db_dsn, text, attempts=2)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, count_sql) == made
    assert (len(emulator.response_posts), len(emulator.calls_to("chat.postMessage"))) == (answers, posts)
    assert [r.text for r in result.responses] == [first.text]


async def test_a_task_change_handled_again_answers_what_it_did_not_that_it_was_already_done(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    await emulator.user_message(SAM, channel, DRAFT_TEXT)
    preview = (await eventually(lambda: previews(emulator, channel)))[0]
    draft_id = next(e["value"] for b in preview["blocks"] if b.get("block_id") == "draft_actions"
                    for e in b["elements"] if e["action_id"] == "draft_confirm")
    await emulator.click_button(SAM, message_ts=preview["ts"], channel=channel, action_id="draft_confirm", value=draft_id)
    display = await eventually(lambda: rows(db_dsn, "SELECT display_id FROM tasks"))
    ref = display[0][0]
    answered: list[str] = []

    async def died_answering(method: str, args: dict[str, Any]) -> None:
        # The task is done in the database; the process dies as its answer goes out (Slack never gets it).
        if method == "response_url" and not answered:
            answered.append(str(args.get("text")))
            crash(bot)
            raise SlackError("service_unavailable")

    remove = emulator.add_gate(died_answering)
    try:
        result = await emulator.slash_command(SAM, "/task", f"done {ref}", channel=ACME)
        response = await result.wait_for_response(timeout=20)
    finally:
        remove()
    assert answered and "is done. Nice work" in answered[0]
    assert response.text == answered[0]  # the answer of the change that was made, not "already done"
    assert len(result.responses) == 1
    log = await rows(db_dsn, "SELECT count(*) FROM task_logs l JOIN tasks t ON t.id = l.task_id "
                             "WHERE t.display_id = %s AND l.action = 'status_changed'", (ref,))
    assert log[0][0] == 1


async def test_a_preview_slack_could_not_take_for_now_shows_the_same_draft_on_the_retry(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    bot.worker.backoff_base = 0.05  # the retry comes at once
    channel = await emulator.dm_channel(SAM)
    emulator.refuse_next("chat.postMessage", "internal_error")  # a Slack hiccup: retried, not a refusal
    await emulator.user_message(SAM, channel, DRAFT_TEXT)
    await settled(db_dsn, DRAFT_TEXT, attempts=2)
    shown = previews(emulator, channel)
    drafts = await drafts_of(db_dsn, DRAFT_TEXT)
    assert len(shown) == 1 and len(drafts) == 1 and drafts[0][1] == shown[0]["ts"]


async def test_confirm_pressed_before_the_preview_is_on_record_updates_the_pressed_preview(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    confirmed = asyncio.Event()

    async def press_before_slack_answers(method: str, args: dict[str, Any]) -> None:
        # Slack shows the preview, the person presses Confirm, and only then does the post's answer reach
        # Steward (so the draft does not know where its preview is yet when the press is handled).
        if method == "chat.postMessage" and "draft_confirm" in str(args.get("blocks")) and not confirmed.is_set():
            message = args["_answer"]["message"]
            value = next(e["value"] for b in message["blocks"] if b.get("block_id") == "draft_actions"
                         for e in b["elements"] if e["action_id"] == "draft_confirm")
            mark = len(emulator.calls)
            await emulator.click_button(SAM, message_ts=message["ts"], channel=channel, action_id="draft_confirm",
                                        value=value)
            await emulator.wait_for_call("chat.update", since=mark, timeout=15)
            confirmed.set()

    remove = emulator.add_gate(press_before_slack_answers, after=True)
    try:
        await emulator.user_message(SAM, channel, DRAFT_TEXT)
        await asyncio.wait_for(confirmed.wait(), 20)
    finally:
        remove()
    bot_messages = [m for m in emulator.messages(channel) if m.get("bot_id")]
    assert len(bot_messages) == 1 and "Added 1 task" in str(bot_messages[0].get("blocks"))
