"""The overdue ladder's part of the job `escalations` over a big database: 50 organizations, 50,000 tasks with due
dates spread over three weeks around the sweeps (a fifth already overdue, some done), projects with channels.

    python bench/overdue.py [--orgs 50] [--tasks 50000] [--sweeps 20]

A fresh embedded PostgreSQL is migrated and filled with SQL (no Slack needed: a sweep decides and queues; the
dispatcher sends later). The sweep is the job's own code (``jobs.escalations.sweep_org`` for each organization, one
after another, as the scheduler runs it; there are no blockers, so what it measures is overdue work). It reports:
the first sweep (every task already overdue starts its walk and asks its owner: Steward meeting a backlog), the
median and p95 per sweep over the next ones a minute apart on a Tuesday (goal: under 1 s on the development
machine), a catch-up sweep after an hour without one, that no rung was recorded twice, and EXPLAIN (ANALYZE) of the
sweep's two queries for one organization, checking that they use ``tasks_overdue_next_idx`` and
``tasks_open_due_date_idx``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from harness import machine, median, pct

PEOPLE_PER_ORG = 24  # 1 admin, 3 managers, 20 reports
PROJECTS_PER_ORG = 5
NEW_YORK = ZoneInfo("America/New_York")
FIRST_SWEEP = datetime(2026, 3, 10, 9, 30, tzinfo=NEW_YORK).astimezone(UTC)  # a Tuesday morning


async def fill(conn: Any, orgs: int, tasks: int) -> list[int]:
    """Organizations with people (a reporting line), projects with channels, and tasks due from ten days before the
    first sweep to ten days after (one in eight done)."""
    org_ids = []
    per_org = tasks // orgs
    for n in range(orgs):
        org_id = (await (await conn.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (f"Org {n}",))).fetchone())[0]
        org_ids.append(org_id)
        await conn.execute("INSERT INTO platform_connections (organization_id, external_team_id, team_name) VALUES (%s, %s, %s)",
                           (org_id, f"T{n}", f"Org {n}"))
        await conn.execute("UPDATE org_settings SET timezone = 'America/New_York', standup_channel_id = %s, morning_time = '09:00', "
                           "end_of_day_time = '17:30' WHERE organization_id = %s", (f"CSTANDUP{n}", org_id))
        await conn.execute(
            "INSERT INTO users (organization_id, display_name, role, timezone) "
            "SELECT %(org)s, 'person' || g, CASE WHEN g = 1 THEN 'admin' WHEN g <= 4 THEN 'manager' ELSE 'member' END, "
            "CASE WHEN g %% 3 = 0 THEN 'Europe/London' ELSE 'America/New_York' END FROM generate_series(1, %(n)s) g",
            {"org": org_id, "n": PEOPLE_PER_ORG})
        await conn.execute(
            "INSERT INTO platform_identities (organization_id, user_id, external_team_id, external_id) "
            "SELECT organization_id, id, %(team)s, 'U' || %(org)s || 'X' || id FROM users WHERE organization_id = %(org)s",
            {"org": org_id, "team": f"T{n}"})
        await conn.execute(
            "WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS r FROM users WHERE organization_id = %(org)s), "
            "heads AS (SELECT array_agg(id ORDER BY r) AS ids FROM ranked) "
            "UPDATE users u SET manager_id = CASE WHEN ranked.r BETWEEN 2 AND 4 THEN heads.ids[1] "
            "                                     ELSE heads.ids[2 + (ranked.r %% 3)] END, manager_source = 'admin' "
            "FROM ranked, heads WHERE u.id = ranked.id AND ranked.r > 1", {"org": org_id})
        await conn.execute("INSERT INTO projects (organization_id, name, slack_channel_id) "
                           "SELECT %(org)s, 'Project ' || g, 'CPROJ' || %(org)s || 'X' || g FROM generate_series(1, %(n)s) g",
                           {"org": org_id, "n": PROJECTS_PER_ORG})
        await conn.execute(
            "INSERT INTO tasks (organization_id, display_number, title, user_id, status, due_date, project_id, completed_at, "
            "                   created_at) "
            "SELECT %(org)s, g, 'Task ' || g, (SELECT id FROM users WHERE organization_id = %(org)s ORDER BY id "
            "  OFFSET (g %% %(people)s) LIMIT 1), CASE WHEN g %% 8 = 0 THEN 'done' ELSE 'pending' END, "
            "  (%(day)s::date + ((g * 7) %% 21 - 10)), "
            "  (SELECT id FROM projects WHERE organization_id = %(org)s ORDER BY id OFFSET (g %% %(projects)s) LIMIT 1), "
            "  CASE WHEN g %% 8 = 0 THEN %(at)s END, %(at)s - interval '20 days' "
            "FROM generate_series(1, %(n)s) g",
            {"org": org_id, "n": per_org, "people": PEOPLE_PER_ORG, "projects": PROJECTS_PER_ORG,
             "day": FIRST_SWEEP.astimezone(NEW_YORK).date(), "at": FIRST_SWEEP})
    await conn.execute("ANALYZE")
    return org_ids


def _bound(name: str, org_id: int, now: datetime) -> str:
    from db.queries import Q

    horizon = (now + timedelta(days=1)).date().isoformat()
    return (Q[name].replace("%(organization_id)s", str(org_id)).replace("%(now)s", f"'{now.isoformat()}'::timestamptz")
            .replace("%(horizon)s", f"'{horizon}'::date").replace("%(limit)s", "500")
            .replace("%(done)s::bigint[]", "'{}'::bigint[]").replace("FOR UPDATE OF t SKIP LOCKED", "")
            .replace("FOR UPDATE SKIP LOCKED", ""))


async def explain(conn: Any, org_id: int, now: datetime) -> str:
    out = []
    for name in ("overdue_due", "overdue_to_start"):
        rows = await (await conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + _bound(name, org_id, now))).fetchall()
        out.append(f"-- {name}\n" + "\n".join(r[0] for r in rows))
    return "\n\n".join(out)


async def main(orgs: int, tasks: int, sweeps: int) -> None:
    import psycopg

    from bot.deps import Deps
    from bot.log import configure_logging
    from bot.settings import Settings
    from db import migrate
    from db.embedded import start_embedded
    from db.pool import open_pool
    from jobs import escalations

    configure_logging("WARNING")
    data = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    pg = start_embedded(data, database="bench")
    dsn = pg.dsn("bench")
    try:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await migrate.migrate(conn)
            t0 = time.perf_counter()
            org_ids = await fill(conn, orgs, tasks)
            overdue = (await (await conn.execute("SELECT count(*) FROM tasks WHERE status <> 'done' AND due_date < %s",
                                                 (FIRST_SWEEP.astimezone(NEW_YORK).date(),))).fetchone())[0]
            print(f"filled {orgs} organizations, {tasks} tasks ({overdue} open and overdue) in {time.perf_counter() - t0:.1f} s")
        pool = await open_pool(dsn, min_size=1, max_size=4)
        deps = Deps(settings=Settings.from_env({"STEWARD_DATA_DIR": str(data)}), pool=pool)

        async def one(now: datetime) -> float:
            t = time.perf_counter()
            result = await escalations.run(deps, now)
            took = time.perf_counter() - t
            fired = sum(v for summary in result.values() for k, v in summary.items() if k.startswith("overdue_to_"))
            print(f"sweep at {now.astimezone(NEW_YORK):%a %H:%M} New York: {took * 1000:8.1f} ms, {fired} rungs fired")
            return took

        first = await one(FIRST_SWEEP)
        print(f"first sweep (every overdue task starts its walk and asks its owner): {first * 1000:.1f} ms\n")
        timings = [await one(FIRST_SWEEP + timedelta(minutes=i)) for i in range(1, sweeps + 1)]
        print(f"\nper sweep over {orgs} organizations (a minute apart, as the job ticks): median "
              f"{median(timings) * 1000:.1f} ms, p95 {pct(timings, 0.95) * 1000:.1f} ms (goal: under 1000 ms)")
        catch_up = await one(FIRST_SWEEP + timedelta(minutes=sweeps + 60))
        print(f"catch-up sweep after an hour without one: {catch_up * 1000:.1f} ms\n")
        await pool.close()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            plan = await explain(conn, org_ids[len(org_ids) // 2], FIRST_SWEEP + timedelta(hours=8))
            steps = (await (await conn.execute("SELECT count(*) FROM escalation_steps")).fetchone())[0]
            twice = (await (await conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM escalation_steps GROUP BY organization_id, subject_type, subject_id, "
                "cycle, level HAVING count(*) > 1) d")).fetchone())[0]
        print(f"{steps} rungs recorded, {twice} recorded twice (must be 0)")
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's queries for one organization:")
        print(plan)
        for index in ("tasks_overdue_next_idx", "tasks_open_due_date_idx"):
            print(f"index {index} used: {'yes' if index in plan else 'NO'}")
        print(machine())
    finally:
        pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--sweeps", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.orgs, args.tasks, args.sweeps))
