"""The manager's view of their team today, and everyone's own loose ends (issue 13: App Home).

:func:`team_today` gathers what a manager's App Home shows about the people who report to them: who has posted
today's standup update, who is out (and until when), the open blockers of everyone below them in the reporting
line (age and rung), their reports' overdue tasks, and the open flags about people below them. :func:`my_items`
gathers a person's own open blockers (blocked, or owner of record) and overdue tasks. Both read only what the
viewer may see (:func:`bot.services.blockers.visible`, :func:`bot.services.flags.visible`); nothing of a private
inquiry's content is read here. ``now`` is an aware instant; "today" is the organization's date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from bot.services import (
    blockers,
    calendar,
    escalations,
    flags,
    ladders,
    overdue,
    standup_settings,
    standup_threads,
    team,
)
from bot.services.blockers import Blocker
from bot.services.escalations import People
from bot.services.flags import Flag
from bot.services.overdue import OverdueTask
from db.rows import User


@dataclass(frozen=True)
class TeamToday:
    """One manager's team today. ``posted`` / ``out`` are user ids (``out`` with why, in words); ``thread_up`` says
    whether today's standup thread is posted (else nobody is expected to have posted); ladder lengths give a
    blocker's or a task's rung as "k of n"."""

    reports: list[User]
    thread_up: bool
    posted: set[int]
    out: dict[int, str]
    blockers: list[Blocker]
    overdue: list[OverdueTask]
    flags: list[Flag]
    people: People
    blocker_ladder_len: int
    overdue_ladder_len: dict[int | None, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Mine:
    """A person's own open blockers and overdue tasks."""

    blockers: list[Blocker]
    overdue: list[OverdueTask]
    people: People
    blocker_ladder_len: int
    overdue_ladder_len: dict[int | None, int] = field(default_factory=dict)


async def _ladder_lens(conn: psycopg.AsyncConnection, org_id: int, tasks: list[OverdueTask]) -> tuple[int, dict[int | None, int]]:
    org = await ladders.ladders_of(conn, org_id)
    _default, own = await ladders.overdue_ladders(conn, org_id)
    lens: dict[int | None, int] = {t.project_id: len(overdue.ladder_for(org.overdue, own, t.project_id)) for t in tasks}
    return len(org.blocker), lens


async def team_today(conn: psycopg.AsyncConnection, org_id: int, viewer: User, now: datetime) -> TeamToday | None:
    """The viewer's team today, or None when nobody reports to them."""
    reports = await team.reports_of(conn, org_id, viewer.id)
    if not reports:
        return None
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    thread = await standup_threads.posted_thread_for(conn, org_id, calendar.local_date(now, rhythm.timezone))
    posted = await standup_threads.submitter_ids(conn, thread) if thread is not None else set()
    line = await flags.people_below(conn, org_id, viewer.id)  # an admin's Home shows their own team too, not everyone
    below = [b for b in await blockers.visible(conn, org_id, viewer) if b.user_id in line]
    raised = [f for f in await flags.visible(conn, org_id, viewer, now, open_only=True) if f.user_id in line]
    ids = {u.id for u in reports} | {b.user_id for b in below} | {b.owner_id for b in below if b.owner_id} | {viewer.id}
    people = await escalations.load_people(conn, org_id, rhythm, ids, now)
    late = await overdue.overdue_of(conn, org_id, rhythm, people.persons, [u.id for u in reports], now)
    out = {u.id: why for u in reports if (why := escalations.out_today(people, u, now)) is not None}
    blocker_len, overdue_lens = await _ladder_lens(conn, org_id, late)
    return TeamToday(reports, thread is not None, posted, out, below, late, raised, people, blocker_len, overdue_lens)


async def my_items(conn: psycopg.AsyncConnection, org_id: int, viewer: User, now: datetime) -> Mine:
    """The viewer's own open blockers (blocked, or owner of record) and their overdue tasks. A blocker of someone
    below the viewer that they are on is left out: their team's list (:func:`team_today`) shows it, once."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    line = await flags.people_below(conn, org_id, viewer.id)
    own = [b for b in await blockers.visible(conn, org_id, viewer)
           if viewer.id in (b.user_id, b.owner_id) and b.user_id not in line]
    ids = {viewer.id} | {b.user_id for b in own} | {b.owner_id for b in own if b.owner_id}  # "Lee is on it"
    people = await escalations.load_people(conn, org_id, rhythm, ids, now)
    late = await overdue.overdue_of(conn, org_id, rhythm, people.persons, [viewer.id], now)
    blocker_len, overdue_lens = await _ladder_lens(conn, org_id, late)
    return Mine(own, late, people, blocker_len, overdue_lens)
