"""What Steward holds about a person (SPEC F17): shown to them, exported or erased by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from bot.errors import InvalidInput
from bot.services import context, security
from db.rows import User

# (label, SQL counting/listing rows of the person). Each query takes (organization_id, user_id).
_COUNTS: tuple[tuple[str, str], ...] = (
    ("tasks", "SELECT count(*) FROM tasks WHERE organization_id = %s AND user_id = %s"),
    ("task drafts", "SELECT count(*) FROM task_drafts WHERE organization_id = %s AND user_id = %s"),
    ("reminders", "SELECT count(*) FROM reminders WHERE organization_id = %s AND user_id = %s"),
    ("mood entries", "SELECT count(*) FROM mood_entries WHERE organization_id = %s AND user_id = %s"),
    ("journal entries", "SELECT count(*) FROM journals WHERE organization_id = %s AND user_id = %s"),
    ("standup replies", "SELECT count(*) FROM thread_submissions WHERE organization_id = %s AND user_id = %s"),
    ("out-of-office records", "SELECT count(*) FROM ooo_records WHERE organization_id = %s AND user_id = %s"),
    ("things I remember about you", "SELECT count(*) FROM user_memory WHERE organization_id = %s AND user_id = %s"),
    ("conversation sessions", "SELECT count(*) FROM conversation_sessions WHERE organization_id = %s AND user_id = %s"),
    ("flags about you (seen by your manager)", "SELECT count(*) FROM flags WHERE organization_id = %s AND user_id = %s"),
    ("cards", "SELECT count(*) FROM cards WHERE organization_id = %s AND user_id = %s"),
    ("notifications sent to you", "SELECT count(*) FROM notifications WHERE organization_id = %s AND recipient_id = %s"),
)

# Full rows for an export: table -> (columns, where). Journals and mood are included: it is the
# person's own data, and an export is what they (through an admin) asked for.
_EXPORT: dict[str, tuple[str, str]] = {
    "tasks": ("display_id, title, status, priority, due_date, task_type, size, weight, carry_forward_count, created_at, completed_at",
              "user_id"),
    "reminders": ("text, fire_at, recurrence, timezone, status, created_at", "user_id"),
    "mood_entries": ("score, note, local_date, recorded_at", "user_id"),
    "journals": ("body, local_date, created_at", "user_id"),
    "thread_submissions": ("raw_text, is_late, created_at", "user_id"),
    "ooo_records": ("start_date, end_date, reason, source, cancelled_at", "user_id"),
    "user_memory": ("key, value, source, created_at", "user_id"),
    "flags": ("type, severity, status, title, created_at", "user_id"),
    "cards": ("color, rule, reason, status, created_at, expires_at", "user_id"),
    "task_drafts": ("raw_text, status, created_at", "user_id"),
}


async def summary(conn: psycopg.AsyncConnection, org_id: int, user: User) -> dict[str, int]:
    out: dict[str, int] = {}
    for label, query in _COUNTS:
        row = await (await conn.execute(query, (org_id, user.id))).fetchone()
        out[label] = int(row[0]) if row else 0
    row = await (await conn.execute(
        "SELECT count(*) FROM channel_messages WHERE organization_id = %s AND user_id = %s", (org_id, user.slack_id))).fetchone()
    out["channel messages kept for context (deleted after the retention period)"] = int(row[0]) if row else 0
    return out


async def export(conn: psycopg.AsyncConnection, org_id: int, admin: User, person: User) -> dict[str, Any]:
    await security.require_admin(conn, organization_id=org_id, actor=admin, action="person.export")
    data: dict[str, Any] = {"profile": {"slack_id": person.slack_id, "display_name": person.display_name, "real_name": person.real_name,
                                        "email": person.email, "role": person.role, "timezone": person.timezone,
                                        "active": person.active, "created_at": person.created_at.isoformat()}}
    for table, (columns, column) in _EXPORT.items():
        cur = await conn.execute(f"SELECT {columns} FROM {table} WHERE organization_id = %s AND {column} = %s ORDER BY 1",  # noqa: S608
                                 (org_id, person.id))
        names = [d.name for d in cur.description or []]
        data[table] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(names, r, strict=True)}
                       for r in await cur.fetchall()]
    await security.audit(conn, organization_id=org_id, actor=admin, action="person.exported", entity_type="user",
                         entity_id=person.id, details={"slack_id": person.slack_id})
    return data


async def erase(conn: psycopg.AsyncConnection, org_id: int, admin: User, person: User, now: datetime) -> dict[str, int]:
    """Delete the person and everything about them; what they authored for the team stays, unattributed."""
    await security.require_admin(conn, organization_id=org_id, actor=admin, action="person.erase")
    if person.id == admin.id:
        raise InvalidInput("You can't erase yourself; ask another admin.")
    counts = await summary(conn, org_id, person)
    async with conn.transaction():
        await conn.execute("DELETE FROM channel_messages WHERE organization_id = %s AND user_id = %s", (org_id, person.slack_id))
        await context.unattribute(conn, org_id, person.slack_id)
        await conn.execute("DELETE FROM users WHERE organization_id = %s AND id = %s", (org_id, person.id))
        await security.audit(conn, organization_id=org_id, actor=admin, action="person.erased", entity_type="user",
                             entity_id=person.id, details={"slack_id": person.slack_id, "at": now.isoformat()})
    return counts
