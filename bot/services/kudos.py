"""Kudos (SPEC F7; issue 14): `/kudos @person <why>`, from one person to another, stored in ``reinforcements``
(kind ``kudos``, ``from_user_id`` the giver) and shown where the organization chose.

Where a kudos goes: the organization's kudos channel when an admin set one (`/steward kudos channel #wins`,
``org_settings.kudos_channel_id``), else a DM to the person. Either way through the one notification path
(:func:`bot.services.notifications.notify`: once per kudos, a DM held through the person's quiet hours).

The rules (issue 14, "Recognition"; each refusal is a specific polite answer, and is logged as a
``kudos.refused`` security event with its reason; nothing is stored):
  * a person is mentioned, and it is someone else: not oneself, not a bot (Steward included), not someone who
    left, not someone Steward does not know;
  * a reason is required ("for untangling the staging deploy");
  * at most :data:`DAILY_LIMIT` kudos given per person per day, and one per pair per day, the day being the
    giver's own (midnight to midnight in their timezone). A kudos counts for the day it was given.

There is no leaderboard on purpose: counts of kudos favour visible roles. The weekly report shows the feed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import calendar, channel_setting, security
from bot.services.notifications import FailedDelivery, Target, notify, on_failure, quiet_hours_end
from db.queries import Q
from db.repos.users import user_by_slack_id
from db.rows import User

DAILY_LIMIT = 5
"""Kudos one person may give in one of their days (issue 14). Scarce enough that each one means something."""
REASON_MAX = 500
KIND_NOTICE = "recognition.kudos"
KIND_UNDELIVERED = "recognition.kudos_undelivered"
# What each Slack refusal of a channel post means, in words for the giver.
CHANNEL_REFUSALS = {"not_in_channel": "I'm not a member there", "channel_not_found": "I can't see that channel",
                    "is_archived": "it's archived"}
USAGE = ("`/kudos @person <why>` thanks someone for something specific, like `/kudos @priya for untangling the "
         "staging deploy`. It goes to the kudos channel if your team has one, else to them by DM.")


@dataclass(frozen=True)
class Given:
    """A kudos stored: its id, the person it is for, where it goes (a channel id, or None: their DM) and, for a DM
    held through the person's quiet hours, when it reaches them (aware, UTC; None: now)."""

    id: int
    receiver: User
    reason: str
    channel_id: str | None
    arrives_at: datetime | None = None


async def kudos_channel(conn: psycopg.AsyncConnection, org_id: int) -> str | None:
    """The organization's kudos channel id, or None (kudos go by DM)."""
    row = await (await conn.execute(Q["kudos_channel_get"], {"organization_id": org_id})).fetchone()
    return row[0] if row else None


async def set_kudos_channel(conn: psycopg.AsyncConnection, org_id: int, actor: User, words: str,
                            can_post: Callable[[str], Awaitable[None]] | None = None) -> str | None:
    """`/steward kudos channel #wins` (or `off`): set or clear the kudos channel. Admins only (PermissionDenied,
    logged); InvalidInput unless the words are one channel mention or ``off``/``none``/``dm``. ``can_post(channel
    id)``: the caller's check that Steward can post there (raises InvalidInput saying why not), run before anything
    is written. Audit-logged. Returns the channel id now set (None: kudos go by DM)."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="kudos.channel")
    channel = channel_setting.pick(words, usage="Pick the channel with a mention, like `/steward kudos channel "
                                                "#wins`, or `/steward kudos channel off` to send kudos by DM.")
    if channel is not None and can_post is not None:
        await can_post(channel)
    await conn.execute(Q["kudos_channel_set"], {"organization_id": org_id, "channel_id": channel})
    await security.audit(conn, organization_id=org_id, actor=actor, action="kudos.channel_set", entity_type="org_settings",
                         entity_id=org_id, details={"channel": channel})
    return channel


def split_words(text: str) -> tuple[str | None, str]:
    """`/kudos` words as (the first person mentioned, the reason: the words without that mention)."""
    read = markup.read(text or "")
    person = read.users[0] if read.users else None
    reason = markup.without_user(text or "", person) if person else (text or "").strip()
    return person, reason.strip(" \t\n:,.-\u2013\u2014")


async def _refuse(conn: psycopg.AsyncConnection, org_id: int, giver: User, why: str, message: str,
                  **details: Any) -> InvalidInput:
    """Log a refused kudos (security event ``kudos.refused``, threat none) and return the error to raise."""
    await security.record(conn, organization_id=org_id, event_type="kudos.refused", threat_level="none",
                          description=f"kudos refused: {why}", user_id=giver.id, slack_user_id=giver.slack_id,
                          details={"why": why, **details})
    return InvalidInput(message)


def giver_day(giver: User, now: datetime) -> tuple[date, datetime, datetime]:
    """The giver's day at ``now``: its date and its [start, end) instants, midnight to midnight in their timezone."""
    day = calendar.local_date(now, giver.timezone)
    return day, calendar.at_local(day, calendar.MIDNIGHT, giver.timezone), calendar.end_of_local_day(day, giver.timezone)


