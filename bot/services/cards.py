"""Yellow and red cards (SPEC F7; issue 14): issuing them from the rules, sending them, and what people do with them.

The rules themselves are pure (:mod:`bot.services.card_rules`); this module feeds them (attendance, carried and
overdue tasks, cards already issued) and acts on what they find:

* **Issuing** (:func:`issue_for_org`, the job ``cards``): each breach issues at most one card (``cards.dedupe_key``),
  expiring after the organization's expiry (30 days), audit-logged (``card.issued``). People in ramp-up on the day of
  the run get none. Cards whose time is up become ``expired`` (``card.expired``).
* **Sending**: a live card is a DM to the person (Acknowledge, Appeal) and the same card to their manager (Revoke),
  else the admins when they have no manager; through :func:`bot.services.notifications.notify` (quiet hours held,
  once per card and recipient), held until each can be reached (the people calendar: weekends, holidays, leave).
* **Shadow mode**: a new organization's cards are computed but shown only to its admins for its first
  :data:`SHADOW_WORKDAYS` workdays (``cards_mode`` 'auto'), or while an admin sets 'shadow'. Nobody is judged by
  rules the team has not seen working on its own data: admins first check that the cards the rules would give are
  fair (thresholds, who manages whom, holidays), and switch to live (`/steward cards mode live`) when they are.
  Shadow cards stay shadow; they never reach the person, and never count towards a live red.
* **Acting on a card**: the person acknowledges it or appeals it once with a reason; the appeal goes to their
  manager (else the admins), who upholds or revokes it with a reason, and the person hears the decision. A manager
  (anyone above the person) or an admin may revoke any active card of the person with a reason. Every step is in
  ``audit_logs``; refusals in ``security_audit_logs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import attendance, calendar, security, standup_settings
from bot.services import card_rules as rules
from bot.services.calendar import Rhythm
from bot.services.card_rules import Breach, CardRules
from bot.services.notifications import Edit, Target, notify
from db.queries import Q
from db.repos.users import active_users, user_by_id, users_by_ids
from db.rows import User

# New organizations start in shadow mode for this many workdays (issue 14).
SHADOW_WORKDAYS = 10
# How far back the job reads attendance and tasks: the red window (30 days) with room for a run across it.
HISTORY_DAYS = 45
# `/cards` shows cards issued this recently, at most this many.
LIST_DAYS = 90
LIST_LIMIT = 50
# Plain `/cards` shows revoked and expired cards of this many days only (`/cards all`: every one of LIST_DAYS).
RECENT_CLOSED_DAYS = 30
REASON_MAX = 500
KIND_CARD = "card.issued"
KIND_SHADOW = "card.shadow"
KIND_APPEAL = "card.appealed"
KIND_DECISION = "card.decided"
KIND_COPY_DECIDED = "card.copy_decided"  # a manager's copy of a card: its Revoke button becomes the decision
LIVE_STATUSES = ("active", "acknowledged", "appealed", "upheld")
MODES = ("auto", "shadow", "live")


@dataclass(frozen=True)
class Card:
    """One card as stored (``card_by_id``), with its person's Slack id."""

    id: int
    organization_id: int
    user_id: int
    color: str
    rule: str
    reason: str
    evidence: dict[str, Any]
    status: str
    shadow: bool
    issued_by: int | None
    acknowledged_at: datetime | None
    appealed_at: datetime | None
    appeal_text: str | None
    revoked_by: int | None
    revoked_at: datetime | None
    revoke_reason: str | None
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    expires_at: datetime
    created_at: datetime
    person_slack_id: str

    @property
    def ref(self) -> str:
        """How people name it: ``C-12``."""
        return f"C-{self.id}"

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


@dataclass(frozen=True)
class Settings:
    """An organization's card rules, its mode setting ('auto', 'shadow', 'live'), and when cards started for it."""

    rules: CardRules
    overrides: dict[str, Any]
    mode: str
    started_at: datetime


