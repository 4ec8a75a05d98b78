"""Blockers and their ladder (SPEC F6; issue 13): somebody owns each blocker until it is gone.

A blocker is raised with `/blocker T-n <what blocks it>`, `/blocker <what blocks me>` or a standup reply's
"Blocked on …", and climbs the organization's blocker ladder (:mod:`bot.services.ladders`; default ``4h owner,
1d manager, 2d channel, 3d flag``) in the blocked person's working time (:mod:`bot.services.calendar`: their
clock pauses while they are away). The job ``escalations`` climbs it every minute (:class:`BlockerClimb`, in one
sweep with the overdue ladder: :func:`bot.services.escalation_sweep.sweep`); who each rung goes to and when they can
hear it is :mod:`bot.services.escalations`.

The blocker's columns tell the truth at every moment: ``escalation_level`` is how many rungs have fired,
``last_escalated_at`` when the last did, ``next_escalation_at`` when the next is due (NULL once the ladder is done
or the blocker resolved); ``anchor_at`` / ``anchor_level`` / ``held_until`` are the walk of
:func:`bot.services.ladders.next_due`. Every step is in ``task_logs`` (``blocker.*``), or, for a blocker on no
task, in ``audit_logs`` (entity ``blocker``).

The buttons: the owner's DM has *Resolved*, *Still blocked* (the current rung's wait towards the next starts over)
and *I need help* (the next rung fires at the next sweep); the manager's has *I'm on it* (that person becomes the
owner of record and the ladder holds one working day), *Resolve* and *Reassign* (another owner of record, held the
same way). A blocker is resolved by the blocked person, the owner of record, their managers, an admin or anyone it
was escalated to, by its task being done or dropped, or by a later standup reply saying it is unblocked; everyone
who was told hears who resolved it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.log import get_logger
from bot.parsing.ladders import Action, Ladder
from bot.services import calendar, escalations, flags, ladders, ooo, security, standup_settings
from bot.services import tasks as task_service
from bot.services.calendar import Rhythm
from bot.services.escalations import People, Step
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import user_by_id, users_by_ids
from db.rows import User

log = get_logger(__name__)

SUBJECT = "blocker"
FLAG_TYPE = "blocker_escalated"  # the flag the ladder's flag rung raises (flags.type)
# A blocker whose person is away until further notice (a Slack status with no expiry): looked at again this often.
PAUSED_RECHECK = timedelta(hours=6)
# How much of a blocker's words a list line or a DM quotes.
QUOTE_CHARS = 200
USAGE = ("`/blocker T-12 waiting for the API keys` (a blocker on a task) \u00b7 `/blocker waiting for legal's answer` "
         "(on no task) \u00b7 `/blocker resolve T-12 [note]` \u00b7 `/blockers` lists the open ones you can see")
KIND_DM = "escalation.blocker"
KIND_CHANNEL = "escalation.blocker_channel"
KIND_RESOLVED = "blocker.resolved"
KIND_TAKEN = "blocker.taken"
KIND_OPENED_FOR = "blocker.opened_for"  # a blocker opened by someone else (a manager, an admin) on one's task
# How many of the blocked person's latest standup updates are looked through for their latest word on a blocker.
WORD_UPDATES = 20
# A standup sentence speaks of a blocker when it shares this many of its telling words (speaks_of)...
SHARED_WORDS = 2
# ...which are not these: they tell nothing of which blocker (title_key has dropped the small words already).
_UNTELLING = frozenset({"waiting", "wait", "blocked", "blocker", "still", "need", "needs", "get", "got", "yet", "today",
                        "tomorrow", "some", "more", "one"})
_TASK_REF = re.compile(r"^\s*T-?(\d{1,9})\b[\s:,\u2014\u2013-]*", re.IGNORECASE)
_BLOCKER_REF = re.compile(r"^\s*B-?(\d{1,9})\b[\s:,\u2014\u2013-]*", re.IGNORECASE)


@dataclass(frozen=True)
class Blocker:
    """One blocker with what its messages show (``blocker_rows`` in sql/queries/blockers.sql)."""

    id: int
    organization_id: int
    task_id: int | None
    user_id: int
    description: str
    source: str
    status: str
    escalation_level: int
    next_escalation_at: datetime | None
    last_escalated_at: datetime | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolution_note: str | None
    owner_id: int | None
    anchor_at: datetime
    anchor_level: int
    held_until: datetime | None
    raised_channel_id: str | None
    raised_ts: str | None
    raised_permalink: str | None
    last_word: str | None
    last_word_at: datetime | None
    created_at: datetime
    ref_number: int | None
    task_display_id: str | None
    task_title: str | None
    task_status: str | None
    project_channel_id: str | None
    person_slack_id: str

    @property
    def ref(self) -> str:
        """How people name it: its task (``T-5``), or ``B-3`` for a blocker on no task (its number in the
        organization, ``ref_number``: sql/migrations/0018_blocker_refs.sql)."""
        return self.task_display_id or f"B-{self.ref_number or self.id}"

    @property
    def owner_of_record(self) -> int:
        return self.owner_id or self.user_id


@dataclass
class Opened:
    blocker: Blocker
    existing: bool = False  # the same blocker was already open
    next_step: str | None = None  # the first rung's action ("owner", …), from the ladder
    next_at: datetime | None = None  # when that rung will actually reach its recipient (first_reach)


@dataclass
class SweepResult:
    """What one sweep of one organization did: rungs fired (by action), skipped (with why), rungs waiting for
    someone to be reachable, blockers whose due time moved (an absence), resolved (their task closed)."""

    fired: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    waiting: int = 0
    moved: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Flat counts, as a job summary reads them (jobs/summaries.py): rungs fired by action, then the rest."""
        return {**{f"to_{action}": n for action, n in self.fired.items()}, "rungs_skipped": self.skipped,
                "waiting": self.waiting, "moved": self.moved, "resolved": self.resolved}


