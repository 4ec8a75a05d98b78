"""Weekly KPI snapshots (SPEC F14; issue 15): the ``kpi-snapshot`` job's rules. Reports read trends from
``kpi_snapshots`` (bot/services/kpis.py :func:`~bot.services.kpis.trend`), never by recomputing history, so each
organization gets one row per week for the team (``user_id`` NULL) and one per person, written once.

When: a week (Monday..Sunday on the team's clock) is snapshotted from :data:`SNAPSHOT_TIME` on the Monday after it
(:func:`snapshot_due_at`), once every person's days of it have closed, each in their own zone: a day closes at its
midnight, or later when its check-in was held by quiet hours, a weekend or a leave (bot/services/calendar.py), and
day-close records that on ``day_plan_items.closed_at``. While any plan item of the week is still open the week
waits, at most :data:`STRAGGLER_WAIT` past its due time (a leave can hold someone's last check-in for weeks; after
that the week is taken with what is known). A report job may also call :func:`ensure_week` first, for a report time
set earlier than that.

Which weeks: none before the organization's first posted morning thread (its first activity: ``created_at`` is the
real clock, not the simulated one, so it is not used), and a person's row only from the week they were first asked
(the first thread whose participants include them). Weeks with no thread hold no data, not zeros.

Idempotent per week: rows are inserted with ON CONFLICT DO NOTHING (``kpi_snapshots_org_user_period_key``): a
snapshot records what was known when it was taken and is never rewritten. Gaps are filled: each run takes every
complete week of the last :data:`BACKFILL_WEEKS` that has no team row yet, oldest first, so
``steward jobs run kpi-snapshot --now T`` with a past ``T`` back-fills the weeks before ``T`` (at most 12).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.services import calendar as people_calendar
from bot.services import kpis, standup_settings
from bot.services.calendar import CHECKIN_ANSWER_WINDOW, Rhythm
from db.queries import Q

# The Monday wall time (team's clock) from which the week before is snapshotted: after every day of it closed (a held
# check-in keeps a day open CHECKIN_ANSWER_WINDOW, 4 h, past its midnight), an hour's margin, before the morning.
SNAPSHOT_TIME = time(int(CHECKIN_ANSWER_WINDOW.total_seconds() // 3600) + 1, 0)
# How many weeks back a run fills missing snapshots (the back-fill; a longer outage needs --now runs).
BACKFILL_WEEKS = 12
# How long past its due time a week waits for days still open (a held check-in) before it is taken anyway.
STRAGGLER_WAIT = timedelta(days=7)
PERIOD = "weekly"


def snapshot_due_at(rhythm: Rhythm, monday: date) -> datetime:
    """When the week starting ``monday`` may be snapshotted: :data:`SNAPSHOT_TIME` on the next Monday, on the team's
    clock (the organization's timezone), as a UTC instant."""
    return people_calendar.at_local(monday + timedelta(days=7), SNAPSHOT_TIME, rhythm.timezone)


def due_weeks(rhythm: Rhythm, now: datetime, *, weeks: int = BACKFILL_WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` complete weeks whose snapshot is due at ``now`` (aware), oldest first."""
    monday = kpis.week_of(people_calendar.local_date(now, rhythm.timezone))[0]
    latest = monday - timedelta(days=7)
    if now < snapshot_due_at(rhythm, latest):
        latest -= timedelta(days=7)
    return [latest - timedelta(days=7 * i) for i in reversed(range(weeks))]


async def first_asked(conn: psycopg.AsyncConnection, org_id: int) -> dict[int | None, date]:
    """The date of the first posted morning thread of organization ``org_id`` (key None) and of each person (the
    first thread whose participants include them). Empty when no thread was ever posted."""
    rows = await (await conn.execute(Q["kpi_snapshot_first_threads"], {"organization_id": org_id})).fetchall()
    return {r[0]: r[1] for r in rows if r[1] is not None}


async def open_days(conn: psycopg.AsyncConnection, org_id: int, monday: date) -> list[date]:
    """The dates of the week starting ``monday`` on which someone's day is still open (not closed by day-close)."""
    rows = await (await conn.execute(Q["kpi_snapshot_open_days"], {
        "organization_id": org_id, "since": monday, "until": monday + timedelta(days=6)})).fetchall()
    return [r[0] for r in rows]


async def weeks_taken(conn: psycopg.AsyncConnection, org_id: int, since: date, until: date) -> set[date]:
    """The Mondays in [``since``, ``until``] whose team snapshot exists."""
    rows = await (await conn.execute(Q["kpi_snapshot_weeks_taken"], {
        "organization_id": org_id, "since": since, "until": until})).fetchall()
    return {r[0] for r in rows}


def _stored(metrics: dict[str, float | None]) -> Jsonb:
    return Jsonb({k: (round(v, 6) if v is not None else None) for k, v in metrics.items()})


async def take_week(conn: psycopg.AsyncConnection, org_id: int, monday: date, now: datetime, *,
                    rhythm: Rhythm | None = None) -> int:
    """Snapshot the week starting ``monday`` for organization ``org_id``: the team's row and one per person of the
    week (:func:`bot.services.kpis.people_of`) who had been asked by its end (:func:`first_asked`), computed at
    ``now``. Nothing before the organization's first thread. One transaction; returns how many rows were written (0
    when they all existed or the week is before any thread)."""
    rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
    sunday = monday + timedelta(days=6)
    first = await first_asked(conn, org_id)
    if first.get(None) is None or first[None] > sunday:
        return 0
    data = await kpis.load(conn, org_id, since=monday, until=sunday, rhythm=rhythm)
    figures = kpis.figures_of(data, now=now)
    people = [u for u in figures.people if u in first and first[u] <= sunday]
    written = 0
    async with conn.transaction():
        for user_id in [None, *people]:
            row = await (await conn.execute(Q["kpi_snapshot_insert"], {
                "organization_id": org_id, "user_id": user_id, "period": PERIOD, "period_start": monday,
                "period_end": sunday, "metrics": _stored(figures.metrics(user_id)), "now": now})).fetchone()
            written += row is not None
    return written


async def ensure_week(conn: psycopg.AsyncConnection, org_id: int, monday: date, now: datetime) -> int:
    """Snapshot the week starting ``monday`` unless its team row exists (for a report job that runs before the
    kpi-snapshot job's time). Returns the rows written."""
    if await weeks_taken(conn, org_id, monday, monday):
        return 0
    return await take_week(conn, org_id, monday, now)


async def take_due(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> dict[str, Any]:
    """Snapshot every due week of the last :data:`BACKFILL_WEEKS` (:func:`due_weeks`) that has no team row yet, from
    the organization's first thread on, oldest first; a week with a day still open for someone waits (see the module
    notes). Returns {"weeks": how many weeks were snapshotted, "rows": rows written, "waiting": weeks left for a
    later run because someone's day of them is still open}."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    first = (await first_asked(conn, org_id)).get(None)
    if first is None:
        return {"weeks": 0, "rows": 0, "waiting": 0}
    wanted = [m for m in due_weeks(rhythm, now) if m + timedelta(days=6) >= first]
    if not wanted:
        return {"weeks": 0, "rows": 0, "waiting": 0}
    taken = await weeks_taken(conn, org_id, wanted[0], wanted[-1])
    weeks = rows = waiting = 0
    for monday in (m for m in wanted if m not in taken):
        if await open_days(conn, org_id, monday) and now < snapshot_due_at(rhythm, monday) + STRAGGLER_WAIT:
            waiting += 1
            continue
        weeks += 1
        rows += await take_week(conn, org_id, monday, now, rhythm=rhythm)
    return {"weeks": weeks, "rows": rows, "waiting": waiting}
