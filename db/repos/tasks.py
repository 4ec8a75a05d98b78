"""Tasks and pipeline stages, as domain objects (db/rows.py)."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.rows import class_row

from bot.errors import NotFound
from db.queries import Q
from db.rows import Stage, Task


async def get(conn: psycopg.AsyncConnection, org_id: int, task_id: int) -> Task:
    cur = conn.cursor(row_factory=class_row(Task))
    await cur.execute(Q["task_by_id"], {"organization_id": org_id, "task_id": task_id})
    task = await cur.fetchone()
    if task is None:
        raise NotFound("I couldn't find that task.")
    return task


async def id_by_number(conn: psycopg.AsyncConnection, org_id: int, number: int) -> int | None:
    row = await (await conn.execute(Q["task_id_by_display"], {"organization_id": org_id, "number": number})).fetchone()
    return row[0] if row else None


async def list_tasks(conn: psycopg.AsyncConnection, org_id: int, *, user_id: int | None = None,
                     client_id: int | None = None, open_only: bool = True, done_since: datetime | None = None,
                     limit: int = 50) -> list[Task]:
    """Tasks of one organization, open ones first (by due date, then number), at most ``limit``.

    ``user_id`` / ``client_id`` narrow to one owner / client; ``open_only`` (default) leaves out done and
    dropped tasks, except, with ``done_since`` (an aware instant), those done since then."""
    cur = conn.cursor(row_factory=class_row(Task))
    await cur.execute(Q["tasks_list"], {"organization_id": org_id, "user_id": user_id, "client_id": client_id,
                                        "open_only": open_only, "done_since": done_since, "limit": limit})
    return await cur.fetchall()


async def stages(conn: psycopg.AsyncConnection, org_id: int) -> list[Stage]:
    cur = conn.cursor(row_factory=class_row(Stage))
    await cur.execute(Q["stages_of_org"], {"organization_id": org_id})
    return await cur.fetchall()
