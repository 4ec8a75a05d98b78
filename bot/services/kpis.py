"""KPI definitions (SPEC F14; issue 15): what each number in a report means, as pure functions of the data and ``now``.

The formulas below take plain records (no connection, no clock); :func:`load` reads those records for a period and
:func:`compute` turns them into :class:`Figures`: one :class:`Figure` per KPI for the team and for each person, each
with its target (when the organization set one, lightened by a person's ramp-up) and the previous period's value.
:func:`trend` reads past weeks from ``kpi_snapshots`` only (written by the ``kpi-snapshot`` job,
bot/services/kpi_snapshots.py): reports never recompute history.

A *period* is dates ``since``..``until`` inclusive on the team's clock (the organization's timezone); its instants are
[``since`` 00:00, the midnight ending ``until``) there. A *week* is Monday..Sunday (:func:`week_of`).

The KPIs (names exactly as ``kpi_targets.metric`` has them, and as snapshots and reports key them):

  ========================== ============== =================================================================
  name                        unit           formula (details in each function's docstring)
  ========================== ============== =================================================================
  submission_rate             ratio 0..1     updates given / days asked (working days only)
  on_time_rate                ratio 0..1     tasks done by their due date / tasks due (not dropped)
  carry_forward_rate          ratio 0..1     planned task-days carried forward / planned task-days closed
  blocker_resolution_hours    working hours  median working time from raised to resolved
  weighted_throughput         weight points  sum of tasks.weight done
  team_mood                   score 1..5     mean of per-person mean scores; None below 3 people
  checklist_compliance        ratio 0..1     checklists completed by the end of the day / checklists sent (workdays)
  sop_compliance              ratio 0..1     compliant SOP records / SOP records
  interventions               count          confirmed help credited to the helper
  recognition                 count          reinforcements received (kudos, streaks, milestones...)
  ========================== ============== =================================================================

Privacy: ``team_mood`` is only ever a team aggregate of at least :data:`MIN_MOOD_PEOPLE` people; a person's figures
never hold it (:data:`PERSONAL_KPIS`).
"""

from __future__ import annotations

import calendar as month_calendar
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import psycopg

from bot.services import attendance, standup_settings
from bot.services import calendar as people_calendar
from bot.services.attendance import DayRecord, RampUp
from bot.services.calendar import Rhythm
from bot.services.interventions import credited_interventions
from db.queries import Q

SUBMISSION_RATE = "submission_rate"
ON_TIME_RATE = "on_time_rate"
CARRY_FORWARD_RATE = "carry_forward_rate"
BLOCKER_RESOLUTION_HOURS = "blocker_resolution_hours"
WEIGHTED_THROUGHPUT = "weighted_throughput"
TEAM_MOOD = "team_mood"
CHECKLIST_COMPLIANCE = "checklist_compliance"
SOP_COMPLIANCE = "sop_compliance"
INTERVENTIONS = "interventions"
RECOGNITION = "recognition"

# Every KPI, in the order reports show them.
KPIS: tuple[str, ...] = (
    SUBMISSION_RATE, ON_TIME_RATE, CARRY_FORWARD_RATE, BLOCKER_RESOLUTION_HOURS, WEIGHTED_THROUGHPUT, TEAM_MOOD,
    CHECKLIST_COMPLIANCE, SOP_COMPLIANCE, INTERVENTIONS, RECOGNITION)
# A person's figures: every KPI but the team's mood (never a person's value: issue 15).
PERSONAL_KPIS: tuple[str, ...] = tuple(k for k in KPIS if k != TEAM_MOOD)
# KPIs a target may be set for (kpi_targets.metric's CHECK, widened by sql/migrations/0015_kpis.sql). Interventions
# and recognition are credits, counted and shown, never targets.
TARGETABLE: tuple[str, ...] = KPIS[:8]
RATES: frozenset[str] = frozenset({SUBMISSION_RATE, ON_TIME_RATE, CARRY_FORWARD_RATE, CHECKLIST_COMPLIANCE,
                                   SOP_COMPLIANCE})
# Lower is better for these (kpi_targets.direction 'at_most'); higher for the others ('at_least').
AT_MOST: frozenset[str] = frozenset({CARRY_FORWARD_RATE, BLOCKER_RESOLUTION_HOURS})
UNITS: Mapping[str, str] = {
    SUBMISSION_RATE: "ratio", ON_TIME_RATE: "ratio", CARRY_FORWARD_RATE: "ratio",
    BLOCKER_RESOLUTION_HOURS: "working hours", WEIGHTED_THROUGHPUT: "weight points", TEAM_MOOD: "score 1-5",
    CHECKLIST_COMPLIANCE: "ratio", SOP_COMPLIANCE: "ratio", INTERVENTIONS: "count", RECOGNITION: "count"}
