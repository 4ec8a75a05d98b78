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
            checks.extend(await _workspace_checks(conn, settings))
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


async def _workspace_checks(conn: psycopg.AsyncConnection, settings: Settings) -> list[Check]:
    """The running processes and what each serves (bot/processes.py), then each workspace: which live process
    holds its bot token (none: its work waits), and whether its token is stored (STEWARD_TOKEN_KEY)."""
    from bot.processes import LIVE_SECONDS, live_processes
    from bot.tokens import TokenBox
    from db.queries import Q

    row = await (await conn.execute("SELECT to_regclass('steward_processes') IS NOT NULL")).fetchone()
    if not row or not row[0]:
        return []
    workspaces = await (await conn.execute(Q["workspaces_known"])).fetchall()
    names = {org_id: f"{name} ({team})" for org_id, name, team, *_ in workspaces}

    def named(ids: list[int]) -> str:
        return ", ".join(names.get(i, f"organization {i}") for i in ids) or "no workspace"

    processes = await live_processes(conn)
    checks = []
    if not processes:
        checks.append(Check("WARN", "running processes", f"none has beaten in the last {LIVE_SECONDS:.0f} s: no Steward "
                                                         "is running against this database (start one with `steward run`)"))
    for p in processes:
        jobs = f"runs the jobs of {named(p.leads)}" + (" and the jobs of no one workspace" if p.global_leader else "")
        checks.append(Check("OK", f"process {p.hostname}:{p.pid}",
                            f"{p.mode}; serves {named(p.serves)}; {jobs}; last heartbeat {p.silent_seconds:.0f} s ago"))
    box = TokenBox(settings.token_key.reveal()) if settings.token_key else None
    for org_id, _name, _team, status, stored, sealed in workspaces:
        if status != "active":
            continue
        serving = [f"{p.hostname}:{p.pid}" for p in processes if org_id in p.serves]
        if not stored:
            token = "its token is not stored (STEWARD_TOKEN_KEY unset where it is served)"
        elif box is None:
            token = "its token is stored, encrypted (set STEWARD_TOKEN_KEY here to read it)"
        else:
            token = ("its token is stored, encrypted with this STEWARD_TOKEN_KEY" if box.open(sealed) is not None
                     else "its token is stored with another key than this STEWARD_TOKEN_KEY")
        if serving:
            checks.append(Check("OK", f"workspace {names[org_id]}", f"served by {', '.join(serving)}; {token}"))
        else:
            checks.append(Check("WARN", f"workspace {names[org_id]}",
                                "no running process holds its bot token, so its scheduled jobs, messages and events "
                                f"wait until one does (start Steward with its SLACK_BOT_TOKEN); {token}"))
    return checks


def _slack_checks(settings: Settings) -> list[Check]:
    if not settings.slack_configured:
        return [Check("WARN", "Slack tokens", "not set: `steward run` starts the local sandbox (set SLACK_BOT_TOKEN and SLACK_APP_TOKEN to connect to Slack)")]
    bot = settings.slack_bot_token.reveal() if settings.slack_bot_token else ""
    app = settings.slack_app_token.reveal() if settings.slack_app_token else ""
    ok_bot = re.fullmatch(r"xoxb-[0-9A-Za-z-]{10,}", bot) is not None
    ok_app = re.fullmatch(r"xapp-[0-9A-Za-z-]{10,}", app) is not None
    key = ("set: this process stores its bot token encrypted and serves every stored token the key opens"
           if settings.token_key else
           "not set: bot tokens are not stored, and this process serves only its SLACK_BOT_TOKEN's workspace")
    return [
        Check("OK" if ok_bot else "FAIL", "SLACK_BOT_TOKEN", "well-formed" if ok_bot else "does not look like a bot token (xoxb-…)"),
        Check("OK" if ok_app else "FAIL", "SLACK_APP_TOKEN", "well-formed" if ok_app else "does not look like an app-level token (xapp-…)"),
        Check("OK", "STEWARD_TOKEN_KEY", key),
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
