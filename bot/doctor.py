"""`steward doctor`: a checklist of what Steward needs, each line OK, WARN or FAIL."""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from bot.settings import Settings
from db import migrate
from db.database import check_server, locate


@dataclass(frozen=True)
class Check:
    status: str  # OK | WARN | FAIL
    name: str
    detail: str


async def collect(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    try:
        db = locate(settings)
    except Exception as exc:  # the embedded server or DSN may fail in many ways; report, don't crash
        return [Check("FAIL", "database reachable", str(exc).splitlines()[0])]
    try:
        async with await db.connect() as conn:
            where = "embedded server in " + str(settings.data_dir) if db.embedded else "DATABASE_URL"
            version, pgvector = await check_server(conn)
            checks.append(Check("OK", "database reachable", f"PostgreSQL {version} ({where})"))
            checks.extend(await _pgvector_checks(conn, pgvector))
            checks.append(await _migration_check(conn))
            checks.extend(await _inbox_checks(conn))
    except Exception as exc:
        checks.append(Check("FAIL", "database reachable", str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    finally:
        await db.close()
    checks.extend(_slack_checks(settings))
    checks.append(_openai_check(settings))
    return checks


async def _pgvector_checks(conn: psycopg.AsyncConnection, pgvector: str | None) -> list[Check]:
    if pgvector is None:
        return [Check("FAIL", "pgvector", "the vector extension is not available on this server")]
    out = [Check("OK" if tuple(int(p) for p in pgvector.split(".")[:2]) >= (0, 7) else "FAIL", "pgvector", f"version {pgvector}")]
    row = await (await conn.execute("SELECT 1 FROM pg_am WHERE amname = 'hnsw'")).fetchone()
    out.append(Check("OK" if row else "WARN", "HNSW index method", "available" if row else "not installed yet (run migrations)"))
    return out


async def _migration_check(conn: psycopg.AsyncConnection) -> Check:
    try:
        states = await migrate.status(conn)
    except migrate.MigrationError as exc:
        return Check("FAIL", "migrations", str(exc))
    bad = [s.label for s in states if s.state in ("changed", "missing")]
    pending = [s.label for s in states if s.state == "pending"]
    if bad:
        return Check("FAIL", "migrations", f"applied migration(s) changed or missing: {', '.join(bad)}")
    if pending:
        return Check("WARN", "migrations", f"{len(pending)} pending: run `steward db migrate` (the bot also applies them at start)")
    return Check("OK", "migrations", f"current ({len(states)} applied)")


async def _inbox_checks(conn: psycopg.AsyncConnection) -> list[Check]:
    row = await (await conn.execute("SELECT to_regclass('event_inbox') IS NOT NULL")).fetchone()
    if not row or not row[0]:
        return []
    counts = await (await conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE status IN ('pending', 'processing')) FROM event_inbox"
    )).fetchone()
    dead, waiting = counts if counts else (0, 0)
    if dead:
        return [Check("WARN", "event inbox", f"{dead} dead-lettered event(s), {waiting} waiting: see the logs or the event_inbox table")]
    return [Check("OK", "event inbox", f"no dead letters, {waiting} waiting")]


def _slack_checks(settings: Settings) -> list[Check]:
    if not settings.slack_configured:
        return [Check("WARN", "Slack tokens", "not set: `steward run` starts the local sandbox (set SLACK_BOT_TOKEN and SLACK_APP_TOKEN to connect to Slack)")]
    bot = settings.slack_bot_token.reveal() if settings.slack_bot_token else ""
    app = settings.slack_app_token.reveal() if settings.slack_app_token else ""
    ok_bot = re.fullmatch(r"xoxb-[0-9A-Za-z-]{10,}", bot) is not None
    ok_app = re.fullmatch(r"xapp-[0-9A-Za-z-]{10,}", app) is not None
    return [
        Check("OK" if ok_bot else "FAIL", "SLACK_BOT_TOKEN", "well-formed" if ok_bot else "does not look like a bot token (xoxb-…)"),
        Check("OK" if ok_app else "FAIL", "SLACK_APP_TOKEN", "well-formed" if ok_app else "does not look like an app-level token (xapp-…)"),
    ]


def _openai_check(settings: Settings) -> Check:
    if settings.offline_ai:
        return Check("WARN", "OpenAI", "OPENAI_API_KEY not set: offline mode (rule-based parser, local embeddings)")
    where = settings.openai_base_url or "api.openai.com"
    return Check("OK", "OpenAI", f"configured: model {settings.openai_model}, embeddings {settings.embedding_model}, at {where}")


async def run_doctor(settings: Settings) -> int:
    checks = await collect(settings)
    marks = {"OK": "[ ok ]", "WARN": "[warn]", "FAIL": "[FAIL]"}
    print("Steward doctor")
    for c in checks:
        print(f"  {marks[c.status]} {c.name}: {c.detail}")
    failed = sum(c.status == "FAIL" for c in checks)
    print("All essential checks passed." if not failed else f"{failed} check(s) failed.")
    return 1 if failed else 0