LABELS: Mapping[str, str] = {
    SUBMISSION_RATE: "Submission rate", ON_TIME_RATE: "On-time rate", CARRY_FORWARD_RATE: "Carry-forward rate",
    BLOCKER_RESOLUTION_HOURS: "Blocker resolution time", WEIGHTED_THROUGHPUT: "Weighted throughput",
    TEAM_MOOD: "Team mood", CHECKLIST_COMPLIANCE: "Checklist compliance", SOP_COMPLIANCE: "SOP compliance",
    INTERVENTIONS: "Help given (credited)", RECOGNITION: "Recognition"}

# Team mood is shown only as an aggregate of at least this many people (issue 15), so nobody's score can be read off.
MIN_MOOD_PEOPLE = 3
NOT_ENOUGH_RESPONSES = "not enough responses"
NO_CHECKLISTS = "no checklists set up"
NO_SOPS = "no SOPs set up"
# The weighted_throughput target is per person and per week; other periods scale it by their workdays (a team with
# no workdays set: by their days / 7).
THROUGHPUT_TARGET_DAYS = 7
WEEKDAYS = frozenset({1, 2, 3, 4, 5})

Direction = Literal["at_least", "at_most"]
PeriodKind = Literal["daily", "weekly", "monthly"]


# ---------------------------------------------------------------- shapes

@dataclass(frozen=True)
class Figure:
    """One KPI's figure for a period: ``value`` in ``unit`` (None: nothing to measure, ``note`` says why), the
    ``target`` that applies to it (None: none set) and the ``previous`` period's value (None: unknown)."""

    kpi: str
    value: float | None
    unit: str
    target: float | None
    previous: float | None
    note: str | None
    bound: float | None = None  # with no value: what is known of it so far (the oldest open blocker's wait)

    @property
    def direction(self) -> Direction:
        return direction_of(self.kpi)

    @property
    def met(self) -> bool | None:
        """Whether the value meets its target (None without either: "no data", never "met"); with no value, a
        ``bound`` already past an at_most target is a miss."""
        if self.target is None:
            return None
        if self.value is None:
            return False if self.direction == "at_most" and self.bound is not None and self.bound > self.target else None
        return self.value <= self.target if self.direction == "at_most" else self.value >= self.target

    @property
    def change(self) -> float | None:
        """value - previous, in ``unit`` (None without either)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class Figures:
    """A period's figures: ``team`` (KPI name -> Figure, every name of :data:`KPIS`), ``people`` (user id -> KPI name
    -> Figure, every name of :data:`PERSONAL_KPIS`), and ``out`` (user id -> the team workdays of the period they were
    away: leave, their public holidays, a whole-day away status), so reports show leave as leave, not failure."""

    period_start: date
    period_end: date
    team: dict[str, Figure]
    people: dict[int, dict[str, Figure]]
    out: dict[int, list[date]]

    def metrics(self, user_id: int | None = None) -> dict[str, float | None]:
        """{KPI name: value} of the team (``user_id`` None) or one person: what a snapshot stores."""
        figures = self.team if user_id is None else self.people.get(user_id, {})
        return {k: f.value for k, f in figures.items()}


@dataclass(frozen=True)
class Target:
    """An organization's target for one KPI (``kpi_targets``): ``value`` in the KPI's unit (a ratio for rates)."""

    kpi: str
    value: float
    direction: Direction


# ---------------------------------------------------------------- input records (what the formulas read)

@dataclass(frozen=True)
class DueTask:
    """A task due in the period (``tasks``; dropped tasks are not due). ``due_at``: when a time of day was given."""

    user_id: int | None
    due_date: date
    due_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class DoneTask:
    user_id: int | None
    weight: int
    completed_at: datetime


@dataclass(frozen=True)
class TaskClose:
    """One planned task's close on one day (``task_statuses``): status done, carry_forward or dropped."""

    user_id: int | None
    day: date
    status: str


@dataclass(frozen=True)
class ResolvedBlocker:
    user_id: int
    raised_at: datetime
    resolved_at: datetime


@dataclass(frozen=True)
class OpenBlocker:
    """A blocker still open at the end of the period (raised at ``raised_at``, UTC)."""

    user_id: int
    raised_at: datetime


@dataclass(frozen=True)
class MoodEntry:
    user_id: int
    day: date
    score: int


