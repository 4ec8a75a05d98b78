"""Deploys of one client that coincide (tester16b N2), through the Slack emulator: a one-off at the same instant as a
weekly deploy (in the same zone or said in another), or a second deploy the same day with the same checklist (the two
would share one checklist_completions row per member, so one's ticks would count for the other), is refused with a
clear answer and logged, nothing added; a second deploy that day without that checklist, or another day, is fine."""

from __future__ import annotations

from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, answer_text
from tests.e2e.test_client_card import refusals, value
from tests.e2e.test_deploy_reminders import bot, ny

clock = team.clock
__all__ = ["bot", "clock"]


async def test_a_deploy_coinciding_with_another_of_the_client_is_refused(
        emulator: SlackEmulator, bot: object, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    assert "Thu 12 Mar 2026 15:00" in said, said
    refused_before = await refusals(db_dsn, "deploy.refused")

    # The same instant: a one-off on a Thursday at 15:00, with or without the checklist, or said on London's clock.
    for words in ("2026-03-12 15:00 checklist Pre-deploy", "2026-03-19 15:00",
                  "2026-03-12 19:00 Europe/London"):
        said = await answer_text(emulator, MAYA, "/steward", f"deploy Acme Corp {words}")
        assert "already deploys at that moment: Thu 12 Mar 2026 at 15:00 (America/New_York, every Thursday" in said \
            or "already deploys at that moment: Thu 19 Mar 2026 at 15:00" in said, (words, said)
        assert "Nothing was added" in said, said
    # A weekly one that falls on the same instant (Thursday 19:00 London while both zones are on summer time).
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 19:00 Europe/London")
    assert "already deploys at that moment" in said and "Nothing was added" in said, said
    # The same day, another time, the same checklist: they would share one set of ticks.
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp 2026-03-12 18:00 checklist Pre-deploy")
    assert ("already deploys that day with checklist *Pre-deploy*: Thu 12 Mar 2026 at 15:00 (America/New_York, "
            "every Thursday") in said, said
    assert "share one set of ticks" in said and "Nothing was added" in said, said
    assert await refusals(db_dsn, "deploy.refused") == refused_before + 5
    assert await value(db_dsn, "SELECT count(*) FROM client_deploy_schedules") == 1

    # The same day without that checklist, and another day with it, are other deploys.
    assert "Scheduled" in await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp 2026-03-12 18:00")
    assert "Scheduled" in await answer_text(emulator, MAYA, "/steward",
                                            "deploy Acme Corp 2026-03-13 15:00 checklist Pre-deploy")
    assert await value(db_dsn, "SELECT count(*) FROM client_deploy_schedules") == 3
