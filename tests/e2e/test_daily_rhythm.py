"""The daily rhythm end to end (F4, F5, F8): morning threads, replies, nudges, the manager summary,
out of office, the end-of-day check-in, the day's close, mood and journals. Jobs run through the
scheduler (as production and the sandbox run them) with the clock moved."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import tasks as task_service
from bot.services import workspace
from jobs import morning_thread
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, start_steward
from tests.helpers import fetchval

LEE = "U0LEE"
FRIDAY = date(2026, 3, 6)
MONDAY = date(2026, 3, 9)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_lee(emu: SlackEmulator) -> None:
    emu.add_user(LEE, "lee", "Lee Park", email="lee@acme.test", tz="America/New_York")
    emu.workspace.channel(STANDUP).members.append(LEE)


async def run_job(bot: Steward, name: str) -> Any:
    """Run a job as the scheduler would at the bot's (frozen) now."""
    return await bot.scheduler.run_claimed(name, bot.clock.now())


async def wait_until(predicate: Any, timeout: float = 15.0) -> None:  # noqa: ASYNC109 (a test helper)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def db(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def org_id(dsn: str) -> int:
    async with await db(dsn) as conn:
        return await fetchval(conn, "SELECT id FROM organizations")


async def configure(emu: SlackEmulator, text: str) -> str:
    result = await emu.slash_command(MAYA, "/steward", f"standup {text}", channel=STANDUP)
    return (await result.wait_for_response(timeout=10)).text


async def set_managers(dsn: str, manager: str, reports: list[str], *, role: str | None = None) -> None:
    async with await db(dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        mid = (await workspace.user_by_slack_id(conn, org, manager)).id  # type: ignore[union-attr]
        if role:
            await conn.execute("UPDATE users SET role = %s WHERE id = %s", (role, mid))
        for r in reports:
            await conn.execute("UPDATE users SET manager_id = %s WHERE id = (SELECT user_id FROM platform_identities "
                               "WHERE organization_id = %s AND external_id = %s)", (mid, org, r))


async def add_task(dsn: str, slack_id: str, title: str) -> str:
    async with await db(dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        user = await workspace.user_by_slack_id(conn, org, slack_id)
        assert user is not None
        task = await task_service.create(conn, org, user, user.id, task_service.NewTask(title=title), source="slash")
        return task.display_id


def thread_roots(emu: SlackEmulator) -> list[dict[str, Any]]:
    return [m for m in emu.messages(STANDUP, include_replies=False) if m.get("user") == emu.bot_user_id or m.get("bot_id")]


async def wait_thread(emu: SlackEmulator, mark: int) -> dict[str, Any]:
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP and not c.args.get("thread_ts"),
                                   since=mark, timeout=15)
    return call.args


async def reply(emu: SlackEmulator, user: str, thread_ts: str, text: str) -> tuple[str, dict[str, Any]]:
    """Reply in the thread as ``user``; returns (the reply's ts, the bot's answer under it)."""
    mark = len(emu.calls)
    ts = await emu.user_message(user, STANDUP, text, thread_ts=thread_ts)
    await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == thread_ts, since=mark, timeout=15)
    answers = [m for m in emu.thread(STANDUP, thread_ts) if m.get("bot_id") or m.get("user") == emu.bot_user_id]
    return ts, answers[-1]


async def dms_to(emu: SlackEmulator, user: str) -> list[dict[str, Any]]:
    return emu.messages(await emu.dm_channel(user))


async def notification_count(dsn: str, kind: str, slack_id: str | None = None) -> int:
    async with await db(dsn) as conn:
        return await fetchval(conn, "SELECT count(*) FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id "
                                    "WHERE n.kind = %s AND (%s::text IS NULL OR d.target_id = %s)", (kind, slack_id, slack_id))


