"""Overdue work end to end (issue 13): tasks past their due time climb their project's overdue ladder through the
job `escalations` run as if at chosen instants, the buttons Done / New date / Drop, the owner out, two processes.

The team of tests/e2e/test_blockers.py: New York's clock (09:00 to 17:30, a working day of 8.5 working hours),
Monday to Friday, Monday 9 March 2026 an organization holiday; Diego and Priya (Kolkata) report to Lee, who reports
to Maya (the admin). A task due on a date falls due at the end of that working day (17:30 New York).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs import escalations as escalations_job
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, STANDUP, answer_text, start_steward
from tests.e2e.test_blockers import buttons, delivered, dms, ny, setup_team, sweep, texts
from tests.e2e.test_daily_rhythm import LEE, add_task, db, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.helpers import fetchval

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures
PROJECT_LADDER = "0h owner, 4h manager, 1d channel, 2d flag"


async def overdue_task(dsn: str, owner: str, title: str, due: date, *, due_at: datetime | None = None,
                       project: bool = True) -> tuple[str, int]:
    """A task of ``owner`` due on ``due`` (at ``due_at``), on the project by default: (its display id, its id)."""
    display_id = await add_task(dsn, owner, title)
    async with await db(dsn) as conn:
        await conn.execute("UPDATE tasks SET due_date = %s, due_at = %s, project_id = CASE WHEN %s THEN "
                           "(SELECT id FROM projects) END WHERE display_id = %s", (due, due_at, project, display_id))
        task_id = await fetchval(conn, "SELECT id FROM tasks WHERE display_id = %s", (display_id,))
    return display_id, int(task_id)


async def rows(dsn: str, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    async with await db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(sql, args)).fetchall()]


def items(message: dict[str, Any]) -> list[str]:
    """The task ids each actions block of an overdue DM is about (its buttons' value)."""
    return [b["elements"][0]["value"] for b in message.get("blocks") or [] if b.get("type") == "actions"]


def overdue_keys(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k.startswith(("overdue_", "flag_cards"))}


async def press(emulator: SlackEmulator, user: str, message: dict[str, Any], action_id: str, value: str) -> None:
    channel = await emulator.dm_channel(user)
    block_id = next(b["block_id"] for b in message["blocks"] if b.get("type") == "actions"
                    for e in b["elements"] if e["action_id"] == action_id and e["value"] == value)
    result = await emulator.click_button(user, message_ts=message["ts"], channel=channel, action_id=action_id, value=value,
                                         block_id=block_id)
    assert not result.timed_out


async def test_an_overdue_task_climbs_its_projects_own_ladder(emulator: SlackEmulator, bot: Steward,
                                                              clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    said = await answer_text(emulator, MAYA, "/steward", f"project Website relaunch overdue {PROJECT_LADDER}")
    assert "own overdue ladder" in said
    t1, t1_id = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 6))
    t2, t2_id = await overdue_task(db_dsn, PRIYA, "Update the pricing page", date(2026, 3, 6))
    t3, t3_id = await overdue_task(db_dsn, DIEGO, "Write the release notes", date(2026, 3, 6))
    t4, _t4_id = await overdue_task(db_dsn, MAYA, "Sign the Acme contract", date(2026, 3, 10), due_at=ny(3, 10, 15, 0))
    other, _ = await overdue_task(db_dsn, DIEGO, "Tidy the wiki", date(2026, 3, 6), project=False)
    await answer_text(emulator, MAYA, "/task", f"done {other}", channel=STANDUP)  # done before it fell due: never climbs

    # Friday 17:30, the end-of-day check-in's time: not overdue yet ("due Friday" is by the end of Friday). At
    # midnight they fall due, but nobody is asked in their quiet hours, on their weekend or on the team's holiday:
    # Priya (Kolkata) is asked at 08:00 on Tuesday her time, Diego at 08:00 on Tuesday, once for both of his tasks.
    assert overdue_keys(await sweep(bot, clock, ny(3, 6, 17, 30))) == {}
    assert overdue_keys(await sweep(bot, clock, ny(3, 7, 0, 0))) == {"overdue_waiting": 3}
    assert overdue_keys(await sweep(bot, clock, ny(3, 9, 12, 0))) == {}  # the holiday
    assert overdue_keys(await sweep(bot, clock, ny(3, 9, 22, 30))) == {"overdue_to_owner": 1}  # 08:00 Tuesday in Kolkata
    [priya] = await dms(emulator, PRIYA, "A task of yours is overdue")
    assert items(priya) == [str(t2_id)]
    assert not await dms(emulator, DIEGO, "overdue")
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 8, 0))) == {"overdue_to_owner": 2}
    [asked] = await dms(emulator, DIEGO, "2 tasks of yours are overdue")
    assert items(asked) == [str(t1_id), str(t3_id)]
    assert buttons(asked) == ["overdue_done", "overdue_new_date", "overdue_drop"] * 2
    assert f"`{t1}` *Ship the checkout fix* (Website relaunch) was due Fri 6 Mar and is still open" in texts(asked)

    # Diego gives T-3 a new date through its modal: its walk stops (and starts again from the new date).
    clock.at = ny(3, 10, 8, 15)
    mark = len(emulator.calls)
    await press(emulator, DIEGO, asked, "overdue_new_date", str(t3_id))
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "overdue_new_date")
    picked = {"due_date": {"due_date": {"type": "datepicker", "selected_date": "2026-03-13"}}}
    mark = len(emulator.calls)
    assert await emulator.submit_view(DIEGO, view_id, picked) == {}
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    updated = emulator.message(await emulator.dm_channel(DIEGO), asked["ts"])
    assert updated is not None and items(updated) == [str(t1_id)] and "is now due Fri 13 Mar" in texts(updated)

    # +4 working hours (Tuesday 13:00, the weekend and the holiday not counted): Lee gets one DM for both tasks.
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 12, 59))) == {}
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 13, 0))) == {"overdue_to_manager": 2}
    rerun = await escalations_job.run(bot.deps, ny(3, 10, 13, 0))  # a re-run of that minute fires nothing twice
    assert overdue_keys(next(iter(rerun.values()))) == {}
    [lee] = await dms(emulator, LEE, "2 tasks are overdue")
    assert items(lee) == [str(t1_id), str(t2_id)]
    assert f"<@{DIEGO}>'s `{t1}` *Ship the checkout fix* (Website relaunch) was due Fri 6 Mar and is 4 working hours overdue" in texts(lee)

    # +1 working day (Tuesday 17:30): one post in the project's channel with every overdue task of the project, also
    # Maya's, due at 15:00 today, whose own rung now is her DM.
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 17, 30))) == {"overdue_to_channel": 2, "overdue_to_owner": 1}
    [post] = [m for m in emulator.messages(ACME) if "overdue" in (m.get("text") or "")]
    body = texts(post)
    assert "3 tasks are overdue in Website relaunch" in body
    assert all(f"`{t}`" in body for t in (t1, t2, t4)) and f"`{t3}`" not in body and f"`{other}`" not in body
    assert f"`{t4}` *Sign the Acme contract* (Website relaunch) \u2014 <@{MAYA}>, due Tue 10 Mar 15:00" in body
    assert await dms(emulator, MAYA, "A task of yours is overdue")

    # Diego marks T-1 done from his Tuesday DM: its walk ends before the flag rung.
    clock.at = ny(3, 11, 10, 0)
    mark = len(emulator.calls)
    await press(emulator, DIEGO, asked, "overdue_done", str(t1_id))
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    assert await fetchval_of(db_dsn, "SELECT status FROM tasks WHERE id = %s", t1_id) == "done"

    # +2 working days (Wednesday 17:30): a flag of severity high about Priya goes to her manager's manager, Maya, in
    # one message with the flag's buttons (Open inquiry / Resolve / Dismiss); no separate card goes to anyone.
    lee_before = len(emulator.messages(await emulator.dm_channel(LEE)))
    swept = await sweep(bot, clock, ny(3, 11, 17, 30))
    assert swept["overdue_to_flag"] == 1 and "flag_cards" not in swept and "overdue_to_channel" not in swept
    assert await rows(db_dsn, "SELECT type, severity, status, (SELECT display_id FROM tasks WHERE id = task_id), "
                              "notified_at IS NOT NULL FROM flags") == [("overdue_escalated", "high", "open", t2, True)]
    [flagged] = [m for m in await dms(emulator, MAYA, "overdue") if "Flag raised (high)" in texts(m)]
    assert buttons(flagged) == ["flag_inquiry", "flag_resolve", "flag_dismiss"]
    assert f"<@{PRIYA}>'s `{t2}`" in texts(flagged) and "raised by the overdue ladder's flag rung" in texts(flagged).lower()
    await sweep(bot, clock, ny(3, 11, 17, 31))
    assert len(emulator.messages(await emulator.dm_channel(LEE))) == lee_before
    assert len([m for m in emulator.messages(await emulator.dm_channel(MAYA)) if "Flag" in texts(m)]) == 1

    # Each rung once, each logged; the new date started a new walk.
    steps = await rows(db_dsn, "SELECT subject_id, cycle, level, action FROM escalation_steps WHERE subject_type = 'task' "
                               "AND subject_id IN (%s, %s, %s) ORDER BY subject_id, level", (t1_id, t2_id, t3_id))
    assert steps == [(t1_id, "2026-03-06", 1, "owner"), (t1_id, "2026-03-06", 2, "manager"), (t1_id, "2026-03-06", 3, "channel"),
                     (t2_id, "2026-03-06", 1, "owner"), (t2_id, "2026-03-06", 2, "manager"), (t2_id, "2026-03-06", 3, "channel"),
                     (t2_id, "2026-03-06", 4, "flag"), (t3_id, "2026-03-06", 1, "owner")]
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM task_logs WHERE action = 'overdue.escalated' AND task_id = %s",
                             t2_id) == 4
    # T-3's new date: due by the end of Friday 13 March, asked on Monday morning.
    assert "overdue_waiting" in await sweep(bot, clock, ny(3, 14, 0, 0))
    await sweep(bot, clock, ny(3, 16, 8, 0))
    assert [m for m in await dms(emulator, DIEGO, "overdue") if f"`{t3}` *Write the release notes* (Website relaunch) was due "
            "Fri 13 Mar" in texts(m)]
    assert await rows(db_dsn, "SELECT cycle FROM escalation_steps WHERE subject_type = 'task' AND subject_id = %s ORDER BY id",
                      (t3_id,)) == [("2026-03-06",), ("2026-03-13",)]


