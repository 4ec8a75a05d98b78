"""App Home's team view end to end (issue 13): a manager's "Your team today" (who posted, who is out, open blockers
with age and rung, overdue tasks, open flags, each with its buttons), a member's own blockers and overdue tasks,
the buttons redrawing the Home, and a large team inside Slack's 100 blocks per Home view.

The team of tests/e2e/test_blockers.py: Diego and Priya report to Lee, who reports to Maya (the admin); Sam reports
to nobody. Friday 6 March 2026 in New York.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import flags
from bot.services import tasks as task_service
from bot.services import workspace as workspace_service
from bot.slack_limits import VIEW_BLOCKS
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import DIEGO, PRIYA, SAM, STANDUP, answer_text
from tests.e2e.test_blockers import ny, setup_team, sweep
from tests.e2e.test_daily_rhythm import LEE, db, reply, thread_roots
from tests.e2e.test_day_recaps import record_leave
from tests.e2e.test_overdue import overdue_task
from tests.helpers import fetchval, make_user

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures


async def home_of(emulator: SlackEmulator, user: str, mark: int | None = None) -> dict[str, Any]:
    """The Home view Steward publishes for ``user`` (after opening it, or after ``mark`` when given)."""
    if mark is None:
        mark = len(emulator.calls)
        await emulator.open_app_home(user)
    published = await emulator.wait_for_call("views.publish", lambda c: c.args.get("user_id") == user, since=mark, timeout=15)
    view = published.args["view"]
    assert len(view["blocks"]) <= VIEW_BLOCKS
    return dict(view)


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def action_ids(view: dict[str, Any], block_prefix: str) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b.get("type") == "actions" and b["block_id"].startswith(block_prefix)
            for e in b["elements"]]


async def click_home(emulator: SlackEmulator, user: str, view: dict[str, Any], block_prefix: str, action_id: str) -> dict[str, Any]:
    """Press a button of the Home's block starting with ``block_prefix``; the Home published again."""
    block = next(b for b in view["blocks"] if b.get("type") == "actions" and b["block_id"].startswith(block_prefix))
    element = next(e for e in block["elements"] if e["action_id"] == action_id)
    home_id = emulator.home_views[user]["id"]
    mark = len(emulator.calls)
    result = await emulator.click_button(user, view_id=home_id, action_id=action_id, value=element["value"],
                                         block_id=block["block_id"])
    assert not result.timed_out
    return await home_of(emulator, user, mark)


async def test_the_managers_home_shows_the_team_today_and_a_members_home_their_own(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await record_leave(db_dsn, PRIYA, date(2026, 3, 6), date(2026, 3, 6))
    clock.at = ny(3, 6, 9, 0)
    assert await bot.scheduler.run_as_of("morning-thread", clock.at) is not None
    await reply(emulator, DIEGO, thread_roots(emulator)[-1]["ts"], "Today: the checkout fix and the release notes")
    clock.at = ny(3, 6, 13, 0)
    late, late_id = await overdue_task(db_dsn, DIEGO, "Send the Acme invoice", date(2026, 3, 5))
    blocked, _ = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 20))
    await answer_text(emulator, DIEGO, "/blocker", f"{blocked} waiting for the API keys", channel=STANDUP)
    await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed the last three standups")
    await sweep(bot, clock, ny(3, 6, 13, 0))  # the overdue invoice: its owner is asked (rung 1 of 3)

    view = await home_of(emulator, LEE)
    text = shown(view)
    assert view["blocks"][3]["text"]["text"] == "*Your team today*"  # first, after the greeting
    assert f"Posted today: <@{DIEGO}>" in text and "everyone's in" in text
    assert f"Out: <@{PRIYA}> (out of office (vacation) today)" in text
    assert "*Open blockers* (1)" in text and "waiting for the API keys" in text and "not escalated yet" in text
    assert action_ids(view, "team_blocker:") == ["home_blocker_mine", "home_blocker_resolve"]
    assert "*Overdue tasks* (1)" in text and f"`{late}` *Send the Acme invoice*" in text
    assert "due Thu 5 Mar" in text and "(rung 1 of 3)" in text
    assert action_ids(view, "team_overdue:") == ["overdue_done", "overdue_new_date", "overdue_drop"]
    assert "*Open flags* (1)" in text and "missed the last three standups" in text
    assert action_ids(view, "flag:") == ["flag_inquiry", "flag_resolve", "flag_dismiss"]

    # Diego's Home: his own blocker and overdue task, nothing of the team's; Sam's: neither part.
    mine = await home_of(emulator, DIEGO)
    assert "*Blocked and overdue*" in shown(mine) and "Your team today" not in shown(mine)
    assert action_ids(mine, "my_blocker:") == ["home_blocker_resolve", "home_blocker_still"]
    assert action_ids(mine, "my_overdue:") == ["overdue_done", "overdue_new_date", "overdue_drop"]
    assert "missed the last three standups" not in shown(mine)
    others = shown(await home_of(emulator, SAM))
    assert "Blocked and overdue" not in others and "Your team today" not in others

    # The buttons act and redraw the Home.
    view = await click_home(emulator, LEE, view, "team_blocker:", "home_blocker_mine")
    # Shown once, in the team's list, as his to resolve; Diego's Home says who is on it (tester 13, finding 15).
    assert "you're on it" in shown(view) and shown(view).count("waiting for the API keys") == 1
    assert "Your open blockers" not in shown(view)
    assert action_ids(view, "team_blocker:") == ["home_blocker_resolve", "home_blocker_still"]
    assert f"<@{LEE}> is on it" in shown(await home_of(emulator, DIEGO))
    view = await click_home(emulator, LEE, view, "team_overdue:", "overdue_done")
    assert "*Overdue tasks*: none" in shown(view)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT status FROM tasks WHERE id = %s", (late_id,)) == "done"
    view = await click_home(emulator, LEE, view, "flag:", "flag_dismiss")
    assert "*Open flags*: none" in shown(view)


async def test_a_large_team_stays_inside_one_home_view(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                       db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    now = clock.now()
    async with await db(db_dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        lee = await workspace_service.user_by_slack_id(conn, org, LEE)
        assert lee is not None
        for n in range(40):
            user_id = await make_user(conn, org, f"teammate{n:02d}", slack_id=f"U0TEAM{n:02d}", manager_id=lee.id,
                                      timezone="America/New_York")
            person = await workspace_service.user_by_slack_id(conn, org, f"U0TEAM{n:02d}")
            assert person is not None
            task = await task_service.create(conn, org, person, user_id, task_service.NewTask(
                title=f"Task number {n}", due_date=date(2026, 3, 2)), source="slash")
            await conn.execute("INSERT INTO blockers (organization_id, task_id, user_id, description, source) "
                               "VALUES (%s, %s, %s, %s, 'slash')", (org, task.id, user_id, f"waiting on vendor {n}"))
            await flags.raise_rule_flag(conn, org, person_id=user_id, type_="manual", severity="medium", title=f"Flag {n}",
                                        description="d", evidence={}, dedupe_key=f"test:{n}", now=now)
    view = await home_of(emulator, LEE)
    text = shown(view)
    assert "Part of your Home didn't fit" not in text
    assert "*Open blockers* (40)" in text and "and 36 more open blockers" in text
    assert "*Overdue tasks* (40)" in text and "and 36 more overdue tasks" in text
    assert "*Open flags* (40)" in text and "and 36 more open flags" in text
