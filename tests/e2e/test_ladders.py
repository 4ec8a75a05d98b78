"""`/steward ladder` and `/steward project <name> overdue <ladder>` through the emulator (issue 13)."""

from __future__ import annotations

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, answer_text
from tests.e2e.test_daily_rhythm import db
from tests.helpers import fetchval


async def stored(dsn: str, sql: str) -> object:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql)


async def test_admins_see_and_set_the_ladders(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    shown = await answer_text(emulator, SAM, "/steward", "ladder")
    assert "`4h owner, 1d manager, 2d channel, 3d flag`" in shown and "the default" in shown
    assert "after 4 working hours: DM the owner" in shown
    assert "`0h owner, 1d manager, 3d channel`" in shown

    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 2h owner, 1d manager, 3d flag")
    assert "The blocker ladder is now `2h owner, 1d manager, 3d flag`" in said
    assert await stored(db_dsn, "SELECT blocker_ladder::text FROM org_settings") == \
        '[{"unit": "h", "after": 2.0, "action": "owner"}, {"unit": "d", "after": 1.0, "action": "manager"}, ' \
        '{"unit": "d", "after": 3.0, "action": "flag"}]'
    assert await stored(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'ladder.changed'") == 1
    said = await answer_text(emulator, MAYA, "/steward", "ladder overdue due owner, 2d manager")
    assert "`0h owner, 2d manager`" in said
    assert "set by an admin" in await answer_text(emulator, SAM, "/steward", "ladder")

    # A member may look but not change; the refusal is logged and nothing is written.
    refused = await answer_text(emulator, SAM, "/steward", "ladder blocker 1h owner")
    assert "only Steward admins" in refused
    assert await stored(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = 'ladder.set'") == 1
    assert "2h owner, 1d manager, 3d flag" in await answer_text(emulator, SAM, "/steward", "ladder")

    # Setting the ladder it already has says so and writes nothing (tester 13, finding 22).
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 2h owner, 1d manager, 3d flag")
    assert "The blocker ladder is already `2h owner, 1d manager, 3d flag`: unchanged." in said
    assert await stored(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'ladder.changed'") == 2
    assert "The blocker ladder is now `4h owner" in await answer_text(emulator, MAYA, "/steward", "ladder blocker default")
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker default")
    assert "The blocker ladder is already `4h owner, 1d manager, 2d channel, 3d flag`: unchanged." in said
    assert await stored(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'ladder.changed'") == 3


async def test_a_ladder_that_does_not_parse_names_its_bad_rung_and_writes_nothing(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    before = await stored(db_dsn, "SELECT blocker_ladder::text FROM org_settings")
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 4h owner, 1d boss, 2d channel")
    assert "Rung 2 (`1d boss`) doesn't say what to do" in said
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 2d channel, 1d manager")
    assert "Rung 2 (`1d manager`) comes after rung 1 (`2d channel`) but doesn't wait longer" in said
    said = await answer_text(emulator, MAYA, "/steward", "ladder blockr 4h owner")
    assert "Say which ladder" in said
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 4h owner 1d manager")
    assert "looks like two rungs with no comma between them: `4h owner, 1d manager`" in said
    said = await answer_text(emulator, MAYA, "/steward", "ladder blocker 4h owner, 1d owner, 2d owner")
    assert "Rung 2 (`1d owner`) repeats rung 1's step" in said
    said = await answer_text(emulator, MAYA, "/steward", "ladder overdue 0h owner, 1d flag, 2d manager")
    assert "Rung 2 (`1d flag`) raises a flag to the manager's manager before the manager has heard" in said
    assert await stored(db_dsn, "SELECT blocker_ladder::text FROM org_settings") == before
    assert await stored(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'ladder.changed'") == 0


async def test_a_project_gets_its_own_overdue_ladder(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await answer_text(emulator, MAYA, "/steward", "project add Website relaunch")
    said = await answer_text(emulator, MAYA, "/steward", "project Website relaunch overdue 0h owner, 2d manager, 4d channel")
    assert "*Website relaunch* now follows its own overdue ladder `0h owner, 2d manager, 4d channel`" in said
    assert await stored(db_dsn, "SELECT overdue_escalation->1->>'action' FROM projects") == "manager"
    assert "Website relaunch: `0h owner, 2d manager, 4d channel`" in await answer_text(emulator, SAM, "/steward", "ladder")
    shown = await answer_text(emulator, SAM, "/steward", "project website overdue")
    assert "follows its own overdue ladder" in shown

    said = await answer_text(emulator, MAYA, "/steward", "project Website relaunch overdue 2d manager, 1d owner")
    assert "Rung 2 (`1d owner`) comes after rung 1" in said
    said = await answer_text(emulator, MAYA, "/steward", "project Mobile app overdue 1d owner")
    assert "I don't know a project called `Mobile app`" in said and "Website relaunch" in said
    said = await answer_text(emulator, SAM, "/steward", "project Website relaunch overdue 1d owner")
    assert "only Steward admins" in said
    assert await stored(db_dsn, "SELECT overdue_escalation->1->>'action' FROM projects") == "manager"
    said = await answer_text(emulator, MAYA, "/steward", "project Website relaunch overdue 0h owner, 2h manager, 1h channel")
    assert "waits must grow: `0h owner, 1d manager, 3d channel`" in said  # an overdue example (tester 13, finding 22)
    # The ladder it already has: unchanged, and no audit row.
    said = await answer_text(emulator, MAYA, "/steward", "project Website relaunch overdue 0h owner, 2d manager, 4d channel")
    assert "*Website relaunch* already follows its own overdue ladder `0h owner, 2d manager, 4d channel`: unchanged." in said

    said = await answer_text(emulator, MAYA, "/steward", "project Website relaunch overdue default")
    assert "follows the organization's overdue ladder `0h owner, 1d manager, 3d channel`" in said
    assert await stored(db_dsn, "SELECT overdue_escalation FROM projects") is None
    assert await stored(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'project.overdue_ladder_changed'") == 2
