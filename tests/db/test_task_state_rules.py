"""Task state rules on a real database: a task read before another request closed it is not done or dropped
on top of that (issue 10 part 6: "a dropped task can be marked done")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from bot.errors import InvalidInput
from bot.services import tasks as task_service
from db.repos.users import user_by_id
from db.rows import User
from tests.helpers import fetchval, make_org, make_user

Conn = psycopg.AsyncConnection[Any]
NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


async def _owner(conn: Conn) -> tuple[int, User]:
    org_id = await make_org(conn)
    await task_service.create_defaults(conn, org_id)
    user = await user_by_id(conn, org_id, await make_user(conn, org_id, timezone="Europe/London"))
    assert user is not None
    return org_id, user


async def test_a_task_dropped_after_it_was_read_is_not_done(conn: Conn) -> None:
    org_id, owner = await _owner(conn)
    read = await task_service.create(conn, org_id, owner, owner.id, task_service.NewTask(title="Renew the SSO certificate"),
                                     source="slash")
    await task_service.drop(conn, owner, read, "the vendor renews it", NOW)  # another request, meanwhile
    with pytest.raises(task_service.TaskDropped) as refused:
        await task_service.complete(conn, owner, read, NOW)  # still holding the open task it read
    assert "was dropped on Wed 4 Mar (the vendor renews it)" in str(refused.value)
    assert await fetchval(conn, "SELECT status FROM tasks WHERE id = %s", (read.id,)) == "dropped"
    assert await fetchval(conn, "SELECT count(*) FROM task_logs WHERE action = 'status_changed'") == 1


async def test_a_task_done_after_it_was_read_is_not_dropped_or_done_twice(conn: Conn) -> None:
    org_id, owner = await _owner(conn)
    read = await task_service.create(conn, org_id, owner, owner.id, task_service.NewTask(title="Send the invoice"), source="slash")
    await task_service.complete(conn, owner, read, NOW)
    with pytest.raises(InvalidInput, match="T-1 is already done"):
        await task_service.drop(conn, owner, read, "not needed", NOW)
    with pytest.raises(InvalidInput, match="T-1 is already done"):
        await task_service.complete(conn, owner, read, NOW)
    assert await fetchval(conn, "SELECT status FROM tasks WHERE id = %s", (read.id,)) == "done"
    assert await fetchval(conn, "SELECT count(*) FROM task_logs WHERE action = 'status_changed'") == 1
    # Reopened, it goes to the first open stage of the organization's pipeline.
    reopened = await task_service.reopen(conn, owner, await task_service.get(conn, org_id, read.id))
    assert (reopened.status, reopened.stage_name, reopened.completed_at) == ("pending", "Backlog", None)
