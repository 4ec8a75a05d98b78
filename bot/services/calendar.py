"""The people calendar (SPEC section 6): every rule about *when* Steward expects something of someone.

Given an organization's :class:`Rhythm` and one :class:`Person` (their timezone and absences), it
answers for any date or instant: is it a workday, is the person expected, when are their morning,
nudge, check-in and close, when may Steward reach them (quiet hours, weekends, leave), when does their
manager's summary go, and how much working time lies between two instants. It is pure: ``now``, time
zones, absences and holidays are parameters; nothing here reads a clock or a database. Every daily
job (morning-thread, nudges, end-of-day, day-close, mood-checkin) asks it, so a rule about leave or
time zones is written once.

Vocabulary
  * The *thread date* D is a date in the organization's timezone (the *team's clock*): the day of one
    morning thread, posted on team workdays (ISO weekdays, 1 = Monday, minus the organization's
    holidays) at the morning time. Instants are aware datetimes (UTC when returned).
  * A wall time on a date becomes an instant through :func:`at_local`. Across a DST change the same
    wall time maps to another UTC instant (09:00 in New York is 14:00 UTC in winter, 13:00 in summer).
    A wall time in the spring-forward gap moves forward by the gap (02:30 -> 03:30); one that happens
    twice (the fall-back hour) is its first occurrence.
  * A person's *clock* is the team's, or their own timezone when the organization turned
    ``use_member_local_time`` on (`/steward standup local on`). Their *own zone* is always their own:
    quiet hours and "their weekend" are lived there, whatever the clock.
  * A person's *day* for thread D (:class:`PersonalDay`), on their clock:
      - team clock: the date is D;
      - local clock: the person's date when the thread appeared (the next one when it appeared after their
        end of day: someone far east of the team works on it the next morning; never before D), moved on to
        their next workday when that date is not one (a Friday thread that reaches Kolkata after hours is worked on
        Monday, never on Saturday);
      - *start*: their morning on that date, or the thread's posting when later;
      - *nudge*: start + the nudge delay; *summary*: start + the summary delay;
      - *end of day*: the end-of-day time on that date (never before the start);
      - *check-in*: the end of day, or, when that falls in their quiet hours, :data:`CHECKIN_BEFORE_QUIET`
        before those begin if that still comes after their nudge (a London teammate on a New York clock is
        asked at 19:00 London, not at 22:30 or the next morning);
      - *close*: the midnight that ends that date, or :data:`CHECKIN_ANSWER_WINDOW` after their check-in
        reached them if that is later (a check-in held by quiet hours keeps the day open for them).
    The person is *expected* on their day unless an absence covers its date (absence dates are the
    person's own dates; with the team clock a thread's date is the team's).
  * *Reachable*: Steward may ping someone at an instant outside their quiet hours (their own zone),
    on a date that is a workday for them in their own zone (organization workdays and holidays), not
    covered by an absence, and not inside an away interval. :func:`reachable_from` finds the first such
    instant. A nudge goes at the first reachable instant from its time if that is before their check-in
    (else it is skipped: the check-in replaces it); a check-in is queued at its time (or at the first run
    after, if that minute was missed) and held until they are reachable, after a leave too; their day
    closes only once it has reached them (nobody's tasks are carried without their having been asked).
  * A manager's summary for thread D (:func:`summary_at`) goes at their own summary instant (their day's
    start + the summary delay, on their clock), or later, at the last report's summary instant when that
    still falls before the manager's end of day. A report whose summary instant falls after that is
    named in the manager's next summary instead, so each missing report is named once, in the
    manager's working day.
  * Jobs tick every minute and act on everything whose window contains ``now``, so a missed minute (a
    restart, a deploy) is caught up on the next tick and never doubled: each action is recorded once
    (unique rows or notification dedupe keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIDNIGHT = time(0, 0)
# The organization's default quiet hours (org_settings.quiet_hours_start / _end, sql/migrations/0001_schema.sql).
QUIET_START = time(20, 0)
QUIET_END = time(8, 0)
# A check-in that would fall in someone's quiet hours goes this long before they begin (when it still comes
# after their nudge), so it is answered the same evening rather than the next morning.
CHECKIN_BEFORE_QUIET = timedelta(hours=1)
# A day stays open this long after its check-in reached the person, when that is past the day's midnight.
CHECKIN_ANSWER_WINDOW = timedelta(hours=4)
# How far ahead :func:`reachable_from` looks (a long leave beyond it means "not reachable").
REACH_HORIZON = timedelta(days=45)


# ---------------------------------------------------------------- wall clocks

def zone(tz: str | None) -> ZoneInfo:
    """The ZoneInfo of an IANA name; UTC for None or a name the system does not know."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def valid_timezone(tz: str) -> bool:
    """Whether ``tz`` is an IANA name like ``Europe/Berlin`` (or ``UTC``) this system knows. Never raises: a
    name too long for a file name (ZoneInfo reads the tz database's files: OSError) is not one."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return "/" in tz or tz == "UTC"


def local_date(now: datetime, tz: str) -> date:
    """The date clocks in ``tz`` show at the instant ``now`` (aware)."""
    return now.astimezone(zone(tz)).date()


def at_local(day: date, wall: time, tz: str) -> datetime:
    """The instant (UTC) at which clocks in ``tz`` show ``wall`` on ``day`` (see the module notes on DST)."""
    z = zone(tz)
    # fold=0: an ambiguous time is its first occurrence; a time in a gap is read with the
    # offset before the change, which lands it after the gap by the gap's length.
    return datetime.combine(day, wall, tzinfo=z).replace(fold=0).astimezone(UTC)


def end_of_local_day(day: date, tz: str) -> datetime:
    """The local midnight that ends ``day`` in ``tz`` (a 23- or 25-hour day across DST is handled)."""
    return at_local(day + timedelta(days=1), MIDNIGHT, tz)


def quiet_span(now: datetime, tz: str | None, start: time | None = QUIET_START,
               end: time | None = QUIET_END) -> tuple[datetime, datetime] | None:
    """The quiet period (wall times ``start``..``end`` in ``tz``, e.g. 20:00-08:00) holding ``now``, as
    (began, ends) instants in UTC, or None when ``now`` is outside quiet hours or there are none."""
    if start is None or end is None or start == end:
        return None
    z = zone(tz)
    local = now.astimezone(z)
    t, today = local.time(), local.date()
    if start > end:  # over midnight
        if t >= start:
            began, ends = today, today + timedelta(days=1)
        elif t < end:
            began, ends = today - timedelta(days=1), today
        else:
            return None
    elif start <= t < end:
        began = ends = today
    else:
        return None
    return at_local(began, start, z.key), at_local(ends, end, z.key)


def quiet_until(now: datetime, tz: str | None, start: time | None = QUIET_START, end: time | None = QUIET_END) -> datetime | None:
    """If ``now`` falls in quiet hours for someone in ``tz``, when they end (UTC); else None."""
    span = quiet_span(now, tz, start, end)
    return span[1] if span else None


# ---------------------------------------------------------------- the organization's rhythm

@dataclass(frozen=True)
class Rhythm:
    """An organization's rhythm settings (a typed view of its org_settings row). Times are wall times on
    the team's clock (or each person's, with ``use_member_local_time``); delays are minutes; holidays
    are dates; quiet hours are wall times in each recipient's own zone (None: no quiet hours)."""

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
    quiet_hours_start: time | None = QUIET_START
    quiet_hours_end: time | None = QUIET_END
    holiday_country: str | None = None  # public holidays of this country/region for everyone without their own

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
    """Whether ``day`` (anyone's date) is one of the organization's workdays and not one of its holidays."""
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
    """The morning time on ``day`` on the clock of ``tz`` (the team's by default), as an instant."""
    return at_local(day, rhythm.morning_time, tz or rhythm.timezone)


