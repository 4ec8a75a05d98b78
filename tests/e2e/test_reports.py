"""Reports end to end (issue 15), over four simulated weeks for a team of six, with the clock as a parameter: the real
bot, its jobs run as of chosen instants (morning-thread at 09:00 and day-close at 17:45 each workday, kpi-snapshot and
weekly-report each Monday), replies in the real threads, slash commands, buttons and a form through the Slack emulator.

The team (New York's clock, Monday to Friday, 09:00 to 17:30; Monday 9 March 2026 a team holiday, no thread): Lee
manages Diego, Priya, Sam, Ana, Kim and Noor; Maya (the admin) manages Lee. Noor is in ramp-up; Diego is on leave
Tuesday 31 March and Wednesday 1 April; Kim misses every Thursday; Sam misses Tuesdays and Wednesdays from the second
week on (below the 90 % submission target two weeks running). Ana raises a blocker on Friday 27 March at 16:00 that
Lee resolves on Monday 30 March at 10:00 (2.5 working hours: 1.5 on Friday, 1 on Monday). The weekly report of the
week of 23 March goes out on Monday 30 March, the next one on Monday 6 April; their numbers are checked against
figures computed here from the database's rows, not by the code under test.

Tasks with due dates, through DMs (a draft, then Confirm) and `/task`: "proposal" weighs 5, "audit" 3 and a bug 2
(`/steward tasktype add`). Diego's proposal, due Friday 27 March, is done Monday 30 March (late: the week of 23
March's on-time rate is 0 of 1, and its weight counts in the throughput of the week of 30 March, when it was done).
In the week of 30 March: Ana's proposal due Tuesday is done Tuesday at 17:00 (due and done the same day: on time),
Priya's bug due Thursday is done Wednesday (early), Noor's audit due Wednesday is done Thursday (late), Kim's pricing
page due Wednesday is never done (late once its day is over), Sam's newsletter due Thursday is dropped (not due).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer, answer_text
from tests.e2e.test_blockers import delivered, setup_team, team_bot, texts
from tests.e2e.test_daily_rhythm import LEE, db, reply, thread_roots, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.e2e.test_tasks import _make_task
from tests.helpers import fetchval

NEW_YORK = ZoneInfo("America/New_York")
ANA, KIM, NOOR = "U0ANA", "U0KIM", "U0NOOR"
LEADS = "C0LEADS"
TEAM = (DIEGO, PRIYA, SAM, ANA, KIM, NOOR)
NAMES = {DIEGO: "diego", PRIYA: "priya", SAM: "sam", ANA: "ana", KIM: "kim", NOOR: "noor"}  # their Slack handles
FIRST_MONDAY = date(2026, 3, 9)  # the team holiday; weeks of 9, 16, 23 and 30 March
WORKDAYS = [FIRST_MONDAY + timedelta(days=w * 7 + d) for w in range(4) for d in range(5)][1:]
LEAVE = {DIEGO: (date(2026, 3, 31), date(2026, 4, 1))}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ny(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def on_leave(who: str, day: date) -> bool:
    first, last = LEAVE.get(who, (date.max, date.min))
    return first <= day <= last


def misses(who: str, day: date) -> bool:
    """Whether ``who`` gives no update on ``day`` (a workday they were asked)."""
    if who == KIM:
        return day.isoweekday() == 4
    if who == SAM:
        return day >= date(2026, 3, 16) and day.isoweekday() in (2, 3)
    return False


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=ny(date(2026, 3, 6), 13))


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    for slack_id, handle in ((ANA, "ana"), (KIM, "kim"), (NOOR, "noor")):
        emulator.add_user(slack_id, handle, handle.capitalize(), email=f"{handle}@acme.test", tz="America/New_York")
        emulator.workspace.channel(STANDUP).members.append(slack_id)
    emulator.add_channel(LEADS, "leads", members=[MAYA, LEE, emulator.bot_user_id])
    async with team_bot(emulator, db_dsn, tmp_path, clock) as started:
        yield started


async def run(bot: Steward, clock: FrozenClock, job: str, at: datetime) -> dict[str, Any]:
    clock.at = at
    report = await bot.scheduler.run_as_of(job, at)
    assert report is not None and "error" not in report.result, report
    await delivered(bot, at)
    return dict(next(iter(report.result.values())))


async def rows(dsn: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    async with await db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(sql, args or None)).fetchall()]


async def morning(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, day: date) -> None:
    """The morning thread at 09:00 and the team's updates by 09:30."""
    mark = len(emulator.calls)
    await run(bot, clock, "morning-thread", ny(day, 9))
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP
                                 and not c.args.get("thread_ts"), since=mark, timeout=15)
    thread_ts = thread_roots(emulator)[-1]["ts"]
    clock.at = ny(day, 9, 30)
    for who in TEAM:
        if not on_leave(who, day) and not misses(who, day):
            await reply(emulator, who, thread_ts, f"Today: the {day:%A} release notes")


