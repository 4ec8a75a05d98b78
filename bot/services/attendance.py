"""Attendance: per person and day, did Steward ask for an update, and did the person give one (SPEC F7, section 6).

This is the one place that answers "was this person asked on this day?" for cards (a missed update counts only
on a day Steward asked) and for streaks (an update on every day the person was asked). A person was *asked* on
a thread date when all of these hold:

  * the morning thread of that date was posted: ``morning_threads.status`` posted or closed, with a
    ``thread_ts`` (a thread Slack refused, or one never sent because Steward was down, asked nobody);
  * the person was one of its participants (``participant_ids``: who the thread was for when it was posted);
  * the person was working on their day for that thread (the people calendar, :mod:`bot.services.calendar`:
    not out of office, not a public holiday of theirs, not a Slack status saying away for the whole day;
    with `/steward standup local on` their day may be a later date of their own, and that date is the one read).

Whether they *updated* is what the daily loop counts as the day's update (``thread_submissions.update_dates``,
the column nudges and manager summaries read): a reply in the thread, or an update given by DM or in the
channel for that date. *Ramp-up* is whether their ``user_ramp_up`` range covers their day; it does not change
whether they were asked (they still get the thread), it tells rules such as cards to leave the day out.

Days are thread dates on the team's clock (the organization's timezone). :func:`asked_days` returns one record
per person for every team workday in the range (organization workdays minus organization holidays) and every
other date that had a posted thread, in date order, so "in a row" can be read over the team's working days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from bot.services import absences as absence_sources
from bot.services import calendar, standup_settings, standup_threads
from bot.services.calendar import Rhythm
from db.queries import Q
from db.repos.users import users_by_ids

# A person's own day for a thread can be a later date than the thread's (local clocks: a Friday thread reaching
# Kolkata after hours is their Monday), so absences are read this far past the range.
LOCAL_DAY_SLACK = timedelta(days=7)


@dataclass(frozen=True)
class DayRecord:
    """One person on one thread date (the team's date).

    ``asked``: the thread of that date was posted, they were on it, and they were working (see the module
    notes). ``working``: their day was a workday they were not away on (False on the team's weekends and
    holidays, and on their leave, public holidays and away statuses). ``ramp_up``: their ramp-up covered their
    day. ``updated``: they gave their update for that date. ``permalink``: the thread's permalink when a thread
    was posted for them (None otherwise). ``person_day``: their own date for the thread (the same date on the
    team's clock). ``closes_at``: the midnight ending their day (UTC), after which a missing update is missed.
    ``away``: why they were not working ("vacation", "Good Friday"; None when working or a team day off)."""

    day: date
    asked: bool
    working: bool
    ramp_up: bool
    updated: bool
    permalink: str | None
    person_day: date
    closes_at: datetime
    away: str | None = None
    thread_ts: str | None = None
    channel_id: str | None = None

    @property
    def missed(self) -> bool:
        """Asked, working, not in ramp-up, and no update: the only kind of day a missed-update rule counts (it is
        a miss only once ``closes_at`` has passed; callers compare with their ``now``)."""
        return self.asked and not self.ramp_up and not self.updated


@dataclass(frozen=True)
class RampUp:
    """A person's ramp-up (``user_ramp_up``): their own dates ``starts_on``..``ends_on`` inclusive."""

    user_id: int
    starts_on: date
    ends_on: date
    target_multiplier: float
    cards_enabled: bool

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class _Thread:
    id: int
    channel_id: str
    thread_date: date
    thread_ts: str
    participant_ids: list[int]
    created_at: datetime


async def ramp_ups(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], since: date,
                   until: date) -> dict[int, RampUp]:
    """Per person (Steward user id), their ramp-up when it overlaps [``since``, ``until``] (dates inclusive)."""
    rows = await (await conn.execute(Q["attendance_ramp_ups"], {
        "organization_id": org_id, "user_ids": list(user_ids), "since": since, "until": until})).fetchall()
    return {int(r[0]): RampUp(int(r[0]), r[1], r[2], float(r[3]), bool(r[4])) for r in rows}


async def people(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], first: date,
                 last: date) -> dict[int, calendar.Person]:
    """The people calendar's view of each person (timezone, absences of every source) over [``first``, ``last``]
    (their own dates), as bot/services/ooo.py builds it for the daily jobs but over any range."""
    users = await users_by_ids(conn, org_id, list(user_ids))
    found = await absence_sources.absences(conn, org_id, [u.id for u in users], first, last)
    days: dict[int, list[calendar.Absence]] = {}
    away: dict[int, list[calendar.Away]] = {}
    for a in found:
        reason = a.reason or ("public holiday" if a.source == absence_sources.SOURCE_HOLIDAY else "out of office")
        days.setdefault(a.user_id, []).append(calendar.Absence(a.first, a.last, reason, a.source))
        if a.source == absence_sources.SOURCE_STATUS and a.starts_at is not None:
            away.setdefault(a.user_id, []).append(calendar.Away(a.starts_at, a.ends_at, reason, a.source))
    return {u.id: calendar.Person(timezone=u.timezone, absences=tuple(days.get(u.id, ())), away=tuple(away.get(u.id, ())))
            for u in users}


