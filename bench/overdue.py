"""The overdue ladder's part of the job `escalations` over a big database: 50 organizations, 50,000 tasks, one in
five open and overdue (due at times spread over the last three days), the rest due later or done; projects with
channels; the default overdue ladder (0h owner, 1d manager, 3d channel).

    python bench/overdue.py [--orgs 50] [--tasks 50000] [--sweeps 20] [--backlog]

A fresh embedded PostgreSQL is migrated and filled with SQL (no Slack needed: a sweep decides and queues; the
dispatcher sends later). The due times are spread evenly over the last three days. Each overdue task's walk is where a running Steward would have it just before the first
sweep (the rungs due before then fired), so at each sweep some rungs come due and most do not; ``--backlog`` leaves
the walks unstarted instead (Steward meeting a backlog: the first sweep starts every walk and asks every owner).
The sweep is the job's own code (``jobs.escalations.sweep_org`` for each organization, one after another, as the
scheduler runs it; there are no blockers, so what it measures is overdue work): once after the start (cold caches,
reported apart), then at instants a minute apart on a Tuesday morning, then once after an hour without one (a
catch-up). It reports the median and p95 per sweep (goal:
under 1 s on the development machine), what each fired, that no rung was recorded twice, and EXPLAIN (ANALYZE) of
the sweep's two queries for one organization with the indexes they use (``tasks_overdue_next_idx`` for the rungs due,
``tasks_open_due_date_idx`` for the walks to start).
"""

from __future__ import annotations

import argparse
import asyncio
import re
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
    """Organizations with people (a reporting line), projects with channels, and tasks: one in five overdue (due at
    a time in the three days before the first sweep), the others due in the two weeks after it or done."""
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
            "INSERT INTO tasks (organization_id, display_number, title, user_id, status, due_date, due_at, project_id, "
            "                   completed_at, created_at) "
            "SELECT %(org)s, g, 'Task ' || g, (SELECT id FROM users WHERE organization_id = %(org)s ORDER BY id "
            "  OFFSET (g %% %(people)s) LIMIT 1), CASE WHEN g %% 10 = 1 THEN 'done' ELSE 'pending' END, "
            "  CASE WHEN g %% 5 = 0 THEN ((%(at)s - (((g / 5) * 7919) %% 4320) * interval '1 minute') "
            "                             AT TIME ZONE 'America/New_York')::date "
            "       ELSE %(day)s::date + 1 + (g %% 14) END, "
            "  CASE WHEN g %% 5 = 0 THEN %(at)s - (((g / 5) * 7919) %% 4320) * interval '1 minute' END, "
            "  (SELECT id FROM projects WHERE organization_id = %(org)s ORDER BY id OFFSET (g %% %(projects)s) LIMIT 1), "
            "  CASE WHEN g %% 10 = 1 THEN %(at)s END, %(at)s - interval '20 days' "
            "FROM generate_series(1, %(n)s) g",
            {"org": org_id, "n": per_org, "people": PEOPLE_PER_ORG, "projects": PROJECTS_PER_ORG,
             "day": FIRST_SWEEP.astimezone(NEW_YORK).date(), "at": FIRST_SWEEP})
    return org_ids


async def prime(conn: Any) -> None:
    """Start each overdue task's walk where a running Steward would have it just before the first sweep: anchored at
    its due time, the rungs due before then fired (level, last), ``overdue_next_at`` its next rung's due time."""
    from bot.services import ladders
    from bot.services.calendar import Person, Rhythm

    rhythm = Rhythm(timezone="America/New_York", morning_time=datetime(2000, 1, 1, 9).time(),
                    end_of_day_time=datetime(2000, 1, 1, 17, 30).time())
    ladder = ladders.DEFAULT_OVERDUE
    rows = await (await conn.execute("SELECT t.id, t.due_at, u.timezone FROM tasks t JOIN users u ON u.id = t.user_id "
                                     "WHERE t.status <> 'done' AND t.due_at < %s", (FIRST_SWEEP,))).fetchall()
    updates = []
    for task_id, due_at, tz in rows:
        person = Person(timezone=tz)
        level, last = 0, None
        due = ladders.next_due(ladder, rhythm, person, level=0, anchor_at=due_at)
        while due is not None and due < FIRST_SWEEP - timedelta(minutes=1):
            level, last = level + 1, due
            due = ladders.next_due(ladder, rhythm, person, level=level, anchor_at=due_at)
        updates.append((due_at, level, last, due, task_id))
    async with conn.cursor() as cur:
        await cur.executemany("UPDATE tasks SET overdue_due_date = due_date, overdue_due_at = due_at, overdue_anchor_at = %s, "
                              "overdue_level = %s, overdue_last_at = %s, overdue_next_at = %s WHERE id = %s", updates)


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


async def main(orgs: int, tasks: int, sweeps: int, backlog: bool) -> None:
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
            if not backlog:
                await prime(conn)
            await conn.execute("ANALYZE")
            overdue = (await (await conn.execute("SELECT count(*) FROM tasks WHERE status <> 'done' AND due_at < %s",
                                                 (FIRST_SWEEP,))).fetchone())[0]
            print(f"filled {orgs} organizations, {tasks} tasks ({overdue} open and overdue, their walks "
                  f"{'not started' if backlog else 'under way'}) in {time.perf_counter() - t0:.1f} s")
        pool = await open_pool(dsn, min_size=1, max_size=4)
        deps = Deps(settings=Settings.from_env({"STEWARD_DATA_DIR": str(data)}), pool=pool)

        async def one(now: datetime) -> float:
            t = time.perf_counter()
            result = await escalations.run(deps, now)
            took = time.perf_counter() - t
            fired = sum(v for summary in result.values() for k, v in summary.items() if k.startswith("overdue_to_"))
            waiting = sum(summary.get("overdue_waiting", 0) + summary.get("overdue_held", 0) for summary in result.values())
            print(f"sweep at {now.astimezone(NEW_YORK):%a %H:%M} New York: {took * 1000:8.1f} ms, {fired} rungs fired, "
                  f"{waiting} waiting for their recipient")
            return took

        first = await one(FIRST_SWEEP - timedelta(minutes=1))
        print(f"first sweep after the start (cold caches{'; every overdue task starts its walk and its owner is asked' if backlog else ''}): "
              f"{first * 1000:.1f} ms, not counted below\n")
        timings = [await one(FIRST_SWEEP + timedelta(minutes=i)) for i in range(sweeps)]
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
        for query in plan.split("\n\n"):
            used = sorted(set(re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", query)))
            print(f"{query.splitlines()[0][3:]}: indexes used {', '.join(used) or 'NONE (a sequential scan)'}")
        print(machine())
    finally:
        pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--sweeps", type=int, default=20)
    parser.add_argument("--backlog", action="store_true", help="leave the walks unstarted (Steward meeting a backlog)")
    args = parser.parse_args()
    asyncio.run(main(args.orgs, args.tasks, args.sweeps, args.backlog))
