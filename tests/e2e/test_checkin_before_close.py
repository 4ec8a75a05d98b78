"""Nobody's tasks are carried without their having been asked (README "The day with Steward"), through the
real bot, its jobs run as "Run now" runs them (as if at the page's clock), the dispatcher and the Slack
emulator. The team's clock is New York's (thread 09:00, end of day 17:30, quiet hours 20:00-08:00 in each
person's own zone).

  * Sam, in London, plans on Wednesday 23 December; he is on leave from Thursday 24 December to Friday
    1 January. His check-in time is 19:00 London (14:00 New York, an hour before his quiet hours); the
    runs come at 13:01, 17:30 and 19:00 New York only, all past it or before it. His check-in is queued
    held until he is back (Monday 4 January, 08:00 London), his day stays open through his leave, and
    it closes four hours after the check-in reached him.
  * Diego, in New York, plans on Tuesday 22 December; Steward is down at his check-in time (no end-of-day
    run that evening). The day close after midnight keeps his day open and says so; the next end-of-day
    run queues his check-in, held for quiet hours to 08:00; his day closes at 12:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs.summaries import summarise
from tests.e2e.conftest import DIEGO, SAM, start_steward
from tests.e2e.test_daily_rhythm import SETTINGS, add_task, configure, db, reply
from tests.e2e.test_day_recaps import checkin_sent, record_leave, wait_delivered
from tests.e2e.test_distributed_team import post_thread

WEDNESDAY = date(2026, 12, 23)
TUESDAY = date(2026, 12, 22)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 12, 21, 13, 0, 30))  # Monday 21 December, 08:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    running.bot.scheduler.shutdown()  # only the test's runs run jobs
    try:
        yield running.bot
    finally:
        await running.stop()


async def run_now(bot: Steward, clock: FrozenClock, job: str, at: datetime) -> tuple[dict[str, Any], str]:
    """Press "Run now" for ``job`` with the clock at ``at``: (the organization's result, the run's summary)."""
    clock.at = at
    report = await bot.scheduler.run_as_of(job, at)
    assert report is not None
    summary = summarise(job, report.result, lambda text: text, report)
    return dict(next(iter(report.result.values()))), summary


async def checkins(dsn: str, slack_id: str) -> list[tuple[str, datetime, str]]:
    """(status, due or sent, text) of each end-of-day check-in queued for ``slack_id``."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT d.status, coalesce(d.sent_at, d.next_attempt_at), n.payload->>'text' FROM notifications n "
            "JOIN notification_deliveries d ON d.notification_id = n.id "
            "WHERE n.kind = 'standup.eod_checkin' AND d.target_id = %s ORDER BY n.id", (slack_id,))).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


async def statuses(dsn: str, display_id: str) -> list[tuple[date, str]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT s.status_date, s.status FROM task_statuses s JOIN tasks t ON t.id = s.task_id WHERE t.display_id = %s "
            "ORDER BY s.status_date", (display_id,))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def test_the_last_day_before_a_leave_is_asked_about_when_they_are_back(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await record_leave(db_dsn, SAM, date(2026, 12, 24), date(2027, 1, 1))
    task = await add_task(db_dsn, SAM, "Finish the Acme mockups")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 12, 23, 14, 0, 30), db_dsn)  # 09:00 New York
    clock.at = utc(2026, 12, 23, 14, 20, 30)
    await reply(emulator, SAM, thread_ts, f"Today: {task}")

    # 13:01 New York (18:01 London): before his check-in time, nothing for him.
    result, _ = await run_now(bot, clock, "end-of-day", utc(2026, 12, 23, 18, 1))
    assert result.get("held", 0) == result.get("checkins", 0) == 0 and "unqueued" not in result
    # 17:30 New York (22:30 London, his quiet hours; his leave starts tomorrow): queued, held until he is back.
    result, summary = await run_now(bot, clock, "end-of-day", utc(2026, 12, 23, 22, 30))
    back = utc(2027, 1, 4, 8, 0)  # Monday 4 January, 08:00 in London
    assert result["held"] == 1, (result, summary)
    assert [(s, due) for s, due, _ in await checkins(db_dsn, SAM)] == [("held", back)]
    assert "held for quiet hours until Mon 4 Jan at 08:00 GMT (<@U0SAM>)" in summary, summary
    # 19:00 New York (midnight in London, his day's end) and after: his day stays open, nothing is carried.
    result, _ = await run_now(bot, clock, "end-of-day", utc(2026, 12, 24, 0, 0))
    assert result.get("held", 0) == 0
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 24, 5, 5))
    assert result["people"] == 0 and result["carried"] == 0, result
    assert await statuses(db_dsn, task) == []
    result, _ = await run_now(bot, clock, "day-close", utc(2027, 1, 4, 7, 59))
    assert result["people"] == 0 and await statuses(db_dsn, task) == []

    # Monday 08:00 London: the check-in reaches him, about Wednesday; four hours later his day closes.
    clock.at = utc(2027, 1, 4, 8, 0, 30)
    sent = await wait_delivered(emulator, SAM, "End of day")
    await checkin_sent(db_dsn, SAM)  # recorded as reaching him now (his day's close counts from it)
    assert "Wednesday 23 December" in str(sent), sent
    result, _ = await run_now(bot, clock, "day-close", utc(2027, 1, 4, 11, 59))
    assert result["people"] == 0
    result, _ = await run_now(bot, clock, "day-close", utc(2027, 1, 4, 12, 1))
    assert (result["people"], result["carried"]) == (1, 1), result
    assert await statuses(db_dsn, task) == [(WEDNESDAY, "carry_forward")]


