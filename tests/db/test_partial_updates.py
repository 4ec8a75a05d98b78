"""The two updates that change only the columns they are given (task_edit, rhythm_update): what is
not named keeps its value, and a value named as None clears it."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import psycopg

from bot.services import standup_settings
from bot.services import tasks as task_service
from db.repos.users import user_by_id
from db.rows import User
from tests.helpers import fetchval, make_org, make_user

Conn = psycopg.AsyncConnection[Any]


async def _person(conn: Conn, org_id: int, role: str = "member") -> User:
    user = await user_by_id(conn, org_id, await make_user(conn, org_id, role=role, timezone="Europe/Berlin"))
    assert user is not None
    return user


async def test_task_edit_changes_only_what_it_names(conn: Conn) -> None:
    org_id = await make_org(conn)
    await task_service.create_defaults(conn, org_id)
    client_id = await fetchval(conn, "INSERT INTO clients (organization_id, name) VALUES (%s, 'Acme') RETURNING id", (org_id,))
    owner = await _person(conn, org_id)
    task = await task_service.create(conn, org_id, owner, owner.id, task_service.NewTask(
        title="Send the Acme report", due_date=date(2026, 3, 6), size="s", client_id=client_id), source="dm")

    task = (await task_service.edit(conn, owner, task, title="Send the Acme quarterly report")).task
    assert (task.title, task.due_date, task.client_id, task.size) == ("Send the Acme quarterly report", date(2026, 3, 6), client_id, "s")

    task = (await task_service.edit(conn, owner, task, due_date=None, size="l")).task
    assert (task.title, task.due_date, task.client_id, task.size) == ("Send the Acme quarterly report", None, client_id, "l")

    task = (await task_service.edit(conn, owner, task, client_id=None, due_date=date(2026, 3, 9))).task
    assert (task.title, task.due_date, task.client_id, task.size) == ("Send the Acme quarterly report", date(2026, 3, 9), None, "l")


async def test_settings_update_changes_only_what_it_names(conn: Conn) -> None:
    org_id = await make_org(conn)
    admin = await _person(conn, org_id, role="admin")
    before = await standup_settings.rhythm_of(conn, org_id)

    await standup_settings.update_rhythm(conn, org_id, admin, {
        "workdays": [1, 2, 3, 4], "holidays": {date(2026, 12, 25), date(2026, 12, 24)}, "nudge_delay_minutes": 30})
    after = await standup_settings.rhythm_of(conn, org_id)
    assert after.workdays == frozenset({1, 2, 3, 4})
    assert after.holidays == frozenset({date(2026, 12, 24), date(2026, 12, 25)})
    assert after.nudge_delay_minutes == 30
    assert (after.timezone, after.morning_time, after.end_of_day_time, after.standup_channel_id) == (
        before.timezone, before.morning_time, before.end_of_day_time, None)

    await standup_settings.update_rhythm(conn, org_id, admin, {"holidays": [], "morning_time": time(8, 45)})
    after = await standup_settings.rhythm_of(conn, org_id)
    assert after.holidays == frozenset()
    assert after.morning_time == time(8, 45)
    assert after.workdays == frozenset({1, 2, 3, 4}) and after.nudge_delay_minutes == 30

    # The first standup channel brings the admin's timezone along (while the team's is still UTC).
    await standup_settings.update_rhythm(conn, org_id, admin, {"standup_channel_id": "C0STANDUP"})
    after = await standup_settings.rhythm_of(conn, org_id)
    assert (after.standup_channel_id, after.timezone, after.morning_time) == ("C0STANDUP", "Europe/Berlin", time(8, 45))
    changed = await fetchval(conn, "SELECT count(*) FROM audit_logs WHERE organization_id = %s AND action = 'standup.settings_changed'",
                             (org_id,))
    assert changed == 3
