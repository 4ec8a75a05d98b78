"""Ramp-up (SPEC F7; issue 14): `/steward rampup` puts a new person in ramp-up (``user_ramp_up``). While in it they
get no cards (bot/services/card_rules.py leaves their days out), their escalations go to their buddy, else their
manager, never to a channel (bot/services/escalations.py), and their targets are the lighter ``target_multiplier``.

Who may set it: admins, and anyone above the person in the reporting line; never for oneself (unless an admin).
Dates are the organization's (its timezone): a ramp-up starts today and ends on its last day, inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import calendar, security, standup_settings
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import user_by_id, user_by_slack_id
from db.rows import User

KIND_TOLD = "rampup.told"  # the DM to the person (and their manager) when a ramp-up is set or ended
# Bounds of what people may ask, with why: ramp-up is for a person's first weeks or months, not for good.
MAX_WEEKS = 26
MAX_DAYS = MAX_WEEKS * 7
# user_ramp_up.target_multiplier's CHECK is (0, 1]: targets are a percent of the normal ones, at least this much.
MIN_PERCENT = 10
USAGE = ("`/steward rampup @person 4 weeks` (or `until 2026-05-29`) `[targets 50%] [buddy @someone]` puts a new person in "
         "ramp-up: no cards, lighter targets. `/steward rampup @person off` ends it; `/steward rampup` lists who is in it.")
_WEEKS = re.compile(r"^(\d{1,3})\s*(w|wk|wks|week|weeks)$")
_DAYS = re.compile(r"^(\d{1,3})\s*(d|day|days)$")
_UNTIL = re.compile(r"^until\s+(\S+)$")
_TARGETS = re.compile(r"\btargets?\s+(\S+)")
_BUDDY = re.compile(r"\bbuddy\s+(<@[A-Z0-9]+(?:\|[^>]*)?>)", re.IGNORECASE)


@dataclass(frozen=True)
class RampUpRequest:
    """What `/steward rampup @person ...` asked: the person's Slack id, ``off``, or the last day, targets (a fraction in
    (0, 1], None: unchanged) and a buddy's Slack id."""

    slack_id: str
    off: bool
    ends_on: date | None = None
    target_multiplier: float | None = None
    buddy_slack_id: str | None = None


def parse(text: str, today: date) -> RampUpRequest:
    """`@person <N weeks|N days|until YYYY-MM-DD> [targets <percent>] [buddy @x]` or `@person off`, read on ``today``
    (the organization's date). Raises InvalidInput with a specific, polite reason."""
    read = markup.read(text or "")
    if not read.users:
        raise InvalidInput("Who is ramping up? Mention them: " + USAGE)
    person = read.users[0]
    rest = markup.without_user(text or "", person)
    buddy = None
    found = _BUDDY.search(rest)
    if found:
        buddy = markup.read(found[1]).users[0]
        rest = rest[:found.start()] + rest[found.end():]
    words = " ".join(rest.lower().replace("%", " ").split())
    if words in ("off", "end", "stop", "done"):
        return RampUpRequest(person, off=True)
    multiplier = None
    targets = _TARGETS.search(words)
    if targets:
        raw = targets[1]
        if not raw.isdigit() or not MIN_PERCENT <= int(raw) <= 100:
            raise InvalidInput(f"Targets are a percent of the usual ones, from {MIN_PERCENT} to 100: `targets 50%`.")
        multiplier = int(raw) / 100
        words = (words[:targets.start()] + words[targets.end():]).strip()
    if not words:
        raise InvalidInput("For how long? Say `4 weeks`, `10 days` or `until 2026-05-29`. " + USAGE)
    ends_on: date | None = None
    if (m := _WEEKS.match(words)) or (m := _DAYS.match(words)):
        count = int(m[1]) * (7 if m.re is _WEEKS else 1)
        if not 1 <= count <= MAX_DAYS:
            raise InvalidInput(f"A ramp-up lasts from a day to {MAX_WEEKS} weeks.")
        ends_on = today + timedelta(days=count - 1)
    elif m := _UNTIL.match(words):
        try:
            ends_on = date.fromisoformat(m[1])
        except ValueError:
            raise InvalidInput(f"`{markup.escape(m[1][:20])}` isn't a date I can read: write it as YYYY-MM-DD, "
                               "like `until 2026-05-29`.") from None
        if ends_on < today:
            raise InvalidInput(f"{ends_on:%a} {ends_on.day} {ends_on:%b %Y} has passed: a ramp-up ends today or later.")
        if ends_on > today + timedelta(days=MAX_DAYS):
            raise InvalidInput(f"A ramp-up lasts at most {MAX_WEEKS} weeks (until {today + timedelta(days=MAX_DAYS):%Y-%m-%d}).")
    else:
        raise InvalidInput(f"I didn't understand `{markup.escape(words[:60])}`. " + USAGE)
    return RampUpRequest(person, off=False, ends_on=ends_on, target_multiplier=multiplier, buddy_slack_id=buddy)


async def _may_set(conn: psycopg.AsyncConnection, org_id: int, actor: User, person: User) -> bool:
    from bot.services import flags

    if actor.is_admin:
        return True
    return actor.id != person.id and await flags.is_below(conn, org_id, person.id, actor.id)


@dataclass(frozen=True)
class RampUpResult:
    person: User
    off: bool
    starts_on: date | None = None
    ends_on: date | None = None
    target_multiplier: float | None = None
    buddy_slack_id: str | None = None
    was_in: bool = True


