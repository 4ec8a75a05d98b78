"""What each page of the manager dashboard shows (issue 17, SPEC F18), read for one viewer. No HTML here.

Scope (SPEC F17, README "Who may see and do what"): an admin sees the organization (every active person); a
manager sees the people below them in the reporting line (their reports, and their reports' reports), never
anyone else; a member is never a viewer (bot/services/dashboard_auth.py refuses them). Every query is scoped to the
viewer's organization and, within it, to :func:`scope` — a person id from a URL outside it is :class:`NotFound`, as
if it did not exist, and logged by the caller. Mood is only ever a weekly aggregate of at least
:data:`~bot.services.rhythm.MIN_AGGREGATE_PEOPLE` people; a private inquiry shows that it exists, its status and
size, never its words; the security log is the admins'.

``now`` is an aware instant; "today" is the organization's date (its standup rhythm's time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from bot.errors import NotFound
from bot.services import (
    action_items,
    blockers,
    calendar,
    escalations,
    flags,
    kpis,
    ladders,
    overdue,
    standup_settings,
    standup_threads,
)
from bot.services import rhythm as rules
from bot.services.action_items import Item
from bot.services.blockers import Blocker
from bot.services.flags import Flag
from bot.services.overdue import OverdueTask
from bot.services.report_figures import LABELS, MAIN_KPIS, fmt
from bot.services.tasks import BOARD_DONE_DAYS
from db.queries import Q
from db.repos.tasks import stages
from db.repos.users import active_users, users_by_ids
from db.rows import Stage, User

KPI_PERIODS = 12
"""Weeks the KPI page shows (issue 17: "8–12 periods"); the chart draws the same weeks."""
MOOD_WEEKS = 12
BOARD_LIMIT = 500
"""The most tasks the board lists (the oldest open ones first); a team past it is told so."""
SECURITY_LIMIT = 200
INQUIRY_LIMIT = 200
THREAT_LEVELS = ("none", "low", "medium", "high", "critical")
SECURITY_FILTERS = ("permission_denied", "prompt_injection")
"""Event types the security page offers first (issue 17); any type the organization has is offered too."""


async def scope(conn: psycopg.AsyncConnection, org_id: int, viewer: User) -> list[User]:
    """The people ``viewer`` may see on the dashboard, by display name: an admin everyone active in the
    organization, a manager the active people below them. Empty for anyone else."""
    if viewer.is_admin:
        people = await active_users(conn, org_id)
    elif viewer.role == "manager":
        below = await flags.people_below(conn, org_id, viewer.id)
        people = [u for u in await users_by_ids(conn, org_id, sorted(below)) if u.active] if below else []
    else:
        people = []
    return sorted(people, key=lambda u: (u.display_name.lower(), u.id))


async def zone_of(conn: psycopg.AsyncConnection, org_id: int) -> str:
    """The organization's time zone (IANA name): its standup rhythm's, the zone of the overview's "today"; UTC for
    an organization without settings yet."""
    try:
        return (await standup_settings.rhythm_of(conn, org_id)).timezone
    except NotFound:
        return "UTC"


def person_in(people: Sequence[User], person_id: int) -> User:
    """The person ``person_id`` of ``people`` (the viewer's scope); NotFound when outside it."""
    for person in people:
        if person.id == person_id:
            return person
    raise NotFound("There is no such person on your dashboard.")


# ---------------------------------------------------------------- overview

@dataclass(frozen=True)
class PersonToday:
    user: User
    posted: bool | None  # None: no standup thread today, so nobody was asked yet
    out: str | None
    blockers: int
    overdue: int
    flags: int


@dataclass(frozen=True)
class Overview:
    today: date
    thread_up: bool
    people: list[PersonToday]
    blockers: list[Blocker]  # oldest first
    blocker_ladder_len: int
    overdue: list[OverdueTask]
    overdue_ladder_len: dict[int | None, int]
    flags: list[Flag]
    names: dict[int, str]


async def overview(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User],
                   now: datetime) -> Overview:
    """The team today: who posted their update, who is out, open blockers (oldest first, with their rung), overdue
    tasks and open flags of ``people`` (the viewer's :func:`scope`)."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    today = calendar.local_date(now, rhythm.timezone)
    thread = await standup_threads.posted_thread_for(conn, org_id, today)
    posted = await standup_threads.submitter_ids(conn, thread) if thread is not None else set()
    ids = {u.id for u in people}
    open_blockers = [b for b in await blockers.visible(conn, org_id, viewer) if b.user_id in ids]
    open_flags = [f for f in await flags.visible(conn, org_id, viewer, now, open_only=True) if f.user_id in ids]
    loaded = await escalations.load_people(conn, org_id, rhythm, ids, now) if ids else None
    late = await overdue.overdue_of(conn, org_id, rhythm, loaded.persons, sorted(ids), now) if loaded else []
    org_ladders = await ladders.ladders_of(conn, org_id)
    _default, own = await ladders.overdue_ladders(conn, org_id)
    rows = [PersonToday(u, (u.id in posted) if thread is not None else None,
                        escalations.out_today(loaded, u, now) if loaded else None,
                        sum(1 for b in open_blockers if b.user_id == u.id),
                        sum(1 for t in late if t.user_id == u.id),
                        sum(1 for f in open_flags if f.user_id == u.id)) for u in people]
    lens = {t.project_id: len(overdue.ladder_for(org_ladders.overdue, own, t.project_id)) for t in late}
    return Overview(today, thread is not None, rows, sorted(open_blockers, key=lambda b: b.created_at),
                    len(org_ladders.blocker), late, lens, open_flags, {u.id: u.display_name for u in people})


def age(since: datetime, now: datetime) -> str:
    """How long ago ``since`` was, in words: "3 days", "5 hours", "12 minutes"."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "just now"


