"""Invisible labour (SPEC F14; issue 14): help given to a teammate, recorded as an *intervention* (the helper in
``user_id``, the person helped in ``helped_user_id``, what was done in ``description``, the time it took in
``minutes``), and credited to the helper only once the person helped has confirmed it.

Two ways in, one confirmation state (``interventions.status``: pending, confirmed, declined; migration 0014):
  * `/helped @priya debugged the staging deploy 45m` (:func:`log_helped`): the helper logs it (``source``
    manual); it is *pending* until Priya presses Confirm in the DM Steward sends her (or "Not me": *declined*).
  * "thanks @sam for reviewing the migration" in a standup reply (:func:`offer_thanks`): the author was helped;
    Steward offers them, in the thread, to record it with one click (``source`` detected, pending until the
    click, which confirms it: the person helped said so themselves).
Either way only the person helped decides (:func:`decide`), once; the helper hears when it is confirmed, and when
help they logged is declined.
Only confirmed interventions are credited: :func:`credited_interventions` is what reports read.

Bad input gets a specific answer (InvalidInput; nothing written): no words, no person, oneself, a bot, someone who
left, nothing said about what was done, a time that cannot be read (:mod:`bot.parsing.durations`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import psycopg
from psycopg.rows import class_row

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.parsing.durations import EXAMPLES, split_duration
from bot.parsing.thanks import Thanks
from bot.services import security
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import user_by_slack_id
from db.rows import User

WHAT_MAX = 500
KIND = "helped"  # interventions.kind of help logged by people (the table's other kinds are for detected patterns)
KIND_ASK = "recognition.helped_confirm"
KIND_CONFIRMED = "recognition.helped_confirmed"
KIND_DECLINED = "recognition.helped_declined"
USAGE = ("`/helped @person <what you did> [time]` logs help you gave, like `/helped @priya debugged the staging "
         f"deploy 45m` (time like {EXAMPLES}). They confirm it, and it's credited to you in reports.")
Decision = Literal["confirmed", "declined"]


@dataclass(frozen=True)
class Intervention:
    """One intervention with both people's Slack ids (``intervention_by_id``)."""

    id: int
    organization_id: int
    user_id: int
    helped_user_id: int | None
    description: str
    minutes: int | None
    source: str
    status: str
    occurred_at: datetime
    confirmed_at: datetime | None
    confirmed_by: int | None
    logged_by: int | None
    helper_slack_id: str
    helped_slack_id: str | None


@dataclass(frozen=True)
class Credited:
    """A confirmed intervention as reports read it (:func:`credited_interventions`)."""

    id: int
    user_id: int  # the helper, who is credited
    helped_user_id: int | None
    description: str
    minutes: int | None
    occurred_at: datetime
    confirmed_at: datetime | None
    source: str


