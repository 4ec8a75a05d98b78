"""Two workspaces on one database with real processes (issue 11, part 3): two `steward run` children, each with
its own workspace's tokens, on one emulator server hosting both workspaces and one PostgreSQL. Each workspace's
thread, messages, DMs and answers land only in it (0 cross-posts); while one process is killed (kill -9) its
workspace's work waits and the other's goes on; when it returns, the waiting work is done. Each process has
its own STEWARD_TOKEN_KEY: both tokens are stored encrypted, and neither process can read the other's.

CI size: 20 notifications per workspace before the kill and 10 while it is down; ``STEWARD_CHAOS_FULL=1``: 300
and 150."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.emulators.slack import SlackEmulator, payloads
from bot.inbox import event_key, store
from bot.services.notifications import Target, notify
from db.pool import open_pool
from tests.chaos.harness import StewardProcess, process_env, query, size, value
from tests.e2e.conftest import DIEGO, MAYA, SAM, STANDUP, TEAM, answer_text, dm
from tests.e2e.test_two_workspaces import (
    BEA,
    BETA_STANDUP,
    BETA_TEAM,
    BIANCA,
    BORIS,
    FRIDAY_9AM,
    RHYTHM,
    assert_no_cross_posts,
    bot_dms,
    thread_roots,
    workspaces,
)
from tests.helpers import eventually

__all__ = ["workspaces"]

BEFORE = size(20, 300)
WHILE_DOWN = size(10, 150)


async def jobs_run(env: dict[str, str], job: str, now: str) -> dict[str, Any]:
    """`steward jobs run JOB --now NOW` as its own process with ``env``'s tokens; its JSON report."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "jobs", "run", job, "--now", now, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                stdin=asyncio.subprocess.DEVNULL)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    return dict(json.loads(out))


async def queue(pool: Any, org: int, who: str, count: int, tag: str, now: Any) -> None:
    async with pool.connection() as conn:
        for i in range(count):
            await notify(conn, organization_id=org, kind="test.burst", dedupe_key=f"{tag}-{who}-{i}", text=f"{tag} {i}",
                         targets=[Target.dm(who)], now=now, urgent=True)


def received(emu: SlackEmulator, user: str, tag: str) -> list[str]:
    return sorted(t.split()[1] for t in bot_dms(emu, user) if t.startswith(f"{tag} "))


