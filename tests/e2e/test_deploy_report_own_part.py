"""A one-person report shows that person's own part of each deploy (tester16b N3), end to end: Acme Corp's Thursday
deploy with Diego and Nina; Diego ticks all three items, Nina one. The deploy's SOP record is not compliant, so the
team's weekly report says 0%; `/report weekly @Diego` says 100% (he did his part), `@Nina` 0%, each with their own
checklist compliance."""

from __future__ import annotations

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, answer, answer_text
from tests.e2e.test_blockers import delivered, texts
from tests.e2e.test_client_card import value
from tests.e2e.test_daily_rhythm import reply, thread_roots
from tests.e2e.test_deploy_reminders import NINA, bot, keys, ny, run, tick
from tests.e2e.test_reports import figure_of
from tests.helpers import eventually

clock = team.clock
__all__ = ["bot", "clock"]


async def report(emulator: SlackEmulator, words: str) -> str:
    """Maya's `/report <words>`: the answer's words, its blocks included."""
    body = (await answer(emulator, MAYA, "/report", words)).body
    return texts(body)


async def test_a_one_person_report_shows_their_own_part_of_each_deploy(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}> <@{NINA}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    assert (await run(bot, clock, ny(3, 11, 15, 0)))["reminders"] == 2
    await tick(bot, DIEGO, await keys(bot), ny(3, 11, 16))
    await tick(bot, NINA, (await keys(bot))[:1], ny(3, 11, 16))
    clock.at = ny(3, 12, 9)
    posted = await bot.scheduler.run_as_of("morning-thread", clock.at)  # a standup asked in the week: a report exists
    assert posted is not None
    await delivered(bot, clock.at)
    await reply(emulator, DIEGO, thread_roots(emulator)[-1]["ts"], "Today: the Acme release")
    assert await eventually(lambda: value(db_dsn, "SELECT count(*) FROM morning_threads WHERE posted_at IS NOT NULL"))
    assert (await run(bot, clock, ny(3, 12, 15, 0)))["records"] == 1

    clock.at = ny(3, 13, 10)
    whole = await report(emulator, "weekly org 2026-03-12")
    assert figure_of(whole, "SOP compliance") == "0%", whole
    diego = await report(emulator, f"weekly <@{DIEGO}> 2026-03-12")
    assert figure_of(diego, "SOP compliance") == "100%", diego
    assert figure_of(diego, "Checklist compliance") == "100%", diego
    nina = await report(emulator, f"weekly <@{NINA}> 2026-03-12")
    assert figure_of(nina, "SOP compliance") == "0%", nina
    assert figure_of(nina, "Checklist compliance") == "0%", nina
