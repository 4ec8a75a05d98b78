"""Overdue work and its ladder (SPEC F6; issue 13): a task past its due time climbs its project's overdue ladder.

A task is *overdue* from its *due instant* (:func:`due_instant`: its ``due_at`` when a time of day was given, else
the end of its due date, midnight on its owner's clock: "due Friday" is done by the end of Friday, and the day's own
end-of-day check-in asks about it first) until it is done, dropped or given a new date. It
climbs its project's overdue ladder (``projects.overdue_escalation``), else the organization's
(``org_settings.overdue_ladder``), else the default ``0h owner, 1d manager, 3d channel``
(:data:`bot.services.ladders.DEFAULT_OVERDUE`): at the due time the owner is asked (Done / New date / Drop), a
working day later their manager, three working days later the project's channel (else the standup channel) gets
one post listing every overdue task of that project. The waits are the owner's working time
(:func:`bot.services.ladders.next_due`, the people calendar), so their clock pauses on weekends, holidays and
leave; while the owner is out (:func:`bot.services.escalations.out_today`) nothing fires: the task is held until
they are back. Who each rung reaches, and when they can hear it, is :func:`bot.services.escalations.route`'s rule,
shared with the blocker ladder; a person with several rungs due in one sweep gets one DM.

The walk lives on the task (``overdue_*`` columns, sql/migrations/0010): it is for one due date; a new date starts
a new walk (the old one's rungs stay recorded), done or dropped ends it. Each rung is one ``escalation_steps`` row
(``subject_type`` ``task``, ``cycle`` the due date), unique, so it fires once whoever sweeps (two processes,
re-runs, restarts); each fired rung is in ``task_logs`` (``overdue.escalated`` / ``overdue.rung_skipped``).
The job ``escalations`` runs it once a minute per organization, in one sweep with the blocker ladder
(:func:`bot.services.escalation_sweep.sweep`: :func:`start_walks`, then :class:`OverdueClimb`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from bot import slack_markup as markup
from bot.log import get_logger
from bot.parsing.ladders import Ladder
from bot.services import calendar, escalations, ladders, ooo, standup_settings
from bot.services import tasks as task_service
from bot.services.calendar import Person, Rhythm
from bot.services.escalations import People, Step
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import users_by_ids
from db.rows import User

log = get_logger(__name__)

SUBJECT = "task"
KIND_DM = "escalation.overdue"
KIND_CHANNEL = "escalation.overdue_channel"
FLAG_TYPE = "overdue_escalated"  # the flag the ladder's flag rung raises (flags.type)
# An owner away until further notice (a Slack status with no expiry): looked at again this often.
PAUSED_RECHECK = timedelta(hours=6)
# A task seen overdue for the first time later than this after its due instant (created or re-dated into the past,
# or overdue before Steward ran) starts its walk when it is seen, not as if it had been climbing all along: its
# rungs are not fired in a burst. Within this, a missed sweep (a restart) is caught up on the real walk.
CATCH_UP = timedelta(hours=1)
# How far a calendar date can run ahead of UTC's (UTC+14): a task due "tomorrow" in UTC may be due today somewhere.
_DATE_AHEAD = timedelta(days=1)
# At most this many overdue tasks are read for one grouped channel post, or one App Home.
LIST_LIMIT = 200


@dataclass(frozen=True)
class OverdueTask:
    """An open task with a due date and its walk (``overdue_due`` / ``overdue_open_of`` in sql/queries/overdue.sql)."""

    id: int
    organization_id: int
    display_id: str
    title: str
    status: str
    user_id: int
    project_id: int | None
    due_date: date
    due_at: datetime | None
    overdue_due_date: date | None
    overdue_due_at: datetime | None
    overdue_anchor_at: datetime | None
    overdue_level: int
    overdue_next_at: datetime | None
    overdue_last_at: datetime | None
    project_name: str | None
    project_channel_id: str | None
    owner_slack_id: str

    @property
    def cycle(self) -> str:
        """The due date its walk is for, as ``escalation_steps.cycle`` records it (a time of day in UTC when given)."""
        return cycle_of(self.due_date, self.due_at)

    @property
    def walking(self) -> bool:
        """Whether its walk is for its current due date (else ``overdue_level`` counts an older date's rungs)."""
        return self.overdue_due_date == self.due_date and self.overdue_due_at == self.due_at


def cycle_of(due_date: date, due_at: datetime | None) -> str:
    return due_date.isoformat() + (f"@{due_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}" if due_at is not None else "")


def due_instant(rhythm: Rhythm, person: Person, due_date: date, due_at: datetime | None) -> datetime:
    """When a task falls due: ``due_at`` (aware) when a time of day was given, else the end of ``due_date`` (the
    midnight that ends it) on the owner's clock (the team's, or theirs with local time on: :func:`calendar.clock_zone`).
    The owner is then asked when they can next be reached (their quiet hours, weekend or leave wait), and the waits
    that follow count from the next working morning."""
    if due_at is not None:
        return due_at
    return calendar.end_of_local_day(due_date, calendar.clock_zone(rhythm, person))


def horizon_of(now: datetime) -> date:
    """The latest due date that can have fallen due by ``now`` anywhere (UTC's date and one day ahead)."""
    return (now.astimezone(UTC) + _DATE_AHEAD).date()


def ladder_for(org_ladder: Ladder, own: dict[int, Ladder], project_id: int | None) -> Ladder:
    """A task's overdue ladder: its project's own, else the organization's."""
    return own.get(project_id, org_ladder) if project_id is not None else org_ladder


@dataclass
class OverdueResult:
    """What one sweep of one organization did with overdue work: walks started (tasks that fell due), rungs fired
    (by action), skipped (with why), waiting for a recipient, held (the owner out), moved (the due time changed)."""

    started: int = 0
    fired: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    waiting: int = 0
    held: int = 0
    moved: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Flat counts, as a job summary reads them (jobs/summaries.py), every key starting ``overdue_``; counts of
        nothing are left out (the job's result then reads as the blocker ladder's alone)."""
        counts = {**{f"to_{action}": n for action, n in self.fired.items()}, "rungs_skipped": self.skipped,
                  "waiting": self.waiting, "held": self.held}
        return {f"overdue_{key}": n for key, n in counts.items() if n}


async def start_walks(conn: psycopg.AsyncConnection, org_id: int, now: datetime, climb: OverdueClimb, *,
                      batch: int) -> None:
    """The first part of a sweep of the overdue ladder for one organization as of ``now`` (aware; the job
    ``escalations``), before the ladders climb (:func:`bot.services.escalations.climb` with ``climb``): walks whose
    task lost its due date or owner stop, and open tasks due by now whose walk is not for their current due date start
    one (anchored at the due instant, or at ``now`` when seen more than :data:`CATCH_UP` late), in transactions of at
    most ``batch`` claimed tasks (``FOR UPDATE SKIP LOCKED``: another process sweeping at the same moment takes
    others)."""
    result = climb.result
    horizon = horizon_of(now)
    await conn.execute(Q["overdue_stop_stale"], {"organization_id": org_id, "horizon": horizon})
    while True:
        async with conn.transaction():
            rows = await (await conn.execute(Q["overdue_to_start"], {
                "organization_id": org_id, "horizon": horizon, "limit": batch})).fetchall()
            if not rows:
                break
            rhythm = await climb.rhythm(conn, org_id)
            people = await escalations.load_people(conn, org_id, rhythm, {r[1] for r in rows}, now)
            for task_id, user_id, project_id, due_date, due_at in rows:
                person = people.person(user_id)
                due = due_instant(rhythm, person, due_date, due_at)
                anchor = due if due >= now - CATCH_UP else now
                nxt = ladders.next_due(await climb.ladder(conn, org_id, project_id), rhythm, person, level=0, anchor_at=anchor)
                await conn.execute(Q["overdue_start"], {
                    "organization_id": org_id, "id": task_id, "due_date": due_date, "due_at": due_at, "anchor_at": anchor,
                    "next": nxt or now + PAUSED_RECHECK})
                result.started += 1
        if len(rows) < batch:
            break


@dataclass
class OverdueClimb:
    """The overdue ladder's part in a sweep (:class:`bot.services.escalations.Climb`): walks with a rung due by
    ``now`` climb at most one rung each, recorded once, logged; a task whose owner is out is held until they are
    back. Its rhythm and ladders are read once, and only when a sweep has something to do (most have nothing).
    ``result`` counts what it did."""

    result: OverdueResult = field(default_factory=OverdueResult)
    subject_type: str = SUBJECT
    dm_kind: str = KIND_DM
    due_query: str = "overdue_due"
    row: type = OverdueTask
    settings: tuple[Rhythm, Ladder, dict[int, Ladder]] | None = field(default=None, init=False, repr=False)

    async def _settings(self, conn: psycopg.AsyncConnection, org_id: int) -> tuple[Rhythm, Ladder, dict[int, Ladder]]:
        if self.settings is None:
            self.settings = (await standup_settings.rhythm_of(conn, org_id), *await ladders.overdue_ladders(conn, org_id))
        return self.settings

    async def rhythm(self, conn: psycopg.AsyncConnection, org_id: int) -> Rhythm:
        return (await self._settings(conn, org_id))[0]

    async def ladder(self, conn: psycopg.AsyncConnection, org_id: int, project_id: int | None) -> Ladder:
        """A task's overdue ladder: its project's own, else the organization's (:func:`ladder_for`)."""
        _rhythm, org_ladder, own = await self._settings(conn, org_id)
        return ladder_for(org_ladder, own, project_id)

    def people_of(self, item: OverdueTask) -> list[int]:
        return [item.user_id]

    async def advance(self, conn: psycopg.AsyncConnection, org_id: int, people: People, item: OverdueTask,
                      now: datetime) -> Step | None:
        return await _advance(conn, org_id, await self.ladder(conn, org_id, item.project_id), people, item, now,
                              self.result)

    async def before_send(self, conn: psycopg.AsyncConnection, org_id: int, steps: Sequence[Step]) -> None:
        return None

    async def reschedule(self, conn: psycopg.AsyncConnection, org_id: int, people: People, user_id: int,
                         now: datetime) -> int:
        """The tasks of ``user_id`` whose overdue walk has a rung to come get their next rung's time recomputed from
        the people calendar as it stands (locked first: a sweep holding one finishes), as the sweep would store it:
        a rung due by ``now`` is due at once, unless the owner is still out (then when they are back). Returns how
        many changed."""
        rows = await (await conn.execute(Q["overdue_lock_walking_of"], {"organization_id": org_id, "user_id": user_id})).fetchall()
        walking = {int(r[0]) for r in rows}
        changed = 0
        for task in await open_due(conn, org_id, now, user_ids=[user_id], limit=None):
            if task.id not in walking:
                continue
            ladder = await self.ladder(conn, org_id, task.project_id)
            nxt, fires = next_rung_at(ladder, people.rhythm, people.person(user_id), task, now)
            if fires:
                nxt = held_until(people, task, now) or nxt
            if nxt != task.overdue_next_at:
                await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id, "next": nxt})
                changed += 1
        return changed

    async def post(self, conn: psycopg.AsyncConnection, org_id: int, people: People, steps: Sequence[Step],
                   now: datetime) -> tuple[str, str, list[dict[str, Any]]]:
        """A project's channel post lists every overdue task of its projects, not only those whose rung fires."""
        from bot.blocks import overdue as render

        firing = [s.item for s in steps]
        others = await also_overdue(conn, org_id, people.rhythm, people, firing, now)
        return (KIND_CHANNEL, *render.channel_post(firing, others, people, now))


