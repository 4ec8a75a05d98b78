"""One sweep of the blocker ladder (the job `escalations`) over a big database: 50 organizations, 50,000
tasks and 10,000 open blockers, with every organization's people, managers and a standup channel.

    python bench/escalations.py [--orgs 50] [--tasks 50000] [--blockers 10000] [--sweeps 20]

A fresh embedded PostgreSQL is migrated and filled with SQL (no Slack needed: a sweep decides and queues; the
dispatcher sends later). The blockers were raised over the previous working days, so at each sweep some are due
for their next rung and most are not. The sweep is the job's own code (``jobs.escalations.sweep_org`` for each
organization, one after another, as the scheduler runs it), at instants a minute apart on a Tuesday morning, as
the job ticks, then once more after an hour without a sweep (a catch-up). It reports the median and p95 time per
sweep over all organizations (goal: under 1 s on the development machine), what each sweep fired, that no rung
was recorded twice, and EXPLAIN (ANALYZE) of the sweep's query for one organization, checking that it uses the
index ``blockers_due_idx`` (organization_id, next_escalation_at) WHERE status = 'open'.
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
NEW_YORK = ZoneInfo("America/New_York")
FIRST_SWEEP = datetime(2026, 3, 10, 9, 30, tzinfo=NEW_YORK).astimezone(UTC)  # a Tuesday morning


async def fill(conn: Any, orgs: int, tasks: int, blockers: int) -> list[int]:
    """Organizations with people (a reporting line, identities), tasks spread over them, open blockers."""
    org_ids = []
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
        # Managers: the admin manages the three managers, each manager a third of the reports.
        await conn.execute(
            "WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS r FROM users WHERE organization_id = %(org)s), "
            "heads AS (SELECT array_agg(id ORDER BY r) AS ids FROM ranked) "
            "UPDATE users u SET manager_id = CASE WHEN ranked.r BETWEEN 2 AND 4 THEN heads.ids[1] "
            "                                     ELSE heads.ids[2 + (ranked.r %% 3)] END, manager_source = 'admin' "
            "FROM ranked, heads WHERE u.id = ranked.id AND ranked.r > 1", {"org": org_id})
    per_org_tasks, per_org_blockers = tasks // orgs, blockers // orgs
    for org_id in org_ids:
        await conn.execute(
            "INSERT INTO tasks (organization_id, display_number, title, user_id, status, created_at) "
            "SELECT %(org)s, g, 'Task ' || g, (SELECT id FROM users WHERE organization_id = %(org)s ORDER BY id "
            "  OFFSET (g %% %(people)s) LIMIT 1), CASE WHEN g %% 5 = 0 THEN 'in_progress' ELSE 'pending' END, %(at)s "
            "FROM generate_series(1, %(n)s) g",
            {"org": org_id, "n": per_org_tasks, "people": PEOPLE_PER_ORG, "at": FIRST_SWEEP - timedelta(days=10)})
        # Open blockers raised over the last working days: their next rung falls anywhere in the next two days.
        await conn.execute(
            "INSERT INTO blockers (organization_id, task_id, user_id, description, source, created_at, anchor_at, "
            "                      next_escalation_at, escalation_level) "
            "SELECT t.organization_id, t.id, t.user_id, 'waiting for ' || t.title, 'slash', "
            "       %(at)s - ((g * 13) %% 4320) * interval '1 minute', %(at)s - ((g * 13) %% 4320) * interval '1 minute', "
            "       %(at)s + ((g * 37) %% 2880 - 60) * interval '1 minute', 0 "
            "FROM generate_series(1, %(n)s) g "
            "JOIN LATERAL (SELECT id, organization_id, user_id, title FROM tasks WHERE organization_id = %(org)s "
            "              AND display_number = (g * 7) %% %(tasks)s + 1) t ON true",
            {"org": org_id, "n": per_org_blockers, "at": FIRST_SWEEP, "tasks": per_org_tasks})
    await prime(conn)
    await conn.execute("ANALYZE")
    return org_ids


async def prime(conn: Any) -> None:
    """Walk each blocker up to where a running Steward would have it just before the first sweep: the rungs due
    before then have fired (level, last_escalated_at), ``next_escalation_at`` is its next rung's due time."""
    from bot.services import ladders
    from bot.services.calendar import Person, Rhythm

    rhythm = Rhythm(timezone="America/New_York", morning_time=datetime(2000, 1, 1, 9).time(),
                    end_of_day_time=datetime(2000, 1, 1, 17, 30).time())
    ladder = ladders.DEFAULT_BLOCKER
    rows = await (await conn.execute("SELECT b.id, b.anchor_at, u.timezone FROM blockers b JOIN users u ON u.id = b.user_id")).fetchall()
    updates = []
    for blocker_id, anchor_at, tz in rows:
        person = Person(timezone=tz)
        level, last = 0, None
        due = ladders.next_due(ladder, rhythm, person, level=0, anchor_at=anchor_at)
        while due is not None and due < FIRST_SWEEP - timedelta(minutes=1):
            level, last = level + 1, due
            due = ladders.next_due(ladder, rhythm, person, level=level, anchor_at=anchor_at)
        updates.append((level, last, due, blocker_id))
    async with conn.cursor() as cur:
        await cur.executemany("UPDATE blockers SET escalation_level = %s, last_escalated_at = %s, next_escalation_at = %s "
                              "WHERE id = %s", updates)


