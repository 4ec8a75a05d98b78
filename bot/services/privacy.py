"""What Steward holds about a person (SPEC F17): shown to them, exported or erased by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from bot.errors import InvalidInput
from bot.services import context, security
from db.queries import Q
from db.rows import User

# What summary() counts, in the order of the person_data_counts query (sql/queries/privacy.sql).
COUNT_LABELS: tuple[str, ...] = (
    "tasks",
    "task drafts",
    "reminders",
    "mood entries",
    "journal entries",
    "standup replies",
    "out-of-office records",
    "things I remember about you",
    "conversation sessions",
    "flags about you (seen by your manager)",
    "private inquiries you were part of (their words: in your DMs with Steward, seen by its two people only)",
    "messages you wrote in private inquiries",
    "blockers you raised or own",
    "cards",
    "kudos and recognition (given or received)",
    "help you gave or were given (/helped, thanks)",
    "notifications sent to you",
    "channel messages kept for context (deleted after the retention period)",
    "dashboard sessions and sign-in attempts (managers and admins; erased with you)",
)

# The tables an export copies, each read by the query person_export_<table>. Journals and mood are
# included: it is the person's own data, and an export is what they (through an admin) asked for. Private inquiries
# are listed without their words: an export reaches an admin, and an inquiry's words are for its two people only.
EXPORT_TABLES: tuple[str, ...] = (
    "tasks",
    "reminders",
    "mood_entries",
    "journals",
    "thread_submissions",
    "ooo_records",
    "user_memory",
    "flags",
    "inquiry_threads",
    "blockers",
    "cards",
    "reinforcements",
    "interventions",
    "task_drafts",
)


async def summary(conn: psycopg.AsyncConnection, org_id: int, user: User) -> dict[str, int]:
    row = await (await conn.execute(Q["person_data_counts"], {"organization_id": org_id, "user_id": user.id,
                                                             "slack_id": user.slack_id})).fetchone()
    assert row is not None  # a SELECT without FROM returns exactly one row
    return {label: int(count) for label, count in zip(COUNT_LABELS, row, strict=True)}


async def export(conn: psycopg.AsyncConnection, org_id: int, admin: User, person: User) -> dict[str, Any]:
    await security.require_admin(conn, organization_id=org_id, actor=admin, action="person.export")
    data: dict[str, Any] = {"profile": {"slack_id": person.slack_id, "display_name": person.display_name, "real_name": person.real_name,
                                        "email": person.email, "role": person.role, "timezone": person.timezone,
                                        "active": person.active, "created_at": person.created_at.isoformat()}}
    for table in EXPORT_TABLES:
        cur = await conn.execute(Q[f"person_export_{table}"], {"organization_id": org_id, "user_id": person.id})
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
        await conn.execute(Q["person_delete_channel_messages"], {"organization_id": org_id, "slack_id": person.slack_id})
        await context.unattribute(conn, org_id, person.slack_id)
        # Who their blockers reached, and their name on others' escalation records, go with them.
        await conn.execute(Q["person_delete_escalation_steps"], {"organization_id": org_id, "user_id": person.id})
        await conn.execute(Q["person_delete"], {"organization_id": org_id, "user_id": person.id})
        await security.audit(conn, organization_id=org_id, actor=admin, action="person.erased", entity_type="user",
                             entity_id=person.id, details={"slack_id": person.slack_id, "at": now.isoformat()})
    return counts
