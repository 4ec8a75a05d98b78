"""Action items (issue 15): what a report proposes from its data, each with an owner (the report's reader, usually
the manager), a due date and its evidence; Done / Dismiss (with a reason) / Reassign; open items are listed again
in the next report and in `/actions`.

A report proposes an item for (the issue's four cases):
  * a blocker past the second rung of its ladder (its third rung or later fired: ``escalation_level > 2``);
  * a person below the submission target two periods running (this one and the previous);
  * a task carried forward :data:`CARRIED_TIMES` times or more;
  * a team KPI that misses its target.

Dedupe: an item rests on evidence with a stable key (``blocker:7``, ``carried:55``, ``submission:42``,
``kpi:org:on_time_rate``, ``kpi:team:12:on_time_rate``). A blocker or a task gets one item, ever: a manager's team
report and the organization's report show the same row (pressing one copy updates the others). A person or a KPI gets no second item while one
is open, and at most one per period (so once closed, it can come back in a later period if the data says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from bot.errors import InvalidInput, NotFound
from bot.services import calendar, security
from bot.services.report_figures import LABELS, FigureLike, below_target, fmt, misses, shown
from bot.services.report_periods import Period
from db.queries import Q
from db.repos.users import user_by_id, user_by_slack_id
from db.rows import User

CARRIED_TIMES = 3
"""A task carried forward this many times gets an item (issue 15: "a task carried three times")."""
DUE_WORKDAYS = 2
"""An item is due this many workdays after its report's day."""
REASON_MAX = 300

Kind = Literal["blocker", "submission", "carried", "kpi"]


@dataclass(frozen=True)
class Proposal:
    """An item a report proposes: what to do, about what, the evidence (a sentence with the figures), its dedupe
    key and period (None: once ever), and the task it is about, if any."""

    kind: Kind
    title: str
    evidence: str
    key: str
    period: date | None
    task_id: int | None = None


@dataclass(frozen=True)
class Item:
    """A stored action item as listed: owner's Slack id, due date, where it came from."""

    id: int
    title: str
    description: str | None
    kind: str | None
    evidence: str | None
    due_date: date | None
    assignee_id: int | None
    assignee_slack_id: str | None
    report_id: int | None
    created_at: datetime
    status: str = "open"
    completed_at: datetime | None = None
    closed_by: int | None = None
    dismiss_reason: str | None = None


def propose(period: Period, team: Mapping[str, FigureLike], people: Mapping[int, Mapping[str, FigureLike]],
            names: Mapping[int, str], *, blockers: Sequence[Sequence[Any]] = (),
            carried: Sequence[Sequence[Any]] = (), scope: str = "org") -> list[Proposal]:
    """Pure: the items a report of ``period`` proposes (module doc). ``team``/``people``: its figures; ``scope``:
    whose figures they are ("org", "team:<manager id>", "self:<user id>"): a KPI miss is evidence of that scope, so
    a manager's team and the organization each get theirs even when the same KPI misses in both;
    ``names``: display names by user id; ``blockers``: rows of ``report_blockers_high`` (id, user_id, description,
    escalation_level, display_id, created_at); ``carried``: rows of ``report_tasks_carried`` (id, user_id,
    display_id, title, carry_forward_count)."""
    out: list[Proposal] = []
    for blocker_id, user_id, description, level, display_id, created_at in blockers:
        about = f"{display_id}: " if display_id else ""
        out.append(Proposal(
            "blocker", f"Unblock {names.get(user_id, 'a teammate')} ({about}{str(description)[:80]})",
            f"Blocked since {created_at:%d %b}; its ladder reached rung {level}.", f"blocker:{blocker_id}", None))
    for task_id, user_id, display_id, title, times in carried:
        out.append(Proposal(
            "carried", f"Decide on {display_id} {str(title)[:80]} (split it, reassign it or drop it)",
            f"{names.get(user_id, 'Its owner')}'s task was carried forward {times} times.", f"carried:{task_id}",
            None, task_id=int(task_id)))
    for user_id in sorted(people):
        figure = people[user_id].get("submission_rate")
        if figure is None or figure.target is None:
            continue
        if below_target(figure.kpi, figure.value, figure.target) and below_target(figure.kpi, figure.previous,
                                                                                   figure.target):
            out.append(Proposal(
                "submission", f"Talk with {names.get(user_id, 'a teammate')} about their updates",
                f"Submission rate {fmt(figure.kpi, figure.value)} this period and {fmt(figure.kpi, figure.previous)} "
                f"the one before (target {fmt(figure.kpi, figure.target)}).",
                f"submission:{user_id}", period.start))
    for kpi, figure in team.items():
        if misses(figure):
            out.append(Proposal(
                "kpi", f"{LABELS.get(kpi, kpi)} is off target: agree what to change",
                f"{LABELS.get(kpi, kpi)} {shown(figure)} against a target of {fmt(kpi, figure.target)}.",
                f"kpi:{scope}:{kpi}", period.start))
    return out


def due_date(day: date, rhythm: calendar.Rhythm) -> date:
    """:data:`DUE_WORKDAYS` workdays after ``day`` (the report's day, the team's date)."""
    due = day
    for _ in range(DUE_WORKDAYS):
        due = calendar.next_workday(due, rhythm) or due
    return due


