"""What counts as the day's update (issue 10 part 5), through the real bot over the Slack emulator: a DM
that reads like an update, a post in the standup channel, an update written before the day's thread, work
reported done in a DM, an edit of yesterday's reply, a reply naming the number its own new task takes, and
a DM edited before its draft was confirmed (part 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, start_steward
from tests.e2e.test_daily_rhythm import (
    LEE,
    SETTINGS,
    add_lee,
    add_task,
    configure,
    db,
    notification_count,
    reply,
    run_job,
    set_managers,
    thread_roots,
    utc,
    wait_thread,
    wait_until,
)
from tests.e2e.test_day_recaps import checkin_sent
from tests.helpers import fetchval

THURSDAY, FRIDAY = date(2026, 3, 5), date(2026, 3, 6)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 5, 15, 0, 30))  # Thursday 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    add_lee(emulator)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def post_thread(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, at: datetime, dsn: str) -> str:
    """The morning thread of ``at``'s day (run the job then), once its post is recorded as sent (so the
    next job run sees it posted); returns its ts."""
    clock.at = at
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    await wait_thread(emulator, mark)
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT bool_and(d.status = 'sent') FROM notification_deliveries d JOIN "
                                                "notifications n ON n.id = d.notification_id WHERE n.kind = 'standup.thread'"))
    return str(thread_roots(emulator)[-1]["ts"])


async def say(emulator: SlackEmulator, user: str, text: str, *, posts: int = 1) -> tuple[str, list[dict[str, Any]]]:
    """DM Steward as ``user``: (the message's ts, Steward's next ``posts`` messages in that DM)."""
    channel = await emulator.dm_channel(user)
    mark = len(emulator.calls)
    ts = await emulator.user_message(user, channel, text)
    answers = []
    for _ in range(posts):
        call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user), timeout=15, since=mark)
        mark = emulator.calls.index(call) + 1
        answers.append(call.args)
    return ts, answers


def words(message: dict[str, Any]) -> str:
    """Everything a message shows: its text and its blocks' texts."""
    out = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            out.append(str(block["text"].get("text", "")))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                out.append(element["text"])
    return "\n".join(out)


def action_ids(message: dict[str, Any]) -> list[str]:
    ids = [e.get("action_id") for b in message.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements", [])]
    ids += [b["accessory"].get("action_id") for b in message.get("blocks") or [] if isinstance(b.get("accessory"), dict)]
    return [i for i in ids if i]


async def inbox_idle(dsn: str) -> None:
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 0 FROM event_inbox WHERE status <> 'done'"))


async def submission_days(dsn: str, slack_id: str) -> list[list[date]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT s.update_dates FROM thread_submissions s JOIN platform_identities pi ON pi.user_id = s.user_id "
            "WHERE pi.external_id = %s ORDER BY s.id", (slack_id,))).fetchall()
    return [r[0] for r in rows]


async def plan_titles(dsn: str, slack_id: str, day: date, source: str | None = None) -> list[str]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT t.title FROM day_plan_items p JOIN tasks t ON t.id = p.task_id JOIN platform_identities pi "
            "ON pi.user_id = p.user_id WHERE pi.external_id = %s AND p.plan_date = %s AND (%s::text IS NULL OR p.source = %s) "
            "ORDER BY t.display_number", (slack_id, day, source, source))).fetchall()
    return [r[0] for r in rows]


async def summary_to(emulator: SlackEmulator, manager: str, mark: int) -> str:
    """The manager summary DM'd to ``manager`` (not their own nudge, which the dispatcher may deliver late)."""
    channel = await emulator.dm_channel(manager)
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (manager, channel)
                                        and "of your reports" in str(c.args.get("text")), since=mark, timeout=15)
    return str(call.args.get("text"))


async def latest_draft(dsn: str) -> tuple[int, str]:
    """The newest draft's (id, preview ts), once its preview is recorded (just after it is posted)."""
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT preview_ts IS NOT NULL FROM task_drafts ORDER BY id DESC LIMIT 1"))
        row = await (await conn.execute("SELECT id, preview_ts FROM task_drafts ORDER BY id DESC LIMIT 1")).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


