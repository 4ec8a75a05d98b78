"""The job `cards` over one organization of 2,000 people and a year of history (issue 14: goal under 2 s).

    python bench/cards.py [--people 2000] [--days 365] [--runs 7]

A fresh embedded PostgreSQL is migrated and filled with SQL: 2,000 people (a reporting line of 40 managers), a
morning thread on every workday of the last year with everyone on it, an update from each person on about 93 % of
days (so runs of misses exist), 10,000 tasks of which some are carried forward and some overdue, and a person in
ten on leave for a week somewhere in the year. The organization is live. The job's own code
(``jobs.cards.run_for_org``) runs once (it issues the cards the history holds; reported apart), then ``--runs`` more
times at the same instant (the steady state: nothing new, each run reads the same 45 days), and the median is
reported. Then EXPLAIN (ANALYZE) of the job's queries, with the indexes they use.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from harness import machine, median

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 17, 8, 30, tzinfo=NEW_YORK).astimezone(UTC)  # a Tuesday morning
TODAY = date(2026, 3, 17)


async def fill(conn: Any, people: int, days: int) -> int:
    org = (await (await conn.execute("INSERT INTO organizations (name) VALUES ('Big') RETURNING id")).fetchone())[0]
    await conn.execute("INSERT INTO platform_connections (organization_id, external_team_id, team_name, team_domain) "
                       "VALUES (%s, 'TBIG', 'Big', 'big')", (org,))
    await conn.execute("UPDATE org_settings SET timezone = 'America/New_York', standup_channel_id = 'CSTAND', "
                       "morning_time = '09:00', end_of_day_time = '17:30', cards_mode = 'live', holiday_country = 'US' "
                       "WHERE organization_id = %s", (org,))
    await conn.execute(
        "INSERT INTO users (organization_id, display_name, role, timezone) SELECT %(org)s, 'person' || g, "
        "CASE WHEN g = 1 THEN 'admin' WHEN g <= 41 THEN 'manager' ELSE 'member' END, "
        "CASE WHEN g %% 4 = 0 THEN 'Europe/London' ELSE 'America/New_York' END FROM generate_series(1, %(n)s) g",
        {"org": org, "n": people})
    await conn.execute("INSERT INTO platform_identities (organization_id, user_id, external_team_id, external_id) "
                       "SELECT organization_id, id, 'TBIG', 'U' || id FROM users WHERE organization_id = %s", (org,))
    await conn.execute("UPDATE users u SET manager_id = (SELECT min(id) FROM users) + 1 + (u.id %% 40) "
                       "WHERE organization_id = %s AND role = 'member'", (org,))
    first = TODAY - timedelta(days=days)
    await conn.execute(
        "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, participant_ids, posted_at, "
        "created_at) SELECT %(org)s, 'CSTAND', d::date, (extract(epoch FROM d + time '14:00'))::bigint || '.000100', "
        "'closed', (SELECT array_agg(id) FROM users WHERE organization_id = %(org)s), d + time '14:00', d + time '14:00' "
        "FROM generate_series(%(first)s::date, %(today)s::date, interval '1 day') d WHERE extract(isodow FROM d) < 6",
        {"org": org, "first": first, "today": TODAY})
    # One submission per person and day posted, except on about 7 % of days (hashed, so runs of misses occur).
    await conn.execute(
        "INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text, parsed, update_dates) "
        "SELECT %(org)s, t.id, u.id, 'Today: T-' || (u.id %% 1000), jsonb_build_object('tasks', jsonb_build_array(u.id)), "
        "ARRAY[t.thread_date] FROM morning_threads t CROSS JOIN users u "
        "WHERE t.organization_id = %(org)s AND u.organization_id = %(org)s "
        "AND abs(hashtext(u.id || ':' || t.thread_date)) %% 100 >= 7", {"org": org})
    await conn.execute(
        "INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) SELECT organization_id, id, "
        "%(first)s::date + (id %% 300)::int, %(first)s::date + (id %% 300)::int + 6, 'vacation' FROM users "
        "WHERE organization_id = %(org)s AND id %% 10 = 0", {"org": org, "first": first})
    await conn.execute(
        "INSERT INTO tasks (organization_id, user_id, title, status, completed_at, due_date, carry_forward_count, source) "
        "SELECT %(org)s, u.id, 'task ' || g, CASE WHEN g %% 3 = 0 THEN 'done' ELSE 'pending' END, "
        "CASE WHEN g %% 3 = 0 THEN now() END, "
        "%(today)s::date - (g %% 60)::int, g %% 5, 'slash' FROM generate_series(1, %(n)s) g "
        "JOIN users u ON u.organization_id = %(org)s AND u.id = (SELECT min(id) FROM users) + (g %% %(people)s)",
        {"org": org, "today": TODAY, "n": people * 5, "people": people})
    await conn.execute(
        "INSERT INTO task_statuses (organization_id, task_id, user_id, status_date, status) "
        "SELECT t.organization_id, t.id, t.user_id, d::date, 'carry_forward' FROM tasks t "
        "CROSS JOIN generate_series(1, 4) k CROSS JOIN LATERAL (SELECT %(today)s::date - (t.id %% 40)::int - k * 2 AS d) x "
        "WHERE t.organization_id = %(org)s AND t.carry_forward_count >= 2 AND extract(isodow FROM d) < 6 "
        "ON CONFLICT DO NOTHING", {"org": org, "today": TODAY})
    return int(org)


QUERIES = ("attendance_threads", "attendance_updates", "attendance_ramp_ups", "cards_carried_tasks", "cards_overdue_tasks",
           "cards_recent", "cards_carded_days")


def _bound(name: str, org: int, people: list[int]) -> str:
    from db.queries import Q

    since = TODAY - timedelta(days=45)
    values = {"organization_id": str(org), "since": f"'{since}'::date", "until": f"'{TODAY}'::date",
              "today": f"'{TODAY}'::date", "user_ids": f"ARRAY{people}::bigint[]", "rule": "'missed_updates'"}
    sql = Q[name]
    for key, val in values.items():
        sql = sql.replace(f"%({key})s", val)
    return sql.replace("'missed_updates'::date", "'missed_updates'")


async def explain(conn: Any, org: int) -> str:
    people = [r[0] for r in await (await conn.execute("SELECT id FROM users WHERE organization_id = %s", (org,))).fetchall()]
    out = []
    for name in QUERIES:
        sql = _bound(name, org, people).replace("c.created_at >= '2026-01-31'::date", "c.created_at >= '2026-01-31'")
        rows = await (await conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)).fetchall()
        out.append(f"-- {name}\n" + "\n".join(r[0] for r in rows))
    return "\n\n".join(out)


async def main(people: int, days: int, runs: int) -> None:
    import psycopg

    from bot.deps import Deps
    from bot.log import configure_logging
    from bot.settings import Settings
    from db import migrate
    from db.embedded import start_embedded
    from db.pool import open_pool
    from jobs import cards as cards_job

    configure_logging("WARNING")
    data = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    pg = start_embedded(data, database="bench")
    dsn = pg.dsn("bench")
    try:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await migrate.migrate(conn)
            t0 = time.perf_counter()
            org = await fill(conn, people, days)
            await conn.execute("ANALYZE")
            counts = [(await (await conn.execute(f"SELECT count(*) FROM {t}")).fetchone())[0]
                      for t in ("morning_threads", "thread_submissions", "tasks", "task_statuses")]
            print(f"filled {people} people, {counts[0]} threads, {counts[1]} submissions, {counts[2]} tasks, "
                  f"{counts[3]} carries in {time.perf_counter() - t0:.1f} s")
        pool = await open_pool(dsn, min_size=1, max_size=4)
        deps = Deps(settings=Settings.from_env({"STEWARD_DATA_DIR": str(data)}), pool=pool)

        async def one() -> tuple[float, dict[str, Any]]:
            t = time.perf_counter()
            summary = await cards_job.run_for_org(deps, org, NOW)
            return time.perf_counter() - t, summary

        took, summary = await one()
        print(f"first run (issues what a year holds in its last 45 days): {took * 1000:.0f} ms, {summary}")
        timings = []
        for _ in range(runs):
            took, summary = await one()
            timings.append(took)
            print(f"run: {took * 1000:.0f} ms, {summary}")
        print(f"\nthe job `cards` for {people} people: median {median(timings) * 1000:.0f} ms over {runs} runs "
              "(goal: under 2000 ms)")
        await pool.close()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            plan = await explain(conn, org)
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the job's queries:")
        print(plan)
        for query in plan.split("\n\n"):
            used = sorted(set(re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", query)))
            print(f"{query.splitlines()[0][3:]}: indexes used {', '.join(used) or 'NONE (a sequential scan)'}")
        print(machine())
    finally:
        pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.people, args.days, args.runs))
