"""Automatic recognition end to end (issue 14, "Recognition"): the job `reinforcement`, run as if at chosen instants,
tells a streak counted only on days the person was asked (a holiday in the middle neither breaks nor counts), and
milestones (the 10th task done, a week with nothing carried over, a blocker resolved for someone else), each once,
by a DM held through quiet hours; through the real bot, its scheduler and dispatcher, and the Slack emulator.

The team's clock is New York's, Monday to Friday, 09:00; Wednesday 4 March 2026 is an organization holiday. New
York moves to summer time on Sunday 8 March.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import blockers
from bot.services import workspace as workspace_service
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text, start_steward
from tests.e2e.test_blockers import delivered, dms, ny
from tests.e2e.test_daily_rhythm import add_task, db, thread_roots, wait_thread
from tests.helpers import fetchval

SETTINGS = (f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri eod 17:30 "
            "holidays 2026-03-04")


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=ny(3, 2, 8, 0))


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    running.bot.scheduler.shutdown()  # the test runs the jobs as of the instants it chooses
    try:
        yield running.bot
    finally:
        await running.stop()


async def run(bot: Steward, clock: FrozenClock, job: str, at: datetime) -> dict[str, Any]:
    """Run ``job`` as if at ``at`` and send what it decided then; the organization's result."""
    clock.at = at
    report = await bot.scheduler.run_as_of(job, at)
    assert report is not None
    await delivered(bot, at)
    return dict(next(iter(report.result.values()))) if report.result else {}


async def recognitions(dsn: str, kind: str) -> list[tuple[str, str, str]]:
    """(person, dedupe key, DM text) of every recognition notice of ``kind`` ("recognition.streak", ...)."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT d.target_id, n.dedupe_key, n.payload->>'text' FROM notifications n "
            "JOIN notification_deliveries d ON d.notification_id = n.id WHERE n.kind = %s ORDER BY n.id", (kind,))).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


async def morning(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, month: int, day: int,
                  replies: dict[str, str]) -> None:
    """The thread of that day at 09:00 in New York, and each person's reply in it at 10:00."""
    mark = len(emulator.calls)
    await run(bot, clock, "morning-thread", ny(month, day, 9, 0) + timedelta(seconds=30))
    await wait_thread(emulator, mark)
    thread_ts = str(thread_roots(emulator)[-1]["ts"])
    clock.at = ny(month, day, 10, 0)
    for person, text in replies.items():
        mark = len(emulator.calls)
        await emulator.user_message(person, STANDUP, text, thread_ts=thread_ts)
        await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == thread_ts, since=mark,
                                     timeout=15)


async def test_a_streak_counts_only_the_days_a_person_was_asked(emulator: SlackEmulator, bot: Steward,
                                                               clock: FrozenClock, db_dsn: str) -> None:
    assert "Saved" in await answer_text(emulator, MAYA, "/steward", f"standup {SETTINGS}", channel=STANDUP)
    both = {DIEGO: "Today: the Acme invoices", SAM: "Today: the release notes"}
    await morning(emulator, bot, clock, 3, 2, both)
    await morning(emulator, bot, clock, 3, 3, both)
    # Wednesday is a holiday: no thread, nobody asked.
    await run(bot, clock, "morning-thread", ny(3, 4, 9, 0) + timedelta(seconds=30))
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM morning_threads WHERE thread_date = '2026-03-04'") == 0
    await morning(emulator, bot, clock, 3, 5, {DIEGO: "Today: the Acme invoices"})  # Sam misses Thursday
    await morning(emulator, bot, clock, 3, 6, both)
    # After Friday's close: four asked days with an update (the holiday does not count): no streak yet.
    result = await run(bot, clock, "reinforcement", ny(3, 7, 1, 0))
    assert result["streaks"] == 0 and await recognitions(db_dsn, "recognition.streak") == []
    await morning(emulator, bot, clock, 3, 9, both)
    # Monday's update is in, but Monday has not closed: still none.
    assert (await run(bot, clock, "reinforcement", ny(3, 9, 20, 0)))["streaks"] == 0
    # After Monday's midnight: Diego's fifth asked day in a row (the holiday did not break it); Sam missed Thursday.
    result = await run(bot, clock, "reinforcement", ny(3, 10, 0, 30))
    assert result["streaks"] == 1
    [(person, key, text)] = await recognitions(db_dsn, "recognition.streak")
    assert person == DIEGO and key.endswith(":5:2026-03-09")
    assert "5 workdays in a row with your standup update" in text
    # Once: the next run (and the next) tells nothing again.
    assert (await run(bot, clock, "reinforcement", ny(3, 10, 0, 45)))["streaks"] == 0
    assert len(await recognitions(db_dsn, "recognition.streak")) == 1
    # Held through Diego's quiet hours, sent in his morning.
    assert not await dms(emulator, DIEGO, "workdays in a row")
    await delivered(bot, ny(3, 10, 8, 0))
    assert len(await dms(emulator, DIEGO, "5 workdays in a row")) == 1
    # Days later the streak is too old to tell, but it was told: nothing is "skipped" (tester 14, finding 14).
    result = await run(bot, clock, "reinforcement", ny(3, 14, 1, 0))
    assert result["streaks"] == 0 and result["stale"] == 0