# ---------------------------------------------------------------- a DM that reads like an update

async def test_a_dm_that_reads_like_an_update_is_the_days_update(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                                 db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await set_managers(db_dsn, MAYA, [PRIYA, SAM, DIEGO, LEE])
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)  # Friday 09:00 in New York

    # Diego answers by DM (Geekbot's way): it is his update, shown in the thread on his behalf, with Undo.
    clock.at = utc(2026, 3, 6, 14, 20, 30)
    update_ts, (answer,) = await say(emulator, DIEGO, "Today I'm reviewing the rate limiter PR and writing the release notes")
    assert "Counted as your standup update for Friday 6 March" in words(answer)
    assert {"standup_undo", "standup_edit"} <= set(action_ids(answer))
    shown = [m for m in emulator.thread(STANDUP, thread_ts) if "(by DM)" in words(m)]
    assert len(shown) == 1 and "Diego Ruiz" in words(shown[0]) and "rate limiter PR" in words(shown[0])
    assert any(t and "rate limiter" in t.lower() for t in await plan_titles(db_dsn, DIEGO, FRIDAY))
    assert await submission_days(db_dsn, DIEGO) == [[FRIDAY]]
    # Other ways to say it: work in progress, and standup headers.
    _, (lee_answer,) = await say(emulator, LEE, "Working on the Acme homepage mockups. I'm out Monday")
    assert "Counted as your standup update for Friday 6 March" in words(lee_answer) and "Out on Mon 9 Mar (1 workday)" in words(lee_answer)
    _, (maya_answer,) = await say(emulator, MAYA, "Yesterday: client calls\nToday: finish the Q1 report\nBlockers: none")
    assert "Counted as your standup update" in words(maya_answer)

    # A task request is still a draft, standup time or not. Sam has not posted yet, so its preview offers
    # to take the words as his update instead; Diego has, so his draft does not.
    _, (draft,) = await say(emulator, SAM, "I'll fix the login bug by Friday")
    assert str(draft["text"]).startswith("Draft") and "draft_as_update" in action_ids(draft)
    assert "It's my standup update for Fri 6 Mar" in str(draft["blocks"])
    _, (diego_draft,) = await say(emulator, DIEGO, "I'll send the Acme invoice by Monday")
    assert str(diego_draft["text"]).startswith("Draft") and "draft_as_update" not in action_ids(diego_draft)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM task_drafts") == 2
        assert await fetchval(conn, "SELECT raw_text FROM task_drafts ORDER BY id LIMIT 1") == "I'll fix the login bug by Friday"
    assert await submission_days(db_dsn, SAM) == []
    # Priya's plain list of work is a draft too, until she says it is her update: then it is, and no tasks twice.
    priya_dm = await emulator.dm_channel(PRIYA)
    _, (priya_draft,) = await say(emulator, PRIYA, "Fix the signup form and review Sam's PR")
    draft_id, preview_ts = await latest_draft(db_dsn)
    mark = len(emulator.calls)
    await emulator.click_button(PRIYA, message_ts=preview_ts, channel=priya_dm, action_id="draft_as_update", value=str(draft_id))
    counted = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == priya_dm, since=mark, timeout=15)
    closed = await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == preview_ts, since=mark, timeout=15)
    assert "Counted as your standup update for Friday 6 March" in words(counted.args) and "signup form" in words(counted.args)
    assert "Counted as your standup update" in words(closed.args) and "draft_confirm" not in action_ids(closed.args)
    assert [m for m in emulator.thread(STANDUP, thread_ts) if "Priya Nair* (by DM)" in words(m)]
    assert await submission_days(db_dsn, PRIYA) == [[FRIDAY]]
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT status FROM task_drafts WHERE id = %s", (draft_id,)) == "rejected"
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE title ILIKE '%%signup form%%'") == 1

    # 10:00: nobody who answered by DM is nudged; Sam (who only asked for a task) is.
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    await run_job(bot, "nudges")
    for answered in (DIEGO, LEE, MAYA):
        assert await notification_count(db_dsn, "standup.nudge", answered) == 0
    assert await notification_count(db_dsn, "standup.nudge", SAM) == 1
    # 11:00: Maya's summary names Sam only (Priya is in her quiet hours, and was nudged or not: still missing).
    clock.at = utc(2026, 3, 6, 16, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    summary = await summary_to(emulator, MAYA, mark)
    assert f"<@{SAM}>" in summary and f"<@{DIEGO}>" not in summary and f"<@{LEE}>" not in summary

    # Diego edits his DM: the answer and the post in the thread follow, on the same day.
    clock.at = utc(2026, 3, 6, 16, 10, 30)
    diego_dm = await emulator.dm_channel(DIEGO)
    mark = len(emulator.calls)
    await emulator.edit_message(diego_dm, update_ts, "Today I'm reviewing the rate limiter PR and deploying the staging build")
    in_thread = await emulator.wait_for_call("chat.update", lambda c: c.args.get("channel") == STANDUP, since=mark, timeout=15)
    in_dm = await emulator.wait_for_call("chat.update", lambda c: c.args.get("channel") == diego_dm, since=mark, timeout=15)
    assert in_thread.args["ts"] == shown[0]["ts"] and "staging build" in words(in_thread.args)
    assert "update for Friday 6 March, as edited" in words(in_dm.args)
    assert await submission_days(db_dsn, DIEGO) == [[FRIDAY]]

    # Undo (in the DM) takes it back everywhere: the plan, the submission and the post in the thread.
    answer_message = next(m for m in emulator.messages(diego_dm) if "standup_undo" in action_ids(m))
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=answer_message["ts"], channel=diego_dm, action_id="standup_undo",
                                value=next(e["value"] for b in answer_message["blocks"] if b.get("type") == "actions"
                                           for e in b["elements"] if e["action_id"] == "standup_undo"))
    await emulator.wait_for_call("chat.delete", lambda c: c.args.get("ts") == shown[0]["ts"], since=mark, timeout=15)
    assert not [m for m in emulator.thread(STANDUP, thread_ts) if "Diego Ruiz* (by DM)" in words(m)]
    assert await submission_days(db_dsn, DIEGO) == []
    assert await plan_titles(db_dsn, DIEGO, FRIDAY, source="submission") == []

    # Saturday: no standup day is open, so "Today I'm…" is a task request again.
    clock.at = utc(2026, 3, 7, 15, 0, 30)
    _, (weekend,) = await say(emulator, LEE, "Today I'm cleaning up the backlog")
    assert str(weekend["text"]).startswith("Draft")
    assert await submission_days(db_dsn, LEE) == [[FRIDAY]]


