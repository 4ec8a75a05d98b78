"""A team spread over New York, London, Berlin and Kolkata, through the real bot and its jobs (issue 10,
part 4): every time comes from the people calendar, in both modes.

Winter 2026 (before 8 March): New York is UTC-5, London UTC, Berlin UTC+1, Kolkata UTC+5:30. The team's
clock is New York's: the thread at 09:00 (14:00 UTC), nudges after 60 minutes, the manager summary after
120, the end of day at 17:30; quiet hours 20:00-08:00 in each person's own zone.
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
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, start_steward
from tests.e2e.test_daily_rhythm import (
    SETTINGS,
    configure,
    db,
    reply,
    run_job,
    set_managers,
    thread_roots,
    wait_thread,
    wait_until,
)
from tests.helpers import fetchval

GRETA = "U0GRETA"
TUESDAY, WEDNESDAY = date(2026, 3, 3), date(2026, 3, 4)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 2, 15, 0, 30))  # Monday 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    emulator.add_user(GRETA, "greta", "Greta Vogel", email="greta@acme.test", tz="Europe/Berlin")
    emulator.workspace.channel(STANDUP).members.append(GRETA)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def post_thread(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, at: datetime, dsn: str) -> str:
    """Run morning-thread at ``at``; the new thread's ts."""
    clock.at = at
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    await wait_thread(emulator, mark)
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 0 FROM notification_deliveries WHERE status <> 'sent' "
                                                "AND target_type = 'channel'"))
    return str(thread_roots(emulator)[-1]["ts"])


async def tick(bot: Steward, clock: FrozenClock, at: datetime, *jobs: str) -> list[Any]:
    clock.at = at
    return [next(iter((await run_job(bot, job) or {}).values()), None) for job in jobs]


