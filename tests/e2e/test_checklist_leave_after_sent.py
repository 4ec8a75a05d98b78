"""A checklist sent, then its person goes on leave that day (tester16b N8), end to end through the Slack emulator: the
Friday 16:00 checklist reaches Diego, who then says `/ooo today`. After his midnight it is not recorded incomplete
(Maya's, untouched, is) and it does not count in his checklist compliance."""

from __future__ import annotations

from datetime import date

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from bot.services import kpis
from db.repos.users import user_by_slack_id
from tests.e2e.conftest import DIEGO, MAYA, answer_text
from tests.e2e.test_checklists import ADD, FRI, NY, at, bot, checklist_dms, run
from tests.e2e.test_client_card import rows

__all__ = ["bot"]


async def test_a_checklist_whose_person_then_goes_on_leave_that_day_is_not_counted_incomplete(
        bot: Steward, emulator: SlackEmulator, db_dsn: str) -> None:
    assert "added" in await answer_text(emulator, MAYA, "/steward", f"checklist add {ADD}")
    assert (await run(bot, at(FRI, 16, 0, NY)))["sent"] == 2  # Maya's and Diego's (Sam's London day is over)
    assert len(await checklist_dms(emulator, DIEGO)) == 1
    bot.clock.at = at(FRI, 16, 30, NY)  # type: ignore[attr-defined]
    said = await answer_text(emulator, DIEGO, "/ooo", "today")
    assert "Fri 6 Mar" in said, said

    closed = await run(bot, at(date(2026, 3, 7), 0, 30, NY))  # after every one's Friday
    assert closed["incomplete"] == 1, closed  # Maya's, not Diego's
    missed = dict(await rows(db_dsn, "SELECT p.external_id, c.missed_at IS NOT NULL FROM checklist_completions c "
                                     "JOIN platform_identities p ON p.user_id = c.user_id"))
    assert missed[DIEGO] is False and missed[MAYA] is True, missed

    async with bot.pool.connection() as conn:
        org = int((await (await conn.execute("SELECT id FROM organizations")).fetchone())[0])  # type: ignore[index]
        ids = {s: (await user_by_slack_id(conn, org, s)).id for s in (DIEGO, MAYA)}  # type: ignore[union-attr]
        figures = await kpis.compute(conn, org, since=date(2026, 3, 2), until=date(2026, 3, 8),
                                     now=at(date(2026, 3, 9), 9, 0, NY), user_ids=list(ids.values()))
    diego = figures.people[ids[DIEGO]][kpis.CHECKLIST_COMPLIANCE]
    assert diego.value is None and diego.note == "none were due", diego
    assert figures.people[ids[MAYA]][kpis.CHECKLIST_COMPLIANCE].value == 0.0
    assert figures.team[kpis.CHECKLIST_COMPLIANCE].value == 0.0  # Maya's only: Diego's is not counted
