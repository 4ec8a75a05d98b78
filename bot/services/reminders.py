"""Reminders (SPEC F10): stored, scheduled, restored after a restart, fired once.

A reminder row is the truth; APScheduler date jobs only make it punctual. Firing is a
conditional UPDATE (``status = 'pending' AND fire_at = <the one we meant>``), so however
many timers or processes race, each occurrence fires once. Delivery goes through the
notification path with a dedupe key per occurrence.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.notifications import Target, notify
from db.queries import Q
from db.rows import User

LATE_AFTER = timedelta(minutes=2)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Reminder:
    id: int
    organization_id: int
    user_id: int
    text: str
    fire_at: datetime
    recurrence: dict[str, Any] | None
    timezone: str
    status: str
    slack_id: str | None = None


def next_occurrence(rec: dict[str, Any], after: datetime, tz: str) -> datetime:
    """The first occurrence of ``rec`` strictly after ``after``, in wall-clock time of ``tz``."""
    zone = ZoneInfo(tz)
    local = after.astimezone(zone)
    hour, minute = int(rec.get("hour", 9)), int(rec.get("minute", 0))
    interval = max(1, int(rec.get("interval", 1)))
    kind = rec.get("kind", "daily")
    day = local.date()
    for _ in range(400 * interval + 2):
        if _matches(rec, kind, day, interval, local.date()):
            candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if candidate.astimezone(UTC) > after.astimezone(UTC):  # real time: one zone compares wall clocks
                return candidate
        day += timedelta(days=1)
    raise InvalidInput("I couldn't work out when that repeats.")


def _matches(rec: dict[str, Any], kind: str, day: date, interval: int, start: date) -> bool:
    if kind == "daily":
        return (day - start).days % interval == 0
    if kind == "weekly":
        weekdays = rec.get("weekdays") or [start.weekday()]
        weeks = ((day - start).days + start.weekday()) // 7
        return day.weekday() in weekdays and weeks % interval == 0
    if kind == "monthly":
        wanted = int(rec.get("day", start.day))
        last = calendar.monthrange(day.year, day.month)[1]
        months = (day.year - start.year) * 12 + day.month - start.month
        return day.day == min(wanted, last) and months % interval == 0
    return False


def describe(rec: dict[str, Any] | None) -> str:
    if not rec:
        return "once"
    at = f"{int(rec.get('hour', 9)):02d}:{int(rec.get('minute', 0)):02d}"
    kind = rec.get("kind")
    every = int(rec.get("interval", 1))
    if kind == "daily":
        return f"every day at {at}" if every == 1 else f"every {every} days at {at}"
    if kind == "weekly":
        days = rec.get("weekdays") or []
        names = "weekday" if sorted(days) == [0, 1, 2, 3, 4] else ", ".join(WEEKDAY_NAMES[d] for d in days)
        return f"every {names} at {at}" + (f" (every {every} weeks)" if every > 1 else "")
    if kind == "monthly":
        # a monthly day is clamped to the month's length, so the 31st is every month's last day
        if int(rec.get("day", 1)) >= 31:
            return f"on the last day of every month at {at}"
        return f"monthly on day {rec.get('day')} at {at}"
    return "repeating"


def when_text(fire_at: datetime, tz: str, now: datetime) -> str:
    """"today at 15:30", "tomorrow at 09:00", "Thu 3 Dec at 08:00" on ``tz``'s clock; a wall time that occurs
    twice that night (the autumn clock change) names its offset: "today at 01:30 EST"."""
    local = fire_at.astimezone(ZoneInfo(tz))
    today = now.astimezone(ZoneInfo(tz)).date()
    days = (local.date() - today).days
    day = {0: "today", 1: "tomorrow"}.get(days, local.strftime("%a %-d %b"))
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return f"{day} at {local:%H:%M}" + (f" {local:%Z}" if twice else "")


async def create(conn: psycopg.AsyncConnection, org_id: int, user: User, text: str, fire_at: datetime, *,
                 recurrence: dict[str, Any] | None, source_text: str | None, now: datetime) -> Reminder:
    text = markup.store(" ".join(text.split()), limit=500)  # stored form: see bot/slack_markup.py
    if not text:
        raise InvalidInput("What should I remind you about? Try \u201cremind me to send the invoice tomorrow at 3pm\u201d.")
    if fire_at <= now - timedelta(seconds=5):
        raise InvalidInput("That time has already passed. When should I remind you?")
    row = await (await conn.execute(Q["reminder_insert"], {
        "organization_id": org_id, "user_id": user.id, "created_by": user.id, "text": text, "source_text": source_text,
        "fire_at": fire_at, "recurrence": Jsonb(recurrence) if recurrence else None, "timezone": user.timezone,
    })).fetchone()
    return await get(conn, org_id, row[0])  # type: ignore[index]


async def get(conn: psycopg.AsyncConnection, org_id: int, reminder_id: int) -> Reminder:
    row = await (await conn.execute(Q["reminder_get"], {"organization_id": org_id, "id": reminder_id})).fetchone()
    if row is None:
        raise NotFound("I couldn't find that reminder.")
    return Reminder(*row)


async def pending_for(conn: psycopg.AsyncConnection, org_id: int, user_id: int) -> list[Reminder]:
    rows = await (await conn.execute(Q["reminders_pending_of_user"], {"organization_id": org_id, "user_id": user_id})).fetchall()
    return [Reminder(*r) for r in rows]


async def all_pending(conn: psycopg.AsyncConnection) -> list[Reminder]:
    rows = await (await conn.execute(Q["reminders_pending"])).fetchall()
    return [Reminder(*r) for r in rows]


async def due(conn: psycopg.AsyncConnection, now: datetime) -> list[Reminder]:
    rows = await (await conn.execute(Q["reminders_due"], {"now": now})).fetchall()
    return [Reminder(*r) for r in rows]


async def due_one(conn: psycopg.AsyncConnection, reminder_id: int, now: datetime) -> Reminder | None:
    row = await (await conn.execute(Q["reminder_due_one"], {"id": reminder_id, "now": now})).fetchone()
    return Reminder(*row) if row else None


async def cancel(conn: psycopg.AsyncConnection, org_id: int, actor: User, reminder_id: int, now: datetime) -> Reminder:
    reminder = await get(conn, org_id, reminder_id)
    if reminder.user_id != actor.id:
        raise PermissionDenied("That reminder isn't yours.")
    if reminder.status != "pending":
        raise InvalidInput("That reminder already fired or was cancelled.")
    await conn.execute(Q["reminder_cancel"], {"organization_id": org_id, "id": reminder_id, "now": now})
    return await get(conn, org_id, reminder_id)


async def fire(conn: psycopg.AsyncConnection, reminder: Reminder, now: datetime) -> bool:
    """Fire one occurrence (the one at ``reminder.fire_at``). Returns False if someone else already did."""
    if reminder.slack_id is None:
        return False
    late = now - reminder.fire_at > LATE_AFTER
    async with conn.transaction():
        if reminder.recurrence:
            upcoming = next_occurrence(reminder.recurrence, max(now, reminder.fire_at), reminder.timezone)
            cur = await conn.execute(Q["reminder_fire_and_repeat"], {"id": reminder.id, "fire_at": reminder.fire_at,
                                                                     "next_fire_at": upcoming, "now": now, "late": late})
        else:
            cur = await conn.execute(Q["reminder_fire_once"], {"id": reminder.id, "fire_at": reminder.fire_at, "now": now,
                                                               "late": late})
        if cur.rowcount != 1:
            return False
        text = f":alarm_clock: Reminder: {markup.mrkdwn(reminder.text)}"
        if late:
            text += f"\n_(Sorry, this is late: it was due {when_text(reminder.fire_at, reminder.timezone, now)}.)_"
        await notify(conn, organization_id=reminder.organization_id, kind="reminder.fired",
                     dedupe_key=f"reminder:{reminder.id}:{reminder.fire_at.isoformat()}", text=text,
                     targets=[Target.dm(reminder.slack_id)], now=now, urgent=True, user_id=reminder.user_id)
    return True
