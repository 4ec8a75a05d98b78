"""The blocker ladder end to end (issue 13): `/blocker`, the job `escalations` run as if at chosen instants, the
buttons, resolution, through the real bot, its scheduler and dispatcher, and the Slack emulator.

The team's clock is New York's (09:00 to 17:30: a working day is 8.5 working hours), Monday to Friday, with
Monday 9 March 2026 an organization holiday. New York moves to summer time on Sunday 8 March (UTC-5, then UTC-4).
Diego (New York) reports to Lee (New York), who reports to Maya (the admin). The default ladder: 4h owner,
1d manager, 2d channel, 3d flag.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs import escalations as escalations_job
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text, start_steward
from tests.e2e.test_daily_rhythm import LEE, add_lee, add_task, db, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.helpers import fetchval

NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = (f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri eod 17:30 "
            "holidays 2026-03-09")


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


START = ny(3, 6, 13, 0)  # Friday 6 March, 13:00 in New York


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=START)


@asynccontextmanager
async def team_bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    """Steward on the team of this module (Lee added), its scheduler stopped: tests run the jobs as of the instants
    they choose."""
    add_lee(emulator)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    running.bot.scheduler.shutdown()
    try:
        yield running.bot
    finally:
        await running.stop()


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    async with team_bot(emulator, db_dsn, tmp_path, clock) as started:
        yield started


async def setup_team(emulator: SlackEmulator, db_dsn: str) -> None:
    assert "Saved" in await answer_text(emulator, MAYA, "/steward", f"standup {SETTINGS}", channel=STANDUP)
    await answer_text(emulator, MAYA, "/steward", f"manager <@{LEE}> for <@{DIEGO}> <@{PRIYA}>")
    await answer_text(emulator, MAYA, "/steward", f"manager <@{MAYA}> for <@{LEE}>")
    await answer_text(emulator, MAYA, "/steward", f"project add Website relaunch <#{ACME}|client-acme>")


async def on_project(db_dsn: str, display_id: str) -> None:
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE tasks SET project_id = (SELECT id FROM projects) WHERE display_id = %s", (display_id,))


async def delivered(bot: Steward, at: datetime | None = None) -> None:
    """Send what is due by ``at`` (the bot's now) and wait until every such delivery is sent, whichever process's
    dispatcher took it: before a test moves its clock on (a delivery left "sending" across a jump of days would
    look abandoned to the next dispatch) and before it looks for the message."""
    at = at or bot.clock.now()
    await bot.dispatcher.deliver_due(at)

    async def done() -> bool:
        async with bot.pool.connection() as conn:
            return bool(await fetchval(conn, "SELECT count(*) = 0 FROM notification_deliveries WHERE status <> 'sent' "
                                             "AND next_attempt_at <= %s", (at,)))

    await wait_until(done)


async def sweep(bot: Steward, clock: FrozenClock, at: datetime) -> dict[str, Any]:
    """Run `escalations` as if at ``at`` and send what it decided then; the organization's summary."""
    clock.at = at
    report = await bot.scheduler.run_as_of("escalations", at)
    assert report is not None
    await delivered(bot, at)
    return dict(next(iter(report.result.values())))


async def row(dsn: str, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    async with await db(dsn) as conn:
        found = await (await conn.execute(sql, args)).fetchone()
    assert found is not None
    return tuple(found)


async def walk(dsn: str, blocker_id: int | None = None) -> tuple[Any, ...]:
    """(status, escalation_level, next_escalation_at, last_escalated_at) of a blocker (the only one by default)."""
    where = "WHERE id = %s" if blocker_id else ""
    return await row(dsn, f"SELECT status, escalation_level, next_escalation_at, last_escalated_at FROM blockers {where} "
                          "ORDER BY id LIMIT 1", (blocker_id,) if blocker_id else ())


async def dms(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    return [m for m in emulator.messages(await emulator.dm_channel(user)) if words in (m.get("text") or "")]


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


def texts(message: dict[str, Any]) -> str:
    out = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [e.get("text", "") for e in block.get("elements") or [] if isinstance(e, dict) and isinstance(e.get("text"), str)]
    return "\n".join(out)


async def click(emulator: SlackEmulator, user: str, message: dict[str, Any], action_id: str) -> None:
    channel = await emulator.dm_channel(user)
    value = next(e["value"] for b in message["blocks"] if b.get("type") == "actions" for e in b["elements"]
                 if e["action_id"] == action_id)
    mark = len(emulator.calls)
    result = await emulator.click_button(user, message_ts=message["ts"], channel=channel, action_id=action_id, value=value)
    assert not result.timed_out
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)


async def test_a_blocker_climbs_every_rung_across_a_weekend_a_holiday_and_a_managers_leave(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await on_project(db_dsn, task)
    await record_leave(db_dsn, LEE, date(2026, 3, 10), date(2026, 3, 10))  # Lee is out on Tuesday

    # Friday 14:00: 3.5 working hours left on Friday; the weekend and Monday's holiday do not count.
    clock.at = ny(3, 6, 14, 0)
    said = await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys from Acme", channel=STANDUP)
    assert "Blocker opened on `T-1`" in said and "Tue 10 Mar 09:30" in said
    assert await walk(db_dsn) == ("open", 0, ny(3, 10, 9, 30), None)

    assert (await sweep(bot, clock, ny(3, 9, 12, 0))).get("to_owner") is None  # the holiday
    assert (await sweep(bot, clock, ny(3, 10, 9, 29))).get("to_owner") is None
    assert not await dms(emulator, DIEGO, "blocker")

    # +4 working hours, Tuesday 09:30: Diego is asked, with his three buttons.
    assert (await sweep(bot, clock, ny(3, 10, 9, 30)))["to_owner"] == 1
    [asked] = await dms(emulator, DIEGO, "Still blocked on T-1")
    assert buttons(asked) == ["blocker_resolve", "blocker_still", "blocker_help"]
    assert "waiting for the API keys from Acme" in texts(asked) and "open 4 working hours" in texts(asked)
    assert await walk(db_dsn) == ("open", 1, ny(3, 10, 14, 0), ny(3, 10, 9, 30))

    # +1 working day, Tuesday 14:00: Lee is out, so his manager Maya gets it, and the message says why.
    assert (await sweep(bot, clock, ny(3, 10, 14, 0)))["to_manager"] == 1
    assert not await dms(emulator, LEE, "blocked")
    [escalated] = await dms(emulator, MAYA, "blocked on T-1")
    body = texts(escalated)
    assert f"<@{DIEGO}> has been blocked on `T-1` Fix the checkout bug for 1 working day" in body
    assert f"<@{LEE}> is out of office (vacation) today, so it goes to their manager <@{MAYA}>" in body
    assert "Raised in <#C0STANDUP>" in body and "Their latest word" in body
    assert buttons(escalated) == ["blocker_mine", "blocker_resolve", "blocker_reassign"]
    assert await walk(db_dsn) == ("open", 2, ny(3, 11, 14, 0), ny(3, 10, 14, 0))

    # "I'm on it" at 15:00: Maya owns it; the ladder holds one working day (to Wednesday 15:00), Diego hears it.
    clock.at = ny(3, 10, 15, 0)
    await click(emulator, MAYA, escalated, "blocker_mine")
    assert await row(db_dsn, "SELECT pi.external_id FROM blockers b JOIN platform_identities pi ON pi.user_id = b.owner_id") == (MAYA,)
    assert await walk(db_dsn) == ("open", 2, ny(3, 11, 15, 0), ny(3, 10, 14, 0))
    await emulator.wait_for_call("chat.postMessage", lambda c: f"<@{MAYA}> is on the blocker" in (c.args.get("text") or ""), timeout=10)

    assert (await sweep(bot, clock, ny(3, 11, 14, 0))).get("to_channel") is None  # held
    assert (await sweep(bot, clock, ny(3, 11, 15, 0)))["to_channel"] == 1
    [post] = [m for m in emulator.messages(ACME) if "open a while" in (m.get("text") or "")]
    assert f"<@{DIEGO}> on `T-1`" in texts(post) and f"owner of record <@{MAYA}>" in texts(post)
    assert await walk(db_dsn) == ("open", 3, ny(3, 12, 14, 0), ny(3, 11, 15, 0))

    # +3 working days, Thursday 14:00: a flag of severity high to the manager's manager (Lee is back; Maya).
    assert (await sweep(bot, clock, ny(3, 12, 14, 0)))["to_flag"] == 1
    assert await row(db_dsn, "SELECT type, severity, status FROM flags") == ("blocker_escalated", "high", "open")
    assert [m for m in await dms(emulator, MAYA, "blocked on T-1") if "Flag raised" in texts(m)]
    assert await walk(db_dsn) == ("open", 4, None, ny(3, 12, 14, 0))
    assert (await sweep(bot, clock, ny(3, 13, 14, 0))) == {"rungs_skipped": 0, "waiting": 0, "moved": 0, "resolved": 0}

    # Diego resolves it: Maya (told twice) hears who resolved it, once; the channel post gets a reply; Lee was never told.
    clock.at = ny(3, 12, 15, 0)
    said = await answer_text(emulator, DIEGO, "/blocker", f"resolve {task} the keys arrived", channel=STANDUP)
    assert "Resolved the blocker on `T-1`" in said
    await delivered(bot)
    resolved = await dms(emulator, MAYA, "Blocker resolved")
    assert len(resolved) == 1 and f"by <@{DIEGO}>" in resolved[0]["text"] and "the keys arrived" in resolved[0]["text"]
    assert not await dms(emulator, LEE, "Blocker resolved") and not await dms(emulator, DIEGO, "Blocker resolved")
    assert [m for m in emulator.thread(ACME, post["ts"]) if "Blocker resolved" in (m.get("text") or "")]
    assert await walk(db_dsn) == ("resolved", 4, None, ny(3, 12, 14, 0))
    logged = [r[0] for r in (await _all(db_dsn, "SELECT action FROM task_logs WHERE action LIKE 'blocker.%%' ORDER BY id"))]
    assert logged == ["blocker.opened", "blocker.escalated", "blocker.escalated", "blocker.taken_on", "blocker.escalated",
                      "blocker.escalated", "blocker.resolved"]


async def _all(dsn: str, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    async with await db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(sql, args)).fetchall()]


async def test_two_bot_processes_fire_each_rung_once(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                     db_dsn: str, tmp_path: Path) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    second = await start_steward(emulator, db_dsn, tmp_path / "second", clock=clock)
    second.bot.scheduler.shutdown()
    try:
        # Every rung's instant, swept by both processes at once, twice over (a re-run), then by a restarted one.
        for at in (ny(3, 10, 13, 0), ny(3, 11, 9, 30), ny(3, 12, 9, 30), ny(3, 13, 9, 30)):
            clock.at = at
            await asyncio.gather(escalations_job.run(bot.deps, at), escalations_job.run(second.bot.deps, at),
                                 escalations_job.run(bot.deps, at), escalations_job.run(second.bot.deps, at))
            await delivered(bot, at)
        await second.stop()
        second = await start_steward(emulator, db_dsn, tmp_path / "third", clock=clock)
        second.bot.scheduler.shutdown()
        await escalations_job.run(second.bot.deps, ny(3, 13, 9, 30))
        await delivered(bot, clock.at)
    finally:
        await second.stop()
    steps = await _all(db_dsn, "SELECT level, action, count(*) FROM escalation_steps GROUP BY level, action ORDER BY level")
    assert steps == [(1, "owner", 1), (2, "manager", 1), (3, "channel", 1), (4, "flag", 1)]
    assert await walk(db_dsn) == ("open", 4, None, ny(3, 13, 9, 30))
    assert len(await dms(emulator, DIEGO, "Still blocked on T-1")) == 1
    assert len(await dms(emulator, LEE, "blocked on T-1")) == 1
    assert len([m for m in emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]) == 1
    assert len(await dms(emulator, MAYA, "blocked on T-1")) == 1  # the flag
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM flags") == 1
        assert await fetchval(conn, "SELECT count(*) FROM notifications WHERE kind LIKE 'escalation.%%'") == 4


async def test_three_escalations_due_for_one_person_come_as_one_dm(emulator: SlackEmulator, bot: Steward,
                                                                  clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    clock.at = ny(3, 10, 10, 0)
    for title, blocked_on in (("Fix the checkout bug", "waiting for the API keys"), ("Ship the invoices", "legal review")):
        task = await add_task(db_dsn, DIEGO, title)
        await answer_text(emulator, DIEGO, "/blocker", f"{task} {blocked_on}", channel=STANDUP)
    await answer_text(emulator, DIEGO, "/blocker", "the VPN is down for me", channel=STANDUP)
    assert (await sweep(bot, clock, ny(3, 10, 14, 0)))["to_owner"] == 3
    owner_dms = await dms(emulator, DIEGO, "blockers of yours are still open")
    assert len(owner_dms) == 1 and buttons(owner_dms[0]).count("blocker_still") == 3
    assert (await sweep(bot, clock, ny(3, 11, 10, 0)))["to_manager"] == 3
    lee = [m for m in emulator.messages(await emulator.dm_channel(LEE)) if "blocker" in (m.get("text") or "")]
    assert len(lee) == 1 and lee[0]["text"].startswith("3 blockers need someone to own them")
    assert buttons(lee[0]).count("blocker_mine") == 3
    # One press answers one of them; the others keep their buttons.
    await click(emulator, LEE, lee[0], "blocker_mine")
    updated = emulator.message(await emulator.dm_channel(LEE), lee[0]["ts"])
    assert updated is not None and buttons(updated).count("blocker_mine") == 2 and "You're on it" in texts(updated)


async def test_nobody_gets_an_escalation_in_their_quiet_hours(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                              db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{DIEGO}>")  # Sam is in London
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 16, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 11, 11, 30))  # the owner's rung
    # The manager's rung is due Wednesday 16:00 in New York: 20:00 in London, Sam's quiet hours. It waits for
    # his 08:00 (03:00 in New York), and says so; nothing reaches him before.
    summary = await sweep(bot, clock, ny(3, 11, 16, 0))
    assert summary["waiting"] == 1 and "to_manager" not in summary
    london_8am = datetime(2026, 3, 12, 8, 0, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert await walk(db_dsn) == ("open", 1, london_8am, ny(3, 11, 11, 30))
    assert not await dms(emulator, SAM, "blocked")
    assert (await sweep(bot, clock, london_8am))["to_manager"] == 1
    assert await dms(emulator, SAM, "blocked on T-1")


async def test_still_blocked_restarts_the_rung_and_i_need_help_moves_on(emulator: SlackEmulator, bot: Steward,
                                                                        clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 13, 0))
    [asked] = await dms(emulator, DIEGO, "Still blocked on T-1")
    # "Still blocked" at 15:00: the wait from the owner's rung to the manager's (4.5 h) starts over: 17:30 + 2 h.
    clock.at = ny(3, 10, 15, 0)
    await click(emulator, DIEGO, asked, "blocker_still")
    assert await walk(db_dsn) == ("open", 1, ny(3, 11, 11, 0), ny(3, 10, 13, 0))
    assert (await sweep(bot, clock, ny(3, 11, 10, 59))).get("to_manager") is None
    # "I need help" (pressed on the same DM, as a client that had not refreshed still shows it: the buttons are
    # gone from the message itself): the manager's rung comes at the next sweep.
    clock.at = ny(3, 11, 9, 15)
    result = await emulator.click_button(DIEGO, message_ts=asked["ts"], channel=await emulator.dm_channel(DIEGO),
                                         action_id="blocker_help", seen=asked,
                                         value=str((await row(db_dsn, "SELECT id FROM blockers"))[0]))
    assert not result.timed_out

    async def helped() -> bool:
        return (await walk(db_dsn))[2] == ny(3, 11, 9, 15)

    await wait_until(helped)
    assert (await sweep(bot, clock, ny(3, 11, 9, 16)))["to_manager"] == 1
    assert await dms(emulator, LEE, "blocked on T-1")
    assert await row(db_dsn, "SELECT last_word FROM blockers") == ("Asked for help",)


async def test_the_task_done_or_a_standup_word_resolves_and_tells_who_was_told(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    first = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 9, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{first} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 13, 0))
    await sweep(bot, clock, ny(3, 10, 17, 30))  # Lee is told
    assert await dms(emulator, LEE, "blocked on T-1")
    clock.at = ny(3, 10, 17, 45)
    assert "T-1" in await answer_text(emulator, DIEGO, "/task", f"done {first}", channel=STANDUP)
    await delivered(bot)
    [told] = await dms(emulator, LEE, "Blocker resolved")
    assert f"by <@{DIEGO}> (T-1 is done)" in told["text"]
    assert await row(db_dsn, "SELECT status, resolved_by IS NOT NULL FROM blockers") == ("resolved", True)


async def test_ramp_up_goes_to_the_buddy_and_never_to_a_channel(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                                 db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    async with await db(db_dsn) as conn:
        await conn.execute(
            "INSERT INTO user_ramp_up (organization_id, user_id, starts_on, ends_on, buddy_id) SELECT u.organization_id, u.id, "
            "'2026-03-01', '2026-04-30', (SELECT user_id FROM platform_identities WHERE external_id = %s) FROM users u "
            "JOIN platform_identities pi ON pi.user_id = u.id WHERE pi.external_id = %s", (SAM, DIEGO))
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await on_project(db_dsn, task)
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 14, 0))
    assert (await sweep(bot, clock, ny(3, 11, 10, 0)))["to_manager"] == 1
    [buddy] = await dms(emulator, SAM, "blocked on T-1")
    assert f"<@{DIEGO}> is in ramp-up, so it goes to their buddy <@{SAM}>" in texts(buddy)
    assert not await dms(emulator, LEE, "blocked on T-1")
    summary = await sweep(bot, clock, ny(3, 12, 10, 0))
    assert summary["rungs_skipped"] == 1 and "to_channel" not in summary
    assert not [m for m in emulator.messages(ACME) + emulator.messages(STANDUP) if "open a while" in (m.get("text") or "")]
    assert await row(db_dsn, "SELECT outcome, reason FROM escalation_steps WHERE level = 3") == (
        "skipped", f"<@{DIEGO}> is in ramp-up: no channel post")
    assert (await sweep(bot, clock, ny(3, 13, 10, 0)))["to_flag"] == 1
    assert await dms(emulator, MAYA, "blocked on T-1")  # Lee's manager