async def close(bot: Steward, clock: FrozenClock, day: date) -> None:
    """The day's close at 17:45."""
    await run(bot, clock, "day-close", ny(day, 17, 45))


async def week_of(dsn: str, monday: date) -> dict[str, tuple[int, int]]:
    """Computed here, from the rows: per person (Slack id), (updates given, days asked) in the week of ``monday``:
    every day with a morning thread that the person was not on leave, and their submissions in those threads."""
    threads = await rows(dsn, "SELECT id, thread_date FROM morning_threads WHERE thread_date BETWEEN %s AND %s",
                         monday, monday + timedelta(days=6))
    given = await rows(dsn, "SELECT DISTINCT p.external_id, s.morning_thread_id FROM thread_submissions s "
                            "JOIN platform_identities p ON p.user_id = s.user_id")
    out: dict[str, tuple[int, int]] = {}
    for who in TEAM:
        asked = [tid for tid, day in threads if not on_leave(who, day)]
        out[who] = (sum(1 for tid in asked if (who, tid) in given), len(asked))
    return out


# Tasks with due dates: (owner, what they DM Steward, the day and hour it is written, when it is done or dropped).
TASKS: tuple[tuple[str, str, date, int, str, date | None, int], ...] = (
    (DIEGO, "finish the Acme proposal by Friday", date(2026, 3, 23), 10, "done", date(2026, 3, 30), 12),
    (ANA, "finish the Globex proposal by Tuesday", date(2026, 3, 30), 11, "done", date(2026, 3, 31), 17),
    (PRIYA, "fix the signup bug by Thursday", date(2026, 3, 30), 11, "done", date(2026, 4, 1), 11),
    (NOOR, "audit the vendor contracts by Wednesday", date(2026, 3, 30), 11, "done", date(2026, 4, 2), 10),
    (KIM, "update the pricing page by Wednesday", date(2026, 3, 30), 11, "open", None, 0),
    (SAM, "draft the newsletter by Thursday", date(2026, 3, 30), 11, "drop", date(2026, 4, 1), 15),
)


async def task_steps(emulator: SlackEmulator, clock: FrozenClock, dsn: str, day: date) -> None:
    """The tasks of :data:`TASKS` written, then done or dropped, on ``day`` (after the morning, before the close)."""
    steps = [(hour, "write", who, words) for who, words, written, hour, _, _, _ in TASKS if written == day]
    steps += [(hour, verb, who, words) for who, words, _, _, verb, on, hour in TASKS if on == day]
    for hour, verb, who, words in sorted(steps):
        clock.at = ny(day, hour)
        if verb == "write":
            await _make_task(emulator, who, words)
            continue
        title = words.split(" by ")[0]
        task = await fetchval_dsn(dsn, "SELECT display_id FROM tasks WHERE title ILIKE %s", f"%{title.split(' ', 1)[1]}%")
        said = await answer_text(emulator, who, "/task", f"done {task}" if verb == "done" else
                                 f"drop {task} the client cancelled it")
        assert task in said and ("is done" in said if verb == "done" else "Dropped" in said), said


async def on_time_of(dsn: str, people: list[int], since: date, until: date) -> tuple[int, int]:
    """Computed here, from the rows: (tasks done by their deadline, tasks due) among ``people``'s tasks due in
    [``since``, ``until``], not dropped; a deadline is the task's due_at, else the midnight ending its due date in
    New York (the team's clock). Every such deadline has passed when the report is run."""
    due = await rows(dsn, "SELECT due_date, due_at, completed_at FROM tasks WHERE user_id = ANY(%s) "
                          "AND due_date BETWEEN %s AND %s AND status <> 'dropped'", people, since, until)
    on_time = 0
    for due_date, due_at, completed_at in due:
        deadline = due_at or datetime.combine(due_date + timedelta(days=1), datetime.min.time(), NEW_YORK)
        on_time += completed_at is not None and completed_at <= deadline
    return on_time, len(due)


