"""Flags (SPEC F9; issue 13): a concern about a person that their manager owns until it is resolved or dismissed.

A flag is raised by a person with `/flag @person <reason>` (:func:`raise_manual`: the person's managers, anyone
above them in the reporting line, and admins; never about oneself) or by a rule (:func:`raise_rule_flag`: the
blocker ladder's and the overdue ladder's flag rung, the low-mood rule of :mod:`bot.services.mood`). Its *card*
(what it is about, its reason or rule, its evidence, and the buttons Open inquiry / Resolve / Dismiss) goes once to
the person's manager, else the admins (:func:`send_card`; a rule's flag whose card did not go out at once goes
with :func:`deliver_pending`). A ladder's flag rung is different (issue 13): its flag goes to the manager's manager, else the admins, as an item
of the sweep's escalation DM with these buttons (:func:`bot.services.escalations.flag_rung`), and no card goes to
the manager. ``flags.notified_at`` says the flag went out.

Who may act on a flag (open an inquiry, resolve, dismiss): the admins and anyone above the person in the reporting
line, never the person. Who may see it (:func:`visible`, `/flags`): the same people, and the person themselves
unless it is private (``is_private``: the low-mood flag is for the manager). Resolving or dismissing records who
and when (``resolved_by``, ``resolved_at``, ``note``), closes its private inquiry (:mod:`bot.services.inquiries`)
and tells the person when they were in one. Every step is audit-logged; refusals go to security_audit_logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.log import get_logger
from bot.services import security
from bot.services.notifications import Target, notify, reached_at
from db.queries import Q
from db.repos.users import user_by_id, user_by_slack_id, users_by_ids
from db.rows import User

log = get_logger(__name__)

MANUAL_TYPE = "manual"
MANUAL_SEVERITY = "medium"
REASON_MAX = 1000
TITLE_MAX = 200
KIND_CARD = "flag.raised"
KIND_LOW_MOOD = "mood.low_flag"  # the low-mood rule's card keeps its kind (job summaries and tests read it)
KIND_CLOSED = "flag.closed"
# `/flags` also lists flags closed this recently, and at most this many.
CLOSED_SHOWN = timedelta(days=14)
LIST_LIMIT = 50
# Rule flags whose card is sent in one sweep, at most (the rest go in the next).
DELIVER_BATCH = 200
USAGE = ("`/flag @person <reason>` raises a flag about someone who reports to you (admins: anyone); its card, with "
         "Open inquiry / Resolve / Dismiss, goes to their manager. `/flags` lists the flags you can see.")
Closing = Literal["resolved", "dismissed"]


@dataclass(frozen=True)
class Flag:
    """One flag with its person's Slack id, its task's display id and its latest inquiry (``flag_by_id``)."""

    id: int
    organization_id: int
    user_id: int
    type: str
    severity: str
    status: str
    title: str
    description: str | None
    evidence: dict[str, Any]
    is_private: bool
    task_id: int | None
    raised_by: int | None
    resolved_by: int | None
    resolved_at: datetime | None
    note: str | None
    created_at: datetime
    person_slack_id: str
    task_display_id: str | None
    inquiry_id: int | None
    inquiry_status: str | None
    inquiry_opened_by: int | None

    @property
    def ref(self) -> str:
        """How people name it: ``F-12``."""
        return f"F-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "acknowledged")


async def get(conn: psycopg.AsyncConnection, org_id: int, flag_id: int) -> Flag:
    """The flag ``flag_id`` of the organization; NotFound otherwise (another organization's flag is not found)."""
    cur = conn.cursor(row_factory=class_row(Flag))
    await cur.execute(Q["flag_by_id"], {"organization_id": org_id, "id": flag_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that flag. `/flags` lists the ones you can see.")
    return found


async def is_below(conn: psycopg.AsyncConnection, org_id: int, person_id: int, actor_id: int) -> bool:
    """Whether ``person_id`` is below ``actor_id`` in the reporting line (reports to them, or to someone who does)."""
    row = await (await conn.execute(Q["person_is_below"], {"organization_id": org_id, "person": person_id,
                                                           "actor": actor_id})).fetchone()
    return bool(row and row[0])


async def people_below(conn: psycopg.AsyncConnection, org_id: int, viewer_id: int) -> set[int]:
    """The ids of everyone below ``viewer_id`` in the reporting line."""
    rows = await (await conn.execute(Q["people_below"], {"organization_id": org_id, "viewer": viewer_id})).fetchall()
    return {int(r[0]) for r in rows}


async def may_act(conn: psycopg.AsyncConnection, org_id: int, actor: User, person_id: int) -> bool:
    """The module's rule: admins and anyone above the person; never the person themselves."""
    if actor.id == person_id:
        return False
    return actor.is_admin or await is_below(conn, org_id, person_id, actor.id)


async def require_may_act(conn: psycopg.AsyncConnection, org_id: int, actor: User, flag: Flag, action: str) -> None:
    """PermissionDenied (logged) unless ``actor`` may act on ``flag``."""
    if await may_act(conn, org_id, actor, flag.user_id):
        return
    message = ("That flag is about you, so it's for your manager to act on." if actor.id == flag.user_id else
               "Sorry, that flag is for the person's managers and the admins to act on.")
    raise await security.deny(conn, organization_id=org_id, actor=actor, action=f"flag.{action}", message=message,
                              details={"flag": flag.id})


# ---------------------------------------------------------------- raising

def split_words(text: str) -> tuple[str | None, str]:
    """`/flag` words as (the first person mentioned, the reason: the words without that mention)."""
    read = markup.read(text or "")
    person = read.users[0] if read.users else None
    reason = markup.without_user(text or "", person) if person else (text or "").strip()
    return person, reason.strip(" \t\n:,.-\u2013\u2014")


@dataclass(frozen=True)
class Raised:
    """A flag raised with `/flag`: the flag, who its card went to, and, for each of them whose card waits for their
    quiet hours, when it reaches them (user id -> aware instant)."""

    flag: Flag
    told: list[User]
    held_until: dict[int, datetime]


async def raise_manual(conn: psycopg.AsyncConnection, org_id: int, actor: User, text: str, now: datetime) -> Raised:
    """`/flag @person <reason>`: a flag of type ``manual`` and severity ``medium`` about the person, raised by
    ``actor``, its card sent to the person's manager (else the admins): held for a recipient's quiet hours, except
    the raiser's own card (they just typed the command, so they are awake), which goes at once. Returns the flag, who
    got its card and when a held card reaches its recipient (:class:`Raised`).

    Raises InvalidInput for no words, no person mentioned, the actor themselves, someone who left, or no reason;
    NotFound for a person Steward doesn't know; PermissionDenied (logged) unless the actor is an admin or above the
    person in the reporting line. Nothing is written when it raises."""
    slack_id, reason = split_words(text)
    if not (text or "").strip():
        raise InvalidInput(USAGE)
    if slack_id is None:
        typed = (text or "").split()[0]
        if typed.startswith("@") and len(typed) > 1:  # a name Slack did not turn into a mention: nobody it knows
            raise NotFound(f"I don't know `{markup.escape(typed)[:40]}` here. Pick them from the list as you type `@`: "
                           "`/flag @priya missed the last three standups`.")
        raise InvalidInput("Who is the flag about? Mention them: `/flag @priya missed the last three standups`.")
    words = (text or "").split()
    if len(words) > 1 and markup.read(words[1]).users:  # "@lena @priya missed …": who is it about?
        raise InvalidInput("One person at a time: a flag is about one person, so raise one for each "
                           "(`/flag @priya missed the last three standups`).")
    person = await user_by_slack_id(conn, org_id, slack_id)
    if person is None:
        raise NotFound(f"I don't know <@{slack_id}> (a bot, a guest, or someone who just joined): no flag raised.")
    if person.id == actor.id:
        raise InvalidInput("You can't raise a flag about yourself. If something is in your way, `/blocker` raises a "
                           "blocker, or talk to your manager.")
    if not await may_act(conn, org_id, actor, person.id):
        raise await security.deny(
            conn, organization_id=org_id, actor=actor, action="flag.raise",
            message=f"Sorry, only {person.mention}'s managers and the admins can raise a flag about them. If you're "
                    "worried about someone, tell their manager.", details={"about": person.slack_id})
    if not person.active:
        raise InvalidInput(f"{person.mention} has left the workspace, so there's nobody to raise a flag about.")
    stored = markup.store(" ".join(reason.split()), limit=REASON_MAX)
    if not markup.read(stored).plain.strip():
        raise InvalidInput(f"Say why you're raising it: `/flag @{markup.escape(person.display_name)} missed the last "
                           "three standups`.")
    async with conn.transaction():
        row = await (await conn.execute(Q["flag_insert"], {
            "organization_id": org_id, "user_id": person.id, "type": MANUAL_TYPE, "severity": MANUAL_SEVERITY,
            "title": markup.store(stored, limit=TITLE_MAX), "description": stored, "task_id": None, "raised_by": actor.id,
            "private": False, "dedupe_key": None, "now": now,
            "evidence": Jsonb({"raised_by": actor.slack_id, "reason": stored})})).fetchone()
        assert row is not None  # no dedupe key: never a conflict
        flag_id = int(row[0])
        await security.audit(conn, organization_id=org_id, actor=actor, action="flag.raised", entity_type="flag",
                             entity_id=flag_id, details={"about": person.slack_id, "type": MANUAL_TYPE})
        told = await send_card(conn, org_id, flag_id, now, asked_by=actor)
        reach = await reached_at(conn, org_id, [card_key(KIND_CARD, org_id, flag_id, u.id) for u in told])
    held = {u.id: at for u in told if (at := reach.get(card_key(KIND_CARD, org_id, flag_id, u.id))) and at > now}
    return Raised(await get(conn, org_id, flag_id), told, held)


async def raise_rule_flag(conn: psycopg.AsyncConnection, org_id: int, *, person_id: int, type_: str, severity: str,
                          title: str, description: str, evidence: dict[str, Any], dedupe_key: str,
                          now: datetime, task_id: int | None = None, private: bool = False) -> int | None:
    """A flag raised by a rule (``raised_by`` NULL), once per ``dedupe_key``: its id, or None when it was raised
    before. Its card is not sent here: :func:`deliver_pending` sends it (or the caller, with :func:`send_card`)."""
    row = await (await conn.execute(Q["flag_insert"], {
        "organization_id": org_id, "user_id": person_id, "type": type_, "severity": severity, "title": title[:TITLE_MAX],
        "description": description[:REASON_MAX * 2], "evidence": Jsonb(evidence), "task_id": task_id, "raised_by": None,
        "private": private, "dedupe_key": dedupe_key, "now": now})).fetchone()
    return int(row[0]) if row else None


async def recipients(conn: psycopg.AsyncConnection, org_id: int, person: User) -> list[User]:
    """Who a flag's card goes to: the person's manager (active), else the organization's admins (never the person)."""
    from bot.services import mood

    return await mood.flag_recipients(conn, org_id, person)


def card_key(kind: str, org_id: int, flag_id: int, recipient_id: int) -> str:
    """The dedupe key of a flag's card to one recipient (``kind``: :data:`KIND_CARD` or :data:`KIND_LOW_MOOD`)."""
    return f"{kind}:{org_id}:{flag_id}:{recipient_id}"


async def send_card(conn: psycopg.AsyncConnection, org_id: int, flag_id: int, now: datetime, *,
                    asked_by: User | None = None) -> list[User]:
    """Queue the card of flag ``flag_id`` to its recipients (:func:`recipients`), once (a dedupe key per flag and
    recipient), and mark it notified. A card waits out its recipient's quiet hours, except the one to ``asked_by``
    (who raised the flag this second: awake, and waiting for it). Returns who it went to."""
    from bot.blocks import flags as render

    flag = await get(conn, org_id, flag_id)
    person = await user_by_id(conn, org_id, flag.user_id)
    if person is None:
        return []
    raiser = await user_by_id(conn, org_id, flag.raised_by) if flag.raised_by else None
    to = await recipients(conn, org_id, person)
    kind = KIND_LOW_MOOD if flag.type == "low_mood" else KIND_CARD
    async with conn.transaction():
        for recipient in to:
            text, blocks = render.card(flag, person, raiser, recipient)
            await notify(conn, organization_id=org_id, kind=kind, dedupe_key=card_key(kind, org_id, flag.id, recipient.id),
                         text=text, blocks=blocks, targets=[Target.dm(recipient.slack_id)], now=now, user_id=recipient.id,
                         urgent=asked_by is not None and recipient.id == asked_by.id)
        await mark_notified(conn, org_id, flag.id, now)
    return to


async def mark_notified(conn: psycopg.AsyncConnection, org_id: int, flag_id: int, now: datetime) -> None:
    """Record that flag ``flag_id`` went to its recipients (``flags.notified_at``): :func:`deliver_pending` skips it.
    A ladder's flag rung marks its flag so, its DM carrying the flag (:func:`bot.services.escalations.flag_rung`)."""
    await conn.execute(Q["flag_mark_notified"], {"organization_id": org_id, "id": flag_id, "now": now})


async def deliver_pending(conn: psycopg.AsyncConnection, org_id: int, now: datetime, *, batch: int = DELIVER_BATCH) -> int:
    """Send the cards of flags raised by a rule without one (a low-mood flag whose card did not go out), claimed so
    that two processes send each once; a ladder's flag rung marks its flag sent with its DM, so it is never here. Returns how many flags' cards were queued (the job ``escalations`` calls this)."""
    async with conn.transaction():
        rows = await (await conn.execute(Q["flags_unnotified"], {"organization_id": org_id, "limit": batch})).fetchall()
        for (flag_id,) in rows:
            await send_card(conn, org_id, int(flag_id), now)
    return len(rows)


# ---------------------------------------------------------------- seeing and closing

async def visible(conn: psycopg.AsyncConnection, org_id: int, viewer: User, now: datetime, *,
                  open_only: bool = False) -> list[Flag]:
    """The flags ``viewer`` may see (the module's rule): open ones, newest first, then those closed in the last
    :data:`CLOSED_SHOWN` (none with ``open_only``). At most :data:`LIST_LIMIT`."""
    cur = conn.cursor(row_factory=class_row(Flag))
    await cur.execute(Q["flags_visible"], {
        "organization_id": org_id, "viewer": viewer.id, "admin": viewer.is_admin, "limit": LIST_LIMIT,
        "closed_since": now + timedelta(days=1) if open_only else now - CLOSED_SHOWN})
    return await cur.fetchall()


@dataclass(frozen=True)
class Closed:
    """A flag resolved or dismissed, and the inquiry that closed with it (its id), if one was open."""

    flag: Flag
    inquiry_id: int | None


async def close(conn: psycopg.AsyncConnection, org_id: int, actor: User, flag_id: int, now: datetime, status: Closing, *,
                note: str | None = None) -> Closed:
    """*Resolve* or *Dismiss*: the flag closes with who and when (and ``note``), its open inquiry closes (the relay
    stops), and the person hears it when they were in that inquiry; the inquiry's opener too when someone else
    closed it. Raises InvalidInput when it was already resolved or dismissed (saying by whom and when),
    PermissionDenied (logged) for someone not allowed to act on it. Audit-logged."""
    from bot.blocks import flags as render

    flag = await get(conn, org_id, flag_id)
    if not flag.is_open:
        by = await user_by_id(conn, org_id, flag.resolved_by) if flag.resolved_by else None
        raise InvalidInput(render.already_closed(flag, by, actor))
    await require_may_act(conn, org_id, actor, flag, "resolve" if status == "resolved" else "dismiss")
    stored_note = markup.store(note, limit=500) if note else None
    async with conn.transaction():
        row = await (await conn.execute(Q["flag_close"], {"organization_id": org_id, "id": flag.id, "status": status,
                                                          "by": actor.id, "now": now, "note": stored_note})).fetchone()
        if row is None:  # closed by someone else between the read and now
            current = await get(conn, org_id, flag.id)
            by = await user_by_id(conn, org_id, current.resolved_by) if current.resolved_by else None
            raise InvalidInput(render.already_closed(current, by, actor))
        await security.audit(conn, organization_id=org_id, actor=actor, action=f"flag.{status}", entity_type="flag",
                             entity_id=flag.id, details={"about": flag.person_slack_id, "note": stored_note}, now=now)
        inquiry = await _close_inquiry(conn, org_id, flag, actor, status, now)
    return Closed(await get(conn, org_id, flag.id), inquiry)


async def _close_inquiry(conn: psycopg.AsyncConnection, org_id: int, flag: Flag, actor: User | None, status: str,
                         now: datetime) -> int | None:
    """The flag was closed by ``actor`` (None: its cause went): its open inquiry closes and its two people hear it
    (not the one who closed it). The inquiry's id, or None when none was open."""
    from bot.blocks import flags as render
    from bot.services import inquiries

    inquiry = await inquiries.close_for_flag(conn, org_id, flag.id, actor, now)
    if inquiry is None:
        return None
    parties = [inquiry.user_id] + ([inquiry.opened_by] if inquiry.opened_by is not None else [])
    people = {u.id: u for u in await users_by_ids(conn, org_id, parties)}
    opener = people.get(inquiry.opened_by) if inquiry.opened_by is not None else None
    for user_id in dict.fromkeys(parties):
        user = people.get(user_id)
        if user is None or (actor is not None and user.id == actor.id) or not user.active:
            continue
        text = (render.closed_for_person(actor, opener) if user.id == inquiry.user_id
                else render.closed_for_opener(flag, actor, status))
        await notify(conn, organization_id=org_id, kind=KIND_CLOSED, text=text, targets=[Target.dm(user.slack_id)],
                     dedupe_key=f"{KIND_CLOSED}:{org_id}:{flag.id}:{inquiry.id}:{user.id}", now=now, user_id=user.id)
    return inquiry.id


async def close_for_cause(conn: psycopg.AsyncConnection, org_id: int, dedupe_prefix: str, actor: User | None,
                          now: datetime, note: str) -> list[Flag]:
    """The cause of the flags a ladder raised (dedupe keys starting ``dedupe_prefix``: ``blocker:12:``,
    ``overdue:40:``) went (the blocker resolved; the task done, dropped or given a new date): each still open is
    resolved by ``actor`` (None: Steward) at ``now`` with ``note`` ("the blocker was resolved"), audit-logged, its
    inquiry closed. Flags raised by a person are never closed here. Returns the flags closed (call in the
    transaction that removed the cause; telling their recipients is the caller's message)."""
    rows = await (await conn.execute(Q["flags_close_for_cause"], {
        "organization_id": org_id, "prefix": dedupe_prefix, "by": actor.id if actor else None, "now": now,
        "note": note})).fetchall()
    closed = []
    for (flag_id,) in rows:
        flag = await get(conn, org_id, int(flag_id))
        await security.audit(conn, organization_id=org_id, actor=actor, action="flag.resolved", entity_type="flag",
                             entity_id=flag.id, details={"about": flag.person_slack_id, "note": note}, now=now)
        await _close_inquiry(conn, org_id, flag, actor, "resolved", now)
        closed.append(await get(conn, org_id, flag.id))
    return closed