async def settings_of(conn: psycopg.AsyncConnection, org_id: int) -> Settings:
    """The organization's card settings. Raises NotFound when it has none."""
    row = await (await conn.execute(Q["card_settings"], {"organization_id": org_id})).fetchone()
    if row is None:
        raise NotFound("This workspace has no settings yet.")
    overrides = dict(row[0] or {})
    return Settings(rules.rules_of(overrides), overrides, row[1], row[2])


def shadow_until(started_at: datetime, rhythm: Rhythm) -> date | None:
    """The first date (the team's) on which an 'auto' organization is live: after :data:`SHADOW_WORKDAYS` team
    workdays from the day cards started for it (that day included). None with no workdays."""
    day = calendar.local_date(started_at, rhythm.timezone)
    counted = 0
    for _ in range(SHADOW_WORKDAYS * 7 + 7):
        if calendar.is_workday(day, rhythm):
            counted += 1
            if counted == SHADOW_WORKDAYS:
                return day + timedelta(days=1)
        day += timedelta(days=1)
    return None


def effective_mode(settings: Settings, rhythm: Rhythm, now: datetime) -> str:
    """'shadow' or 'live' at ``now``: what the admin set, or for 'auto' shadow until :func:`shadow_until`."""
    if settings.mode in ("shadow", "live"):
        return settings.mode
    until = shadow_until(settings.started_at, rhythm)
    return "shadow" if until is None or calendar.local_date(now, rhythm.timezone) < until else "live"


# ---------------------------------------------------------------- reading

