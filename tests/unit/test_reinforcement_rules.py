"""The rules of automatic recognition (issue 14), pure: a streak counts only days the person was asked, a day not
asked (a holiday, leave, a day with no thread) neither counts nor breaks it, an asked day without an update breaks
it, an open day is not read yet; the highest threshold reached is the one told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services.attendance import DayRecord
from bot.services.reinforcement import Streak, streak_of, task_milestone

MONDAY = date(2026, 3, 2)


def record(day: date, *, asked: bool = True, updated: bool = True) -> DayRecord:
    closes = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=5)
    return DayRecord(day=day, asked=asked, working=asked, ramp_up=False, updated=updated and asked, permalink=None,
                     person_day=day, closes_at=closes)


def days(*offsets: int) -> tuple[date, ...]:
    return tuple(MONDAY + timedelta(days=n) for n in offsets)


AFTER_ALL = datetime(2026, 4, 1, tzinfo=UTC)


def test_a_holiday_in_the_middle_neither_counts_nor_breaks_a_streak() -> None:
    week = [record(MONDAY), record(MONDAY + timedelta(days=1)), record(MONDAY + timedelta(days=2), asked=False),
            record(MONDAY + timedelta(days=3)), record(MONDAY + timedelta(days=4))]
    streak = streak_of(week, AFTER_ALL)
    assert streak.days == days(0, 1, 3, 4) and not streak.complete  # it may have begun before these records
    assert streak_of(week, AFTER_ALL, asked_from=MONDAY).complete  # nobody was asked before them
    assert streak.reached() is None  # four asked days: not five
    monday_after = record(MONDAY + timedelta(days=7))
    assert Streak(streak_of([record(MONDAY - timedelta(days=3), updated=False), *week, monday_after], AFTER_ALL).days,
                  True).reached() == (5, MONDAY + timedelta(days=7))


def test_an_asked_day_without_an_update_breaks_it() -> None:
    records = [record(MONDAY + timedelta(days=n), updated=n != 2) for n in range(7)]
    streak = streak_of(records, AFTER_ALL)
    assert streak.complete and streak.days == days(3, 4, 5, 6)


def test_a_day_not_closed_yet_is_not_read() -> None:
    records = [record(MONDAY + timedelta(days=n), updated=n != 5) for n in range(6)]
    before_the_last_close = records[-1].closes_at - timedelta(minutes=1)
    assert streak_of(records, before_the_last_close).days == days(0, 1, 2, 3, 4)
    assert streak_of(records, records[-1].closes_at).days == ()


def test_a_streak_running_past_the_records_is_not_told() -> None:
    records = [record(MONDAY + timedelta(days=n)) for n in range(12)]
    assert streak_of(records, AFTER_ALL, asked_from=MONDAY - timedelta(days=30)).reached() is not None
    assert not streak_of(records, AFTER_ALL, asked_from=MONDAY - timedelta(days=30)).complete
    assert streak_of([record(MONDAY - timedelta(days=9), asked=False), *records], AFTER_ALL,
                     asked_from=MONDAY).complete


def test_the_highest_threshold_is_told() -> None:
    records = [record(MONDAY - timedelta(days=1), updated=False)] + [record(MONDAY + timedelta(days=n)) for n in range(12)]
    assert streak_of(records, AFTER_ALL).reached() == (10, MONDAY + timedelta(days=9))
    assert [task_milestone(n) for n in (0, 9, 10, 49, 50, 99, 100, 250)] == [None, None, 10, 10, 50, 50, 100, 100]
