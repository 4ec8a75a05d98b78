"""What a fresh tester of the daily loop found in the offline parser (issue 10's follow-up), each as a kind:
ordinal days written "24." inside a sentence, durations across a daylight-saving change, holidays named in a
range, "an hour and a half", day/month order settled by the unambiguous part of a range, and the wording
slips ("Today I'm reviewing X and writing Y", "rappelle-moi", "after lunch", "back on Monday").

Every ``now`` is fixed; nothing reads a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.parsing import ooo as absence_words
from bot.parsing import parse_ooo, parse_reminder, parse_tasks, standup_reply
from bot.parsing.text import sentences_of

NY = "America/New_York"
BERLIN = "Europe/Berlin"
WED_2_DEC = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo(NY))  # Wednesday 2 December 2026, 10:00 in New York


# ---------------------------------------------------------------- 1. ordinal days do not end sentences

@pytest.mark.parametrize(("text", "sentences"), [
    ("Ich bin vom 24. bis 28. Dezember im Urlaub", ["Ich bin vom 24. bis 28. Dezember im Urlaub"]),
    ("Heute: Staging-Build deployen und Release Notes schreiben. Ich bin vom 24. bis 28. Dezember im Urlaub.",
     ["Heute: Staging-Build deployen und Release Notes schreiben.", "Ich bin vom 24. bis 28. Dezember im Urlaub."]),
    ("Ab dem 3. Januar bin ich zurück. Danach: Tests schreiben.", ["Ab dem 3. Januar bin ich zurück.", "Danach: Tests schreiben."]),
    ("Je suis en congé du 1er. Mars au 3 mars", ["Je suis en congé du 1er. Mars au 3 mars"]),
    ("Estoy de vacaciones del 2. Enero al 5 de enero", ["Estoy de vacaciones del 2. Enero al 5 de enero"]),
    ("Sono in ferie dal 2. Gennaio al 5 gennaio", ["Sono in ferie dal 2. Gennaio al 5 gennaio"]),
    ("Estou de férias de 2. Janeiro a 5 de janeiro", ["Estou de férias de 2. Janeiro a 5 de janeiro"]),
    ("I'm off from the 24th. December is quiet anyway", ["I'm off from the 24th. December is quiet anyway"]),
    ("Off from the 24th. Dec to the 28th. Dec. Then the audit.", ["Off from the 24th. Dec to the 28th. Dec.", "Then the audit."]),
    # real sentence ends stay: a number that is not a day, a word after that is not a month, "May I …"
    ("Fix the bug. Deploy it.", ["Fix the bug.", "Deploy it."]),
    ("Finished 3. Deploy the rest", ["Finished 3.", "Deploy the rest"]),
    ("I'm done with part 2. May I take T-4?", ["I'm done with part 2.", "May I take T-4?"]),
    ("Release 2.4. Then the docs", ["Release 2.4.", "Then the docs"]),
])
def test_an_ordinal_day_before_a_month_does_not_end_the_sentence(text: str, sentences: list[str]) -> None:
    assert sentences_of(text) == sentences


def test_a_german_range_in_a_reply_is_one_absence_and_no_task() -> None:
    parts = standup_reply.split_reply(
        "Heute: Staging-Build deployen und Release Notes schreiben. Ich bin vom 24. bis 28. Dezember im Urlaub.",
        now=WED_2_DEC, tz=BERLIN)
    assert parts.ooo == ["Ich bin vom 24. bis 28. Dezember im Urlaub."]
    # the header is not part of the plan, and German "und" joins two pieces of work
    assert parts.task_lines == ["Staging-Build deployen und Release Notes schreiben."]
    titles = [t.title for t in parse_tasks(parts.task_text, now=WED_2_DEC, tz=BERLIN, date_order="DMY")]
    assert titles == ["Staging-Build deployen", "Release Notes schreiben"]
    absence = parse_ooo(parts.ooo[0], now=WED_2_DEC, tz=BERLIN, date_order="DMY")
    assert absence is not None and (absence.start_date, absence.end_date) == (date(2026, 12, 24), date(2026, 12, 28))


@pytest.mark.parametrize(("header", "section"), [
    ("Heute: Tests schreiben", "plan"), ("Aujourd'hui : écrire les notes", "plan"), ("Hoy: escribir las notas", "plan"),
    ("Oggi: scrivere le note", "plan"), ("Hoje: escrever as notas", "plan"),
    ("Gestern: T-3 erledigt", "done"), ("Ayer: T-3", "done"), ("Ieri: T-3", "done"), ("Ontem: T-3", "done"),
    ("Blocker: warte auf die Rechtsabteilung", "blocker"), ("Bloqueos: esperando al cliente", "blocker"),
])
def test_standup_headers_in_other_languages(header: str, section: str) -> None:
    parts = standup_reply.split_reply(header, now=WED_2_DEC, tz=BERLIN)
    if section == "plan":
        assert parts.task_lines and ":" not in parts.task_lines[0]
    elif section == "done":
        assert parts.done_refs == [3] and not parts.task_lines
    else:
        assert parts.blockers and not parts.task_lines


@pytest.mark.parametrize(("text", "titles"), [
    ("Staging-Build deployen und Release Notes schreiben", ["Staging-Build deployen", "Release Notes schreiben"]),
    ("déployer le build et écrire les notes de version", ["déployer le build", "écrire les notes de version"]),
    ("revisar el PR y escribir las notas", ["revisar el PR", "escribir las notas"]),
    ("rivedere la PR e scrivere le note", ["rivedere la PR", "scrivere le note"]),
    ("revisar o PR e escrever as notas", ["revisar o PR", "escrever as notas"]),
    ("Rock und Roll Playlist erstellen", ["Rock und Roll Playlist erstellen"]),  # "und" inside a name
])
def test_and_between_two_pieces_of_work_in_other_languages(text: str, titles: list[str]) -> None:
    assert [t.title for t in parse_tasks(text, now=WED_2_DEC, tz=BERLIN, date_order="DMY")] == titles


@pytest.mark.parametrize(("first", "then", "start", "end"), [
    ("I'm off from the 24th.", "Back on the 4th.", date(2026, 12, 24), date(2027, 1, 3)),
    ("Ich bin ab dem 24. Dezember im Urlaub.", "Zurück am 4. Januar.", date(2026, 12, 24), date(2027, 1, 3)),
    ("Je suis en congé à partir du 21 décembre.", "Jusqu'au 23 décembre.", date(2026, 12, 21), date(2026, 12, 23)),
    ("I'm off from the 24th.", "Until the 28th.", date(2026, 12, 24), date(2026, 12, 28)),
    ("Ich bin ab dem 24. Dezember im Urlaub.", "Bis zum 28. Dezember.", date(2026, 12, 24), date(2026, 12, 28)),
    ("I'm out Thursday.", "Friday too.", date(2026, 12, 3), date(2026, 12, 4)),
    ("I'm out today.", "Back on Monday.", date(2026, 12, 2), date(2026, 12, 6)),
])
def test_dates_said_after_an_absence_belong_to_it(first: str, then: str, start: date, end: date) -> None:
    assert absence_words.continues_absence(then, now=WED_2_DEC, tz=NY)
    parts = standup_reply.split_reply(f"Fix the login bug. {first} {then}", now=WED_2_DEC, tz=NY)
    assert parts.task_lines == ["Fix the login bug."] and len(parts.ooo) == 1
    absence = parse_ooo(parts.ooo[0], now=WED_2_DEC, tz=NY, date_order="DMY")
    assert absence is not None and (absence.start_date, absence.end_date) == (start, end)


@pytest.mark.parametrize("text", ["Back on track with the Acme deck.", "Deploy on Monday.", "Back to the checkout bug"])
def test_work_after_an_absence_is_not_part_of_it(text: str) -> None:
    assert not absence_words.continues_absence(text, now=WED_2_DEC, tz=NY)


# ---------------------------------------------------------------- 2. durations are real elapsed time across DST

DST_ZONES = ["America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney", "America/Los_Angeles",
             "Pacific/Auckland", "America/Santiago", "Australia/Lord_Howe", "Europe/Dublin"]
DURATIONS = [("in 1 hour", timedelta(hours=1)), ("in 45 minutes", timedelta(minutes=45)),
             ("in 30 minutes", timedelta(minutes=30)), ("in 90 minutes", timedelta(minutes=90)),
             ("in 2 hours", timedelta(hours=2)), ("in 1h", timedelta(hours=1)), ("in 2.5 hours", timedelta(hours=2.5)),
             ("in half an hour", timedelta(minutes=30))]


def clock_changes(zone: str, year: int = 2026) -> list[datetime]:
    """The instants (UTC) of ``year`` at which ``zone``'s offset from UTC changes (found every 15 minutes)."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    at = datetime(year, 1, 1, tzinfo=UTC)
    before = at.astimezone(tz).utcoffset()
    while at.year == year:
        at += timedelta(minutes=15)
        offset = at.astimezone(tz).utcoffset()
        if offset != before:
            found.append(at)
            before = offset
    return found