async def complete(emulator: SlackEmulator, user: str, display_id: str) -> None:
    said = await answer_text(emulator, user, "/task", f"done {display_id}")
    assert display_id in said


async def test_milestones_are_told_once_each(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                             db_dsn: str) -> None:
    assert "Saved" in await answer_text(emulator, MAYA, "/steward", f"standup {SETTINGS}", channel=STANDUP)
    clock.at = ny(3, 11, 11, 0)  # Wednesday 11 March: the last complete week is 2 to 8 March
    # The 10th task done: not at the 9th, once at the 10th.
    tasks = [await add_task(db_dsn, DIEGO, f"Acme invoice batch {n}") for n in range(1, 11)]
    for display_id in tasks[:9]:
        await complete(emulator, DIEGO, display_id)
    assert (await run(bot, clock, "reinforcement", ny(3, 11, 11, 5)))["milestones"] == 0
    await complete(emulator, DIEGO, tasks[9])

    # A week with nothing carried over (Priya), and one with a task carried forward (Sam).
    priya_tasks = [await add_task(db_dsn, PRIYA, title) for title in ("Pricing page", "Pricing copy")]
    sam_tasks = [await add_task(db_dsn, SAM, title) for title in ("Release notes", "Changelog")]
    async with await db(db_dsn) as conn:
        for display_id, day, status in ((priya_tasks[0], "2026-03-03", "done"), (priya_tasks[1], "2026-03-05", "dropped"),
                                        (priya_tasks[1], "2026-03-02", "done"), (sam_tasks[0], "2026-03-03", "done"),
                                        (sam_tasks[1], "2026-03-05", "carry_forward")):
            await conn.execute("INSERT INTO task_statuses (organization_id, task_id, user_id, status_date, status) "
                               "SELECT organization_id, id, user_id, %s, %s FROM tasks WHERE display_id = %s",
                               (day, status, display_id))

    # Maya resolves the blocker Sam raised (help for someone else); Sam resolves his own (no recognition).
    assert "blocker" in (await answer_text(emulator, SAM, "/blocker", "the staging server is down")).lower()
    assert "blocker" in (await answer_text(emulator, SAM, "/blocker", "waiting on the API keys")).lower()
    async with bot.pool.connection() as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        maya = await workspace_service.user_by_slack_id(conn, org, MAYA)
        sam = await workspace_service.user_by_slack_id(conn, org, SAM)
        assert maya is not None and sam is not None
        first, second = [r[0] for r in await (await conn.execute("SELECT id FROM blockers ORDER BY id")).fetchall()]
        await blockers.resolve_one(conn, org, maya, first, clock.now(), via="button")
        await blockers.resolve_one(conn, org, sam, second, clock.now(), via="button")

    result = await run(bot, clock, "reinforcement", ny(3, 11, 12, 0))
    assert result["milestones"] == 3
    told = await recognitions(db_dsn, "recognition.milestone")
    assert sorted((person, key.split(":")[2]) for person, key, _ in told) == sorted([
        (MAYA, "unblocked"), (DIEGO, "tasks_done"), (PRIYA, "clean_week")])
    texts = {person: text for person, _, text in told}
    assert "your 10th task done" in texts[DIEGO]
    assert "week of Monday 2 March" in texts[PRIYA]
    assert "cleared a blocker for <@U0SAM>" in texts[MAYA] and "staging server is down" in texts[MAYA]
    # Each once: the next runs tell nothing more, the same day or the next.
    assert (await run(bot, clock, "reinforcement", ny(3, 11, 12, 15)))["milestones"] == 0
    assert (await run(bot, clock, "reinforcement", ny(3, 12, 12, 0)))["milestones"] == 0
    assert len(await recognitions(db_dsn, "recognition.milestone")) == 3
    for person, words in ((DIEGO, "10th task done"), (PRIYA, "Nothing carried over"), (MAYA, "cleared a blocker")):
        assert len(await dms(emulator, person, words)) == 1, person
