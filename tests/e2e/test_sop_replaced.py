"""A second `/steward sop add` on a checklist a deploy uses says which SOP it replaces (tester16b N7), end to end
through the Slack emulator: the schedule-made "Deploy: Pre-deploy" is retired, then "Deploy to production" goes back to
being followed by hand, and each answer says so."""

from __future__ import annotations

from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, answer_text
from tests.e2e.test_deploy_reminders import bot, ny

clock = team.clock
__all__ = ["bot", "clock"]


async def test_a_second_sop_on_a_deploy_checklist_says_which_it_replaces(
        emulator: SlackEmulator, bot: object, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    # Without a deploy using the checklist there is nothing to replace, and nothing is said about it.
    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Hand check" checklist "Pre-deploy"')
    assert "SOP “Hand check”" in said and "replaces" not in said, said
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")

    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Deploy to production" checklist "Pre-deploy"')
    assert "It replaces “Hand check” at those deploys: that SOP is now followed by hand" in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Another" checklist "Pre-deploy"')
    assert "It replaces “Deploy to production” at those deploys: that SOP is now followed by hand" in said, said
    listed = await answer_text(emulator, MAYA, "/steward", "sops")
    assert "*Another* (`another`) · checklist “Pre-deploy” · 3 steps · checked at each deploy" in listed, listed
    assert "*Deploy to production* (`deploy-to-production`) · checklist “Pre-deploy” · 3 steps · followed by hand" \
        in listed, listed

    # A deploy with a checklist no SOP follows makes its own ("Deploy: Post-deploy"); an SOP added then retires it.
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Post-deploy" for client Acme Corp on demand '
                                                  "items: Smoke test; Tell the client")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every friday 11:00 checklist Post-deploy")
    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Verify" checklist "Post-deploy"')
    assert ("It replaces “Deploy: Post-deploy” at those deploys: a deploy schedule made that one, so it is retired"
            in said), said
