"""Out of office (SPEC F4): ooo_records, manual (/ooo) or parsed from what people write.

Out-of-office stretches are absences in the people calendar (:mod:`bot.services.calendar`), with the
other sources of :mod:`bot.services.absences` (the person's public holidays, a Slack status that says
away): the daily jobs load them with :func:`people` and skip whoever is out on their day (the thread
listing, nudges, the manager summary, the end-of-day and mood check-ins); :func:`out_on` answers the
same for one date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
from psycopg.rows import class_row

from bot.errors import InvalidInput, NotFound
from bot.parsing.models import DateOrder
from bot.parsing.ooo import other_order_reading, states_absence, unknown_holiday
from bot.services import absences, calendar, standup_settings
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


def unknown_holiday_said(text: str, *, now: datetime, tz: str, country: str | None) -> str | None:
    """When no days could be read from an absence (``text`` in Slack markup) because it names a holiday the
    person's calendar (``country``) does not know ("over Thanksgiving" in London), the sentence that says so;
    else None."""
    from bot import slack_markup as markup

    holiday = unknown_holiday(markup.plain_text(text), now=now, tz=tz, country=country)
    if holiday is None:
        return None
    where = f"`{country}`'s holidays" if country else "your holidays (none set: `/ooo country US` sets them)"
    return (f"I don't know when {markup.escape(holiday)} is in {where}, so I haven't marked anything. "
            "Which days? Say them as dates (`/ooo Nov 26-27`).")


def other_order_note(text: str, *, now: datetime, tz: str, date_order: str, country: str | None,
                     undo: str = "press Undo") -> str | None:
    """When an absence's numeric dates read differently day first and month first and nothing in them says
    which ("3/4-5/4"), the sentence that says how they were read and what the other order gives (its
    days spelled out), and that ``undo`` then `/ooo` with those days fixes it; else None. ``text`` in Slack
    markup, ``date_order`` "MDY" or "DMY"."""
    from bot import slack_markup as markup

    order: DateOrder = "DMY" if date_order == "DMY" else "MDY"
    other = other_order_reading(markup.plain_text(text), now=now, tz=tz, date_order=order, country=country)
    if other is None:
        return None
    mine, theirs = ("day first", "month first") if order == "DMY" else ("month first", "day first")
    return (f":warning: I read those dates {mine}, your date order; {theirs} they would be "
            f"{describe(other[0], other[1])}. If you meant that, {undo} and send `/ooo {other[0]:%-d %b}"
            f"{'' if other[0] == other[1] else f'-{other[1]:%-d %b}'}`.")


def as_statement(text: str) -> str:
    """`/ooo` text as a sentence the OOO parser recognises ("Mon-Wed" -> "I'm out Mon-Wed")."""
    text = " ".join(text.split())
    return text if _STATEMENT.match(text) or states_absence(text) else f"I'm out {text}"


def check_range(start: date, end: date, today: date) -> None:
    if end < today:
        raise InvalidInput(f"{describe(start, end)} is in the past. Tell me about days to come, like `/ooo Friday`.")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("That's more than a year; please add it in shorter stretches.")


async def record(conn: psycopg.AsyncConnection, org_id: int, user: User, start: date, end: date, reason: str | None, *,
                 source: str, now: datetime, channel_id: str | None = None, ts: str | None = None,
                 actor: User | None = None) -> int:
    """Record that ``user`` is out from ``start`` to ``end`` (their dates, inclusive; swapped when reversed), from
    ``source`` (``manual``: `/ooo`; ``parsed``: what they wrote, at ``channel_id`` / ``ts``), as of ``now`` (aware),
    and, in the same transaction, recompute when the next rung of their open blockers and overdue tasks is due: their
    ladders' clocks pause for those days (issue 13; :func:`bot.services.escalation_sweep.reschedule_person`, as
    :func:`withdraw` does when it is taken back). Returns the ``ooo_records`` id. The same `/ooo` again (``manual``,
    an active manual record of exactly these days exists) records nothing and returns that record's id (tester16b
    N4: two identical rows)."""
    from bot.services import escalation_sweep  # it reads the people calendar through this module

    if end < start:
        start, end = end, start
    async with conn.transaction():
        if source == "manual":
            same = await (await conn.execute(Q["ooo_same_manual"], {
                "organization_id": org_id, "user_id": user.id, "start_date": start, "end_date": end})).fetchone()
            if same is not None:
                return int(same[0])
        row = await (await conn.execute(Q["ooo_insert"], {
            "organization_id": org_id, "user_id": user.id, "start_date": start, "end_date": end,
            "reason": reason.strip()[:REASON_MAX] if reason and reason.strip() else None, "source": source,
            "source_channel_id": channel_id, "source_ts": ts, "created_by": (actor or user).id})).fetchone()
        await escalation_sweep.reschedule_person(conn, org_id, user.id, now)
    return int(row[0])  # type: ignore[index]


async def out_on(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], day: date) -> set[int]:
    """Which of these people are away on ``day``: out of office, on a public holiday of theirs, or with a
    Slack status that says away (:func:`bot.services.absences.out_on` says why)."""
    return set(await absences.out_on(conn, org_id, user_ids, day))


async def span_of(conn: psycopg.AsyncConnection, org_id: int, user_id: int, first: date, last: date) -> absences.Span:
    """The workdays and public holidays of a stretch of days off, by the organization's workdays and
    holidays and the person's public holidays."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    return await absences.span(conn, org_id, user_id, rhythm, first, last)