# ---------------------------------------------------------------- KPIs

@dataclass(frozen=True)
class KpiRow:
    kpi: str
    label: str
    target: str
    values: list[str]  # one per week, oldest first


@dataclass(frozen=True)
class KpiTable:
    weeks: list[date]
    rows: list[KpiRow]
    trend: list[tuple[date, dict[str, float | None]]] = field(default_factory=list)


async def kpi_trend(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User], *,
                    person: User | None, until: date) -> list[tuple[date, dict[str, float | None]]]:
    """The last :data:`KPI_PERIODS` weekly snapshots (``kpi_snapshots``) of one ``person`` or, with None, of the
    viewer's team: an admin's is the organization's own snapshots; a manager's the mean of their people's values
    per week (throughput: the sum), as a manager's report charts it (bot/services/reports.py ``team_trend``)."""
    if person is not None:
        return await kpis.trend(conn, org_id, user_id=person.id, periods=KPI_PERIODS, until=until)
    if viewer.is_admin:
        return await kpis.trend(conn, org_id, user_id=None, periods=KPI_PERIODS, until=until)
    return await kpis.mean_trend(conn, org_id, [u.id for u in people], periods=KPI_PERIODS, until=until)


async def kpi_table(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User], *,
                    person: User | None, now: datetime) -> KpiTable:
    """The main KPIs week by week against the organization's current targets (``kpi_targets`` keep no history)."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    trend = await kpi_trend(conn, org_id, viewer, people, person=person,
                            until=calendar.local_date(now, rhythm.timezone))
    targets = await kpis.targets(conn, org_id)
    rows = [KpiRow(k, LABELS.get(k, k), fmt(k, targets[k].value) if k in targets else "—",
                   [fmt(k, values.get(k)) if values.get(k) is not None else "—" for _, values in trend])
            for k in MAIN_KPIS]
    return KpiTable([week for week, _ in trend], rows, trend)


async def targets_of(conn: psycopg.AsyncConnection, org_id: int) -> dict[str, float | None]:
    return {k: t.value for k, t in (await kpis.targets(conn, org_id)).items()}


# ---------------------------------------------------------------- mood

@dataclass(frozen=True)
class MoodWeek:
    week: date
    people: int  # never shown on a page (with the average it would let a manager work out one person's answer)
    average: float | None  # None: fewer than MIN_AGGREGATE_PEOPLE answered (never computed outside the database)


WEEK_CLOSES_AFTER = timedelta(days=7, hours=12)
"""A week (Monday 00:00 UTC as a date) closes this long after its Monday's midnight UTC: Monday 12:00 UTC, when its
Sunday has ended in the last time zone (UTC-12), so every person's own Sunday is over (tester17 findings 3 and 8)."""


