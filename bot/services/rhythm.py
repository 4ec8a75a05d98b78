"""The daily rhythm's time rules (SPEC F4, F5, F8). Pure: ``now`` and timezones are parameters.

Vocabulary
  * The *thread date* D is a calendar date in the organization's timezone: the day of one
    morning thread. Workdays are ISO weekdays (1 = Monday); holidays are dates in that timezone.
  * A wall-clock time on a date becomes an instant through :func:`at_local`. Across a DST change
    the same wall time maps to a different UTC instant (09:00 in New York is 14:00 UTC in winter
    and 13:00 UTC in summer). A wall time that does not exist (the spring-forward gap, e.g. 02:30
    on 2026-03-08 in New York) moves forward by the gap (03:30); one that happens twice (the
    fall-back hour) is its first occurrence.
  * Each person has a *personal day* for a thread: with the organization's clock (the default)
    it is D in the organization's timezone. With ``use_member_local_time`` it is the person's own
    date on which the thread appeared, or the next one when the thread appeared after their end of
    day (someone far east of the organization works on it the next morning). Nudges, the end-of-day
    check-in and the day's close then happen on the person's own clock on their personal day.
  * Windows (each instant inclusive at the start, exclusive at the end):
      thread       [morning, end of day) on a workday, organization clock;
      nudge        [max(start, personal morning) + nudge delay, personal end of day);
      summary      [max(start, personal morning) + summary delay, close);
      check-in     [personal end of day, close);
      close        from the personal midnight ending the personal day;
      mood         [mood time, midnight) on the person's workday (their clock with local time on).
    where *start* is when the thread was queued (a thread caught up late moves the day's times with it).
    Jobs tick every minute and act on everything whose window contains ``now``, so a missed
    minute (a restart, a deploy) is caught up on the next tick and never doubled: each action is
    recorded once (unique rows or notification dedupe keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = time(0, 0)


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_timezone(tz: str) -> bool:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in tz or tz == "UTC"


def local_date(now: datetime, tz: str) -> date:
    return now.astimezone(zone(tz)).date()


def at_local(day: date, wall: time, tz: str) -> datetime:
    """The instant (UTC) at which clocks in ``tz`` show ``wall`` on ``day`` (see the module notes)."""
    z = zone(tz)
    # fold=0: an ambiguous time is its first occurrence; a time in a gap is read with the
    # offset before the change, which lands it after the gap by the gap's length.
    return datetime.combine(day, wall, tzinfo=z).replace(fold=0).astimezone(UTC)


def end_of_local_day(day: date, tz: str) -> datetime:
    """The local midnight that ends ``day`` (a 23- or 25-hour day across DST is handled)."""
    return at_local(day + timedelta(days=1), MIDNIGHT, tz)


@dataclass(frozen=True)
class Rhythm:
    """An organization's rhythm settings (a typed view of its org_settings row)."""

    timezone: str = "UTC"
    standup_channel_id: str | None = None
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = field(default_factory=frozenset)
    morning_time: time = time(9, 30)
    use_member_local_time: bool = False
    nudge_delay_minutes: int = 60
    manager_summary_delay_minutes: int = 120
    end_of_day_time: time = time(17, 30)
    mood_checkin_enabled: bool = False
    mood_checkin_time: time = time(16, 30)

    @property
    def nudge_delay(self) -> timedelta:
        return timedelta(minutes=self.nudge_delay_minutes)

    @property
    def summary_delay(self) -> timedelta:
        return timedelta(minutes=self.manager_summary_delay_minutes)

    def person_tz(self, person_tz: str | None) -> str:
        """Whose clock a person's times follow: theirs with local time on, else the organization's."""
        if self.use_member_local_time and person_tz and valid_timezone(person_tz):
            return person_tz
        return self.timezone


def is_workday(day: date, rhythm: Rhythm) -> bool:
    return day.isoweekday() in rhythm.workdays and day not in rhythm.holidays


def next_workday(day: date, rhythm: Rhythm, *, include: bool = False) -> date | None:
    """The first workday after ``day`` (or from it, with include), within a year; None if there is none."""
    d = day if include else day + timedelta(days=1)
    for _ in range(370):
        if is_workday(d, rhythm):
            return d
        d += timedelta(days=1)
    return None


def morning_at(day: date, rhythm: Rhythm, tz: str | None = None) -> datetime:
    return at_local(day, rhythm.morning_time, tz or rhythm.timezone)


def end_of_day_at(day: date, rhythm: Rhythm, tz: str | None = None) -> datetime:
    """The end-of-day check-in time; never before the morning (a misconfigured end falls back to midnight)."""
    tz = tz or rhythm.timezone
    if rhythm.end_of_day_time <= rhythm.morning_time:
        return end_of_local_day(day, tz) - timedelta(minutes=1)
    return at_local(day, rhythm.end_of_day_time, tz)


