"""What the escalation ladders' messages say, and what becomes of them (issue 13; a fresh tester's findings), end to
end through the job `escalations` run as if at chosen instants, the real bot and the Slack emulator: a flag rung's
flag written as people read it and dated by the sweep's clock, ladder flags and cards closed with their cause, the
words after the last rung, each person's own clock, the channel post's command, the job summary's counts, the truth of
``tasks.overdue_next_at``, a manager's blocker on a report's task, and the spacing after a held rung.

The team of tests/e2e/test_blockers.py: New York's clock (09:00 to 17:30), Monday to Friday, Monday 9 March 2026 a
holiday; Diego and Priya report to Lee, who reports to Maya (the admin). Default ladders: blockers ``4h owner, 1d
manager, 2d channel, 3d flag``; overdue work ``0h owner, 1d manager, 3d channel``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Steward
from bot.blocks import flags as flag_blocks
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import flags
from db.repos.users import user_by_slack_id
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text
from tests.e2e.test_blockers import click, delivered, ny, on_project, row, setup_team, sweep, texts, walk
from tests.e2e.test_daily_rhythm import LEE, add_task, db, reply, wait_until
from tests.e2e.test_distributed_team import post_thread
from tests.e2e.test_overdue import rows

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures


async def dm_messages(emulator: SlackEmulator, user: str) -> list[dict[str, Any]]:
    return emulator.messages(await emulator.dm_channel(user))


async def climb_to_flag(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> tuple[str, datetime]:
    """Diego's blocker on a task of the project, opened Tuesday 10 March 09:00 New York, walked up every rung, each
    swept at its due time: (the task's display id, when the flag rung fired: Thursday 12 March 17:30)."""
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await on_project(db_dsn, task)
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    for rung in ("to_owner", "to_manager", "to_channel", "to_flag"):
        assert (await sweep(bot, clock, (await walk(db_dsn))[2]))[rung] == 1
    return task, (await walk(db_dsn))[3]


async def test_a_flag_rungs_flag_reads_as_people_read_and_is_dated_by_the_sweeps_clock(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    task, flagged_at = await climb_to_flag(emulator, bot, clock, db_dsn)
    assert flagged_at == ny(3, 12, 17, 30)
    # Every row the escalation path wrote is dated by the sweep's clock (a sandbox's simulated time), not the database's.
    assert await row(db_dsn, "SELECT created_at, title, description FROM flags") == (
        flagged_at, "Blocked for 3 working days: waiting for the API keys",
        f"<@{DIEGO}> has been blocked on {task} for 3 working days; the blocker ladder reached its last rung.")
    assert await rows(db_dsn, "SELECT level, created_at = fired_at FROM escalation_steps ORDER BY level") == [
        (1, True), (2, True), (3, True), (4, True)]
    assert await row(db_dsn, "SELECT created_at FROM escalation_steps WHERE level = 4") == (flagged_at,)
    logged = await rows(db_dsn, "SELECT action, created_at FROM task_logs WHERE action LIKE 'blocker.%%' ORDER BY id")
    assert logged[0] == ("blocker.opened", ny(3, 10, 9, 0)) and logged[-1] == ("blocker.escalated", flagged_at)
    # The flag's card, on Maya's clock: the blocker by its name, dates as days, "3 working days"; no internal numbers.
    async with await db(db_dsn) as conn:
        flag = await flags.get(conn, 1, 1)
        maya, diego = await user_by_slack_id(conn, 1, MAYA), await user_by_slack_id(conn, 1, DIEGO)
    assert maya is not None and diego is not None
    _text, blocks = flag_blocks.card(flag, diego, None, maya)
    body = "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)) + "\n" + "\n".join(
        e["text"] for b in blocks if b.get("type") == "context" for e in b["elements"])
    assert "Blocker: T-1" in body and "Blocked since: Tue 10 Mar" in body and "Open for: 3 working days" in body
    assert "Rung" not in body and "Raised:" not in body and "+00:00" not in body and "2026-" not in body
    assert "Raised by the blocker ladder's last rung on Thu 12 Mar" in body
    # The flag in the rung's DM to Maya is dated by the sweep too.
    [flagged] = [m for m in await dm_messages(emulator, MAYA) if "Flag" in texts(m)]
    assert "rung on Thu 12 Mar" in texts(flagged)


def actions_of(message: dict[str, Any] | None) -> list[str]:
    assert message is not None
    return [e["action_id"] for b in message.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


async def now_of(emulator: SlackEmulator, user: str, message: dict[str, Any]) -> dict[str, Any]:
    """``message`` (in ``user``'s DM) as Slack has it now."""
    current = emulator.message(await emulator.dm_channel(user), message["ts"])
    assert current is not None
    return current


async def test_a_resolved_blocker_closes_its_ladders_flag_and_every_message_that_carried_it(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    task, _flagged_at = await climb_to_flag(emulator, bot, clock, db_dsn)
    [owner_dm] = [m for m in await dm_messages(emulator, DIEGO) if "blocker_still" in actions_of(m)]
    [lee_dm] = [m for m in await dm_messages(emulator, LEE) if "blocker_mine" in actions_of(m)]
    [maya_dm] = [m for m in await dm_messages(emulator, MAYA) if "flag_resolve" in actions_of(m)]
    manual = await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed two client calls", channel=STANDUP)
    assert "`F-2`" in manual

    # Friday 13 March 10:00: Diego resolves it. The ladder's flag is resolved by him, with why; Lee's manual flag stays.
    clock.at = ny(3, 13, 10, 0)
    assert "Resolved the blocker" in await answer_text(emulator, DIEGO, "/blocker", f"resolve {task} the keys came",
                                                       channel=STANDUP)
    await delivered(bot)
    assert await rows(db_dsn, "SELECT f.id, f.status, pi.external_id, f.resolved_at, f.note FROM flags f LEFT JOIN "
                              "platform_identities pi ON pi.user_id = f.resolved_by ORDER BY f.id") == [
        (1, "resolved", DIEGO, ny(3, 13, 10, 0), "the blocker was resolved"), (2, "open", None, None, None)]
    # Maya, who got the flag, is told once, in the note every told person gets.
    [told] = [m for m in await dm_messages(emulator, MAYA) if "Blocker resolved" in (m.get("text") or "")]
    assert f"by <@{DIEGO}>" in told["text"] and "Flag `F-1` is resolved with it" in told["text"]
    # Every escalation DM that carried it shows what happened instead of its buttons.
    for user, message in ((DIEGO, owner_dm), (LEE, lee_dm), (MAYA, maya_dm)):
        current = await now_of(emulator, user, message)
        assert not actions_of(current), user
        assert f"Resolved by <@{DIEGO}> on Fri 13 Mar" in texts(current) or \
            f"resolved by <@{DIEGO}> on Fri 13 Mar" in texts(current), (user, texts(current))
    assert "Flag `F-1` resolved with it" in texts(await now_of(emulator, MAYA, maya_dm))
    # A press on a copy of a stale button (a client that had not refreshed) says who resolved it and when.
    again = await emulator.click_button(LEE, message_ts=lee_dm["ts"], channel=await emulator.dm_channel(LEE),
                                        action_id="blocker_mine", value=str(1), seen=lee_dm)
    said = (await again.wait_for_response(timeout=10)).text or ""
    assert f"The blocker on {task} was already resolved by <@{DIEGO}> on Fri 13 Mar. Nothing to do." in said


async def test_an_overdue_task_done_dropped_or_re_dated_closes_its_flag_and_its_messages(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    from tests.e2e.test_overdue import overdue_task

    await setup_team(emulator, db_dsn)
    assert "is now" in await answer_text(emulator, MAYA, "/steward", "ladder overdue 0h owner, 1d manager, 2d flag",
                                         channel=STANDUP)
    clock.at = ny(3, 10, 9, 0)
    done, done_id = await overdue_task(db_dsn, DIEGO, "Send the Acme quote", date(2026, 3, 10), due_at=ny(3, 10, 10, 0))
    dropped, dropped_id = await overdue_task(db_dsn, DIEGO, "Book the venue", date(2026, 3, 10), due_at=ny(3, 10, 10, 0))
    later, later_id = await overdue_task(db_dsn, DIEGO, "Call the printer", date(2026, 3, 12), due_at=ny(3, 12, 10, 0))
    for at in (ny(3, 10, 10, 0), ny(3, 11, 10, 0), ny(3, 12, 10, 0)):
        await sweep(bot, clock, at)
    assert [r[0] for r in await rows(db_dsn, "SELECT status FROM flags ORDER BY id")] == ["open", "open"]
    assert await rows(db_dsn, "SELECT overdue_level, overdue_next_at FROM tasks WHERE id = %s", (later_id,)) == [
        (1, ny(3, 13, 10, 0))]
    [lee_dm] = [m for m in await dm_messages(emulator, LEE) if "overdue_done" in actions_of(m)]
    [maya_dm] = [m for m in await dm_messages(emulator, MAYA) if "flag_resolve" in actions_of(m)]
    assert actions_of(maya_dm).count("flag_resolve") == 2

    # Lee marks one done, then drops the other: each flag is resolved by him with its cause, Maya hears each once,
    # the items lose their buttons, and neither task keeps a next rung.
    clock.at = ny(3, 12, 11, 0)
    assert done in await answer_text(emulator, LEE, "/task", f"done {done}", channel=STANDUP)
    assert dropped in await answer_text(emulator, LEE, "/task", f"drop {dropped} the venue is booked by Acme", channel=STANDUP)
    assert later in await answer_text(emulator, DIEGO, "/task", f"done {later}", channel=STANDUP)
    await delivered(bot)
    assert await rows(db_dsn, "SELECT f.status, pi.external_id, f.note FROM flags f JOIN platform_identities pi "
                              "ON pi.user_id = f.resolved_by ORDER BY f.id") == [
        ("resolved", LEE, f"{done} is done"), ("resolved", LEE, f"{dropped} is dropped")]
    closed = [m for m in await dm_messages(emulator, MAYA) if "is resolved" in (m.get("text") or "")]
    assert len(closed) == 2 and f"{done} is done (<@{LEE}>)" in closed[0]["text"]
    assert not actions_of(await now_of(emulator, MAYA, maya_dm))
    assert not [a for a in actions_of(await now_of(emulator, LEE, lee_dm)) if a.startswith("overdue_")]
    assert f"Done by <@{LEE}> on Thu 12 Mar" in texts(await now_of(emulator, LEE, lee_dm))
    assert await rows(db_dsn, "SELECT id, overdue_next_at FROM tasks WHERE id IN (%s, %s, %s) ORDER BY id",
                      (done_id, dropped_id, later_id)) == [(done_id, None), (dropped_id, None), (later_id, None)]


async def test_after_the_last_rung_the_buttons_promise_no_wait(emulator: SlackEmulator, bot: Steward,
                                                               clock: FrozenClock, db_dsn: str) -> None:
    await climb_to_flag(emulator, bot, clock, db_dsn)
    [owner_dm] = [m for m in await dm_messages(emulator, DIEGO) if "blocker_still" in actions_of(m)]
    [lee_dm] = [m for m in await dm_messages(emulator, LEE) if "blocker_mine" in actions_of(m)]
    clock.at = ny(3, 13, 10, 0)
    await click(emulator, DIEGO, owner_dm, "blocker_still")
    said = texts(await now_of(emulator, DIEGO, owner_dm))
    assert "The ladder has been through every step, so nothing more is sent" in said and "starts over" not in said
    assert (await walk(db_dsn))[2] is None
    await click(emulator, LEE, lee_dm, "blocker_mine")
    said = texts(await now_of(emulator, LEE, lee_dm))
    assert "You're on it: you own it now. The ladder has been through every step" in said and "holds" not in said
    await delivered(bot)
    [heard] = [m for m in await dm_messages(emulator, DIEGO) if "is on the blocker" in (m.get("text") or "")]
    assert "holds until" not in heard["text"] and "nothing more is sent" in heard["text"]


async def test_a_hold_is_shown_on_each_readers_clock_and_a_new_owner_is_asked_with_their_buttons(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, PRIYA, "Translate the brochure")  # Priya (Kolkata) reports to Lee (New York)
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, PRIYA, "/blocker", f"{task} waiting for the glossary", channel=STANDUP)
    for rung in ("to_owner", "to_manager"):  # each at its due time, or when its recipient can be reached
        first = await sweep(bot, clock, (await walk(db_dsn))[2])
        if rung not in first:
            assert first["waiting"] == 1 and (await sweep(bot, clock, (await walk(db_dsn))[2]))[rung] == 1
    [lee_dm] = [m for m in await dm_messages(emulator, LEE) if "blocker_reassign" in actions_of(m)]

    # Lee gives it to Sam (London) on Wednesday 11 March 10:00 New York: the ladder holds one working day of Priya's.
    clock.at = ny(3, 11, 10, 0)
    mark = len(emulator.calls)
    block_id = next(b["block_id"] for b in lee_dm["blocks"] if b.get("type") == "actions")
    await emulator.click_button(LEE, message_ts=lee_dm["ts"], channel=await emulator.dm_channel(LEE),
                                action_id="blocker_reassign", value="1", block_id=block_id)
    await emulator.wait_for_call("views.open", since=mark, timeout=15)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "blocker_reassign")
    await emulator.submit_view(LEE, view_id, {"owner": {"owner": {"type": "users_select", "selected_user": SAM}}})
    async def reassigned() -> bool:
        return (await row(db_dsn, "SELECT held_until FROM blockers"))[0] is not None

    await wait_until(reassigned)
    held = (await row(db_dsn, "SELECT held_until FROM blockers"))[0]
    await delivered(bot)

    def on(at: datetime, tz: str) -> str:
        local = at.astimezone(ZoneInfo(tz))
        return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"

    [sam] = [m for m in await dm_messages(emulator, SAM) if "to take" in (m.get("text") or "")]
    assert f"<@{LEE}> asked you to take the blocker" in sam["text"] and f"holds until {on(held, 'Europe/London')}." in sam["text"]
    assert actions_of(sam) == ["blocker_resolve", "blocker_still", "blocker_help"]
    [priya] = [m for m in await dm_messages(emulator, PRIYA) if "to take" in (m.get("text") or "")]
    assert f"<@{LEE}> asked <@{SAM}> to take the blocker" in priya["text"]
    assert f"holds until {on(held, 'Asia/Kolkata')}." in priya["text"]


async def test_the_channel_post_names_each_blockers_command_and_the_summary_counts_blockers_as_blockers(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    from jobs.summaries import summarise

    await setup_team(emulator, db_dsn)
    clock.at = ny(3, 10, 10, 0)
    for title, blocked_on in (("Fix the checkout bug", "waiting for the API keys"), ("Ship the invoices", "legal review")):
        task = await add_task(db_dsn, DIEGO, title)
        await answer_text(emulator, DIEGO, "/blocker", f"{task} {blocked_on}", channel=STANDUP)
    await answer_text(emulator, DIEGO, "/blocker", "the VPN is down for me", channel=STANDUP)
    first = await sweep(bot, clock, ny(3, 10, 14, 0))  # one person, three blockers
    assert summarise("escalations", {"1": first}).startswith("escalations: asked about 3 blockers (their owners)")
    await sweep(bot, clock, ny(3, 11, 10, 0))
    await sweep(bot, clock, ny(3, 12, 10, 0))
    [post] = [m for m in emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]
    assert ("their owners resolve them with `/blocker resolve T-1`, `/blocker resolve T-2`, `/blocker resolve B-1`"
            in texts(post)), texts(post)
    assert "T-n" not in texts(post)


async def test_after_a_rung_waits_for_its_recipient_the_next_keeps_its_spacing_and_never_posts_at_night(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{DIEGO}>")  # Sam is in London
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 16, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the staging credentials", channel=STANDUP)
    assert (await sweep(bot, clock, ny(3, 11, 11, 30)))["to_owner"] == 1
    # Sam's rung is due Wednesday 16:00 New York, 20:00 in London: his quiet hours. Swept at 16:00 each day (the
    # bot down in between), it waits for him: Thursday, Friday, then his weekend.
    for day in (11, 12, 13):
        assert (await sweep(bot, clock, ny(3, day, 16, 0)))["waiting"] == 1
    # Monday 16 March 08:05 London (04:05 New York): Sam is asked.
    assert (await sweep(bot, clock, ny(3, 16, 4, 5)))["to_manager"] == 1
    # A minute later the channel rung (due Thursday by the walk) does not follow at 04:06 in the team's night: it
    # keeps its working day after Sam was asked, in the team's working hours.
    assert (await sweep(bot, clock, ny(3, 16, 4, 6))).get("to_channel") is None
    assert not [m for m in emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]
    assert (await walk(db_dsn))[1:] == (2, ny(3, 16, 17, 30), ny(3, 16, 4, 5))
    assert (await sweep(bot, clock, ny(3, 16, 17, 30)))["to_channel"] == 1
    assert [m for m in emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]
    assert (await walk(db_dsn))[1:] == (3, ny(3, 17, 17, 30), ny(3, 16, 17, 30))  # the flag a working day on


async def test_a_channel_rung_due_in_the_teams_night_waits_for_its_working_hours(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", "standup local on")  # Priya's waits run on her clock, Kolkata's
    task = await add_task(db_dsn, PRIYA, "Translate the brochure")
    await answer_text(emulator, PRIYA, "/blocker", f"{task} waiting for the glossary", channel=STANDUP)
    await answer_text(emulator, MAYA, "/steward", "ladder blocker 0h channel")
    # Due at once, at 04:00 New York (13:30 in Kolkata, her working day): the post waits for the team's 09:00.
    assert (await sweep(bot, clock, ny(3, 10, 4, 0))).get("to_channel") is None
    assert not [m for m in emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]
    assert (await walk(db_dsn))[2] == ny(3, 10, 9, 0)
    assert (await sweep(bot, clock, ny(3, 10, 9, 0)))["to_channel"] == 1


async def test_the_blocker_answer_says_when_its_person_will_actually_be_asked(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    # Friday 6 March 13:00 New York (23:30 in Kolkata): 4 working hours on the team's clock end Friday 17:00, which is
    # Saturday 03:30 for Priya; her weekend and Monday's holiday follow, so she is asked Tuesday 08:00 her time.
    said = await answer_text(emulator, PRIYA, "/blocker", "waiting for design sign-off on the checkout page",
                             channel=STANDUP)
    assert "If it's still open, you'll be asked about it Tue 10 Mar 08:00;" in said, said
    assert "Sat 7 Mar" not in said and "Fri 6 Mar" not in said
    asked_at = datetime(2026, 3, 10, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert (await sweep(bot, clock, ny(3, 6, 17, 0)))["waiting"] == 1  # the answer's promise is the sweep's truth
    assert (await walk(db_dsn))[2] == asked_at
    assert (await sweep(bot, clock, asked_at))["to_owner"] == 1


async def manager_dm(emulator: SlackEmulator, task: str) -> str:
    [escalated] = [m for m in await dm_messages(emulator, LEE) if f"blocked on {task}" in (m.get("text") or "")]
    return texts(escalated)


async def test_a_blocker_a_manager_opens_tells_its_person_and_their_latest_word_is_only_theirs(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Refresh the brand pages")
    other = await add_task(db_dsn, DIEGO, "Fix the nav menu")
    clock.at = ny(3, 10, 9, 0)
    said = await answer_text(emulator, LEE, "/blocker", f"{task} waiting for Acme to send the brand guidelines",
                             channel=STANDUP)
    assert f"for <@{DIEGO}>" in said and f"<@{DIEGO}> will be asked about it Tue 10 Mar 13:00" in said
    # Diego hears it at once, with the buttons of his own blocker.
    await delivered(bot)
    [told] = [m for m in await dm_messages(emulator, DIEGO) if "opened a blocker on your" in (m.get("text") or "")]
    assert f"<@{LEE}> opened a blocker on your `{task}`" in told["text"]
    assert "you'll be asked about it Tue 10 Mar 13:00" in told["text"]
    assert actions_of(told) == ["blocker_resolve", "blocker_still", "blocker_help"]

    # His standup update says nothing of it: Lee's words are not "his latest word", nor is that update.
    thread = await post_thread(emulator, bot, clock, ny(3, 10, 9, 30), db_dsn)
    clock.at = ny(3, 10, 9, 45)
    await reply(emulator, DIEGO, thread, f"Today: I'll fix the nav menu ({other}) by 11am.")
    await sweep(bot, clock, ny(3, 10, 13, 0))
    await sweep(bot, clock, ny(3, 11, 9, 0))
    body = await manager_dm(emulator, task)
    assert "Their latest word" not in body and "brand guidelines" in body
    assert f"<@{DIEGO}> hasn't said anything about it yet." in body and "nav menu" not in body


async def test_the_latest_word_is_the_owners_sentence_about_the_blocker(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Refresh the brand pages")
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, LEE, "/blocker", f"{task} waiting for Acme to send the brand guidelines", channel=STANDUP)
    thread = await post_thread(emulator, bot, clock, ny(3, 10, 9, 30), db_dsn)
    clock.at = ny(3, 10, 9, 45)
    await reply(emulator, DIEGO, thread, "Today: the invoices. Acme still hasn't sent the guidelines, I chased them.")
    await sweep(bot, clock, ny(3, 10, 13, 0))
    await sweep(bot, clock, ny(3, 11, 9, 0))
    body = await manager_dm(emulator, task)
    assert "Their latest word (Tue 10 Mar 09:45): \u201cAcme still hasn't sent the guidelines, I chased them.\u201d" in body, body
    assert "invoices" not in body