async def apply(conn: psycopg.AsyncConnection, org_id: int, actor: User, text: str, now: datetime, *,
                bot_ids: Collection[str] = ()) -> RampUpResult:
    """`/steward rampup @person ...` (see :func:`parse`): writes ``user_ramp_up`` (audit-logged ``rampup.set`` or
    ``rampup.ended``) and tells, by DM, the person (unless they set it themselves) and their manager (unless the
    manager set it): until when, and what it means. Raises InvalidInput (bad words, a bot: ``bot_ids``, a person who
    left, themselves as buddy), NotFound (someone Steward does not know), PermissionDenied (logged) for anyone but an
    admin or someone above the person."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    today = calendar.local_date(now, rhythm.timezone)
    request = parse(text, today)
    if request.slack_id in bot_ids:
        raise InvalidInput(f"<@{request.slack_id}> is a bot: ramp-up is for new people on the team. Nothing changed.")
    person = await user_by_slack_id(conn, org_id, request.slack_id)
    if person is None:
        raise NotFound(f"I don't know <@{request.slack_id}> (a bot, a guest, or someone who just joined): nothing changed.")
    if not await _may_set(conn, org_id, actor, person):
        raise await security.deny(conn, organization_id=org_id, actor=actor, action="rampup.set",
                                  message=f"Sorry, only {person.mention}'s managers and the admins can set their ramp-up.",
                                  details={"about": person.slack_id})
    if not person.active:
        raise InvalidInput(f"{person.mention} has left the workspace, so there's no ramp-up to set.")
    params = {"organization_id": org_id, "user_id": person.id, "yesterday": today - timedelta(days=1)}
    if request.off:
        async with conn.transaction():
            current = await (await conn.execute(Q["rampup_of"], params)).fetchone()
            if current is None or current[1] < today:
                return RampUpResult(person, off=True, was_in=False)
            await conn.execute(Q["rampup_end"], params)
            await conn.execute(Q["rampup_delete"], params)
            await security.audit(conn, organization_id=org_id, actor=actor, action="rampup.ended", entity_type="user",
                                 entity_id=person.id, details={"about": person.slack_id, "was_until": current[1].isoformat()})
            ended = RampUpResult(person, off=True, ends_on=today - timedelta(days=1))
            await _tell(conn, org_id, actor, ended, now)
        return ended
    buddy_id = None
    if request.buddy_slack_id:
        buddy = await user_by_slack_id(conn, org_id, request.buddy_slack_id)
        if buddy is None or not buddy.active:
            raise NotFound(f"I don't know <@{request.buddy_slack_id}> as an active teammate, so they can't be the buddy.")
        if buddy.id == person.id:
            raise InvalidInput(f"{person.mention} can't be their own buddy: pick a teammate who can help them.")
        buddy_id = buddy.id
    assert request.ends_on is not None
    async with conn.transaction():
        row = await (await conn.execute(Q["rampup_upsert"], {
            **params, "starts_on": today, "ends_on": request.ends_on,
            "target_multiplier": request.target_multiplier or 0.5, "target_multiplier_given": request.target_multiplier,
            "buddy_id": buddy_id, "created_by": actor.id})).fetchone()
        assert row is not None
        await security.audit(conn, organization_id=org_id, actor=actor, action="rampup.set", entity_type="user",
                             entity_id=person.id, details={"about": person.slack_id, "until": row[1].isoformat(),
                                                           "target_multiplier": float(row[2]), "buddy_id": row[3]})
        buddy = await user_by_id(conn, org_id, int(row[3])) if row[3] is not None else None
        result = RampUpResult(person, off=False, starts_on=row[0], ends_on=row[1], target_multiplier=float(row[2]),
                              buddy_slack_id=buddy.slack_id if buddy else None)
        await _tell(conn, org_id, actor, result, now)
    return result


async def _tell(conn: psycopg.AsyncConnection, org_id: int, actor: User, result: RampUpResult, now: datetime) -> None:
    """DM the person whose ramp-up was set or ended (unless they did it) and their manager (unless the manager did):
    it changes what Steward expects of them, so nobody's ramp-up changes silently."""
    from bot.blocks import cards as render

    person = result.person
    key = f"{'ended' if result.off else 'set'}:{org_id}:{person.id}:{now.isoformat()}"
    if actor.id != person.id:
        text = render.rampup_told(result, actor)
        await notify(conn, organization_id=org_id, kind=KIND_TOLD, dedupe_key=f"{KIND_TOLD}:{key}", text=text,
                     targets=[Target.dm(person.slack_id)], now=now, user_id=person.id)
    manager = await user_by_id(conn, org_id, person.manager_id) if person.manager_id else None
    if manager is not None and manager.active and manager.id not in (actor.id, person.id):
        text = render.rampup_told(result, actor, manager=True)
        await notify(conn, organization_id=org_id, kind=KIND_TOLD, dedupe_key=f"{KIND_TOLD}:manager:{key}", text=text,
                     targets=[Target.dm(manager.slack_id)], now=now, user_id=manager.id)


@dataclass(frozen=True)
class InRampUp:
    user_id: int
    slack_id: str
    starts_on: date
    ends_on: date
    target_multiplier: float
    buddy_slack_id: str | None


async def current(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> list[InRampUp]:
    """Who is in ramp-up today or later (the organization's date), soonest ending first."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    today = calendar.local_date(now, rhythm.timezone)
    rows = await (await conn.execute(Q["rampup_current"], {"organization_id": org_id, "today": today})).fetchall()
    return [InRampUp(int(r[0]), r[1], r[2], r[3], float(r[4]), r[5]) for r in rows]
