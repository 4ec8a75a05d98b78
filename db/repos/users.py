"""People and organizations, as domain objects (db/rows.py)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg.rows import class_row

from db.queries import Q
from db.rows import Organization, User


async def org_by_team(conn: psycopg.AsyncConnection, team_id: str) -> Organization | None:
    cur = conn.cursor(row_factory=class_row(Organization))
    await cur.execute(Q["org_by_team"], {"team_id": team_id})
    return await cur.fetchone()


async def user_by_slack_id(conn: psycopg.AsyncConnection, org_id: int, slack_id: str) -> User | None:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["user_by_slack_id"], {"organization_id": org_id, "slack_id": slack_id})
    return await cur.fetchone()


async def user_by_id(conn: psycopg.AsyncConnection, org_id: int, user_id: int) -> User | None:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["user_by_id"], {"organization_id": org_id, "user_id": user_id})
    return await cur.fetchone()


async def users_of_org(conn: psycopg.AsyncConnection, org_id: int) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["users_of_org"], {"organization_id": org_id})
    return await cur.fetchall()


async def users_by_slack_ids(conn: psycopg.AsyncConnection, org_id: int, slack_ids: Sequence[str]) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["active_users_by_slack_ids"], {"organization_id": org_id, "slack_ids": list(slack_ids)})
    return await cur.fetchall()


async def users_by_ids(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int]) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["users_by_ids"], {"organization_id": org_id, "user_ids": list(user_ids)})
    return await cur.fetchall()


async def active_users(conn: psycopg.AsyncConnection, org_id: int) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["active_users_of_org"], {"organization_id": org_id})
    return await cur.fetchall()


async def names_by_slack_ids(conn: psycopg.AsyncConnection, org_id: int, slack_ids: Sequence[str], *,
                             full: bool = False) -> dict[str, str]:
    """Slack user id -> the name people know them by (display name, else real name; with ``full``, the real
    name first, as memory answers attribute facts), for the active people of this organization among
    ``slack_ids``; unknown ids are left out."""
    if not slack_ids:
        return {}
    people = await users_by_slack_ids(conn, org_id, list(dict.fromkeys(slack_ids)))
    if full:
        return {u.slack_id: (u.real_name or u.display_name or u.slack_id) for u in people if u.slack_id}
    return {u.slack_id: (u.display_name or getattr(u, "real_name", None) or u.slack_id) for u in people if u.slack_id}
