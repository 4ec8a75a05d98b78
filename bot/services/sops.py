"""SOPs (SPEC F13; issue 16): a standard procedure tied to a checklist, and whether it was followed.

`/steward sop add "<name>" checklist "<name>"` (admins) writes an SOP: its slug from the name (``deploy-to-prod``),
its steps copied from the checklist's items (the version it was written as: the record of what it asked, kept if the
checklist goes), and the checklist itself referenced (``sops.checklist_id``), so a deploy follows the checklist's
current items. ``trigger`` is 'manual' when written; it becomes 'deploy' when a deploy schedule uses the SOP
(:func:`use_for_deploy`, called by the deploy schedules).

Compliance (:func:`outcome`): an SOP followed with a checklist for a date is compliant when everyone the checklist
was sent to ticked every item; otherwise the record says which items are missing, by whom. The deploy schedules
write the ``sop_records`` row from it at deploy time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import checklists, security
from bot.services.checklists import MissingItems
from db.queries import Q
from db.rows import User

USAGE = '`/steward sop add "<name>" checklist "<checklist name>"`, e.g. `/steward sop add "Deploy to production" checklist "Pre-deploy"`.'
_QUOTED = r"[\"\u201c\u201d'\u2018\u2019](?P<{0}>[^\"\u201c\u201d'\u2018\u2019]*)[\"\u201c\u201d'\u2018\u2019]"
_ADD = re.compile(r"^\s*" + _QUOTED.format("name") + r"\s+checklist\s+(?:" + _QUOTED.format("checklist")
                  + r"|(?P<bare>.+?))\s*$", re.IGNORECASE | re.DOTALL)
NAME_MAX = 80


@dataclass(frozen=True)
class Sop:
    """An SOP as stored (``sops``), with its checklist's name."""

    id: int
    organization_id: int
    slug: str
    name: str
    steps: list[Any]
    trigger: str
    checklist_id: int | None
    checklist_name: str | None
    version: int
    created_at: datetime
    # Filled by :func:`add` only: the SOPs this one took the checklist's deploy schedules from, as (name, what became
    # of it: "retired" for one a schedule made, "by hand" for one an admin named), so the answer says so (tester16b N7).
    replaced: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """Whether an SOP was followed (:func:`outcome`): ``compliant`` when nobody left an item; ``steps_done``: the
    items everyone ticked (keys); ``missing``: by person; ``notes``: the same in words, for ``sop_records.notes``."""

    compliant: bool
    steps_done: list[str]
    missing: list[MissingItems]
    sent_to: int
    notes: str


def slug_of(name: str) -> str:
    """``Deploy to Production!`` -> ``deploy-to-production`` (``sops.slug``: ^[a-z0-9][a-z0-9_-]*$); accents dropped.
    Raises InvalidInput when nothing is left."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-_")[:60].strip("-")
    if not slug:
        raise InvalidInput("Give the SOP a name with letters or digits in it.")
    return slug


def parse_add(text: str) -> tuple[str, str]:
    """`"<name>" checklist "<checklist name>"` as (name, checklist name). Raises InvalidInput naming the part."""
    found = _ADD.match(" ".join(markup.read(text or "").plain.split()))
    if found is None:
        raise InvalidInput("I couldn't read that. " + USAGE)
    name = " ".join(found["name"].split())
    checklist = " ".join((found["checklist"] or found["bare"] or "").split())
    if not name:
        raise InvalidInput("The SOP's name is empty: put it between the quotes. " + USAGE)
    if len(name) > NAME_MAX:
        raise InvalidInput(f"The SOP's name is {len(name)} characters; keep it to {NAME_MAX}.")
    if not checklist:
        raise InvalidInput("Say which checklist it follows. " + USAGE)
    return name, checklist


async def list_sops(conn: psycopg.AsyncConnection, org_id: int) -> list[Sop]:
    """The organization's active SOPs, by name."""
    cur = conn.cursor(row_factory=class_row(Sop))
    await cur.execute(Q["sops_of_org"], {"organization_id": org_id})
    return await cur.fetchall()