def end_of_day_at(day: date, rhythm: Rhythm, tz: str | None = None) -> datetime:
    """The end-of-day time on ``day`` in ``tz``; never before the morning (a misconfigured end falls back to
    23:59)."""
    tz = tz or rhythm.timezone
    if rhythm.end_of_day_time <= rhythm.morning_time:
        return end_of_local_day(day, tz) - timedelta(minutes=1)
    return at_local(day, rhythm.end_of_day_time, tz)


def thread_due(now: datetime, rhythm: Rhythm) -> date | None:
    """The thread date whose morning thread should be up at ``now``, or None (weekend, holiday, outside
    [morning, end of day) on the team's clock)."""
    day = local_date(now, rhythm.timezone)
    if not is_workday(day, rhythm):
        return None
    if morning_at(day, rhythm) <= now < end_of_day_at(day, rhythm):
        return day
    return None


def next_thread_at(now: datetime, rhythm: Rhythm) -> datetime | None:
    """When the next morning thread is due (for "not due until …" answers); None with no workday in a year."""
    day = local_date(now, rhythm.timezone)
    if thread_due(now, rhythm) is not None:
        return morning_at(day, rhythm)
    candidate = day if now < morning_at(day, rhythm) else day + timedelta(days=1)
    nxt = next_workday(candidate, rhythm, include=True)
    return morning_at(nxt, rhythm) if nxt else None