# ---------------------------------------------------------------- a post in the standup channel

async def test_a_post_in_the_standup_channel_while_the_thread_is_open_counts(emulator: SlackEmulator, bot: Steward,
                                                                             clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await set_managers(db_dsn, MAYA, [SAM, DIEGO, LEE])
    checkout = await add_task(db_dsn, LEE, "Fix the checkout bug")
    await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)

    clock.at = utc(2026, 3, 6, 14, 15, 30)
    mark = len(emulator.calls)
    post_ts = await emulator.user_message(LEE, STANDUP, "Yesterday: fixed the checkout bug. Today: deploy the staging build. No blockers.")
    answer = (await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == post_ts, since=mark, timeout=15)).args
    assert answer["channel"] == STANDUP
    assert "Counted as your standup update for Friday 6 March" in words(answer)
    assert f"Done: `{checkout}`" in words(answer) and "staging build" in words(answer)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT status FROM tasks WHERE display_id = %s", (checkout,)) == "done"
    assert await submission_days(db_dsn, LEE) == [[FRIDAY]]
    assert any("staging build" in t.lower() for t in await plan_titles(db_dsn, LEE, FRIDAY))

    # Chat in the channel is not an update: no answer, nothing recorded.
    await emulator.user_message(SAM, STANDUP, "Lunch anyone?")
    await emulator.user_message(DIEGO, STANDUP, f"<@{MAYA}> can you look at my PR today?")
    await inbox_idle(db_dsn)
    assert await submission_days(db_dsn, SAM) == [] and await submission_days(db_dsn, DIEGO) == []
    answered_under = {m.get("thread_ts") for m in emulator.messages(STANDUP)
                      if m.get("bot_id") and m.get("thread_ts") and m.get("thread_ts") != m.get("ts")}
    assert answered_under == {post_ts}  # the morning thread has no replies; Lee's post has Steward's answer

    # 10:00 and 11:00: Lee is neither nudged nor reported missing.
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    await run_job(bot, "nudges")
    assert await notification_count(db_dsn, "standup.nudge", LEE) == 0
    assert await notification_count(db_dsn, "standup.nudge", DIEGO) == 1
    clock.at = utc(2026, 3, 6, 16, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    summary = await summary_to(emulator, MAYA, mark)
    assert f"<@{LEE}>" not in summary and f"<@{DIEGO}>" in summary

    # Deleting the post takes the update back (and says so under it).
    answered_ts = answer_ts(emulator, post_ts)
    mark = len(emulator.calls)
    await emulator.delete_message(STANDUP, post_ts)
    undone = await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == answered_ts, since=mark, timeout=15)
    assert "Message deleted" in undone.args["text"]
    assert await submission_days(db_dsn, LEE) == []