def next_rung_at(ladder: Ladder, rhythm: Rhythm, person: Person, task: OverdueTask, now: datetime) -> tuple[datetime | None, bool]:
    """(When ``task``'s next overdue rung is due in its owner's working time, whether that is by ``now``): the truth
    of ``overdue_next_at``. None once its ladder is done; :data:`PAUSED_RECHECK` on when the owner is away until
    further notice."""
    level = task.overdue_level
    due = ladders.next_due(ladder, rhythm, person, level=level, anchor_at=task.overdue_anchor_at or now,
                           last_at=task.overdue_last_at)
    if due is not None and due <= now:
        return due, True
    return (due if due is not None or level >= len(ladder) else now + PAUSED_RECHECK), False


def held_until(people: People, task: OverdueTask, now: datetime) -> datetime | None:
    """When a task whose owner is out at ``now`` may climb again (they can be reached: back from leave, their
    morning), or None when the owner is not out."""
    owner = people.users.get(task.user_id)
    if owner is None or escalations.out_today(people, owner, now) is None:
        return None
    back = calendar.reachable_from(people.rhythm, people.person(task.user_id), now)
    return back if back is not None and back > now else now + PAUSED_RECHECK


async def _advance(conn: psycopg.AsyncConnection, org_id: int, ladder: Ladder, people: People, task: OverdueTask,
                   now: datetime, result: OverdueResult) -> Step | None:
    rhythm = people.rhythm
    person = people.person(task.user_id)
    level = task.overdue_level
    anchor = task.overdue_anchor_at or now
    nxt, fires = next_rung_at(ladder, rhythm, person, task, now)
    if not fires:
        await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id, "next": nxt})
        result.moved += 1
        return None
    owner = people.users.get(task.user_id)
    if owner is None or not owner.active:
        # The owner left the workspace: nobody to ask or to escalate about; the walk stops (a new owner starts one
        # at the next new date).
        await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id, "next": None})
        result.moved += 1
        return None
    back = held_until(people, task, now)
    if back is not None:
        # The owner is out: nothing climbs until they are back (reachable again).
        await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id, "next": back})
        result.held += 1
        return None
    rung = ladder.rungs[level]
    route = escalations.route(people, rung.action, person_id=task.user_id, owner_id=None, now=now,
                              channel_id=task.project_channel_id or rhythm.standup_channel_id)
    if route.wait_until is not None and route.skipped is None:
        await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id, "next": route.wait_until})
        result.waiting += 1
        return None
    step = Step(SUBJECT, task.id, task.cycle, level + 1, route, task)
    fresh = await escalations.record_step(conn, org_id, step, now)
    nxt = ladders.next_due(ladder, rhythm, person, level=level + 1, anchor_at=anchor, last_at=now)
    advanced = await (await conn.execute(Q["overdue_advance"], {
        "organization_id": org_id, "id": task.id, "level": level, "now": now, "next": nxt})).fetchone()
    if advanced is None:
        raise RuntimeError(f"task {task.id} changed under its lock")  # cannot happen: the row is ours
    if not fresh:
        return None  # this rung of this due date fired before (the date came back): never twice
    if route.action == "flag" and route.skipped is None:
        await escalations.flag_rung(
            conn, org_id, step, now, person_id=task.user_id, task_id=task.id, type_=FLAG_TYPE,
            title=f"Overdue: {task.display_id} {markup.read(task.title).plain[:120]}",
            description=f"{owner.mention}'s {task.display_id} was due {task.due_date:%a} "
                        f"{task.due_date.day} {task.due_date:%b} and is still open; the overdue ladder reached its flag rung.",
            evidence={"task": task.display_id, "title": task.title, "due_date": task.due_date.isoformat(),
                      "project": task.project_name},
            dedupe_key=f"overdue:{task.id}:{task.cycle}:flag:{level + 1}")
    await task_service.log_change(conn, task.id, org_id, None, "overdue.escalated" if route.skipped is None else "overdue.rung_skipped",
                                  None, {"due": task.cycle, "level": level + 1, "action": route.action,
                                         "to": [u.slack_id for u in route.to], "channel": route.channel_id,
                                         "reason": route.skipped or route.reason,
                                         "next_escalation_at": nxt.isoformat() if nxt else None}, now=now)
    if route.skipped is not None:
        result.skipped += 1
    else:
        result.fired[route.action] = result.fired.get(route.action, 0) + 1
    return step


