"""Mood check-ins, private journals and the low-mood flag (SPEC F8, F17).

Privacy rules, enforced here rather than in the listeners:
  * a journal is read by its author only; anyone else asking (admins included) is refused and the
    attempt is written to security_audit_logs;
  * managers see their team's mood only as an aggregate over at least
    :data:`~bot.services.rhythm.MIN_AGGREGATE_PEOPLE` distinct people for the period;
  * a run of low scores raises one private flag for the person's manager, with no score, note or
    journal text in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput
from bot.services import rhythm as rules
from bot.services import security
from db.queries import Q
from db.rows import User

NOTE_MAX = 500
JOURNAL_MAX = 4000
LOW_MOOD_TITLE = "Sustained low mood"
LOW_MOOD_DESCRIPTION = ("Several mood check-ins in a row were low. A private, supportive 1:1 may help. "
                        "(Scores, notes and journals stay private to the person.)")


def parse_score(raw: str) -> tuple[int, str | None]:
    """`/mood 4 tired but ok` -> (4, "tired but ok")."""
    word, _, rest = (raw or "").strip().partition(" ")
    word = word.removesuffix("/5").strip()
    if not word.isdecimal() or not 1 <= int(word) <= 5:
        raise InvalidInput("Give your mood as a number from 1 (rough) to 5 (great), then an optional note: `/mood 4 good day`.")
    note = rest.strip()[:NOTE_MAX] or None
    return int(word), note


@dataclass(frozen=True)
class Recorded:
    score: int
    local_date: date
    flag_id: int | None  # a low-mood flag this entry raised


async def record(conn: psycopg.AsyncConnection, org_id: int, user: User, score: int, note: str | None, *, now: datetime,
                 local_date: date) -> Recorded:
    if not 1 <= score <= 5:
        raise InvalidInput("A mood score goes from 1 to 5.")
    async with conn.transaction():
        await conn.execute(Q["mood_upsert"], {"organization_id": org_id, "user_id": user.id, "score": score,
                                              "note": markup.store((note or "").strip(), limit=NOTE_MAX) or None, "now": now, "local_date": local_date})
        flag_id = await _check_low_mood(conn, org_id, user)
    return Recorded(score, local_date, flag_id)


async def set_note(conn: psycopg.AsyncConnection, org_id: int, user: User, local_date: date, note: str) -> bool:
    row = await (await conn.execute(Q["mood_set_note"], {"organization_id": org_id, "user_id": user.id, "local_date": local_date,
                                                         "note": markup.store(note.strip(), limit=NOTE_MAX) or None})).fetchone()
    return row is not None


async def of_day(conn: psycopg.AsyncConnection, org_id: int, user_id: int, local_date: date) -> tuple[int, str | None] | None:
    row = await (await conn.execute(Q["mood_of_day"], {"organization_id": org_id, "user_id": user_id, "local_date": local_date})).fetchone()
    return (int(row[0]), row[1]) if row else None


async def answered_on(conn: psycopg.AsyncConnection, org_id: int, user_ids: list[int], local_date: date) -> set[int]:
    rows = await (await conn.execute(Q["mood_answered_on"], {"organization_id": org_id, "user_ids": user_ids,
                                                             "local_date": local_date})).fetchall()
    return {r[0] for r in rows}


async def _check_low_mood(conn: psycopg.AsyncConnection, org_id: int, user: User) -> int | None:
    rows = await (await conn.execute(Q["mood_recent"], {"organization_id": org_id, "user_id": user.id,
                                                        "limit": rules.LOW_MOOD_STREAK * 4})).fetchall()
    streak = rules.low_mood_streak([(r[0], int(r[1])) for r in rows])
    if streak is None:
        return None
    if await (await conn.execute(Q["low_mood_flag_open"], {"organization_id": org_id, "user_id": user.id})).fetchone():
        return None  # already raised and not yet dealt with
    row = await (await conn.execute(Q["flag_insert_rule"], {
        "organization_id": org_id, "user_id": user.id, "type": "low_mood", "severity": "medium",
        "title": LOW_MOOD_TITLE, "description": LOW_MOOD_DESCRIPTION,
        # The rule and its period only: no scores, notes or journal text.
        "evidence": Jsonb({"rule": "consecutive_low_checkins", "checkins": rules.LOW_MOOD_STREAK,
                           "threshold": rules.LOW_MOOD_SCORE, "from": streak[0].isoformat(), "to": streak[-1].isoformat()}),
        "dedupe_key": f"low_mood:{user.id}:{streak[0].isoformat()}"})).fetchone()
    return int(row[0]) if row else None


async def flag_recipients(conn: psycopg.AsyncConnection, org_id: int, user: User) -> list[User]:
    """The person's manager; with none, the organization's admins (never the person)."""
    if user.manager_id is not None:
        from bot.services import workspace

        manager = await workspace.user_by_id(conn, org_id, user.manager_id)
        if manager is not None and manager.active:
            return [manager]
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["admins_of_org"], {"organization_id": org_id})
    return [a for a in await cur.fetchall() if a.id != user.id]


@dataclass(frozen=True)
class TeamMood:
    people: int  # distinct people who answered in the period
    entries: int
    average: float | None
    from_date: date
    to_date: date
    team_size: int

    @property
    def enough(self) -> bool:
        return self.people >= rules.MIN_AGGREGATE_PEOPLE


async def team_mood(conn: psycopg.AsyncConnection, org_id: int, viewer: User, *, today: date, days: int = 7) -> TeamMood:
    """The viewer's team (an admin: everyone; a manager: their reports) over the last ``days`` days."""
    if viewer.is_admin:
        rows = await (await conn.execute(Q["team_of_org"], {"organization_id": org_id})).fetchall()
    elif viewer.role == "manager":
        rows = await (await conn.execute(Q["team_of_manager"], {"organization_id": org_id, "manager_id": viewer.id})).fetchall()
    else:
        raise await security.deny(conn, organization_id=org_id, actor=viewer, action="mood.team",
                                  message="Team mood is for managers. Your own check-ins stay private to you.")
    team = [r[0] for r in rows]
    start = today - timedelta(days=days - 1)
    people, entries, average = 0, 0, None
    if team:
        row = await (await conn.execute(Q["mood_aggregate"], {"organization_id": org_id, "user_ids": team,
                                                              "from_date": start, "to_date": today})).fetchone()
        assert row is not None
        people, entries, average = int(row[0]), int(row[1]), row[2]
    if people < rules.MIN_AGGREGATE_PEOPLE:
        average = None  # never computed from fewer people: it would identify them
    return TeamMood(people, entries, average, start, today, len(team))