def spent(minutes: int | None) -> str:
    """Minutes as people write them: ``45m``, ``1h``, ``1h30``; empty for None."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


async def get(conn: psycopg.AsyncConnection, org_id: int, intervention_id: int) -> Intervention:
    """The intervention ``intervention_id`` of the organization; NotFound otherwise."""
    cur = conn.cursor(row_factory=class_row(Intervention))
    await cur.execute(Q["intervention_by_id"], {"organization_id": org_id, "id": intervention_id})
    found = await cur.fetchone()
    if found is None:
        raise NotFound("I couldn't find that piece of help. It may have been from another workspace.")
    return found


async def _person(conn: psycopg.AsyncConnection, org_id: int, actor: User, slack_id: str | None,
                  bot_ids: Collection[str]) -> User:
    """The teammate a helper names; InvalidInput/NotFound with the specific answer otherwise."""
    if slack_id is None:
        raise InvalidInput("Who did you help? Mention them: `/helped @priya debugged the staging deploy 45m`.")
    if slack_id == actor.slack_id:
        raise InvalidInput("That's you! `/helped` is for help you gave someone else. Your own work goes in your "
                           "standup update.")
    if slack_id in bot_ids:
        raise InvalidInput(f"<@{slack_id}> is a bot: `/helped` is for help you gave the people you work with.")
    person = await user_by_slack_id(conn, org_id, slack_id)
    if person is None:
        raise NotFound(f"I don't know <@{slack_id}> (a guest, or someone who just joined), so nothing was logged.")
    if not person.active:
        raise InvalidInput(f"{person.mention} has left the workspace, so there's nobody to confirm it.")
    return person


async def log_helped(conn: psycopg.AsyncConnection, org_id: int, helper: User, text: str, now: datetime, *,
                     source_key: str, bot_ids: Collection[str] = ()) -> tuple[Intervention, bool, datetime | None]:
    """`/helped @person <what> [time]` by ``helper`` at ``now`` (aware): a pending intervention, and a DM to the person
    helped asking them to Confirm (or "Not me"), held until they can be reached (their quiet hours, weekend, leave or
    away status: :func:`bot.services.calendar.reachable_from`). ``source_key`` names the command (its trigger id):
    the same command handled twice logs once. Returns (the intervention, whether it was new, when the DM reaches the
    person when that is later than ``now``, else None).

    Raises InvalidInput for no words, no person, oneself, a bot (``bot_ids``), someone who left, no words about
    what was done, or an unreadable or out-of-range time; NotFound for a person Steward does not know."""
    if not (text or "").strip():
        raise InvalidInput(USAGE)
    read = markup.read(text)
    named = list(dict.fromkeys(read.users))
    if len(named) > 1:
        first, second = (markup.typed_name(text, u, u) for u in named[:2])
        raise InvalidInput(f"One person at a time, so each of them can confirm their own: `/helped {first} <what> "
                           f"[time]`, then `/helped {second} <what> [time]`. Nothing was logged.")
    person = await _person(conn, org_id, helper, named[0] if named else None, bot_ids)
    rest = markup.without_user(text, person.slack_id).strip(" \t\n:,-\u2013\u2014")
    rest = rest[5:] if rest.lower().startswith("with ") else rest  # "/helped @priya with the deploy"
    split = split_duration(rest)
    stored = markup.store(" ".join(split.what.split()), limit=WHAT_MAX)
    if not markup.read(stored).plain.strip(" .!-"):
        typed = markup.typed_name(text, person.slack_id, person.display_name)
        raise InvalidInput(f"Say what you did for {person.mention}: `/helped {typed} debugged the staging deploy 45m`.")
    key = f"helped:{source_key}"
    async with conn.transaction():
        row = await (await conn.execute(Q["intervention_insert"], {
            "organization_id": org_id, "user_id": helper.id, "helped_user_id": person.id, "kind": KIND,
            "description": stored, "minutes": split.minutes, "source": "manual", "now": now, "logged_by": helper.id,
            "status": "pending", "confirmed_at": None, "confirmed_by": None, "dedupe_key": key})).fetchone()
        new = row is not None
        if row is None:
            row = await (await conn.execute(Q["intervention_by_key"], {"organization_id": org_id,
                                                                      "dedupe_key": key})).fetchone()
        assert row is not None
        found = await get(conn, org_id, int(row[0]))
        reach = await _reach_at(conn, org_id, person, now) if found.status == "pending" else None
        if new:
            await _ask_to_confirm(conn, org_id, found, helper, person, now, hold_until=reach)
    return found, new, reach


async def _reach_at(conn: psycopg.AsyncConnection, org_id: int, person: User, now: datetime) -> datetime | None:
    """When Steward may first ping ``person`` from ``now`` (None: now, or nothing within the calendar's horizon)."""
    from bot.services import calendar, ooo, standup_settings

    rhythm = await standup_settings.rhythm_of(conn, org_id)
    view = (await ooo.people(conn, org_id, [person], calendar.local_date(now, rhythm.timezone)))[person.id]
    reach = calendar.reachable_from(rhythm, view, now)
    return reach if reach is not None and reach > now else None


async def _ask_to_confirm(conn: psycopg.AsyncConnection, org_id: int, found: Intervention, helper: User, person: User,
                          now: datetime, *, hold_until: datetime | None) -> None:
    from bot.blocks import recognition as render

    text, blocks = render.helped_ask(found, helper)
    await notify(conn, organization_id=org_id, kind=KIND_ASK, dedupe_key=f"helped.ask:{org_id}:{found.id}", text=text,
                 blocks=blocks, targets=[Target.dm(person.slack_id)], now=now, user_id=person.id,
                 hold_until=hold_until)


async def offer_thanks(conn: psycopg.AsyncConnection, org_id: int, author: User, thanks: Thanks, *, source: str,
                       now: datetime) -> Intervention | None:
    """"thanks @sam for …" by ``author`` (the person helped) in a standup message: a pending intervention (helper:
    the person thanked; ``source`` detected) for the author to record with one click, once per ``source`` (the
    message's channel and ts) and person thanked. Returns it while it is still pending (a new one, or the same
    message handled again), else None: a teammate Steward doesn't know (or who left), or already decided."""
    helper = await user_by_slack_id(conn, org_id, thanks.slack_id)
    if helper is None or not helper.active or helper.id == author.id:
        return None
    key = f"thanks:{source}:{helper.id}"
    row = await (await conn.execute(Q["intervention_insert"], {
        "organization_id": org_id, "user_id": helper.id, "helped_user_id": author.id, "kind": KIND,
        "description": thanks.what, "minutes": thanks.minutes, "source": "detected", "now": now, "logged_by": author.id,
        "status": "pending", "confirmed_at": None, "confirmed_by": None, "dedupe_key": key})).fetchone()
    if row is None:
        row = await (await conn.execute(Q["intervention_by_key"], {"organization_id": org_id, "dedupe_key": key})).fetchone()
    assert row is not None
    found = await get(conn, org_id, int(row[0]))
    return found if found.status == "pending" else None


async def decide(conn: psycopg.AsyncConnection, org_id: int, actor: User, intervention_id: int, decision: Decision,
                 now: datetime) -> Intervention:
    """The person helped confirms the intervention (it is credited to the helper, who is told) or declines it ("Not
    me"). Only they may (PermissionDenied, logged, for anyone else); InvalidInput when it was decided before, saying
    how. Audit-logged."""
    found = await get(conn, org_id, intervention_id)
    if found.helped_user_id != actor.id:
        raise await security.deny(conn, organization_id=org_id, actor=actor, action=f"intervention.{decision}",
                                  message="Only the person who was helped can confirm that help.",
                                  details={"intervention": intervention_id})
    async with conn.transaction():
        row = await (await conn.execute(Q["intervention_decide"], {
            "organization_id": org_id, "id": intervention_id, "status": decision, "now": now, "actor": actor.id})).fetchone()
        if row is None:
            said = {"confirmed": "already confirmed: it's credited", "declined": "already marked as not yours"}
            raise InvalidInput(f"That help was {said.get(found.status, 'already decided')}.")
        await security.audit(conn, organization_id=org_id, actor=actor, action=f"intervention.{decision}",
                             entity_type="intervention", entity_id=intervention_id,
                             details={"helper": found.helper_slack_id, "minutes": found.minutes})
        decided = await get(conn, org_id, intervention_id)
        if decision == "confirmed" or decided.logged_by == decided.user_id:
            await _tell_helper(conn, org_id, decided, actor, now)
    return decided


async def _tell_helper(conn: psycopg.AsyncConnection, org_id: int, found: Intervention, helped: User,
                       now: datetime) -> None:
    """The helper's DM once the person helped decided: credited (confirmed), or politely, not (declined help the
    helper logged themselves; a declined "thanks" offer was never the helper's to hear about)."""
    from bot.blocks import recognition as render

    if found.status == "confirmed":
        text, kind = render.helped_confirmed_for_helper(found, helped), KIND_CONFIRMED
    else:
        text, kind = render.helped_declined_for_helper(found, helped), KIND_DECLINED
    await notify(conn, organization_id=org_id, kind=kind, dedupe_key=f"{kind}:{org_id}:{found.id}",
                 text=text, targets=[Target.dm(found.helper_slack_id)], now=now, user_id=found.user_id,
                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


async def credited_interventions(conn: psycopg.AsyncConnection, org_id: int, since: datetime,
                                 until: datetime) -> list[Credited]:
    """The organization's confirmed interventions that happened in [``since``, ``until``) (aware instants), oldest
    first: what reports credit to each helper (``user_id``) alongside their tasks. Pending and declined ones are
    never credited."""
    cur = conn.cursor(row_factory=class_row(Credited))
    await cur.execute(Q["credited_interventions"], {"organization_id": org_id, "since": since, "until": until})
    return list(await cur.fetchall())

