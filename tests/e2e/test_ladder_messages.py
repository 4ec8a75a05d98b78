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

from datetime import datetime
from typing import Any

from bot.app import Steward
from bot.blocks import flags as flag_blocks
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import flags
from db.repos.users import user_by_slack_id
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import DIEGO, MAYA, STANDUP, answer_text
from tests.e2e.test_blockers import ny, on_project, row, setup_team, sweep, texts, walk
from tests.e2e.test_daily_rhythm import add_task, db
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