def figure_of(words: str, label: str) -> str:
    """The value a report's line gives for the KPI labelled ``label`` ("*On-time rate* 50% · ..." -> "50%")."""
    [value] = re.findall(rf"^(?::warning: )?\*{re.escape(label)}\* (\S+)", words, flags=re.MULTILINE)
    return value


def percent(value: float) -> str:
    """A rate as the report shows it: whole percent."""
    return f"{round(value * 100)}%"


def report_dm(emulator: SlackEmulator, channel: str, title: str) -> dict[str, Any]:
    [found] = [m for m in emulator.messages(channel, include_replies=False) if title in texts(m)]
    return found


def item_ids(message: dict[str, Any]) -> list[int]:
    return [int(b["block_id"].split(":")[1]) for b in message.get("blocks") or []
            if str(b.get("block_id", "")).startswith("action_item:")]


async def press(emulator: SlackEmulator, user: str, channel: str, message: dict[str, Any], item: int, action_id: str,
                **fields: Any) -> None:
    result = await emulator.click_button(user, message_ts=message["ts"], channel=channel, action_id=action_id,
                                         value=None if fields else str(item), block_id=f"action_item_buttons:{item}",
                                         fields=fields or None)
    assert not result.timed_out


async def test_four_weeks_then_the_weekly_report(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                 db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", "manager <@{}> for {}".format(LEE, " ".join(f"<@{p}>" for p in TEAM)))
    assert "Submission rate target set: at least 90%." in await answer_text(emulator, MAYA, "/steward",
                                                                            "kpi set submission_rate 90%")
    assert "in ramp-up" in await answer_text(emulator, MAYA, "/steward", f"rampup <@{NOOR}> 6 weeks targets 50%")
    await record_leave(db_dsn, DIEGO, *LEAVE[DIEGO])
    # Everyone joined before the four weeks (their rows were written on the real clock, after the simulated weeks;
    # the KPI snapshots count the people who had joined by a week's end).
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE users SET created_at = '2026-02-02'")
    said = await answer_text(emulator, MAYA, "/steward", f"reports channel <#{LEADS}|leads>")
    assert f"<#{LEADS}>" in said, said
    for keyword, kind, size, weight in (("proposal", "sales", "l", 5), ("audit", "compliance", "m", 3)):
        said = await answer_text(emulator, MAYA, "/steward", f"tasktype add {keyword} {kind} {size} {weight}")
        assert f"weight {weight}" in said, said

    lee_dm = await emulator.dm_channel(LEE)
    for day in WORKDAYS:
        if day.isoweekday() == 1:  # each Monday: last week's snapshot before the morning
            await run(bot, clock, "kpi-snapshot", ny(day, 5, 30))
        await morning(emulator, bot, clock, day)
        if day == date(2026, 3, 30):  # the report of the week of 23 March, then the blocker resolved
            first = await run(bot, clock, "weekly-report", ny(day, 9, 31))
            assert first["sent"] == 3 and first["chart_failed"] == 0, first  # Lee's team, Maya's (Lee), the org
            clock.at = ny(day, 10)
            blocker = await fetchval_dsn(db_dsn, "SELECT id FROM blockers")
            assert "resolved" in (await answer_text(emulator, LEE, "/blocker", f"resolve B-{blocker}")).lower()
        await task_steps(emulator, clock, db_dsn, day)
        if day == date(2026, 3, 27):  # Friday 16:00: Ana is blocked over the weekend
            clock.at = ny(day, 16)
            assert "B-" in await answer_text(emulator, ANA, "/blocker", "the staging server is down")
        await close(bot, clock, day)

    # Monday 6 April: the snapshot of the last week, then its report.
    report_day = date(2026, 4, 6)
    await run(bot, clock, "kpi-snapshot", ny(report_day, 5, 30))
    second = await run(bot, clock, "weekly-report", ny(report_day, 9, 31))
    assert second["sent"] == 3 and second["chart_failed"] == 0, second
    again = await run(bot, clock, "weekly-report", ny(report_day, 10, 1))
    assert again["sent"] == 0 and again["already"] == 3  # a re-run sends nothing twice

    # The numbers, computed here from the rows.
    last = await week_of(db_dsn, date(2026, 3, 30))
    previous = await week_of(db_dsn, date(2026, 3, 23))
    assert last[DIEGO][1] == 3 and last[KIM] == (4, 5) and last[SAM] == (3, 5) and last[ANA] == (5, 5)
    team_rate = sum(g for g, _ in last.values()) / sum(a for _, a in last.values())
    team_before = sum(g for g, _ in previous.values()) / sum(a for _, a in previous.values())
    message = report_dm(emulator, lee_dm, "Weekly report: your team, week of 30 Mar 2026")
    words = texts(message)
    assert f"*Submission rate* {percent(team_rate)} · target 90%" in words, words
    change = round(team_rate * 100) - round(team_before * 100)  # the team's own previous week, not the organization's
    assert change != 0 and f"{'+' if change > 0 else ''}{change} pts vs previous" in words, (change, words)
    # Carry-forward: the closes of the week, from task_statuses (none: every task was carried its last time before).
    closes = await rows(db_dsn, "SELECT status FROM task_statuses WHERE status_date BETWEEN '2026-03-30' AND '2026-04-05'")
    carried = sum(1 for (status,) in closes if status == "carry_forward")
    assert (f"*Carry-forward rate* {percent(carried / len(closes))}" if closes else
            "*Carry-forward rate* nothing was planned") in words, words
    assert "*Blocker resolution (median, working hours)* 2.5 h" in words, words  # Friday 16:00 to Monday 10:00, working hours
    assert "diego (2 days out)" in words and "People: 6" in words  # on leave, not failing
    # On-time rate and weighted throughput, from the tasks' rows (kpis.py: done by the due date / due, not dropped;
    # the sum of tasks.weight done in the week).
    team = [int(r[0]) for r in await rows(db_dsn, "SELECT user_id FROM platform_identities WHERE external_id = ANY(%s)",
                                          list(TEAM))]
    on_time, due = await on_time_of(db_dsn, team, date(2026, 3, 30), date(2026, 4, 5))
    on_time_before, due_before = await on_time_of(db_dsn, team, date(2026, 3, 23), date(2026, 3, 29))
    assert (on_time, due) == (2, 4) and (on_time_before, due_before) == (0, 1)  # the scenario: neither 0 nor 100%
    assert f"*On-time rate* {percent(on_time / due)}" in words and figure_of(words, "On-time rate") == "50%", words
    assert "*On-time rate* 50% · +50 pts vs previous" in words, words  # 0 of 1 the week before
    week_start, week_end = ny(date(2026, 3, 30), 0), ny(date(2026, 4, 6), 0)
    weights = await rows(db_dsn, "SELECT weight FROM tasks WHERE user_id = ANY(%s) AND status = 'done' "
                              "AND completed_at >= %s AND completed_at < %s", team, week_start, week_end)
    throughput = sum(w for (w,) in weights)
    # The scenario: two proposals (5 each), the audit (3) and the bug (2), so the weights count, not the tasks.
    assert sorted(w for (w,) in weights) == [2, 3, 5, 5] and throughput == 15
    assert figure_of(words, "Weighted throughput") == str(throughput), (throughput, words)

    # The chart: uploaded with the files API into Lee's DM, threaded under the report.
    [shared] = [m for m in emulator.thread(lee_dm, message["ts"]) if m.get("files")]
    [file] = shared["files"]
    stored = emulator.workspace.files.files[file["id"]]
    assert stored.completed and stored.mimetype == "image/png" and file["mimetype"] == "image/png"
    assert stored.content is not None and stored.content.startswith(PNG_SIGNATURE)
    assert 10_000 < len(stored.content) < 1_000_000 and file["size"] == len(stored.content)
    assert stored.shares == {lee_dm: [shared["ts"]]}
    uploads = [c for c in emulator.calls_to("files.completeUploadExternal") if c.args.get("channel_id") == lee_dm]
    assert len(uploads) == 2  # one chart per weekly report, none twice
    # The organization's report went to #leads (the reports channel), with its chart there too.
    [org_report] = [m for m in emulator.messages(LEADS, include_replies=False)
                    if "Weekly report: the organization, week of 30 Mar 2026" in texts(m)]
    assert [m for m in emulator.thread(LEADS, org_report["ts"]) if m.get("files")]

    # Action items: proposed by the first report, listed again in the second and in /actions.
    first_report = report_dm(emulator, lee_dm, "Weekly report: your team, week of 23 Mar 2026")
    proposed = item_ids(first_report)
    assert proposed, texts(first_report)
    assert "Talk with sam about their updates" in texts(first_report)  # below the target two periods running
    assert set(proposed) <= set(item_ids(message))
    listed = (await answer(emulator, LEE, "/actions")).body
    assert set(proposed) <= set(item_ids(listed)), listed

    # The per-person CSV on request: its rows match the database.
    mark = len(emulator.calls)
    await answer_text(emulator, LEE, "/report", "weekly team 2026-03-30 csv")
    await emulator.wait_for_call("files.completeUploadExternal", since=mark, timeout=15)
    [csv_file] = [f for f in emulator.workspace.files.files.values() if f.name.endswith(".csv")]
    assert csv_file.completed and lee_dm in csv_file.shares
    table = list(csv.DictReader(io.StringIO((csv_file.content or b"").decode())))
    assert sorted(r["slack_id"] for r in table) == sorted(TEAM)
    for r in table:
        given, asked = last[r["slack_id"]]
        assert r["person"] == NAMES[r["slack_id"]]
        assert float(r["submission_rate"]) == given / asked, r
        assert int(r["days_out"]) == (2 if r["slack_id"] == DIEGO else 0)

    # The buttons close the items, through the emulator: Done, Dismiss (with a reason), Reassign.
    items = item_ids(message)
    assert len(items) >= 3, words
    done, dismissed, reassigned = items[:3]
    await press(emulator, LEE, lee_dm, message, done, "action_item_done")
    mark = len(emulator.calls)
    await press(emulator, LEE, lee_dm, message, dismissed, "action_item_dismiss")
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    [view_id] = [v for v, view in emulator.open_views.items() if view.get("callback_id") == "action_item_dismiss_view"]
    assert await emulator.submit_view(LEE, view_id, {"reason": {"reason_input": {
        "type": "plain_text_input", "value": "Sam's on a client project these weeks"}}}) in ({}, None)

    async def gone(item: int) -> bool:
        after = emulator.message(lee_dm, message["ts"]) or {}
        return f"action_item_buttons:{item}" not in {b.get("block_id") for b in after.get("blocks") or []}

    await wait_until(lambda: gone(dismissed))  # Lee sees the dismissal land before pressing on
    await press(emulator, LEE, lee_dm, emulator.message(lee_dm, message["ts"]) or {}, reassigned,
                "action_item_reassign", selected_user=MAYA)

    async def closed() -> bool:
        return await fetchval_dsn(db_dsn, "SELECT count(*) FROM action_items WHERE id = ANY(%s) AND status <> 'open'",
                                  [done, dismissed]) == 2

    await wait_until(closed)
    states = dict(await rows(db_dsn, "SELECT id, status FROM action_items WHERE id = ANY(%s)", [done, dismissed, reassigned]))
    assert states == {done: "done", dismissed: "dropped", reassigned: "open"}, states  # action_items: dismissed is "dropped"
    assert await fetchval_dsn(db_dsn, "SELECT dismiss_reason FROM action_items WHERE id = %s", dismissed) == \
        "Sam's on a client project these weeks"
    assert await fetchval_dsn(db_dsn, "SELECT p.external_id FROM action_items a JOIN platform_identities p "
                                      "ON p.user_id = a.assignee_id WHERE a.id = %s", reassigned) == MAYA
    still = item_ids((await answer(emulator, LEE, "/actions")).body)
    assert not {done, dismissed, reassigned} & set(still) and set(items[3:]) <= set(still)
    assert {done, dismissed, reassigned} <= set(item_ids((await answer(emulator, MAYA, "/actions")).body)) | {
        done, dismissed}
    # In the report, each pressed item's buttons became what happened to it.
    for item in (done, dismissed, reassigned):
        await wait_until(lambda item=item: gone(item))  # type: ignore[misc]
    assert {f"action_item_buttons:{i}" for i in items[3:]} <= {
        b.get("block_id") for b in (emulator.message(lee_dm, message["ts"]) or {}).get("blocks") or []}


async def fetchval_dsn(dsn: str, sql: str, *args: Any) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args or None)