@dataclass(frozen=True)
class ChecklistSent:
    """A checklist sent to someone for a date (``checklist_completions``); ``completed_at`` None: not finished;
    ``due_by``: the end of that day on the person's clock (None: rows from before migration 0019, due any time)."""

    user_id: int | None
    day: date
    completed_at: datetime | None
    due_by: datetime | None = None

    def on_time(self) -> bool:
        """Finished, and by the end of its day."""
        return self.completed_at is not None and (self.due_by is None or self.completed_at <= self.due_by)

    def settled(self, now: datetime) -> bool:
        """Counted yet: finished on time, or its day is over (``due_by`` passed). One still open today is not."""
        return self.completed_at is not None or (self.due_by is not None and self.due_by <= now)


@dataclass(frozen=True)
class SopRecord:
    """One ``sop_records`` row: its person (None for a deploy's record, bot/services/deploys.py) and whether it was
    compliant. ``members``: a deploy's record's expected members (from ``steps_done``) and whether each did their part
    (was sent the checklist and ticked every item), so it counts for their team and, per person, as their own."""

    user_id: int | None
    compliant: bool
    members: tuple[tuple[int, bool], ...] = ()

    def concerns(self, user_ids: Iterable[int]) -> bool:
        """Whether the record is one of these people's: theirs, or a deploy one of them was expected at."""
        wanted = set(user_ids)
        return self.user_id in wanted or any(m in wanted for m, _ in self.members)

    def of(self, who: int) -> SopRecord | None:
        """The record as ``who``'s own (compliant: their part done, for a deploy's record); None when not theirs."""
        if self.user_id == who:
            return self
        part = dict(self.members).get(who)
        return None if part is None else SopRecord(who, part)


def sop_records_of(records: Iterable[SopRecord], who: int | None) -> list[SopRecord]:
    """The records that count for ``who`` (None: all of them, the team's, one per record): their own, and the deploys
    they were expected at, each counted compliant when they did their part (tester16 F8)."""
    if who is None:
        return list(records)
    return [mine for r in records if (mine := r.of(who)) is not None]


def sop_members(steps_done: Any) -> tuple[tuple[int, bool], ...]:
    """A deploy record's ``steps_done`` (a list of {"user_id", "sent", "missing", ...}) as (user id, did their part)."""
    if not isinstance(steps_done, list):
        return ()
    return tuple((int(s["user_id"]), bool(s.get("sent", True)) and not s.get("missing"))
                 for s in steps_done if isinstance(s, dict) and s.get("user_id") is not None)


@dataclass
class PeriodData:
    """Everything the formulas read for one period (see :func:`load`). ``days``: attendance per person
    (bot/services/attendance.py); ``calendar_people``: the people calendar's view of each (timezone, absences);
    ``credited``: user ids of the helpers of confirmed interventions, one entry each; ``recognised``: user ids of
    reinforcements' recipients, one entry each."""

    since: date
    until: date
    rhythm: Rhythm
    user_ids: list[int]
    days: dict[int, list[DayRecord]] = field(default_factory=dict)
    calendar_people: dict[int, people_calendar.Person] = field(default_factory=dict)
    ramp_ups: dict[int, RampUp] = field(default_factory=dict)
    due: list[DueTask] = field(default_factory=list)
    done: list[DoneTask] = field(default_factory=list)
    closes: list[TaskClose] = field(default_factory=list)
    blockers: list[ResolvedBlocker] = field(default_factory=list)
    open_blockers: list[OpenBlocker] = field(default_factory=list)
    mood: list[MoodEntry] = field(default_factory=list)
    checklists_exist: bool = False
    checklists: list[ChecklistSent] = field(default_factory=list)
    sops_exist: bool = False
    sops: list[SopRecord] = field(default_factory=list)
    credited: list[int] = field(default_factory=list)
    recognised: list[int] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)


# ---------------------------------------------------------------- periods

