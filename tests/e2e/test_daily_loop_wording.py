"""The wording and counting slips a fresh tester of the daily loop found (issue 10's follow-up), through the real
bot, its jobs and the Slack emulator: a manager summary's counts under `local on` ("1 of 2 … has replied",
and who is not counted yet), a Kolkata teammate's nudge for her own day, an update by DM that names two
pieces of work in "-ing", a done task on the board, a recap of a day closed two weeks late, and reminders in
French and "after lunch".

Winter 2026 (before 8 March): New York is UTC-5, London UTC, Kolkata UTC+5:30; from 8 March New York is UTC-4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs.summaries import summarise
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, start_steward
from tests.e2e.test_daily_rhythm import SETTINGS, add_task, configure, db, reply, run_job, set_managers
from tests.e2e.test_day_recaps import checkin_sent, dm_texts, wait_delivered
from tests.e2e.test_day_updates import inbox_idle, say, words
from tests.e2e.test_distributed_team import notices, post_thread
from tests.e2e.test_task_state import board_text, command, stage_text, task_says


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 2, 15, 0, 30))  # Monday 2 March, 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def tick(bot: Steward, clock: FrozenClock, at: datetime, job: str) -> dict[str, object]:
    clock.at = at
    result = await run_job(bot, job)
    return dict(next(iter(result.values()))) if result else {}


async def test_local_time_summary_counts_who_it_counts_and_kolkata_is_nudged_for_her_own_day(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS + " local on")
    await set_managers(db_dsn, MAYA, [PRIYA, DIEGO, SAM])
    friday_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)  # Friday 09:00 New York
    clock.at = utc(2026, 3, 6, 14, 10, 30)
    await reply(emulator, SAM, friday_ts, "Fix the flaky deploy script")
    # 11:00 in New York: Maya's summary counts Diego and Sam; Priya's day for Friday's thread is her Monday.
    assert (await tick(bot, clock, utc(2026, 3, 6, 16, 0, 30), "nudges"))["summaries"] == 1
    [(text, _, _)] = await notices(db_dsn, "standup.manager_summary", MAYA)
    assert f"1 of your reports hasn't posted in <#C0STANDUP> yet: <@{DIEGO}>" in text
    async with await db(db_dsn) as conn:
        blocks = (await (await conn.execute("SELECT payload->'blocks' FROM notifications WHERE kind = 'standup.manager_summary'"))
                  .fetchone())[0]  # type: ignore[index]
    body = blocks[0]["text"]["text"]
    assert "1 of 2 of your reports has replied." in body, body  # not "1 of 3 … have replied"
    assert f"Not counted yet: <@{PRIYA}> (their day for it starts later" in body, body

    # Her Monday 10:00 in Kolkata: the nudge is for her today, in Friday's thread.
    assert (await tick(bot, clock, utc(2026, 3, 9, 4, 30, 30), "nudges"))["nudges"] == 1
    [(nudge, _, _)] = await notices(db_dsn, "standup.nudge", PRIYA)
    assert nudge == "Reminder: post your plan for today, Monday 9 March, in the standup thread of Friday 6 March.", nudge
    shown = words(await wait_delivered(emulator, PRIYA, "Reminder"))
    assert "the standup thread of Friday 6 March" in shown and "today's standup thread" not in shown, shown


async def test_an_update_by_dm_with_two_pieces_of_work_in_ing(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                              db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await post_thread(emulator, bot, clock, utc(2026, 3, 3, 14, 0, 30), db_dsn)  # Tuesday 09:00 New York
    clock.at = utc(2026, 3, 3, 14, 30, 30)
    _ts, (answered,) = await say(emulator, SAM, "Today I'm reviewing the rate limiter PR and writing the release notes")
    await inbox_idle(db_dsn)
    async with await db(db_dsn) as conn:
        titles = [r[0] for r in await (await conn.execute("SELECT title FROM tasks ORDER BY id")).fetchall()]
    assert titles == ["review the rate limiter PR", "write the release notes"], (titles, words(answered))


async def test_the_board_says_when_a_done_task_was_done_not_that_it_is_due(emulator: SlackEmulator, bot: Steward,
                                                                            clock: FrozenClock, db_dsn: str) -> None:
    clock.at = utc(2026, 3, 3, 15, 0, 30)
    task = await add_task(db_dsn, SAM, "Send the Acme invoice")
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE tasks SET due_date = '2026-03-02' WHERE display_id = %s", (task,))
    assert "done" in await task_says(emulator, SAM, f"done {task}")
    done = stage_text(board_text(await command(emulator, MAYA, "/board", "")), "Done")
    line = next(line for line in done.splitlines() if task in line)
    assert "done today" in line and "due" not in line and "carried" not in line, line


async def test_a_recap_of_a_day_closed_two_weeks_late_is_skipped_and_said(emulator: SlackEmulator, bot: Steward,
                                                                         clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 5, 14, 0, 30), db_dsn)  # Thursday 5 March
    clock.at = utc(2026, 3, 5, 14, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {task}")
    assert (await tick(bot, clock, utc(2026, 3, 5, 22, 30, 30), "end-of-day"))["checkins"] == 1  # 17:30 New York
    await checkin_sent(db_dsn, DIEGO)
    # Steward is stopped over the night; the clock jumps to Friday 20 March 09:00 New York.
    clock.at = utc(2026, 3, 20, 13, 0, 30)
    report = await bot.scheduler.run_as_of("day-close", clock.at)
    assert report is not None
    result = dict(next(iter(report.result.values())))
    assert (result["people"], result["carried"], result["recaps"]) == (1, 1, 0), result
    assert result["stale_recaps"] == [{"to": f"<@{DIEGO}>", "day": "2026-03-05",
                                       "why": "Thursday 5 March closed 14 days late"}], result
    summary = summarise("day-close", report.result, lambda text: text, report)
    assert ("skipped 1 recap of a day closed more than 24 hours late (<@U0DIEGO>: Thursday 5 March closed 14 days late)"
            in summary), summary
    assert await dm_texts(emulator, DIEGO, "closed:") == []


async def test_reminders_in_french_and_after_lunch(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                    db_dsn: str) -> None:
    clock.at = utc(2026, 3, 3, 15, 0, 30)  # Tuesday 10:00 in New York, 15:00 in London
    _ts, (answered,) = await say(emulator, DIEGO, "remind me after lunch to call the bank")
    assert "*call the bank* today at 13:00" in words(answered), words(answered)
    _ts, (answered,) = await say(emulator, SAM, "rappelle-moi demain d'appeler la banque")
    assert "*appeler la banque* tomorrow at 09:00" in words(answered), words(answered)
    async with await db(db_dsn) as conn:
        texts = [r[0] for r in await (await conn.execute("SELECT text FROM reminders ORDER BY id")).fetchall()]
    assert texts == ["call the bank", "appeler la banque"]
