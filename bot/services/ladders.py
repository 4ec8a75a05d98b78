"""Escalation ladders (SPEC F6; issue 13): which ladder applies, changing it, and when each rung is due.

Shared by the blocker ladder and the overdue ladder. The words are read by :mod:`bot.parsing.ladders`; the
ladders live in ``org_settings.blocker_ladder``, ``org_settings.overdue_ladder`` (NULL: the default below)
and ``projects.overdue_escalation`` (NULL: the organization's overdue ladder). Admins change them; every
change is audit-logged.

When a rung is due is measured by the people calendar (:func:`bot.services.calendar.after_working_time`):
the waits are working time of the person the ladder is about, so their clock pauses while they are away.

A ladder walk is described by four values any escalating record keeps (the ``blockers`` columns, or an
overdue task's own):

  * ``level``        how many rungs have fired (0: none yet);
  * ``anchor_at``    the instant the waits count from (when it was raised; moved by "Still blocked");
  * ``anchor_level`` the rung whose wait the anchor stands for: rung ``level`` is due ``wait(level) -
                     wait(anchor_level - 1)`` of working time after ``anchor_at`` (``anchor_level`` 0: the full
                     wait). "Still blocked" after rung k sets anchor_level = k, anchor_at = now: the current
                     rung's wait towards the next one starts over;
  * ``held_until``   no rung fires before this instant ("I'm on it" holds the ladder for a working day).

and, to keep the rungs' spacing after one that waited for its recipient, when the last rung actually fired (the
record's ``last_escalated_at`` / ``overdue_last_at``).

:func:`next_due` turns them into the instant the next rung is due (the record's ``next_escalation_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from bot.errors import InvalidInput, NotFound
from bot.parsing.ladders import Ladder, Rung, ladder_from_json, parse_ladder
from bot.services import calendar, security
from bot.services.calendar import Person, Rhythm
from db.queries import Q
from db.rows import User

Kind = Literal["blocker", "overdue"]
KINDS: tuple[Kind, ...] = ("blocker", "overdue")
# The defaults (issue 13): a blocker asks its owner after 4 working hours, their manager after a working
# day, posts in the channel after two and raises a flag after three; an overdue task asks its owner at the due
# time, the manager a working day later and the project channel after three.
DEFAULT_BLOCKER = parse_ladder("4h owner, 1d manager, 2d channel, 3d flag")
DEFAULT_OVERDUE = parse_ladder("0h owner, 1d manager, 3d channel")
DEFAULTS: dict[Kind, Ladder] = {"blocker": DEFAULT_BLOCKER, "overdue": DEFAULT_OVERDUE}
RESET_WORDS = frozenset({"default", "reset", "none", "off-custom", "org", "organization"})


@dataclass(frozen=True)
class OrgLadders:
    """An organization's ladders; ``*_custom`` says whether an admin set it (else the default applies)."""

    blocker: Ladder
    overdue: Ladder
    blocker_custom: bool
    overdue_custom: bool

    def of(self, kind: Kind) -> Ladder:
        return self.blocker if kind == "blocker" else self.overdue


@dataclass(frozen=True)
class ProjectLadder:
    """A project's overdue ladder: its own (``custom``) or the organization's."""

    project_id: int
    name: str
    ladder: Ladder
    custom: bool


def kind_of(word: str) -> Kind:
    """The ladder a word names ("blocker", "overdue"); InvalidInput for anything else."""
    kind = word.strip().lower()
    if kind in ("blocker", "blockers"):
        return "blocker"
    if kind in ("overdue", "overdue-work", "late"):
        return "overdue"
    raise InvalidInput("Say which ladder: `/steward ladder blocker <rungs>` or `/steward ladder overdue <rungs>`.")


def _stored(value: Any, default: Ladder) -> tuple[Ladder, bool]:
    try:
        ladder = ladder_from_json(value)
    except InvalidInput:
        return default, False  # a stored value this version cannot read: the default, never a crash
    return (ladder, ladder != default) if ladder is not None else (default, False)


