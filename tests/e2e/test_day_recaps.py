"""The day close tells people what it closed (issue 10, part 6): each person a one-line recap of their
day (done, carried forward, dropped), each manager one team recap of their reports' closes, both held
through quiet hours and never sent on leave, through the real bot, its scheduler and dispatcher, and
the Slack emulator, with the clock driven by the test.

Monday 9 March 2026 (New York is on summer time from 8 March: UTC-4; London UTC; Kolkata UTC+5:30). The
team's clock is New York's: the thread at 09:00 (13:00 UTC), the end of day at 17:30 (21:30 UTC), the
close at midnight (04:00 UTC Tuesday), quiet hours 20:00-08:00 in each person's own zone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import ooo, workspace
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, answer_text, start_steward
from tests.e2e.test_daily_rhythm import (
    SETTINGS,
    add_task,
    configure,
    db,
    reply,
    run_job,
    set_managers,
    thread_roots,
    wait_until,
)
from tests.e2e.test_distributed_team import post_thread
from tests.e2e.test_simulated_time import at as new_york
from tests.e2e.test_simulated_time import future_weekday, moment, org_of
from tests.e2e.test_simulated_time import run_job as cli_run
from tests.helpers import fetchval

MONDAY = date(2026, 3, 9)
TUESDAY_8AM_NEW_YORK = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 9, 12, 0, 30))  # Monday 08:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def tick(bot: Steward, clock: FrozenClock, at: datetime, job: str = "day-close") -> dict[str, Any]:
    """Run ``job`` through the scheduler as if at ``at``; the organization's result."""
    clock.at = at
    result = await run_job(bot, job)
    return dict(next(iter(result.values()))) if result else {}


async def recaps(dsn: str, kind: str = "standup.day_recap") -> list[tuple[str, str, str, datetime]]:
    """(recipient, text, delivery status, due) of every notice of ``kind``, in the order queued."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT d.target_id, n.payload->>'text', d.status, d.next_attempt_at FROM notifications n "
            "JOIN notification_deliveries d ON d.notification_id = n.id WHERE n.kind = %s ORDER BY n.id", (kind,))).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def dm_texts(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    """Steward's messages in ``user``'s DM whose fallback text contains ``words``."""
    return [m for m in emulator.messages(await emulator.dm_channel(user)) if words in (m.get("text") or "")]


async def wait_delivered(emulator: SlackEmulator, user: str, words: str) -> dict[str, Any]:
    """Wait for the dispatcher to post a DM to ``user`` containing ``words``; that post's arguments."""
    channel = await emulator.dm_channel(user)
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (user, channel)
                                        and words in (c.args.get("text") or ""), timeout=15)
    return dict(call.args)


async def checkin_sent(dsn: str, user: str) -> None:
    """Wait until the dispatcher has recorded ``user``'s end-of-day check-in as sent (at the clock's instant:
    the day's close counts from when it reached them)."""
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 1 FROM notifications n JOIN notification_deliveries d "
                                                "ON d.notification_id = n.id WHERE n.kind = 'standup.eod_checkin' "
                                                "AND d.target_id = %s AND d.status = 'sent'", (user,)))


