"""Small database helpers shared by tests (plain SQL, no mocks)."""

from __future__ import annotations

import itertools
from typing import Any

import psycopg

_seq = itertools.count(1)


async def make_org(conn: psycopg.AsyncConnection, name: str = "Acme", team_id: str | None = None) -> int:
    org_id = (await (await conn.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (name,))).fetchone())[0]  # type: ignore[index]
    await conn.execute(
        "INSERT INTO platform_connections (organization_id, external_team_id, bot_user_id) VALUES (%s, %s, 'UBOT')",
        (org_id, team_id or f"T{next(_seq):05d}"),
    )
    return org_id


async def make_user(conn: psycopg.AsyncConnection, org_id: int, name: str = "alice", *, slack_id: str | None = None,
                    role: str = "member", manager_id: int | None = None, timezone: str = "UTC") -> int:
    user_id = (await (await conn.execute(
        "INSERT INTO users (organization_id, display_name, role, manager_id, timezone) VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (org_id, name, role, manager_id, timezone),
    )).fetchone())[0]  # type: ignore[index]
    team = (await (await conn.execute("SELECT external_team_id FROM platform_connections WHERE organization_id = %s", (org_id,))).fetchone())
    await conn.execute(
        "INSERT INTO platform_identities (organization_id, user_id, external_team_id, external_id) VALUES (%s, %s, %s, %s)",
        (org_id, user_id, team[0] if team else "T0", slack_id or f"U{next(_seq):06d}"),
    )
    return user_id


async def fetchval(conn: psycopg.AsyncConnection, sql: str, params: Any = None) -> Any:
    row = await (await conn.execute(sql, params)).fetchone()
    return row[0] if row else None


async def eventually(check: Any, within: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``check()`` (a plain or async callable) until it returns something truthy."""
    import asyncio
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)
