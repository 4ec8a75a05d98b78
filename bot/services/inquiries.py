"""Private inquiries (SPEC F9; issue 13): a conversation about a flag that Steward relays between two people.

*Open inquiry* on a flag (:func:`open_for_flag`; whoever may act on the flag, :func:`bot.services.flags.may_act`)
starts one: the opener writes in a thread of their DM with Steward (the *manager's side*), the person receives
each message in a thread of their own DM with Steward as "Maya asks: …", and what the person writes in that thread
comes back to the opener's thread the same way. Each side's thread is recorded on the inquiry
(``manager_channel_id``/``manager_thread_ts``, ``user_channel_id``/``user_thread_ts``); a message finds its inquiry
by the thread it was written in (:func:`by_thread`).

Every message is stored once (``inquiry_messages``, unique on its Slack ts on its author's side) with where its
relayed copy landed (``relayed_ts``); a message whose relay did not go through is relayed again when Slack
delivers it again. The content is visible only to those two: no read path in Steward shows a message's body to
anyone else (admins see that an inquiry exists, its people, status and message count: :func:`count_messages`).
Resolving or dismissing the flag closes the inquiry (:func:`close_for_flag`); a message written in a closed
inquiry's thread is not relayed, and its author is told why. Opening and closing are audit-logged, without content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import psycopg
from psycopg.rows import class_row

from bot import slack_markup as markup
from bot.errors import InvalidInput
from bot.services import flags, security
from bot.services.calendar import zone
from db.queries import Q
from db.repos.users import user_by_id
from db.rows import User

Side = Literal["manager", "subject"]
# Longest message relayed (characters of the stored form); longer ones are refused with this number.
BODY_MAX = 3000


@dataclass(frozen=True)
class Inquiry:
    """One inquiry (``inquiry_threads``)."""

    id: int
    organization_id: int
    flag_id: int | None
    user_id: int
    opened_by: int | None
    subject: str | None
    status: str
    user_channel_id: str | None
    user_thread_ts: str | None
    manager_channel_id: str | None
    manager_thread_ts: str | None
    closed_at: datetime | None
    closed_by: int | None
    created_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status == "open"


async def get(conn: psycopg.AsyncConnection, org_id: int, inquiry_id: int) -> Inquiry:
    cur = conn.cursor(row_factory=class_row(Inquiry))
    await cur.execute(Q["inquiry_by_id"], {"organization_id": org_id, "id": inquiry_id})
    found = await cur.fetchone()
    if found is None:
        raise InvalidInput("That private conversation no longer exists.")
    return found


@dataclass(frozen=True)
class Opened:
    """The inquiry on a flag, whether this call opened it (``created``), and the flag."""

    inquiry: Inquiry
    created: bool
    flag: flags.Flag


async def open_for_flag(conn: psycopg.AsyncConnection, org_id: int, actor: User, flag_id: int, now: datetime) -> Opened:
    """*Open inquiry*: a private conversation between ``actor`` and the flag's person (the flag becomes
    acknowledged). An inquiry already open on the flag is given back (``created`` False), so a second press or a
    retry opens nothing twice. Its threads are recorded by the caller once posted (:func:`set_threads`).

    Raises InvalidInput for a closed flag (saying by whom and when) or a person who left, PermissionDenied (logged)
    unless ``actor`` may act on the flag. Audit-logged (no content)."""
    from bot.blocks import flags as render

    flag = await flags.get(conn, org_id, flag_id)
    if not flag.is_open:
        by = await user_by_id(conn, org_id, flag.resolved_by) if flag.resolved_by else None
        raise InvalidInput(render.already_closed(flag, by, actor))
    await flags.require_may_act(conn, org_id, actor, flag, "inquiry")
    person = await user_by_id(conn, org_id, flag.user_id)
    if person is None or not person.active:
        raise InvalidInput("That person has left the workspace, so there's nobody to ask.")
    async with conn.transaction():
        row = await (await conn.execute(Q["inquiry_insert"], {
            "organization_id": org_id, "flag_id": flag.id, "user_id": flag.user_id, "opened_by": actor.id,
            "subject": flag.title, "now": now})).fetchone()
        if row is None:
            existing = await (await conn.execute(Q["inquiry_open_of_flag"], {"organization_id": org_id,
                                                                            "flag_id": flag.id})).fetchone()
            assert existing is not None  # the conflict was with it
            return Opened(await get(conn, org_id, int(existing[0])), False, flag)
        inquiry_id = int(row[0])
        await conn.execute(Q["flag_acknowledge"], {"organization_id": org_id, "id": flag.id, "now": now})
        await security.audit(conn, organization_id=org_id, actor=actor, action="inquiry.opened", entity_type="inquiry",
                             entity_id=inquiry_id, details={"flag": flag.id, "with": flag.person_slack_id})
    return Opened(await get(conn, org_id, inquiry_id), True, await flags.get(conn, org_id, flag.id))


async def set_threads(conn: psycopg.AsyncConnection, org_id: int, inquiry_id: int, *, manager: tuple[str, str] | None = None,
                      subject: tuple[str, str] | None = None) -> Inquiry:
    """Record where each side's thread is: (DM channel id, the thread's root ts)."""
    if manager is not None:
        await conn.execute(Q["inquiry_set_manager_thread"], {"organization_id": org_id, "id": inquiry_id,
                                                             "channel_id": manager[0], "thread_ts": manager[1]})
    if subject is not None:
        await conn.execute(Q["inquiry_set_user_thread"], {"organization_id": org_id, "id": inquiry_id,
                                                          "channel_id": subject[0], "thread_ts": subject[1]})
    return await get(conn, org_id, inquiry_id)


async def by_thread(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, thread_ts: str) -> tuple[Inquiry, Side] | None:
    """The inquiry whose manager's or person's thread is (``channel_id``, ``thread_ts``), and which side it is."""
    cur = conn.cursor(row_factory=class_row(Inquiry))
    await cur.execute(Q["inquiry_by_thread"], {"organization_id": org_id, "channel_id": channel_id, "thread_ts": thread_ts})
    found = await cur.fetchone()
    if found is None:
        return None
    side: Side = "manager" if (found.manager_channel_id, found.manager_thread_ts) == (channel_id, thread_ts) else "subject"
    return found, side


@dataclass(frozen=True)
class Relay:
    """A message to pass on: its stored id, the words (stored form), and where the copy goes (channel, thread)."""

    message_id: int
    body: str
    channel_id: str
    thread_ts: str


async def record(conn: psycopg.AsyncConnection, org_id: int, inquiry: Inquiry, side: Side, sender: User, text: str,
                 slack_ts: str, now: datetime) -> Relay | None:
    """Store one message ``sender`` wrote in their side's thread and say where to relay it; None when it was stored
    and relayed before (Slack delivered it twice). Raises InvalidInput when the inquiry is closed (saying by whom),
    the other side's thread is not there yet, the sender is not that side's person, or the text is empty or longer
    than :data:`BODY_MAX`: nothing is stored then."""
    expected = inquiry.opened_by if side == "manager" else inquiry.user_id
    if sender.id != expected:
        raise InvalidInput("This conversation isn't yours, so I didn't pass that on.")
    if not inquiry.is_open:
        by = await user_by_id(conn, org_id, inquiry.closed_by) if inquiry.closed_by else None
        who = "" if by is None else " by you" if by.id == sender.id else f" by {by.mention}"
        closed = inquiry.closed_at.astimezone(zone(sender.timezone)) if inquiry.closed_at else None
        when = f" on {closed:%a} {closed.day} {closed:%b}" if closed else ""  # the sender's day
        raise InvalidInput(f"This private conversation was closed{who}{when}, so I didn't pass that on.")
    body = markup.store(text.strip())
    if not markup.read(body).has_words:
        raise InvalidInput("Write something in words and I'll pass it on.")
    if len(body) > BODY_MAX:
        raise InvalidInput(f"That's {len(body):,} characters; I pass on up to {BODY_MAX:,} at a time. Could you split it?")
    target = ((inquiry.user_channel_id, inquiry.user_thread_ts) if side == "manager"
              else (inquiry.manager_channel_id, inquiry.manager_thread_ts))
    if target[0] is None or target[1] is None:
        raise InvalidInput("The other side of this conversation isn't set up yet; press Open inquiry again.")
    params = {"organization_id": org_id, "thread_id": inquiry.id, "sender_role": side, "slack_ts": slack_ts}
    row = await (await conn.execute(Q["inquiry_message_insert"], {**params, "sender_id": sender.id, "body": body,
                                                                  "now": now})).fetchone()
    if row is None:
        row = await (await conn.execute(Q["inquiry_message_unrelayed"], params)).fetchone()
        if row is None:
            return None
    return Relay(int(row[0]), body, target[0], target[1])


# A message the person writes in the DM itself (not in the inquiry's thread) within this long of their manager's last
# message may be their reply: Steward asks before doing anything with it (bot/listeners/flags.py).
REPLY_WINDOW = timedelta(hours=24)
# At most this many conversations are offered to choose from.
REPLY_CHOICES = 3


@dataclass(frozen=True)
class Awaiting:
    """An open inquiry whose manager (``opener``) wrote to the person lately."""

    inquiry_id: int
    opener: User


async def awaiting_reply(conn: psycopg.AsyncConnection, org_id: int, user: User, now: datetime) -> list[Awaiting]:
    """The open inquiries about ``user`` whose manager wrote to them within :data:`REPLY_WINDOW` of ``now`` (aware),
    latest first, at most :data:`REPLY_CHOICES`."""
    rows = await (await conn.execute(Q["inquiries_awaiting_reply"], {
        "organization_id": org_id, "user_id": user.id, "since": now - REPLY_WINDOW, "limit": REPLY_CHOICES})).fetchall()
    out = []
    for inquiry_id, opened_by, _last in rows:
        opener = await user_by_id(conn, org_id, opened_by) if opened_by is not None else None
        if opener is not None:
            out.append(Awaiting(int(inquiry_id), opener))
    return out


async def relayed(conn: psycopg.AsyncConnection, org_id: int, message_id: int, relayed_ts: str | None) -> None:
    """Record where a message's relayed copy landed (Slack's ts)."""
    await conn.execute(Q["inquiry_message_relayed"], {"organization_id": org_id, "id": message_id, "relayed_ts": relayed_ts})


async def count_messages(conn: psycopg.AsyncConnection, org_id: int, inquiry_id: int) -> int:
    """How many messages an inquiry holds (what admins may know of it, with its people and status)."""
    row = await (await conn.execute(Q["inquiry_message_count"], {"organization_id": org_id, "thread_id": inquiry_id})).fetchone()
    return int(row[0]) if row else 0


async def close_for_flag(conn: psycopg.AsyncConnection, org_id: int, flag_id: int, actor: User | None,
                         now: datetime) -> Inquiry | None:
    """Close the open inquiry of a flag (who and when; ``actor`` None: Steward, its flag's cause gone), if there is
    one; the closed inquiry, or None. Audit-logged."""
    row = await (await conn.execute(Q["inquiry_open_of_flag"], {"organization_id": org_id, "flag_id": flag_id})).fetchone()
    if row is None:
        return None
    closed = await (await conn.execute(Q["inquiry_close"], {"organization_id": org_id, "id": int(row[0]), "now": now,
                                                            "by": actor.id if actor else None})).fetchone()
    if closed is None:
        return None
    await security.audit(conn, organization_id=org_id, actor=actor, action="inquiry.closed", entity_type="inquiry",
                         entity_id=int(row[0]), details={"flag": flag_id}, now=now)
    return await get(conn, org_id, int(row[0]))