def answer_ts(emulator: SlackEmulator, post_ts: str) -> str:
    return str(next(m["ts"] for m in emulator.thread(STANDUP, post_ts) if m.get("ts") != post_ts))


# ---------------------------------------------------------------- before the day's thread

async def test_an_update_written_before_the_days_thread_counts_for_that_day(emulator: SlackEmulator, bot: Steward,
                                                                            clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await set_managers(db_dsn, MAYA, [SAM, DIEGO, LEE])
    thursday_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 5, 15, 0, 30), db_dsn)
    # Friday 04:20 in New York, in Thursday's thread (Friday's is not up): Friday's update.
    clock.at = utc(2026, 3, 6, 9, 20, 30)
    _, answer = await reply(emulator, SAM, thursday_ts, "Today: deploy the staging build and write the release notes")
    assert "Counted as your update for Friday 6 March" in words(answer) and "Plan for Friday 6 March" in words(answer)
    assert "(late)" not in words(answer)
    assert await submission_days(db_dsn, SAM) == [[FRIDAY]]
    # 04:30, by DM: Friday's too, and not shown in Thursday's thread.
    clock.at = utc(2026, 3, 6, 9, 30, 30)
    _, (dm_answer,) = await say(emulator, DIEGO, "Today I'm preparing the sprint demo")
    assert "Counted as your standup update for Friday 6 March" in words(dm_answer) and "isn't up yet" in words(dm_answer)
    assert not [m for m in emulator.thread(STANDUP, thursday_ts) if "(by DM)" in words(m)]

    # Friday 09:00: the thread; 10:01: Sam and Diego have answered for Friday, Lee has not.
    await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 6, 15, 1, 30)
    await run_job(bot, "nudges")
    assert await notification_count(db_dsn, "standup.nudge", SAM) == 0
    assert await notification_count(db_dsn, "standup.nudge", DIEGO) == 0
    assert await notification_count(db_dsn, "standup.nudge", LEE) == 1
    clock.at = utc(2026, 3, 6, 16, 1, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    summary = await summary_to(emulator, MAYA, mark)
    assert f"<@{LEE}>" in summary and f"<@{SAM}>" not in summary and f"<@{DIEGO}>" not in summary
    assert any("staging build" in t.lower() for t in await plan_titles(db_dsn, SAM, FRIDAY))
    assert await plan_titles(db_dsn, SAM, THURSDAY) == []


# ---------------------------------------------------------------- editing yesterday's reply

async def test_editing_yesterdays_reply_changes_that_day_and_only_what_the_edit_changed(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    thursday_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 5, 15, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 5, 15, 5, 30)
    reply_ts, answer = await reply(emulator, SAM, thursday_ts,
                                   "Fix the login bug and write the release notes. I'm out tomorrow for the dentist")
    assert "Out on Fri 6 Mar (1 workday) \u2014 appointment" in words(answer)
    # He is asked at his check-in time (19:00 in London); Thursday closes at midnight in New York; Friday's
    # thread goes up.
    clock.at = utc(2026, 3, 5, 19, 0, 30)
    await run_job(bot, "end-of-day")
    await checkin_sent(db_dsn, SAM)
    clock.at = utc(2026, 3, 6, 5, 0, 30)
    await run_job(bot, "day-close")
    await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)

    # Friday 10:00: Sam edits Thursday's reply (the release notes become the changelog).
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    mark = len(emulator.calls)
    await emulator.edit_message(STANDUP, reply_ts, "Fix the login bug and update the changelog. I'm out tomorrow for the dentist")
    updated = (await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == answer["ts"], since=mark, timeout=15)).args
    shown = words(updated)
    assert "update for Thursday 5 March, as edited" in shown and "Plan for Thursday 5 March" in shown
    assert "Friday" not in shown and "today" not in shown.lower().replace("today's", "")
    assert "Thursday 5 March is closed" in shown and "stays on your list" in shown
    # The absence it recorded is still Friday's (not moved to Saturday, not silently cancelled).
    async with await db(db_dsn) as conn:
        absences = await (await conn.execute(
            "SELECT start_date, end_date, cancelled_at IS NULL FROM ooo_records ORDER BY id")).fetchall()
        changelog = await fetchval(conn, "SELECT display_id FROM tasks WHERE title ILIKE '%%changelog%%'")
        notes = await fetchval(conn, "SELECT status FROM tasks WHERE title ILIKE '%%release notes%%'")
    assert absences == [(FRIDAY, FRIDAY, True)]
    # Nothing of it lands on Friday's plan; Thursday's plan is what the close recorded.
    assert await plan_titles(db_dsn, SAM, FRIDAY, source="submission") == []
    assert [t.lower() for t in await plan_titles(db_dsn, SAM, THURSDAY)] == ["fix the login bug", "write the release notes"]
    assert changelog is not None and f"`{changelog}` is on your task list, not on that day's plan" in shown
    assert notes == "pending"
    assert await submission_days(db_dsn, SAM) == [[THURSDAY]]

    # Edited again without the absence: it is cancelled, and the answer says so (never silently).
    clock.at = utc(2026, 3, 6, 15, 10, 30)
    mark = len(emulator.calls)
    await emulator.edit_message(STANDUP, reply_ts, "Fix the login bug and update the changelog")
    again = (await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == answer["ts"], since=mark, timeout=15)).args
    assert "No longer out Fri 6 Mar: your edit took it out" in words(again)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM ooo_records WHERE cancelled_at IS NULL") == 0

    # The Edit button's form names the reply's day, not "today".
    mark = len(emulator.calls)
    value = next(e["value"] for b in updated["blocks"] if b.get("type") == "actions" for e in b["elements"]
                 if e["action_id"] == "standup_edit")
    await emulator.click_button(SAM, message_ts=answer["ts"], channel=STANDUP, action_id="standup_edit", value=value)
    opened = (await emulator.wait_for_call("views.open", since=mark, timeout=15)).args["view"]
    assert opened["blocks"][0]["label"]["text"] == "Your update for Thursday 5 March"