async def explain(conn: Any, org_id: int, now: datetime) -> str:
    from db.queries import Q

    sql = Q["blockers_due"].replace("%(organization_id)s", str(org_id)).replace("%(now)s", f"'{now.isoformat()}'::timestamptz") \
        .replace("%(limit)s", "500").replace("%(done)s::bigint[]", "'{}'::bigint[]")
    rows = await (await conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("FOR UPDATE OF b SKIP LOCKED", ""))).fetchall()
    return "\n".join(r[0] for r in rows)


async def main(orgs: int, tasks: int, blockers: int, sweeps: int) -> None:
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
            org_ids = await fill(conn, orgs, tasks, blockers)
            print(f"filled {orgs} organizations, {await _count(conn, 'tasks')} tasks, "
                  f"{await _count(conn, 'blockers')} open blockers in {time.perf_counter() - t0:.1f} s")
        pool = await open_pool(dsn, min_size=1, max_size=4)
        deps = Deps(settings=Settings.from_env({"STEWARD_DATA_DIR": str(data)}), pool=pool)
        timings: list[float] = []

        async def one(now: datetime) -> float:
            t = time.perf_counter()
            result = await escalations.run(deps, now)
            took = time.perf_counter() - t
            fired = sum(v for summary in result.values() for k, v in summary.items() if k.startswith("to_"))
            moved = sum(summary.get("moved", 0) + summary.get("waiting", 0) for summary in result.values())
            print(f"sweep at {now.astimezone(NEW_YORK):%a %H:%M} New York: {took * 1000:7.1f} ms, {fired} rungs fired, "
                  f"{moved} due times moved or waiting for their recipient")
            return took

        # The job ticks every minute: each sweep finds what fell due in the minute since the last.
        for i in range(sweeps):
            timings.append(await one(FIRST_SWEEP + timedelta(minutes=i)))
        print(f"\nper sweep over {orgs} organizations (a minute apart, as the job ticks): median "
              f"{median(timings) * 1000:.1f} ms, p95 {pct(timings, 0.95) * 1000:.1f} ms (goal: under 1000 ms)")
        # After an hour without sweeps (a deploy, an outage): everything due in that hour at once.
        catch_up = await one(FIRST_SWEEP + timedelta(minutes=sweeps + 60))
        print(f"catch-up sweep after an hour without one: {catch_up * 1000:.1f} ms\n")
        await pool.close()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            plan = await explain(conn, org_ids[len(org_ids) // 2], FIRST_SWEEP + timedelta(hours=sweeps))
            steps = await _count(conn, "escalation_steps")
            once = (await (await conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM escalation_steps GROUP BY organization_id, subject_type, subject_id, "
                "cycle, level HAVING count(*) > 1) d")).fetchone())[0]
        print(f"{steps} rungs recorded, {once} recorded twice (must be 0)")
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's query (blockers_due) for one organization:")
        print(plan)
        print(f"\nindex used: {'yes' if 'blockers_due_idx' in plan else 'NO'}")
        print(machine())
    finally:
        pg.stop()


async def _count(conn: Any, table: str) -> int:
    return int((await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone())[0])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--blockers", type=int, default=10_000)
    parser.add_argument("--sweeps", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.orgs, args.tasks, args.blockers, args.sweeps))