# ---------------------------------------------------------------- people and absences

@dataclass(frozen=True)
class Absence:
    """Whole days a person is not expected: ``first``..``last`` inclusive, in the person's own dates.

    ``source`` says where it came from (``ooo`` from `/ooo` or parsed text; others, such as public
    holidays or a Slack status, plug in the same way); ``reason`` is shown to people ("vacation")."""

    first: date
    last: date
    reason: str = "out of office"
    source: str = "ooo"

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Away:
    """An interval of instants (``end`` None: until further notice) when a person is not to be pinged,
    e.g. a Slack status with an expiry. It covers a day when it covers that day's whole working window."""

    start: datetime
    end: datetime | None
    reason: str = "away"
    source: str = "status"

    def holds(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(frozen=True)
class Person:
    """What the calendar needs of a person: their IANA timezone (None or unknown: the team's) and their
    absences (any sources, merged)."""

    timezone: str | None = None
    absences: tuple[Absence, ...] = ()
    away: tuple[Away, ...] = ()


def clock_zone(rhythm: Rhythm, person: Person) -> str:
    """The zone of the person's clock: their own with local time on, else the team's."""
    return rhythm.person_tz(person.timezone)


def own_zone(rhythm: Rhythm, person: Person) -> str:
    """The zone the person lives in (quiet hours, their weekend): theirs, or the team's when unknown."""
    return person.timezone if person.timezone and valid_timezone(person.timezone) else rhythm.timezone


def absence_on(person: Person, day: date) -> Absence | None:
    """The first absence of ``person`` covering ``day`` (their date), or None."""
    return next((a for a in person.absences if a.covers(day)), None)


def available_on(rhythm: Rhythm, person: Person, day: date) -> bool:
    """A workday of the organization (``day`` read as the person's date) that no absence covers."""
    return is_workday(day, rhythm) and absence_on(person, day) is None


def in_quiet_hours(rhythm: Rhythm, person: Person, at: datetime) -> datetime | None:
    """When the person's quiet hours end, if ``at`` falls in them (their own zone); else None."""
    return quiet_until(at, own_zone(rhythm, person), rhythm.quiet_hours_start, rhythm.quiet_hours_end)


def reachable_from(rhythm: Rhythm, person: Person, at: datetime, *, before: datetime | None = None) -> datetime | None:
    """The first instant from ``at`` at which Steward may ping the person: outside their quiet hours, on a
    date that is an organization workday in their own zone, not covered by an absence, not inside an away
    interval. None when there is none before ``before`` (or within :data:`REACH_HORIZON`)."""
    tz = own_zone(rhythm, person)
    limit = min(before, at + REACH_HORIZON) if before is not None else at + REACH_HORIZON
    t = at
    while t < limit:
        away = next((a for a in person.away if a.holds(t)), None)
        if away is not None:
            if away.end is None:
                return None
            t = away.end
            continue
        span = quiet_span(t, tz, rhythm.quiet_hours_start, rhythm.quiet_hours_end)
        if span is not None:
            t = span[1]
            continue
        day = local_date(t, tz)
        if not available_on(rhythm, person, day):
            t = end_of_local_day(day, tz)
            continue
        return t
    return None


# ---------------------------------------------------------------- a person's day for one thread

@dataclass(frozen=True)
class PersonalDay:
    """When things happen for one person on one thread date (see the module notes). Instants are UTC."""

    thread_date: date
    day: date  # the person's own date they work on this thread (their clock)
    tz: str  # their clock's zone
    start: datetime
    nudge_at: datetime
    summary_at: datetime
    end_of_day: datetime
    checkin_at: datetime
    close_at: datetime  # the midnight ending ``day``; a held check-in can keep it open longer (close_after)
    next_start: datetime  # the start of their day for the next thread date (held check-ins must come before)
    absence: Absence | None = None

    @property
    def expected(self) -> bool:
        """Whether Steward expects a plan (and sends nudges and a check-in) for this day."""
        return self.absence is None

    def checkin_due(self, now: datetime) -> bool:
        return self.checkin_at <= now < self.close_at

    def closed(self, now: datetime) -> bool:
        """Past the midnight ending the day (a reply now belongs to a later day)."""
        return now >= self.close_at

    def is_late(self, at: datetime) -> bool:
        """A reply after the nudge would have gone out is late."""
        return at > self.nudge_at

    def close_after(self, checkin_reached_at: datetime | None) -> datetime:
        """When the day closes, given when its check-in reached (or will reach) the person: the midnight
        ending it, or :data:`CHECKIN_ANSWER_WINDOW` after the check-in when that is later."""
        if checkin_reached_at is None:
            return self.close_at
        return max(self.close_at, checkin_reached_at + CHECKIN_ANSWER_WINDOW)


def _personal_date(rhythm: Rhythm, tz: str, thread_date: date, started: datetime) -> date:
    if tz == rhythm.timezone:
        return thread_date
    local = started.astimezone(zone(tz))
    day = local.date()
    if local.time() >= rhythm.end_of_day_time:
        day += timedelta(days=1)
    # Never before the thread's own date: far west of the team, a thread appears the afternoon before.
    day = max(day, thread_date)
    return next_workday(day, rhythm, include=True) or day


def _start_of(rhythm: Rhythm, person: Person, thread_date: date, started_at: datetime | None) -> tuple[date, datetime]:
    tz = clock_zone(rhythm, person)
    started = started_at or morning_at(thread_date, rhythm)
    day = _personal_date(rhythm, tz, thread_date, started)
    return day, max(started, morning_at(day, rhythm, tz))


def place_checkin(rhythm: Rhythm, person: Person, end_of_day: datetime, nudge_at: datetime) -> datetime:
    """The check-in instant: the end of day, or :data:`CHECKIN_BEFORE_QUIET` before the person's quiet hours
    begin when the end of day falls in them and that still comes after their nudge."""
    span = quiet_span(end_of_day, own_zone(rhythm, person), rhythm.quiet_hours_start, rhythm.quiet_hours_end)
    if span is None:
        return end_of_day
    earlier = span[0] - CHECKIN_BEFORE_QUIET
    return earlier if nudge_at <= earlier < end_of_day else end_of_day


def day_for(rhythm: Rhythm, person: Person, thread_date: date, started_at: datetime | None = None) -> PersonalDay:
    """The person's day for the thread of ``thread_date`` posted at ``started_at`` (None: the morning time).

    Raises nothing: an unknown timezone is the team's; with no workday within a year the date stays."""
    tz = clock_zone(rhythm, person)
    day, start = _start_of(rhythm, person, thread_date, started_at)
    nudge_at = start + rhythm.nudge_delay
    end_of_day = max(end_of_day_at(day, rhythm, tz), start)
    nxt = next_workday(thread_date, rhythm)
    next_start = _start_of(rhythm, person, nxt, None)[1] if nxt else end_of_local_day(day, tz) + timedelta(days=1)
    absence = absence_on(person, day)
    if absence is None:
        away = next((a for a in person.away if a.holds(start) and (a.end is None or a.end >= end_of_day)), None)
        if away is not None:
            absence = Absence(day, day, away.reason, away.source)
    return PersonalDay(thread_date=thread_date, day=day, tz=tz, start=start, nudge_at=nudge_at,
                       summary_at=start + rhythm.summary_delay, end_of_day=end_of_day,
                       checkin_at=place_checkin(rhythm, person, end_of_day, nudge_at),
                       close_at=end_of_local_day(day, tz), next_start=max(next_start, end_of_day), absence=absence)


def personal_day(thread_date: date, started_at: datetime | None, rhythm: Rhythm, person_tz: str | None = None) -> PersonalDay:
    """:func:`day_for` for someone known only by their timezone (no absences)."""
    return day_for(rhythm, Person(timezone=person_tz), thread_date, started_at)


def nudge_time(rhythm: Rhythm, person: Person, pd: PersonalDay) -> datetime | None:
    """When to nudge the person for ``pd`` if they have not replied: the first reachable instant from their
    nudge time, when that comes before their check-in; None when they are not expected or it would not."""
    if not pd.expected:
        return None
    return reachable_from(rhythm, person, pd.nudge_at, before=pd.checkin_at)


def checkin_reaches(rhythm: Rhythm, person: Person, pd: PersonalDay, now: datetime) -> datetime | None:
    """When a check-in queued at ``now`` (at or after ``pd.checkin_at``, however late) reaches the person: the
    first instant they can be reached (after their quiet hours, weekend, holidays and leave: the last day
    before a leave is asked about the morning they are back). None when they are not expected that day, or
    cannot be reached within :data:`REACH_HORIZON` (then their tasks carry forward unasked at the close)."""
    if not pd.expected:
        return None
    return reachable_from(rhythm, person, max(now, pd.checkin_at))


def summary_at(manager_day: PersonalDay, report_summaries: Iterable[datetime]) -> datetime:
    """The manager's summary instant for one thread: their own summary instant, or the latest of their
    reports' summary instants that still falls before the manager's end of day."""
    within = [s for s in report_summaries if s <= manager_day.end_of_day]
    return max([manager_day.summary_at, *within])


def summary_slot(summary_times: Sequence[tuple[date, datetime]], thread_date: date, report_summary: datetime) -> date | None:
    """Which of a manager's summaries names a report for thread ``thread_date``: the first summary (of
    ``summary_times``, (thread date, instant) in date order) for that thread or a later one whose instant
    is at or after the report's own summary instant; None when none is yet known."""
    for day, at in summary_times:
        if day >= thread_date and at >= report_summary:
            return day
    return None


# ---------------------------------------------------------------- mood, working time

def mood_day(rhythm: Rhythm, person: Person, now: datetime) -> date | None:
    """The person's date (their clock) whose mood check-in is due at ``now``, or None: the mood time on a
    day they are expected, moved before their quiet hours like a check-in, once they are reachable and
    until that day's midnight."""
    if not rhythm.mood_checkin_enabled:
        return None
    tz = clock_zone(rhythm, person)
    day = local_date(now, tz)
    if not available_on(rhythm, person, day):
        return None
    morning = morning_at(day, rhythm, tz)
    at = place_checkin(rhythm, person, max(at_local(day, rhythm.mood_checkin_time, tz), morning), morning)
    reach = reachable_from(rhythm, person, at, before=end_of_local_day(day, tz))
    return day if reach is not None and reach <= now else None


def working_time(rhythm: Rhythm, person: Person, start: datetime, end: datetime) -> timedelta:
    """How much of [``start``, ``end``) lies in the person's working hours: morning to end of day on their
    clock, on organization workdays they are not absent, outside away intervals. Zero when end <= start."""
    if end <= start:
        return timedelta(0)
    tz = clock_zone(rhythm, person)
    total = timedelta(0)
    day = local_date(start, tz)
    last = local_date(end, tz)
    while day <= last:
        if available_on(rhythm, person, day):
            lo, hi = max(start, morning_at(day, rhythm, tz)), min(end, end_of_day_at(day, rhythm, tz))
            if lo < hi:
                total += hi - lo - _away_within(lo, hi, person.away)
        day += timedelta(days=1)
    return total


def _away_within(lo: datetime, hi: datetime, away: Iterable[Away]) -> timedelta:
    """How much of [lo, hi) the away intervals cover (overlapping intervals counted once)."""
    spans = sorted((max(lo, a.start), min(hi, a.end) if a.end is not None else hi) for a in away)
    covered, reach = timedelta(0), lo
    for a, b in spans:
        a = max(a, reach)
        if a < b:
            covered += b - a
            reach = b
    return covered


def workday_length(rhythm: Rhythm) -> timedelta:
    """How long one working day is: morning to end of day (wall times; 23:59 when the end is not after the
    morning, as :func:`end_of_day_at` reads it). "One working day" of an escalation ladder is this long."""
    start = datetime.combine(date(2000, 1, 3), rhythm.morning_time)
    end = datetime.combine(date(2000, 1, 3), rhythm.end_of_day_time)
    if end <= start:
        end = datetime.combine(date(2000, 1, 3), time(23, 59))
    return end - start


# How far ahead :func:`after_working_time` looks: a person away longer than this has no deadline yet.
WORKING_TIME_HORIZON_DAYS = 400


def working_from(rhythm: Rhythm, person: Person, at: datetime) -> datetime | None:
    """The first instant from ``at`` (aware) inside the person's working hours, as :func:`working_time` counts them
    (morning to end of day on their clock, organization workdays and holidays, their absences and away intervals
    skipped): ``at`` itself when it is inside. The end of day belongs to its day (a ladder's wait in working time
    that ends with the working day is due at that instant: :func:`after_working_time`). None when there is none
    within :data:`WORKING_TIME_HORIZON_DAYS`. For a team's channel post: the team's calendar
    (:func:`bot.services.ooo.team`) says when the team is at work."""
    tz = clock_zone(rhythm, person)
    day = local_date(at, tz)
    for _ in range(WORKING_TIME_HORIZON_DAYS):
        if available_on(rhythm, person, day):
            t, hi = max(at, morning_at(day, rhythm, tz)), end_of_day_at(day, rhythm, tz)
            while t <= hi:
                away = next((a for a in person.away if a.holds(t)), None)
                if away is None:
                    return t
                if away.end is None:
                    return None
                t = away.end
        day += timedelta(days=1)
    return None


def after_working_time(rhythm: Rhythm, person: Person, start: datetime, amount: timedelta) -> datetime | None:
    """The first instant ``t`` at which :func:`working_time` (``start``, ``t``) reaches ``amount``: the same
    working hours (morning to end of day on the person's clock, organization workdays and holidays, their
    absences and away intervals skipped). ``amount`` zero is ``start`` itself. None when that lies more than
    :data:`WORKING_TIME_HORIZON_DAYS` days ahead (someone away until further notice: their clock is paused).

    This is how an escalation ladder's waits run ("+4 working hours", "+1 working day", SPEC F6): time the
    person is away or outside their working day does not count, so their clock pauses."""
    if amount <= timedelta(0):
        return start
    tz = clock_zone(rhythm, person)
    left = amount
    day = local_date(start, tz)
    for _ in range(WORKING_TIME_HORIZON_DAYS):
        if available_on(rhythm, person, day):
            lo, hi = max(start, morning_at(day, rhythm, tz)), end_of_day_at(day, rhythm, tz)
            t = lo
            while t < hi:
                away = next((a for a in person.away if a.holds(t)), None)
                if away is not None:
                    if away.end is None:
                        return None
                    t = max(t, away.end)
                    continue
                nxt = min([hi, *(a.start for a in person.away if t < a.start < hi)])
                if nxt - t >= left:
                    return t + left
                left -= nxt - t
                t = nxt
        day += timedelta(days=1)
    return None
