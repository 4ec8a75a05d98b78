"""`/ooo 28th` (tester16b N4), end to end through the Slack emulator: a bare day of the month is that day of this month
(or the next when it is past), as "the 28th" is, never today; the same `/ooo` sent twice is one leave record."""

from __future__ import annotations

from datetime import date

from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, STANDUP, answer_text
from tests.e2e.test_daily_loop_words import absences_of, bot, clock
from tests.e2e.test_daily_rhythm import utc

__all__ = ["bot", "clock"]


async def test_a_bare_day_of_the_month_is_that_day_and_saying_it_twice_records_it_once(
        emulator: SlackEmulator, bot: object, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = utc(2026, 12, 24, 15, 45)  # Thursday 24 December: 15:45 in London, 10:45 in New York
    said = await answer_text(emulator, SAM, "/ooo", "28th", channel=STANDUP)
    assert "Mon 28 Dec" in said and "Thu 24 Dec" not in said, said
    assert await absences_of(db_dsn, SAM) == [(date(2026, 12, 28), date(2026, 12, 28))]
    again = await answer_text(emulator, SAM, "/ooo", "28th", channel=STANDUP)
    assert "Mon 28 Dec" in again, again
    assert await absences_of(db_dsn, SAM) == [(date(2026, 12, 28), date(2026, 12, 28))]  # one record, not two

    said = await answer_text(emulator, MAYA, "/ooo", "31st", channel=STANDUP)
    assert "Thu 31 Dec" in said, said
    said = await answer_text(emulator, MAYA, "/ooo", "1st", channel=STANDUP)  # the 1st of this month is past: January's
    assert "Fri 1 Jan" in said, said
    assert await absences_of(db_dsn, MAYA) == [(date(2026, 12, 31), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 1, 1))]