async def test_two_processes_two_workspaces_one_database_and_a_kill(
        workspaces: tuple[SlackEmulator, SlackEmulator], db_dsn: str, tmp_path: Path) -> None:
    alpha, beta = workspaces
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env_a = process_env(alpha, db_dsn, tmp_path / "a", STEWARD_TOKEN_KEY=key_a)
    env_b = process_env(beta, db_dsn, tmp_path / "b", STEWARD_TOKEN_KEY=key_b)
    a, b = StewardProcess(env_a, name="alpha"), StewardProcess(env_b, name="beta")
    pool = await open_pool(db_dsn, min_size=1, max_size=2, name="chaos-two-workspaces")
    try:
        await a.start(alpha)
        await b.start(beta)
        orgs = dict(await query(db_dsn, "SELECT external_team_id, organization_id FROM platform_connections"))
        org_a, org_b = orgs[TEAM], orgs[BETA_TEAM]
        for emu, admin, channel in ((alpha, MAYA, STANDUP), (beta, BEA, BETA_STANDUP)):
            saved = await answer_text(emu, admin, "/steward", "standup " + RHYTHM.format(channel=channel), channel=channel)
            assert "Saved" in saved

        # Each workspace's DMs are answered in it, by its own process.
        assert "Here's what I can do" in (await dm(alpha, SAM, "help", within=30))["text"]
        assert "Here's what I can do" in (await dm(beta, BIANCA, "help", within=30))["text"]
        # A job run from the command line with one workspace's token works on that workspace only.
        for env, org in ((env_a, org_a), (env_b, org_b)):
            report = await jobs_run(env, "morning-thread", FRIDAY_9AM.isoformat())
            assert list(report["result"]) == [str(org)] and report["result"][str(org)]["thread"] == "2026-03-06"
        friday = [m for m in thread_roots(alpha, STANDUP) if "Friday 6 March" in str(m.get("blocks"))]
        assert len(friday) == 1 and all(n in str(friday[0]["blocks"]) for n in ("Maya", "Sam", "Priya", "Diego"))
        friday = [m for m in thread_roots(beta, BETA_STANDUP) if "Friday 6 March" in str(m.get("blocks"))]
        assert len(friday) == 1 and all(n in str(friday[0]["blocks"]) for n in ("Bea", "Boris", "Bianca"))
        # A burst for each workspace: every message once, in its own workspace.
        now = FRIDAY_9AM
        await asyncio.gather(queue(pool, org_a, DIEGO, BEFORE, "burst", now), queue(pool, org_b, BORIS, BEFORE, "burst", now))
        expected = sorted(str(i) for i in range(BEFORE))
        await eventually(lambda: received(alpha, DIEGO, "burst") == expected and received(beta, BORIS, "burst") == expected,
                         within=60)

        # kill -9 Beta's process, with a DM it had stored and acked but not handled yet.
        boris_dm = beta.workspace.dm_channel(BORIS)
        message = beta.add_message(boris_dm.id, "help", user=BORIS)
        envelope = payloads.event_callback(beta.identity, payloads.message_event(boris_dm, message), "EvBETAKILLED1")
        await b.kill()
        await store(pool, "events_api", envelope, event_key("events_api", envelope))
        await asyncio.gather(queue(pool, org_b, BORIS, WHILE_DOWN, "down", now), queue(pool, org_a, DIEGO, WHILE_DOWN, "down", now))
        # Alpha goes on: its messages and its DMs (rows queued after Beta's, claimed in order: Beta's were passed over).
        want = sorted(str(i) for i in range(WHILE_DOWN))
        await eventually(lambda: received(alpha, DIEGO, "down") == want, within=60)
        assert "Here's what I can do" in (await dm(alpha, SAM, "help", within=30))["text"]
        report = await jobs_run(env_a, "nudges", (FRIDAY_9AM.replace(hour=15)).isoformat())
        assert list(report["result"]) == [str(org_a)]
        assert received(beta, BORIS, "down") == [] and not any("Here's what I can do" in t for t in bot_dms(beta, BORIS))
        assert await value(db_dsn, "SELECT count(*) FROM notification_deliveries WHERE organization_id = %s "
                                   "AND status = 'pending'", (org_b,)) == WHILE_DOWN
        assert await value(db_dsn, "SELECT status FROM event_inbox WHERE event_key = 'ev:EvBETAKILLED1'") == "pending"
        assert_no_cross_posts(alpha, beta)

        # Beta's process returns: the waiting messages and the DM's answer go out, in Beta.
        await b.start(beta)
        await eventually(lambda: received(beta, BORIS, "down") == want
                         and any("Here's what I can do" in t for t in bot_dms(beta, BORIS)), within=60)
        assert await value(db_dsn, "SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
        assert await value(db_dsn, "SELECT status FROM event_inbox WHERE event_key = 'ev:EvBETAKILLED1'") == "done"
        # Exactly once each, never in the other workspace.
        assert received(alpha, DIEGO, "burst") == expected and received(beta, BORIS, "burst") == expected
        assert_no_cross_posts(alpha, beta)
        assert await a.terminate(timeout=30) == 0 and await b.terminate(timeout=30) == 0
        # Both tokens are stored, encrypted; no token or key ever reached a log.
        assert await value(db_dsn, "SELECT count(*) FROM platform_connections WHERE bot_token_sealed IS NOT NULL") == 2
        logs = "\n".join(a.log_lines() + b.log_lines())
        assert "serving_workspace" in logs
        for secret in (alpha.bot_token, beta.bot_token, alpha.app_token, beta.app_token, key_a, key_b):
            assert secret not in logs
    finally:
        await a.aclose()
        await b.aclose()
        await pool.close()