def last_closed_week(now: datetime) -> date:
    """The Monday of the newest week that is closed at ``now`` (aware): its Sunday has ended everywhere."""
    last_zone_today = (now.astimezone(UTC) - timedelta(hours=12)).date()  # the date in UTC-12
    return last_zone_today - timedelta(days=last_zone_today.weekday(), weeks=1)


async def mood_weeks(conn: psycopg.AsyncConnection, org_id: int, people: Sequence[User], now: datetime) -> list[MoodWeek]:
    """The team's mood per closed week for the last :data:`MOOD_WEEKS` closed weeks: how many of ``people``
    answered and the average of each one's weekly mean, only where at least
    :data:`~bot.services.rhythm.MIN_AGGREGATE_PEOPLE` did. Never a person's entry; never the current week, whose
    figure would change with each answer and so give away the latest one (SPEC F8; tester17 finding 3). A week
    counts each person's answers by their own date (``mood_entries.local_date``), all of them, as recorded until
    the week closed (:func:`last_closed_week`)."""
    if not people:
        return []
    newest = last_closed_week(now)
    rows = await (await conn.execute(Q["dashboard_mood_weeks"], {
        "organization_id": org_id, "user_ids": [u.id for u in people], "min_people": rules.MIN_AGGREGATE_PEOPLE,
        "since": newest - timedelta(weeks=MOOD_WEEKS - 1), "until": newest + timedelta(days=6)})).fetchall()
    return [MoodWeek(r[0], int(r[1]), None if r[2] is None else float(r[2])) for r in rows]


# ---------------------------------------------------------------- flags and inquiries

@dataclass(frozen=True)
class InquiryRow:
    id: int
    flag_id: int | None
    user_id: int
    opened_by: int | None
    status: str
    created_at: datetime
    closed_at: datetime | None
    messages: int


async def flags_and_inquiries(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User],
                              now: datetime) -> tuple[list[Flag], list[InquiryRow]]:
    """The flags about ``people`` the viewer may see (open ones, then those closed recently: bot/services/flags.py
    ``visible``) and the private inquiries about them: status and number of messages, never their words."""
    ids = {u.id for u in people}
    shown = [f for f in await flags.visible(conn, org_id, viewer, now) if f.user_id in ids]
    rows = await (await conn.execute(Q["dashboard_inquiries"], {
        "organization_id": org_id, "user_ids": sorted(ids), "limit": INQUIRY_LIMIT})).fetchall() if ids else []
    return shown, [InquiryRow(*r) for r in rows]


# ---------------------------------------------------------------- security events

@dataclass(frozen=True)
class SecurityEvent:
    id: int
    created_at: datetime
    event_type: str
    threat_level: str
    description: str | None
    external_user_id: str | None
    person: str | None
    address: str | None


@dataclass(frozen=True)
class SecurityPage:
    events: list[SecurityEvent]
    kinds: list[str]
    total: int  # events matching the filter, on every page
    page: int  # from 1
    pages: int


SECURITY_PAGES_MAX = 10_000
"""The highest page number read (an offset past it is refused by the caller as an unknown page)."""


