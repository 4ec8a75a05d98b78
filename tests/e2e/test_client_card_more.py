"""The client card and `members` as a fresh tester drove them (tester16 findings 16 and 10), through the real bot over the
Slack emulator with the clock as a parameter: the last deploy and its SOP result on the card, and what
`members @a @b` says it changed."""

from __future__ import annotations

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, PRIYA, SAM, answer_text
from tests.e2e.test_client_card import bot, clock, ny, rows, setup, value  # noqa: F401  (fixtures)
from tests.e2e.test_daily_rhythm import LEE

__all__ = ["bot", "clock"]


async def test_card_shows_the_last_deploy_and_members_changes_are_said(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 16: after a deploy the card shows it with its SOP result; `members @a @a` keeps one and says who was
    removed; a manager who drops themselves is warned they can no longer manage the client."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{LEE}> <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme on demand items: tests pass')
    await answer_text(emulator, MAYA, "/steward", "deploy Acme every thursday 15:00 checklist Pre-deploy")
    await bot.scheduler.run_as_of("deploy-reminders", ny(3, 12, 15, 0))  # nobody ticked: not followed
    clock.at = ny(3, 12, 16)
    card = await answer_text(emulator, SAM, "/steward", "client Acme Corp")
    assert "*Last deploy:* Thu 12 Mar 2026 15:00 America/New_York \u2014 :warning: SOP *Deploy: Pre-deploy* not followed" in card, card
    assert "*Next deploy:* Thu 19 Mar 2026 15:00" in card, card

    said = await answer_text(emulator, LEE, "/steward", f"client Acme Corp members <@{PRIYA}> <@{PRIYA}> <@{SAM}>")
    assert f"members are now <@{PRIYA}>, <@{SAM}>." in said, said
    assert f"No longer members: <@{LEE}>" in said and f"<@{PRIYA}> mentioned more than once: counted once" in said, said
    assert "You are no longer one of Acme Corp's members, so you can't manage it any more" in said, said
    assert sorted(r[0] for r in await rows(db_dsn, "SELECT p.external_id FROM client_members m JOIN platform_identities p "
                                                   "ON p.user_id = m.user_id")) == sorted([PRIYA, SAM])
    said = await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{SAM}>")
    assert f"No longer members: <@{PRIYA}>" in said and "can't manage it" not in said, said


async def test_an_archived_clients_checklists_rest_until_it_is_restored(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Finding 10 (second half): after `client remove`, `/steward checklists` no longer lists the client's checklist
    as live (nobody can receive it); restoring the client brings it back."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)
    await answer_text(emulator, MAYA, "/steward", f"client Globex members <@{SAM}>")
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Globex QA" for client Globex every friday 11:00 '
                                                         "items: smoke test; invoices sent")
    assert "Globex QA" in said, said
    assert "Archived client *Globex*" in await answer_text(emulator, MAYA, "/steward", "client remove Globex")
    assert "Globex QA" not in await answer_text(emulator, MAYA, "/steward", "checklists")
    assert "Restored client *Globex*" in await answer_text(emulator, MAYA, "/steward", "client add Globex")
    assert "Globex QA" in await answer_text(emulator, MAYA, "/steward", "checklists")
