"""`steward doctor`: a checklist of what Steward needs, each line OK, WARN or FAIL, saying what to do.

Checks: the migrations found in this install; the database, its PostgreSQL and pgvector versions against
the minimums (db/database.py); migrations applied; the event inbox; the Slack tokens, then with Slack itself
(``auth.test``): the token's workspace, its scopes against Steward's manifest (the ``x-oauth-scopes`` header
Slack puts on every answer), the bot's membership in the standup channel, and other workspaces using the
same database; OpenAI or offline mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from slack_sdk.errors import SlackApiError

from bot.manifest import bot_scopes
from bot.settings import Settings
from db import migrate
from db.database import MIN_PGVECTOR, MIN_SERVER_VERSION, check_server, locate
from sql import MIGRATIONS_DIR


@dataclass(frozen=True)
class Check:
    status: str  # OK | WARN | FAIL
    name: str
    detail: str


async def collect(settings: Settings, *, slack: Any = None) -> list[Check]:
    """Every check, in order. ``slack``: an AsyncWebClient to ask (default: one for SLACK_BOT_TOKEN at
    SLACK_API_URL, when the tokens are set). Never raises: a failure is a FAIL line."""
    checks: list[Check] = [install_check()]
    try:
        db = locate(settings)
    except Exception as exc:  # the embedded server or DSN may fail in many ways; report, don't crash
        return [*checks, Check("FAIL", "database reachable", str(exc).splitlines()[0])]
    token_checks = _slack_checks(settings)
    try:
        async with await db.connect() as conn:
            where = "embedded server in " + str(settings.data_dir) if db.embedded else "DATABASE_URL"
            version_num = int((await (await conn.execute("SHOW server_version_num")).fetchone())[0])  # type: ignore[index]
            version = str((await (await conn.execute("SHOW server_version")).fetchone())[0])  # type: ignore[index]
            checks.append(Check("OK", "database reachable", f"PostgreSQL {version} ({where})"))
            checks.append(server_version_check(version_num, version))
            if version_num >= MIN_SERVER_VERSION:
                _, pgvector = await check_server(conn)
                checks.extend(await _pgvector_checks(conn, pgvector))
                checks.append(await _migration_check(conn))
                checks.extend(await _inbox_checks(conn))
                checks.extend(await _workspace_checks(conn, settings))
            checks.extend(token_checks)
            if settings.slack_configured and all(c.status == "OK" for c in token_checks):
                checks.extend(await slack_checks(conn, slack or _client(settings)))
            token_checks = []
    except Exception as exc:
        checks.append(Check("FAIL", "database reachable", str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    finally:
        await db.close()
    checks.extend(token_checks)
    checks.append(_openai_check(settings))
    return checks


def install_check() -> Check:
    """Whether this install carries its migrations (a wheel without sql/ cannot build a schema)."""
    try:
        found = migrate.discover(MIGRATIONS_DIR)
    except migrate.MigrationError as exc:
        return Check("FAIL", "migrations in the install", str(exc))
    return Check("OK", "migrations in the install", f"{len(found)} files in {MIGRATIONS_DIR}")


def server_version_check(version_num: int, version: str) -> Check:
    """PostgreSQL ``version`` (``server_version_num``, e.g. 160004) against Steward's minimum (15)."""
    minimum = MIN_SERVER_VERSION // 10000
    if version_num < MIN_SERVER_VERSION:
        return Check("FAIL", "PostgreSQL version",
                     f"{version} is too old: Steward needs {minimum} or newer (e.g. the pgvector/pgvector:pg16 image)")
    return Check("OK", "PostgreSQL version", f"{version} (minimum {minimum})")


def pgvector_check(pgvector: str | None) -> Check:
    """The pgvector version available or installed, against Steward's minimum (0.7)."""
    minimum = ".".join(str(p) for p in MIN_PGVECTOR)
    if pgvector is None:
        return Check("FAIL", "pgvector", "the vector extension is not available on this server: use the "
                     "pgvector/pgvector image or install postgresql-NN-pgvector")
    if tuple(int(p) for p in pgvector.split(".")[:2]) < MIN_PGVECTOR:
        return Check("FAIL", "pgvector", f"version {pgvector} is too old: Steward needs {minimum} or newer "
                     "(then `ALTER EXTENSION vector UPDATE`)")
    return Check("OK", "pgvector", f"version {pgvector} (minimum {minimum})")


async def _pgvector_checks(conn: psycopg.AsyncConnection, pgvector: str | None) -> list[Check]:
    out = [pgvector_check(pgvector)]
    if pgvector is None:
        return out
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


