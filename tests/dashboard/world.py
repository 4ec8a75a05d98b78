"""A world for the dashboard's tests: two organizations on one real database, the dashboard served by the real
health server on loopback, and a driven clock.

Acme (A): Ada (admin); Mia (manager A) with Pia, Quin and Tom; Bo (manager B) with Rex and Sol. Globex (B): Gus
(admin) and Gil (member). Each piece of data carries a name that says whose it is, so a page can be checked for
exactly what it shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiohttp
import psycopg
from psycopg.types.json import Jsonb

from bot.clock import FrozenClock
from bot.dashboard.web import SESSION_COOKIE, Dashboard
from bot.health import HealthServer
from bot.inbox import Metrics
from bot.services import dashboard_auth, tasks
from bot.settings import Settings
from db.repos.users import user_by_id
from tests.helpers import make_org, make_user

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    conn: psycopg.AsyncConnection
    clock: FrozenClock
    url: str
    orgs: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    http: aiohttp.ClientSession | None = None

    async def user(self, name: str) -> Any:
        person = await user_by_id(self.conn, self.org_of(name), self.ids[name])
        assert person is not None
        return person

    def org_of(self, name: str) -> int:
        return self.orgs["globex"] if name in ("gus", "gil") else self.orgs["acme"]

    async def session(self, name: str) -> str:
        """A signed-in session of ``name`` (their password already chosen): the cookie's value."""
        return await dashboard_auth.start_session(self.conn, await self.user(name), address="127.0.0.1",
                                                  now=self.clock.now())

    async def get(self, path: str, cookie: str | None = None, **kw: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        assert self.http is not None
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
        async with self.http.get(self.url + path, headers=headers, allow_redirects=False, **kw) as response:
            return response.status, await response.text(errors="replace"), response

    async def post(self, path: str, data: dict[str, str], cookie: str | None = None,
                   extra_cookies: str = "") -> tuple[int, str, aiohttp.ClientResponse]:
        assert self.http is not None
        cookies = "; ".join(c for c in ((f"{SESSION_COOKIE}={cookie}" if cookie else ""), extra_cookies) if c)
        headers = {"Cookie": cookies} if cookies else {}
        async with self.http.post(self.url + path, data=data, headers=headers, allow_redirects=False) as response:
            return response.status, await response.text(errors="replace"), response

    async def csrf(self, cookie: str) -> str:
        sid = int(cookie.split(".")[0])
        row = await (await self.conn.execute("SELECT csrf_token FROM dashboard_sessions WHERE id = %s", (sid,))).fetchone()
        assert row is not None
        return str(row[0])

    async def count(self, sql: str, *params: Any) -> int:
        row = await (await self.conn.execute(sql, params)).fetchone()
        return int(row[0]) if row else 0


async def _person(conn: psycopg.AsyncConnection, org: int, name: str, role: str, manager: int | None = None) -> int:
    uid = await make_user(conn, org, name.capitalize(), role=role, manager_id=manager, slack_id=f"U0{name.upper()}")
    await conn.execute("UPDATE users SET email = %s WHERE id = %s", (f"{name}@{'globex' if name in ('gus', 'gil') else 'acme'}.test", uid))
    return uid


async def populate(conn: psycopg.AsyncConnection, world: World) -> None:
    acme, globex = await make_org(conn, "Acme", "TACME"), await make_org(conn, "Globex", "TGLOBEX")
    world.orgs = {"acme": acme, "globex": globex}
    for org in (acme, globex):
        await tasks.create_defaults(conn, org)
    ids = world.ids
    ids["ada"] = await _person(conn, acme, "ada", "admin")
    ids["mia"] = await _person(conn, acme, "mia", "manager", ids["ada"])
    ids["bo"] = await _person(conn, acme, "bo", "manager", ids["ada"])
    for name in ("pia", "quin", "tom"):
        ids[name] = await _person(conn, acme, name, "member", ids["mia"])
    for name in ("rex", "sol"):
        ids[name] = await _person(conn, acme, name, "member", ids["bo"])
    ids["gus"] = await _person(conn, globex, "gus", "admin")
    ids["gil"] = await _person(conn, globex, "gil", "member", ids["gus"])
    for name in ("ada", "mia", "bo", "gus", "pia"):  # Pia: a member with a password (a manager once)
        await conn.execute("UPDATE users SET password_hash = %s WHERE id = %s",
                           (dashboard_auth.hash_password(PASSWORD), ids[name]))

    async def task(org: int, owner: str, title: str, stage: str = "to-do", due: date | None = None) -> int:
        row = await (await conn.execute(
            "INSERT INTO tasks (organization_id, title, user_id, stage_id, due_date) "
            "VALUES (%s, %s, %s, (SELECT id FROM pipeline_stages WHERE organization_id = %s AND slug = %s), %s) RETURNING id",
            (org, title, ids[owner], org, stage, due))).fetchone()
        assert row is not None
        world.tasks[title] = int(row[0])
        return int(row[0])

    await task(acme, "pia", "Pia landing page")
    await task(acme, "quin", "Quin overdue report", due=date(2026, 2, 20))
    await task(acme, "rex", "Rex invoice")
    await task(acme, "mia", "Mia hiring plan")
    await task(globex, "gil", "Globex secret plan")
    # A blocker of Pia's, a flag about Rex with a private inquiry, mood of Mia's three people and Bo's two.
    await conn.execute("INSERT INTO blockers (organization_id, task_id, user_id, description, escalation_level, created_at) "
                       "VALUES (%s, %s, %s, 'waiting for Pia API keys', 1, %s)",
                       (acme, world.tasks["Pia landing page"], ids["pia"], NOW - timedelta(days=2)))
    flag = (await (await conn.execute(
        "INSERT INTO flags (organization_id, user_id, type, severity, title) VALUES (%s, %s, 'manual', 'high', "
        "'Rex missed updates') RETURNING id", (acme, ids["rex"]))).fetchone())[0]  # type: ignore[index]
    thread = (await (await conn.execute(
        "INSERT INTO inquiry_threads (organization_id, flag_id, user_id, opened_by) VALUES (%s, %s, %s, %s) RETURNING id",
        (acme, flag, ids["rex"], ids["bo"]))).fetchone())[0]  # type: ignore[index]
    await conn.execute("INSERT INTO inquiry_messages (organization_id, thread_id, sender_id, sender_role, body) "
                       "VALUES (%s, %s, %s, 'subject', 'rex-private-inquiry-words')", (acme, thread, ids["rex"]))
    await conn.execute("INSERT INTO flags (organization_id, user_id, type, severity, title) VALUES (%s, %s, 'manual', "
                       "'low', 'Gil globex flag')", (globex, ids["gil"]))
    for week in range(3):
        day = date(2026, 3, 2) - timedelta(weeks=week)
        for name, score in (("pia", 2), ("quin", 4), ("tom", 3), ("rex", 5), ("sol", 1)):
            await conn.execute("INSERT INTO mood_entries (organization_id, user_id, score, note, local_date, recorded_at) "
                               "VALUES (%s, %s, %s, %s, %s, %s)", (acme, ids[name], score, f"{name}-private-note", day,
                                                                   datetime.combine(day, time(12), UTC)))
    # KPI snapshots: the organization's and each person's, two weeks.
    for week in (date(2026, 2, 16), date(2026, 2, 23)):
        for user, rate in ((None, 0.81), (ids["pia"], 0.71), (ids["rex"], 0.61)):
            await conn.execute("INSERT INTO kpi_snapshots (organization_id, user_id, period, period_start, period_end, metrics) "
                               "VALUES (%s, %s, 'weekly', %s, %s, %s)",
                               (acme, user, week, week + timedelta(days=6), Jsonb({"submission_rate": rate})))
    # Security events in both organizations; action items of both managers.
    await conn.execute("INSERT INTO security_audit_logs (organization_id, user_id, event_type, threat_level, description) "
                       "VALUES (%s, %s, 'prompt_injection', 'high', 'acme-injection-attempt')", (acme, ids["rex"]))
    await conn.execute("INSERT INTO security_audit_logs (organization_id, event_type, threat_level, description) "
                       "VALUES (%s, 'permission_denied', 'low', 'globex-secret-event')", (globex,))
    for owner in ("mia", "bo"):
        await conn.execute("INSERT INTO action_items (organization_id, title, assignee_id, evidence_key) "
                           "VALUES (%s, %s, %s, %s)", (acme, f"{owner.capitalize()} follow up", ids[owner], f"test:{owner}"))


async def open_world(conn: psycopg.AsyncConnection, pool: Any, *, settings: Settings | None = None) -> AsyncIterator[World]:
    clock = FrozenClock(at=NOW)
    server = HealthServer(pool, Metrics(), socket_connected=lambda: True, is_leader=lambda: True, mode="test",
                          clock=clock.now, dashboard=Dashboard(pool, clock.now, settings or Settings.from_env({})))
    port = await server.start("127.0.0.1", 0)
    world = World(conn, clock, f"http://127.0.0.1:{port}/dashboard/")
    await populate(conn, world)
    async with aiohttp.ClientSession(trust_env=False) as http:
        world.http = http
        try:
            yield world
        finally:
            await server.stop()