KIND_FLAG_CLOSED = "flag.closed"  # a ladder's flag closed with its cause (bot.services.flags.KIND_CLOSED)


async def settle_task(conn: psycopg.AsyncConnection, org_id: int, task_id: int, actor: User | None, now: datetime,
                      what: str) -> list[Any]:
    """Task ``task_id`` left its overdue walk (``what``: ``done``, ``dropped``, or ``new date``), by ``actor``
    (None: Steward), in the caller's transaction: the flags its overdue ladder raised are resolved with the cause as
    their note (:func:`bot.services.flags.close_for_cause`), and whoever got such a flag hears it once; every
    escalation DM that carried its rungs gets the item's buttons replaced by what happened
    (:func:`bot.services.escalations.settle`). Returns the flags closed."""
    from bot.blocks import overdue as render  # the words (pure)
    from bot.services import flags

    row = await (await conn.execute(Q["task_ref"], {"organization_id": org_id, "id": task_id})).fetchone()
    ref = str(row[0]) if row else "the task"
    cause = f"{ref} is {what}" if what != "new date" else f"{ref} has a new date"
    closed = await flags.close_for_cause(conn, org_id, f"overdue:{task_id}:", actor, now, cause)
    await escalations.settle(conn, org_id, SUBJECT, task_id, render.outcome_words(ref, what, actor), now)
    if closed:
        told_ids, _posts = await escalations.told(conn, org_id, SUBJECT, task_id, action="flag")
        for user in await users_by_ids(conn, org_id, sorted(told_ids - ({actor.id} if actor else set()))):
            if not user.active:
                continue
            text = render.flags_closed_text(closed, ref, what, actor)
            await notify(conn, organization_id=org_id, kind=KIND_FLAG_CLOSED, text=text, targets=[Target.dm(user.slack_id)],
                         dedupe_key=f"{KIND_FLAG_CLOSED}:{org_id}:{closed[0].id}:cause:{user.id}", now=now, user_id=user.id)
    return closed