def week_of(day: date) -> tuple[date, date]:
    """The week (Monday, Sunday) holding ``day``."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    """The calendar month (first day, last day) holding ``day``."""
    last = month_calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def period_kind(since: date, until: date) -> PeriodKind | None:
    """daily (one day), weekly (Monday..Sunday), monthly (a whole calendar month), else None."""
    if since == until:
        return "daily"
    if week_of(since) == (since, until):
        return "weekly"
    if month_of(since) == (since, until):
        return "monthly"
    return None


def previous_period(since: date, until: date) -> tuple[date, date]:
    """The period before [``since``, ``until``]: the previous month for a whole month, else the same number of days
    just before."""
    if period_kind(since, until) == "monthly":
        return month_of(since - timedelta(days=1))
    length = (until - since).days + 1
    return since - timedelta(days=length), since - timedelta(days=1)


def period_instants(since: date, until: date, tz: str) -> tuple[datetime, datetime]:
    """[``since`` 00:00, the midnight ending ``until``) in ``tz`` (IANA name), as UTC instants."""
    return people_calendar.at_local(since, time(0, 0), tz), people_calendar.end_of_local_day(until, tz)


# ---------------------------------------------------------------- the formulas

def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def submission_rate(days: Iterable[DayRecord]) -> float | None:
    """Updates given / days asked, a ratio in 0..1 (None when never asked).

    Counts only days the person was *asked* (bot/services/attendance.py: a morning thread was posted for them and
    they were working: not on leave, not on a public holiday of theirs, not away all day). Ramp-up days count like
    any other (the person's target is lightened instead: :func:`personal_target`). An update for a day they were not
    asked (a holiday) counts for nothing."""
    asked = [d for d in days if d.asked]
    return _ratio(sum(1 for d in asked if d.updated), len(asked))


def deadline_of(task: DueTask, tz: str) -> datetime:
    """When a due task is late: its ``due_at`` when a time was given, else the midnight ending its due date in ``tz``
    (the team's clock)."""
    return task.due_at if task.due_at is not None else people_calendar.end_of_local_day(task.due_date, tz)


def on_time_rate(tasks: Iterable[DueTask], *, now: datetime, tz: str) -> float | None:
    """Tasks done by their due date / tasks due, a ratio in 0..1 (None when nothing was due yet).

    A task counts once its deadline (:func:`deadline_of`) has passed at ``now`` or it is done; it is on time when
    ``completed_at`` <= its deadline (done the same day it is due is on time). Dropped tasks are not due (the loader
    leaves them out). A task still open before its deadline is not counted yet, done or not."""
    counted = on_time = 0
    for task in tasks:
        deadline = deadline_of(task, tz)
        if task.completed_at is None and now < deadline:
            continue
        counted += 1
        if task.completed_at is not None and task.completed_at <= deadline:
            on_time += 1
    return _ratio(on_time, counted)


def carry_forward_rate(closes: Iterable[TaskClose]) -> float | None:
    """Planned task-days carried forward / planned task-days closed, a ratio in 0..1 (None when nothing was planned).

    The daily loop closes each task planned for a day once (``task_statuses``: done, carry_forward or dropped; a
    task with no answer is carried). A task carried three days running counts 3 carried of its 4 closes if done on
    the fourth."""
    all_closes = list(closes)
    return _ratio(sum(1 for c in all_closes if c.status == "carry_forward"), len(all_closes))


def resolution_hours(blocker: ResolvedBlocker, rhythm: Rhythm, person: people_calendar.Person) -> float:
    """Working hours from a blocker being raised to its resolution, on the blocked person's calendar
    (bot/services/calendar.py ``working_time``: their working hours on organization workdays they were not away;
    a blocker raised Friday 17:00 and resolved Monday 10:00 took 1.5 h with 09:00-17:30 days)."""
    return people_calendar.working_time(rhythm, person, blocker.raised_at, blocker.resolved_at).total_seconds() / 3600


def blocker_resolution_hours(blockers: Iterable[ResolvedBlocker], rhythm: Rhythm,
                             people: Mapping[int, people_calendar.Person]) -> float | None:
    """The median of :func:`resolution_hours` over the blockers resolved in the period, in working hours (None
    when none was resolved). A person the calendar does not know is read on the team's clock with no absences."""
    hours = [resolution_hours(b, rhythm, people.get(b.user_id, people_calendar.Person())) for b in blockers]
    return statistics.median(hours) if hours else None


def oldest_open_blocker_hours(blockers: Iterable[OpenBlocker], rhythm: Rhythm,
                              people: Mapping[int, people_calendar.Person], *, at: datetime) -> float | None:
    """The longest any blocker still open at ``at`` (UTC) has waited, in working hours on the blocked person's
    calendar (as :func:`resolution_hours`), or None when none is open. A lower bound on its resolution time: it
    shows when no blocker was resolved but one waits past the target (tester 15 finding 3)."""
    hours = [people_calendar.working_time(rhythm, people.get(b.user_id, people_calendar.Person()), b.raised_at,
                                          at).total_seconds() / 3600 for b in blockers if b.raised_at < at]
    return max(hours) if hours else None


def weighted_throughput(done: Iterable[DoneTask]) -> float:
    """The sum of ``tasks.weight`` of the tasks done in the period, in weight points (0 when none)."""
    return float(sum(t.weight for t in done))


def team_mood(entries: Iterable[MoodEntry]) -> tuple[float | None, str | None]:
    """(The mean over people of each person's mean score, on the 1..5 scale; None) when at least
    :data:`MIN_MOOD_PEOPLE` people answered in the period, else (None, "not enough responses"). Each person weighs
    the same however often they answered, and no one person's value is ever returned."""
    scores: dict[int, list[int]] = {}
    for e in entries:
        scores.setdefault(e.user_id, []).append(e.score)
    if len(scores) < MIN_MOOD_PEOPLE:
        return None, NOT_ENOUGH_RESPONSES
    return statistics.fmean(statistics.fmean(s) for s in scores.values()), None


def checklist_compliance(sent: Iterable[ChecklistSent], *, exist: bool, now: datetime | None = None,
                         rhythm: Rhythm | None = None) -> tuple[float | None, str | None]:
    """(Checklists completed by the end of their day / checklists sent for a working day of the period, a ratio in
    0..1; note). A checklist counts once its day is over or it is finished (one still open today at ``now`` is not
    counted yet); "working day": ``rhythm``'s workdays and holidays (every day without a rhythm). (None, "no
    checklists set up") when the organization has none; (None, "none were due") when none counts.

    Example: three sent for Friday, one ticked complete at 16:30, one never finished, one finished at 00:10 the next
    day (after its ``due_by``): 1 / 3."""
    if not exist:
        return None, NO_CHECKLISTS
    rows = [r for r in sent if (now is None or r.settled(now))
            and (rhythm is None or people_calendar.is_workday(r.day, rhythm))]
    return (_ratio(sum(1 for r in rows if r.on_time()), len(rows)),
            None if rows else "none were due")


def sop_compliance(records: Iterable[SopRecord], *, exist: bool) -> tuple[float | None, str | None]:
    """(Compliant SOP records / SOP records made in the period, a ratio in 0..1; note). (None, "no SOPs set up")
    when the organization has none; (None, "none were followed") when no record was made."""
    if not exist:
        return None, NO_SOPS
    rows = list(records)
    return _ratio(sum(1 for r in rows if r.compliant), len(rows)), None if rows else "none were followed"


def count_for(user_ids: Iterable[int], who: int | None = None) -> float:
    """How many entries of ``user_ids`` are ``who`` (all of them for None), as a count: credited interventions
    (bot/services/interventions.py ``credited_interventions``, one entry per confirmed intervention, its helper) and
    recognition (one entry per reinforcement received)."""
    return float(sum(1 for u in user_ids if who is None or u == who))


# ---------------------------------------------------------------- targets

def direction_of(kpi: str) -> Direction:
    """'at_most' for the KPIs where lower is better (:data:`AT_MOST`), else 'at_least'."""
    return "at_most" if kpi in AT_MOST else "at_least"


def personal_target(target: Target | None, ramp_up: RampUp | None, *, since: date, until: date,
                    workdays: frozenset[int] = WEEKDAYS) -> float | None:
    """The target that applies to one person over [``since``, ``until``]: the organization's, lightened by their
    ramp-up's ``target_multiplier`` m (``user_ramp_up``) when it covers any day of the period: an at_least target t
    becomes t * m, an at_most target t / m (more time, more carried), a rate capped at 1. Throughput targets are
    per week and scale by the period's length (:func:`period_target`)."""
    if target is None:
        return None
    value = period_target(target, since=since, until=until, workdays=workdays)
    if ramp_up is not None and ramp_up.starts_on <= until and ramp_up.ends_on >= since:
        m = ramp_up.target_multiplier
        value = value * m if target.direction == "at_least" else value / m
        if target.kpi in RATES:
            value = min(value, 1.0)
    return value


def period_target(target: Target, *, since: date, until: date, workdays: frozenset[int] = WEEKDAYS) -> float:
    """The target over [``since``, ``until``]: as set, except weighted throughput, set per person per week, which
    scales by the period's workdays / the workdays of a week (``workdays``: ISO weekdays, the team's; holidays are
    not taken off). A Monday-to-Friday team's daily target is the weekly one / 5, a week's is the weekly one."""
    if target.kpi == WEIGHTED_THROUGHPUT:
        days = sum(1 for i in range((until - since).days + 1) if (since + timedelta(days=i)).isoweekday() in workdays)
        return target.value * days / (len(workdays) or THROUGHPUT_TARGET_DAYS)
    return target.value


# ---------------------------------------------------------------- figures of a period

def out_days(days: Iterable[DayRecord]) -> list[date]:
    """The team workdays a person was away (leave, their public holiday, a whole-day away status), in order."""
    return [d.day for d in days if not d.working and d.away is not None]


def away_days(data: PeriodData, who: int | None = None) -> frozenset[tuple[int, date]]:
    """(user id, date) of each day a person (``who``; None: everyone) was away (leave, their public holiday, a whole-day away status), by the
    team's date and their own: a checklist sent for such a day (sent before they went on leave) is not counted
    against them (tester16b N8)."""
    people = data.days.items() if who is None else [(who, data.days.get(who, []))]
    return frozenset((user_id, day) for user_id, days in people for d in days
                     if not d.working and d.away is not None for day in (d.day, d.person_day))


def _values(data: PeriodData, who: int | None, now: datetime) -> dict[str, tuple[float | None, str | None]]:
    """Every KPI's (value, note) for one person (``who``) or the team (None)."""
    def mine(user_id: int | None) -> bool:
        return who is None or user_id == who

    tz = data.rhythm.timezone
    if who is None:
        day_records = [d for ds in data.days.values() for d in ds]
    else:
        day_records = data.days.get(who, [])
    sub = submission_rate(day_records)
    away = away_days(data, who) if data.checklists else frozenset()
    values: dict[str, tuple[float | None, str | None]] = {
        SUBMISSION_RATE: (sub, None if sub is not None else "no updates were asked in that period"),
        ON_TIME_RATE: _noted(on_time_rate([t for t in data.due if mine(t.user_id)], now=now, tz=tz), "nothing was due"),
        CARRY_FORWARD_RATE: _noted(carry_forward_rate(c for c in data.closes if mine(c.user_id)), "nothing was planned"),
        BLOCKER_RESOLUTION_HOURS: _noted(blocker_resolution_hours(
            [b for b in data.blockers if mine(b.user_id)], data.rhythm, data.calendar_people),
            _no_blocker_resolved(open_blocker_bound(data, who, now))),
        WEIGHTED_THROUGHPUT: (weighted_throughput(t for t in data.done if mine(t.user_id)), None),
        CHECKLIST_COMPLIANCE: checklist_compliance([c for c in data.checklists if mine(c.user_id)
                                                    and (c.user_id, c.day) not in away],
                                                   exist=data.checklists_exist, now=now, rhythm=data.rhythm),
        SOP_COMPLIANCE: sop_compliance(sop_records_of(data.sops, who), exist=data.sops_exist),
        INTERVENTIONS: (count_for(data.credited, who), None),
        RECOGNITION: (count_for(data.recognised, who), None),
    }
    if who is None:
        values[TEAM_MOOD] = team_mood(data.mood)
        return {k: values[k] for k in KPIS}
    return {k: values[k] for k in PERSONAL_KPIS}


def _period_end(data: PeriodData) -> datetime:
    return period_instants(data.since, data.until, data.rhythm.timezone)[1]


def open_blocker_bound(data: PeriodData, who: int | None, now: datetime) -> float | None:
    """The oldest open blocker's wait (working hours, at the period's end or ``now`` if earlier) of ``who`` (None:
    the team), when no blocker of theirs was resolved in the period; else None."""
    if any(who is None or b.user_id == who for b in data.blockers):
        return None
    return oldest_open_blocker_hours([b for b in data.open_blockers if who is None or b.user_id == who], data.rhythm,
                                     data.calendar_people, at=min(now, _period_end(data)))


def _no_blocker_resolved(waited: float | None) -> str:
    if waited is None:
        return "no blocker was resolved"
    return f"none resolved; the oldest open one has waited {waited:.1f} h"


def _noted(value: float | None, note: str) -> tuple[float | None, str | None]:
    return value, None if value is not None else note


def _team_target(data: PeriodData, kpi: str) -> float | None:
    target = data.targets.get(kpi)
    if target is None:
        return None
    value = period_target(target, since=data.since, until=data.until, workdays=data.rhythm.workdays)
    if kpi == WEIGHTED_THROUGHPUT:
        # The team's throughput target is the per-person one times the people who worked at least one day.
        working = sum(1 for u in data.user_ids if any(d.working for d in data.days.get(u, [])))
        return value * working
    return value


def figures_of(data: PeriodData, *, now: datetime,
               previous: Mapping[int | None, Mapping[str, float | None]] | None = None) -> Figures:
    """The period's :class:`Figures` from its data (pure). ``previous``: the previous period's values, {None: the
    team's {KPI: value}, user id: theirs} (missing: unknown)."""
    previous = previous or {}

    def figure(kpi: str, value: float | None, note: str | None, target: float | None, who: int | None) -> Figure:
        bound = open_blocker_bound(data, who, now) if kpi == BLOCKER_RESOLUTION_HOURS and value is None else None
        return Figure(kpi=kpi, value=value, unit=UNITS[kpi], target=target,
                      previous=(previous.get(who) or {}).get(kpi), note=note, bound=bound)

    team = {kpi: figure(kpi, v, n, _team_target(data, kpi), None) for kpi, (v, n) in _values(data, None, now).items()}
    people: dict[int, dict[str, Figure]] = {}
    out: dict[int, list[date]] = {}
    for user_id in data.user_ids:
        ramp = data.ramp_ups.get(user_id)
        people[user_id] = {
            kpi: figure(kpi, v, n, personal_target(data.targets.get(kpi), ramp, since=data.since, until=data.until,
                                                   workdays=data.rhythm.workdays), user_id)
            for kpi, (v, n) in _values(data, user_id, now).items()}
        away = out_days(data.days.get(user_id, []))
        if away:
            out[user_id] = away
    return Figures(period_start=data.since, period_end=data.until, team=team, people=people, out=out)


# ---------------------------------------------------------------- loaders

async def targets(conn: psycopg.AsyncConnection, org_id: int) -> dict[str, Target]:
    """The organization's targets, by KPI name (only the ones set)."""
    rows = await (await conn.execute(Q["kpi_targets"], {"organization_id": org_id})).fetchall()
    return {r[0]: Target(r[0], float(r[1]), r[2]) for r in rows}


async def people_of(conn: psycopg.AsyncConnection, org_id: int, since: date, until: date, tz: str) -> list[int]:
    """The ids of the people a period's figures are about: active members at some point of it (active now, or
    deactivated on or after its first day) who had joined by its end."""
    since_at, until_at = period_instants(since, until, tz)
    rows = await (await conn.execute(Q["kpi_people"], {"organization_id": org_id, "since_at": since_at,
                                                       "until_at": until_at})).fetchall()
    return [int(r[0]) for r in rows]


async def load(conn: psycopg.AsyncConnection, org_id: int, *, since: date, until: date,
               user_ids: Sequence[int] | None = None, rhythm: Rhythm | None = None) -> PeriodData:
    """Read everything the formulas need for [``since``, ``until``] (team dates, inclusive) about ``user_ids`` (None:
    :func:`people_of`) of organization ``org_id``. Checklist and SOP compliance are read for the whole organization
    when ``user_ids`` is None (rows of people who left count for the team), else for those people's rows (and the
    deploys' SOP records, which have no person, when one of them was expected at the deploy: tester16 F8). Raises
    NotFound when the organization has no settings."""
    rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
    tz = rhythm.timezone
    ids = sorted(set(user_ids)) if user_ids is not None else await people_of(conn, org_id, since, until, tz)
    data = PeriodData(since=since, until=until, rhythm=rhythm, user_ids=ids, targets=await targets(conn, org_id))
    since_at, until_at = period_instants(since, until, tz)
    params: dict[str, Any] = {"organization_id": org_id, "user_ids": ids, "since": since, "until": until,
                              "since_at": since_at, "until_at": until_at, "tz": tz}

    async def rows(name: str) -> list[Any]:
        return list(await (await conn.execute(Q[name], params)).fetchall())

    if ids:
        data.days = await attendance.asked_days(conn, org_id, ids, since, until, rhythm=rhythm)
        data.calendar_people = await attendance.people(conn, org_id, ids, since - timedelta(days=31),
                                                       until + attendance.LOCAL_DAY_SLACK)
        data.ramp_ups = await attendance.ramp_ups(conn, org_id, ids, since, until)
    data.due = [DueTask(r[0], r[2], r[3], r[4]) for r in await rows("kpi_tasks_due")]
    data.done = [DoneTask(r[0], int(r[1]), r[2]) for r in await rows("kpi_tasks_done")]
    data.closes = [TaskClose(r[0], r[1], r[2]) for r in await rows("kpi_task_closes")]
    data.blockers = [ResolvedBlocker(int(r[0]), r[1], r[2]) for r in await rows("kpi_blockers_resolved")]
    data.open_blockers = [OpenBlocker(int(r[0]), r[1]) for r in await rows("kpi_blockers_open")]
    data.mood = [MoodEntry(int(r[0]), r[1], int(r[2])) for r in await rows("kpi_mood")]
    exists = (await rows("kpi_checklists_exist"))[0]
    data.checklists_exist, data.sops_exist = bool(exists[0]), bool(exists[1])
    wanted = set(ids)

    def ours(user_id: int | None) -> bool:  # some people's figures (a manager's team): only their rows
        return user_ids is None or user_id in wanted

    data.checklists = [ChecklistSent(r[0], r[1], r[2], r[3]) for r in await rows("kpi_checklist_completions") if ours(r[0])]
    sops = [SopRecord(r[0], bool(r[1]), sop_members(r[2])) for r in await rows("kpi_sop_records")]
    data.sops = [r for r in sops if user_ids is None or r.concerns(wanted)]
    data.credited = [c.user_id for c in await credited_interventions(conn, org_id, since_at, until_at)
                     if c.user_id in wanted]
    data.recognised = [int(r[0]) for r in await rows("kpi_reinforcements")]
    return data


async def snapshot_values(conn: psycopg.AsyncConnection, org_id: int, kind: PeriodKind,
                          period_start: date) -> dict[int | None, dict[str, float | None]]:
    """The stored snapshot of one period: {None: the team's {KPI: value}, user id: theirs}; empty when none."""
    rows = await (await conn.execute(Q["kpi_snapshots_of_period"], {
        "organization_id": org_id, "period": kind, "period_start": period_start})).fetchall()
    return {(int(r[0]) if r[0] is not None else None): dict(r[1]) for r in rows}


async def compute(conn: psycopg.AsyncConnection, org_id: int, *, since: date, until: date, now: datetime,
                  user_ids: Sequence[int] | None = None) -> Figures:
    """The figures of [``since``, ``until``] (team dates, inclusive) at ``now`` (aware) for ``user_ids`` (None: the
    people of the period, :func:`people_of`). Each figure's ``previous`` comes from the previous period's snapshot
    (``kpi_snapshots``) when there is one, else from computing that period the same way (none when nobody was
    asked for an update in it: a first period has nothing to compare with); for ``user_ids`` (a part of
    the organization, such as a manager's team) the team's previous value is always computed for those people (the
    stored team row is the whole organization's). Raises NotFound when the
    organization has no settings, ValueError when ``until`` is before ``since``."""
    if until < since:
        raise ValueError(f"period ends ({until}) before it starts ({since})")
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    data = await load(conn, org_id, since=since, until=until, user_ids=user_ids, rhythm=rhythm)
    before_since, before_until = previous_period(since, until)
    kind = period_kind(before_since, before_until)
    stored = await snapshot_values(conn, org_id, kind, before_since) if kind is not None else {}
    if user_ids is not None:  # a part of the organization (a manager's team): the stored team row is not theirs
        stored.pop(None, None)
    if None in stored and all(u in stored for u in data.user_ids):
        previous: Mapping[int | None, Mapping[str, float | None]] = stored
    else:
        earlier = await load(conn, org_id, since=before_since, until=before_until, user_ids=data.user_ids,
                             rhythm=rhythm)
        if any(d.asked for days in earlier.days.values() for d in days):
            computed = figures_of(earlier, now=now)
            previous = {None: computed.metrics(), **{u: computed.metrics(u) for u in computed.people}, **stored}
        else:  # nobody was asked then (before the first thread): no previous value, not zeros
            previous = stored
    return figures_of(data, now=now, previous=previous)


async def trend(conn: psycopg.AsyncConnection, org_id: int, *, user_id: int | None, periods: int = 8,
                until: date) -> list[tuple[date, dict[str, float | None]]]:
    """The last ``periods`` weekly snapshots (``kpi_snapshots`` only: nothing is recomputed) of the team (``user_id``
    None) or one person, for the weeks starting on or before the week holding ``until``: [(Monday, {KPI: value})],
    oldest first. Weeks without a snapshot are left out (the kpi-snapshot job back-fills gaps)."""
    last_monday = week_of(until)[0]
    rows = await (await conn.execute(Q["kpi_snapshot_rows"], {
        "organization_id": org_id, "period": "weekly", "user_id": user_id,
        "since": last_monday - timedelta(weeks=periods - 1), "until": last_monday})).fetchall()
    return [(r[0], dict(r[2])) for r in rows]


async def mean_trend(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], *, periods: int = 8,
                     until: date) -> list[tuple[date, dict[str, float | None]]]:
    """A group's trend from its people's weekly snapshots (:func:`trend` of each): per week the mean of their values
    (weighted throughput: the sum), oldest first; weeks none of them has a snapshot for are left out."""
    by_week: dict[date, dict[str, list[float]]] = {}
    for user_id in user_ids:
        for start, values in await trend(conn, org_id, user_id=user_id, periods=periods, until=until):
            week = by_week.setdefault(start, {})
            for kpi, value in values.items():
                if value is not None:
                    week.setdefault(kpi, []).append(float(value))
    return [(start, {k: (sum(v) if k == "weighted_throughput" else sum(v) / len(v)) for k, v in week.items()})
            for start, week in sorted(by_week.items())]
