"""The people rules of the escalation ladders that span both of them (issue 13), end to end through the job
`escalations` run as if at chosen instants, the real bot and the Slack emulator: the noise rule across the blocker
and the overdue ladder, the top rung's flag, a cancelled absence, and ramp-up.

The team of tests/e2e/test_blockers.py: New York's clock (09:00 to 17:30), Monday to Friday, Monday 9 March 2026 a
holiday; Diego and Priya report to Lee, who reports to Maya (the admin). Default ladders: blockers ``4h owner, 1d
manager, 2d channel, 3d flag``; overdue work ``0h owner, 1d manager, 3d channel``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs import escalations as escalations_job
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import ACME, DIEGO, MAYA, SAM, STANDUP, answer_text
from tests.e2e.test_blockers import (
    buttons,
    click,
    delivered,
    dms,
    ny,
    on_project,
    row,
    setup_team,
    sweep,
    texts,
    walk,
)
from tests.e2e.test_daily_rhythm import LEE, add_task, db
from tests.e2e.test_overdue import fetchval_of, overdue_task, rows

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures


async def dm_messages(emulator: SlackEmulator, user: str) -> list[dict[str, Any]]:
    return emulator.messages(await emulator.dm_channel(user))


async def test_a_manager_with_blocker_and_overdue_rungs_due_together_gets_one_dm(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    clock.at = ny(3, 10, 10, 0)
    for title, blocked_on in (("Fix the checkout bug", "waiting for the API keys"), ("Ship the invoices", "legal review")):
        task = await add_task(db_dsn, DIEGO, title)
        await answer_text(emulator, DIEGO, "/blocker", f"{task} {blocked_on}", channel=STANDUP)
    late, late_id = await overdue_task(db_dsn, DIEGO, "Send the Acme quote", date(2026, 3, 10), due_at=ny(3, 10, 10, 0),
                                       project=False)
    assert (await sweep(bot, clock, ny(3, 10, 10, 0)))["overdue_to_owner"] == 1  # due at 10:00: Diego is asked
    assert (await sweep(bot, clock, ny(3, 10, 14, 0)))["to_owner"] == 2
    assert not await dm_messages(emulator, LEE)

    # Wednesday 10:00: both blockers' manager rung (+1 working day) and the task's (+1 working day) fall due for Lee
    # in the same sweep: one DM lists the three, each with its own buttons.
    summary = await sweep(bot, clock, ny(3, 11, 10, 0))
    assert summary["to_manager"] == 2 and summary["overdue_to_manager"] == 1
    [lee] = await dm_messages(emulator, LEE)
    assert lee["text"].startswith("3 things need you: 2 blockers and 1 overdue task")
    assert buttons(lee) == ["blocker_mine", "blocker_resolve", "blocker_reassign"] * 2 + [
        "overdue_done", "overdue_new_date", "overdue_drop"]
    body = texts(lee)
    assert "waiting for the API keys" in body and "legal review" in body
    assert f"<@{DIEGO}>'s `{late}` *Send the Acme quote* was due Tue 10 Mar 10:00" in body
    assert await rows(db_dsn, "SELECT n.kind, count(*) FROM notifications n JOIN escalation_steps s ON s.notification_id = n.id "
                              "WHERE s.level = 2 GROUP BY n.kind") == [("escalation.mixed", 3)]

    # A re-run of that minute, by the job itself and a sweep a minute later, sends nothing more.
    await escalations_job.run(bot.deps, ny(3, 11, 10, 0))
    assert "to_manager" not in await sweep(bot, clock, ny(3, 11, 10, 1))
    await delivered(bot, ny(3, 11, 10, 1))
    assert len(await dm_messages(emulator, LEE)) == 1
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM escalation_steps WHERE level = 2") == 3
    assert await fetchval_of(db_dsn, "SELECT overdue_level FROM tasks WHERE id = %s", late_id) == 2
    assert [r[0] for r in await rows(db_dsn, "SELECT escalation_level FROM blockers ORDER BY id")] == [2, 2]

    # One press answers one item; the blocker left and the task keep their buttons.
    await click(emulator, LEE, lee, "blocker_mine")
    updated = emulator.message(await emulator.dm_channel(LEE), lee["ts"])
    assert updated is not None and "You're on it" in texts(updated)
    assert buttons(updated) == ["blocker_mine", "blocker_resolve", "blocker_reassign",
                                "overdue_done", "overdue_new_date", "overdue_drop"]


async def test_the_top_rung_flags_to_the_managers_manager_in_one_message_with_the_flags_buttons(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await on_project(db_dsn, task)
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    for rung in ("to_owner", "to_manager", "to_channel"):
        assert (await sweep(bot, clock, (await walk(db_dsn))[2]))[rung] == 1
    lee_before = len(await dm_messages(emulator, LEE))

    # +3 working days: a flag of severity high about Diego goes to Lee's manager, Maya, as one message carrying the
    # flag's own buttons; Lee (the manager, told at the second rung) gets no separate card, nobody does.
    summary = await sweep(bot, clock, (await walk(db_dsn))[2])
    assert summary["to_flag"] == 1 and "flag_cards" not in summary
    assert await row(db_dsn, "SELECT type, severity, status, notified_at IS NOT NULL FROM flags") == (
        "blocker_escalated", "high", "open", True)
    [flagged] = [m for m in await dm_messages(emulator, MAYA) if "Flag" in texts(m)]
    assert buttons(flagged) == ["flag_inquiry", "flag_resolve", "flag_dismiss"]
    body = texts(flagged)
    assert f"<@{DIEGO}> has been blocked on `T-1` Fix the checkout bug" in body and "Flag `F-1`" in body
    assert "raised by the blocker ladder's last rung" in body.lower()
    await sweep(bot, clock, ny(3, 16, 12, 0))  # later sweeps send no card either
    assert len(await dm_messages(emulator, LEE)) == lee_before
    assert len([m for m in await dm_messages(emulator, MAYA) if "Flag" in texts(m)]) == 1
    assert await fetchval_of(db_dsn, "SELECT told_user_ids = ARRAY[(SELECT user_id FROM platform_identities "
                                     "WHERE external_id = %s)] FROM escalation_steps WHERE level = 4", MAYA)

    # Maya resolves the flag from that message: its item says so.
    clock.at = ny(3, 16, 12, 5)
    await click(emulator, MAYA, flagged, "flag_resolve")
    updated = emulator.message(await emulator.dm_channel(MAYA), flagged["ts"])
    assert updated is not None and "Flag `F-1` resolved by you" in texts(updated) and not buttons(updated)
    assert await row(db_dsn, "SELECT status FROM flags") == ("resolved",)

    # Diego resolves the blocker: everyone told (Lee at the manager rung, Maya at the flag) hears it once; the channel
    # post gets a reply.
    said = await answer_text(emulator, DIEGO, "/blocker", f"resolve {task} the keys arrived", channel=STANDUP)
    assert "Resolved the blocker on `T-1`" in said
    await delivered(bot)
    for person in (LEE, MAYA):
        [told] = await dms(emulator, person, "Blocker resolved")
        assert f"by <@{DIEGO}>" in told["text"]
    [post] = [m for m in emulator.messages(ACME) if "open a while" in (m.get("text") or "")]
    assert [m for m in emulator.thread(ACME, post["ts"]) if "Blocker resolved" in (m.get("text") or "")]


async def test_a_cancelled_absence_brings_the_next_rungs_back_at_once(emulator: SlackEmulator, bot: Steward,
                                                                     clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    late, late_id = await overdue_task(db_dsn, DIEGO, "Send the Acme quote", date(2026, 3, 10), project=False)
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 14, 0))  # the owner's rung
    assert (await walk(db_dsn))[1:3] == (1, ny(3, 11, 10, 0))

    # Diego will be out Wednesday and Thursday: his clocks pause. The task falls due at midnight and is held until
    # he is back (Friday 08:00); the blocker's manager rung moves from Wednesday 10:00 to Friday 10:00.
    clock.at = ny(3, 10, 15, 0)
    assert "Wed 11" in await answer_text(emulator, DIEGO, "/ooo", "Wed-Thu vacation", channel=STANDUP)
    assert (await walk(db_dsn))[2] == ny(3, 13, 10, 0)  # at once: recording the absence recomputed it
    assert (await sweep(bot, clock, ny(3, 11, 0, 0))).get("overdue_held") == 1
    assert (await sweep(bot, clock, ny(3, 11, 10, 0)))["moved"] == 0  # nothing left for the sweep to correct
    assert (await walk(db_dsn))[2] == ny(3, 13, 10, 0)
    assert await fetchval_of(db_dsn, "SELECT overdue_next_at FROM tasks WHERE id = %s", late_id) == ny(3, 13, 8, 0)

    # Wednesday 11:00 he is back after all and cancels it: at once, before any sweep, both stored times are the
    # truth again (both rungs due already), and the next sweep fires them.
    clock.at = ny(3, 11, 11, 0)
    assert "Cancelled your time off" in await answer_text(emulator, DIEGO, "/ooo", "back", channel=STANDUP)
    assert (await walk(db_dsn))[1:3] == (1, ny(3, 11, 10, 0))
    assert await fetchval_of(db_dsn, "SELECT overdue_next_at FROM tasks WHERE id = %s", late_id) == ny(3, 11, 0, 0)
    summary = await sweep(bot, clock, ny(3, 11, 11, 1))
    assert summary["to_manager"] == 1 and summary["overdue_to_owner"] == 1
    assert await dms(emulator, LEE, "blocked on T-1")
    assert [m for m in await dms(emulator, DIEGO, "overdue") if f"`{late}`" in texts(m)]


async def test_ramp_up_takes_overdue_work_to_the_buddy_or_the_manager_and_never_to_a_channel(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    async with await db(db_dsn) as conn:  # no command sets ramp-up yet (issue 14): the row, as it will write it
        await conn.execute(
            "INSERT INTO user_ramp_up (organization_id, user_id, starts_on, ends_on, buddy_id) SELECT u.organization_id, u.id, "
            "'2026-03-01', '2026-04-30', (SELECT user_id FROM platform_identities WHERE external_id = %s) FROM users u "
            "JOIN platform_identities pi ON pi.user_id = u.id WHERE pi.external_id = %s", (SAM, DIEGO))
    first, first_id = await overdue_task(db_dsn, DIEGO, "Send the Acme quote", date(2026, 3, 10), due_at=ny(3, 10, 10, 0))
    second, _ = await overdue_task(db_dsn, DIEGO, "Book the venue", date(2026, 3, 11), due_at=ny(3, 11, 10, 0))
    assert (await sweep(bot, clock, ny(3, 10, 10, 0)))["overdue_to_owner"] == 1

    # +1 working day: the first task goes to his buddy Sam, saying why; not to Lee.
    assert (await sweep(bot, clock, ny(3, 11, 10, 0)))["overdue_to_manager"] == 1
    [buddy] = await dms(emulator, SAM, "overdue")
    assert f"`{first}`" in texts(buddy) and f"<@{DIEGO}> is in ramp-up, so it goes to their buddy <@{SAM}>" in texts(buddy)
    assert not await dms(emulator, LEE, "overdue")

    # Without a buddy, a person in ramp-up's overdue work goes to their manager.
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE user_ramp_up SET buddy_id = NULL")
    assert (await sweep(bot, clock, ny(3, 12, 10, 0)))["overdue_to_manager"] == 1
    [manager] = await dms(emulator, LEE, "overdue")
    assert f"`{second}`" in texts(manager) and "ramp-up" not in texts(manager)

    # +3 working days: no channel post for someone in ramp-up; the rung is recorded as skipped, and why.
    summary = await sweep(bot, clock, ny(3, 13, 10, 0))
    assert summary["overdue_rungs_skipped"] == 1 and "overdue_to_channel" not in summary
    assert not [m for m in emulator.messages(ACME) + emulator.messages(STANDUP) if "overdue" in (m.get("text") or "")]
    assert await rows(db_dsn, "SELECT outcome, reason FROM escalation_steps WHERE subject_id = %s AND level = 3",
                      (first_id,)) == [("skipped", f"<@{DIEGO}> is in ramp-up: no channel post")]


async def test_a_new_absence_moves_the_next_rungs_at_once(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                          db_dsn: str) -> None:
    from tests.e2e.test_daily_rhythm import wait_until

    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 14, 0))  # the owner's rung; the manager's is due Wednesday 10:00
    assert (await walk(db_dsn))[1:3] == (1, ny(3, 11, 10, 0))

    # Tuesday 15:00 `/ooo Wed-Thu`: at once, in the same transaction and before any sweep, the manager's rung moves to
    # Friday 10:00 (his clock pauses those two days); cancelled, it comes back.
    clock.at = ny(3, 10, 15, 0)
    assert "Wed 11" in await answer_text(emulator, DIEGO, "/ooo", "Wed-Thu vacation", channel=STANDUP)
    assert (await walk(db_dsn))[2] == ny(3, 13, 10, 0)
    assert "Cancelled your time off" in await answer_text(emulator, DIEGO, "/ooo", "back", channel=STANDUP)
    assert (await walk(db_dsn))[2] == ny(3, 11, 10, 0)

    # A Slack status that says away, to Friday evening, read Tuesday 16:00: the same, at once.
    clock.at = ny(3, 10, 16, 0)
    await emulator.set_status(DIEGO, "Vacationing", ":palm_tree:", int(ny(3, 13, 20, 0).timestamp()))

    async def moved() -> bool:
        return bool((await walk(db_dsn))[2] != ny(3, 11, 10, 0))

    await wait_until(moved)
    assert (await walk(db_dsn))[2] == ny(3, 16, 17, 30)  # Tuesday to Friday away: all of Monday's working day
    # The same status read again (a sync, a profile edit of something else) recomputes nothing.
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE blockers SET next_escalation_at = %s", (ny(3, 20, 9, 0),))
    await emulator.set_status(DIEGO, "Vacationing", ":palm_tree:", int(ny(3, 13, 20, 0).timestamp()))
    await emulator.set_status(SAM, "In a meeting", ":calendar:")  # a marker: events are handled in order

    async def sam_seen() -> bool:
        async with await db(db_dsn) as conn:
            return bool(await (await conn.execute(
                "SELECT u.slack_status_text = 'In a meeting' FROM users u JOIN platform_identities pi ON pi.user_id = u.id "
                "WHERE pi.external_id = %s", (SAM,))).fetchone() == (True,))

    await wait_until(sam_seen)
    assert (await walk(db_dsn))[2] == ny(3, 20, 9, 0)
