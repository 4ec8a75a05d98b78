"""The periods reports cover and when each report is due (issue 15). Pure functions of dates, a rhythm and ``now``.

  * daily: one team date; weekly: Monday to Sunday; monthly: the 1st to the last day of a month. All dates are
    the team's (its timezone, :class:`bot.services.calendar.Rhythm`).
  * ``daily-report`` is due :data:`DAILY_AFTER` past the end of the day (its close, bot/services/standup_close.py,
    runs at each person's midnight); ``weekly-report`` on the organization's report day (ISO weekday, default
    Monday) at its report time (default its morning time) after the week; ``monthly-report`` on the first
    workday of the next month at the morning time.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.errors import InvalidInput
from bot.services import calendar

Kind = Literal["daily", "weekly", "monthly"]
KINDS: tuple[Kind, ...] = ("daily", "weekly", "monthly")
DAILY_AFTER = timedelta(hours=1)
"""How long after the team's midnight a day's report is due: the day's close and the cards job that follows it
(every 15 minutes) have run by then."""


@dataclass(frozen=True)
class Period:
    """A report's period: ``kind`` and its first and last team dates (inclusive)."""

    kind: Kind
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        """How people read it: "Tue 3 Mar 2026", "week of 2 Mar 2026", "March 2026"."""
        if self.kind == "daily":
            return f"{self.start:%a} {self.start.day} {self.start:%b %Y}"
        if self.kind == "weekly":
            return f"week of {self.start.day} {self.start:%b %Y}"
        return f"{self.start:%B %Y}"


def period_of(kind: Kind, day: date) -> Period:
    """The ``kind`` period containing ``day``. Raises InvalidInput for an unknown kind."""
    if kind == "daily":
        return Period(kind, day, day)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == "monthly":
        last = _cal.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    raise InvalidInput(f"A report is daily, weekly or monthly, not {kind!r}.")


def last_complete(kind: Kind, today: date) -> Period:
    """The latest ``kind`` period that ended before ``today`` (the team's date): yesterday, last week, last month."""
    return period_of(kind, period_of(kind, today).start - timedelta(days=1))


def due_at(period: Period, rhythm: calendar.Rhythm, *, report_day: int = 1, report_time: time | None = None) -> datetime:
    """When the scheduled report of ``period`` is due (aware, UTC-comparable), on the team's clock (module doc).
    ``report_day``: ISO weekday of the weekly report (1 = Monday); ``report_time``: its wall time (None: the
    morning time)."""
    tz = rhythm.timezone
    after = period.end + timedelta(days=1)
    if period.kind == "daily":
        return calendar.end_of_local_day(period.end, tz) + DAILY_AFTER
    if period.kind == "weekly":
        day = after + timedelta(days=(report_day - after.isoweekday()) % 7)
        return calendar.at_local(day, report_time or rhythm.morning_time, tz)
    first = calendar.next_workday(after, rhythm, include=True) or after
    return calendar.at_local(first, rhythm.morning_time, tz)


def due_period(kind: Kind, rhythm: calendar.Rhythm, now: datetime, *, report_day: int = 1,
               report_time: time | None = None) -> Period | None:
    """The period whose scheduled ``kind`` report is due at ``now`` (aware): the last complete one, once its due time
    has passed; a daily report only for a workday (nobody is asked on other days). None when nothing is due."""
    today = calendar.local_date(now, rhythm.timezone)
    period = last_complete(kind, today)
    if kind == "daily" and not calendar.is_workday(period.start, rhythm):
        return None
    if now < due_at(period, rhythm, report_day=report_day, report_time=report_time):
        return None
    return period
