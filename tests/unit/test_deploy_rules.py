"""The deploy reminders' pure rules (bot/services/deploys.py): the schedule in words, the next occurrence across DST,
the working-hours rule for reminders, leave, and compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services import calendar, deploys
from db.rows import User

NY = ZoneInfo("America/New_York")
RHYTHM = calendar.Rhythm(timezone="America/New_York", morning_time=time(9, 0), end_of_day_time=time(17, 30),
                         holidays=frozenset({date(2026, 3, 9)}))


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def test_words_and_which_part_is_wrong() -> None:
    got = deploys.parse_when("every Thursday 15:00 checklist Pre-deploy", "America/New_York")
    assert got.recurrence.to_json() == {"freq": "weekly", "byweekday": [3], "time": "15:00"}
    assert got.checklist_name == "Pre-deploy"
    assert deploys.parse_when("2026-03-12 09:30 Europe/London", "UTC").recurrence.timezone == "Europe/London"
    for words, part in [("every funday 15:00", "`funday` isn't a weekday"), ("every friday 9pm-ish", "`9pm-ish` isn't a time"),
                        ("2026-13-01 15:00", "`2026-13-01` isn't a date"), ("soon 15:00", "`soon` isn't"),
                        ("every friday 15:00 checklist", "needs the checklist's name"),
                        ("every friday 15:00 Europe/London extra", "I didn't understand `extra`")]:
        with pytest.raises(deploys.ScheduleError, match=part):
            deploys.parse_when(words, "UTC")


def test_deploy_times_and_dates_as_checklists_read_them() -> None:
    """tester16 F15: `4pm`, `4 pm`, `16.00`, `at 4pm`, `noon`; `today` / `tomorrow` in the schedule's zone at now; a
    bare hour is never guessed."""
    for words in ("every fri 4pm", "every friday at 4 pm", "every friday 16.00", "every friday at 16:00"):
        assert deploys.parse_when(words, "UTC").recurrence.at == time(16, 0), words
    assert deploys.parse_when("every friday noon", "UTC").recurrence.at == time(12, 0)
    late_friday = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)  # Friday 13 March 22:00 in New York, Saturday in London
    assert deploys.parse_when("today 23:00", "America/New_York", late_friday).recurrence.on == date(2026, 3, 13)
    assert deploys.parse_when("tomorrow 9am Europe/London", "America/New_York", late_friday).recurrence.on == date(2026, 3, 15)
    for words, part in [("every friday 3", "`3` could be morning or afternoon"), ("tomorrow 15:00", "`tomorrow` isn't")]:
        with pytest.raises(deploys.ScheduleError, match=part):
            deploys.parse_when(words, "UTC")  # without now, `tomorrow` has no date


def test_next_occurrence_keeps_the_wall_time_across_dst() -> None:
    weekly = deploys.Recurrence(time(15, 0), "America/New_York", weekday=3)
    assert weekly.next_after(ny(3, 5, 15, 0)) == datetime(2026, 3, 12, 19, 0, tzinfo=UTC)  # EDT from 8 March
    assert weekly.next_after(datetime(2026, 3, 5, 19, 59, tzinfo=UTC)) == datetime(2026, 3, 5, 20, 0, tzinfo=UTC)
    once = deploys.Recurrence(time(15, 0), "America/New_York", on=date(2026, 3, 12))
    assert once.next_after(ny(3, 12, 15, 0)) is None


def test_reminders_land_in_working_hours_and_each_once() -> None:
    person = calendar.Person("America/New_York")
    thursday = ny(3, 12, 15)
    assert deploys.reminder_due(RHYTHM, person, thursday, ny(3, 11, 14, 59)) is None
    assert deploys.reminder_due(RHYTHM, person, thursday, ny(3, 11, 15)) == timedelta(hours=24)
    assert deploys.reminder_due(RHYTHM, person, thursday, ny(3, 12, 14)) == timedelta(hours=1)
    assert deploys.reminder_due(RHYTHM, person, thursday, thursday) is None
    # Tuesday 10 March 08:30: -24 h is Monday 08:30, a holiday: the last working moment before is Friday 17:30; -1 h is
    # 07:30 on Tuesday, before the day starts: also Friday 17:30, so it is not sent again.
    tuesday = ny(3, 10, 8, 30)
    assert deploys.last_working_moment(RHYTHM, person, tuesday - timedelta(hours=24)) == ny(3, 6, 17, 30)
    assert deploys.reminder_due(RHYTHM, person, tuesday, ny(3, 6, 17, 29)) is None
    assert deploys.reminder_due(RHYTHM, person, tuesday, ny(3, 6, 17, 30)) == timedelta(hours=24)
    # An evening deploy (19:00): -1 h is 18:00, after the day ends: sent at 17:30 the same day.
    assert deploys.last_working_moment(RHYTHM, person, ny(3, 12, 18)) == ny(3, 12, 17, 30)


def test_leave_on_the_deploy_date() -> None:
    away = calendar.Person("America/New_York", absences=(calendar.Absence(date(2026, 3, 12), date(2026, 3, 12)),))
    assert deploys.on_leave(RHYTHM, away, ny(3, 12, 15))
    assert not deploys.on_leave(RHYTHM, away, ny(3, 13, 15))


def _user(uid: int, name: str) -> User:
    return User(uid, 1, f"U{uid}", name.lower(), name, None, "member", None, "UTC", True, datetime(2026, 1, 1, tzinfo=UTC))


def test_compliance_names_the_missing_items_and_their_owner() -> None:
    items = [{"key": "1", "text": "Run the tests"}, {"key": "2", "text": "Back up"}, {"key": "3", "text": "Tag"}]
    done = deploys.compliance(items, [_user(1, "Diego"), _user(2, "Nina")], {1: ["1", "2", "3"], 2: ["1"]})
    assert not done.compliant and done.notes == "Missing: Nina: Back up; Tag"
    assert deploys.compliance(items, [_user(1, "Diego")], {1: ["3", "2", "1"]}).compliant


# tester16 F1/F2: the organization's clock is New York (local time off), the member lives in Berlin; quiet hours
# (20:00-08:00) are on their own clock. A Thursday 15:00 New York deploy is 21:00 in Berlin.
BERLIN = ZoneInfo("Europe/Berlin")


def test_reminders_never_fall_in_the_members_own_quiet_hours() -> None:
    rhythm = calendar.Rhythm(timezone="America/New_York", morning_time=time(9, 30), end_of_day_time=time(17, 30))
    lena = calendar.Person("Europe/Berlin")
    deploy = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # Thu 3 Dec 15:00 New York
    # -1 h is 14:00 New York (working) but 20:00 in Berlin (quiet): it goes at 19:59 Berlin.
    assert deploys.last_working_moment(rhythm, lena, deploy - timedelta(hours=1)) == datetime(2026, 12, 3, 19, 59, tzinfo=BERLIN)
    # -24 h is Wed 21:00 Berlin: Wed 19:59 Berlin.
    assert deploys.last_working_moment(rhythm, lena, deploy - timedelta(hours=24)) == datetime(2026, 12, 2, 19, 59, tzinfo=BERLIN)
    assert deploys.reminder_due(rhythm, lena, deploy, datetime(2026, 12, 3, 19, 58, tzinfo=BERLIN)) == timedelta(hours=24)
    assert deploys.reminder_due(rhythm, lena, deploy, datetime(2026, 12, 3, 19, 59, tzinfo=BERLIN)) == timedelta(hours=1)
    # Each chosen instant reaches her at once (nothing the notification path would hold).
    for lead in deploys.REMINDERS:
        at = deploys.last_working_moment(rhythm, lena, deploy - lead)
        assert calendar.reachable_from(rhythm, lena, at) == at
    # Someone in New York keeps the plain rule.
    assert deploys.last_working_moment(rhythm, calendar.Person("America/New_York"), deploy - timedelta(hours=1)) == \
        deploy - timedelta(hours=1)
    # A Slack status "away" over the reminder's instant: just before it began.
    away = calendar.Person("America/New_York", away=(calendar.Away(datetime(2026, 12, 3, 18, 30, tzinfo=UTC), None),))
    assert deploys.last_working_moment(rhythm, away, deploy - timedelta(hours=1)) == datetime(2026, 12, 3, 18, 29, tzinfo=UTC)


def test_reminder_words_give_the_deploy_time_and_the_members_own() -> None:
    deploy = deploys.Deploy(1, 1, "Acme Corp", deploys.Recurrence(time(15, 0), "America/New_York", weekday=3),
                            datetime(2026, 12, 3, 20, 0, tzinfo=UTC), None, None, None)
    words = deploys.reminder_text(deploy, "Europe/Berlin", datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
    assert words == ("Deploy reminder: the Acme Corp deploy is tomorrow, Thu 03 Dec at 15:00 (America/New_York), "
                     "21:00 your time (Europe/Berlin).")
    assert "is in" not in words
    assert deploys.reminder_text(deploy, "America/New_York", datetime(2026, 12, 3, 19, 0, tzinfo=UTC)) == \
        "Deploy reminder: the Acme Corp deploy is today, Thu 03 Dec at 15:00 (America/New_York)."
    tokyo = deploys.reminder_text(deploy, "Asia/Tokyo", datetime(2026, 12, 3, 10, 59, tzinfo=UTC))  # her Thu 19:59
    assert tokyo == ("Deploy reminder: the Acme Corp deploy is tomorrow, Thu 03 Dec at 15:00 (America/New_York), "
                     "Fri 05:00 your time (Asia/Tokyo).")


def test_reminder_words_are_true_when_the_reminder_arrives() -> None:
    """tester16b N5: no "24 hours ahead" / "1 hour ahead" on a reminder moved or held: a Friday 07:00 New York deploy's
    reminder held to 08:00 London (the deploy is 12:00 there) says "today"; a Monday deploy's reminder sent on Friday
    says neither "today" nor "tomorrow"."""
    friday = deploys.Deploy(1, 1, "Acme Corp", deploys.Recurrence(time(7, 0), "America/New_York", weekday=4),
                            datetime(2026, 12, 4, 12, 0, tzinfo=UTC), None, None, None)
    held = deploys.reminder_text(friday, "Europe/London", datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    assert held == ("Deploy reminder: the Acme Corp deploy is today, Fri 04 Dec at 07:00 (America/New_York), "
                    "12:00 your time (Europe/London).")
    assert "ahead" not in held and "hour" not in held
    monday = deploys.Deploy(1, 1, "Acme Corp", deploys.Recurrence(time(10, 0), "America/New_York", weekday=0),
                            datetime(2026, 12, 28, 15, 0, tzinfo=UTC), None, None, None)
    early = deploys.reminder_text(monday, "America/New_York", datetime(2026, 12, 25, 22, 0, tzinfo=UTC))
    assert early == "Deploy reminder: the Acme Corp deploy is Mon 28 Dec at 10:00 (America/New_York)."


def test_nobody_doing_the_checklist_is_never_compliant() -> None:
    """tester16 F6/F7: no expected member (all out, none assigned) is not "all done"; a member never sent the
    checklist is named as such, not blamed for its items."""
    items = [{"key": "1", "text": "Run the tests"}, {"key": "2", "text": "Back up"}]
    nobody = deploys.compliance(items, [], {}, nobody="every assigned member was out")
    assert not nobody.compliant and nobody.notes == "Not done: nobody did the checklist (every assigned member was out)."
    assert deploys.told_lines(nobody) == "\u2022 Not done: nobody did the checklist (every assigned member was out)."
    diego, nina = _user(1, "Diego"), _user(2, "Nina")
    result = deploys.compliance(items, [diego, nina], {1: ["1"]})
    assert not result.compliant
    assert result.notes == "Missing: Diego: Back up. Never sent the checklist: Nina."
    assert [s["sent"] for s in result.steps_done] == [True, False]
    assert deploys.told_lines(result) == ("\u2022 <@U1>: Back up\n"
                                          "\u2022 <@U2>: never got the checklist (it could not reach them in time, or the "
                                          "job did not run)")
    assert not deploys.compliance(items, [diego], {}).compliant  # sent to nobody


def test_a_new_schedules_answer_says_which_reminders_are_still_ahead() -> None:
    """tester16 #15: a deploy 55 minutes away does not promise a 24-hour reminder."""
    assert deploys.reminders_said(timedelta(minutes=55)).startswith("It's less than an hour away")
    assert deploys.reminders_said(timedelta(hours=5)).startswith("It's less than a day away")
    assert deploys.reminders_said(timedelta(days=3)) == "Its members get reminders 24 hours and 1 hour before."


def test_everyone_out_on_their_public_holiday_is_called_a_holiday() -> None:
    """tester16 #15: the warning for a deploy on a US public holiday says so, not "every member out"."""
    from bot.services.absences import SOURCE_HOLIDAY

    day = date(2026, 12, 25)
    xmas = calendar.Person("America/New_York", absences=(calendar.Absence(day, day, "Christmas Day", SOURCE_HOLIDAY),))
    leave = calendar.Person("America/New_York", absences=(calendar.Absence(day, day),))
    at = datetime(2026, 12, 25, 20, 0, tzinfo=UTC)
    one, two = _user(1, "Diego"), _user(2, "Nina")
    assert deploys._all_public_holiday(RHYTHM, [one, two], {1: xmas, 2: xmas}, at)
    assert not deploys._all_public_holiday(RHYTHM, [one, two], {1: xmas, 2: leave}, at)
    assert not deploys._all_public_holiday(RHYTHM, [], {}, at)