# ---------------------------------------------------------------- a T-number the reply's own new task takes

async def test_a_reply_naming_the_number_its_new_task_takes_gets_one_consistent_answer(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    first = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    for n in range(2, 69):
        await add_task(db_dsn, SAM, f"Backlog item {n}")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 6, 14, 10, 30)
    _, answer = await reply(emulator, DIEGO, thread_ts, "Write the release notes. Also T-1 and T-69 and T-99")
    shown = words(answer)
    assert first == "T-1" and "`T-69`" in shown and "release notes" in shown.lower()
    assert "There's no T-69" not in shown
    assert "There was no T-69 when you wrote this" in shown and shown.count("T-69") == 2
    assert "There's no T-99." in shown
    assert sorted(t.lower() for t in await plan_titles(db_dsn, DIEGO, FRIDAY)) == ["fix the checkout bug", "write the release notes"]


# ---------------------------------------------------------------- work reported done in a DM

async def test_work_reported_done_in_a_dm_offers_to_mark_it_done(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                                db_dsn: str) -> None:
    login = await add_task(db_dsn, DIEGO, "Fix the login bug")
    notes = await add_task(db_dsn, DIEGO, "Write the release notes")
    staging = await add_task(db_dsn, DIEGO, "Deploy the staging build")
    contract = await add_task(db_dsn, SAM, "Update the Acme contract")
    diego_dm = await emulator.dm_channel(DIEGO)

    async def status(display_id: str) -> str:
        async with await db(db_dsn) as conn:
            return str(await fetchval(conn, "SELECT status FROM tasks WHERE display_id = %s", (display_id,)))

    _, (offer,) = await say(emulator, DIEGO, f"done with {staging}")
    assert action_ids(offer) == ["task_mark_done"] and staging in words(offer)
    assert await status(staging) == "pending"  # nothing changes before the button
    message = next(m for m in emulator.messages(diego_dm) if "task_mark_done" in action_ids(m))
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=message["ts"], channel=diego_dm, action_id="task_mark_done")
    marked = await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == message["ts"], since=mark, timeout=15)
    assert "is done. Nice work!" in words(marked.args) and "task_mark_done" not in action_ids(marked.args)
    assert await status(staging) == "done"

    _, (by_name,) = await say(emulator, DIEGO, "I finished the login bug")
    assert action_ids(by_name) == ["task_mark_done"] and login in words(by_name)
    _, (unknown,) = await say(emulator, DIEGO, "I finished the quarterly taxes")
    assert "couldn't find an open task" in words(unknown) and "task_mark_done" not in action_ids(unknown)
    _, (not_mine,) = await say(emulator, DIEGO, f"{contract} is done")
    assert f"<@{SAM}>'s" in words(not_mine) and "task_mark_done" not in action_ids(not_mine)
    _, (missing,) = await say(emulator, DIEGO, "done with T-99")
    assert "There's no T-99" in words(missing)
    _, (again,) = await say(emulator, DIEGO, f"finished {staging}")
    assert "already done" in words(again)
    # A report and a plan in one message: the offer, and a draft of the rest.
    _, (mixed_offer, draft) = await say(emulator, DIEGO, f"Done with {notes}. I'll write the onboarding guide by Friday", posts=2)
    assert action_ids(mixed_offer) == ["task_mark_done"] and notes in words(mixed_offer)
    assert str(draft["text"]).startswith("Draft") and "onboarding guide" in words(draft).lower()
    async with await db(db_dsn) as conn:
        drafted = [r[0] for r in await (await conn.execute("SELECT raw_text FROM task_drafts")).fetchall()]
        assert await fetchval(conn, "SELECT count(*) FROM tasks") == 4
    assert drafted == ["I'll write the onboarding guide by Friday"]
    assert await status(login) == "pending" and await status(notes) == "pending"