@pytest.mark.parametrize("zone", DST_ZONES)
def test_a_duration_is_exact_elapsed_time_around_every_clock_change(zone: str) -> None:
    changes = clock_changes(zone)
    assert len(changes) == 2, changes  # one change forward (a gap) and one back (a fold) in each of these zones
    for change in changes:
        for before_or_after in (-50, -20, 0, 10, 40, 70):
            now = (change + timedelta(minutes=before_or_after)).astimezone(ZoneInfo(zone))
            for phrase, delta in DURATIONS:
                reminder = parse_reminder(f"remind me {phrase} to check the oven", now=now, tz=zone)
                assert reminder is not None, (zone, now, phrase)
                assert reminder.fire_at.astimezone(UTC) - now.astimezone(UTC) == delta, (zone, now, phrase, reminder.fire_at)
                assert reminder.what == "check the oven"
                (task,) = parse_tasks(f"Deploy the hotfix {phrase}", now=now, tz=zone)
                assert task.due_at is not None and task.due_at.astimezone(UTC) - now.astimezone(UTC) == delta


@pytest.mark.parametrize(("zone", "now_utc", "phrase", "fires_utc"), [
    # the tester's cases: New York at 01:30 EDT on 1 November 2026, London and Sydney in their repeated hour
    ("America/New_York", datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "in 1 hour", datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    ("Europe/London", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "in 45 minutes", datetime(2026, 10, 25, 1, 15, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 4, 4, 15, 30, tzinfo=UTC), "in 45 minutes", datetime(2026, 4, 4, 16, 15, tzinfo=UTC)),
    # New York at 01:59 EDT: one minute later is 01:00 EST, an hour "earlier" on the wall
    ("America/New_York", datetime(2026, 11, 1, 5, 59, tzinfo=UTC), "in 1 minute", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
    # the spring gap: 01:30 EST + 1 hour is 03:30 EDT
    ("America/New_York", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), "in 1 hour", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
])
def test_the_tester_s_clock_change_cases(zone: str, now_utc: datetime, phrase: str, fires_utc: datetime) -> None:
    reminder = parse_reminder(f"remind me {phrase} to check the oven", now=now_utc.astimezone(ZoneInfo(zone)), tz=zone)
    assert reminder is not None and reminder.fire_at.astimezone(UTC) == fires_utc


def test_a_daily_reminder_in_the_repeated_hour_is_not_set_in_the_past() -> None:
    # 01:40 EST on 1 November 2026, after 01:45 EDT has passed: the next 01:45 is tomorrow's.
    now = datetime(2026, 11, 1, 6, 40, tzinfo=UTC).astimezone(ZoneInfo(NY))
    reminder = parse_reminder("remind me every day at 1:45am to check the backups", now=now, tz=NY)
    assert reminder is not None and reminder.fire_at.astimezone(UTC) > now.astimezone(UTC)
    assert reminder.fire_at.date() == date(2026, 11, 2)


# ---------------------------------------------------------------- 6. spans with halves and minutes

@pytest.mark.parametrize(("phrase", "delta"), [
    ("in an hour and a half", timedelta(hours=1, minutes=30)),
    ("in one and a half hours", timedelta(hours=1, minutes=30)),
    ("in half an hour", timedelta(minutes=30)),
    ("in a day and a half", timedelta(hours=36)),
    ("in 1.5 days", timedelta(hours=36)),
    ("in two and a half days", timedelta(hours=60)),
    ("in a week and a half", timedelta(days=10, hours=12)),
    ("in 3 hours and a half", timedelta(hours=3, minutes=30)),
    ("in 2 hours and 15 minutes", timedelta(hours=2, minutes=15)),
    ("in an hour and ten minutes", timedelta(hours=1, minutes=10)),
    ("in 1 hour 30 minutes", timedelta(hours=1, minutes=30)),
    ("in 1h30", timedelta(hours=1, minutes=30)),
    ("an hour and a half from now", timedelta(hours=1, minutes=30)),
])
def test_spans_with_a_half_or_minutes_are_exact(phrase: str, delta: timedelta) -> None:
    reminder = parse_reminder(f"remind me {phrase} to stretch", now=WED_2_DEC, tz=NY)
    assert reminder is not None and reminder.what == "stretch", (phrase, reminder)
    assert reminder.fire_at - WED_2_DEC == delta
    (task,) = parse_tasks(f"Deploy the hotfix {phrase}", now=WED_2_DEC, tz=NY)
    assert task.title == "Deploy the hotfix" and task.due_at is not None and task.due_at - WED_2_DEC == delta


# ---------------------------------------------------------------- 5. holidays named in an absence

LONDON = "Europe/London"


@pytest.mark.parametrize(("text", "country", "start", "end"), [
    ("ooo from christmas to new year", None, date(2026, 12, 25), date(2027, 1, 1)),
    ("ooo from christmas to new year", "GB", date(2026, 12, 25), date(2027, 1, 1)),
    ("I'm off between Christmas and New Year's", "US", date(2026, 12, 25), date(2027, 1, 1)),
    ("off over christmas", "GB", date(2026, 12, 24), date(2026, 12, 26)),
    ("off over easter", "DE", date(2027, 3, 26), date(2027, 3, 29)),
    ("on vacation over the Easter weekend", None, date(2027, 3, 26), date(2027, 3, 29)),
    ("out thanksgiving week", "US", date(2027, 11, 22), date(2027, 11, 26)),
    ("out over thanksgiving", "US-CA", date(2027, 11, 25), date(2027, 11, 28)),
    ("off on christmas eve", None, date(2026, 12, 24), date(2026, 12, 24)),
    ("out on boxing day", "GB", date(2026, 12, 26), date(2026, 12, 26)),
    ("ooo christmas week", "GB", date(2026, 12, 21), date(2026, 12, 25)),
    ("on vacation over new year", None, date(2026, 12, 31), date(2027, 1, 1)),
    ("ooo until new year", None, date(2026, 12, 2), date(2027, 1, 1)),
    ("Ich bin von Weihnachten bis Neujahr im Urlaub", "DE", date(2026, 12, 25), date(2027, 1, 1)),
    ("Je suis en congé de Noël au Nouvel An", "FR", date(2026, 12, 25), date(2027, 1, 1)),
    ("Estoy de vacaciones de Navidad a Año Nuevo", "ES", date(2026, 12, 25), date(2027, 1, 1)),
    ("off on diwali", "IN", date(2027, 10, 29), date(2027, 10, 29)),
    ("off memorial day weekend", "US", date(2027, 5, 29), date(2027, 5, 31)),
])
def test_holidays_named_in_an_absence_are_their_days(text: str, country: str | None, start: date, end: date) -> None:
    absence = parse_ooo(text, now=WED_2_DEC.astimezone(ZoneInfo(LONDON)), tz=LONDON, country=country)
    assert absence is not None and (absence.start_date, absence.end_date) == (start, end), absence


@pytest.mark.parametrize(("text", "country", "named"), [
    ("out thanksgiving week", "GB", "thanksgiving"),
    ("out thanksgiving week", None, "thanksgiving"),
    ("off on diwali", "US", "diwali"),
    ("ooo over the august bank holiday", "GB", "august bank holiday"),
])
def test_a_holiday_the_calendar_does_not_know_is_refused_never_today(text: str, country: str | None, named: str) -> None:
    now = WED_2_DEC.astimezone(ZoneInfo(LONDON))
    assert parse_ooo(text, now=now, tz=LONDON, country=country) is None
    assert absence_words.unknown_holiday(text, now=now, tz=LONDON, country=country) == named


@pytest.mark.parametrize("text", ["Also out on Diwali.", "also off on Friday", "And out over Thanksgiving"])
def test_an_absence_said_after_also_is_one(text: str) -> None:
    assert absence_words.says_absence(text, now=WED_2_DEC, tz=NY)


# ---------------------------------------------------------------- 7. a range's parts agree on day/month order

@pytest.mark.parametrize(("text", "order", "start", "end"), [
    ("off 24/12-2/1", "MDY", date(2026, 12, 24), date(2027, 1, 2)),  # 24/12 can only be day first
    ("off from 24/12 to 2/1", "MDY", date(2026, 12, 24), date(2027, 1, 2)),
    ("out 2/1-24/12", "MDY", date(2027, 1, 2), date(2027, 12, 24)),  # what was written, in the proven order
    ("off 12/24-1/2", "DMY", date(2026, 12, 24), date(2027, 1, 2)),  # 12/24 can only be month first
    ("out 24.12.-2.1.", "MDY", date(2026, 12, 24), date(2027, 1, 2)),
    ("off 24/12/2026-2/1/2027", "MDY", date(2026, 12, 24), date(2027, 1, 2)),
    ("off 3/4-5/4", "MDY", date(2027, 3, 4), date(2027, 5, 4)),  # nothing proves an order: the person's (and said)
    ("off 3/4-5/4", "DMY", date(2027, 4, 3), date(2027, 4, 5)),
])
def test_a_range_reads_its_parts_in_the_order_one_of_them_proves(text: str, order: str, start: date, end: date) -> None:
    absence = parse_ooo(text, now=WED_2_DEC, tz=NY, date_order=order)  # type: ignore[arg-type]
    assert absence is not None and (absence.start_date, absence.end_date) == (start, end)


@pytest.mark.parametrize(("text", "order", "other"), [
    ("off 3/4-5/4", "MDY", (date(2027, 4, 3), date(2027, 4, 5))),
    ("off 3/4-5/4", "DMY", (date(2027, 3, 4), date(2027, 5, 4))),
    ("off 24/12-2/1", "MDY", None),  # proven: nothing to mention
    ("off 5/5", "MDY", None),  # the same either way
    ("off next week", "MDY", None),
])
def test_the_other_reading_of_an_ambiguous_range_is_there_to_be_said(text: str, order: str,
                                                                    other: tuple[date, date] | None) -> None:
    assert absence_words.other_order_reading(text, now=WED_2_DEC, tz=NY, date_order=order) == other  # type: ignore[arg-type]


def test_dates_in_a_task_follow_the_order_one_of_them_proves() -> None:
    (task,) = parse_tasks("Send the invoice between 24/12 and 2/1", now=WED_2_DEC, tz=NY)
    assert task.due_date == date(2027, 1, 2)  # the last date said; 2/1 is 2 January here, not 1 February


# ---------------------------------------------------------------- 8. wording: "-ing" work, lunch, other languages' "remind me"

@pytest.mark.parametrize(("text", "titles"), [
    ("Today I'm reviewing the rate limiter PR and writing the release notes",
     ["review the rate limiter PR", "write the release notes"]),
    ("I'm testing the login flow and shipping the hotfix", ["test the login flow", "ship the hotfix"]),
    ("Reviewing T-3's copy and tidying the backlog", ["Review T-3's copy", "tidy the backlog"]),
    # names that only start like it stay whole
    ("Finishing touches on the deck", ["Finishing touches on the deck"]),
    ("Testing framework migration", ["Testing framework migration"]),
    ("Reading and writing skills workshop", ["Reading and writing skills workshop"]),
])
def test_work_said_in_ing_is_an_instruction(text: str, titles: list[str]) -> None:
    assert [t.title for t in parse_tasks(text, now=WED_2_DEC, tz=NY)] == titles


@pytest.mark.parametrize(("text", "at", "fires"), [
    ("remind me after lunch to call the bank", "10:00", datetime(2026, 12, 2, 13, 0)),
    ("remind me to call the bank after lunch", "14:00", datetime(2026, 12, 3, 13, 0)),  # lunch is over: tomorrow's
    ("remind me tomorrow after lunch to call the bank", "10:00", datetime(2026, 12, 3, 13, 0)),
    ("remind me before lunch to order the sandwiches", "10:00", datetime(2026, 12, 2, 11, 30)),
    ("remind me at lunchtime to take a walk", "10:00", datetime(2026, 12, 2, 12, 0)),
])
def test_lunch_said_as_a_time(text: str, at: str, fires: datetime) -> None:
    hour, minute = map(int, at.split(":"))
    reminder = parse_reminder(text, now=WED_2_DEC.replace(hour=hour, minute=minute), tz=NY)
    assert reminder is not None and reminder.fire_at.replace(tzinfo=None) == fires
    assert "lunch" not in reminder.what


def test_lunch_in_a_title_is_not_a_time() -> None:
    (task,) = parse_tasks("Book lunch with Acme", now=WED_2_DEC, tz=NY)
    assert task.title == "Book lunch with Acme" and task.due_at is None


@pytest.mark.parametrize(("text", "tz", "what"), [
    ("rappelle-moi demain d'appeler la banque", "Europe/Paris", "appeler la banque"),
    ("Rappelle-moi lundi prochain à midi d'appeler la banque", "Europe/Paris", "appeler la banque"),
    ("erinnere mich morgen daran, die Bank anzurufen", "Europe/Berlin", "die Bank anzurufen"),
    ("recuérdame mañana llamar al banco", "Europe/Madrid", "llamar al banco"),
    ("ricordami domani di chiamare la banca", "Europe/Rome", "chiamare la banca"),
    ("lembra-me amanhã de ligar para o banco", "Europe/Lisbon", "ligar para o banco"),
])
def test_remind_me_in_other_languages_is_not_part_of_the_reminder(text: str, tz: str, what: str) -> None:
    from bot.parsing.reminders import starts_with_trigger

    assert starts_with_trigger(text)
    reminder = parse_reminder(text, now=WED_2_DEC, tz=tz, date_order="DMY")
    assert reminder is not None and reminder.what == what