async def test_the_owners_clock_pauses_while_they_are_out(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                          db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 10, 14, 0))
    assert await walk(db_dsn) == ("open", 1, ny(3, 11, 10, 0), ny(3, 10, 14, 0))
    # Out Wednesday and Thursday, recorded Tuesday 15:00: Friday 10:00 is the truth at once, before any sweep.
    await record_leave(db_dsn, DIEGO, date(2026, 3, 11), date(2026, 3, 12), now=ny(3, 10, 15, 0))
    assert await walk(db_dsn) == ("open", 1, ny(3, 13, 10, 0), ny(3, 10, 14, 0))
    summary = await sweep(bot, clock, ny(3, 11, 10, 0))
    assert summary["moved"] == 0 and "to_manager" not in summary
    assert await walk(db_dsn) == ("open", 1, ny(3, 13, 10, 0), ny(3, 10, 14, 0))
    assert not await dms(emulator, LEE, "blocked")
    assert (await sweep(bot, clock, ny(3, 13, 10, 0)))["to_manager"] == 1


async def test_steward_jobs_run_escalations_now(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str,
                                               tmp_path: Path) -> None:
    from tests.e2e.test_simulated_time import run_job

    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    early = await run_job(emulator, db_dsn, tmp_path / "cli", "escalations", ny(3, 10, 13, 59))
    assert early["result"] == {"1": {"rungs_skipped": 0, "waiting": 0, "moved": 0, "resolved": 0}} and not early["sent"]
    report = await run_job(emulator, db_dsn, tmp_path / "cli", "escalations", ny(3, 10, 14, 0))
    assert report["result"]["1"]["to_owner"] == 1
    assert [(s["kind"], s["to"]) for s in report["sent"]] == [("escalation.blocker", f"<@{DIEGO}>")]
    assert "asked about 1 blocker (its owner)" in report["summary"] and "sent 1 blocker escalation" in report["summary"]
    assert len(await dms(emulator, DIEGO, "Still blocked on T-1")) == 1
    again = await run_job(emulator, db_dsn, tmp_path / "cli", "escalations", ny(3, 10, 14, 0))
    assert again["result"] is None or not again["sent"]  # the same instant again: claimed once, nothing twice
    assert len(await dms(emulator, DIEGO, "Still blocked on T-1")) == 1