def records_for(rhythm: Rhythm, person: calendar.Person, user_id: int, days: Sequence[date],
                threads: dict[date, list[_Thread]], updated: set[date], ramp_up: RampUp | None,
                domain: str | None) -> list[DayRecord]:
    """One person's records for ``days`` (thread dates, ascending): pure (see :func:`asked_days`)."""
    out: list[DayRecord] = []
    for day in days:
        posted = threads.get(day, [])
        thread = next((t for t in reversed(posted) if user_id in t.participant_ids), None)
        if thread is not None:
            personal = calendar.day_for(rhythm, person, day, thread.created_at)
            working = personal.expected
            own_day, closes_at = personal.day, personal.close_at
            away = personal.absence.reason if personal.absence is not None else None
        else:
            tz = calendar.clock_zone(rhythm, person)
            own_day, closes_at = day, calendar.end_of_local_day(day, tz)
            absence = calendar.absence_on(person, day)
            working = calendar.is_workday(day, rhythm) and absence is None
            away = absence.reason if absence is not None else None
        out.append(DayRecord(
            day=day, asked=thread is not None and working, working=working,
            ramp_up=ramp_up is not None and ramp_up.covers(own_day), updated=day in updated,
            permalink=standup_threads.permalink(domain, thread.channel_id, thread.thread_ts) if thread else None,
            person_day=own_day, closes_at=closes_at, away=away,
            thread_ts=thread.thread_ts if thread else None, channel_id=thread.channel_id if thread else None))
    return out


async def asked_days(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], since: date, until: date, *,
                     rhythm: Rhythm | None = None) -> dict[int, list[DayRecord]]:
    """Per person (Steward user ids of organization ``org_id``), a :class:`DayRecord` for every team workday in
    [``since``, ``until``] (thread dates on the team's clock, inclusive) and every other date with a posted
    thread, in date order. People the organization does not know are left out. ``rhythm``: the organization's,
    if already read. Raises NotFound when the organization has no settings. Three queries plus absences,
    whatever the number of people (the cards job reads a year for 2,000 people this way: bench/cards.py)."""
    if not user_ids or until < since:
        return {}
    rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
    params = {"organization_id": org_id, "user_ids": list(user_ids), "since": since, "until": until}
    threads: dict[date, list[_Thread]] = {}
    for row in await (await conn.execute(Q["attendance_threads"], params)).fetchall():
        t = _Thread(int(row[0]), row[1], row[2], row[3], list(row[4] or []), row[5])
        threads.setdefault(t.thread_date, []).append(t)
    updates: dict[int, set[date]] = {}
    for user_id, day in await (await conn.execute(Q["attendance_updates"], params)).fetchall():
        updates.setdefault(int(user_id), set()).add(day)
    ramps = await ramp_ups(conn, org_id, user_ids, since, until + LOCAL_DAY_SLACK)
    calendar_people = await people(conn, org_id, user_ids, since, until + LOCAL_DAY_SLACK)
    domain = await standup_threads.team_domain(conn, org_id)
    days = sorted({since + timedelta(days=i) for i in range((until - since).days + 1)
                   if calendar.is_workday(since + timedelta(days=i), rhythm)} | set(threads))
    return {user_id: records_for(rhythm, person, user_id, days, threads, updates.get(user_id, set()),
                                 ramps.get(user_id), domain)
            for user_id, person in calendar_people.items()}