# ---------------------------------------------------------------- journals

@dataclass(frozen=True)
class JournalEntry:
    id: int
    body: str
    local_date: date
    created_at: datetime


async def write_journal(conn: psycopg.AsyncConnection, org_id: int, user: User, body: str, *, local_date: date) -> int:
    body = markup.store(body.strip())  # stored form: see bot/slack_markup.py
    if not body:
        raise InvalidInput("Write something after `/journal`, e.g. `/journal Shipped the release; felt good.`")
    if len(body) > JOURNAL_MAX:
        raise InvalidInput(f"That's {len(body):,} characters; a journal entry holds up to {JOURNAL_MAX:,}.")
    row = await (await conn.execute(Q["journal_insert"], {"organization_id": org_id, "user_id": user.id, "body": body,
                                                          "local_date": local_date})).fetchone()
    return int(row[0])  # type: ignore[index]


async def read_journal(conn: psycopg.AsyncConnection, org_id: int, reader: User, author: User | None = None, *,
                       limit: int = 10) -> list[JournalEntry]:
    """The reader's own entries. Asking for anyone else's is refused, for every role, and logged."""
    if author is not None and author.id != reader.id:
        raise await security.deny(conn, organization_id=org_id, actor=reader, action="journal.read",
                                  message="Journals are private: only their author can read them (admins and managers included).",
                                  details={"author_id": author.id})
    cur = conn.cursor(row_factory=class_row(JournalEntry))
    await cur.execute(Q["journal_list"], {"organization_id": org_id, "user_id": reader.id, "limit": limit})
    return await cur.fetchall()


def emoji(score: int) -> str:
    return {1: ":cloud_with_rain:", 2: ":cloud:", 3: ":partly_sunny:", 4: ":sunny:", 5: ":star2:"}.get(score, "")


def describe_average(value: Any) -> str:
    return f"{float(value):.1f}/5" if value is not None else "n/a"