async def add(conn: psycopg.AsyncConnection, org_id: int, actor: User, text: str, now: datetime) -> Sop:
    """`/steward sop add <text>` (admins): the SOP, its steps copied from the checklist's items. Raises
    PermissionDenied (logged), InvalidInput (unreadable, a name taken; logged as ``checklist.refused``), NotFound (an
    unknown checklist). Active deploy schedules that already use the checklist record their next deploys against the
    new SOP (its trigger becomes 'deploy'); the SOP they used before, when nothing uses it now, is retired if a schedule
    made it ("Deploy: <checklist>", its records kept: tester16 F12) or goes back to 'manual' if an admin named it;
    the returned SOP's ``replaced`` names them, for the answer (tester16b N7). Audit-logged (``sop.added``); one transaction."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="sop.add")
    try:
        name, checklist_name = parse_add(text)
        slug = slug_of(name)
    except InvalidInput as exc:
        raise await checklists._refuse(conn, org_id, actor, "sop unreadable", str(exc),
                                       text=markup.store(text, limit=300)) from None
    try:
        checklist = await checklists.by_name(conn, org_id, checklist_name)
    except NotFound as exc:
        await checklists._refuse(conn, org_id, actor, "unknown checklist", str(exc), checklist=checklist_name[:120])
        raise
    taken = await (await conn.execute(Q["sop_slug_taken"], {"organization_id": org_id, "slug": slug})).fetchone()
    if taken is not None:
        raise await checklists._refuse(conn, org_id, actor, "sop name taken",
                                       f"There's already an SOP called “{markup.escape(taken[0])}” (`{slug}`). "
                                       "Pick another name.", slug=slug)
    steps = [{"key": i.key, "text": i.text} for i in checklist.item_list]
    names = {s.id: s.name for s in await list_sops(conn, org_id)}
    async with conn.transaction():
        row = await (await conn.execute(Q["sop_insert"], {
            "organization_id": org_id, "slug": slug, "name": name, "steps": Jsonb(steps), "trigger": "manual",
            "checklist_id": checklist.id, "created_by": actor.id, "now": now})).fetchone()
        if row is None:
            raise InvalidInput(f"There's already an SOP called `{slug}`. Pick another name.")
        # Deploy schedules already using the checklist record against this SOP from now on (tester16 #12).
        moved = await (await conn.execute(Q["deploy_schedules_use_sop"], {
            "organization_id": org_id, "checklist_id": checklist.id, "sop_id": int(row[0])})).fetchall()
        rested: list[Any] = []
        if moved:
            await use_for_deploy(conn, org_id, int(row[0]), now)
            # The SOPs those schedules used and nothing uses now: a schedule-made one is retired (records kept).
            rested = await (await conn.execute(Q["sops_rest_unused"], {
                "organization_id": org_id, "now": now, "ids": sorted({int(r[1]) for r in moved if r[1] is not None})})).fetchall()
        await security.audit(conn, organization_id=org_id, actor=actor, action="sop.added", entity_type="sop",
                             entity_id=int(row[0]), details={"name": name, "checklist": checklist.name,
                                                             "deploy_schedules": [int(r[0]) for r in moved],
                                                             "sops_retired": [int(r[0]) for r in rested if not r[1]],
                                                             "sops_by_hand": [int(r[0]) for r in rested if r[1]]}, now=now)
    added = next(s for s in await list_sops(conn, org_id) if s.id == int(row[0]))
    return replace(added, replaced=tuple((names.get(int(r[0]), "?"), "by hand" if r[1] else "retired") for r in rested))


async def use_for_deploy(conn: psycopg.AsyncConnection, org_id: int, sop_id: int, now: datetime) -> None:
    """Mark the SOP as followed at deploys (``trigger`` 'deploy'): a deploy schedule uses it."""
    await conn.execute(Q["sop_set_trigger"], {"organization_id": org_id, "id": sop_id, "trigger": "deploy", "now": now})


async def outcome(conn: psycopg.AsyncConnection, *, organization_id: int, checklist_id: int,
                  for_date: date) -> Outcome:
    """Whether the procedure followed with ``checklist_id`` for ``for_date`` was complied with: compliant when it was
    sent to at least one person and nobody left an item unticked (see
    :func:`bot.services.checklists.items_missing`). ``notes`` name each missing item and its owner:
    "Missing: Sam Carter: tests pass, changelog written"."""
    checklist = await checklists.get(conn, organization_id, checklist_id)
    sent = await checklists.completions_for_date(conn, organization_id, checklist_id, for_date)
    missing = await checklists.items_missing(conn, organization_id=organization_id, checklist_id=checklist_id,
                                             for_date=for_date)
    items = checklist.item_list
    everyone_done = [i.key for i in items if all(i.key in set(r.items_done) for r in sent)] if sent else []
    if not sent:
        notes = "The checklist was sent to nobody."
    elif missing:
        notes = "Missing: " + "; ".join(f"{m.name}: " + ", ".join(i.text for i in m.items) for m in missing)
    else:
        notes = f"Every item done by all {len(sent)}."
    return Outcome(bool(sent) and not missing, everyone_done, missing, len(sent), notes)
