"""Out of office (SPEC F4): ooo_records, manual (/ooo) or parsed from what people write.

Out-of-office stretches are absences in the people calendar (:mod:`bot.services.calendar`): the
daily jobs load them with :func:`people` and skip whoever is out on their day (the thread listing,
nudges, the manager summary, the end-of-day and mood check-ins); :func:`out_on` answers the same
for one date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
from psycopg.rows import class_row

from bot.errors import InvalidInput, NotFound
from bot.services.calendar import Absence, Person
from db.queries import Q
from db.rows import User

MAX_DAYS = 366
REASON_MAX = 200
# "/ooo Monday to Wednesday" carries no absence words of its own: the parser is told it is one.
_STATEMENT = re.compile(r"^\s*(?:i['\u2019]?m|i\s+am|i['\u2019]?ll|i\s+will|we['\u2019]?re|out|off|ooo|away|on\s+(?:vacation|leave|holiday))\b",
                        re.IGNORECASE)


@dataclass(frozen=True)
class OooRecord:
    id: int
    start_date: date
    end_date: date
    reason: str | None
    source: str
    cancelled_at: datetime | None


def as_statement(text: str) -> str:
    """`/ooo` text as a sentence the OOO parser recognises ("Mon-Wed" -> "I'm out Mon-Wed")."""
    text = " ".join(text.split())
    return text if _STATEMENT.match(text) else f"I'm out {text}"


def check_range(start: date, end: date, today: date) -> None:
    if end < today:
        raise InvalidInput(f"{describe(start, end)} is in the past. Tell me about days to come, like `/ooo Friday`.")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("That's more than a year; please add it in shorter stretches.")


async def record(conn: psycopg.AsyncConnection, org_id: int, user: User, start: date, end: date, reason: str | None, *,
                 source: str, channel_id: str | None = None, ts: str | None = None, actor: User | None = None) -> int:
    if end < start:
        start, end = end, start
    row = await (await conn.execute(Q["ooo_insert"], {
        "organization_id": org_id, "user_id": user.id, "start_date": start, "end_date": end,
        "reason": reason.strip()[:REASON_MAX] if reason and reason.strip() else None, "source": source,
        "source_channel_id": channel_id, "source_ts": ts, "created_by": (actor or user).id})).fetchone()
    return int(row[0])  # type: ignore[index]


async def out_on(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], day: date) -> set[int]:
    """Which of these people are out of office on ``day``."""
    rows = await (await conn.execute(Q["ooo_people_on"], {"organization_id": org_id, "user_ids": list(user_ids), "day": day})).fetchall()
    return {r[0] for r in rows}


# The people calendar looks this far around today: back to days still closing, ahead to the first reachable
# instant after a weekend or a leave (bot/services/calendar.py, REACH_HORIZON).
ABSENCE_WINDOW_BEFORE = timedelta(days=14)
ABSENCE_WINDOW_AFTER = timedelta(days=60)


async def absences(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], first: date,
                   last: date) -> dict[int, tuple[Absence, ...]]:
    """Each person's absences (their own dates) that touch [``first``, ``last``]: today, out of office
    (``ooo_records``, manual or parsed). Public holidays and Slack's "away" status join here as more
    absences of other sources."""
    rows = await (await conn.execute(Q["ooo_of_users_between"], {
        "organization_id": org_id, "user_ids": list(user_ids), "first": first, "last": last})).fetchall()
    out: dict[int, list[Absence]] = {}
    for user_id, start, end, reason, source in rows:
        out.setdefault(user_id, []).append(Absence(start, end, reason or "out of office", source))
    return {u: tuple(a) for u, a in out.items()}


async def people(conn: psycopg.AsyncConnection, org_id: int, users: Sequence[User], today: date) -> dict[int, Person]:
    """The people calendar's view of each user (by id): their timezone and their absences around ``today``."""
    known = await absences(conn, org_id, [u.id for u in users], today - ABSENCE_WINDOW_BEFORE, today + ABSENCE_WINDOW_AFTER)
    return {u.id: Person(timezone=u.timezone, absences=known.get(u.id, ())) for u in users}


async def upcoming(conn: psycopg.AsyncConnection, org_id: int, user_id: int, today: date) -> list[OooRecord]:
    cur = conn.cursor(row_factory=class_row(OooRecord))
    await cur.execute(Q["ooo_of_user"], {"organization_id": org_id, "user_id": user_id, "from_date": today})
    return await cur.fetchall()


async def cancel(conn: psycopg.AsyncConnection, org_id: int, user: User, ooo_id: int, now: datetime) -> OooRecord:
    row = await (await conn.execute(Q["ooo_get"], {"organization_id": org_id, "id": ooo_id})).fetchone()
    if row is None or row[1] != user.id:
        raise NotFound("I couldn't find that out-of-office entry of yours. `/ooo list` shows them.")
    if row[6] is not None:
        raise InvalidInput("That out-of-office entry was already cancelled.")
    await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user.id, "id": ooo_id, "now": now})
    return OooRecord(row[0], row[2], row[3], row[4], row[5], now)


def describe(start: date, end: date) -> str:
    if start == end:
        return f"{start:%a} {start.day} {start:%b}"
    if start.year == end.year and start.month == end.month:
        return f"{start:%a} {start.day} \u2013 {end:%a} {end.day} {end:%b}"
    return f"{start:%a} {start.day} {start:%b} \u2013 {end:%a} {end.day} {end:%b}"