# ---------------------------------------------------------------- a DM edited before its draft was confirmed

async def test_a_dm_edited_before_its_draft_is_confirmed_updates_the_draft_and_says_so(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    sam_dm = await emulator.dm_channel(SAM)
    ts, (preview,) = await say(emulator, SAM, "I'll redo the Acme landing page by Friday")
    assert str(preview["text"]).startswith("Draft")
    draft_id, preview_ts = await latest_draft(db_dsn)

    mark = len(emulator.calls)
    await emulator.edit_message(sam_dm, ts, "I'll redo the Acme landing page by Monday and fix the login bug")
    updated = await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == preview_ts, since=mark, timeout=15)
    said = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == sam_dm, since=mark, timeout=15)
    assert "2 tasks" in words(updated.args) and "Mon 9 Mar" in words(updated.args) and "login bug" in words(updated.args)
    assert "updated its draft" in said.args["text"]
    async with await db(db_dsn) as conn:
        raw, count = (await (await conn.execute(
            "SELECT raw_text, jsonb_array_length(parsed -> 'tasks') FROM task_drafts WHERE id = %s", (draft_id,))).fetchone())  # type: ignore[misc]
    assert raw == "I'll redo the Acme landing page by Monday and fix the login bug" and count == 2

    # Confirmed: the tasks are the edited ones; a later edit changes nothing, and says so.
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=preview_ts, channel=sam_dm, action_id="draft_confirm", value=str(draft_id))
    await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == preview_ts, since=mark, timeout=15)
    async with await db(db_dsn) as conn:
        titles = [r[0] for r in await (await conn.execute("SELECT title FROM tasks ORDER BY display_number")).fetchall()]
        due = await fetchval(conn, "SELECT due_date FROM tasks ORDER BY display_number LIMIT 1")
    assert len(titles) == 2 and "login bug" in titles[1].lower() and due == date(2026, 3, 9)
    mark = len(emulator.calls)
    await emulator.edit_message(sam_dm, ts, "I'll redo the Acme landing page by Tuesday")
    late = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == sam_dm, since=mark, timeout=15)
    assert "already confirmed" in late.args["text"] and "`T-1`, `T-2`" in late.args["text"]

    # Cancelled: the edit changes nothing, and says so.
    ts2, _ = await say(emulator, SAM, "I'll send the invoice by Friday")
    second, second_preview = await latest_draft(db_dsn)
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=second_preview, channel=sam_dm, action_id="draft_cancel", value=str(second))
    await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == second_preview, since=mark, timeout=15)
    mark = len(emulator.calls)
    await emulator.edit_message(sam_dm, ts2, "I'll send the invoice by Monday")
    cancelled = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == sam_dm, since=mark, timeout=15)
    assert "was cancelled, so your edit changed nothing" in cancelled.args["text"]

    # Edited into something with no task: the draft keeps the first words, and the person is told.
    ts3, _ = await say(emulator, SAM, "I'll review the homepage copy by Friday")
    await latest_draft(db_dsn)
    mark = len(emulator.calls)
    await emulator.edit_message(sam_dm, ts3, "thanks!")
    kept = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == sam_dm, since=mark, timeout=15)
    assert "still shows what you first wrote" in kept.args["text"]
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT raw_text FROM task_drafts ORDER BY id DESC LIMIT 1") == "I'll review the homepage copy by Friday"

    # A DM that made no draft: the edit is acknowledged, not ignored.
    ts4, _ = await say(emulator, SAM, "remind me to call the bank in 2 hours")
    mark = len(emulator.calls)
    await emulator.edit_message(sam_dm, ts4, "remind me to call the bank in 3 hours")
    noted = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == sam_dm, since=mark, timeout=15)
    assert "nothing changed" in noted.args["text"]