async def fetchval_of(dsn: str, sql: str, *args: Any) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args or None)


async def test_an_owner_out_holds_the_task_and_two_processes_fire_each_rung_once(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str, tmp_path: Path) -> None:
    """The organization's default ladder (0h owner, 1d manager, 3d channel), a task due while Diego is on leave."""
    await setup_team(emulator, db_dsn)
    t1, t1_id = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 10))
    await record_leave(db_dsn, DIEGO, date(2026, 3, 10), date(2026, 3, 11))
    second = await start_steward(emulator, db_dsn, tmp_path / "second", clock=clock)
    second.bot.scheduler.shutdown()

    async def both(at: datetime) -> list[dict[str, Any]]:
        clock.at = at
        runs = await asyncio.gather(escalations_job.run(bot.deps, at), escalations_job.run(second.bot.deps, at),
                                    escalations_job.run(bot.deps, at), escalations_job.run(second.bot.deps, at))
        await delivered(bot, at)
        return [overdue_keys(next(iter(r.values()))) for r in runs]

    try:
        # Due by the end of Tuesday, while Diego is out until Wednesday: nothing fires, it waits for him to be back.
        assert all(r == {} for r in await both(ny(3, 10, 17, 30)))
        assert {"overdue_held": 1} in await both(ny(3, 11, 0, 0))
        assert not await dms(emulator, DIEGO, "overdue")
        assert await fetchval_of(db_dsn, "SELECT overdue_next_at FROM tasks WHERE id = %s", t1_id) == ny(3, 12, 8, 0)
        assert all(r == {} for r in await both(ny(3, 11, 12, 0)))
        # Back on Thursday: asked at 08:00 (his quiet hours end), once, whoever sweeps.
        assert sorted(str(r) for r in await both(ny(3, 12, 8, 0))).count(str({"overdue_to_owner": 1})) == 1
        # +1 working day of his (Wednesday's leave not counted): Thursday 17:30 his manager, once.
        assert sorted(str(r) for r in await both(ny(3, 12, 17, 30))).count(str({"overdue_to_manager": 1})) == 1
        # +3 working days: Monday 16 March 17:30, the channel, once, also after a restart.
        await both(ny(3, 16, 17, 30))
        await second.stop()
        second = await start_steward(emulator, db_dsn, tmp_path / "third", clock=clock)
        second.bot.scheduler.shutdown()
        await escalations_job.run(second.bot.deps, ny(3, 16, 17, 31))
        await delivered(bot, clock.at)
    finally:
        await second.stop()
    steps = await rows(db_dsn, "SELECT level, action, fired_at, count(*) OVER (PARTITION BY level) FROM escalation_steps "
                               "WHERE subject_type = 'task' ORDER BY level")
    assert steps == [(1, "owner", ny(3, 12, 8, 0), 1), (2, "manager", ny(3, 12, 17, 30), 1), (3, "channel", ny(3, 16, 17, 30), 1)]
    assert len(await dms(emulator, DIEGO, "A task of yours is overdue")) == 1
    assert len(await dms(emulator, LEE, "A task is overdue")) == 1
    assert len([m for m in emulator.messages(ACME) if t1 in (m.get("text") or "")]) == 1
    await wait_until(lambda: fetchval_of(db_dsn, "SELECT count(*) = 3 FROM notification_deliveries d JOIN notifications n "
                                                 "ON n.id = d.notification_id WHERE n.kind LIKE 'escalation.overdue%%' "
                                                 "AND d.status = 'sent'"))