async def give(conn: psycopg.AsyncConnection, org_id: int, giver: User, text: str, now: datetime, *,
               bot_ids: Collection[str] = ()) -> Given:
    """`/kudos @person <why>` by ``giver`` at ``now`` (aware): stored and queued (module doc). ``bot_ids``: Slack
    ids known to be bots (Steward's own, and any the caller learned from Slack).

    Raises InvalidInput (each logged) for no words, no person, oneself, a bot, someone who left, no reason, the
    giver's :data:`DAILY_LIMIT` reached today or this person already thanked today; NotFound for a person Steward
    does not know. Nothing is written but the log when it raises."""
    if not (text or "").strip():
        raise InvalidInput(USAGE)
    slack_id, reason = split_words(text)
    if slack_id is None:
        raise await _refuse(conn, org_id, giver, "no_person", "Who is it for? Mention them: "
                                                              "`/kudos @priya for untangling the staging deploy`.")
    named = list(dict.fromkeys(markup.read(text).users))
    if len(named) > 1:
        first, second = (markup.typed_name(text, u, u) for u in named[:2])
        raise await _refuse(conn, org_id, giver, "several", "One person at a time, so each kudos says what it's for "
                                                            f"and counts for them: `/kudos {first} for …`, then "
                                                            f"`/kudos {second} for …`. Nothing was sent.",
                            to=named)
    if slack_id == giver.slack_id:
        raise await _refuse(conn, org_id, giver, "self", "Kudos are for someone else. If you're proud of something, "
                                                         "tell your team in the standup thread!")
    if slack_id in bot_ids:
        raise await _refuse(conn, org_id, giver, "bot", f"<@{slack_id}> is a bot: kudos are for the people you work "
                                                        "with.", to=slack_id)
    receiver = await user_by_slack_id(conn, org_id, slack_id)
    if receiver is None:
        await _refuse(conn, org_id, giver, "unknown", "unknown person", to=slack_id)
        raise NotFound(f"I don't know <@{slack_id}> (a guest, or someone who just joined), so no kudos were sent.")
    if not receiver.active:
        raise await _refuse(conn, org_id, giver, "inactive", f"{receiver.mention} has left the workspace, so "
                                                             "there's nobody to send kudos to.", to=slack_id)
    stored = markup.store(" ".join(reason.split()), limit=REASON_MAX)
    if not markup.read(stored).plain.strip(" .!-"):
        typed = markup.typed_name(text, slack_id, receiver.display_name)
        raise await _refuse(conn, org_id, giver, "no_reason", f"Say what it's for, so it means something: "
                                                              f"`/kudos {typed} for untangling the staging deploy`.",
                            to=slack_id)
    day, since, until = giver_day(giver, now)
    channel = await kudos_channel(conn, org_id)
    refusal: tuple[str, str] | None = None
    kudos_id = given = 0
    async with conn.transaction():
        await conn.execute(Q["kudos_giver_lock"], {"organization_id": org_id, "giver": giver.id})
        row = await (await conn.execute(Q["kudos_given_between"], {
            "organization_id": org_id, "giver": giver.id, "receiver": receiver.id, "since": since,
            "until": until})).fetchone()
        given, to_receiver = (int(row[0]), int(row[1])) if row else (0, 0)
        if to_receiver:
            refusal = ("pair_daily", f"You've already given {receiver.mention} kudos today. Save the next one for "
                                     "tomorrow, or tell them in a thread!")
        elif given >= DAILY_LIMIT:
            refusal = ("daily_limit", f"You've given {DAILY_LIMIT} kudos today, the most in a day, so each one means "
                                      "something. You can give more tomorrow.")
        else:
            kudos_id = await _store(conn, org_id, giver, receiver, stored, channel, now, day)
    if refusal is not None:
        raise await _refuse(conn, org_id, giver, refusal[0], refusal[1], to=slack_id, given_today=given)
    arrives = None if channel else await quiet_hours_end(conn, org_id, receiver.slack_id, now)
    return Given(kudos_id, receiver, stored, channel, arrives)