async def get(conn: psycopg.AsyncConnection, org_id: int, blocker_id: int) -> Blocker:
    cur = conn.cursor(row_factory=class_row(Blocker))
    await cur.execute(Q["blocker_by_id"], {"organization_id": org_id, "id": blocker_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that blocker. `/blockers` lists the open ones you can see.")
    return found


async def by_ref(conn: psycopg.AsyncConnection, org_id: int, ref_number: int) -> Blocker:
    """The blocker on no task named ``B-<ref_number>`` in the organization; NotFound otherwise."""
    row = await (await conn.execute(Q["blocker_by_ref"], {"organization_id": org_id, "ref_number": ref_number})).fetchone()
    if row is None:
        raise NotFound(f"I couldn't find blocker `B-{ref_number}`. `/blockers` lists the open ones you can see.")
    return await get(conn, org_id, int(row[0]))


async def _ladder(conn: psycopg.AsyncConnection, org_id: int) -> tuple[Rhythm, Ladder]:
    return await standup_settings.rhythm_of(conn, org_id), (await ladders.ladders_of(conn, org_id)).blocker


async def _person(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, user: User, now: datetime) -> calendar.Person:
    found = await ooo.people(conn, org_id, [user], calendar.local_date(now, rhythm.timezone))
    return found.get(user.id) or calendar.Person(timezone=user.timezone)


async def first_due(conn: psycopg.AsyncConnection, org_id: int, user: User, now: datetime) -> datetime | None:
    """When a blocker ``user`` raises at ``now`` reaches its first rung (their working time)."""
    rhythm, ladder = await _ladder(conn, org_id)
    return ladders.next_due(ladder, rhythm, await _person(conn, org_id, rhythm, user, now), level=0, anchor_at=now)


async def _log(conn: psycopg.AsyncConnection, blocker: Blocker | int, org_id: int, task_id: int | None, actor: User | None,
               action: str, details: dict[str, Any], now: datetime) -> None:
    """One step of a blocker's life at ``now`` (the caller's clock): a task_logs row when it is on a task, else an
    audit_logs row."""
    blocker_id = blocker if isinstance(blocker, int) else blocker.id
    if task_id is not None:
        await task_service.log_change(conn, task_id, org_id, actor, f"blocker.{action}", None, {"blocker": blocker_id, **details},
                                      now=now)
        return
    await security.audit(conn, organization_id=org_id, actor=actor, action=f"blocker.{action}", entity_type="blocker",
                         entity_id=blocker_id, details=details, now=now)


async def _insert(conn: psycopg.AsyncConnection, org_id: int, *, person: User, actor: User | None, task_id: int | None,
                  description: str, source: str, now: datetime, channel_id: str | None, ts: str | None) -> int:
    due = await first_due(conn, org_id, person, now)
    own = actor is None or actor.id == person.id  # the blocked person's own words: their latest word on it
    row = await (await conn.execute(Q["blocker_open"], {
        "organization_id": org_id, "task_id": task_id, "user_id": person.id, "description": description, "source": source,
        "next_escalation_at": due, "now": now, "channel_id": channel_id, "ts": ts,
        "word": description if own else None})).fetchone()
    assert row is not None
    blocker_id = int(row[0])
    await _log(conn, blocker_id, org_id, task_id, actor, "opened",
               {"description": description, "source": source, "next_escalation_at": due.isoformat() if due else None}, now)
    return blocker_id


def split_command(text: str) -> tuple[str, str]:
    """`/blocker` words as (verb, rest): ("resolve", "T-5 the keys came"), ("task", "T-5 waiting…"), ("free", "…")."""
    words = (text or "").strip()
    head, _sep, rest = words.partition(" ")
    if head.lower() in ("resolve", "resolved", "unblock", "unblocked", "done", "close"):
        return "resolve", rest.strip()
    if _TASK_REF.match(words):
        return "task", words
    return "free", words


async def open_blocker(conn: psycopg.AsyncConnection, org_id: int, actor: User, text: str, now: datetime, *,
                       channel_id: str | None = None) -> Opened:
    """`/blocker T-n <what blocks it>` or `/blocker <what blocks me>`: open a blocker and start its ladder.

    A blocker on someone else's task is the task owner's blocker, raised by their manager (any manager above them)
    or an admin; anyone else is refused (PermissionDenied, logged). Raises InvalidInput for empty words or a task
    with nothing said about it, NotFound for a task that does not exist, InvalidInput for a done or dropped task.
    The same words already open on the same task and person give that blocker back (``existing``)."""
    verb, words = split_command(text)
    if verb == "resolve":
        raise InvalidInput("Use `/blocker resolve T-12 [note]` to resolve one.")
    if not words:
        raise InvalidInput("Say what blocks you: " + USAGE)
    task = None
    person = actor
    if verb == "task":
        match = _TASK_REF.match(words)
        assert match is not None
        task = await task_service.by_display(conn, org_id, f"T-{match.group(1)}")
        words = words[match.end():].strip()
        if not markup.read(words).plain.strip():
            raise InvalidInput(f"Say what blocks {task.display_id}: `/blocker {task.display_id} waiting for the API keys`.")
        if not task.is_open:
            raise InvalidInput(f"{task.display_id} is already {task.status}, so there's nothing for a blocker to hold up. "
                               f"`/task reopen {task.display_id}` first if it isn't finished.")
        if task.user_id != actor.id:
            owner = await user_by_id(conn, org_id, task.user_id) if task.user_id else None
            if owner is None or not (actor.is_admin or await _manages(conn, org_id, actor, owner)):
                raise await security.deny(
                    conn, organization_id=org_id, actor=actor, action="blocker.open_for_other",
                    message=f"Sorry, {task.display_id} is {owner.mention if owner else 'not yours'}'s task, so only they, "
                            "their manager or an admin can raise a blocker on it. Tell them, or raise your own "
                            "with `/blocker <what blocks you>`.", details={"task": task.display_id})
            person = owner
    description = markup.store(" ".join(words.split()), limit=1000)
    if not markup.read(description).plain.strip():
        raise InvalidInput("Say what blocks you: " + USAGE)
    existing = await (await conn.execute(Q["blocker_same_open"], {
        "organization_id": org_id, "user_id": person.id, "task_id": task.id if task else None,
        "description": description})).fetchone()
    if existing is not None:
        return Opened(await get(conn, org_id, int(existing[0])), existing=True)
    async with conn.transaction():
        blocker_id = await _insert(conn, org_id, person=person, actor=actor, task_id=task.id if task else None,
                                   description=description, source="slash", now=now, channel_id=channel_id, ts=None)
        blocker = await get(conn, org_id, blocker_id)
        rhythm, ladder = await _ladder(conn, org_id)
        opened = Opened(blocker)
        if len(ladder) and blocker.next_escalation_at is not None:
            action = ladder.rungs[0].action
            opened = Opened(blocker, next_step=action, next_at=await first_reach(conn, org_id, rhythm, blocker, action, now))
        if person.id != actor.id and person.active:
            await _tell_opened_for(conn, org_id, opened, actor, person, now)
    return opened


async def _tell_opened_for(conn: psycopg.AsyncConnection, org_id: int, opened: Opened, actor: User, person: User,
                           now: datetime) -> None:
    """A blocker ``actor`` (their manager, an admin) opened on ``person``'s task: ``person`` hears it in a DM with the
    buttons of their own blocker (Resolved / Still blocked / I need help), when they will be asked on their clock."""
    from bot.blocks import blockers as render  # the words (pure)

    text = render.opened_for_text(opened, actor, person)
    await notify(conn, organization_id=org_id, kind=KIND_OPENED_FOR, text=text,
                 blocks=render.taken_blocks(opened.blocker, text), targets=[Target.dm(person.slack_id)],
                 dedupe_key=f"{KIND_OPENED_FOR}:{org_id}:{opened.blocker.id}", now=now, user_id=person.id)


async def first_reach(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, blocker: Blocker, action: Action,
                      now: datetime) -> datetime:
    """When the first rung (``action``) of ``blocker``, opened at ``now``, will actually reach its recipient if it is
    still open: its due time (``next_escalation_at``, the blocked person's working time) passed through the rung's
    route as the sweep will take it (:func:`bot.services.escalations.route`: the recipient's quiet hours, weekend,
    holidays and leave in their own zone, :func:`bot.services.calendar.reachable_from`; a channel post, the team's
    working hours). A Friday-evening blocker in Kolkata is asked about on Monday at 08:00 there, not "Sat 00:05"."""
    due = blocker.next_escalation_at
    assert due is not None
    people = await escalations.load_people(conn, org_id, rhythm, self_and_owner(blocker), now)
    route = escalations.route(people, action, person_id=blocker.user_id, owner_id=blocker.owner_id, now=due,
                              channel_id=blocker.project_channel_id or rhythm.standup_channel_id)
    return route.wait_until if route.skipped is None and route.wait_until is not None else due


def self_and_owner(blocker: Blocker) -> list[int]:
    """The people a rung about ``blocker`` routes from: the blocked person and the owner of record."""
    return [blocker.user_id] + ([blocker.owner_id] if blocker.owner_id is not None else [])


async def open_from_standup(conn: psycopg.AsyncConnection, org_id: int, user: User, *, task_id: int | None,
                            description: str, now: datetime, channel_id: str | None, ts: str | None) -> int:
    """A standup reply's "Blocked on …" (stored form): a blocker on the ladder like `/blocker`'s, raised where the
    reply was written (``channel_id``, ``ts``: the manager's DM links to it). Returns its id."""
    return await _insert(conn, org_id, person=user, actor=user, task_id=task_id, description=description, source="thread",
                         now=now, channel_id=channel_id, ts=ts)


async def _manages(conn: psycopg.AsyncConnection, org_id: int, actor: User, person: User) -> bool:
    """Whether ``actor`` is above ``person`` in the reporting line (their manager, or that manager's, …)."""
    seen: set[int] = set()
    current: User | None = person
    while current is not None and current.manager_id is not None and current.manager_id not in seen:
        if current.manager_id == actor.id:
            return True
        seen.add(current.manager_id)
        current = await user_by_id(conn, org_id, current.manager_id)
    return False


async def _may_act(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker: Blocker) -> bool:
    if actor.is_admin or actor.id in (blocker.user_id, blocker.owner_id):
        return True
    person = await user_by_id(conn, org_id, blocker.user_id)
    if person is not None and await _manages(conn, org_id, actor, person):
        return True
    told_ids, _posts = await escalations.told(conn, org_id, SUBJECT, blocker.id)
    return actor.id in told_ids


async def require_may_act(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker: Blocker, action: str) -> None:
    """PermissionDenied (logged) unless ``actor`` may act on ``blocker`` (the module's rule)."""
    if not await _may_act(conn, org_id, actor, blocker):
        raise await security.deny(conn, organization_id=org_id, actor=actor, action=f"blocker.{action}",
                                  message=f"Sorry, the blocker on {blocker.ref} isn't yours to change: the blocked "
                                          "person, their manager, whoever took it on and the admins can.",
                                  details={"blocker": blocker.id})


# ---------------------------------------------------------------- resolving

@dataclass
class Resolved:
    blockers: list[Blocker]
    told: int = 0


async def resolve_words(conn: psycopg.AsyncConnection, org_id: int, actor: User, words: str, now: datetime) -> Resolved:
    """`/blocker resolve T-n [note]` (or ``B-n`` for a blocker on no task): resolve the open blockers of that task
    the asker may resolve. Raises InvalidInput with no reference, NotFound for an unknown task or blocker,
    PermissionDenied (logged) when the asker may act on none of its blockers, before saying anything about them,
    and a specific InvalidInput when it was already resolved (by whom, when) or never blocked."""
    task_ref, blocker_ref = _TASK_REF.match(words or ""), _BLOCKER_REF.match(words or "")
    if task_ref is None and blocker_ref is None:
        raise InvalidInput("Say which blocker: `/blocker resolve T-12 [note]` (`/blockers` lists the open ones).")
    match = task_ref or blocker_ref
    assert match is not None
    note = markup.store(" ".join(words[match.end():].split()), limit=500) or None
    if task_ref is not None:
        task = await task_service.by_display(conn, org_id, f"T-{task_ref.group(1)}")
        rows = await (await conn.execute(Q["blockers_of_task"], {"organization_id": org_id, "task_id": task.id})).fetchall()
        found = [await get(conn, org_id, int(r[0])) for r in rows]
        name = task.display_id
    else:
        found = [await by_ref(conn, org_id, int(blocker_ref.group(1)))]  # type: ignore[union-attr]
        name = found[0].ref
    # Someone who may act on none of them is refused (and logged) before anything about them is said: whether
    # they are open, or who resolved them when.
    if found and not [b for b in found if await _may_act(conn, org_id, actor, b)]:
        await require_may_act(conn, org_id, actor, found[-1], "resolve")
    open_ones = [b for b in found if b.status == "open"]
    if not open_ones:
        if not found:
            raise InvalidInput(f"{name} has no blocker to resolve. `/blockers` lists the open ones you can see.")
        last = max(found, key=lambda b: b.resolved_at or b.created_at)
        raise InvalidInput(await _already_resolved(conn, org_id, last, name, actor))
    mine = [b for b in open_ones if await _may_act(conn, org_id, actor, b)]
    if not mine:
        await require_may_act(conn, org_id, actor, open_ones[0], "resolve")
    out = Resolved([])
    for blocker in mine:
        done = await resolve(conn, org_id, blocker.id, actor, now, note=note, via="command")
        if done is not None:
            out.blockers.append(done[0])
            out.told += done[1]
    return out


async def resolve(conn: psycopg.AsyncConnection, org_id: int, blocker_id: int, actor: User | None, now: datetime, *,
                  note: str | None = None, via: str) -> tuple[Blocker, int] | None:
    """Resolve one open blocker (no permission check: callers check) and tell everyone its ladder told, the blocked
    person and the owner of record (not the resolver) who resolved it, and reply under each channel post. Returns
    (the blocker, how many people were told), or None when it was no longer open (resolved meanwhile)."""
    async with conn.transaction():
        row = await (await conn.execute(Q["blocker_resolve"], {
            "organization_id": org_id, "id": blocker_id, "now": now, "by": actor.id if actor else None, "note": note})).fetchone()
        if row is None:
            return None
        blocker = await get(conn, org_id, blocker_id)
        await _log(conn, blocker, org_id, blocker.task_id, actor, "resolved", {"note": note, "via": via,
                                                                               "level": blocker.escalation_level}, now)
        told_ids, posts = await escalations.told(conn, org_id, SUBJECT, blocker.id)
        audience = (told_ids | {blocker.user_id, blocker.owner_of_record}) - ({actor.id} if actor else set())
        people = {u.id: u for u in await users_by_ids(conn, org_id, sorted(audience))}
        from bot.blocks import blockers as render  # the message's words (pure)

        closed = await flags.close_for_cause(conn, org_id, f"{SUBJECT}:{blocker.id}:", actor, now, "the blocker was resolved")
        await escalations.settle(conn, org_id, SUBJECT, blocker.id, render.outcome_words(blocker, actor, via), now)
        text = render.resolved_text(blocker, actor, note, via, [f.ref for f in closed])
        for user_id in sorted(audience):
            user = people.get(user_id)
            if user is None or not user.active:
                continue
            await notify(conn, organization_id=org_id, kind=KIND_RESOLVED, dedupe_key=f"blocker.resolved:{org_id}:{blocker.id}:{user_id}",
                         text=text, targets=[Target.dm(user.slack_id)], now=now, user_id=user_id)
        for channel_id, ts in posts:
            await notify(conn, organization_id=org_id, kind=KIND_RESOLVED, dedupe_key=f"blocker.resolved:{org_id}:{blocker.id}:{channel_id}:{ts}",
                         text=text, targets=[Target.thread(channel_id, ts)], now=now)
    return blocker, len([u for u in audience if u in people and people[u].active])


async def resolve_one(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker_id: int, now: datetime, *,
                      via: str, note: str | None = None) -> tuple[Blocker, int] | None:
    """*Resolved* / *Resolve*: the blocker must be open (InvalidInput saying who resolved it) and ``actor`` allowed
    (PermissionDenied, logged); then :func:`resolve`."""
    blocker = await open_one(conn, org_id, blocker_id, actor)
    await require_may_act(conn, org_id, actor, blocker, "resolve")
    return await resolve(conn, org_id, blocker.id, actor, now, note=note, via=via)


async def resolve_for_task(conn: psycopg.AsyncConnection, org_id: int, task_id: int, actor: User | None, now: datetime,
                           status: str) -> int:
    """The task became ``status`` (done or dropped): its open blockers are resolved, and whoever was told hears it."""
    rows = await (await conn.execute(Q["blockers_open_of_task"], {"organization_id": org_id, "task_id": task_id})).fetchall()
    count = 0
    for (blocker_id,) in rows:
        count += await resolve(conn, org_id, int(blocker_id), actor, now, via=f"task {status}") is not None
    return count


async def resolve_from_standup(conn: psycopg.AsyncConnection, org_id: int, user: User, sentences: Sequence[tuple[str, int | None]],
                               now: datetime) -> list[Blocker]:
    """A standup reply saying it is unblocked ("T-5 is unblocked", "no longer blocked on the API keys"): the person's
    open blockers it names, by task number, by their words, or their only one. Returns those resolved."""
    from bot.parsing.standup_reply import best_match

    mine = [await get(conn, org_id, int(r[0])) for r in await (await conn.execute(Q["blockers_open_of_person"], {
        "organization_id": org_id, "user_id": user.id})).fetchall()]
    out: list[Blocker] = []
    for sentence, number in sentences:
        if number is not None:
            chosen = [b for b in mine if b.task_display_id == f"T-{number}"]
        else:
            match = best_match(sentence, [_Titled(b) for b in mine], threshold=0.5)
            chosen = [match.blocker] if match is not None else (mine if len(mine) == 1 else [])
        for blocker in chosen:
            if blocker in out:
                continue
            done = await resolve(conn, org_id, blocker.id, user, now, note=markup.store(sentence, limit=300), via="standup")
            if done is not None:
                out.append(done[0])
    return out


async def reopen_undone(conn: psycopg.AsyncConnection, org_id: int, user: User, blocker_ids: Sequence[int],
                        now: datetime) -> list[Blocker]:
    """Undo of the standup message whose "no longer blocked" resolved ``blocker_ids``: each one ``user`` resolved and
    nobody else since, on a task still open (or none), is open again and back on its ladder, logged ("reopened").
    Returns those reopened."""
    out: list[Blocker] = []
    for blocker_id in dict.fromkeys(blocker_ids):
        row = await (await conn.execute(Q["blocker_reopen"], {"organization_id": org_id, "id": blocker_id, "by": user.id,
                                                              "now": now})).fetchone()
        if row is None:
            continue
        blocker = await get(conn, org_id, blocker_id)
        await _log(conn, blocker, org_id, blocker.task_id, user, "reopened", {"via": "undo"}, now)
        out.append(blocker)
    return out


@dataclass(frozen=True)
class _Titled:
    """A blocker as :func:`bot.parsing.matching.best_match` compares it: by its words."""

    blocker: Blocker

    @property
    def title(self) -> str:
        return markup.read(self.blocker.description).plain


# ---------------------------------------------------------------- the buttons

async def still_blocked(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker_id: int, now: datetime) -> Blocker:
    """*Still blocked*: the current rung's wait towards the next starts over from ``now``. Logged."""
    blocker = await open_one(conn, org_id, blocker_id, actor)
    await require_may_act(conn, org_id, actor, blocker, "still_blocked")
    return await _rewalk(conn, org_id, actor, blocker, now, "still_blocked", anchor_level=blocker.escalation_level,
                         held_until=None, word="Still blocked")


async def need_help(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker_id: int, now: datetime) -> Blocker:
    """*I need help*: the next rung is due at once (it fires at the next sweep, grouped with whatever else is due
    for its recipient). Logged."""
    blocker = await open_one(conn, org_id, blocker_id, actor)
    await require_may_act(conn, org_id, actor, blocker, "need_help")
    _rhythm, ladder = await _ladder(conn, org_id)
    if blocker.escalation_level >= len(ladder):
        raise InvalidInput(f"The blocker on {blocker.ref} has been through every step of the ladder already; "
                           "`/blockers` shows who owns it. Tell them, or your manager, directly.")
    return await _rewalk(conn, org_id, actor, blocker, now, "help_asked", anchor_level=blocker.escalation_level + 1,
                         held_until=None, word="Asked for help")


async def take_on(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker_id: int, now: datetime, *,
                  owner: User | None = None) -> Blocker:
    """*I'm on it* (``owner`` None: the actor) or *Reassign* (``owner`` given): that person becomes the owner of
    record and the ladder holds for one working day of the blocked person. The blocked person and the new owner
    are told. Logged."""
    blocker = await open_one(conn, org_id, blocker_id, actor)
    await require_may_act(conn, org_id, actor, blocker, "take_on" if owner is None else "reassign")
    new_owner = owner or actor
    if not new_owner.active:
        raise InvalidInput(f"{new_owner.mention} has left the workspace.")
    rhythm, ladder = await _ladder(conn, org_id)
    person = await user_by_id(conn, org_id, blocker.user_id)
    assert person is not None
    # After the last rung there is nothing to hold: no hold is promised.
    held = (ladders.hold_until(rhythm, await _person(conn, org_id, rhythm, person, now), now)
            if blocker.escalation_level < len(ladder) else None)
    async with conn.transaction():
        await conn.execute(Q["blocker_set_owner"], {"organization_id": org_id, "id": blocker.id, "owner_id": new_owner.id})
        updated = await _rewalk(conn, org_id, actor, blocker, now, "taken_on" if owner is None else "reassigned",
                                anchor_level=blocker.anchor_level, held_until=held, word=None, keep_anchor=True,
                                details={"owner": new_owner.slack_id})
        from bot.blocks import blockers as render

        for user in {person.id: person, new_owner.id: new_owner}.values():
            if user.id == actor.id or not user.active:
                continue
            text = render.taken_text(updated, actor, new_owner, held, user)  # each reader's words and clock
            blocks = render.taken_blocks(updated, text) if user.id == new_owner.id else None
            await notify(conn, organization_id=org_id, kind=KIND_TAKEN, text=text, blocks=blocks,
                         targets=[Target.dm(user.slack_id)],
                         dedupe_key=f"blocker.taken:{org_id}:{blocker.id}:{user.id}:{now.isoformat()}", now=now, user_id=user.id)
    return updated


async def open_one(conn: psycopg.AsyncConnection, org_id: int, blocker_id: int, viewer: User) -> Blocker:
    """The blocker, if still open; InvalidInput saying who resolved it and when (the day on ``viewer``'s clock)
    otherwise (a stale button)."""
    blocker = await get(conn, org_id, blocker_id)
    if blocker.status != "open":
        raise InvalidInput(await _already_resolved(conn, org_id, blocker, blocker.ref, viewer))
    return blocker


async def _already_resolved(conn: psycopg.AsyncConnection, org_id: int, blocker: Blocker, name: str, viewer: User) -> str:
    """"The blocker on T-5 was already resolved by @lee on Thu 12 Mar." (the day on ``viewer``'s clock)."""
    by = await user_by_id(conn, org_id, blocker.resolved_by) if blocker.resolved_by else None
    who = (" by you" if by.id == viewer.id else f" by {by.mention}") if by is not None else ""
    when = calendar.local_date(blocker.resolved_at, viewer.timezone) if blocker.resolved_at else None
    return (f"The blocker on {name} was already resolved{who}" + (f" on {when:%a} {when.day} {when:%b}" if when else "")
            + ". Nothing to do.")


async def _rewalk(conn: psycopg.AsyncConnection, org_id: int, actor: User, blocker: Blocker, now: datetime, action: str, *,
                  anchor_level: int, held_until: datetime | None, word: str | None, keep_anchor: bool = False,
                  details: dict[str, Any] | None = None) -> Blocker:
    """Move a blocker's walk (anchor, anchor level, hold), recompute ``next_escalation_at`` and log ``action``."""
    rhythm, ladder = await _ladder(conn, org_id)
    person = await user_by_id(conn, org_id, blocker.user_id)
    assert person is not None
    word = word if actor.id == blocker.user_id else None  # the blocked person's latest word is only theirs
    anchor_at = blocker.anchor_at if keep_anchor else now
    due = ladders.next_due(ladder, rhythm, await _person(conn, org_id, rhythm, person, now), level=blocker.escalation_level,
                           anchor_at=anchor_at, anchor_level=anchor_level, held_until=held_until,
                           last_at=blocker.last_escalated_at)
    async with conn.transaction():
        await conn.execute(Q["blocker_rewalk"], {
            "organization_id": org_id, "id": blocker.id, "anchor_at": anchor_at, "anchor_level": anchor_level,
            "held_until": held_until, "next": due, "word": word, "now": now})
        await _log(conn, blocker, org_id, blocker.task_id, actor, action,
                   {"level": blocker.escalation_level, "next_escalation_at": due.isoformat() if due else None, **(details or {})},
                   now)
    return await get(conn, org_id, blocker.id)


# ---------------------------------------------------------------- who may see what

async def visible(conn: psycopg.AsyncConnection, org_id: int, viewer: User) -> list[Blocker]:
    """The open blockers ``viewer`` may see: their own (blocked, or owner of record), their reports' (anyone below
    them in the reporting line) and, for admins, everyone's; oldest first."""
    cur = conn.cursor(row_factory=class_row(Blocker))
    await cur.execute(Q["blockers_visible"], {"organization_id": org_id, "viewer": viewer.id, "admin": viewer.is_admin})
    return await cur.fetchall()


# ---------------------------------------------------------------- the sweep

@dataclass
class BlockerClimb:
    """The blocker ladder's part in a sweep (:class:`bot.services.escalations.Climb`; the job ``escalations`` runs it
    with the overdue ladder's through :func:`bot.services.escalations.climb`): the open blockers due by ``now`` climb
    at most one rung each. Each one's due time is recomputed first (an absence recorded since moves it: the column is
    corrected); a rung whose recipient cannot be reached yet waits for them (``next_escalation_at`` says until
    when); a blocker whose task was closed meanwhile is resolved. ``result`` counts what it did."""

    result: SweepResult = field(default_factory=SweepResult)
    subject_type: str = SUBJECT
    dm_kind: str = KIND_DM
    due_query: str = "blockers_due"
    row: type = Blocker
    ladder: Ladder | None = field(default=None, init=False, repr=False)  # read at the first blocker due

    def people_of(self, item: Blocker) -> list[int]:
        return self_and_owner(item)

    async def _ladder(self, conn: psycopg.AsyncConnection, org_id: int) -> Ladder:
        if self.ladder is None:
            self.ladder = (await ladders.ladders_of(conn, org_id)).blocker
        return self.ladder

    async def advance(self, conn: psycopg.AsyncConnection, org_id: int, people: People, item: Blocker,
                      now: datetime) -> Step | None:
        return await _advance(conn, org_id, await self._ladder(conn, org_id), people, item, now, self.result)

    async def reschedule(self, conn: psycopg.AsyncConnection, org_id: int, people: People, user_id: int,
                         now: datetime) -> int:
        """The open blockers of ``user_id`` (the blocked person) with a rung to come get their next rung's time
        recomputed from the people calendar as it stands (locked first: a sweep holding one finishes); one due by
        ``now`` is due at once. Returns how many changed."""
        rows = await (await conn.execute(Q["blockers_lock_of_person"], {"organization_id": org_id, "user_id": user_id})).fetchall()
        ladder = await self._ladder(conn, org_id)
        changed = 0
        for (blocker_id,) in rows:
            blocker = await get(conn, org_id, int(blocker_id))
            nxt, _fires = next_rung_at(ladder, people.rhythm, people.person(user_id), blocker, now)
            if nxt != blocker.next_escalation_at:
                await conn.execute(Q["blocker_set_next"], {"organization_id": org_id, "id": blocker.id, "next": nxt})
                changed += 1
        return changed

    async def before_send(self, conn: psycopg.AsyncConnection, org_id: int, steps: Sequence[Step]) -> None:
        for step in steps:
            if step.route.action != "owner":
                step.extra["latest_word"] = await latest_word(conn, org_id, step.item)

    async def post(self, conn: psycopg.AsyncConnection, org_id: int, people: People, steps: Sequence[Step],
                   now: datetime) -> tuple[str, str, list[dict[str, Any]]]:
        from bot.blocks import blockers as render

        return (KIND_CHANNEL, *render.channel_post(steps, people, now))


def next_rung_at(ladder: Ladder, rhythm: Rhythm, person: calendar.Person, blocker: Blocker, now: datetime) -> tuple[datetime | None, bool]:
    """(When ``blocker``'s next rung is due in ``person``'s working time, whether that is by ``now``). Its column's
    truth: None once its ladder is done; a time :data:`PAUSED_RECHECK` on when its person is away until further notice
    (the calendar cannot say when the rung comes)."""
    due = ladders.next_due(ladder, rhythm, person, level=blocker.escalation_level, anchor_at=blocker.anchor_at,
                           anchor_level=blocker.anchor_level, held_until=blocker.held_until,
                           last_at=blocker.last_escalated_at)
    if due is not None and due <= now:
        return due, True
    return (due if due is not None or blocker.escalation_level >= len(ladder) else now + PAUSED_RECHECK), False


async def _advance(conn: psycopg.AsyncConnection, org_id: int, ladder: Ladder, people: People, blocker: Blocker,
                   now: datetime, result: SweepResult) -> Step | None:
    if blocker.task_status in ("done", "dropped"):
        result.resolved += await resolve(conn, org_id, blocker.id, None, now, via=f"task {blocker.task_status}") is not None
        return None
    rhythm = people.rhythm
    level = blocker.escalation_level
    nxt, fires = next_rung_at(ladder, rhythm, people.person(blocker.user_id), blocker, now)
    if not fires:
        await conn.execute(Q["blocker_set_next"], {"organization_id": org_id, "id": blocker.id, "next": nxt})
        result.moved += 1
        return None
    rung = ladder.rungs[level]
    route = escalations.route(people, rung.action, person_id=blocker.user_id, owner_id=blocker.owner_id, now=now,
                              channel_id=blocker.project_channel_id or rhythm.standup_channel_id)
    if route.wait_until is not None and route.skipped is None:
        await conn.execute(Q["blocker_set_next"], {"organization_id": org_id, "id": blocker.id, "next": route.wait_until})
        result.waiting += 1
        return None
    step = Step(SUBJECT, blocker.id, "", level + 1, route, blocker)
    if not await escalations.record_step(conn, org_id, step, now):
        return None  # fired by another process: it advanced the blocker too
    if route.action == "flag" and route.skipped is None:
        person = people.users.get(blocker.user_id)
        await escalations.flag_rung(
            conn, org_id, step, now, person_id=blocker.user_id, task_id=blocker.task_id, type_=FLAG_TYPE,
            title=f"Blocked for {rung.wait_words}: {markup.read(blocker.description).plain[:120]}",
            description=f"{person.mention if person else 'Someone'} has been blocked on {blocker.ref} for "
                        f"{rung.wait_words}; the blocker ladder reached its last rung.",
            evidence=flag_evidence(blocker, rung.wait_words),
            dedupe_key=f"blocker:{blocker.id}:flag:{level + 1}")
    nxt = ladders.next_due(ladder, rhythm, people.person(blocker.user_id), level=level + 1, anchor_at=blocker.anchor_at,
                           anchor_level=blocker.anchor_level, held_until=blocker.held_until, last_at=now)
    advanced = await (await conn.execute(Q["blocker_advance"], {
        "organization_id": org_id, "id": blocker.id, "level": level, "now": now, "next": nxt})).fetchone()
    if advanced is None:
        raise RuntimeError(f"blocker {blocker.id} changed under its lock")  # cannot happen: the row is ours
    await _log(conn, blocker, org_id, blocker.task_id, None, "escalated" if route.skipped is None else "rung_skipped", {
        "level": level + 1, "action": route.action, "to": [u.slack_id for u in route.to], "channel": route.channel_id,
        "reason": route.skipped or route.reason, "next_escalation_at": nxt.isoformat() if nxt else None}, now)
    if route.skipped is not None:
        result.skipped += 1
    else:
        result.fired[route.action] = result.fired.get(route.action, 0) + 1
    return step


def flag_evidence(blocker: Blocker, open_for: str) -> dict[str, Any]:
    """What a flag rung's flag keeps as evidence, as people read it (:func:`bot.blocks.flags.evidence_lines` shows
    it): the blocker by its name (``T-5``, ``B-12``), since when (an instant, shown as a date on the reader's clock),
    how long in working time ("3 working days") and its words."""
    return {"blocker": blocker.ref, "blocked_since": blocker.created_at.isoformat(), "open_for": open_for,
            "description": blocker.description}


async def latest_word(conn: psycopg.AsyncConnection, org_id: int, blocker: Blocker) -> tuple[str, datetime] | None:
    """The blocked person's own latest word on ``blocker`` (their words only; never whoever else opened or pressed
    on it): the words they raised it with, their "Still blocked" / "I need help" press (``blockers.last_word``), or
    the latest sentence of a standup update of theirs since it was raised that speaks of it (:func:`speaks_of`: its
    task's number or title, or its own words), whichever is later. None when they have said nothing about it."""
    own = (blocker.last_word, blocker.last_word_at) if blocker.last_word and blocker.last_word_at else None
    for raw, at in await (await conn.execute(Q["blocker_latest_word"], {
            "organization_id": org_id, "user_id": blocker.user_id, "since": blocker.created_at,
            "limit": WORD_UPDATES})).fetchall():
        if own is not None and own[1] >= at:
            break
        said = speaks_of(blocker, str(raw))
        if said is not None:
            return said, at
    return own


def speaks_of(blocker: Blocker, update: str) -> str | None:
    """The last sentence of ``update`` (a standup update, Slack markup) that speaks of ``blocker``: names its task
    (``T-5``), or reads like its task's title or its own words: close as a whole
    (:func:`bot.parsing.standup_reply.title_similarity` at least 0.5, the rule a standup's "unblocked" sentence is
    matched by), or sharing :data:`SHARED_WORDS` of their telling words ("Acme still hasn't sent the guidelines" of
    "waiting for Acme to send the brand guidelines"). None when no sentence does."""
    from bot.parsing.standup_reply import title_key, title_similarity
    from bot.parsing.text import sentences_of

    names = [markup.read(blocker.description).plain] + ([blocker.task_title] if blocker.task_title else [])
    telling = [set(title_key(n).split()) - _UNTELLING for n in names]
    number = re.compile(rf"\b{re.escape(blocker.task_display_id)}\b", re.IGNORECASE) if blocker.task_display_id else None
    found = None
    for line in update.splitlines():
        for sentence in sentences_of(line):
            plain = markup.read(sentence).plain
            words = set(title_key(plain).split())
            if (number is not None and number.search(plain)) or any(title_similarity(plain, n) >= 0.5 for n in names) \
                    or any(len(w & words) >= min(SHARED_WORDS, len(w)) > 0 for w in telling):
                found = sentence
    return found


async def fill_permalinks(conn: psycopg.AsyncConnection, client: Any, org_id: int, now: datetime) -> int:
    """Ask Slack (chat.getPermalink) for the link to where each blocker due by ``now`` was raised, once, so the
    manager's DM can link to it. Outside the sweep's transaction (no lock is held while Slack answers)."""
    from bot.services.context import permalink

    rows = await (await conn.execute(Q["blockers_needing_permalink"], {"organization_id": org_id, "now": now})).fetchall()
    for blocker_id, channel_id, ts in rows:
        link = await permalink(client, channel_id, ts)
        await conn.execute(Q["blocker_set_permalink"], {"organization_id": org_id, "id": blocker_id, "link": link or ""})
    return len(rows)