async def get(conn: psycopg.AsyncConnection, org_id: int, card_id: int) -> Card:
    """The card ``card_id`` of the organization; NotFound otherwise (another organization's card is not found)."""
    cur = conn.cursor(row_factory=class_row(Card))
    await cur.execute(Q["card_by_id"], {"organization_id": org_id, "id": card_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that card. `/cards` lists the ones you can see.")
    return found


async def visible(conn: psycopg.AsyncConnection, org_id: int, viewer: User, now: datetime, *,
                  everything: bool = False) -> tuple[list[Card], int]:
    """`/cards`: the viewer's own cards, those of everyone below them in the reporting line, everyone's (shadow ones
    too) for an admin; issued in the last :data:`LIST_DAYS` days, live ones first, at most :data:`LIST_LIMIT`.
    Unless ``everything``, revoked and expired cards older than :data:`RECENT_CLOSED_DAYS` are left out. Returns
    (the cards, how many were left out)."""
    cur = conn.cursor(row_factory=class_row(Card))
    await cur.execute(Q["cards_visible"], {"organization_id": org_id, "viewer": viewer.id, "admin": viewer.is_admin,
                                           "since": now - timedelta(days=LIST_DAYS), "limit": LIST_LIMIT})
    found = await cur.fetchall()
    if everything:
        return found, 0
    cutoff = now - timedelta(days=RECENT_CLOSED_DAYS)
    shown = [c for c in found if c.live or c.created_at >= cutoff]
    return shown, len(found) - len(shown)


async def is_below(conn: psycopg.AsyncConnection, org_id: int, person_id: int, actor_id: int) -> bool:
    from bot.services import flags

    return await flags.is_below(conn, org_id, person_id, actor_id)


async def manages_anyone(conn: psycopg.AsyncConnection, org_id: int, person: User) -> bool:
    """Whether anyone reports to ``person`` (``users.manager_id``)."""
    return bool(await (await conn.execute(Q["cards_manages_anyone"], {"organization_id": org_id,
                                                                      "id": person.id})).fetchone())


async def may_decide(conn: psycopg.AsyncConnection, org_id: int, actor: User, person_id: int) -> bool:
    """Who decides on a card (uphold, revoke): admins and anyone above the person; never the person."""
    if actor.id == person_id:
        return False
    return actor.is_admin or await is_below(conn, org_id, person_id, actor.id)


async def recipients(conn: psycopg.AsyncConnection, org_id: int, person: User) -> list[User]:
    """Who gets the manager's copy of a card (and an appeal): the person's manager, else the admins."""
    from bot.services import mood

    return await mood.flag_recipients(conn, org_id, person)


NOBODY_TO_DECIDE = ("Nobody but you could decide on an appeal of your card: you have no manager and you're the only "
                    "Steward admin, and nobody decides on their own card. So the card stands as it is (it expires on "
                    "its own). To make an appeal possible, make someone else an admin or set your manager "
                    "(`/steward manager @your-manager for @you`), then appeal.")


async def deciders_of(conn: psycopg.AsyncConnection, org_id: int, person: User) -> str:
    """Who decides on ``person``'s appeals, in the words the card uses: "manager" (an active manager), "admins"
    (no manager: the admins other than them), or "none" (no manager, and they are the only admin)."""
    to = await recipients(conn, org_id, person)
    if not to:
        return "none"
    return "manager" if person.manager_id is not None and to[0].id == person.manager_id else "admins"


# ---------------------------------------------------------------- issuing (the job)

async def _reach(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, users: Sequence[User],
                 now: datetime) -> dict[int, datetime | None]:
    """When each of ``users`` can first be reached from ``now`` (the people calendar; None: not within its horizon)."""
    today = calendar.local_date(now, rhythm.timezone)
    people = await attendance.people(conn, org_id, [u.id for u in users], today - timedelta(days=1),
                                     today + calendar.REACH_HORIZON)
    return {u.id: calendar.reachable_from(rhythm, people.get(u.id, calendar.Person(u.timezone)), now) for u in users}


async def send(conn: psycopg.AsyncConnection, org_id: int, card: Card, now: datetime, rhythm: Rhythm) -> list[User]:
    """Queue a new card's messages, once per recipient (dedupe key per card and recipient): live, the person's copy
    (Acknowledge, Appeal) and the manager's (Revoke; the admins when no manager); shadow, one copy to each admin.
    Each is held until its recipient can be reached. Returns who it went to."""
    from bot.blocks import cards as render

    person = await user_by_id(conn, org_id, card.user_id)
    if person is None:
        return []
    if card.shadow:
        cur = conn.cursor(row_factory=class_row(User))
        await cur.execute(Q["admins_of_org"], {"organization_id": org_id})
        to: list[tuple[User, str]] = [(a, "shadow") for a in await cur.fetchall()]
        deciders = "manager"
    else:
        managers = await recipients(conn, org_id, person)
        to = [(person, "person")] + [(m, "manager") for m in managers]
        deciders = ("none" if not managers else "manager" if person.manager_id is not None
                    and managers[0].id == person.manager_id else "admins")
    reach = await _reach(conn, org_id, rhythm, [u for u, _ in to], now)
    sent: list[User] = []
    for recipient, copy in to:
        if not recipient.active:
            continue
        text, blocks = render.card(card, person, recipient, copy, deciders if copy == "person" else "manager")
        kind = KIND_SHADOW if copy == "shadow" else KIND_CARD
        await notify(conn, organization_id=org_id, kind=kind, dedupe_key=f"{kind}:{org_id}:{card.id}:{recipient.id}",
                     text=text, blocks=blocks, targets=[Target.dm(recipient.slack_id)], now=now, user_id=recipient.id,
                     hold_until=reach.get(recipient.id))
        sent.append(recipient)
    await conn.execute(Q["card_mark_notified"], {"organization_id": org_id, "id": card.id, "now": now})
    return sent


async def _insert(conn: psycopg.AsyncConnection, org_id: int, breach: Breach, now: datetime, expiry: timedelta,
                  shadow: bool) -> int | None:
    row = await (await conn.execute(Q["card_insert"], {
        "organization_id": org_id, "user_id": breach.user_id, "color": breach.color, "rule": breach.rule,
        "reason": breach.reason, "evidence": Jsonb(breach.evidence), "dedupe_key": breach.dedupe_key,
        "expires_at": now + expiry, "shadow": shadow, "now": now})).fetchone()
    return int(row[0]) if row else None


async def breaches_for_org(conn: psycopg.AsyncConnection, org_id: int, now: datetime, rhythm: Rhythm, card_rules: CardRules,
                           people: Sequence[User]) -> tuple[list[Breach], dict[int, list[attendance.DayRecord]], set[int]]:
    """The yellow breaches the rules find for ``people`` at ``now`` (red ones need the yellows issued first: see
    :func:`issue_for_org`), their attendance, and who is in ramp-up today (no cards for them)."""
    today = calendar.local_date(now, rhythm.timezone)
    since = today - timedelta(days=HISTORY_DAYS)
    ids = [u.id for u in people]
    records = await attendance.asked_days(conn, org_id, ids, since, today, rhythm=rhythm)
    ramping = {u for u, r in (await attendance.ramp_ups(conn, org_id, ids, today, today)).items() if r.covers(today)}
    carded: dict[int, set[date]] = {}
    for user_id, day in await (await conn.execute(Q["cards_carded_days"], {"organization_id": org_id, "since": since})).fetchall():
        carded.setdefault(int(user_id), set()).add(date.fromisoformat(day))
    task_carded = {int(task_id): calendar.local_date(at, rhythm.timezone) for task_id, at in
                   await (await conn.execute(Q["cards_carded_tasks"], {"organization_id": org_id})).fetchall()}
    carried: dict[int, list[rules.CarriedTask]] = {}
    if card_rules.carry.on:
        for row in await (await conn.execute(Q["cards_carried_tasks"], {"organization_id": org_id, "since": since})).fetchall():
            task = rules.CarriedTask(int(row[0]), int(row[1]), row[2], row[3], tuple(row[4]), bool(row[5]))
            carried.setdefault(task.user_id, []).append(task)
    overdue: dict[int, list[rules.OverdueTask]] = {}
    if card_rules.overdue.on:
        params = {"organization_id": org_id, "since": since, "today": today}
        for row in await (await conn.execute(Q["cards_overdue_tasks"], params)).fetchall():
            late = rules.OverdueTask(int(row[0]), int(row[1]), row[2], row[3], row[4], frozenset(row[5] or ()))
            overdue.setdefault(late.user_id, []).append(late)
    found: list[Breach] = []
    for user_id, days in records.items():
        if user_id not in ramping:
            found += rules.yellow_breaches(user_id, days, carried.get(user_id, ()), overdue.get(user_id, ()), card_rules,
                                           now, carded.get(user_id, ()), task_carded)
    return found, records, ramping


async def issue_for_org(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> dict[str, Any]:
    """The job ``cards`` for one organization at ``now``: expire cards whose time is up, issue one card per new
    breach (yellows, then reds from the yellows), send each (:func:`send`). Idempotent: a re-run issues and sends
    nothing new. Returns counts: {"yellow", "red", "expired"} (live cards issued, cards expired), or in shadow mode
    {"shadow_yellow", "shadow_red", "expired"} (cards computed and shown to admins only)."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    settings = await settings_of(conn, org_id)
    mode = effective_mode(settings, rhythm, now)
    shadow = mode == "shadow"
    yellow, red = ("shadow_yellow", "shadow_red") if shadow else ("yellow", "red")
    summary: dict[str, Any] = {yellow: 0, red: 0, "expired": 0}
    async with conn.transaction():
        for card_id, _user_id in await (await conn.execute(Q["cards_expire"], {"organization_id": org_id, "now": now})).fetchall():
            await security.audit(conn, organization_id=org_id, actor=None, action="card.expired", entity_type="card",
                                 entity_id=int(card_id))
            summary["expired"] += 1
    people = await active_users(conn, org_id)
    if not people:
        return summary
    found, _records, ramping = await breaches_for_org(conn, org_id, now, rhythm, settings.rules, people)
    issued = await _issue(conn, org_id, found, now, settings.rules, shadow, rhythm)
    summary[yellow] = issued
    if settings.rules.red.on:
        cur = conn.cursor(row_factory=class_row(rules.IssuedCard))
        await cur.execute(Q["cards_recent"], {"organization_id": org_id, "since": now - settings.rules.red_window})
        by_person: dict[int, list[rules.IssuedCard]] = {}
        for card in await cur.fetchall():
            by_person.setdefault(card.user_id, []).append(card)
        reds: list[Breach] = []
        for user_id, cards in by_person.items():
            if user_id not in ramping:
                reds += rules.red_breaches(user_id, cards, settings.rules.red, settings.rules.red_window, now, shadow=shadow)
        summary[red] = await _issue(conn, org_id, reds, now, settings.rules, shadow, rhythm)
    return summary


async def _issue(conn: psycopg.AsyncConnection, org_id: int, found: Sequence[Breach], now: datetime, card_rules: CardRules,
                 shadow: bool, rhythm: Rhythm) -> int:
    """Insert each breach's card (once per dedupe key), audit and send it, one transaction per card. Breaches whose
    card exists are left out first, in one query (a steady-state run finds the same breaches again)."""
    count = 0
    keys = [b.dedupe_key for b in found]
    rows = await (await conn.execute(Q["cards_existing_keys"], {"organization_id": org_id, "keys": keys})).fetchall()
    known = {r[0] for r in rows}
    for breach in found:
        if breach.dedupe_key in known:
            continue
        async with conn.transaction():
            card_id = await _insert(conn, org_id, breach, now, card_rules.expiry, shadow)
            if card_id is None:
                continue
            await security.audit(conn, organization_id=org_id, actor=None, action="card.issued", entity_type="card",
                                 entity_id=card_id, details={"user_id": breach.user_id, "color": breach.color,
                                                             "rule": breach.rule, "shadow": shadow})
            await send(conn, org_id, await get(conn, org_id, card_id), now, rhythm)
            count += 1
    return count


# ---------------------------------------------------------------- what people do with a card

def _stored_reason(reason: str) -> str:
    return markup.store(" ".join((reason or "").split()), limit=REASON_MAX)


def _gone(card: Card, viewer: User) -> str | None:
    """Why nothing can be done with a revoked or expired card (None when it is live)."""
    if card.status == "revoked":
        when = f" on {card.revoked_at:%a} {card.revoked_at.day} {card.revoked_at:%b}" if card.revoked_at else ""
        return f"Card `{card.ref}` was revoked{when}, so it no longer counts and there is nothing to appeal or decide."
    if card.status == "expired":
        return f"Card `{card.ref}` has expired, so it no longer counts and there is nothing to appeal or decide."
    return None


async def acknowledge(conn: psycopg.AsyncConnection, org_id: int, actor: User, card_id: int, now: datetime) -> Card:
    """The person's Acknowledge. Raises InvalidInput for someone else's card, a card no longer live, or one already
    acknowledged or appealed (saying so). Audit-logged."""
    card = await get(conn, org_id, card_id)
    if card.user_id != actor.id:
        raise InvalidInput(f"Card `{card.ref}` is <@{card.person_slack_id}>'s to acknowledge, not yours.")
    gone = _gone(card, actor)
    if gone:
        raise InvalidInput(gone)
    if card.status != "active":
        raise InvalidInput(f"Card `{card.ref}` is already {card.status}. Nothing to do.")
    async with conn.transaction():
        if await (await conn.execute(Q["card_acknowledge"], {"organization_id": org_id, "id": card.id, "now": now})).fetchone():
            await security.audit(conn, organization_id=org_id, actor=actor, action="card.acknowledged", entity_type="card",
                                 entity_id=card.id)
    return await get(conn, org_id, card.id)


def check_appealable(card: Card, actor: User) -> None:
    """InvalidInput unless ``actor`` may appeal ``card`` now: their own, live, shown to them, not appealed before."""
    if card.user_id != actor.id:
        raise InvalidInput(f"Only <@{card.person_slack_id}> can appeal card `{card.ref}`.")
    gone = _gone(card, actor)
    if gone:
        raise InvalidInput(gone)
    if card.shadow:
        raise InvalidInput(f"Card `{card.ref}` was computed in shadow mode and shown to nobody: there is nothing to appeal.")
    if card.appealed_at is not None:
        when = f"{card.appealed_at:%a} {card.appealed_at.day} {card.appealed_at:%b}"
        decided = {"appealed": "it hasn't been decided yet", "upheld": "it was upheld"}.get(card.status, card.status)
        raise InvalidInput(f"You already appealed card `{card.ref}` on {when} ({decided}). A card can be appealed once.")


async def appeal(conn: psycopg.AsyncConnection, org_id: int, actor: User, card_id: int, reason: str,
                 now: datetime) -> tuple[Card, list[User]]:
    """The person's appeal, with a reason (required): the card becomes ``appealed`` and the appeal (Uphold, Revoke)
    goes to their manager, else the admins. Returns (the card, who got the appeal). Raises InvalidInput (see
    :func:`check_appealable`; no reason). Audit-logged; nothing is written when it raises."""
    from bot.blocks import cards as render

    card = await get(conn, org_id, card_id)
    if card.shadow and not actor.is_admin:
        raise NotFound("I couldn't find that card. `/cards` lists the ones you can see.")
    check_appealable(card, actor)
    stored = _stored_reason(reason)
    if not markup.read(stored).plain.strip():
        raise InvalidInput("Say why the card is wrong: whoever decides reads it first.")
    to = await recipients(conn, org_id, actor)
    if not to:
        raise InvalidInput(NOBODY_TO_DECIDE)
    async with conn.transaction():
        row = await (await conn.execute(Q["card_appeal"], {"organization_id": org_id, "id": card.id, "now": now,
                                                           "reason": stored})).fetchone()
        if row is None:  # appealed, revoked or expired between the read and now
            check_appealable(await get(conn, org_id, card.id), actor)
            raise InvalidInput(f"Card `{card.ref}` can't be appealed now.")
        await security.audit(conn, organization_id=org_id, actor=actor, action="card.appealed", entity_type="card",
                             entity_id=card.id, details={"reason": stored})
        appealed = await get(conn, org_id, card.id)
        for manager in to:
            text, blocks = render.appeal(appealed, actor, manager)
            await notify(conn, organization_id=org_id, kind=KIND_APPEAL, dedupe_key=f"{KIND_APPEAL}:{org_id}:{card.id}:{manager.id}",
                         text=text, blocks=blocks, targets=[Target.dm(manager.slack_id)], now=now, user_id=manager.id)
    return appealed, to


async def check_decider(conn: psycopg.AsyncConnection, org_id: int, actor: User, card: Card, action: str) -> None:
    """PermissionDenied (logged) unless ``actor`` may decide on ``card``; InvalidInput when it is no longer live."""
    if card.shadow and not actor.is_admin:
        raise NotFound("I couldn't find that card. `/cards` lists the ones you can see.")  # shadow: admins only
    if not await may_decide(conn, org_id, actor, card.user_id):
        if actor.id != card.user_id:
            message = "Sorry, only the person's managers and the admins can decide on a card."
        elif await deciders_of(conn, org_id, actor) == "none":
            message = NOBODY_TO_DECIDE
        else:
            message = (f"Card `{card.ref}` is yours, so someone above you decides on it: appeal it with the card's "
                       f"Appeal button or `/cards appeal {card.ref} <why>`.")
        raise await security.deny(conn, organization_id=org_id, actor=actor, action=f"card.{action}", message=message,
                                  details={"card": card.id})
    gone = _gone(card, actor)
    if gone:
        raise InvalidInput(gone)


async def decide(conn: psycopg.AsyncConnection, org_id: int, actor: User, card_id: int, decision: str, reason: str,
                 now: datetime) -> Card:
    """A decision on a card: ``uphold`` (an appealed card) or ``revoke`` (an appealed card, or any live card of the
    actor's reports: a manager may revoke any active card). A reason is required. The person hears the decision.
    Raises InvalidInput (no reason, nothing to decide, a card not appealed to uphold), PermissionDenied (logged).
    Audit-logged (``card.upheld``, ``card.revoked``)."""
    from bot.blocks import cards as render

    if decision not in ("uphold", "revoke"):
        raise InvalidInput("A card is upheld or revoked.")
    card = await get(conn, org_id, card_id)
    await check_decider(conn, org_id, actor, card, decision)
    stored = _stored_reason(reason)
    if not markup.read(stored).plain.strip():
        raise InvalidInput(f"Say why you {decision} it: {'the person reads it' if not card.shadow else 'it is logged'}.")
    if decision == "uphold" and card.status != "appealed":
        raise InvalidInput(f"Card `{card.ref}` has no appeal waiting (it is {card.status}), so there is nothing to uphold.")
    if decision == "uphold" and card.decided_at is not None:
        raise InvalidInput(f"Card `{card.ref}` was already decided.")
    async with conn.transaction():
        params = {"organization_id": org_id, "id": card.id, "by": actor.id, "now": now, "reason": stored,
                  "from_statuses": list(LIVE_STATUSES)}
        row = await (await conn.execute(Q["card_uphold" if decision == "uphold" else "card_revoke"], params)).fetchone()
        if row is None:
            current = await get(conn, org_id, card.id)
            raise InvalidInput(_gone(current, actor) or f"Card `{card.ref}` is {current.status} now; nothing was changed.")
        action = "card.upheld" if decision == "uphold" else "card.revoked"
        await security.audit(conn, organization_id=org_id, actor=actor, action=action, entity_type="card", entity_id=card.id,
                             details={"reason": stored, "appealed": card.status == "appealed", "about": card.person_slack_id})
        decided = await get(conn, org_id, card.id)
        person = await user_by_id(conn, org_id, card.user_id)
        if person is not None and person.active and not card.shadow and person.id != actor.id:
            await notify(conn, organization_id=org_id, kind=KIND_DECISION,
                         dedupe_key=f"{KIND_DECISION}:{org_id}:{card.id}:{decision}", text=render.decision_for_person(decided, actor),
                         targets=[Target.dm(person.slack_id)], now=now, user_id=person.id)
        await _mark_copies(conn, org_id, decided, actor, now)
    return decided


async def _mark_copies(conn: psycopg.AsyncConnection, org_id: int, card: Card, actor: User, now: datetime) -> None:
    """Every copy of the decided ``card`` in a manager's (or, shadow, an admin's) DM gets its Revoke button replaced by
    the decision (who, what, the day on the reader's clock): nobody is left a button for a card already decided.
    Queued in the caller's transaction as edits of the messages Slack has, once each."""
    from bot.blocks import cards as render

    for notification_id, delivery_id, channel, ts, tz in await (await conn.execute(Q["card_copies_sent"], {
            "organization_id": org_id, "kinds": [KIND_CARD, KIND_SHADOW], "person_id": card.user_id,
            "key_prefix": f"%:{org_id}:{card.id}:%"})).fetchall():
        await notify(conn, organization_id=org_id, kind=KIND_COPY_DECIDED, targets=[Target.channel(channel)],
                     text=render.copy_decided_line(card, actor, now, tz or "UTC"), now=now,
                     dedupe_key=f"{KIND_COPY_DECIDED}:{org_id}:{notification_id}:{delivery_id}:{card.status}",
                     edit=Edit(ts, render.card_block_id(card.id)))


# ---------------------------------------------------------------- settings in words (admins)

def parse_setting(words: str) -> tuple[str, Any]:
    """`/steward cards <words>` as (what, value): ("missed", False), ("carry", 4), ("expiry", 14), ("mode", "live"),
    ("default", None). Raises InvalidInput naming what was not understood and the bounds."""
    parts = (words or "").lower().split()
    if parts == ["default"] or parts == ["defaults"]:
        return "default", None
    if parts[:1] == ["expiry"] and len(parts) > 1:  # `expiry 14 days`, `expiry 14d`, `expiry 14`
        parts = ["expiry", "".join(parts[1:])]
    if parts == ["mode"]:
        raise InvalidInput(MODE_CHOICES)
    if len(parts) != 2:
        raise InvalidInput(USAGE)
    what, value = parts
    if what == "mode":
        if value not in MODES:
            raise InvalidInput(MODE_CHOICES)
        return "mode", value
    if what == "expiry":
        value = value.removesuffix("days").removesuffix("day").removesuffix("d")
        low, high = rules.EXPIRY_BOUNDS
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidInput(f"A card's expiry is a number of days from {low} to {high}: `/steward cards expiry 30`.")
        return "expiry", int(value)
    if what not in rules.RULE_WORDS:
        raise InvalidInput(f"I don't know the card rule `{markup.escape(what[:30])}`. The rules: `missed`, `carry`, "
                           "`overdue`, `red` (and `expiry`, `mode`). " + USAGE)
    if value in ("on", "off"):
        return what, value == "on"
    low, high = rules.THRESHOLD_BOUNDS[what]
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput(f"The `{what}` rule's threshold is a whole number from {low} to {high} (or `on` / `off`): "
                           f"`/steward cards {what} {max(low, min(high, 3))}`.")
    return what, int(value)


MODE_CHOICES = ("The mode is `shadow` (cards shown to admins only), `live` (sent to people and their managers) or "
                "`auto` (shadow for a new team's first 10 workdays, then live): `/steward cards mode live`. "
                "`/steward cards` shows the current one.")


def unchanged(settings: Settings, what: str, value: Any) -> bool:
    """Whether the change (what, value) from :func:`parse_setting` is already so in ``settings``: the answer then says
    "already" and nothing is written."""
    if what == "default":
        return not settings.overrides
    if what == "mode":
        return bool(settings.mode == value)
    if what == "expiry":
        return bool(settings.rules.expiry.days == value)
    current = settings.rules.setting(what)
    return bool(current.on == value) if isinstance(value, bool) else bool(current.on and current.threshold == value)


USAGE = ("`/steward cards` shows the card rules. Admins change them: `/steward cards carry 4`, `/steward cards missed off`, "
         "`/steward cards overdue on`, `/steward cards red 3`, `/steward cards expiry 30`, `/steward cards mode shadow|live|auto`, "
         "`/steward cards default`, or `/steward cards edit` for a form.")


async def require_rules_admin(conn: psycopg.AsyncConnection, org_id: int, actor: User, words: str) -> None:
    """PermissionDenied (logged in security_audit_logs with what was asked) unless ``actor`` is an admin."""
    if not actor.is_admin:
        raise await security.deny(conn, organization_id=org_id, actor=actor, action="cards.rules",
                                  message="Sorry, only Steward admins can change the card rules. `/steward cards` shows "
                                          "them; ask an admin if one seems unfair.",
                                  details={"asked": markup.store(words, limit=200)})


async def change(conn: psycopg.AsyncConnection, org_id: int, actor: User, changes: dict[str, Any]) -> Settings:
    """Apply rule changes (admins only): {"missed": False, "carry": 4, "red": {"on": True, "threshold": 3},
    "expiry": 14, "mode": "live", "default": None}; a bool turns a rule on or off, an int sets its threshold.
    Raises PermissionDenied (logged) for anyone else. Audit-logged (``cards.rules_changed``)."""
    await require_rules_admin(conn, org_id, actor, repr(changes))
    current = await settings_of(conn, org_id)
    overrides: dict[str, Any] = {} if "default" in changes else {k: dict(v) for k, v in current.overrides.items()}
    for what, value in changes.items():
        if what in ("default", "mode"):
            continue
        if what == "expiry":
            overrides.setdefault("expiry", {})["days"] = int(value)
        elif isinstance(value, dict):
            overrides.setdefault(what, {}).update({"on": bool(value["on"]), "threshold": int(value["threshold"])})
        elif isinstance(value, bool):
            overrides.setdefault(what, {})["on"] = value
        else:
            overrides.setdefault(what, {})["threshold"] = int(value)
    async with conn.transaction():
        await conn.execute(Q["card_rules_set"], {"organization_id": org_id, "card_rules": Jsonb(overrides)})
        if "mode" in changes:
            await conn.execute(Q["card_mode_set"], {"organization_id": org_id, "cards_mode": changes["mode"]})
        await security.audit(conn, organization_id=org_id, actor=actor, action="cards.rules_changed",
                             entity_type="org_settings", entity_id=org_id, details={"changes": changes})
    return await settings_of(conn, org_id)


async def people_named(conn: psycopg.AsyncConnection, org_id: int, ids: Sequence[int]) -> dict[int, User]:
    return {u.id: u for u in await users_by_ids(conn, org_id, list(ids))}
