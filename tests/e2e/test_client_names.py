"""Client commands as a fresh tester drove them (tester16 findings 10, 12, 14, 15; ported from branch fix16b), through
the real bot over the Slack emulator with the clock as a parameter."""

from __future__ import annotations

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, answer_text
from tests.e2e.test_client_card import bot, clock, ny, rows, setup, value  # noqa: F401  (fixtures)

__all__ = ["bot", "clock"]


async def test_restoring_a_client_moves_its_deploy_schedules_past_the_deploys_missed_while_archived(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 10: the job skips an archived client's deploys, so its schedule kept the Friday it was waiting for.
    Restored ten days later, that stale deploy must not be recorded (late, against members never sent anything): the
    weekly schedule goes on from the next Friday, the one-off that passed ends, and the answer says so."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)  # Monday 9 March 2026
    await answer_text(emulator, MAYA, "/steward", f"client Globex members <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex QA" for client Globex on demand items: smoke test; invoices sent')
    said = await answer_text(emulator, MAYA, "/steward", 'deploy Globex every friday 15:00 checklist "Globex QA"')
    assert "every Friday at 15:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy Globex 2026-03-11 10:00")
    assert "Wed 11 Mar 2026" in said, said
    assert "Archived client *Globex*" in await answer_text(emulator, MAYA, "/steward", "client remove Globex")

    clock.at = ny(3, 16, 9)  # Monday 16 March: Wed 11 and Fri 13 passed while archived
    said = await answer_text(emulator, MAYA, "/steward", "client add Globex")
    assert "Restored client *Globex*" in said, said
    assert "1 deploy schedule(s) missed deploys while archived" in said, said
    assert "Fri 20 Mar 15:00 (America/New_York)" in said, said
    assert "1 one-off deploy(s) passed while it was archived and ended" in said, said
    assert await rows(db_dsn, "SELECT active, next_deploy_at FROM client_deploy_schedules ORDER BY id") == [
        (True, ny(3, 20, 15)), (False, None)]
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'deploy.resumed'") == 1

    report = await bot.scheduler.run_as_of("deploy-reminders", ny(3, 16, 9, 1))
    assert report is not None
    assert await value(db_dsn, "SELECT count(*) FROM sop_records") == 0  # no late record for Fri 13
    assert "Fri 20 Mar" in await answer_text(emulator, MAYA, "/steward", "deploys")
    # The next Friday is recorded as usual.
    report = await bot.scheduler.run_as_of("deploy-reminders", ny(3, 20, 15, 1))
    assert report is not None
    assert await rows(db_dsn, "SELECT recorded_at FROM sop_records") == [(ny(3, 20, 15),)]
