"""Climbing an escalation ladder (SPEC F6; issue 13): who a rung goes to, when they can hear it, and the
record that it fired. Shared by every ladder (blockers here; overdue work calls the same functions with its own
rungs, ``subject_type`` ``task`` and a ``cycle`` per due date).

A rung's *action* (:data:`bot.parsing.ladders.ACTIONS`) becomes a :class:`Route` by :func:`route`, with the
people rules of issue 13:

  * ``owner``   a DM to the owner of record (the blocked person unless someone said "I'm on it").
  * ``manager`` a DM to the person's manager. A person in ramp-up with a buddy: the buddy. No manager: the admins
                ("nobody is set as X's manager"). The manager out of office that day: the manager's manager, else
                the admins, and the message says why ("Maya is out of office until Wed 11 Mar").
  * ``channel`` a post in the project's channel, else the standup channel, in the team's working hours (the
                organization's clock, workdays and holidays: it waits for them); skipped (and recorded as skipped)
                for a person in ramp-up, or when there is no channel.
  * ``flag``    a flag of severity high about the person (``flags``), DMed to the manager's manager, else the
                admins (a backup as for ``manager`` when out).

Nobody gets an escalation DM in their quiet hours, on their weekend or leave: :func:`route` says until when the
rung must wait (``wait_until``, from :func:`bot.services.calendar.reachable_from`; a channel post, until the team's
working hours: :func:`bot.services.calendar.working_from`), and the sweep leaves it for then, so escalations due
for one person in the same sweep go in one DM (:func:`group_by_recipient`).

Each rung is recorded once in ``escalation_steps`` (unique on the subject, cycle and level: :func:`record_step`),
inside the transaction that advances the subject, so two processes, re-runs and restarts fire it once.

One sweep climbs every ladder together (:func:`climb`: each ladder is a :class:`Climb`, the blocker ladder's and
the overdue ladder's), so the noise rule holds across them: a person with several rungs due in one sweep, of
blockers and of overdue work alike, gets one DM listing them all (:func:`bot.blocks.escalations.escalation_dm`),
each item with its buttons. A ``flag`` rung's flag is an item of that DM, with the flag's own buttons (Open inquiry
/ Resolve / Dismiss: :func:`flag_rung`): one message per recipient, no separate card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import psycopg
from psycopg.rows import class_row

from bot.parsing.ladders import Action
from bot.services import calendar, flags, ooo, standup_settings
from bot.services.calendar import Person, Rhythm
from bot.services.notifications import Edit, Target, notify
from db.queries import Q
from db.repos.users import users_by_ids
from db.rows import User

# A flag a ladder's top rung raises is of severity high (flags.severity; issue 13).
FLAG_SEVERITY = "high"
# The kind of an escalation DM listing the rungs of more than one ladder (one ladder's: its Climb's ``dm_kind``).
KIND_DM_MIXED = "escalation.mixed"
# The kind of an edit of an escalation DM whose subject was settled elsewhere (its item's buttons replaced).
KIND_SETTLED = "escalation.settled"


@dataclass(frozen=True)
class People:
    """Everyone a sweep may route to, with the people calendar's view of each, the organization's active admins
    and ramp-ups (person id -> buddy id or None)."""

    rhythm: Rhythm
    users: dict[int, User]
    persons: dict[int, Person]
    admins: tuple[int, ...]
    ramp_up: dict[int, int | None]
    team: Person = Person()  # the team's calendar (bot.services.ooo.team): when a channel post may go

    def person(self, user_id: int) -> Person:
        return self.persons.get(user_id) or Person(timezone=self.users[user_id].timezone if user_id in self.users else None)

    def manager_of(self, user_id: int | None) -> User | None:
        user = self.users.get(user_id) if user_id is not None else None
        manager = self.users.get(user.manager_id) if user is not None and user.manager_id is not None else None
        return manager if manager is not None and manager.active else None

    def admin_users(self, *, besides: Iterable[int] = ()) -> list[User]:
        skip = set(besides)
        return [self.users[a] for a in self.admins if a in self.users and a not in skip]


async def load_people(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, user_ids: Iterable[int],
                      now: datetime) -> People:
    """The :class:`People` for ``user_ids``, their managers and their managers' managers, ramp-up buddies and the
    active admins, with absences around ``now`` (:func:`bot.services.ooo.people`)."""
    wanted = set(user_ids)
    admins = [r[0] for r in await (await conn.execute(Q["escalation_admins"], {"organization_id": org_id})).fetchall()]
    ramp = {r[0]: r[1] for r in await (await conn.execute(Q["escalation_ramp_ups"], {
        "organization_id": org_id, "today": calendar.local_date(now, rhythm.timezone)})).fetchall()}
    users: dict[int, User] = {}
    todo = wanted | set(admins) | {b for b in ramp.values() if b is not None}
    for _ in range(3):  # the people, their managers, their managers' managers
        missing = sorted(todo - set(users))
        if not missing:
            break
        users.update({u.id: u for u in await users_by_ids(conn, org_id, missing)})
        todo = {u.manager_id for u in users.values() if u.manager_id is not None}
    today = calendar.local_date(now, rhythm.timezone)
    persons = await ooo.people(conn, org_id, list(users.values()), today)
    return People(rhythm, users, persons, tuple(admins), {k: v for k, v in ramp.items() if k in users},
                  ooo.team(rhythm, today))


@dataclass(frozen=True)
class Route:
    """Where one rung goes: ``to`` (people DMed, or flagged to), ``channel_id`` (a post), why it went elsewhere
    than the plain rule says (``reason``), ``skipped`` (why nothing is sent), and ``wait_until`` (not before:
    someone in ``to`` cannot be reached until then)."""

    action: Action
    to: tuple[User, ...] = ()
    channel_id: str | None = None
    reason: str | None = None
    skipped: str | None = None
    wait_until: datetime | None = None


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def out_today(people: People, user: User, now: datetime) -> str | None:
    """Why ``user`` is out on their date at ``now`` ("out of office until Wed 11 Mar"), or None."""
    person = people.person(user.id)
    day = calendar.local_date(now, calendar.own_zone(people.rhythm, person))
    absence = calendar.absence_on(person, day)
    if absence is not None:
        what = "out of office" + (f" ({absence.reason})" if absence.reason and absence.reason != "out of office" else "")
        return f"{what} until {_day(absence.last)}" if absence.last > day else f"{what} today"
    away = next((a for a in person.away if a.holds(now)), None)
    return f"away ({away.reason})" if away is not None else None


def _backup(people: People, manager: User, now: datetime, *, skip: Iterable[int]) -> tuple[list[User], str]:
    """Who takes a rung for an out-of-office ``manager``: their manager if in, else the admins in; and why."""
    why = f"{manager.mention} is {out_today(people, manager, now)}"
    above = people.manager_of(manager.id)
    if above is not None and out_today(people, above, now) is None:
        return [above], f"{why}, so it goes to their manager {above.mention}"
    admins = [a for a in people.admin_users(besides=[manager.id, *skip]) if out_today(people, a, now) is None]
    return admins, f"{why}, so it goes to the admins"


def _reach(people: People, to: Sequence[User], now: datetime) -> datetime | None:
    """The first instant at which every one of ``to`` can be pinged (None: now)."""
    latest = now
    for user in to:
        reach = calendar.reachable_from(people.rhythm, people.person(user.id), now)
        if reach is None:
            continue  # unreachable for the calendar's horizon: do not hold everyone else for them
        latest = max(latest, reach)
    return latest if latest > now else None


def route(people: People, action: Action, *, person_id: int, owner_id: int | None, now: datetime,
          channel_id: str | None) -> Route:
    """Where rung ``action`` about ``person_id`` (the blocked person, or the task's owner) goes at ``now``: the
    module's rules. ``owner_id`` is the owner of record (None: the person); ``channel_id`` the project's channel,
    else the standup channel (None: there is none)."""
    person = people.users.get(person_id)
    who = person.mention if person is not None else "them"
    if action == "owner":
        owner = people.users.get(owner_id or person_id)
        asked: tuple[User, ...] = (owner,) if owner is not None else ()
        return Route(action, asked, wait_until=_reach(people, asked, now), skipped=None if asked else "nobody to ask")
    if action == "channel":
        if person_id in people.ramp_up:
            return Route(action, skipped=f"{who} is in ramp-up: no channel post")
        if channel_id is None:
            return Route(action, skipped="no project or standup channel to post in")
        at_work = calendar.working_from(people.rhythm, people.team, now)  # never a channel post at night
        return Route(action, channel_id=channel_id, wait_until=at_work if at_work is not None and at_work > now else None)
    manager = people.manager_of(person_id)
    reason: str | None = None
    to: list[User]
    if action == "manager":
        buddy = people.users.get(people.ramp_up.get(person_id) or -1)
        if buddy is not None and buddy.active and out_today(people, buddy, now) is None:
            to = [buddy]
            reason = f"{who} is in ramp-up, so it goes to their buddy {buddy.mention}"
        elif manager is None:
            to = [a for a in people.admin_users(besides=[person_id]) if out_today(people, a, now) is None]
            reason = f"nobody is set as {who}'s manager, so it goes to the admins"
        elif out_today(people, manager, now) is not None:
            to, reason = _backup(people, manager, now, skip=[person_id])
        else:
            to = [manager]
    else:  # flag: the manager's manager, else the admins
        above = people.manager_of(manager.id) if manager is not None else None
        if above is not None and out_today(people, above, now) is None:
            to = [above]
        elif above is not None:
            to, reason = _backup(people, above, now, skip=[person_id])
        else:
            to = [a for a in people.admin_users(besides=[person_id]) if out_today(people, a, now) is None]
            reason = (f"{manager.mention} has no manager set" if manager is not None else f"{who} has no manager set") \
                + ", so it goes to the admins"
    if not to:
        return Route(action, reason=reason, skipped="nobody in to tell (no manager, no admin in)")
    return Route(action, tuple(to), reason=reason, wait_until=_reach(people, to, now))


# ---------------------------------------------------------------- the record of each rung

@dataclass
class Step:
    """A rung that fires in this sweep: its subject, level (1 = the first rung), route and what it is about
    (``item``, whatever the caller renders)."""

    subject_type: str
    subject_id: int
    cycle: str
    level: int
    route: Route
    item: Any
    notification_id: int | None = None
    step_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def record_step(conn: psycopg.AsyncConnection, org_id: int, step: Step, now: datetime) -> bool:
    """Write ``step`` to ``escalation_steps``; False when that rung of that subject was already recorded (another
    process fired it: the caller must not send it again)."""
    row = await (await conn.execute(Q["escalation_step_insert"], {
        "organization_id": org_id, "subject_type": step.subject_type, "subject_id": step.subject_id, "cycle": step.cycle,
        "level": step.level, "action": step.route.action, "outcome": "skipped" if step.route.skipped else "sent",
        "told": [u.id for u in step.route.to], "channel_id": step.route.channel_id,
        "reason": step.route.skipped or step.route.reason, "now": now})).fetchone()
    if row is None:
        return False
    step.step_id = int(row[0])
    return True


async def link_notification(conn: psycopg.AsyncConnection, org_id: int, steps: Iterable[Step], notification_id: int | None) -> None:
    ids = [s.step_id for s in steps if s.step_id is not None]
    if ids and notification_id is not None:
        await conn.execute(Q["escalation_steps_link"], {"organization_id": org_id, "ids": ids, "notification_id": notification_id})


def group_by_recipient(steps: Iterable[Step]) -> tuple[dict[int, list[Step]], dict[str, list[Step]]]:
    """Steps to send, grouped so that each person gets one DM (person id -> their steps, a flag's too) and each
    channel one post (channel id -> steps), in the order given."""
    people: dict[int, list[Step]] = {}
    channels: dict[str, list[Step]] = {}
    for step in steps:
        if step.route.skipped:
            continue
        if step.route.channel_id is not None:
            channels.setdefault(step.route.channel_id, []).append(step)
        for user in step.route.to:
            people.setdefault(user.id, []).append(step)
    return people, channels


async def told(conn: psycopg.AsyncConnection, org_id: int, subject_type: str, subject_id: int, *,
               action: str | None = None) -> tuple[set[int], list[tuple[str, str]]]:
    """Who heard about a subject through its ladder (through its rungs of ``action`` only, when given): the people
    DMed (ids) and the channel posts (channel id, message ts) that Slack accepted, to tell them how it ended."""
    people: set[int] = set()
    posts: list[tuple[str, str]] = []
    for told_ids, channel_id, slack_ts in await (await conn.execute(Q["escalation_told"], {
            "organization_id": org_id, "subject_type": subject_type, "subject_id": subject_id,
            "action": action})).fetchall():
        people.update(told_ids or [])
        if channel_id and slack_ts:
            posts.append((channel_id, slack_ts))
    return people, posts


def item_block_id(subject_type: str, subject_id: int, level: int) -> str:
    """The block id of a rung's buttons in an escalation DM (its item): ``blocker:12:2``, ``overdue:40:1``."""
    return f"{'blocker' if subject_type == 'blocker' else 'overdue'}:{subject_id}:{level}"


def flag_block_id(flag_id: int) -> str:
    """The block id of a flag's buttons (its card, or a flag rung's item): ``flag:7``."""
    return f"flag:{flag_id}"


async def settle(conn: psycopg.AsyncConnection, org_id: int, subject_type: str, subject_id: int, outcome: str,
                 now: datetime, *, keep_cycle: str | None = None) -> int:
    """The subject was settled elsewhere (a blocker resolved; a task done, dropped or given a new date): every
    escalation DM that carried one of its rungs (of every cycle but ``keep_cycle``) gets that item's buttons replaced
    by ``outcome`` ("Resolved by @diego (T-5 is done)") and the day, on the recipient's clock; a flag rung's flag
    item too (its flag was closed with its cause). Queued in the caller's transaction as edits of the messages
    Slack has (:func:`bot.services.notifications.notify`'s ``edit``), once each. Returns how many were queued."""
    from bot.blocks.blockers import day  # the words (pure)

    queued = 0
    for step_id, level, action, delivery_id, channel, ts, tz, flag_id in await (await conn.execute(Q["escalation_messages"], {
            "organization_id": org_id, "subject_type": subject_type, "subject_id": subject_id,
            "keep_cycle": keep_cycle})).fetchall():
        block_id = flag_block_id(flag_id) if action == "flag" and flag_id else item_block_id(subject_type, subject_id, level)
        line = f"{outcome} on {day(now, tz or 'UTC')}."
        if action == "flag" and flag_id:
            line = f":triangular_flag_on_post: Flag `F-{flag_id}` resolved with it: {outcome[0].lower()}{outcome[1:]} on {day(now, tz or 'UTC')}."
        queued += await notify(conn, organization_id=org_id, kind=KIND_SETTLED, text=line, targets=[Target.channel(channel)],
                               dedupe_key=f"{KIND_SETTLED}:{org_id}:{step_id}:{delivery_id}", now=now,
                               edit=Edit(ts, block_id)) is not None
    return queued


async def flag_rung(conn: psycopg.AsyncConnection, org_id: int, step: Step, now: datetime, *, person_id: int,
                    task_id: int | None, type_: str, title: str, description: str, evidence: dict[str, Any],
                    dedupe_key: str) -> int | None:
    """A ``flag`` rung (issue 13: "a flag of severity high to the manager's manager (or the admins)"): the flag is
    raised about ``person_id`` once per ``dedupe_key`` (:func:`bot.services.flags.raise_rule_flag`) and goes as an
    item of this sweep's DM to the rung's recipients, with its buttons; it is marked notified here, in the sweep's
    transaction, so no separate card goes to anyone (:func:`bot.services.flags.deliver_pending` skips it). Its id
    is in ``step.extra["flag_id"]``; None when it was raised before."""
    flag_id = await flags.raise_rule_flag(conn, org_id, person_id=person_id, task_id=task_id, type_=type_,
                                          severity=FLAG_SEVERITY, title=title, description=description,
                                          evidence=evidence, dedupe_key=dedupe_key, now=now)
    if flag_id is not None:
        await flags.mark_notified(conn, org_id, flag_id, now)
        step.extra["flag_id"] = flag_id
    return flag_id


# ---------------------------------------------------------------- one sweep over every ladder

class Climb(Protocol):
    """One ladder's part in a sweep (:func:`climb`): blockers (``bot.services.blockers.BlockerClimb``) and overdue
    work (``bot.services.overdue.OverdueClimb``). An instance lives for one sweep of one organization and keeps its
    own counts and settings."""

    subject_type: str  # escalation_steps.subject_type
    dm_kind: str  # the notification kind of a DM listing only this ladder's rungs
    due_query: str  # the query (db.queries.Q) claiming the subjects due: organization_id, now, limit, done
    row: type  # what it reads each as (a dataclass with an ``id``)

    def people_of(self, item: Any) -> Iterable[int]:
        """The user ids a rung about ``item`` may route from (the person, the owner of record)."""
        ...

    async def advance(self, conn: psycopg.AsyncConnection, org_id: int, people: People, item: Any,
                      now: datetime) -> Step | None:
        """Climb ``item`` at most one rung: record it, move the subject on, log it; the :class:`Step` to send, or
        None (not due after all, waiting for its recipient, fired by another process)."""
        ...

    async def before_send(self, conn: psycopg.AsyncConnection, org_id: int, steps: Sequence[Step]) -> None:
        """Read what this ladder's messages show beyond the subject (a blocker's latest word)."""
        ...

    async def post(self, conn: psycopg.AsyncConnection, org_id: int, people: People, steps: Sequence[Step],
                   now: datetime) -> tuple[str, str, list[dict[str, Any]]]:
        """One channel post for ``steps`` (one channel, this ladder): (notification kind, text, blocks)."""
        ...

    async def reschedule(self, conn: psycopg.AsyncConnection, org_id: int, people: People, user_id: int,
                         now: datetime) -> int:
        """After ``user_id``'s absences changed: recompute when the next rung of each of their subjects is due (as
        :meth:`advance` would store it when not due), in the caller's transaction; how many changed."""
        ...


async def climb(conn: psycopg.AsyncConnection, org_id: int, now: datetime, climbs: Sequence[Climb], *,
                batch: int) -> None:
    """One sweep of every ladder in ``climbs`` for one organization as of ``now`` (aware; the job ``escalations``).

    In one transaction per batch: each ladder claims at most ``batch`` subjects due by ``now`` (another process
    sweeping at the same moment takes others), the people they may route to are read once, each subject climbs at
    most one rung (:meth:`Climb.advance`), and the messages are queued (:func:`send`): one DM per recipient listing
    every rung of every ladder due for them, one post per channel and ladder. A ladder with fewer than ``batch`` due
    is done; the sweep ends when every ladder is."""
    done: dict[str, list[int]] = {c.subject_type: [] for c in climbs}
    rhythm: Rhythm | None = None
    active = list(climbs)
    while active:
        async with conn.transaction():
            claimed = [(c, await _claim(conn, org_id, now, c, batch, done[c.subject_type])) for c in active]
            if not any(items for _c, items in claimed):
                break
            rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
            people = await load_people(conn, org_id, rhythm, {u for c, items in claimed for i in items
                                                               for u in c.people_of(i)}, now)
            steps: list[Step] = []
            for c, items in claimed:
                done[c.subject_type].extend(i.id for i in items)
                for item in items:
                    step = await c.advance(conn, org_id, people, item, now)
                    if step is not None:
                        steps.append(step)
            await send(conn, org_id, people, climbs, steps, now)
        active = [c for c, items in claimed if len(items) >= batch]


async def _claim(conn: psycopg.AsyncConnection, org_id: int, now: datetime, climb: Climb, limit: int,
                 done: Sequence[int]) -> list[Any]:
    """At most ``limit`` of ``climb``'s subjects due by ``now`` and not in ``done``, locked (``FOR UPDATE SKIP
    LOCKED``: another process sweeping at the same moment takes others)."""
    cur: psycopg.AsyncCursor[Any] = conn.cursor(row_factory=class_row(climb.row))
    await cur.execute(Q[climb.due_query], {"organization_id": org_id, "now": now, "limit": limit, "done": list(done)})
    return await cur.fetchall()


async def send(conn: psycopg.AsyncConnection, org_id: int, people: People, climbs: Sequence[Climb], steps: Sequence[Step],
               now: datetime) -> None:
    """Queue the messages of the rungs that fired in one batch of a sweep (the caller's transaction): one DM per
    person listing every rung that reaches them, whichever ladder (the noise rule), each with its buttons, and per
    channel one post per ladder; each step is linked to the notification that carries it."""
    from bot.blocks import escalations as render  # the words (pure)

    by_type = {c.subject_type: c for c in climbs}
    for c in climbs:
        await c.before_send(conn, org_id, [s for s in steps if s.subject_type == c.subject_type])
    for step in steps:
        if step.extra.get("flag_id") is not None:
            step.extra["flag"] = await flags.get(conn, org_id, step.extra["flag_id"])
    by_person, by_channel = group_by_recipient(steps)
    for user_id, mine in by_person.items():
        user = people.users[user_id]
        text, blocks = render.escalation_dm(user, mine, people, now)
        kinds = {by_type[s.subject_type].dm_kind for s in mine}
        kind = kinds.pop() if len(kinds) == 1 else KIND_DM_MIXED
        notification_id = await notify(conn, organization_id=org_id, kind=kind, text=text, blocks=blocks,
                                       dedupe_key=f"{kind}:{org_id}:{user_id}:{mine[0].step_id}:{len(mine)}",
                                       targets=[Target.dm(user.slack_id)], now=now, user_id=user_id)
        await link_notification(conn, org_id, mine, notification_id)
    for channel_id, posted in by_channel.items():
        for c in climbs:
            theirs = [s for s in posted if s.subject_type == c.subject_type]
            if not theirs:
                continue
            kind, text, blocks = await c.post(conn, org_id, people, theirs, now)
            notification_id = await notify(conn, organization_id=org_id, kind=kind, text=text, blocks=blocks,
                                           dedupe_key=f"{kind}:{org_id}:{channel_id}:{theirs[0].step_id}:{len(theirs)}",
                                           targets=[Target.channel(channel_id)], now=now)
            await link_notification(conn, org_id, theirs, notification_id)