# The people calendar looks this far around today: back to days still closing, ahead to the first reachable
# instant after a weekend or a leave (bot/services/calendar.py, REACH_HORIZON).
ABSENCE_WINDOW_BEFORE = timedelta(days=14)
ABSENCE_WINDOW_AFTER = timedelta(days=60)


async def people(conn: psycopg.AsyncConnection, org_id: int, users: Sequence[User], today: date) -> dict[int, calendar.Person]:
    """The people calendar's view of each user (by id): their timezone, their absences from every source
    (:func:`bot.services.absences.absences`: out of office, public holidays, a Slack status that says away)
    around ``today``, and that status also as an away interval (from when it was first seen to its expiry)."""
    found = await absences.absences(conn, org_id, [u.id for u in users], today - ABSENCE_WINDOW_BEFORE,
                                    today + ABSENCE_WINDOW_AFTER)
    days: dict[int, list[calendar.Absence]] = {}
    away: dict[int, list[calendar.Away]] = {}
    for a in found:
        reason = a.reason or ("public holiday" if a.source == absences.SOURCE_HOLIDAY else "out of office")
        if a.source == absences.SOURCE_STATUS and a.emoji:
            reason = f":{a.emoji.strip(':')}: {reason}"  # the calendar's absences carry no emoji of their own
        days.setdefault(a.user_id, []).append(calendar.Absence(a.first, a.last, reason, a.source))
        if a.source == absences.SOURCE_STATUS and a.starts_at is not None:
            away.setdefault(a.user_id, []).append(calendar.Away(a.starts_at, a.ends_at, reason, a.source))
    return {u.id: calendar.Person(timezone=u.timezone, absences=tuple(days.get(u.id, ())), away=tuple(away.get(u.id, ())))
            for u in users}


def team(rhythm: calendar.Rhythm, today: date) -> calendar.Person:
    """The team as the people calendar sees it, for what is posted to the team rather than sent to one person (an
    escalation ladder's channel rung): the organization's zone (its clock), and, besides its workdays and holidays
    (``rhythm``), the public holidays of its holiday country (``/steward standup country``) around ``today``."""
    days = absences.public_holidays(rhythm.holiday_country, today - ABSENCE_WINDOW_BEFORE, today + ABSENCE_WINDOW_AFTER)
    return calendar.Person(timezone=rhythm.timezone, absences=tuple(
        calendar.Absence(d, d, name or "public holiday", absences.SOURCE_HOLIDAY) for d, name in days))


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
    async with conn.transaction():
        await withdraw(conn, org_id, user.id, ooo_id, now)
    return OooRecord(row[0], row[2], row[3], row[4], row[5], now)


async def withdraw(conn: psycopg.AsyncConnection, org_id: int, user_id: int, ooo_id: int, now: datetime) -> bool:
    """Cancel out-of-office record ``ooo_id`` of ``user_id`` as of ``now`` (aware), and, in the caller's transaction,
    recompute when the next rung of that person's open blockers and overdue tasks is due: their ladders' clocks
    paused for days they now work (issue 13; :func:`bot.services.escalation_sweep.reschedule_person`). Every way an
    absence is taken back or shortened (`/ooo cancel`, its Undo button, a standup reply edited or undone) goes
    through here. False when it was no longer active (nothing changed)."""
    from bot.services import escalation_sweep  # it reads the people calendar through this module

    row = await (await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user_id, "id": ooo_id,
                                                      "now": now})).fetchone()
    if row is None:
        return False
    await escalation_sweep.reschedule_person(conn, org_id, user_id, now)
    return True


def _day(d: date, today: date | None) -> str:
    year = f" {d.year}" if today is not None and d.year != today.year else ""
    return f"{d:%a} {d.day} {d:%b}{year}"


def describe_span(span: absences.Span, today: date) -> str:
    """"from Mon 16 Mar to Wed 18 Mar (3 workdays)", "on Fri 3 Apr (1 workday)": the exact first and last
    day (with the year when it is not ``today``'s) and how many workdays that is; public holidays inside
    are named ("; Mon 6 Apr is a public holiday: Easter Monday")."""
    n = len(span.workdays)
    days = f"{n} workday{'' if n == 1 else 's'}"
    if span.holidays:
        named = ", ".join(f"{_day(d, today)} is a public holiday: {name}" for d, name in span.holidays[:3])
        days += f"; {named}"
    if span.first == span.last:
        return f"on {_day(span.first, today)} ({days})"
    return f"from {_day(span.first, today)} to {_day(span.last, today)} ({days})"


def no_workdays(span: absences.Span, today: date) -> str:
    """What to say for a stretch of days off with no workday in it (nothing is recorded)."""
    where = (_day(span.first, today) if span.first == span.last
             else f"{_day(span.first, today)} to {_day(span.last, today)}")
    return (f"{where} has no workdays for you (your team works {span.team_days}, without public holidays), "
            "so I haven't marked anything. Which days will you be out? For example `/ooo Monday to Wednesday`.")


async def check_workdays(conn: psycopg.AsyncConnection, org_id: int, user_id: int, first: date, last: date,
                         today: date) -> absences.Span:
    """The span of a stretch of days off; InvalidInput (see :func:`no_workdays`) when it has no workday."""
    span = await span_of(conn, org_id, user_id, first, last)
    if not span.workdays:
        raise InvalidInput(no_workdays(span, today))
    return span


def describe(start: date, end: date) -> str:
    if start == end:
        return f"{start:%a} {start.day} {start:%b}"
    if start.year == end.year and start.month == end.month:
        return f"{start:%a} {start.day} \u2013 {end:%a} {end.day} {end:%b}"
    return f"{start:%a} {start.day} {start:%b} \u2013 {end:%a} {end.day} {end:%b}"
