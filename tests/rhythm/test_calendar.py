"""The people calendar (bot/services/calendar.py), pure: each case of issue 10 part 4 at the calendar's level,
absences and away intervals, reachability, the close after a held check-in, the manager summary's slot,
mood days, working time, and a year-long sweep across New York, London, Berlin and Kolkata in both modes
(DST changes: US 8 March and 1 November, EU 29 March and 25 October 2026; India none)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.services import calendar as cal
from bot.services.calendar import Absence, Away, Person, Rhythm

NY_TZ, LONDON_TZ, BERLIN_TZ, KOLKATA_TZ = "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata"
TEAM = Rhythm(timezone=NY_TZ, morning_time=time(9, 0), end_of_day_time=time(17, 30), nudge_delay_minutes=60,
              manager_summary_delay_minutes=120)
LOCAL = Rhythm(**{**TEAM.__dict__, "use_member_local_time": True})
NY, LONDON, BERLIN, KOLKATA = Person(NY_TZ), Person(LONDON_TZ), Person(BERLIN_TZ), Person(KOLKATA_TZ)
TUESDAY, FRIDAY = date(2026, 3, 3), date(2026, 3, 6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wall(at: datetime, tz: str) -> tuple[date, time]:
    local = at.astimezone(cal.zone(tz))
    return local.date(), local.time()


# ---------------------------------------------------------------- the cases of the issue

def test_local_time_friday_thread_is_kolkatas_monday_and_nobody_is_nudged_on_saturday() -> None:
    day = cal.day_for(LOCAL, KOLKATA, FRIDAY, utc(2026, 3, 6, 14, 0))  # 19:30 Friday in Kolkata
    assert day.day == date(2026, 3, 9) and day.expected
    nudge = cal.nudge_time(LOCAL, KOLKATA, day)
    assert nudge is not None and wall(nudge, KOLKATA_TZ) == (date(2026, 3, 9), time(10, 0))
    assert wall(day.checkin_at, KOLKATA_TZ) == (date(2026, 3, 9), time(17, 30))
    # Monday's thread (19:30 Monday in Kolkata) is her Tuesday: no two threads share her day.
    assert cal.day_for(LOCAL, KOLKATA, date(2026, 3, 9), utc(2026, 3, 9, 13, 0)).day == date(2026, 3, 10)


def test_team_time_london_and_berlin_are_asked_before_their_quiet_hours_kolkata_after() -> None:
    started = utc(2026, 3, 3, 14, 0)
    london = cal.day_for(TEAM, LONDON, TUESDAY, started)
    berlin = cal.day_for(TEAM, BERLIN, TUESDAY, started)
    kolkata = cal.day_for(TEAM, KOLKATA, TUESDAY, started)
    assert wall(london.checkin_at, LONDON_TZ) == (TUESDAY, time(19, 0))  # not 22:30, not skipped
    assert wall(berlin.checkin_at, BERLIN_TZ) == (TUESDAY, time(19, 0))
    assert kolkata.checkin_at == kolkata.end_of_day == utc(2026, 3, 3, 22, 30)  # 19:00 IST came before her nudge
    reach = cal.checkin_reaches(TEAM, KOLKATA, kolkata, kolkata.checkin_at)
    assert reach is not None and wall(reach, KOLKATA_TZ) == (date(2026, 3, 4), time(8, 0))
    # Her day stays open four hours after it reaches her, not the team's midnight (10:30 in Kolkata).
    assert wall(kolkata.close_after(reach), KOLKATA_TZ) == (date(2026, 3, 4), time(12, 0))
    assert cal.checkin_reaches(TEAM, LONDON, london, london.checkin_at) == london.checkin_at  # reaches him at once


def test_team_time_fridays_held_check_in_waits_for_kolkatas_monday_not_saturday() -> None:
    friday = cal.day_for(TEAM, KOLKATA, FRIDAY, utc(2026, 3, 6, 14, 0))
    reach = cal.checkin_reaches(TEAM, KOLKATA, friday, friday.checkin_at)
    assert reach is not None and wall(reach, KOLKATA_TZ) == (date(2026, 3, 9), time(8, 0))
    assert reach < friday.next_start  # before Monday's thread (09:00 EDT, 18:30 in Kolkata)


def test_a_late_planner_in_quiet_hours_is_held_to_her_morning_and_her_day_waits() -> None:
    berlin_team = Rhythm(**{**TEAM.__dict__, "timezone": BERLIN_TZ})
    day = cal.day_for(berlin_team, BERLIN, TUESDAY, utc(2026, 3, 3, 8, 0))
    planned = utc(2026, 3, 3, 19, 30)  # 20:30 in Berlin
    assert day.checkin_due(planned)
    reach = cal.checkin_reaches(berlin_team, BERLIN, day, planned)
    assert reach == utc(2026, 3, 4, 7, 0)  # 08:00 Berlin
    assert day.close_after(reach) == utc(2026, 3, 4, 11, 0) > day.close_at


def test_local_time_new_york_manager_summary_and_the_kolkata_report_in_the_next_one() -> None:
    tue, wed = utc(2026, 3, 3, 14, 0), utc(2026, 3, 4, 14, 0)
    manager = [cal.day_for(LOCAL, NY, TUESDAY, tue), cal.day_for(LOCAL, NY, date(2026, 3, 4), wed)]
    diego = cal.day_for(LOCAL, NY, TUESDAY, tue)
    priya = cal.day_for(LOCAL, KOLKATA, TUESDAY, tue)
    s_tue = cal.summary_at(manager[0], [diego.summary_at, priya.summary_at])
    s_wed = cal.summary_at(manager[1], [])
    assert s_tue == utc(2026, 3, 3, 16, 0)  # 11:00 in New York: the window is no longer empty
    times = [(TUESDAY, s_tue), (date(2026, 3, 4), s_wed)]
    assert cal.summary_slot(times, TUESDAY, diego.summary_at) == TUESDAY
    assert cal.summary_slot(times, TUESDAY, priya.summary_at) == date(2026, 3, 4)  # named once, the next day
    assert cal.summary_slot(times[:1], TUESDAY, priya.summary_at) is None


def test_a_london_manager_waits_for_a_new_york_report_within_her_day() -> None:
    london_team = Rhythm(**{**LOCAL.__dict__, "timezone": LONDON_TZ})
    started = utc(2026, 3, 3, 9, 0)  # 09:00 London, 04:00 New York
    manager = cal.day_for(london_team, LONDON, TUESDAY, started)
    report = cal.day_for(london_team, NY, TUESDAY, started)
    assert report.summary_at == utc(2026, 3, 3, 16, 0)  # 11:00 New York, 16:00 London
    assert cal.summary_at(manager, [report.summary_at]) == utc(2026, 3, 3, 16, 0)
    assert cal.summary_at(manager, [report.summary_at + timedelta(hours=2)]) == manager.summary_at  # past her end of day


# ---------------------------------------------------------------- absences, away, reachability

def test_absences_are_the_persons_own_dates() -> None:
    monday_off = Person(KOLKATA_TZ, absences=(Absence(date(2026, 3, 9), date(2026, 3, 9), "vacation"),))
    friday = cal.day_for(LOCAL, monday_off, FRIDAY, utc(2026, 3, 6, 14, 0))
    assert not friday.expected and friday.absence is not None and friday.absence.reason == "vacation"
    assert cal.nudge_time(LOCAL, monday_off, friday) is None
    assert cal.checkin_reaches(LOCAL, monday_off, friday, friday.checkin_at) is None
    assert cal.day_for(LOCAL, monday_off, date(2026, 3, 9), utc(2026, 3, 9, 13, 0)).expected  # her Tuesday
    # With the team's clock the thread's own date is hers.
    assert cal.day_for(TEAM, monday_off, FRIDAY, utc(2026, 3, 6, 14, 0)).expected


def test_public_holidays_and_status_plug_in_as_absences_and_away() -> None:
    holiday = Absence(TUESDAY, TUESDAY, "Holi", "holiday")
    assert not cal.day_for(TEAM, Person(KOLKATA_TZ, absences=(holiday,)), TUESDAY).expected
    # "In a meeting" until 10:30: the nudge waits; she is still expected.
    meeting = Person(NY_TZ, away=(Away(utc(2026, 3, 3, 14, 30), utc(2026, 3, 3, 15, 30), "in a meeting"),))
    day = cal.day_for(TEAM, meeting, TUESDAY, utc(2026, 3, 3, 14, 0))
    assert day.expected and cal.nudge_time(TEAM, meeting, day) == utc(2026, 3, 3, 15, 30)
    # Away all day (a vacation status until Wednesday): not expected.
    vacation = Person(NY_TZ, away=(Away(utc(2026, 3, 2, 22, 0), utc(2026, 3, 4, 5, 0), "vacation"),))
    assert not cal.day_for(TEAM, vacation, TUESDAY, utc(2026, 3, 3, 14, 0)).expected
    assert cal.reachable_from(TEAM, Person(NY_TZ, away=(Away(utc(2026, 3, 3), None),)), utc(2026, 3, 3, 15)) is None


@pytest.mark.parametrize(("at", "expected"), [
    (utc(2026, 3, 3, 15, 0), utc(2026, 3, 3, 15, 0)),  # Tuesday 10:00 New York
    (utc(2026, 3, 4, 2, 0), utc(2026, 3, 4, 13, 0)),  # 21:00: quiet until 08:00
    (utc(2026, 3, 6, 23, 0), utc(2026, 3, 6, 23, 0)),  # Friday 18:00
    (utc(2026, 3, 7, 2, 0), utc(2026, 3, 9, 12, 0)),  # Friday 21:00: quiet, the weekend, Monday 08:00 EDT
    (utc(2026, 3, 7, 15, 0), utc(2026, 3, 9, 12, 0)),  # Saturday
    (utc(2026, 12, 25, 2, 0), utc(2026, 12, 28, 13, 0)),  # 24th 21:00: a holiday (25th), the weekend, 08:00 EST
])
def test_reachable_from(at: datetime, expected: datetime) -> None:
    rhythm = Rhythm(**{**TEAM.__dict__, "holidays": frozenset({date(2026, 12, 25)})})
    assert cal.reachable_from(rhythm, NY, at) == expected


def test_no_quiet_hours_and_quiet_spans_across_dst() -> None:
    none = Rhythm(**{**TEAM.__dict__, "quiet_hours_start": None, "quiet_hours_end": None})
    assert cal.reachable_from(none, NY, utc(2026, 3, 4, 6, 0)) == utc(2026, 3, 4, 6, 0)  # 01:00 New York
    began, ends = cal.quiet_span(utc(2026, 3, 8, 6, 0), NY_TZ) or (None, None)  # the night of the spring change
    assert began == utc(2026, 3, 8, 1, 0) and ends == utc(2026, 3, 8, 12, 0)  # 20:00 EST to 08:00 EDT: 11 hours
    assert cal.quiet_span(utc(2026, 3, 4, 15, 0), NY_TZ) is None


# ---------------------------------------------------------------- mood, working time

def test_mood_day_follows_the_clock_and_quiet_hours() -> None:
    on = Rhythm(**{**TEAM.__dict__, "mood_checkin_enabled": True, "mood_checkin_time": time(16, 30)})
    # 16:30 in New York is 21:30 in London: he is asked at 19:00 London.
    assert cal.mood_day(on, LONDON, utc(2026, 3, 3, 18, 59)) is None
    assert cal.mood_day(on, LONDON, utc(2026, 3, 3, 19, 0)) == TUESDAY
    # Kolkata on the team's clock: 03:00 there, no reachable moment before the day ends: not asked.
    assert all(cal.mood_day(on, KOLKATA, utc(2026, 3, 3, h, 0)) is None for h in range(14, 24))
    local = Rhythm(**{**on.__dict__, "use_member_local_time": True})
    assert cal.mood_day(local, KOLKATA, utc(2026, 3, 3, 11, 0)) == TUESDAY  # 16:30 in Kolkata
    assert cal.mood_day(local, KOLKATA, utc(2026, 3, 7, 11, 0)) is None  # Saturday


def test_working_time_across_a_weekend_dst_and_leave() -> None:
    # Friday 15:00 to Tuesday 10:00 in New York: 2.5 h + 8.5 h (Monday, after the change) + 1 h.
    assert cal.working_time(TEAM, NY, utc(2026, 3, 6, 20, 0), utc(2026, 3, 10, 14, 0)) == timedelta(hours=12)
    on_leave = Person(NY_TZ, absences=(Absence(date(2026, 3, 9), date(2026, 3, 9)),))
    assert cal.working_time(TEAM, on_leave, utc(2026, 3, 6, 20, 0), utc(2026, 3, 10, 14, 0)) == timedelta(hours=3.5)
    meetings = Person(NY_TZ, away=(Away(utc(2026, 3, 10, 13, 0), utc(2026, 3, 10, 13, 30)),
                                   Away(utc(2026, 3, 10, 13, 15), utc(2026, 3, 10, 13, 45))))
    assert cal.working_time(TEAM, meetings, utc(2026, 3, 10, 13, 0), utc(2026, 3, 10, 15, 0)) == timedelta(hours=1.25)
    assert cal.working_time(TEAM, NY, utc(2026, 3, 10, 15, 0), utc(2026, 3, 10, 14, 0)) == timedelta(0)
    # With local time on, Kolkata's working hours are hers.
    assert cal.working_time(LOCAL, KOLKATA, utc(2026, 3, 3, 0, 0), utc(2026, 3, 4, 0, 0)) == timedelta(hours=8.5)


def test_far_west_of_the_team_a_thread_is_never_before_its_date() -> None:
    auckland = Rhythm(**{**LOCAL.__dict__, "timezone": "Pacific/Auckland"})
    # Tuesday 09:00 in Auckland is Monday 15:00 in New York: her day for it is Tuesday, not Monday.
    tue = cal.day_for(auckland, NY, TUESDAY, cal.morning_at(TUESDAY, auckland))
    mon = cal.day_for(auckland, NY, date(2026, 3, 2), cal.morning_at(date(2026, 3, 2), auckland))
    assert (mon.day, tue.day) == (date(2026, 3, 2), TUESDAY)


# ---------------------------------------------------------------- a year, four zones, both modes

ZONES = {"ny": NY, "london": LONDON, "berlin": BERLIN, "kolkata": KOLKATA}
YEAR = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
HOLIDAYS = frozenset({date(2026, 1, 1), date(2026, 5, 25), date(2026, 7, 3), date(2026, 11, 26), date(2026, 12, 25)})


@pytest.mark.parametrize("team_tz", [NY_TZ, BERLIN_TZ, KOLKATA_TZ])
@pytest.mark.parametrize("local", [False, True], ids=["team-time", "local-time"])
def test_a_year_of_days_across_zones(team_tz: str, local: bool) -> None:
    rhythm = Rhythm(**{**TEAM.__dict__, "timezone": team_tz, "use_member_local_time": local, "holidays": HOLIDAYS})
    threads = [d for d in YEAR if cal.is_workday(d, rhythm)]
    assert len(threads) == 261 - len([h for h in HOLIDAYS if h.isoweekday() <= 5])
    for name, person in ZONES.items():
        own = cal.own_zone(rhythm, person)
        clock = cal.clock_zone(rhythm, person)
        previous = None
        for thread_date in threads:
            started = cal.morning_at(thread_date, rhythm)
            day = cal.day_for(rhythm, person, thread_date, started)
            where = f"{name} {thread_date}"
            # One personal day per thread, on a workday, never before the thread, in thread order.
            assert cal.is_workday(day.day, rhythm) and day.day >= thread_date, where
            assert previous is None or day.day > previous, where
            previous = day.day
            # Wall times hold across every DST change.
            assert wall(day.start, clock)[0] == day.day, where
            assert wall(day.start, clock)[1] in (time(9, 0), wall(started, clock)[1]), where
            assert wall(day.close_at, clock) == (day.day + timedelta(days=1), time(0, 0)), where
            assert wall(day.end_of_day, clock) == (day.day, time(17, 30)) or day.end_of_day == day.start, where
            assert day.start < day.nudge_at < day.summary_at and day.nudge_at <= day.checkin_at <= day.end_of_day < day.close_at, where
            # A nudge only when they can be reached: outside quiet hours, on a workday of theirs, before the check-in.
            nudge = cal.nudge_time(rhythm, person, day)
            if nudge is not None:
                assert cal.quiet_span(nudge, own) is None and cal.is_workday(wall(nudge, own)[0], rhythm), where
                assert day.nudge_at <= nudge < day.checkin_at, where
            # A check-in is held at most until their next morning, on a workday, outside quiet hours; the day waits.
            reach = cal.checkin_reaches(rhythm, person, day, day.checkin_at)
            if reach is not None:
                assert cal.quiet_span(reach, own) is None and cal.is_workday(wall(reach, own)[0], rhythm), where
                assert day.checkin_at <= reach < day.next_start, where
                assert day.close_after(reach) >= reach + cal.CHECKIN_ANSWER_WINDOW, where
            if local or own == clock:
                assert nudge is not None and reach == day.checkin_at, where  # on their own clock nothing is held
    # Every report is named in exactly one of a manager's summaries (the last days' slots come later).
    for manager in ZONES.values():
        days = {d: cal.day_for(rhythm, manager, d, cal.morning_at(d, rhythm)) for d in threads}
        for report in ZONES.values():
            times = []
            for d in threads:
                due = cal.day_for(rhythm, report, d, cal.morning_at(d, rhythm)).summary_at
                times.append((d, cal.summary_at(days[d], [due])))
            for d in threads[:-3]:
                due = cal.day_for(rhythm, report, d, cal.morning_at(d, rhythm)).summary_at
                slot = cal.summary_slot(times, d, due)
                assert slot is not None and slot >= d and slot <= cal.next_workday(d, rhythm), (d, slot)