def thread_text(message: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in message.get("blocks") or [] if isinstance(b.get("text"), dict)) + \
        "\n".join(e.get("text", "") for b in message.get("blocks") or [] if b.get("type") == "context" for e in b.get("elements", []))


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 5, 15, 0, 30))  # Thursday 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    add_lee(emulator)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


SETTINGS = f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri nudge 60 summary 120 eod 17:30"


async def test_a_whole_day_across_a_weekend_and_a_dst_change(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                            db_dsn: str) -> None:
    # Admins set the rhythm in words; others are refused (and it is logged).
    refused = await emulator.slash_command(SAM, "/steward", "standup time 07:00", channel=STANDUP)
    assert "only Steward admins" in (await refused.wait_for_response(timeout=10)).text
    answer = await configure(emulator, SETTINGS)
    assert "Saved" in answer and "09:00 America/New_York" in answer and "Mon\u2013Fri" in answer
    await set_managers(db_dsn, MAYA, [PRIYA, SAM, DIEGO, LEE])
    t1 = await add_task(db_dsn, MAYA, "Finish the Q1 report")
    t2 = await add_task(db_dsn, MAYA, "Update the Acme contract")
    t3 = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await add_task(db_dsn, PRIYA, "Write the onboarding docs")
    # Sam will be away on Friday.
    ooo = await emulator.slash_command(SAM, "/ooo", "Friday vacation")
    assert "Fri 6 Mar" in (await ooo.wait_for_response(timeout=10)).text

    # Friday 08:59 in New York: nothing yet. 09:00 (14:00 UTC, winter time): the thread.
    clock.at = utc(2026, 3, 6, 13, 59, 30)
    await run_job(bot, "morning-thread")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM morning_threads") == 0
    clock.at = utc(2026, 3, 6, 14, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    posted = await wait_thread(emulator, mark)
    listing = thread_text(posted)
    assert "Friday 6 March" in listing
    for name in ("Maya", "Priya", "Diego", "Lee"):
        assert name in listing
    assert "Out today: Sam" in listing and "Sam Carter* \u2014" not in listing and "*sam*" not in listing
    assert t1 in listing and t3 in listing
    # Run again (a re-run, another minute): still one thread.
    clock.at = utc(2026, 3, 6, 14, 1, 30)
    await run_job(bot, "morning-thread")
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT status = 'posted' FROM morning_threads"))
        thread_ts = await fetchval(conn, "SELECT thread_ts FROM morning_threads")
        assert await fetchval(conn, "SELECT count(*) FROM morning_threads") == 1
    assert len(thread_roots(emulator)) == 1

    # Three replies become plans.
    clock.at = utc(2026, 3, 6, 14, 5, 30)
    _, maya_answer = await reply(emulator, MAYA, thread_ts,
                                 f"Morning! Today: finish {t1} and write the Acme blog post. Blocked on legal review for {t2}")
    _, priya_answer = await reply(emulator, PRIYA, thread_ts, "Fix the login bug, then review the homepage copy")
    _, diego_answer = await reply(emulator, DIEGO, thread_ts, f"{t3} and deploy the staging build")
    assert t1 in str(maya_answer["blocks"]) and "Blocker on" in str(maya_answer["blocks"])
    assert any(b.get("block_id") == "standup_reply_actions" for b in priya_answer["blocks"])
    assert "(late)" not in str(diego_answer["blocks"])
    async with await db(db_dsn) as conn:
        plans = await (await conn.execute(
            "SELECT pi.external_id, t.display_id, t.title, p.source FROM day_plan_items p JOIN tasks t ON t.id = p.task_id "
            "JOIN platform_identities pi ON pi.user_id = p.user_id WHERE p.plan_date = %s ORDER BY t.display_number", (FRIDAY,))).fetchall()
        by_person: dict[str, list[str]] = {}
        for who, _display, title, _source in plans:
            by_person.setdefault(who, []).append(title)
        assert by_person[MAYA][0] == "Finish the Q1 report" and "blog post" in by_person[MAYA][1].lower()
        assert len(by_person[MAYA]) == 2  # the blocked contract is not on the plan
        assert [("login" in t.lower(), "homepage" in t.lower()) for t in by_person[PRIYA]] == [(True, False), (False, True)]
        assert by_person[DIEGO][0] == "Fix the checkout bug" and "staging" in by_person[DIEGO][1].lower()
        assert await fetchval(conn, "SELECT t.display_id FROM blockers b JOIN tasks t ON t.id = b.task_id") == t2
        assert await fetchval(conn, "SELECT count(*) FROM thread_submissions WHERE NOT is_late") == 3
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE source = 'thread'") == 4

    # 09:59: nobody nudged yet. 10:00: Lee (no reply) is nudged once; Sam (out) never.
    clock.at = utc(2026, 3, 6, 14, 59, 30)
    await run_job(bot, "nudges")
    assert await notification_count(db_dsn, "standup.nudge") == 0
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    lee_dm = await emulator.dm_channel(LEE)
    nudge = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (LEE, lee_dm), since=mark, timeout=15)
    assert "haven't posted your plan" in str(nudge.args.get("blocks"))
    for minute in (1, 2):
        clock.at = utc(2026, 3, 6, 15, minute, 30)
        await run_job(bot, "nudges")
    assert await notification_count(db_dsn, "standup.nudge") == 1
    assert await notification_count(db_dsn, "standup.nudge", LEE) == 1
    assert await notification_count(db_dsn, "standup.nudge", SAM) == 0

    # 11:00: Maya, their manager, gets one summary naming exactly the missing report.
    clock.at = utc(2026, 3, 6, 16, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    maya_dm = await emulator.dm_channel(MAYA)
    summary = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm), since=mark, timeout=15)
    named = summary.args["text"]
    assert f"<@{LEE}>" in named
    for other in (PRIYA, SAM, DIEGO):
        assert f"<@{other}>" not in named
    clock.at = utc(2026, 3, 6, 16, 5, 30)
    await run_job(bot, "nudges")
    assert await notification_count(db_dsn, "standup.manager_summary") == 1

    # 17:30: the end-of-day check-in (not for Lee: nothing planned; not for Sam: out). Priya's (04:00 on
    # Saturday in Kolkata) is held until she can be reached after her weekend, Monday 08:00 in Kolkata,
    # and she never answers.
    clock.at = utc(2026, 3, 6, 22, 30, 30)
    mark = len(emulator.calls)
    await run_job(bot, "end-of-day")
    diego_dm = await emulator.dm_channel(DIEGO)
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (DIEGO, diego_dm), since=mark, timeout=15)
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm), since=mark, timeout=15)
    assert await notification_count(db_dsn, "standup.eod_checkin") == 3
    for absent in (LEE, SAM):
        assert await notification_count(db_dsn, "standup.eod_checkin", absent) == 0
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT status FROM notification_deliveries WHERE target_id = %s", (PRIYA,)) == "held"
        assert await fetchval(conn, "SELECT next_attempt_at FROM notification_deliveries WHERE target_id = %s",
                              (PRIYA,)) == utc(2026, 3, 9, 2, 30)

    def checkin(channel: str) -> dict[str, Any]:
        return next(m for m in emulator.messages(channel) if any(str(b.get("block_id", "")).startswith("eod:") for b in m.get("blocks", [])))

    # Maya ticks the report and drops the blog post (with a reason); Diego: all done.
    maya_checkin = checkin(maya_dm)
    async with await db(db_dsn) as conn:
        report_id = await fetchval(conn, "SELECT id FROM tasks WHERE display_id = %s", (t1,))
        blog_id = await fetchval(conn, "SELECT id FROM tasks WHERE title ILIKE '%%blog post%%'")
    mark = len(emulator.calls)
    await emulator.click_button(MAYA, message_ts=maya_checkin["ts"], channel=maya_dm, action_id="eod_toggle",
                                block_id="eod:2026-03-06:0", fields={"selected_options": [{"value": str(report_id)}]})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    mark = len(emulator.calls)
    await emulator.click_button(MAYA, message_ts=maya_checkin["ts"], channel=maya_dm, action_id="eod_drop_open", value="2026-03-06")
    await emulator.wait_for_call("views.open", since=mark, timeout=15)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "eod_drop")
    empty = await emulator.submit_view(MAYA, view_id, {"task": {"task": {"type": "static_select", "selected_option": {"value": str(blog_id)}}},
                                                       "reason": {"reason": {"type": "plain_text_input", "value": " "}}})
    assert empty is not None and "reason" in empty.get("errors", {})
    mark = len(emulator.calls)
    await emulator.submit_view(MAYA, view_id, {"task": {"task": {"type": "static_select", "selected_option": {"value": str(blog_id)}}},
                                               "reason": {"reason": {"type": "plain_text_input", "value": "Client postponed it"}}})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=checkin(diego_dm)["ts"], channel=diego_dm, action_id="eod_all_done", value="2026-03-06")
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)

    # Midnight in New York (05:00 UTC Saturday): the day closes.
    clock.at = utc(2026, 3, 7, 4, 59, 30)
    await run_job(bot, "day-close")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM task_statuses") == 0
    clock.at = utc(2026, 3, 7, 5, 0, 30)
    await run_job(bot, "day-close")
    clock.at = utc(2026, 3, 7, 5, 1, 30)
    await run_job(bot, "day-close")  # closing twice changes nothing
    async with await db(db_dsn) as conn:
        rows = await (await conn.execute(
            "SELECT pi.external_id, t.title, s.status, s.reason, s.answered, t.carry_forward_count FROM task_statuses s "
            "JOIN tasks t ON t.id = s.task_id JOIN platform_identities pi ON pi.user_id = s.user_id "
            "WHERE s.status_date = %s ORDER BY t.display_number", (FRIDAY,))).fetchall()
        # One per planned task; Priya's day stays open until four hours after her check-in reaches her.
        assert await fetchval(conn, "SELECT count(*) FROM task_statuses") == 4
    statuses = {(who, title): (status, reason, answered, carried) for who, title, status, reason, answered, carried in rows}
    assert statuses[(MAYA, "Finish the Q1 report")] == ("done", None, True, 0)
    blog = next(v for (who, title), v in statuses.items() if who == MAYA and "blog" in title.lower())
    assert blog == ("dropped", "Client postponed it", True, 0)
    assert sorted(v for (who, _), v in statuses.items() if who == DIEGO) == [("done", None, True, 0)] * 2
    assert not [v for (who, _), v in statuses.items() if who == PRIYA]

    # The weekend: no threads.
    for day in (7, 8):
        clock.at = utc(2026, 3, day, 14, 0, 30)
        await run_job(bot, "morning-thread")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM morning_threads") == 1

    # Monday 08:00 in Kolkata: Priya's Friday check-in reaches her, naming the day; her Friday closes four
    # hours later, unanswered.
    clock.at = utc(2026, 3, 9, 2, 30, 30)
    priya_dm = await emulator.dm_channel(PRIYA)
    held = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (PRIYA, priya_dm), timeout=15)
    assert "Tick what you finished on Friday" in str(held.args["blocks"])
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT status = 'sent' FROM notification_deliveries WHERE target_id = %s", (PRIYA,)))
    clock.at = utc(2026, 3, 9, 6, 29, 30)
    await run_job(bot, "day-close")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM task_statuses") == 4
    clock.at = utc(2026, 3, 9, 6, 31, 30)
    await run_job(bot, "day-close")
    async with await db(db_dsn) as conn:
        priya = await (await conn.execute(
            "SELECT s.status, s.answered, t.carry_forward_count FROM task_statuses s JOIN tasks t ON t.id = s.task_id "
            "JOIN platform_identities pi ON pi.user_id = s.user_id WHERE pi.external_id = %s AND s.status_date = %s",
            (PRIYA, FRIDAY))).fetchall()
    assert priya == [("carry_forward", False, 1)] * 2

    # Monday, after the change to summer time: 09:00 in New York is 13:00 UTC.
    clock.at = utc(2026, 3, 9, 12, 59, 30)
    await run_job(bot, "morning-thread")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM morning_threads") == 1
    clock.at = utc(2026, 3, 9, 13, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    monday = thread_text(await wait_thread(emulator, mark))
    assert "Monday 9 March" in monday and "Out today" not in monday
    priya_line = next(line for line in monday.splitlines() if "Priya" in line)
    assert priya_line.count("carried 1\u00d7") == 2 and "login" in priya_line.lower()
    async with await db(db_dsn) as conn:
        carried = await fetchval(conn, "SELECT count(*) FROM day_plan_items WHERE plan_date = %s AND source = 'carried'", (MONDAY,))
    assert carried == 2


async def test_no_thread_on_holidays_and_never_twice_with_two_processes(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    add_lee(emulator)
    clock = FrozenClock(at=utc(2026, 3, 9, 12, 0, 30))
    a = await start_steward(emulator, db_dsn, tmp_path / "a", clock=clock)
    b = await start_steward(emulator, db_dsn, tmp_path / "b", clock=clock)
    try:
        await configure(emulator, SETTINGS + " holidays 2026-03-10")
        clock.at = utc(2026, 3, 9, 13, 0, 30)
        mark = len(emulator.calls)
        # Both processes' schedulers fire at the same minute: one runs it.
        slot = utc(2026, 3, 9, 13, 0)
        results = await asyncio.gather(a.bot.scheduler.run_claimed("morning-thread", slot),
                                       b.bot.scheduler.run_claimed("morning-thread", slot))
        assert sum(r is not None for r in results) == 1
        # Both believe they lead (a hand-over) and run the job body at once; then a re-run later.
        results = await asyncio.gather(morning_thread.run(a.bot.deps, clock.now()), morning_thread.run(b.bot.deps, clock.now()))
        clock.at = utc(2026, 3, 9, 13, 20, 30)
        await run_job(a.bot if a.bot.leadership.is_leader else b.bot, "morning-thread")
        await wait_thread(emulator, mark)
        async with await db(db_dsn) as conn:
            await wait_until(lambda: fetchval(conn, "SELECT count(*) = 1 FROM notification_deliveries d JOIN notifications n "
                                                    "ON n.id = d.notification_id WHERE d.status = 'sent' AND n.kind = 'standup.thread'"))
            assert await fetchval(conn, "SELECT count(*) FROM morning_threads") == 1
            assert await fetchval(conn, "SELECT count(*) FROM notifications WHERE kind = 'standup.thread'") == 1
        assert len(thread_roots(emulator)) == 1
        # Tuesday 10 March is a holiday; Wednesday is not.
        clock.at = utc(2026, 3, 10, 13, 0, 30)
        leader = a.bot if a.bot.leadership.is_leader else b.bot
        summary = await morning_thread.run(leader.deps, clock.now())
        assert next(iter(summary.values()))["skipped"] == "holiday"
        clock.at = utc(2026, 3, 11, 13, 0, 30)
        await run_job(leader, "morning-thread")
        async with await db(db_dsn) as conn:
            days = [r[0] for r in await (await conn.execute("SELECT thread_date FROM morning_threads ORDER BY 1")).fetchall()]
        assert days == [MONDAY, date(2026, 3, 11)]
    finally:
        for r in (a, b):
            try:
                await r.stop()
            except Exception:
                pass


async def test_late_reply_edited_reply_undo_and_ooo_from_a_dm(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                              db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    # "I'm out Monday to Wednesday" in a DM (Thursday): recorded as parsed out-of-office.
    lee_dm = await emulator.dm_channel(LEE)
    mark = len(emulator.calls)
    await emulator.user_message(LEE, lee_dm, "I'm out Monday to Wednesday")
    said = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == lee_dm, since=mark, timeout=15)
    assert "from Mon 9 Mar to Wed 11 Mar (3 workdays)" in said.args["text"]
    async with await db(db_dsn) as conn:
        row = await (await conn.execute("SELECT start_date, end_date, source, source_ts IS NOT NULL FROM ooo_records")).fetchone()
    assert row == (MONDAY, date(2026, 3, 11), "parsed", True)

    clock.at = utc(2026, 3, 6, 14, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    await wait_thread(emulator, mark)
    thread_ts = thread_roots(emulator)[-1]["ts"]

    # On time, then edited: the plan follows the edit (the dropped task is taken back).
    clock.at = utc(2026, 3, 6, 14, 10, 30)
    sam_ts, answer = await reply(emulator, SAM, thread_ts, "Fix the login bug and write the release notes")
    assert "(late)" not in str(answer["blocks"])
    async with await db(db_dsn) as conn:
        titles = [r[0] for r in await (await conn.execute("SELECT title FROM tasks ORDER BY display_number")).fetchall()]
    assert len(titles) == 2 and "release notes" in titles[1].lower()
    clock.at = utc(2026, 3, 6, 14, 20, 30)
    mark = len(emulator.calls)
    await emulator.edit_message(STANDUP, sam_ts, "Fix the login bug and update the changelog")
    updated = await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert updated.args["ts"] == answer["ts"] and "changelog" in str(updated.args["blocks"]).lower()
    async with await db(db_dsn) as conn:
        plan = [r[0] for r in await (await conn.execute(
            "SELECT t.title FROM day_plan_items p JOIN tasks t ON t.id = p.task_id ORDER BY t.display_number")).fetchall()]
        raw, edited = (await (await conn.execute("SELECT raw_text, edited_at IS NOT NULL FROM thread_submissions")).fetchone())  # type: ignore[misc]
        remaining = await fetchval(conn, "SELECT count(*) FROM tasks WHERE title ILIKE '%%release notes%%'")
    assert len(plan) == 2 and "login" in plan[0].lower() and "changelog" in plan[1].lower()
    assert raw == "Fix the login bug and update the changelog" and edited and remaining == 0

    # After the nudge time: a reply is marked late.
    clock.at = utc(2026, 3, 6, 15, 30, 30)
    _, late_answer = await reply(emulator, DIEGO, thread_ts, "Prepare the sprint demo")
    assert "(late)" in str(late_answer["blocks"])
    async with await db(db_dsn) as conn:
        lateness = dict(await (await conn.execute(
            "SELECT pi.external_id, s.is_late FROM thread_submissions s JOIN platform_identities pi ON pi.user_id = s.user_id")).fetchall())
    assert lateness == {SAM: False, DIEGO: True}

    # Undo takes the reply back (only its author may).
    refused = await emulator.click_button(SAM, message_ts=late_answer["ts"], channel=STANDUP, action_id="standup_undo",
                                          value=late_answer["blocks"][-1]["elements"][0]["value"])
    assert "Only the person" in (await refused.wait_for_response(timeout=10)).text
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=late_answer["ts"], channel=STANDUP, action_id="standup_undo",
                                value=late_answer["blocks"][-1]["elements"][0]["value"])
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM thread_submissions") == 1
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE title ILIKE '%%sprint demo%%'") == 0
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                                    "AND details->>'action' = 'standup.undo'") == 1

    # Talking to someone in the thread is not a standup update; deleting a reply takes it back.
    await emulator.user_message(MAYA, STANDUP, f"<@{SAM}> nice, ping me when the login fix is up", thread_ts=thread_ts)
    priya_ts, priya_answer = await reply(emulator, PRIYA, thread_ts, "Plan the Q2 offsite")
    mark = len(emulator.calls)
    await emulator.delete_message(STANDUP, priya_ts)
    deleted = await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert deleted.args["ts"] == priya_answer["ts"] and "Reply deleted" in deleted.args["text"]
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 0 FROM event_inbox WHERE status <> 'done'"))
        who = [r[0] for r in await (await conn.execute(
            "SELECT pi.external_id FROM thread_submissions s JOIN platform_identities pi ON pi.user_id = s.user_id")).fetchall()]
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE title ILIKE '%%offsite%%' OR title ILIKE '%%ping me%%'") == 0
    assert who == [SAM]


async def test_mood_privacy_and_the_low_mood_flag(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS + " mood 16:30")
    # Diego manages two people: too few for a team mood.
    await set_managers(db_dsn, DIEGO, [SAM, PRIYA], role="manager")

    async def command(user: str, name: str, text: str) -> str:
        result = await emulator.slash_command(user, name, text)
        response = await result.wait_for_response(timeout=10)
        return response.text + str(response.body.get("blocks") or "")

    assert "Logged 4/5" in await command(SAM, "/mood", "4")
    assert "Logged 3/5" in await command(PRIYA, "/mood", "3 busy")
    assert "not enough responses" in await command(DIEGO, "/mood", "team")
    assert "Team mood is for managers" in await command(LEE, "/mood", "team")

    # Journals are their author's alone: a member and an admin asking for Sam's are refused and logged.
    assert "Only you can read it" in await command(SAM, "/journal", "Worried about the launch, sleeping badly")
    assert "Worried about the launch" in await command(SAM, "/journal", "list")
    for reader in (PRIYA, MAYA):
        answer = await command(reader, "/journal", f"list <@{SAM}|sam>")
        assert "private" in answer and "Worried" not in answer
    async with await db(db_dsn) as conn:
        denials = await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                                       "AND details->>'action' = 'journal.read'")
    assert denials == 2

    # The daily check-in at 16:30 with five buttons.
    clock.at = utc(2026, 3, 6, 21, 30, 30)
    mark = len(emulator.calls)
    await run_job(bot, "mood-checkin")
    lee_dm = await emulator.dm_channel(LEE)
    checkin = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (LEE, lee_dm), since=mark, timeout=15)
    buttons = [e["action_id"] for b in checkin.args["blocks"] if b.get("type") == "actions" for e in b["elements"]]
    assert buttons == [f"mood_{i}" for i in range(1, 6)]
    assert await notification_count(db_dsn, "mood.checkin", SAM) == 1  # Sam's /mood was for Thursday
    message = next(m for m in emulator.messages(lee_dm) if m.get("blocks") and "mood_" in str(m["blocks"]))
    await emulator.click_button(LEE, message_ts=message["ts"], channel=lee_dm, action_id="mood_5", value="2026-03-06")
    async with await db(db_dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 1 FROM mood_entries WHERE score = 5"))

    # Three low check-ins in a row raise exactly one private flag for Diego, with nothing private in it.
    for day, text in ((6, "2 rough day"), (9, "1 terrible, the launch slipped"), (10, "2")):
        clock.at = utc(2026, 3, day, 22, 0, 30)
        assert "Logged" in await command(SAM, "/mood", text)
    clock.at = utc(2026, 3, 11, 22, 0, 30)
    await command(SAM, "/mood", "1")  # still low: no second flag
    async with await db(db_dsn) as conn:
        flags = await (await conn.execute("SELECT type, is_private, title, coalesce(description, ''), evidence::text FROM flags")).fetchall()
        await wait_until(lambda: fetchval(conn, "SELECT count(*) = 1 FROM notification_deliveries d JOIN notifications n "
                                                "ON n.id = d.notification_id WHERE n.kind = 'mood.low_flag' AND d.status = 'sent'"))
        target = await fetchval(conn, "SELECT d.target_id FROM notification_deliveries d JOIN notifications n "
                                      "ON n.id = d.notification_id WHERE n.kind = 'mood.low_flag'")
    assert len(flags) == 1
    kind, private, title, description, evidence = flags[0]
    assert kind == "low_mood" and private is True and target == DIEGO
    for secret in ("rough", "terrible", "launch", "slipped", "Worried", "sleeping"):
        assert secret not in title + description + evidence


async def test_settings_modal_and_the_today_section(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    # A member cannot open the settings; the refusal is logged.
    refused = await emulator.slash_command(SAM, "/steward", "standup")
    assert "only Steward admins" in (await refused.wait_for_response(timeout=10)).text
    # The admin's modal: a bad timezone and an end of day before the morning are shown next to their fields.
    mark = len(emulator.calls)
    await emulator.slash_command(MAYA, "/steward", "standup")
    await emulator.wait_for_call("views.open", since=mark, timeout=15)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "standup_settings")

    def values(tz: str, eod: str) -> dict[str, dict[str, Any]]:
        return {
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": STANDUP}},
            "morning_time": {"morning_time": {"type": "timepicker", "selected_time": "08:45"}},
            "timezone": {"timezone": {"type": "plain_text_input", "value": tz}},
            "workdays": {"workdays": {"type": "checkboxes", "selected_options": [{"value": str(d)} for d in (1, 2, 3, 4)]}},
            "holidays": {"holidays": {"type": "plain_text_input", "value": "2026-12-25, 2026-12-24"}},
            "nudge_delay_minutes": {"nudge_delay_minutes": {"type": "number_input", "value": "30"}},
            "manager_summary_delay_minutes": {"manager_summary_delay_minutes": {"type": "number_input", "value": "90"}},
            "end_of_day_time": {"end_of_day_time": {"type": "timepicker", "selected_time": eod}},
            "mood_checkin_enabled": {"mood_checkin_enabled": {"type": "checkboxes", "selected_options": [{"value": "on"}]}},
            "mood_checkin_time": {"mood_checkin_time": {"type": "timepicker", "selected_time": "16:00"}},
            "use_member_local_time": {"use_member_local_time": {"type": "checkboxes", "selected_options": []}},
        }

    ack = await emulator.submit_view(MAYA, view_id, values("Mars/Olympus_Mons", "07:00"))
    assert ack is not None and set(ack["errors"]) == {"timezone", "end_of_day_time"}
    mark = len(emulator.calls)
    await emulator.submit_view(MAYA, view_id, values("Europe/Berlin", "17:00"))
    await emulator.wait_for_call("chat.postMessage", lambda c: "settings saved" in c.args.get("text", ""), since=mark, timeout=15)
    async with await db(db_dsn) as conn:
        row = await (await conn.execute(
            "SELECT standup_channel_id, morning_time::text, timezone, workdays, holidays, nudge_delay_minutes, "
            "manager_summary_delay_minutes, end_of_day_time::text, mood_checkin_enabled FROM org_settings")).fetchone()
        audited = await fetchval(conn, "SELECT count(*) FROM audit_logs WHERE action = 'standup.settings_changed'")
        denied = await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = 'standup.settings'")
    assert row == (STANDUP, "08:45:00", "Europe/Berlin", [1, 2, 3, 4], [date(2026, 12, 24), date(2026, 12, 25)], 30, 90,
                   "17:00:00", True)
    assert audited == 1 and denied == 1

    # Thursday 08:45 in Berlin: the thread; Sam replies; his App Home shows today's plan.
    clock.at = utc(2026, 3, 5, 7, 45, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    await wait_thread(emulator, mark)
    await reply(emulator, SAM, thread_roots(emulator)[-1]["ts"], "Draft the Q2 roadmap")
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    published = await emulator.wait_for_call("views.publish", lambda c: c.args.get("user_id") == SAM, since=mark, timeout=15)
    home = str(published.args["view"]["blocks"])
    assert "*Today*" in home and "Plan for Thursday 5 March" in home and "Q2 roadmap" in home