async def security_events(conn: psycopg.AsyncConnection, org_id: int, *, event_type: str | None,
                          threat_level: str | None, page: int = 1) -> SecurityPage:
    """One page (:data:`SECURITY_LIMIT` events, newest first, ``page`` from 1) of the organization's security events,
    of one event type and one threat level when given; how many match in all; and the event types there are to
    filter by. The caller checks the viewer is an admin."""
    rows = await (await conn.execute(Q["dashboard_security_events"], {
        "organization_id": org_id, "event_type": event_type, "threat_level": threat_level,
        "limit": SECURITY_LIMIT, "offset": (page - 1) * SECURITY_LIMIT})).fetchall()
    kinds = [r[0] for r in await (await conn.execute(Q["dashboard_security_event_types"],
                                                      {"organization_id": org_id})).fetchall()]
    offered = list(SECURITY_FILTERS) + [k for k in kinds if k not in SECURITY_FILTERS]
    total = int(rows[0][8]) if rows else 0
    return SecurityPage([SecurityEvent(*r[:8]) for r in rows], offered, total, page,
                        max(1, -(-total // SECURITY_LIMIT)))


# ---------------------------------------------------------------- the board

@dataclass(frozen=True)
class BoardTask:
    id: int
    display_id: str
    title: str
    status: str
    stage_id: int | None
    user_id: int | None
    owner_name: str | None
    owner_manager_id: int | None
    due_date: date | None
    movable: bool = False


@dataclass(frozen=True)
class Column:
    stage: Stage
    tasks: list[BoardTask]


@dataclass(frozen=True)
class Board:
    columns: list[Column]
    full: bool  # BOARD_LIMIT tasks were read: there may be more


def may_move(viewer: User, task: BoardTask) -> bool:
    """The task rule (bot/services/tasks.py ``require_can_change``): admins any task, a manager their own and their
    direct reports'."""
    return viewer.is_admin or task.user_id == viewer.id or (viewer.role == "manager" and task.owner_manager_id == viewer.id)


async def board(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User],
                now: datetime) -> Board:
    """The pipeline's stages in order, each with its open tasks (and, in the done stage, those done in the last
    ``BOARD_DONE_DAYS`` days) of ``people`` and the viewer (an admin: every task of the organization). A task with
    no stage shows in the first stage that is not done, as `/board` shows it."""
    all_stages = await stages(conn, org_id)
    user_ids = None if viewer.is_admin else sorted({u.id for u in people} | {viewer.id})
    rows = await (await conn.execute(Q["dashboard_board_tasks"], {
        "organization_id": org_id, "user_ids": user_ids, "done_since": now - timedelta(days=BOARD_DONE_DAYS),
        "limit": BOARD_LIMIT})).fetchall()
    tasks = [replace(t, movable=may_move(viewer, t)) for t in (BoardTask(*r) for r in rows)]
    first_open = next((s for s in all_stages if not s.is_done_stage), None)
    done_stage = next((s for s in all_stages if s.is_done_stage), None)

    def column_of(task: BoardTask) -> int | None:
        if task.status == "done" and done_stage is not None:
            return done_stage.id
        if task.stage_id is not None:
            return task.stage_id
        return first_open.id if first_open else None

    return Board([Column(s, [t for t in tasks if column_of(t) == s.id]) for s in all_stages], len(rows) >= BOARD_LIMIT)


async def board_task(conn: psycopg.AsyncConnection, org_id: int, viewer: User, people: Sequence[User],
                     task_id: int, now: datetime) -> BoardTask:
    """The task ``task_id`` as the viewer's board shows it; NotFound when it is not on their board (another
    organization's, or a person's outside their scope): nothing says whether it exists."""
    for column in (await board(conn, org_id, viewer, people, now)).columns:
        for task in column.tasks:
            if task.id == task_id:
                return task
    raise NotFound("That task is not on your board (it may have been moved or dropped).")


# ---------------------------------------------------------------- action items

async def open_action_items(conn: psycopg.AsyncConnection, org_id: int, viewer: User,
                            people: Sequence[User]) -> list[Item]:
    """Open action items: an admin the organization's; a manager's own and their people's."""
    if viewer.is_admin:
        return await action_items.open_items(conn, org_id, None)
    return await action_items.open_items(conn, org_id, [viewer.id, *(u.id for u in people)])


def names_of(people: Sequence[User], viewer: User) -> dict[int, str]:
    return {viewer.id: viewer.display_name, **{u.id: u.display_name for u in people}}


def audit_details(page: str, people: Sequence[User], **extra: Any) -> dict[str, Any]:
    """What an ``audit_logs`` row of a page view says: the page and whose data it showed (ids)."""
    return {"page": page, "people": [u.id for u in people], **extra}