def block_text(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements") or [] if isinstance(e, dict)]
    return "\n".join(parts)


async def set_carried(dsn: str, display_id: str, times: int) -> None:
    """As if ``display_id`` had been carried forward ``times`` times on earlier days."""
    async with await db(dsn) as conn:
        await conn.execute("UPDATE tasks SET carry_forward_count = %s WHERE display_id = %s", (times, display_id))


async def record_leave(dsn: str, slack_id: str, first: date, last: date, *, now: datetime | None = None) -> None:
    """Record ``slack_id``'s leave as `/ooo` would, as of ``now`` (by default the day before it starts)."""
    async with await db(dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        user = await workspace.user_by_slack_id(conn, org, slack_id)
        assert user is not None
        await ooo.record(conn, org, user, first, last, "vacation", source="manual",
                         now=now or datetime.combine(first - timedelta(days=1), time(12, 0), UTC))


async def answer_checkin(emulator: SlackEmulator, db_dsn: str, user: str, done: list[str], drop: str, reason: str) -> None:
    """Tick ``done`` in the end-of-day check-in and drop ``drop`` with ``reason``, through its buttons and modal."""
    channel = await emulator.dm_channel(user)
    checkin = next(m for m in emulator.messages(channel) if any(str(b.get("block_id", "")).startswith("eod:") for b in m.get("blocks", [])))
    async with await db(db_dsn) as conn:
        ids = {d: await fetchval(conn, "SELECT id FROM tasks WHERE display_id = %s", (d,)) for d in [*done, drop]}
    mark = len(emulator.calls)
    await emulator.click_button(user, message_ts=checkin["ts"], channel=channel, action_id="eod_toggle",
                                block_id=f"eod:{MONDAY.isoformat()}:0", fields={"selected_options": [{"value": str(ids[d])} for d in done]})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    mark = len(emulator.calls)
    await emulator.click_button(user, message_ts=checkin["ts"], channel=channel, action_id="eod_drop_open", value=MONDAY.isoformat())
    await emulator.wait_for_call("views.open", since=mark, timeout=15)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "eod_drop")
    mark = len(emulator.calls)
    await emulator.submit_view(user, view_id, {"task": {"task": {"type": "static_select", "selected_option": {"value": str(ids[drop])}}},
                                               "reason": {"reason": {"type": "plain_text_input", "value": reason}}})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)