async def test_a_missed_check_in_is_sent_late_and_the_day_waits_for_it(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 12, 22, 14, 0, 30), db_dsn)  # Tuesday 09:00 New York
    clock.at = utc(2026, 12, 22, 14, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {task}")

    # Steward is down from before 17:30 until after midnight: the first run is day-close at 00:01 New York.
    result, summary = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 5, 1))
    assert result["people"] == 0 and result["waiting_for_checkin"] == [{"to": f"<@{DIEGO}>", "day": "2026-12-22"}]
    assert "kept 1 day open until its check-in is sent (<@U0DIEGO>)" in summary, summary
    assert await statuses(db_dsn, task) == []
    # The next end-of-day run queues it, late, held for his quiet hours until 08:00.
    result, summary = await run_now(bot, clock, "end-of-day", utc(2026, 12, 23, 5, 2))
    assert result["held"] == 1, (result, summary)
    assert [(s, due) for s, due, _ in await checkins(db_dsn, DIEGO)] == [("held", utc(2026, 12, 23, 13, 0))]
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 5, 3))
    assert result["people"] == 0 and "waiting_for_checkin" not in result
    # 08:00: it reaches him; his day closes at 12:00 New York, not before.
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 13, 0, 30))
    assert result["people"] == 0
    await wait_delivered(emulator, DIEGO, "End of day")
    await checkin_sent(db_dsn, DIEGO)
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 16, 59))
    assert result["people"] == 0
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 17, 1))
    assert (result["people"], result["carried"]) == (1, 1), result
    assert await statuses(db_dsn, task) == [(TUESDAY, "carry_forward")]


async def test_someone_who_cannot_be_asked_is_named_with_why(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                              db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 12, 22, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 12, 22, 14, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {task}")
    # He leaves for the rest of the day (marked out today after planning): nobody asks him; the run says so.
    await record_leave(db_dsn, DIEGO, TUESDAY, TUESDAY)
    result, summary = await run_now(bot, clock, "end-of-day", utc(2026, 12, 22, 22, 30))
    assert result["unqueued"] == [{"to": f"<@{DIEGO}>", "why": "out that day", "day": "2026-12-22"}], result
    assert "left 1 check-in unqueued (<@U0DIEGO>: out that day)" in summary, summary
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 23, 5, 1))
    assert (result["people"], result["carried"]) == (1, 1) and "waiting_for_checkin" not in result, result


async def test_a_plan_written_before_its_days_thread_is_asked_about_though_no_thread_came(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    tuesday_ts = await post_thread(emulator, bot, clock, utc(2026, 12, 22, 14, 0, 30), db_dsn)
    # Wednesday 04:20 in New York, in Tuesday's thread: his plan for Wednesday, whose thread never goes up
    # (the morning-thread job does not run that day).
    clock.at = utc(2026, 12, 23, 9, 20, 30)
    await reply(emulator, DIEGO, tuesday_ts, "Today: deploy the staging build")
    result, summary = await run_now(bot, clock, "end-of-day", utc(2026, 12, 23, 22, 30))  # 17:30 New York
    assert result["checkins"] == 1, (result, summary)
    await checkin_sent(db_dsn, DIEGO)
    [(status, _, text)] = await checkins(db_dsn, DIEGO)
    assert status == "sent" and "Wednesday 23 December" in text
    result, _ = await run_now(bot, clock, "day-close", utc(2026, 12, 24, 5, 1))  # midnight: asked, so it closes
    assert (result["people"], result["carried"]) == (1, 1) and "unasked" not in result, result
