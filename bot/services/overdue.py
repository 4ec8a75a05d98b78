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
The job ``escalations`` calls :func:`sweep` once a minute per organization.
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
from bot.services import calendar, escalations, flags, ladders, ooo, standup_settings
from bot.services import tasks as task_service
from bot.services.calendar import Person, Rhythm
from bot.services.escalations import People, Step
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import users_by_ids

log = get_logger(__name__)

SUBJECT = "task"
KIND_DM = "escalation.overdue"
KIND_CHANNEL = "escalation.overdue_channel"
FLAG_TYPE = "overdue_escalated"
FLAG_SEVERITY = "high"
# A sweep claims at most this many tasks per transaction (the rest wait for the next batch).
SWEEP_BATCH = 500
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
    dms: int = 0
    posts: int = 0
    flag_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Flat counts, as a job summary reads them (jobs/summaries.py), every key starting ``overdue_``; counts of
        nothing are left out (the job's result then reads as the blocker ladder's alone)."""
        counts = {**{f"to_{action}": n for action, n in self.fired.items()}, "rungs_skipped": self.skipped,
                  "waiting": self.waiting, "held": self.held}
        return {f"overdue_{key}": n for key, n in counts.items() if n}


async def sweep(conn: psycopg.AsyncConnection, org_id: int, now: datetime, *, batch: int = SWEEP_BATCH) -> OverdueResult:
    """One run of the overdue ladder for one organization as of ``now`` (aware; the job ``escalations``).

    Three steps, each in transactions of at most ``batch`` claimed tasks (``FOR UPDATE SKIP LOCKED``: another
    process sweeping at the same moment takes others): walks whose task lost its due date or owner stop; open tasks
    due by now whose walk is not for their current due date start one (anchored at the due instant, or at ``now``
    when seen more than :data:`CATCH_UP` late); walks with a rung due climb at most one rung each, recorded once,
    logged, and the messages queued: one DM per recipient and one post per channel however many tasks they cover.
    The flags a ``flag`` rung raises are in ``flag_ids`` (their cards go out with :func:`flags.deliver_pending`)."""
    result = OverdueResult()
    horizon = horizon_of(now)
    await conn.execute(Q["overdue_stop_stale"], {"organization_id": org_id, "horizon": horizon})
    loaded: list[tuple[Rhythm, Ladder, dict[int, Ladder]]] = []

    async def settings() -> tuple[Rhythm, Ladder, dict[int, Ladder]]:
        """The rhythm and ladders, read once and only when a sweep has something to do (most have nothing)."""
        if not loaded:
            loaded.append((await standup_settings.rhythm_of(conn, org_id), *await ladders.overdue_ladders(conn, org_id)))
        return loaded[0]

    while True:
        async with conn.transaction():
            rows = await (await conn.execute(Q["overdue_to_start"], {
                "organization_id": org_id, "horizon": horizon, "limit": batch})).fetchall()
            if not rows:
                break
            rhythm, org_ladder, own = await settings()
            people = await escalations.load_people(conn, org_id, rhythm, {r[1] for r in rows}, now)
            for task_id, user_id, project_id, due_date, due_at in rows:
                person = people.person(user_id)
                due = due_instant(rhythm, person, due_date, due_at)
                anchor = due if due >= now - CATCH_UP else now
                ladder = ladder_for(org_ladder, own, project_id)
                nxt = ladders.next_due(ladder, rhythm, person, level=0, anchor_at=anchor)
                await conn.execute(Q["overdue_start"], {
                    "organization_id": org_id, "id": task_id, "due_date": due_date, "due_at": due_at, "anchor_at": anchor,
                    "next": nxt or now + PAUSED_RECHECK})
                result.started += 1
        if len(rows) < batch:
            break
    done: list[int] = []
    while True:
        async with conn.transaction():
            cur = conn.cursor(row_factory=class_row(OverdueTask))
            await cur.execute(Q["overdue_due"], {"organization_id": org_id, "now": now, "limit": batch, "done": done})
            due_rows = await cur.fetchall()
            if not due_rows:
                break
            done.extend(t.id for t in due_rows)
            rhythm, org_ladder, own = await settings()
            people = await escalations.load_people(conn, org_id, rhythm, {t.user_id for t in due_rows}, now)
            steps: list[Step] = []
            for task in due_rows:
                step = await _advance(conn, org_id, ladder_for(org_ladder, own, task.project_id), people, task, now, result)
                if step is not None:
                    steps.append(step)
            await _send(conn, org_id, people, steps, now, result)
        if len(due_rows) < batch:
            break
    return result


async def _advance(conn: psycopg.AsyncConnection, org_id: int, ladder: Ladder, people: People, task: OverdueTask,
                   now: datetime, result: OverdueResult) -> Step | None:
    rhythm = people.rhythm
    person = people.person(task.user_id)
    level = task.overdue_level
    anchor = task.overdue_anchor_at or now
    due = ladders.next_due(ladder, rhythm, person, level=level, anchor_at=anchor)
    if due is None or due > now:
        nxt = due if due is not None or level >= len(ladder) else now + PAUSED_RECHECK
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
    if escalations.out_today(people, owner, now) is not None:
        # The owner is out: nothing climbs until they are back (reachable again).
        back = calendar.reachable_from(rhythm, person, now)
        await conn.execute(Q["overdue_set_next"], {"organization_id": org_id, "id": task.id,
                                                   "next": back if back is not None and back > now else now + PAUSED_RECHECK})
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
    nxt = ladders.next_due(ladder, rhythm, person, level=level + 1, anchor_at=anchor)
    advanced = await (await conn.execute(Q["overdue_advance"], {
        "organization_id": org_id, "id": task.id, "level": level, "now": now, "next": nxt})).fetchone()
    if advanced is None:
        raise RuntimeError(f"task {task.id} changed under its lock")  # cannot happen: the row is ours
    if not fresh:
        return None  # this rung of this due date fired before (the date came back): never twice
    if route.action == "flag" and route.skipped is None:
        flag_id = await flags.raise_rule_flag(
            conn, org_id, person_id=task.user_id, task_id=task.id, type_=FLAG_TYPE, severity=FLAG_SEVERITY,
            title=f"Overdue: {task.display_id} {markup.read(task.title).plain[:120]}",
            description=f"{owner.mention if owner else 'Someone'}'s {task.display_id} was due {task.due_date:%a} "
                        f"{task.due_date.day} {task.due_date:%b} and is still open; the overdue ladder reached its flag rung.",
            evidence={"task": task.display_id, "title": task.title, "due_date": task.due_date.isoformat(),
                      "level": level + 1, "project": task.project_name},
            dedupe_key=f"overdue:{task.id}:{task.cycle}:flag:{level + 1}", now=now)
        if flag_id is not None:
            step.extra["flag_id"] = flag_id
            result.flag_ids.append(flag_id)
    await task_service.log_change(conn, task.id, org_id, None, "overdue.escalated" if route.skipped is None else "overdue.rung_skipped",
                                  None, {"due": task.cycle, "level": level + 1, "action": route.action,
                                         "to": [u.slack_id for u in route.to], "channel": route.channel_id,
                                         "reason": route.skipped or route.reason,
                                         "next_escalation_at": nxt.isoformat() if nxt else None})
    if route.skipped is not None:
        result.skipped += 1
    else:
        result.fired[route.action] = result.fired.get(route.action, 0) + 1
    return step


async def _send(conn: psycopg.AsyncConnection, org_id: int, people: People, steps: list[Step], now: datetime,
                result: OverdueResult) -> None:
    from bot.blocks import overdue as render

    by_person, by_channel = escalations.group_by_recipient(steps)
    for user_id, mine in by_person.items():
        user = people.users[user_id]
        text, blocks = render.escalation_dm(user, mine, people, now)
        notification_id = await notify(conn, organization_id=org_id, kind=KIND_DM, text=text, blocks=blocks,
                                       dedupe_key=f"{KIND_DM}:{org_id}:{user_id}:{mine[0].step_id}:{len(mine)}",
                                       targets=[Target.dm(user.slack_id)], now=now, user_id=user_id)
        await escalations.link_notification(conn, org_id, mine, notification_id)
        result.dms += 1
    for channel_id, posted in by_channel.items():
        firing = [s.item for s in posted]
        others = await also_overdue(conn, org_id, people.rhythm, people, firing, now)
        text, blocks = render.channel_post(firing, others, people, now)
        notification_id = await notify(conn, organization_id=org_id, kind=KIND_CHANNEL, text=text, blocks=blocks,
                                       dedupe_key=f"{KIND_CHANNEL}:{org_id}:{channel_id}:{posted[0].step_id}:{len(posted)}",
                                       targets=[Target.channel(channel_id)], now=now)
        await escalations.link_notification(conn, org_id, posted, notification_id)
        result.posts += 1


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
                   project_ids: Iterable[int] = ()) -> list[OverdueTask]:
    """Open tasks of ``user_ids`` (owners) or ``project_ids`` due by the horizon of ``now`` (callers keep those
    :func:`is_overdue`), by due date; at most :data:`LIST_LIMIT`."""
    cur = conn.cursor(row_factory=class_row(OverdueTask))
    await cur.execute(Q["overdue_open_of"], {"organization_id": org_id, "horizon": horizon_of(now), "limit": LIST_LIMIT,
                                             "user_ids": sorted(set(user_ids)), "project_ids": sorted(set(project_ids))})
    return await cur.fetchall()


async def overdue_of(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, people: dict[int, Person],
                     user_ids: Iterable[int], now: datetime) -> list[OverdueTask]:
    """The tasks of ``user_ids`` overdue at ``now`` (their due instant passed), oldest due first (App Home)."""
    found = await open_due(conn, org_id, now, user_ids=user_ids)
    return [t for t in found if is_overdue(rhythm, people.get(t.user_id) or Person(), t, now)]