async def record(conn: psycopg.AsyncConnection, org_id: int, report_id: int, owner_id: int,
                 proposals: Sequence[Proposal], *, due: date, now: datetime) -> list[int]:
    """Store ``proposals`` as items of report ``report_id`` owned by ``owner_id``, each once per its evidence
    (module doc). Returns the ids of the new ones."""
    ids = []
    for p in proposals:
        row = await (await conn.execute(Q["action_item_insert"], {
            "organization_id": org_id, "report_id": report_id, "title": p.title, "description": None,
            "assignee_id": owner_id, "task_id": p.task_id, "due_date": due, "kind": p.kind, "evidence": p.evidence,
            "evidence_key": p.key, "evidence_period": p.period, "now": now})).fetchone()
        if row is not None:
            ids.append(int(row[0]))
    return ids


async def open_items(conn: psycopg.AsyncConnection, org_id: int, owner_ids: Sequence[int] | None) -> list[Item]:
    """Open items owned by ``owner_ids`` (None: the whole organization's), by due date."""
    rows = await (await conn.execute(Q["action_items_open"], {
        "organization_id": org_id, "assignee_ids": None if owner_ids is None else list(owner_ids)})).fetchall()
    return [Item(*row) for row in rows]


async def copies(conn: psycopg.AsyncConnection, org_id: int, item_id: int) -> list[tuple[str, str]]:
    """The report messages (Slack channel id, message ts) that show item ``item_id`` with its buttons (block id
    ``action_item_buttons:<id>``, bot/blocks/reports.py), so a press on one copy updates the others."""
    rows = await (await conn.execute(Q["action_item_copies"], {
        "organization_id": org_id, "blocks": Jsonb([{"block_id": f"action_item_buttons:{item_id}"}])})).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


async def get(conn: psycopg.AsyncConnection, org_id: int, item_id: int) -> Item:
    row = await (await conn.execute(Q["action_item_get"], {"organization_id": org_id, "id": item_id})).fetchone()
    if row is None:
        raise NotFound("That action item is gone.")
    return Item(*row)


async def _may_change(conn: psycopg.AsyncConnection, org_id: int, actor: User, item: Item, action: str) -> None:
    """The owner, their manager or an admin may close or reassign an item; anyone else is refused (and logged)."""
    if actor.is_admin or item.assignee_id in (None, actor.id):
        return
    owner = await user_by_id(conn, org_id, item.assignee_id)
    if owner is not None and owner.manager_id == actor.id:
        return
    raise await security.deny(conn, organization_id=org_id, actor=actor, action=action,
                              message="Sorry, only the item's owner, their manager or an admin can change it.",
                              details={"action_item": item.id})


async def close(conn: psycopg.AsyncConnection, org_id: int, actor: User, item_id: int, *, done: bool,
                reason: str | None, now: datetime) -> tuple[Item, bool]:
    """Done (``done``) or Dismiss (with ``reason``, required, at most :data:`REASON_MAX` characters). Returns the
    item as it is now and whether this call closed it (False: it was already closed, by whom it says). Raises
    NotFound, PermissionDenied (logged), InvalidInput for a dismissal without a reason."""
    item = await get(conn, org_id, item_id)
    await _may_change(conn, org_id, actor, item, "action_item.close")
    reason = (reason or "").strip()[:REASON_MAX] or None
    if not done and reason is None:
        raise InvalidInput("Please say why you're dismissing it (a few words are enough).")
    async with conn.transaction():
        row = await (await conn.execute(Q["action_item_close"], {
            "organization_id": org_id, "id": item_id, "status": "done" if done else "dropped", "now": now,
            "closed_by": actor.id, "reason": None if done else reason})).fetchone()
        if row is not None:
            await security.audit(conn, organization_id=org_id, actor=actor, action="action_item.done" if done
                                 else "action_item.dismissed", entity_type="action_item", entity_id=item_id,
                                 details={"reason": reason} if not done else None, now=now)
    return await get(conn, org_id, item_id), row is not None


async def reassign(conn: psycopg.AsyncConnection, org_id: int, actor: User, item_id: int, to_slack_id: str, *,
                   now: datetime) -> tuple[Item, User]:
    """Give an open item to someone else (a person Steward knows, not a bot). Returns the item and its new owner.
    Raises NotFound, PermissionDenied (logged), InvalidInput (unknown person, or the item is closed)."""
    item = await get(conn, org_id, item_id)
    await _may_change(conn, org_id, actor, item, "action_item.reassign")
    person = await user_by_slack_id(conn, org_id, to_slack_id)
    if person is None or not person.active:
        raise InvalidInput("I don't know that person in this workspace; pick someone on the team.")
    row = await (await conn.execute(Q["action_item_reassign"], {
        "organization_id": org_id, "id": item_id, "assignee_id": person.id, "now": now})).fetchone()
    if row is None:
        raise InvalidInput("That item is already closed.")
    await security.audit(conn, organization_id=org_id, actor=actor, action="action_item.reassigned",
                         entity_type="action_item", entity_id=item_id, details={"to": person.id}, now=now)
    return await get(conn, org_id, item_id), person
