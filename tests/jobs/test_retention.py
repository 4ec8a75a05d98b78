"""Retention deletes exactly the rows past each boundary (one second either side) and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from bot.deps import Deps
from bot.settings import Settings
from jobs import retention
from tests.helpers import fetchval, make_org, make_user

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
S = timedelta(seconds=1)


async def _draft(conn: psycopg.AsyncConnection, org: int, user: int, label: str, *, created: datetime,
                 expires: datetime | None, status: str = "pending") -> int:
    return await fetchval(conn, """
        INSERT INTO task_drafts (organization_id, user_id, raw_text, status, expires_at, created_at, confirmed_at)
        VALUES (%s, %s, %s, %s, %s, %s, CASE WHEN %s = 'confirmed' THEN %s END) RETURNING id""",
        (org, user, label, status, expires, created, status, created))


async def _left(conn: psycopg.AsyncConnection, table: str, column: str) -> set[str]:
    rows = await (await conn.execute(f"SELECT {column} FROM {table}")).fetchall()  # noqa: S608 - test helper
    return {r[0] for r in rows}


async def test_daily_rules_cut_exactly_at_each_boundary(pool, conn: psycopg.AsyncConnection) -> None:  # type: ignore[no-untyped-def]
    org = await make_org(conn)
    user = await make_user(conn, org)
    far = NOW + timedelta(days=1)
    # 1. expired (unconfirmed) drafts: expires_at < now
    await _draft(conn, org, user, "expired-1s-ago", created=NOW - timedelta(hours=25), expires=NOW - S)
    await _draft(conn, org, user, "expires-in-1s", created=NOW - timedelta(hours=23), expires=NOW + S)
    # 2. confirmed drafts older than 30 days (a confirmed draft never "expires")
    d_old = await _draft(conn, org, user, "confirmed-30d+1s", created=NOW - timedelta(days=30) - S, expires=NOW - timedelta(days=29), status="confirmed")
    d_new = await _draft(conn, org, user, "confirmed-30d-1s", created=NOW - timedelta(days=30) + S, expires=NOW - timedelta(days=29), status="confirmed")
    for draft in (d_old, d_new):
        await conn.execute("INSERT INTO tasks (organization_id, title, user_id, draft_id) VALUES (%s, 'x', %s, %s)", (org, user, draft))
    # 3. abandoned (never confirmed) drafts older than 7 days, even without an expiry
    await _draft(conn, org, user, "abandoned-7d+1s", created=NOW - timedelta(days=7) - S, expires=None, status="rejected")
    await _draft(conn, org, user, "abandoned-7d-1s", created=NOW - timedelta(days=7) + S, expires=None, status="rejected")
    await _draft(conn, org, user, "pending-fresh", created=NOW - timedelta(hours=1), expires=far)
    # 4. raw channel messages older than CONTEXT_RAW_RETENTION_DAYS (7 by default)
    for label, created in (("1.000001", NOW - timedelta(days=7) - S), ("2.000002", NOW - timedelta(days=7) + S)):
        await conn.execute("INSERT INTO channel_messages (organization_id, channel_id, ts, text, created_at) VALUES (%s, 'C1', %s, 'hi', %s)",
                           (org, label, created))
    # Audit logs are not touched by the daily rules.
    await conn.execute("INSERT INTO security_audit_logs (organization_id, event_type, created_at) VALUES (%s, 'x', %s)", (org, NOW - timedelta(days=400)))
    # 5. dashboard sessions a day after they ended or went 12 hours idle; sign-in attempts after 30 days (0021)
    for csrf, last_seen, ended in (("ended-1d+1s" + "x" * 32, NOW - timedelta(days=3), NOW - timedelta(days=1) - S),
                                   ("ended-1d-1s" + "x" * 32, NOW - timedelta(days=3), NOW - timedelta(days=1) + S),
                                   ("idle-36h+1s" + "x" * 32, NOW - timedelta(hours=36) - S, None),
                                   ("idle-36h-1s" + "x" * 32, NOW - timedelta(hours=36) + S, None)):
        await conn.execute("INSERT INTO dashboard_sessions (organization_id, user_id, token_sha256, csrf_token, last_seen_at, ended_at) "
                           "VALUES (%s, %s, %s, %s, %s, %s)", (org, user, bytes(32), csrf, last_seen, ended))
    for login, created in (("old@acme.test", NOW - timedelta(days=30) - S), ("young@acme.test", NOW - timedelta(days=30) + S)):
        await conn.execute("INSERT INTO dashboard_login_attempts (login, address, outcome, created_at) VALUES (%s, '127.0.0.1', "
                           "'unknown_login', %s)", (login, created))

    deps = Deps(settings=Settings.from_env({}), pool=pool)
    deleted = await retention.run_daily(deps, NOW)

    assert deleted == {"expired_drafts": 1, "old_confirmed_drafts": 1, "abandoned_drafts": 1, "old_channel_messages": 1,
                       "processed_inbox_events": 0, "old_job_runs": 0, "old_dashboard_sessions": 2,
                       "old_dashboard_login_attempts": 1}
    assert {c[:11] for c in await _left(conn, "dashboard_sessions", "csrf_token")} == {"ended-1d-1s", "idle-36h-1s"}
    assert await _left(conn, "dashboard_login_attempts", "login") == {"young@acme.test"}
    assert await _left(conn, "task_drafts", "raw_text") == {"expires-in-1s", "confirmed-30d-1s", "abandoned-7d-1s", "pending-fresh"}
    assert await _left(conn, "channel_messages", "ts") == {"2.000002"}
    assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs") == 1
    # The task of the deleted confirmed draft keeps its data, with draft_id nulled.
    assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE draft_id IS NULL") == 1
    assert await fetchval(conn, "SELECT count(*) FROM tasks") == 2


async def test_raw_message_retention_follows_the_setting(pool, conn: psycopg.AsyncConnection) -> None:  # type: ignore[no-untyped-def]
    org = await make_org(conn)
    for ts, age in (("1.1", timedelta(days=3) + S), ("2.2", timedelta(days=3) - S)):
        await conn.execute("INSERT INTO channel_messages (organization_id, channel_id, ts, created_at) VALUES (%s, 'C1', %s, %s)", (org, ts, NOW - age))
    deps = Deps(settings=Settings.from_env({"CONTEXT_RAW_RETENTION_DAYS": "3"}), pool=pool)
    assert (await retention.run_daily(deps, NOW))["old_channel_messages"] == 1
    assert await _left(conn, "channel_messages", "ts") == {"2.2"}


async def test_monthly_rules_cut_at_90_days(pool, conn: psycopg.AsyncConnection) -> None:  # type: ignore[no-untyped-def]
    org = await make_org(conn)
    user = await make_user(conn, org)
    for label, age in (("old", timedelta(days=90) + S), ("young", timedelta(days=90) - S)):
        await conn.execute("INSERT INTO security_audit_logs (organization_id, event_type, description, created_at) VALUES (%s, 'permission_denied', %s, %s)",
                           (org, label, NOW - age))
        await conn.execute("INSERT INTO rate_limit_events (organization_id, user_id, action, external_user_id, created_at) VALUES (%s, %s, 'llm.parse', %s, %s)",
                           (org, user, label, NOW - age))
    await _draft(conn, org, user, "ancient-draft", created=NOW - timedelta(days=100), expires=None)
    deps = Deps(settings=Settings.from_env({}), pool=pool)
    assert await retention.run_monthly(deps, NOW) == {"old_security_audit_logs": 1, "old_rate_limit_events": 1,
                                                      "old_dead_letters": 0}
    assert await _left(conn, "security_audit_logs", "description") == {"young"}
    assert await _left(conn, "rate_limit_events", "external_user_id") == {"young"}
    assert await fetchval(conn, "SELECT count(*) FROM task_drafts") == 1  # monthly leaves drafts alone


def test_cli_runs_retention_and_prints_counts(db_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env["DATABASE_URL"] = db_dsn
    proc = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", "retention", "--now", "2026-06-15T02:00:00+00:00"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["job"] == "retention" and report["summary"] == "retention: nothing to delete."
    assert (report["sent"], report["waiting"], report["failed"]) == ([], [], [])
    counts = report["result"]
    assert set(counts) == {"expired_drafts", "old_confirmed_drafts", "abandoned_drafts", "old_channel_messages",
                           "old_security_audit_logs", "old_rate_limit_events", "processed_inbox_events", "old_job_runs",
                           "old_dead_letters", "old_dashboard_sessions", "old_dashboard_login_attempts"}
    assert all(v == 0 for v in counts.values())
    bad = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", "retention", "--now", "yesterday"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr


async def test_bookkeeping_is_trimmed_but_dead_letters_are_kept_longer(pool, conn: psycopg.AsyncConnection) -> None:  # type: ignore[no-untyped-def]
    week, month, quarter = timedelta(days=7), timedelta(days=30), timedelta(days=90)
    for key, status, age in (("old-done", "done", week + S), ("new-done", "done", week - S),
                             ("old-dead", "dead", week + S), ("ancient-dead", "dead", quarter + S), ("pending", "pending", month)):
        await conn.execute("INSERT INTO event_inbox (event_key, kind, payload, status, received_at) VALUES (%s, 'events_api', '{}', %s, %s)",
                           (key, status, NOW - age))
    for name, age in (("old", month + S), ("new", month - S)):
        await conn.execute("INSERT INTO job_runs (job_name, scheduled_for, started_at) VALUES (%s, %s, %s)", (name, NOW - age, NOW - age))
    deps = Deps(settings=Settings.from_env({}), pool=pool)
    daily = await retention.run_daily(deps, NOW)
    assert (daily["processed_inbox_events"], daily["old_job_runs"]) == (1, 1)
    assert (await retention.run_monthly(deps, NOW))["old_dead_letters"] == 1
    assert await _left(conn, "event_inbox", "event_key") == {"new-done", "old-dead", "pending"}
    assert await _left(conn, "job_runs", "job_name") == {"new"}


def test_cli_job_that_needs_slack_says_so_without_tokens(db_dsn: str) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env["DATABASE_URL"] = db_dsn
    proc = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", "morning-thread", "--now", "2026-03-09T09:00:00-04:00"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "morning-thread talks to Slack" in proc.stderr and "Traceback" not in proc.stderr
    # nudges sends what it decides at --now at once (jobs/runs.py): without tokens it says how to run it instead.
    nudges = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", "nudges", "--now", "2026-03-09T10:00:00-04:00"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert nudges.returncode == 2 and "Traceback" not in nudges.stderr
    assert "SLACK_BOT_TOKEN" in nudges.stderr and "press Run now for nudges" in nudges.stderr
    with psycopg.connect(db_dsn) as check:
        assert check.execute("SELECT count(*) FROM notifications").fetchone() == (0,)  # and it queued nothing