async def ladders_of(conn: psycopg.AsyncConnection, org_id: int) -> OrgLadders:
    """The organization's blocker and overdue ladders (defaults where none is set). Raises NotFound for an
    organization without settings."""
    row = await (await conn.execute(Q["ladders_of_org"], {"organization_id": org_id})).fetchone()
    if row is None:
        raise NotFound("This workspace has no settings yet.")
    blocker, blocker_custom = _stored(row[0], DEFAULT_BLOCKER)
    overdue, overdue_custom = _stored(row[1], DEFAULT_OVERDUE)
    return OrgLadders(blocker, overdue, blocker_custom, overdue_custom)


@dataclass(frozen=True)
class LadderSet:
    """The answer to setting an organization's ladder: which, the ladder it follows now, and whether that changed
    anything (setting the ladder it already has writes nothing)."""

    kind: Kind
    ladder: Ladder
    changed: bool


async def set_ladder(conn: psycopg.AsyncConnection, org_id: int, actor: User, kind_word: str, words: str) -> LadderSet:
    """Set the organization's ``kind_word`` ladder ("blocker" or "overdue") from ``words`` (the grammar of
    :mod:`bot.parsing.ladders`; "default" restores the default). Admins only (PermissionDenied, logged).
    Raises InvalidInput for another kind or words that do not parse; nothing is written then. Audit-logged; the
    ladder it already has is left as it is, unchanged and with no audit row."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="ladder.set")
    kind = kind_of(kind_word)
    reset = words.strip().lower() in RESET_WORDS
    ladder = DEFAULTS[kind] if reset else parse_ladder(words, kind=kind)
    before = (await ladders_of(conn, org_id)).of(kind)
    if ladder == before:
        return LadderSet(kind, before, changed=False)
    async with conn.transaction():
        await conn.execute(Q["ladder_set_blocker" if kind == "blocker" else "ladder_set_overdue"], {
            "organization_id": org_id, "ladder": Jsonb(ladder.to_json()) if not reset or kind == "blocker" else None})
        await security.audit(conn, organization_id=org_id, actor=actor, action="ladder.changed", entity_type="ladder",
                             entity_id=kind, details={"from": before.words, "to": ladder.words})
    return LadderSet(kind, ladder, changed=True)


async def project_ladders(conn: psycopg.AsyncConnection, org_id: int) -> list[ProjectLadder]:
    """Every active project with the overdue ladder it follows (its own, or the organization's), by name."""
    org = await ladders_of(conn, org_id)
    out = []
    for project_id, name, value in await (await conn.execute(Q["project_ladders"], {"organization_id": org_id})).fetchall():
        try:
            own = ladder_from_json(value)
        except InvalidInput:
            own = None  # a stored value this version cannot read: the organization's, never a crash
        out.append(ProjectLadder(project_id, name, own or org.overdue, own is not None))
    return out


async def project_ladder(conn: psycopg.AsyncConnection, org_id: int, project_name: str) -> ProjectLadder:
    """The overdue ladder of the project called ``project_name`` (any case, or the only one starting with it).
    Raises NotFound listing the projects."""
    projects = await project_ladders(conn, org_id)
    wanted = " ".join(project_name.split()).strip(" \"'").lower()
    exact = [p for p in projects if p.name.lower() == wanted]
    loose = [p for p in projects if p.name.lower().startswith(wanted)] if wanted else []
    if exact:
        return exact[0]
    if len(loose) == 1:
        return loose[0]
    known = ", ".join(p.name for p in projects) or "none yet"
    raise NotFound(f"I don't know a project called `{project_name.strip()[:60]}`. Projects: {known}.")


async def set_project_ladder(conn: psycopg.AsyncConnection, org_id: int, actor: User, project_name: str,
                             words: str) -> tuple[ProjectLadder, bool]:
    """Give a project its own overdue ladder (``projects.overdue_escalation``) from ``words``; "default" makes it
    follow the organization's again. Returns the project's ladder now and whether that changed anything (the one it
    already follows is left as it is, with no audit row). Admins only; InvalidInput / NotFound write nothing;
    audit-logged."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="project.overdue_ladder")
    project = await project_ladder(conn, org_id, project_name)
    reset = words.strip().lower() in RESET_WORDS
    ladder = None if reset else parse_ladder(words, kind="overdue")
    if (not project.custom) if ladder is None else (project.custom and ladder == project.ladder):
        return project, False
    async with conn.transaction():
        await conn.execute(Q["project_set_overdue_ladder"], {
            "organization_id": org_id, "id": project.project_id, "ladder": Jsonb(ladder.to_json()) if ladder else None})
        await security.audit(conn, organization_id=org_id, actor=actor, action="project.overdue_ladder_changed",
                             entity_type="project", entity_id=project.project_id,
                             details={"name": project.name, "from": project.ladder.words if project.custom else None,
                                      "to": ladder.words if ladder else None})
    return await project_ladder(conn, org_id, project.name), True


async def overdue_ladders(conn: psycopg.AsyncConnection, org_id: int) -> tuple[Ladder, dict[int, Ladder]]:
    """The organization's overdue ladder and each project's own (project id -> ladder), for the overdue sweep."""
    org = await ladders_of(conn, org_id)
    return org.overdue, {p.project_id: p.ladder for p in await project_ladders(conn, org_id) if p.custom}


# ---------------------------------------------------------------- when a rung is due (pure)

def wait_of(rhythm: Rhythm, rung: Rung) -> timedelta:
    """A rung's wait as working time: hours as they are, days as that many working days
    (:func:`bot.services.calendar.workday_length`)."""
    if rung.unit == "d":
        return calendar.workday_length(rhythm) * rung.after
    return timedelta(hours=rung.after)


def next_due(ladder: Ladder, rhythm: Rhythm, person: Person, *, level: int, anchor_at: datetime, anchor_level: int = 0,
             held_until: datetime | None = None, last_at: datetime | None = None) -> datetime | None:
    """When rung ``level`` (0-based: the next to fire) is due, in the working time of ``person`` (see the module
    notes for ``anchor_at``, ``anchor_level`` and ``held_until``). None when the ladder has no such rung (it is
    done) or the person's clock is paused past the calendar's horizon (away until further notice).

    ``last_at`` is when the previous rung (``level - 1``) actually fired. When that was later than it was due (it
    waited for its recipient: their quiet hours, weekend, holiday or leave; a channel post waited for the team's
    working hours) and after ``anchor_at``, the rungs keep their spacing from it: rung ``level`` is due no sooner
    than the gap between the two rungs' waits, in working time, after ``last_at`` (a rung held to Tuesday 08:05 is
    not followed by the next one a minute later; issue 13's "+1 working day: the manager, +2: the channel")."""
    if level >= len(ladder):
        return None
    due = _due(ladder, rhythm, person, level, anchor_at, anchor_level, held_until)
    if due is None or level == 0 or last_at is None or last_at <= anchor_at:
        return due
    fired_due = _due(ladder, rhythm, person, level - 1, anchor_at, anchor_level, held_until)
    if fired_due is None or last_at <= fired_due:
        return due  # the previous rung fired when it was due: the walk's own times stand
    gap = wait_of(rhythm, ladder.rungs[level]) - wait_of(rhythm, ladder.rungs[level - 1])
    spaced = calendar.after_working_time(rhythm, person, last_at, max(timedelta(0), gap))
    return max(due, spaced) if spaced is not None else None


def _due(ladder: Ladder, rhythm: Rhythm, person: Person, level: int, anchor_at: datetime, anchor_level: int,
         held_until: datetime | None) -> datetime | None:
    """Rung ``level``'s due time from the walk's anchor and hold alone (:func:`next_due` without ``last_at``)."""
    base = wait_of(rhythm, ladder.rungs[anchor_level - 1]) if 0 < anchor_level <= len(ladder) else timedelta(0)
    due = calendar.after_working_time(rhythm, person, anchor_at, max(timedelta(0), wait_of(rhythm, ladder.rungs[level]) - base))
    if due is not None and held_until is not None:
        due = max(due, held_until)
    return due


def hold_until(rhythm: Rhythm, person: Person, now: datetime, days: float = 1) -> datetime | None:
    """The end of a hold of ``days`` working days from ``now`` in the person's working time ("I'm on it")."""
    return calendar.after_working_time(rhythm, person, now, calendar.workday_length(rhythm) * days)