# ---------------------------------------------------------------- mentioning Steward in an update

async def test_mentioning_steward_in_an_update_does_not_also_make_a_draft(emulator: SlackEmulator, bot: Steward,
                                                                          clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 6, 14, 10, 30)
    steward = f"<@{emulator.bot_user_id}>"
    # In the thread: the reply is the update, and no draft besides.
    _, answer = await reply(emulator, DIEGO, thread_ts, f"{steward} fix the login bug")
    assert "Plan for Friday 6 March" in words(answer) and "login bug" in words(answer)
    # In the channel: an update addressed to Steward counts (answered under it), and no draft either.
    mark = len(emulator.calls)
    post_ts = await emulator.user_message(SAM, STANDUP, f"{steward} Today: deploy the staging build")
    posted = (await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == post_ts, since=mark, timeout=15)).args
    assert "Counted as your standup update for Friday 6 March" in words(posted) and "staging build" in words(posted)
    # A question put to Steward in the thread is answered as a question, not recorded as a plan.
    await emulator.user_message(LEE, STANDUP, f"{steward} what's the status with Acme?", thread_ts=thread_ts)
    await inbox_idle(db_dsn)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM task_drafts") == 0
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE title ILIKE '%%status%%'") == 0
    assert await submission_days(db_dsn, DIEGO) == [[FRIDAY]] and await submission_days(db_dsn, SAM) == [[FRIDAY]]
    assert await submission_days(db_dsn, LEE) == []
    assert not [e for e in emulator.ephemerals if "draft" in str(e).lower()]
