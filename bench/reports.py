"""The weekly report for 200 people over a year of data (issue 15: compute and render, goal under 1 s; the chart
measured separately).

    python bench/reports.py [--people 200] [--days 365] [--runs 7]

A fresh embedded PostgreSQL is migrated and filled with SQL: 200 people (a reporting line of 10 managers), a morning
thread on every workday of the last year with everyone on it, an update from each person on about 93 % of days,
five tasks per person and week (due dates, some done late, some carried forward day after day, weights 1 to 3), a
blocker per person and month resolved a few hours to days later, mood answers, a person in ten on leave for a week
somewhere in the year, the organization's KPI targets, and a weekly KPI snapshot for the team and each person for
every week of the year (what the ``kpi-snapshot`` job writes; the chart reads them).

Measured, ``--runs`` times each, the medians reported:
  * compute and render: :func:`bot.services.reports.compose` for the organization's weekly report of the last
    complete week (the KPI figures for everyone, the previous period, the narrative (offline: the template), the
    action items it proposes, who is out next week) without the chart, then its Block Kit
    (:func:`bot.blocks.reports.report`) and the CSV (:func:`bot.services.reports.to_csv`);
  * the chart alone: the last 8 weeks of snapshots read and drawn to a PNG (matplotlib, Agg).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from harness import fresh_database, machine, median

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 3, 16)  # a Monday: the report of the week of 9 March
NOW = datetime(2026, 3, 16, 9, 31, tzinfo=NEW_YORK).astimezone(UTC)


async def fill(conn: Any, people: int, days: int) -> int:
    org = (await (await conn.execute("INSERT INTO organizations (name) VALUES ('Big') RETURNING id")).fetchone())[0]
    await conn.execute("INSERT INTO platform_connections (organization_id, external_team_id, team_name, team_domain) "
                       "VALUES (%s, 'TBIG', 'Big', 'big')", (org,))
    await conn.execute("UPDATE org_settings SET timezone = 'America/New_York', standup_channel_id = 'CSTAND', "
                       "morning_time = '09:00', end_of_day_time = '17:30', holiday_country = 'US' "
                       "WHERE organization_id = %s", (org,))
    await conn.execute(
        "INSERT INTO users (organization_id, display_name, role, timezone) SELECT %(org)s, 'person' || g, "
        "CASE WHEN g = 1 THEN 'admin' WHEN g <= 11 THEN 'manager' ELSE 'member' END, 'America/New_York' "
        "FROM generate_series(1, %(n)s) g", {"org": org, "n": people})
    await conn.execute("INSERT INTO platform_identities (organization_id, user_id, external_team_id, external_id) "
                       "SELECT organization_id, id, 'TBIG', 'U' || id FROM users WHERE organization_id = %s", (org,))
    await conn.execute("UPDATE users u SET manager_id = (SELECT min(id) FROM users) + 1 + (u.id %% 10) "
                       "WHERE organization_id = %s AND role = 'member'", (org,))
    first = TODAY - timedelta(days=days)
    values = {"org": org, "first": first, "today": TODAY}
    await conn.execute(
        "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, participant_ids, "
        "posted_at, created_at) SELECT %(org)s, 'CSTAND', d::date, (extract(epoch FROM d + time '14:00'))::bigint "
        "|| '.000100', 'closed', (SELECT array_agg(id) FROM users WHERE organization_id = %(org)s), d + time '14:00', "
        "d + time '14:00' FROM generate_series(%(first)s::date, %(today)s::date - 1, interval '1 day') d "
        "WHERE extract(isodow FROM d) < 6", values)
    await conn.execute(
        "INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text, update_dates) "
        "SELECT %(org)s, t.id, u.id, 'Today: the usual', ARRAY[t.thread_date] FROM morning_threads t CROSS JOIN users u "
        "WHERE t.organization_id = %(org)s AND u.organization_id = %(org)s "
        "AND abs(hashtext(u.id || ':' || t.thread_date)) %% 100 >= 7", values)
    await conn.execute(
        "INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) SELECT organization_id, id, "
        "%(first)s::date + (id %% 360)::int, %(first)s::date + (id %% 360)::int + 6, 'vacation' FROM users "
        "WHERE organization_id = %(org)s AND id %% 10 = 0", values)
    await conn.execute(  # and a person in fifty on leave during the reported week, or the next
        "INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) SELECT organization_id, id, "
        "%(today)s::date - 6 + (id %% 3)::int * 3, %(today)s::date + (id %% 3)::int * 3, 'vacation' FROM users "
        "WHERE organization_id = %(org)s AND id %% 50 = 3", values)
    # Five tasks per person and week: due on a workday, done on time (two in three), late, or still open.
    await conn.execute(
        "INSERT INTO tasks (organization_id, user_id, title, status, due_date, completed_at, carry_forward_count, "
        "weight, source, created_at) SELECT %(org)s, u.id, 'task ' || w || '.' || k, "
        "CASE WHEN (u.id + k) %% 5 = 0 THEN 'pending' ELSE 'done' END, d, "
        "CASE WHEN (u.id + k) %% 5 = 0 THEN NULL ELSE (d + time '15:00' + ((u.id + k) %% 3 = 0)::int * interval '2 days') "
        "AT TIME ZONE 'America/New_York' END, CASE WHEN (u.id + k) %% 20 = 1 OR (w = %(weeks)s AND (u.id + k) %% 20 = 0) THEN 3 "
        "ELSE (u.id + k) %% 3 END, 1 + (u.id + k) %% 3, 'slash', "
        "(d - 3) AT TIME ZONE 'America/New_York' FROM users u CROSS JOIN generate_series(0, %(weeks)s) w "
        "CROSS JOIN generate_series(0, 4) k CROSS JOIN LATERAL (SELECT (%(first)s::date + w * 7 + k) AS d) x "
        "WHERE u.organization_id = %(org)s AND x.d < %(today)s::date",
        {**values, "weeks": days // 7})
    await conn.execute(
        "INSERT INTO task_statuses (organization_id, task_id, user_id, status_date, status) "
        "SELECT t.organization_id, t.id, t.user_id, t.due_date - k, "
        "CASE WHEN k <= t.carry_forward_count THEN 'carry_forward' ELSE 'done' END FROM tasks t "
        "CROSS JOIN generate_series(0, 3) k WHERE t.organization_id = %(org)s AND t.due_date IS NOT NULL "
        "AND extract(isodow FROM t.due_date - k) < 6 ON CONFLICT DO NOTHING", values)
    await conn.execute(
        "INSERT INTO blockers (organization_id, user_id, description, status, created_at, resolved_at) "
        "SELECT %(org)s, u.id, 'waiting on access', 'resolved', r, r + ((u.id %% 30) + 2) * interval '1 hour' "
        "FROM users u CROSS JOIN generate_series(0, %(months)s) m "
        "CROSS JOIN LATERAL (SELECT ((%(first)s::date + m * 30 + (u.id %% 20)::int) + time '11:00') "
        "AT TIME ZONE 'America/New_York' AS r) x WHERE u.organization_id = %(org)s",
        {**values, "months": days // 30})
    await conn.execute(
        "INSERT INTO mood_entries (organization_id, user_id, score, local_date, recorded_at) SELECT %(org)s, u.id, "
        "1 + abs(hashtext(u.id || ':' || t.thread_date)) %% 5, t.thread_date, t.posted_at "
        "FROM morning_threads t CROSS JOIN users u "
        "WHERE t.organization_id = %(org)s AND u.organization_id = %(org)s AND extract(isodow FROM t.thread_date) = 5",
        values)
    await conn.execute(
        "INSERT INTO kpi_targets (organization_id, metric, target, direction) VALUES (%(org)s, 'submission_rate', 0.9, "
        "'at_least'), (%(org)s, 'on_time_rate', 0.85, 'at_least'), (%(org)s, 'carry_forward_rate', 0.2, 'at_most'), "
        "(%(org)s, 'blocker_resolution_hours', 24, 'at_most')", values)
    # A weekly snapshot for the team and each person, every week of the year (what kpi-snapshot writes).
    await conn.execute(
        "INSERT INTO kpi_snapshots (organization_id, user_id, period, period_start, period_end, metrics) "
        "SELECT %(org)s, u.id, 'weekly', w::date, w::date + 6, jsonb_build_object('submission_rate', 0.8 + (u.v %% 20) "
        "/ 100.0, 'on_time_rate', 0.7 + (u.v %% 25) / 100.0, 'carry_forward_rate', (u.v %% 30) / 100.0, "
        "'blocker_resolution_hours', 4 + u.v %% 20, 'weighted_throughput', 8 + u.v %% 9) "
        "FROM (SELECT NULL::bigint AS id, 7 AS v UNION ALL SELECT id, id + extract(week FROM now())::int "
        "FROM users WHERE organization_id = %(org)s) u "
        "CROSS JOIN generate_series(date_trunc('week', %(first)s::date)::date, %(today)s::date - 7, interval '7 days') w",
        values)
    return int(org)


async def main(people: int, days: int, runs: int) -> None:
    import psycopg

    from bot.blocks import reports as render
    from bot.log import configure_logging
    from bot.services import report_chart, reports
    from bot.services.report_periods import last_complete
    from db.repos.users import active_users

    configure_logging("WARNING")
    async with fresh_database() as (_, dsn):
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            t0 = time.perf_counter()
            org = await fill(conn, people, days)
            await conn.execute("ANALYZE")
            counts = {t: (await (await conn.execute(f"SELECT count(*) FROM {t}")).fetchone())[0]
                      for t in ("users", "morning_threads", "thread_submissions", "tasks", "task_statuses", "blockers",
                                "mood_entries", "kpi_snapshots")}
            print(f"filled in {time.perf_counter() - t0:.1f} s: "
                  + ", ".join(f"{n} {t}" for t, n in counts.items()))
            everyone = await active_users(conn, org)
            period = last_complete("weekly", TODAY)

            async def report() -> tuple[float, Any, tuple[int, int]]:
                t = time.perf_counter()
                composed = await reports.compose(conn, org, period, audience="org", subject=None, people=everyone,
                                                 now=NOW, with_chart=False)
                text, blocks = render.report(composed)
                csv_text = reports.to_csv(composed)
                assert text and blocks and csv_text
                return time.perf_counter() - t, composed, (len(blocks), csv_text.count("\n") - 1)

            async def chart() -> tuple[float, int]:
                t = time.perf_counter()
                trend = await reports.team_trend(conn, org, period, "org", everyone)
                png = report_chart.render(trend, {"submission_rate": 0.9, "on_time_rate": 0.85}, title="Weekly KPIs")
                return time.perf_counter() - t, len(png)

            took, composed, size = await report()
            print(f"first report (cold): {took * 1000:.0f} ms; {len(composed.people)} people, "
                  f"{len(composed.proposals)} action items proposed, {len(composed.figures.out)} people out in the week, "
                  f"{len(composed.out_next_week)} out next week, "
                  f"{size[0]} blocks, {size[1]} CSV rows")
            timings = [(await report())[0] for _ in range(runs)]
            took, png_bytes = await chart()
            print(f"first chart (cold, matplotlib's first figure): {took * 1000:.0f} ms, {png_bytes} bytes")
            drawn = [(await chart())[0] for _ in range(runs)]
            print(f"\nthe weekly report for {people} people over {days} days of data: compute and render median "
                  f"{median(timings) * 1000:.0f} ms over {runs} runs (goal: under 1000 ms); "
                  f"runs {', '.join(f'{t * 1000:.0f}' for t in timings)} ms")
            print(f"the chart alone (8 weeks of snapshots read and drawn): median {median(drawn) * 1000:.0f} ms over "
                  f"{runs} runs; runs {', '.join(f'{t * 1000:.0f}' for t in drawn)} ms")
            print(machine())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.people, args.days, args.runs))