async def _store(conn: psycopg.AsyncConnection, org_id: int, giver: User, receiver: User, reason: str,
                 channel: str | None, now: datetime, day: date) -> int:
    """The kudos row and its notice, in the caller's transaction (the pair and the giver's ``day`` in its key)."""
    row = await (await conn.execute(Q["reinforcement_insert"], {
        "organization_id": org_id, "user_id": receiver.id, "from_user_id": giver.id, "kind": "kudos", "reason": reason,
        "details": Jsonb({"day": day.isoformat()}), "dedupe_key": f"kudos:{giver.id}:{receiver.id}:{day.isoformat()}",
        "channel_id": channel, "now": now})).fetchone()
    if row is None:  # the pair's key: a concurrent kudos to the same person won (the lock makes this rare)
        raise InvalidInput(f"You've already given {receiver.mention} kudos today.")
    kudos_id = int(row[0])
    said = markup.mrkdwn(reason)
    if channel:
        text, target = f":tada: {giver.mention} gave {receiver.mention} kudos: {said}", Target.channel(channel)
    else:
        text, target = f":tada: {giver.mention} gave you kudos: {said}", Target.dm(receiver.slack_id)
    await notify(conn, organization_id=org_id, kind=KIND_NOTICE, dedupe_key=f"kudos.notice:{org_id}:{kudos_id}",
                 text=text, targets=[target], now=now, user_id=receiver.id,
                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    return kudos_id


async def notice_failed(conn: psycopg.AsyncConnection, failed: FailedDelivery, now: datetime) -> None:
    """A kudos notice Slack refused for good (:func:`bot.services.notifications.on_failure`). A channel post
    (``not_in_channel``, ``channel_not_found``, ``is_archived``...) falls back to the person's DM, and the giver is
    told the truth: where it went and why. When the DM fails too, the kudos reached nobody: it is removed (it uses
    none of the giver's allowance for the day) and the giver is told."""
    org_id = failed.organization_id
    row = await (await conn.execute(Q["kudos_by_notice_delivery"], {"delivery_id": failed.delivery_id,
                                                                    "organization_id": org_id})).fetchone()
    if row is None:
        return
    kudos_id, reason, channel, giver_slack, receiver_slack, giver_id, receiver_id = row
    said = markup.mrkdwn(reason)
    why = CHANNEL_REFUSALS.get(failed.error, f"Slack said `{markup.escape(failed.error)}`")
    if failed.target_type == "channel":
        await conn.execute(Q["kudos_fell_back_to_dm"], {"organization_id": org_id, "id": kudos_id, "details": Jsonb(
            {"channel_failed": channel, "error": failed.error})})
        text = f":tada: <@{giver_slack}> gave you kudos: {said}"
        await notify(conn, organization_id=org_id, kind=KIND_NOTICE, dedupe_key=f"kudos.notice.dm:{org_id}:{kudos_id}",
                     text=text, targets=[Target.dm(receiver_slack)], now=now, user_id=receiver_id,
                     blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
        told = (f"I couldn't post your kudos for <@{receiver_slack}> in <#{channel}> ({why}), so I sent it to them by "
                "DM instead. An admin can invite me there (`/invite @Steward`) or send kudos by DM with "
                "`/steward kudos channel off`.")
    else:
        await conn.execute(Q["kudos_undelivered"], {"organization_id": org_id, "id": kudos_id})
        told = (f"Your kudos for <@{receiver_slack}> couldn't be delivered ({why}), so it wasn't given and doesn't "
                "count towards today's. Try again later, or tell them in a thread.")
    await notify(conn, organization_id=org_id, kind=KIND_UNDELIVERED, dedupe_key=f"{KIND_UNDELIVERED}:{org_id}:"
                 f"{kudos_id}:{failed.target_type}", text=told, targets=[Target.dm(giver_slack)], now=now,
                 user_id=giver_id)


on_failure(KIND_NOTICE, notice_failed)