async def test_a_persons_recap_is_held_through_quiet_hours_and_sent_once(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    t1, t2, t3, t4 = [await add_task(db_dsn, DIEGO, title) for title in
                      ("Fix the checkout bug", "Redo the Acme landing page", "Write the release notes", "Port the old importer")]
    await set_carried(db_dsn, t2, 1)
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 9, 13, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 9, 13, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {t1}, {t2}, {t3} and {t4}")
    await tick(bot, clock, utc(2026, 3, 9, 21, 30, 30), "end-of-day")
    await wait_delivered(emulator, DIEGO, "End of day")
    await answer_checkin(emulator, db_dsn, DIEGO, [t1, t3], t4, "client cancelled")

    # 23:59 in New York: the day is still open, nothing is recapped.
    assert (await tick(bot, clock, utc(2026, 3, 10, 3, 59, 30)))["people"] == 0
    assert await recaps(db_dsn) == []
    # Midnight: the day closes, and its recap is queued with it, held until 08:00 (his quiet hours).
    closed = await tick(bot, clock, utc(2026, 3, 10, 4, 0, 30))
    assert (closed["people"], closed["done"], closed["carried"], closed["dropped"], closed["recaps"]) == (1, 2, 1, 1, 1)
    line = (f"Monday 9 March closed: 2 done ({t1}, {t3}), 1 carried forward to Tuesday ({t2}, carried 2\u00d7), "
            f"1 dropped ({t4}: client cancelled).")
    assert await recaps(db_dsn) == [(DIEGO, line, "held", TUESDAY_8AM_NEW_YORK)]
    # Later ticks in the night queue nothing more, and nothing reaches him before 08:00.
    for at in (utc(2026, 3, 10, 4, 1, 30), utc(2026, 3, 10, 7, 0, 30), utc(2026, 3, 10, 11, 59, 30)):
        assert (await tick(bot, clock, at))["recaps"] == 0
    assert await dm_texts(emulator, DIEGO, "closed:") == []
    # 08:00 in New York: the dispatcher sends it, once.
    clock.at = utc(2026, 3, 10, 12, 0, 30)
    sent = await wait_delivered(emulator, DIEGO, "closed:")
    assert sent["text"] == line
    assert f"`{t2}` Redo the Acme landing page _(carried 2\u00d7)_" in block_text(sent)
    assert (await tick(bot, clock, utc(2026, 3, 10, 12, 1, 30)))["recaps"] == 0
    assert [(to, status) for to, _, status, _ in await recaps(db_dsn)] == [(DIEGO, "sent")]
    assert len(await dm_texts(emulator, DIEGO, "closed:")) == 1
    # Nobody else had a plan: nobody else gets a recap, and Diego has no manager to tell.
    assert await recaps(db_dsn, "standup.team_recap") == []


async def test_a_manager_gets_one_team_recap_and_a_person_with_no_plan_gets_none(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await set_managers(db_dsn, MAYA, [DIEGO, SAM, PRIYA])
    t1 = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    t2 = await add_task(db_dsn, SAM, "Fix the flaky deploy script")
    await set_carried(db_dsn, t2, 2)
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 9, 13, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 9, 13, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {t1}")
    await reply(emulator, SAM, thread_ts, f"Today: {t2}")  # and never answers his check-in
    clock.at = utc(2026, 3, 9, 18, 0, 30)
    assert "done" in await answer_text(emulator, DIEGO, "/task", f"done {t1}")
    # Their check-ins, at their times (Sam's 19:00 in London, before his quiet hours; Diego's 17:30).
    assert (await tick(bot, clock, utc(2026, 3, 9, 19, 0, 30), "end-of-day"))["checkins"] == 1
    await checkin_sent(db_dsn, SAM)
    assert (await tick(bot, clock, utc(2026, 3, 9, 21, 30, 30), "end-of-day"))["checkins"] == 1
    await checkin_sent(db_dsn, DIEGO)

    # Midnight in New York: everyone's day closes on the team's clock; Maya's team recap is queued once,
    # held until her 08:00, like Diego's recap; Sam's waits for 08:00 in London; Priya had no plan: none.
    closed = await tick(bot, clock, utc(2026, 3, 10, 4, 0, 30))
    assert (closed["people"], closed["recaps"], closed["team_recaps"]) == (2, 2, 1)
    mine = {to: (text, status, due) for to, text, status, due in await recaps(db_dsn)}
    assert set(mine) == {DIEGO, SAM}
    assert mine[DIEGO] == (f"Monday 9 March closed: 1 done ({t1}).", "held", TUESDAY_8AM_NEW_YORK)
    assert mine[SAM] == (f"Monday 9 March closed: 1 carried forward to Tuesday ({t2}, carried 3\u00d7).", "held",
                         utc(2026, 3, 10, 8, 0))
    [(to, text, status, due)] = await recaps(db_dsn, "standup.team_recap")
    assert (to, status, due) == (MAYA, "held", TUESDAY_8AM_NEW_YORK)
    assert text == "Team recap for Monday 9 March: 2 people closed their day (1 done, 1 carried forward, 0 dropped); 1 had no plan."
    for at in (utc(2026, 3, 10, 5, 0, 30), utc(2026, 3, 10, 9, 0, 30)):
        assert (await tick(bot, clock, at))["team_recaps"] == 0
    # 08:00 in New York: Maya reads it: counts per report, the task carried three times called out with
    # its title, who had no plan.
    clock.at = utc(2026, 3, 10, 12, 0, 30)
    sent = await wait_delivered(emulator, MAYA, "Team recap")
    body = block_text(sent)
    assert f"<@{DIEGO}>: 1 done" in body and f"<@{SAM}>: 1 carried forward" in body
    assert f"\u25e6 `{t2}` Fix the flaky deploy script :warning: *carried 3\u00d7*" in body and body.count(":warning:") == 1
    assert f"No plan: <@{PRIYA}>" in body
    assert (await tick(bot, clock, utc(2026, 3, 10, 12, 1, 30)))["team_recaps"] == 0
    assert len(await dm_texts(emulator, MAYA, "Team recap")) == 1
    assert await dm_texts(emulator, PRIYA, "closed:") == [] and await dm_texts(emulator, MAYA, "closed:") == []


async def test_nobody_on_leave_gets_a_recap(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    await set_managers(db_dsn, MAYA, [DIEGO, SAM])
    await record_leave(db_dsn, MAYA, MONDAY, MONDAY)  # the manager is out on the day
    await record_leave(db_dsn, SAM, MONDAY, MONDAY)  # out on the day: no plan, no recap
    await record_leave(db_dsn, DIEGO, date(2026, 3, 10), date(2026, 3, 11))  # out the two days after it
    t1 = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread_ts = await post_thread(emulator, bot, clock, utc(2026, 3, 9, 13, 0, 30), db_dsn)
    clock.at = utc(2026, 3, 9, 13, 20, 30)
    await reply(emulator, DIEGO, thread_ts, f"Today: {t1}")
    assert (await tick(bot, clock, utc(2026, 3, 9, 21, 30, 30), "end-of-day"))["checkins"] == 1
    await checkin_sent(db_dsn, DIEGO)

    # His day closes at midnight; its recap waits past his leave, to Thursday 08:00 in New York.
    closed = await tick(bot, clock, utc(2026, 3, 10, 4, 0, 30))
    assert (closed["people"], closed["recaps"], closed["team_recaps"]) == (1, 1, 0)
    thursday = utc(2026, 3, 12, 12, 0)
    assert await recaps(db_dsn) == [(DIEGO, f"Monday 9 March closed: 1 carried forward to Thursday ({t1}).", "held", thursday)]
    for at in (utc(2026, 3, 10, 12, 0, 30), utc(2026, 3, 11, 15, 0, 30), utc(2026, 3, 12, 11, 59, 30)):
        assert (await tick(bot, clock, at))["team_recaps"] == 0
    assert await dm_texts(emulator, DIEGO, "closed:") == []
    clock.at = utc(2026, 3, 12, 12, 0, 30)
    await wait_delivered(emulator, DIEGO, "closed:")
    await tick(bot, clock, utc(2026, 3, 12, 12, 1, 30))
    # Maya was out on Monday: no team recap of it; Sam was out: no recap.
    assert await recaps(db_dsn, "standup.team_recap") == []
    assert [to for to, *_ in await recaps(db_dsn)] == [DIEGO]
    assert await dm_texts(emulator, SAM, "closed") == [] and await dm_texts(emulator, MAYA, "recap") == []


@pytest_asyncio.fixture
async def live(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[Steward]:
    """A running Steward on the real clock, its scheduler stopped: only `steward jobs run --now` runs jobs."""
    running = await start_steward(emulator, db_dsn, tmp_path / "bot")
    running.bot.scheduler.shutdown()
    try:
        yield running.bot
    finally:
        await running.stop()


@pytest.mark.timeout(300)
async def test_jobs_run_day_close_now_counts_recaps_queued_and_says_where_they_wait(
        emulator: SlackEmulator, live: Steward, db_dsn: str, tmp_path: Path) -> None:
    await configure(emulator, SETTINGS)
    day = future_weekday()
    while day.weekday() > 3:  # Monday to Thursday: the next morning is a workday
        day += timedelta(days=1)
    after = day + timedelta(days=1)
    report = await cli_run(emulator, db_dsn, tmp_path, "morning-thread", new_york(day, 9))
    await reply(emulator, DIEGO, thread_roots(emulator)[0]["ts"], "Fix the checkout bug")
    org = str(await org_of(db_dsn))
    report = await cli_run(emulator, db_dsn, tmp_path, "end-of-day", new_york(day, 17, 30))  # he is asked first
    assert [s["to"] for s in report["sent"]] == [f"<@{DIEGO}>"]

    # As if at 00:01 the next day: his day closes; the recap is counted as queued, and the summary says it
    # waits for his 08:00 (the real clock is days before that, so the running bot leaves it held too).
    report = await cli_run(emulator, db_dsn, tmp_path, "day-close", new_york(after, 0, 1))
    assert report["result"][org] == {"people": 1, "done": 0, "carried": 1, "dropped": 0, "recaps": 1, "team_recaps": 0,
                                     "unreachable": 0}
    until = new_york(after, 8)
    assert report["summary"] == (f"day-close: closed 1 person's day: 1 carried forward; 1 recap of the day is held for quiet "
                                 f"hours until {moment(until)} (@diego).")
    assert [(w["to"], w["why"], datetime.fromisoformat(w["until"])) for w in report["waiting"]] == [
        (f"<@{DIEGO}>", "quiet hours", until)]
    assert await dm_texts(emulator, DIEGO, "closed:") == []
    # As if at 08:01: it is sent now, once, and a later run has nothing left to do.
    report = await cli_run(emulator, db_dsn, tmp_path, "day-close", new_york(after, 8, 1))
    assert report["summary"] == "day-close: sent 1 recap of the day held from earlier (@diego)."
    [sent] = await dm_texts(emulator, DIEGO, "closed:")
    assert sent["text"].startswith(f"{day:%A} {day.day} {day:%B} closed: 1 carried forward to {after:%A} (T-1")
    report = await cli_run(emulator, db_dsn, tmp_path, "day-close", new_york(after, 9))
    assert report["summary"] == "day-close: nothing to do right now."
    assert len(await dm_texts(emulator, DIEGO, "closed:")) == 1
