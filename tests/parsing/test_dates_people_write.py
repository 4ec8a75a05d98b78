"""Times and dates the way people write them (issue 10, part 2): every example of the issue with a
fixed ``now``, plus the neighbours of each kind.

The person is in America/New_York unless a case says otherwise. Wednesday 2026-03-04 is the usual
day (New York switches to daylight time on Sunday 2026-03-08); Duckling's cases use its corpus's
reference time, Tuesday 2013-02-12 04:30 at UTC-2 (``Etc/GMT+2``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsing import parse_ooo, parse_reminder, parse_tasks

NY = "America/New_York"
LONDON = "Europe/London"
NYZ = ZoneInfo(NY)


def at(y: int, mo: int, d: int, h: int, mi: int, tz: str = NY) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz))


def reminder(text: str, now: datetime, tz: str = NY, order: str = "MDY") -> tuple[str, str]:
    r = parse_reminder(text, now=now, tz=tz, date_order=order)  # type: ignore[arg-type]
    assert r is not None, text
    return r.what, r.fire_at.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")


def task(text: str, now: datetime, tz: str = NY, order: str = "MDY") -> tuple[str, str | None, bool]:
    [t] = parse_tasks(text, now=now, tz=tz, date_order=order)  # type: ignore[arg-type]
    due = t.due_at.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") if t.due_at else None
    return t.title, due, t.has_time


WED_10 = at(2026, 3, 4, 10, 0)


# ---------------------------------------------------------------------------------------------
# a clock time without am/pm: one rule, with or without minutes


def test_reminder_clock_time_with_minutes_is_its_next_occurrence() -> None:
    assert reminder("remind me to join the client call at 3:30", WED_10) == (
        "join the client call", "2026-03-04T15:30-05:00")
    assert reminder("remind me to join the client call at 3", WED_10) == (
        "join the client call", "2026-03-04T15:00-05:00")


def test_task_clock_time_with_minutes_is_read_in_working_hours() -> None:
    assert task("Deploy the hotfix at 5:30", WED_10) == ("Deploy the hotfix", "2026-03-04T17:30-05:00", True)
    assert task("Deploy the hotfix at 5", WED_10) == ("Deploy the hotfix", "2026-03-04T17:00-05:00", True)
    # a working-hours time already past today is tomorrow's
    assert task("review the deck at 9:30", WED_10) == ("review the deck", "2026-03-05T09:30-05:00", True)


def test_late_evening_reminder_is_tonight_not_tomorrow_morning() -> None:
    late = at(2026, 3, 4, 23, 28)
    assert reminder("remind me to go to bed at 11:30", late) == ("go to bed", "2026-03-04T23:30-05:00")


def test_twenty_four_hour_and_am_pm_times_are_taken_as_written() -> None:
    assert reminder("remind me to call the bank at 09:30", WED_10) == ("call the bank", "2026-03-05T09:30-05:00")
    assert reminder("remind me to call the bank at 15:30", WED_10) == ("call the bank", "2026-03-04T15:30-05:00")
    assert reminder("remind me to call the bank at 3:30am", WED_10) == ("call the bank", "2026-03-05T03:30-05:00")


def test_an_ambiguous_reminder_time_never_lands_in_the_small_hours_by_guesswork() -> None:
    # at 22:00 "at 2" is tomorrow 14:00, not 02:00 in the night ...
    assert reminder("remind me to call the bank at 2", at(2026, 3, 4, 22, 0)) == (
        "call the bank", "2026-03-05T14:00-05:00")
    # ... but someone awake past midnight asking for "1:30" means the coming 01:30
    assert reminder("remind me to check the deploy at 1:30", at(2026, 3, 5, 0, 40)) == (
        "check the deploy", "2026-03-05T01:30-05:00")


def test_a_day_with_an_ambiguous_time_reads_it_in_working_hours() -> None:
    assert reminder("remind me on Friday at 9 to plan the week", WED_10) == ("plan the week", "2026-03-06T09:00-05:00")
    assert reminder("remind me tomorrow at 5:30 to call the bank", WED_10) == (
        "call the bank", "2026-03-05T17:30-05:00")
    assert reminder("remind me tonight at 8 to call the bank", WED_10) == ("call the bank", "2026-03-04T20:00-05:00")


# ---------------------------------------------------------------------------------------------
# midnight


def test_midnight_is_the_coming_midnight_for_a_reminder() -> None:
    assert reminder("remind me at midnight to take out the trash", WED_10) == (
        "take out the trash", "2026-03-05T00:00-05:00")
    assert reminder("remind me on Friday at midnight to renew the certificate", WED_10) == (
        "renew the certificate", "2026-03-07T00:00-05:00")


def test_by_midnight_for_a_due_date_is_the_end_of_that_day() -> None:
    assert task("submit the report by midnight", WED_10) == ("submit the report", "2026-03-04T23:59-05:00", True)


# ---------------------------------------------------------------------------------------------
# European forms and the person's date order


def test_a_date_only_valid_day_first_is_read_day_first() -> None:
    assert reminder("remind me on 29/11 to pay the invoice", WED_10) == ("pay the invoice", "2026-11-29T09:00-05:00")


def test_day_first_locale_reads_3_4_as_3_april_and_month_first_as_4_march() -> None:
    now = at(2026, 3, 2, 10, 0, LONDON)
    assert reminder("remind me on 3/4 to renew the domain", now, LONDON, "DMY") == (
        "renew the domain", "2026-04-03T09:00+01:00")
    assert reminder("remind me on 3/4 to renew the domain", now, LONDON, "MDY") == (
        "renew the domain", "2026-03-04T09:00+00:00")


def test_dotted_dates_and_times_are_understood_and_removed_from_the_title() -> None:
    assert task("I'll send the invoice by 29.11.", WED_10) == ("send the invoice", "2026-11-29T17:00-05:00", False)
    assert task("I'll send the invoice by 29.11", WED_10) == ("send the invoice", "2026-11-29T17:00-05:00", False)
    assert task("Deploy the hotfix at 17.30", WED_10) == ("Deploy the hotfix", "2026-03-04T17:30-05:00", True)
    assert task("Rechnung schicken am 3.4. um 9.15 Uhr", WED_10, order="DMY") == (
        "Rechnung schicken", "2026-04-03T09:15-04:00", True)


def test_version_numbers_and_decimals_are_not_dates() -> None:
    assert task("upgrade node to 20.11", WED_10) == ("upgrade node to 20.11", None, False)
    assert task("bump the API to v2.1 and cut 3.4.1", WED_10)[1] is None


@pytest.mark.parametrize(("locale", "order"), [
    ("en-US", "MDY"), ("en-GB", "DMY"), ("de-DE", "DMY"), ("fr-FR", "DMY"), ("es-ES", "DMY"), ("es-LA", "DMY"),
    ("pt-BR", "DMY"), ("it-IT", "DMY"), ("ja-JP", "MDY"), ("ko-KR", "MDY"), ("zh-CN", "MDY"), ("en-AU", "DMY"),
    ("en_GB", "DMY"), (None, "MDY"), ("", "MDY"), ("xx-YY", "MDY"),
])
def test_date_order_from_slack_locale(locale: str | None, order: str) -> None:
    from bot.parsing.locales import date_order_for_locale

    assert date_order_for_locale(locale) == order


# ---------------------------------------------------------------------------------------------
# month ends


def test_last_day_of_every_month_repeats_on_the_last_day() -> None:
    r = parse_reminder("remind me to send invoices on the last day of every month", now=WED_10, tz=NY)
    assert r is not None and r.what == "send invoices"
    assert r.recurrence == {"kind": "monthly", "day": 31, "hour": 9, "minute": 0}
    assert r.fire_at == at(2026, 3, 31, 9, 0)


def test_last_day_and_end_of_the_month_are_dates_removed_from_the_text() -> None:
    assert reminder("remind me on the last day of the month to send invoices", WED_10) == (
        "send invoices", "2026-03-31T09:00-04:00")
    assert reminder("remind me at the end of the month to send invoices", WED_10) == (
        "send invoices", "2026-03-31T09:00-04:00")
    assert reminder("remind me on the first of next month to send invoices", WED_10) == (
        "send invoices", "2026-04-01T09:00-04:00")
    assert task("close the books on the last day of next month", WED_10) == (
        "close the books", "2026-04-30T17:00-04:00", False)


# ---------------------------------------------------------------------------------------------
# other languages; one meaning of "next <weekday>"

TUE = at(2026, 3, 3, 10, 0)  # a Tuesday: "next Friday" is Friday 13 March, not the 6th


def test_french_next_monday_at_noon() -> None:
    assert task("envoyer le devis lundi prochain à midi", TUE) == (
        "envoyer le devis", "2026-03-09T12:00-04:00", True)


@pytest.mark.parametrize("text", [
    "send the report next Friday", "envoyer le rapport vendredi prochain", "Bericht nächsten Freitag schicken",
    "enviar el informe el próximo viernes", "enviar el informe el viernes que viene",
    "inviare il rapporto venerdì prossimo",
])
def test_next_weekday_means_the_same_day_in_every_language(text: str) -> None:
    [t] = parse_tasks(text, now=TUE, tz=NY)
    assert t.due_date == date(2026, 3, 13), text
    assert "prochain" not in t.title and "próximo" not in t.title and "nächsten" not in t.title


@pytest.mark.parametrize("text", ["send the report Friday", "envoyer le rapport vendredi",
                                  "enviar el informe el viernes", "Bericht am Freitag schicken"])
def test_a_plain_weekday_is_its_next_occurrence_in_every_language(text: str) -> None:
    [t] = parse_tasks(text, now=TUE, tz=NY)
    assert t.due_date == date(2026, 3, 6), text


def test_foreign_midnight_and_noon_words() -> None:
    assert task("enviar el informe mañana a mediodía", TUE)[1:] == ("2026-03-04T12:00-05:00", True)
    assert task("Bericht morgen um Mitternacht schicken", TUE)[1:] == ("2026-03-04T23:59-05:00", True)


# ---------------------------------------------------------------------------------------------
# the failures listed from Duckling's corpus (reference Tue 2013-02-12 04:30 UTC-2)

DUCK_TZ = "Etc/GMT+2"
DUCK_NOW = datetime(2013, 2, 12, 4, 30, tzinfo=ZoneInfo(DUCK_TZ))


@pytest.mark.parametrize(("phrase", "expected"), [
    ("3:20 in the afternoon", "2013-02-12T15:20"),
    ("twenty after 3pm", "2013-02-12T15:20"),
    ("a quarter past 1pm", "2013-02-12T13:15"),
    ("at 7:30 PM on Fri, Sep 20", "2013-09-20T19:30"),
    ("at 8 in the evening", "2013-02-12T20:00"),
    ("in 1/2 hour", "2013-02-12T05:00"),
    ("in 4 years at 5pm", "2017-02-12T17:00"),
    ("2 sundays from now", "2013-02-24T09:00"),
    ("in 1h", "2013-02-12T05:30"),
    ("in 2.5 hours", "2013-02-12T07:00"),
    ("a week hence", "2013-02-19T04:30"),
    ("Thursday 8:00 PST", "2013-02-14T14:00"),
    ("Thursday at 9:30pm ist", "2013-02-14T14:00"),
    ("4pm CET", "2013-02-12T13:00"),
    ("friday after next", "2013-02-22T09:00"),
    ("Monday, Feb 18", "2013-02-18T09:00"),
    ("the first of march", "2013-03-01T09:00"),
    ("half past 3 pm", "2013-02-12T15:30"),
    ("a quarter to noon", "2013-02-12T11:45"),
    ("9 tomorrow evening", "2013-02-13T21:00"),
    ("the last friday of october", "2013-10-25T09:00"),
    ("20th of next month", "2013-03-20T09:00"),
])
def test_duckling_phrases_listed_in_the_issue(phrase: str, expected: str) -> None:
    r = parse_reminder("remind me to call the bank " + phrase, now=DUCK_NOW, tz=DUCK_TZ)
    assert r is not None, phrase
    assert (r.what, r.fire_at.astimezone(ZoneInfo(DUCK_TZ)).isoformat(timespec="minutes")[:16]) == (
        "call the bank", expected)


def test_time_zone_named_with_a_task_becomes_the_persons_time() -> None:
    # 3pm Pacific = 18:00 in New York
    assert task("call the Acme team Thursday 3pm PT", WED_10) == ("call the Acme team", "2026-03-05T18:00-05:00", True)


# ---------------------------------------------------------------------------------------------
# shared readings stay shared: absences use the same date order

def test_absence_follows_the_date_order() -> None:
    o = parse_ooo("I'm out on 3/4", now=at(2026, 3, 2, 10, 0, LONDON), tz=LONDON, date_order="DMY")
    assert o is not None and (o.start_date, o.end_date) == (date(2026, 4, 3), date(2026, 4, 3))


# ---------------------------------------------------------------------------------------------
# more of each kind than the issue lists


@pytest.mark.parametrize(("text", "now", "expected"), [
    ("remind me at 7:45 to leave for the airport", WED_10, ("leave for the airport", "2026-03-04T19:45-05:00")),
    ("remind me at 12:30 to eat", at(2026, 3, 4, 13, 0), ("eat", "2026-03-05T12:30-05:00")),
    ("remind me today at 9 to call the bank", WED_10, ("call the bank", "2026-03-04T21:00-05:00")),
    ("remind me at half past four to call the bank", WED_10, ("call the bank", "2026-03-04T16:30-05:00")),
    ("remind me at ten to five to call the bank", WED_10, ("call the bank", "2026-03-04T16:50-05:00")),
    ("remind me at 3pm EST to call the bank", WED_10, ("call the bank", "2026-03-04T15:00-05:00")),
    ("remind me at 9am CET to call Lena", WED_10, ("call Lena", "2026-03-05T03:00-05:00")),
    ("remind me in 90 minutes to stretch", WED_10, ("stretch", "2026-03-04T11:30-05:00")),
    ("remind me in 3 days to follow up with Acme", WED_10, ("follow up with Acme", "2026-03-07T10:00-05:00")),
    ("remind me in 15 to check the oven", WED_10, ("check the oven", "2026-03-04T10:15-05:00")),
    ("remind me on the 2nd Tuesday of next month to review the budget", WED_10,
     ("review the budget", "2026-04-14T09:00-04:00")),
    ("remind me on Fri, Mar 20 at 4:15pm to submit the grant", WED_10,
     ("submit the grant", "2026-03-20T16:15-04:00")),
])
def test_more_reminder_phrasings(text: str, now: datetime, expected: tuple[str, str]) -> None:
    assert reminder(text, now) == expected


def test_every_day_at_midnight_repeats_at_00_00() -> None:
    r = parse_reminder("remind me every day at midnight to back up the laptop", now=WED_10, tz=NY)
    assert r is not None and r.recurrence == {"kind": "daily", "hour": 0, "minute": 0}
    assert r.fire_at == at(2026, 3, 5, 0, 0)


def test_at_the_end_of_every_month_repeats_on_the_last_day() -> None:
    r = parse_reminder("remind me at the end of every month to file expenses", now=WED_10, tz=NY)
    assert r is not None and r.what == "file expenses" and r.recurrence is not None
    assert r.recurrence["day"] == 31


@pytest.mark.parametrize(("text", "order", "expected"), [
    ("send the invoice by 3.4.", "DMY", ("send the invoice", "2026-04-03T17:00-04:00", False)),
    ("send the invoice by 3.4.", "MDY", ("send the invoice", "2026-03-04T17:00-05:00", False)),
    ("send the invoice on 3/4/2027", "DMY", ("send the invoice", "2027-04-03T17:00-04:00", False)),
    ("send the invoice on 13/4/2026", "MDY", ("send the invoice", "2026-04-13T17:00-04:00", False)),
    ("call the client at 5.30pm", "MDY", ("call the client", "2026-03-04T17:30-05:00", True)),
    ("call the client at 16h30", "DMY", ("call the client", "2026-03-04T16:30-05:00", True)),
    ("call the client tonight at 8", "MDY", ("call the client", "2026-03-04T20:00-05:00", True)),
    ("call the client tomorrow morning at 10", "MDY", ("call the client", "2026-03-05T10:00-05:00", True)),
])
def test_more_task_phrasings(text: str, order: str, expected: tuple[str, str, bool]) -> None:
    assert task(text, WED_10, order=order) == expected


def test_coming_weekday_in_german_is_the_coming_one() -> None:
    [t] = parse_tasks("Bericht am kommenden Freitag schicken", now=TUE, tz=NY)
    assert t.due_date == date(2026, 3, 6)


def test_a_word_after_a_time_that_is_not_a_zone_stays_in_the_text() -> None:
    [t] = parse_tasks("llamar al banco mañana a las 3 est importante", now=TUE, tz=NY)
    assert t.due_at is not None and t.due_at.hour == 15 and "est" in t.title