async def notices(dsn: str, kind: str, slack_id: str) -> list[tuple[str, str, datetime]]:
    """(text, delivery status, when it is due) of each notice of ``kind`` to ``slack_id``."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT n.payload->>'text', d.status, d.next_attempt_at FROM notifications n "
            "JOIN notification_deliveries d ON d.notification_id = n.id WHERE n.kind = %s AND d.target_id = %s ORDER BY n.id",
            (kind, slack_id))).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


async def plan_answers(dsn: str, slack_id: str, day: date) -> list[tuple[str | None, bool]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT p.answer, p.closed_at IS NOT NULL FROM day_plan_items p JOIN platform_identities pi ON pi.user_id = p.user_id "
            "WHERE pi.external_id = %s AND p.plan_date = %s ORDER BY p.id", (slack_id, day))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def click_all_done(emulator: SlackEmulator, user: str, day: date) -> None:
    dm = await emulator.dm_channel(user)
    checkin = next(m for m in emulator.messages(dm) if any(str(b.get("block_id", "")).startswith("eod:") for b in m.get("blocks", [])))
    mark = len(emulator.calls)
    await emulator.click_button(user, message_ts=checkin["ts"], channel=dm, action_id="eod_all_done", value=day.isoformat())
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)


async def tuesday_thread(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, dsn: str) -> str:
    await configure(emulator, SETTINGS)
    return await post_thread(emulator, bot, clock, utc(2026, 3, 3, 14, 0, 30), dsn)


async def test_team_time_london_is_asked_the_same_evening_on_both_days(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    for day, text in ((3, "Write the release notes"), (4, "Fix the flaky deploy script")):
        thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, day, 14, 0, 30), db_dsn) if day == 4 else \
            await tuesday_thread(emulator, bot, clock, db_dsn)
        clock.at = utc(2026, 3, day, 14, 5, 30)
        await reply(emulator, SAM, thread_ts, text)  # 14:05 in London
        # 17:30 in New York is 22:30 in London, in his quiet hours: he is asked at 19:00 London (an hour
        # before they begin), the same day, and later ticks add nothing.
        [early] = await tick(bot, clock, utc(2026, 3, day, 18, 59, 30), "end-of-day")
        [london] = await tick(bot, clock, utc(2026, 3, day, 19, 0, 30), "end-of-day")
        assert early == {"checkins": 0, "held": 0} and london == {"checkins": 1, "held": 0}
        await tick(bot, clock, utc(2026, 3, day, 22, 30, 30), "end-of-day")
        sam = await notices(db_dsn, "standup.eod_checkin", SAM)
        assert len(sam) == day - 2 and sam[-1][2] == utc(2026, 3, day, 19, 0, 30)


async def test_team_time_kolkata_is_asked_after_her_night_about_tuesday_and_may_answer(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    thread_ts = await tuesday_thread(emulator, bot, clock, db_dsn)
    clock.at = utc(2026, 3, 3, 14, 5, 30)
    await reply(emulator, PRIYA, thread_ts, "Review the onboarding docs")  # 19:35 in Kolkata
    # 17:30 in New York is 04:00 in Kolkata, and 19:00 there came before her nudge time: her check-in is
    # held until 08:00 Kolkata.
    [kolkata] = await tick(bot, clock, utc(2026, 3, 3, 22, 30, 30), "end-of-day")
    [(_, status, at)] = await notices(db_dsn, "standup.eod_checkin", PRIYA)
    assert status == "held" and at == utc(2026, 3, 4, 2, 30)
    # 08:00 in Kolkata: the check-in arrives, naming Tuesday.
    clock.at = utc(2026, 3, 4, 2, 30, 30)
    priya_dm = await emulator.dm_channel(PRIYA)
    sent = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (PRIYA, priya_dm), timeout=15)
    assert "Tick what you finished on Tuesday" in str(sent.args["blocks"])
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT status = 'sent' FROM notification_deliveries WHERE target_id = %s", (PRIYA,)))
    # Midnight in New York (10:30 in Kolkata): her Tuesday is not closed 2.5 hours after she was asked;
    # she answers at 11:00.
    await tick(bot, clock, utc(2026, 3, 4, 5, 0, 30), "day-close")
    assert await plan_answers(db_dsn, PRIYA, TUESDAY) == [(None, False)]
    clock.at = utc(2026, 3, 4, 5, 30, 30)
    await click_all_done(emulator, PRIYA, TUESDAY)
    # Four hours after it reached her (12:00 in Kolkata), her Tuesday closes with what she said.
    await tick(bot, clock, utc(2026, 3, 4, 6, 29, 30), "day-close")
    assert await plan_answers(db_dsn, PRIYA, TUESDAY) == [("done", False)]
    await tick(bot, clock, utc(2026, 3, 4, 6, 31, 30), "day-close")
    assert await plan_answers(db_dsn, PRIYA, TUESDAY) == [("done", True)]
    assert kolkata == {"checkins": 0, "held": 1}  # the job said it was queued held


async def test_team_time_a_late_planner_in_berlin_is_held_once_and_asked_before_her_close(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    thread_ts = await tuesday_thread(emulator, bot, clock, db_dsn)
    clock.at = utc(2026, 3, 3, 19, 30, 30)
    await reply(emulator, GRETA, thread_ts, "Prepare the sprint demo")  # 20:30 in Berlin: her quiet hours
    # Her check-in time (19:00 Berlin) has passed: it is queued once, held until 08:00 Berlin, and not
    # counted again on later ticks.
    runs = [r for at in (utc(2026, 3, 3, 19, 31, 30), utc(2026, 3, 3, 19, 32, 30), utc(2026, 3, 3, 22, 30, 30))
            for r in await tick(bot, clock, at, "end-of-day")]
    assert runs == [{"checkins": 0, "held": 1}, {"checkins": 0, "held": 0}, {"checkins": 0, "held": 0}]
    assert [(s, at) for _, s, at in await notices(db_dsn, "standup.eod_checkin", GRETA)] == [("held", utc(2026, 3, 4, 7, 0))]
    # Midnight in New York: her tasks are not carried before she was asked.
    await tick(bot, clock, utc(2026, 3, 4, 5, 0, 30), "day-close")
    assert await plan_answers(db_dsn, GRETA, TUESDAY) == [(None, False)]
    clock.at = utc(2026, 3, 4, 7, 0, 30)
    greta_dm = await emulator.dm_channel(GRETA)
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (GRETA, greta_dm), timeout=15)
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT status = 'sent' FROM notification_deliveries WHERE target_id = %s", (GRETA,)))
    clock.at = utc(2026, 3, 4, 8, 0, 30)
    await click_all_done(emulator, GRETA, TUESDAY)
    await tick(bot, clock, utc(2026, 3, 4, 11, 1, 30), "day-close")
    assert await plan_answers(db_dsn, GRETA, TUESDAY) == [("done", True)]


async def test_local_time_a_new_york_manager_hears_about_a_kolkata_report(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS + " local on")
    await set_managers(db_dsn, MAYA, [PRIYA, DIEGO])
    await post_thread(emulator, bot, clock, utc(2026, 3, 3, 14, 0, 30), db_dsn)
    # 11:00 in New York: Maya's summary names Diego (missing); Priya's day for this thread is her
    # Wednesday, so she is not missing yet.
    [tuesday] = await tick(bot, clock, utc(2026, 3, 3, 16, 0, 30), "nudges")
    assert tuesday["summaries"] == 1
    [(text, _, _)] = await notices(db_dsn, "standup.manager_summary", MAYA)
    assert f"<@{DIEGO}>" in text and f"<@{PRIYA}>" not in text
    # Her Wednesday 10:00 in Kolkata: she is nudged for Tuesday's thread, and does not answer.
    [nudged] = await tick(bot, clock, utc(2026, 3, 4, 4, 30, 30), "nudges")
    assert nudged == {"nudges": 1, "summaries": 0}
    [(nudge, _, _)] = await notices(db_dsn, "standup.nudge", PRIYA)
    assert "Tuesday 3 March" in nudge
    # Wednesday's thread; Diego replies; at 11:00 in New York Maya's next summary names Priya for Tuesday.
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 4, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 4, 14, 10, 30)
    await reply(emulator, DIEGO, thread_ts, "Fix the checkout bug")
    [wednesday] = await tick(bot, clock, utc(2026, 3, 4, 16, 0, 30), "nudges")
    assert wednesday["summaries"] == 1
    summaries = await notices(db_dsn, "standup.manager_summary", MAYA)
    assert len(summaries) == 2
    assert f"<@{PRIYA}>" in summaries[1][0] and "Tuesday 3 March" in summaries[1][0] and f"<@{DIEGO}>" not in summaries[1][0]
    # Later ticks add nothing: one summary per thread.
    for at in (utc(2026, 3, 4, 16, 1, 30), utc(2026, 3, 4, 21, 0, 30)):
        await tick(bot, clock, at, "nudges")
    assert len(await notices(db_dsn, "standup.manager_summary", MAYA)) == 2


async def test_local_time_friday_thread_is_kolkatas_monday_not_saturday(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS + " local on")
    friday_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 6, 14, 0, 30), db_dsn)
    # Friday's thread appears at 19:30 in Kolkata, after Priya's day: she works on it on her next workday,
    # Monday; nothing reaches her on Saturday 10:00.
    [saturday] = await tick(bot, clock, utc(2026, 3, 7, 4, 30, 30), "nudges")
    assert saturday["nudges"] == 0
    assert await notices(db_dsn, "standup.nudge", PRIYA) == []
    [monday] = await tick(bot, clock, utc(2026, 3, 9, 4, 30, 30), "nudges")  # Monday 10:00 in Kolkata
    assert monday["nudges"] == 1
    [(nudge, _, _)] = await notices(db_dsn, "standup.nudge", PRIYA)
    assert "Friday 6 March" in nudge
    # She plans on her Monday in Friday's thread; her check-in comes at 17:30 Kolkata that Monday.
    clock.at = utc(2026, 3, 9, 5, 0, 30)
    await reply(emulator, PRIYA, friday_ts, "Write the onboarding docs")
    assert [a for a, _ in await plan_answers(db_dsn, PRIYA, date(2026, 3, 6))] == [None]
    [early] = await tick(bot, clock, utc(2026, 3, 9, 11, 59, 30), "end-of-day")
    [checkin] = await tick(bot, clock, utc(2026, 3, 9, 12, 0, 30), "end-of-day")
    assert early == {"checkins": 0, "held": 0} and checkin == {"checkins": 1, "held": 0}