def _client(settings: Settings) -> Any:
    from bot.slack_app import build_client

    token = settings.slack_bot_token.reveal() if settings.slack_bot_token else ""
    return build_client(token, settings.slack_api_url)


async def slack_checks(conn: psycopg.AsyncConnection, slack: Any) -> list[Check]:
    """What Slack says about the bot token (``auth.test``): its workspace, its scopes against Steward's
    manifest, the bot in the standup channel, and other workspaces' organizations in this database."""
    try:
        auth = await slack.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else str(exc)
        return [Check("FAIL", "Slack", f"auth.test refused the bot token ({error}): reinstall the app and copy its "
                      "new Bot User OAuth Token into SLACK_BOT_TOKEN")]
    except Exception as exc:
        return [Check("FAIL", "Slack", f"could not reach Slack ({type(exc).__name__}: {exc}); check the network "
                      "and SLACK_API_URL")]
    team_id, team = str(auth.get("team_id")), auth.get("team") or "?"
    checks = [Check("OK", "Slack", f"connected to {team} ({team_id}) as @{auth.get('user')}")]
    checks.append(scopes_check(auth.headers.get("x-oauth-scopes") or auth.headers.get("X-OAuth-Scopes")))
    row = await (await conn.execute(
        "SELECT pc.organization_id, s.standup_channel_id FROM platform_connections pc "
        "LEFT JOIN org_settings s ON s.organization_id = pc.organization_id "
        "WHERE pc.platform = 'slack' AND pc.external_team_id = %s", (team_id,))).fetchone()
    if row is None:
        checks.append(Check("WARN", "standup channel", f"{team} is not in this database yet: start `steward run` once"))
    else:
        checks.append(await standup_channel_check(slack, row[1]))
    others = await (await conn.execute(
        "SELECT pc.external_team_id, coalesce(pc.team_name, o.name), pc.last_synced_at FROM platform_connections pc "
        "JOIN organizations o ON o.id = pc.organization_id "
        "WHERE pc.platform = 'slack' AND pc.status = 'active' AND pc.external_team_id <> %s ORDER BY 2", (team_id,))).fetchall()
    if others:
        named = ", ".join(f"{name} ({tid}, last seen {seen:%Y-%m-%d %H:%M} UTC)" if seen else f"{name} ({tid})"
                          for tid, name, seen in others)
        checks.append(Check("WARN", "other workspaces", f"this database also serves {named}. Each workspace's "
                            "processes must run with that workspace's own tokens; if you did not mean to share it, "
                            "point DATABASE_URL at a database of its own"))
    else:
        checks.append(Check("OK", "other workspaces", f"none: this database serves {team} only"))
    return checks


def scopes_check(header: str | None) -> Check:
    """The token's scopes (Slack's ``x-oauth-scopes`` header, comma separated) against the manifest's bot
    scopes: a missing one is a FAIL naming it (Steward's calls needing it would answer missing_scope)."""
    wanted = bot_scopes()
    if header is None:
        return Check("WARN", "Slack scopes", "Slack did not say which scopes the token has (no x-oauth-scopes header)")
    granted = {s.strip() for s in header.split(",") if s.strip()}
    missing = sorted(wanted - granted)
    if missing:
        return Check("FAIL", "Slack scopes", f"the app lacks {', '.join(missing)}: add them under OAuth & Permissions "
                     "(or update the app from manifest.yaml) and reinstall it to the workspace")
    return Check("OK", "Slack scopes", f"all {len(wanted)} scopes of manifest.yaml granted")


async def standup_channel_check(slack: Any, channel_id: str | None) -> Check:
    """Whether the bot is a member of the standup channel (``conversations.info``'s ``is_member``)."""
    if not channel_id:
        return Check("WARN", "standup channel", "none set yet: an admin runs `/steward standup channel #standup`")
    try:
        info = (await slack.conversations_info(channel=channel_id))["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else str(exc)
        return Check("FAIL", "standup channel", f"Slack cannot show {channel_id} to Steward ({error}): it was deleted, "
                     "or it is private and Steward is not in it. `/invite @Steward` there, or choose another channel")
    name = f"#{info.get('name')}" if info.get("name") else channel_id
    if info.get("is_archived"):
        return Check("FAIL", "standup channel", f"{name} is archived: choose another with `/steward standup channel #…`")
    if not info.get("is_member"):
        return Check("FAIL", "standup channel", f"Steward is not in {name}, so it cannot post the morning thread: "
                     f"type `/invite @Steward` in {name}")
    return Check("OK", "standup channel", f"Steward is in {name}")


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