async def also_overdue(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, people: People,
                       firing: Sequence[OverdueTask], now: datetime) -> list[OverdueTask]:
    """The other overdue tasks of the projects in ``firing`` (a project's channel post lists all of them)."""
    project_ids = sorted({t.project_id for t in firing if t.project_id is not None})
    if not project_ids:
        return []
    found = await open_due(conn, org_id, now, project_ids=project_ids)
    owners = {t.user_id for t in found} - set(people.users)
    if owners:
        people.users.update({u.id: u for u in await users_by_ids(conn, org_id, sorted(owners))})
        people.persons.update(await ooo.people(conn, org_id, [people.users[i] for i in owners if i in people.users],
                                               calendar.local_date(now, rhythm.timezone)))
    seen = {t.id for t in firing}
    return [t for t in found if t.id not in seen and is_overdue(rhythm, people.person(t.user_id), t, now)]


def is_overdue(rhythm: Rhythm, person: Person, task: OverdueTask, now: datetime) -> bool:
    return due_instant(rhythm, person, task.due_date, task.due_at) <= now


async def open_due(conn: psycopg.AsyncConnection, org_id: int, now: datetime, *, user_ids: Iterable[int] = (),
                   project_ids: Iterable[int] = (), limit: int | None = LIST_LIMIT) -> list[OverdueTask]:
    """Open tasks of ``user_ids`` (owners) or ``project_ids`` due by the horizon of ``now`` (callers keep those
    :func:`is_overdue`), by due date; at most ``limit`` (None: all)."""
    cur = conn.cursor(row_factory=class_row(OverdueTask))
    await cur.execute(Q["overdue_open_of"], {"organization_id": org_id, "horizon": horizon_of(now), "limit": limit,
                                             "user_ids": sorted(set(user_ids)), "project_ids": sorted(set(project_ids))})
    return await cur.fetchall()


async def overdue_of(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, people: dict[int, Person],
                     user_ids: Iterable[int], now: datetime) -> list[OverdueTask]:
    """The tasks of ``user_ids`` overdue at ``now`` (their due instant passed), oldest due first (App Home)."""
    found = await open_due(conn, org_id, now, user_ids=user_ids)
    return [t for t in found if is_overdue(rhythm, people.get(t.user_id) or Person(), t, now)]