def thread_due(now: datetime, rhythm: Rhythm) -> date | None:
    """The date whose morning thread should be up at ``now``, or None (weekend, holiday, outside the window)."""
    day = local_date(now, rhythm.timezone)
    if not is_workday(day, rhythm):
        return None
    if morning_at(day, rhythm) <= now < end_of_day_at(day, rhythm):
        return day
    return None


def next_thread_at(now: datetime, rhythm: Rhythm) -> datetime | None:
    """When the next morning thread is due (for "not due until …" answers)."""
    day = local_date(now, rhythm.timezone)
    if thread_due(now, rhythm) is not None:
        return morning_at(day, rhythm)
    candidate = day if now < morning_at(day, rhythm) else day + timedelta(days=1)
    nxt = next_workday(candidate, rhythm, include=True)
    return morning_at(nxt, rhythm) if nxt else None


@dataclass(frozen=True)
class PersonalDay:
    """When things happen for one person on one thread date."""

    thread_date: date
    day: date  # the person's own date they work on this thread
    tz: str
    nudge_at: datetime
    summary_at: datetime
    checkin_at: datetime
    close_at: datetime

    def nudge_due(self, now: datetime) -> bool:
        return self.nudge_at <= now < self.checkin_at

    def summary_due(self, now: datetime) -> bool:
        return self.summary_at <= now < self.close_at

    def checkin_due(self, now: datetime) -> bool:
        return self.checkin_at <= now < self.close_at

    def closed(self, now: datetime) -> bool:
        return now >= self.close_at

    def is_late(self, at: datetime) -> bool:
        """A reply after the nudge would have gone out is late."""
        return at > self.nudge_at


def personal_day(thread_date: date, started_at: datetime | None, rhythm: Rhythm, person_tz: str | None = None) -> PersonalDay:
    tz = rhythm.person_tz(person_tz)
    started = started_at or morning_at(thread_date, rhythm)
    if tz == rhythm.timezone:
        day = thread_date
    else:
        local = started.astimezone(zone(tz))
        day = local.date()
        if local.time() >= rhythm.end_of_day_time:
            day += timedelta(days=1)
    start = max(started, morning_at(day, rhythm, tz))
    checkin = max(end_of_day_at(day, rhythm, tz), started)
    close = end_of_local_day(day, tz)
    return PersonalDay(thread_date=thread_date, day=day, tz=tz, nudge_at=start + rhythm.nudge_delay,
                       summary_at=start + rhythm.summary_delay, checkin_at=checkin, close_at=close)


def mood_due(now: datetime, rhythm: Rhythm, person_tz: str | None = None) -> date | None:
    """The person's date whose mood check-in is due at ``now``, or None."""
    if not rhythm.mood_checkin_enabled:
        return None
    tz = rhythm.person_tz(person_tz)
    day = local_date(now, tz)
    if not is_workday(day, rhythm):
        return None
    if at_local(day, rhythm.mood_checkin_time, tz) <= now < end_of_local_day(day, tz):
        return day
    return None


# ---------------------------------------------------------------- day close

def close_status(task_status: str, answer: str | None) -> str:
    """What a planned task's day comes to: done, dropped, or carried forward (also when unanswered)."""
    if task_status == "done" or answer == "done":
        return "done"
    if task_status == "dropped" or answer == "dropped":
        return "dropped"
    return "carry_forward"


def carry_label(count: int) -> str:
    return "" if count <= 0 else f"carried {count}\u00d7"


CARRY_WARNING = 3  # carried this many times: it stands out


# ---------------------------------------------------------------- out of office

def covers(ranges: Iterable[tuple[date, date]], day: date) -> bool:
    return any(start <= day <= end for start, end in ranges)


# ---------------------------------------------------------------- mood

LOW_MOOD_SCORE = 2
LOW_MOOD_STREAK = 3
MIN_AGGREGATE_PEOPLE = 3


def low_mood_streak(scores_newest_first: list[tuple[date, int]]) -> list[date] | None:
    """The dates of the current run of low scores when it is at least LOW_MOOD_STREAK long, else None.

    Consecutive means consecutive check-ins (days without one do not break or extend a run)."""
    run: list[date] = []
    for day, score in scores_newest_first:
        if score > LOW_MOOD_SCORE:
            break
        run.append(day)
    return sorted(run) if len(run) >= LOW_MOOD_STREAK else None


def describe_days(workdays: Iterable[int]) -> str:
    days = sorted(set(workdays))
    if not days:
        return "no days"
    if days == [1, 2, 3, 4, 5]:
        return "Mon\u2013Fri"
    if days == list(range(1, 8)):
        return "every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [WEEKDAY_NAMES[r[0] - 1].title() + (f"\u2013{WEEKDAY_NAMES[r[-1] - 1].title()}" if len(r) > 2 else "")
             if len(r) != 2 else f"{WEEKDAY_NAMES[r[0] - 1].title()}, {WEEKDAY_NAMES[r[1] - 1].title()}" for r in runs]
    return ", ".join(names)
