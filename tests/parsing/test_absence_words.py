"""Absences the way people write them (issue 10, part 3), offline, with a fixed clock.

NOW is Wednesday 2026-03-11 10:00 in New York. Each case is a kind of phrasing: ranges of weekdays,
days of the month without a month, counts of days, "until <today's weekday>", and absences in Spanish,
French, German, Italian and Portuguese. The `/ooo` command reads its text through ``as_statement``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsing import ParsedOoo, parse_ooo
from bot.parsing.ooo import states_absence, status_absence
from bot.services.ooo import as_statement

NY = "America/New_York"
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo(NY))  # a Wednesday

CASES: list[tuple[str, str, str, str, str | None]] = [
    # ranges of weekdays: the next such days, today included
    ("mon-wed", "Mon-Wed vacation", "2026-03-16", "2026-03-18", "vacation"),
    ("ooo-mon-to-wed", "OOO Mon to Wed", "2026-03-16", "2026-03-18", None),
    ("monday-through-wednesday", "out Monday through Wednesday", "2026-03-16", "2026-03-18", None),
    ("wed-fri-today", "off wed-fri", "2026-03-11", "2026-03-13", None),
    ("thu-fri", "off thu\u2013fri", "2026-03-12", "2026-03-13", None),
    ("tue-thu-next-week", "out tue-thu next week", "2026-03-17", "2026-03-19", None),
    ("next-mon-fri", "off next Mon-Fri", "2026-03-16", "2026-03-20", None),
    ("fri-mon-wraps", "away Fri-Mon", "2026-03-13", "2026-03-16", None),
    ("sat-sun", "out sat-sun", "2026-03-14", "2026-03-15", None),
    # days of the month without a month: this month, or the next when they are over
    ("from-the-20th-to-the-24th", "off from the 20th to the 24th", "2026-03-20", "2026-03-24", None),
    ("20th-24th", "off 20th-24th", "2026-03-20", "2026-03-24", None),
    ("the-20th-through-the-24th", "out the 20th through the 24th", "2026-03-20", "2026-03-24", None),
    ("2nd-6th-next-month", "on vacation 2nd-6th", "2026-04-02", "2026-04-06", "vacation"),
    ("30th-2nd-wraps", "off the 30th to the 2nd", "2026-03-30", "2026-04-02", None),
    ("of-march", "out the 20th to the 24th of March", "2026-03-20", "2026-03-24", None),
    # counts of days: workdays from the start (Mon-Fri); weeks and calendar days are calendar days
    ("out-of-office-3-days", "out of office 3 days", "2026-03-11", "2026-03-13", None),
    ("ooo-3", "ooo 3", "2026-03-11", "2026-03-13", None),
    ("away-2-days", "away 2 days", "2026-03-11", "2026-03-12", None),
    ("away-4-days-skips-weekend", "away 4 days", "2026-03-11", "2026-03-16", None),
    ("3-days-off", "taking 3 days off", "2026-03-11", "2026-03-13", None),
    ("off-2-weeks", "off 2 weeks from Monday", "2026-03-16", "2026-03-29", None),
    ("calendar-days", "out for 5 calendar days", "2026-03-11", "2026-03-15", None),
    ("a-couple-of-days", "I'm out for a couple of days", "2026-03-11", "2026-03-12", None),
    ("two-weeks-of-pto", "two weeks of PTO", "2026-03-11", "2026-03-24", "vacation"),
    ("count-not-beside", "Taking Friday off, then 2 days on the migration", "2026-03-13", "2026-03-13", None),
    # "until <weekday>" said on that weekday is next week's
    ("until-wednesday-on-wednesday", "ooo until wednesday", "2026-03-11", "2026-03-18", None),
    ("until-friday", "out until Friday", "2026-03-11", "2026-03-13", None),
    ("back-on-wednesday-on-wednesday", "I'm out, back on Wednesday", "2026-03-11", "2026-03-17", None),
    # other languages
    ("fr-du-au", "Je suis en cong\u00e9 du 16 au 18 mars", "2026-03-16", "2026-03-18", "vacation"),
    ("es-next-week", "Estoy de vacaciones la pr\u00f3xima semana", "2026-03-16", "2026-03-20", "vacation"),
    ("de-next-week", "Ich bin n\u00e4chste Woche im Urlaub", "2026-03-16", "2026-03-20", "vacation"),
    ("de-vom-bis", "Ich bin vom 28. M\u00e4rz bis 2. April im Urlaub", "2026-03-28", "2026-04-02", "vacation"),
    ("es-del-al", "Estoy de vacaciones del 16 al 18 de marzo", "2026-03-16", "2026-03-18", "vacation"),
    ("it-dal-al", "Sono in ferie dal 16 al 18 marzo", "2026-03-16", "2026-03-18", "vacation"),
    ("pt-de-a", "Estou de f\u00e9rias de 16 a 18 de mar\u00e7o", "2026-03-16", "2026-03-18", "vacation"),
    ("es-hasta", "Estoy de vacaciones hasta el viernes", "2026-03-11", "2026-03-13", "vacation"),
    ("fr-jusqua", "Je suis malade jusqu'\u00e0 vendredi", "2026-03-11", "2026-03-13", "sick"),
    ("de-sick-tomorrow", "Ich bin morgen krank", "2026-03-12", "2026-03-12", "sick"),
    ("es-sick-today", "Estoy enfermo hoy", "2026-03-11", "2026-03-11", "sick"),
    ("fr-monday", "Je suis en cong\u00e9 lundi", "2026-03-16", "2026-03-16", "vacation"),
    ("de-bis-freitag", "Ich bin bis Freitag krank", "2026-03-11", "2026-03-13", "sick"),
]


@pytest.mark.parametrize(("text", "first", "last", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_absence_phrasings(text: str, first: str, last: str, reason: str | None) -> None:
    found = parse_ooo(as_statement(text), now=NOW, tz=NY)
    assert found == ParsedOoo(date.fromisoformat(first), date.fromisoformat(last), reason)


FOREIGN = [
    "Je suis en cong\u00e9 du 16 au 18 mars",
    "Estoy de vacaciones la pr\u00f3xima semana",
    "Ich bin n\u00e4chste Woche im Urlaub",
    "Sono in ferie dal 16 al 18 marzo",
    "Estou de f\u00e9rias de 16 a 18 de mar\u00e7o",
    "Je suis absente demain",
    "Ich habe morgen frei",
]


@pytest.mark.parametrize("text", FOREIGN)
def test_foreign_absences_are_recognised_as_written(text: str) -> None:
    """In a DM or a standup reply there is no `/ooo` to say it is an absence: the words must."""
    assert states_absence(text)
    assert parse_ooo(text, now=NOW, tz=NY) is not None


NOT_ABSENCES = [
    "turn off the staging server tomorrow",
    "fix the out of office reply bug",
    "Apaga el servidor ma\u00f1ana",
    "Je corrige le bug de connexion demain",
    "Ich baue die Landing Page bis Freitag",
    "review the 20th-24th sales figures",
    "ship it in 3 days",
    "fix the absent field validation",
    "update the holiday banner by Friday",
]


@pytest.mark.parametrize("text", NOT_ABSENCES)
def test_not_absences(text: str) -> None:
    assert parse_ooo(text, now=NOW, tz=NY) is None


def test_in_three_days_is_a_start_not_a_length() -> None:
    assert parse_ooo("I'm out in 3 days", now=NOW, tz=NY) == ParsedOoo(date(2026, 3, 14), date(2026, 3, 14), None)


@pytest.mark.parametrize(("text", "day"), [
    ("out 28th", date(2026, 3, 28)), ("I'm out 31st", date(2026, 3, 31)), ("ooo 1st", date(2026, 4, 1)),
    ("out on 20th.", date(2026, 3, 20)), ("off from 16th to 18th", date(2026, 3, 16)),
    ("out Mar 28th", date(2026, 3, 28)), ("out Monday 16th", date(2026, 3, 16)), ("out 28th March", date(2026, 3, 28)),
])
def test_a_bare_day_of_the_month_is_that_day_not_today(text: str, day: date) -> None:
    """tester16b N4: "out 28th" read as today; it is the 28th, like "the 28th" (the 1st is past: April's)."""
    parsed = parse_ooo(text, now=NOW, tz=NY)
    assert parsed is not None and parsed.start_date == day, parsed
    assert parse_ooo("off 16th-18th", now=NOW, tz=NY) == ParsedOoo(date(2026, 3, 16), date(2026, 3, 18), None)
    assert as_statement("28th") == "I'm out 28th"


def test_past_weekday_range() -> None:
    assert parse_ooo("I was out Mon-Tue", now=NOW, tz=NY) == ParsedOoo(date(2026, 3, 9), date(2026, 3, 10), None)


STATUSES = [
    ("Vacationing", ":palm_tree:", "vacation"),
    ("Out sick", ":face_with_thermometer:", "sick"),
    ("OOO until Monday", "", "away"),
    ("", ":palm_tree:", "vacation"),
    ("On parental leave", ":baby:", "parental"),
    ("Im Urlaub", "", "vacation"),
    ("en cong\u00e9", ":beach_with_umbrella:", "vacation"),
    ("Working remotely", ":house_with_garden:", None),
    ("In a meeting", ":spiral_calendar_pad:", None),
    ("Commuting", ":bus:", None),
    ("fixing the out of office reply", "", None),
    ("Please leave a message", "", None),
    ("Happy holidays!", ":christmas_tree:", None),
    ("Lunch, back in 30", ":hamburger:", None),
    ("back Monday", "", "away"),
    ("", "", None),
]


@pytest.mark.parametrize(("text", "emoji", "reason"), STATUSES)
def test_slack_status_away(text: str, emoji: str, reason: str | None) -> None:
    assert status_absence(text, emoji) == reason
