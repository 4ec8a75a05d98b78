"""Two workspaces on one database (issue 11, part 3): two Steward processes (in this event loop), each with its
own workspace's tokens, on one emulator server hosting both workspaces (the token selects the workspace, as on
slack.com). Each workspace's morning thread, nudges, DMs and answers land only in it, also while one process is
down (its workspace's work waits, the other's goes on) and once it returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio
from cryptography.fernet import Fernet

from bot.clock import FrozenClock
from bot.doctor import collect
from bot.emulators.slack import SlackEmulator, payloads
from bot.inbox import event_key, store
from bot.services.notifications import Target, notify
from bot.settings import Settings
from bot.tenants import Tenants
from bot.tokens import TokenBox
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, TEAM, Running, dm, seed, start_steward
from tests.helpers import eventually, fetchval

BETA_TEAM = "T0BETA"
BEA, BORIS, BIANCA = "U0BEA", "U0BORIS", "U0BIANCA"
BETA_STANDUP = "C0BSTANDUP"
ALPHA_PEOPLE = {MAYA: "Maya", SAM: "Sam", PRIYA: "Priya", DIEGO: "Diego"}
BETA_PEOPLE = {BEA: "Bea", BORIS: "Boris", BIANCA: "Bianca"}
RHYTHM = "channel <#{channel}|standup> time 09:00 timezone America/New_York days mon-fri nudge 60 summary 120 eod 17:30"
THURSDAY_10AM = datetime(2026, 3, 5, 15, 0, 30, tzinfo=UTC)
FRIDAY_9AM = datetime(2026, 3, 6, 14, 0, 30, tzinfo=UTC)  # 09:00 in New York


@pytest_asyncio.fixture
async def workspaces() -> AsyncIterator[tuple[SlackEmulator, SlackEmulator]]:
    """Alpha (the usual Acme seed) and Beta on one emulator server, the same app installed in both."""
    alpha = SlackEmulator(team_id=TEAM, team_name="Acme Agency", ack_timeout=3.0)
    seed(alpha)
    beta = alpha.add_workspace(BETA_TEAM, "Beta Studio", bot_token="xoxb-beta-studio-bot", app_token="xapp-beta-studio-app",
                               bot_user_id="UBOTBETA", bot_id="BBETA", ack_timeout=3.0)
    beta.add_user(BEA, "bea", "Bea Novak", email="bea@beta.test", tz="America/New_York", is_owner=True)
    beta.add_user(BORIS, "boris", "Boris Lind", email="boris@beta.test", tz="America/New_York")
    beta.add_user(BIANCA, "bianca", "Bianca Rossi", email="bianca@beta.test", tz="America/New_York")
    beta.add_channel(BETA_STANDUP, "standup", members=[BEA, BORIS, BIANCA, beta.bot_user_id])
    await alpha.start()
    try:
        yield alpha, beta
    finally:
        await alpha.stop()


def orgs_of(conn: Any) -> Any:
    return conn.execute("SELECT pc.external_team_id, pc.organization_id FROM platform_connections pc")


async def org_ids(dsn: str) -> dict[str, int]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return dict(await (await orgs_of(conn)).fetchall())


async def configure(emu: SlackEmulator, admin: str, channel: str) -> None:
    result = await emu.slash_command(admin, "/steward", "standup " + RHYTHM.format(channel=channel), channel=channel)
    assert "Saved" in (await result.wait_for_response(timeout=10)).text


def thread_roots(emu: SlackEmulator, channel: str) -> list[dict[str, Any]]:
    return [m for m in emu.messages(channel, include_replies=False) if m.get("user") == emu.bot_user_id]


def bot_dms(emu: SlackEmulator, user: str) -> list[str]:
    dm_id = next((c.id for c in emu.workspace.channels.values() if c.is_im and c.im_user == user), None)
    return [] if dm_id is None else [f"{m.get('text')} {m.get('blocks') or ''}" for m in emu.messages(dm_id)
                                     if m.get("user") == emu.bot_user_id]


def everything_posted(emu: SlackEmulator) -> str:
    """Every message, ephemeral and view Steward put in this workspace, as one text."""
    parts = []
    for channel in emu.workspace.channels.values():
        parts += [f"{m.get('text')} {m.get('blocks')}" for m in emu.messages(channel.id) if m.get("user") == emu.bot_user_id]
    parts += [f"{e.text} {e.blocks}" for e in emu.ephemerals]
    parts += [str(v) for v in emu.home_views.values()]
    return "\n".join(parts)


def assert_no_cross_posts(alpha: SlackEmulator, beta: SlackEmulator) -> None:
    """No Web API call in either workspace was refused for naming a channel or person it does not have (what a
    call with the other workspace's token gets), and nothing Steward posted in one names the other's people."""
    for emu in (alpha, beta):
        refused = [(c.method, c.args.get("channel") or c.args.get("user"), c.response.get("error")) for c in emu.calls
                   if c.response.get("error") in ("channel_not_found", "user_not_found", "not_in_channel")]
        assert refused == [], f"{emu.team_id}: {refused}"
    alpha_text, beta_text = everything_posted(alpha), everything_posted(beta)
    for slack_id, name in BETA_PEOPLE.items():
        assert slack_id not in alpha_text and name not in alpha_text
    for slack_id, name in ALPHA_PEOPLE.items():
        assert slack_id not in beta_text and name not in beta_text


async def start_both(alpha: SlackEmulator, beta: SlackEmulator, dsn: str, tmp_path: Path, clock: FrozenClock,
                     **extra: str) -> tuple[Running, Running]:
    a = await start_steward(alpha, dsn, tmp_path / "a", clock=clock, **extra)
    b = await start_steward(beta, dsn, tmp_path / "b", clock=clock, **extra)
    for running in (a, b):
        running.bot.scheduler.shutdown()  # the test runs the jobs, at its own clock
    return a, b


async def stop_all(*running: Running) -> None:
    for r in running:
        try:
            await r.stop()
        except Exception as exc:  # already stopped by the test
            print(f"stop: {type(exc).__name__}: {exc}")


async def test_each_workspace_thread_nudges_dms_and_answers_land_only_in_it(
        workspaces: tuple[SlackEmulator, SlackEmulator], db_dsn: str, tmp_path: Path) -> None:
    alpha, beta = workspaces
    clock = FrozenClock(at=THURSDAY_10AM)
    a, b = await start_both(alpha, beta, db_dsn, tmp_path, clock)
    try:
        orgs = await org_ids(db_dsn)
        org_a, org_b = orgs[TEAM], orgs[BETA_TEAM]
        # Each process serves, and runs the jobs of, its own workspace only.
        assert (a.bot.tenants.organization_ids, b.bot.tenants.organization_ids) == ({org_a}, {org_b})
        assert (a.bot.leadership.led_organizations, b.bot.leadership.led_organizations) == ({org_a}, {org_b})
        await configure(alpha, MAYA, STANDUP)
        await configure(beta, BEA, BETA_STANDUP)

        # Friday 09:00 in New York: both schedulers tick at the same minute; each workspace gets its thread.
        clock.at = FRIDAY_9AM
        slot = FRIDAY_9AM.replace(second=0)
        ran = await asyncio.gather(a.bot.scheduler.run_claimed("morning-thread", slot),
                                   b.bot.scheduler.run_claimed("morning-thread", slot))
        assert [sorted(r) for r in ran] == [[str(org_a)], [str(org_b)]]
        await eventually(lambda: len(thread_roots(alpha, STANDUP)) == 1 and len(thread_roots(beta, BETA_STANDUP)) == 1)
        alpha_thread, beta_thread = thread_roots(alpha, STANDUP)[0], thread_roots(beta, BETA_STANDUP)[0]
        assert all(name in str(alpha_thread["blocks"]) for name in ("Maya", "Priya", "Diego", "Sam"))
        assert all(name in str(beta_thread["blocks"]) for name in ("Bea", "Boris", "Bianca"))

        # Replies in each thread are answered in that thread.
        await alpha.user_message(PRIYA, STANDUP, "Fix the login bug, then review the homepage copy",
                                 thread_ts=alpha_thread["ts"])
        await beta.user_message(BORIS, BETA_STANDUP, "Ship the studio landing page", thread_ts=beta_thread["ts"])
        await eventually(lambda: any(m.get("user") == alpha.bot_user_id for m in alpha.thread(STANDUP, alpha_thread["ts"]))
                         and any(m.get("user") == beta.bot_user_id for m in beta.thread(BETA_STANDUP, beta_thread["ts"])))

        # DMs are answered in the DM they came from.
        assert "Here's what I can do" in (await dm(alpha, SAM, "help"))["text"]
        assert "Here's what I can do" in (await dm(beta, BIANCA, "help"))["text"]

        # 10:00: both tick; whoever has not replied is nudged, in their own workspace.
        clock.at = FRIDAY_9AM + timedelta(hours=1)
        await asyncio.gather(a.bot.scheduler.run_claimed("nudges", clock.at.replace(second=0)),
                             b.bot.scheduler.run_claimed("nudges", clock.at.replace(second=0)))
        nudged_alpha, nudged_beta = {MAYA, SAM, DIEGO}, {BEA, BIANCA}
        await eventually(lambda: all(any("haven't posted" in t for t in bot_dms(alpha, u)) for u in nudged_alpha)
                         and all(any("haven't posted" in t for t in bot_dms(beta, u)) for u in nudged_beta))
        assert not any("haven't posted" in t for t in bot_dms(alpha, PRIYA) + bot_dms(beta, BORIS))
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            assert await fetchval(conn, "SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
            # Each job ran once per workspace, claimed by the process that holds its token.
            claims = await (await conn.execute(
                "SELECT job_name, organization_id, count(*) FROM job_runs GROUP BY 1, 2 ORDER BY 1, 2")).fetchall()
        assert claims == [("morning-thread", org_a, 1), ("morning-thread", org_b, 1), ("nudges", org_a, 1), ("nudges", org_b, 1)]
        assert_no_cross_posts(alpha, beta)
    finally:
        await stop_all(a, b)


async def test_while_one_process_is_down_its_workspace_waits_and_the_other_goes_on(
        workspaces: tuple[SlackEmulator, SlackEmulator], db_dsn: str, tmp_path: Path) -> None:
    alpha, beta = workspaces
    clock = FrozenClock(at=THURSDAY_10AM)
    a, b = await start_both(alpha, beta, db_dsn, tmp_path, clock)
    b_again: Running | None = None
    try:
        orgs = await org_ids(db_dsn)
        org_a, org_b = orgs[TEAM], orgs[BETA_TEAM]
        await configure(alpha, MAYA, STANDUP)
        await configure(beta, BEA, BETA_STANDUP)
        await eventually(lambda: bot_dms(beta, BEA))  # the welcome to Beta's admin went out before the stop
        # Beta's process received a DM, stored it and acked it, and was stopped before handling it.
        boris_dm = beta.workspace.dm_channel(BORIS)
        message = beta.add_message(boris_dm.id, "help", user=BORIS)
        envelope = payloads.event_callback(beta.identity, payloads.message_event(boris_dm, message), "EvBETAWAITS1")
        await b.bot.worker.stop()
        await store(b.pool, "events_api", envelope, event_key("events_api", envelope))
        await b.stop()

        # Alpha's process goes on: its thread, its DMs; Beta's thread is not posted, nor with Alpha's token.
        clock.at = FRIDAY_9AM
        ran = await a.bot.scheduler.run_claimed("morning-thread", FRIDAY_9AM.replace(second=0))
        assert list(ran) == [str(org_a)] and ran[str(org_a)]["participants"] == 4
        await eventually(lambda: len(thread_roots(alpha, STANDUP)) == 1)
        assert "Here's what I can do" in (await dm(alpha, SAM, "help"))["text"]
        # Work queued for Beta (a delivery, an inbox row) waits; Alpha's own goes.
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            for org, who in ((org_b, BORIS), (org_a, DIEGO)):
                await notify(conn, organization_id=org, kind="test.fyi", dedupe_key=f"fyi-{who}", text=f"FYI {who}",
                             targets=[Target.dm(who)], now=clock.now(), urgent=True)
            sent = await a.bot.dispatcher.deliver_due(clock.now())
            await a.bot.worker.run_once()
            assert len(sent) == 1 and any(t.startswith(f"FYI {DIEGO}") for t in bot_dms(alpha, DIEGO))
            assert await fetchval(conn, "SELECT d.status FROM notification_deliveries d JOIN notifications n "
                                        "ON n.id = d.notification_id WHERE n.dedupe_key = 'fyi-U0BORIS'") == "pending"
            assert await fetchval(conn, "SELECT status FROM event_inbox WHERE event_key = 'ev:EvBETAWAITS1'") == "pending"
        assert thread_roots(beta, BETA_STANDUP) == [] and bot_dms(beta, BORIS) == []
        assert_no_cross_posts(alpha, beta)
        # `steward doctor` says so: Beta's process stopped (its row is gone), and Beta's work waits.
        checks = {c.name: c for c in await collect(Settings.from_env({"DATABASE_URL": db_dsn}))}
        assert checks["workspace Beta Studio (T0BETA)"].status == "WARN"
        assert "no running process holds its bot token" in checks["workspace Beta Studio (T0BETA)"].detail
        assert checks["workspace Acme Agency (T0ACME)"].status == "OK"

        # Beta's process returns (09:20, still the morning): its thread, the waiting DM and the answer go out.
        clock.at = FRIDAY_9AM + timedelta(minutes=20)
        b_again = await start_steward(beta, db_dsn, tmp_path / "b2", clock=clock)
        b_again.bot.scheduler.shutdown()
        ran = await b_again.bot.scheduler.run_claimed("morning-thread", clock.at.replace(second=0))
        assert ran is not None and ran[str(org_b)]["participants"] == 3
        await eventually(lambda: len(thread_roots(beta, BETA_STANDUP)) == 1
                         and any(t.startswith(f"FYI {BORIS}") for t in bot_dms(beta, BORIS))
                         and any("Here's what I can do" in t for t in bot_dms(beta, BORIS)))
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            await eventually(lambda: fetchval(conn, "SELECT status = 'done' FROM event_inbox WHERE event_key = 'ev:EvBETAWAITS1'"))
            assert await fetchval(conn, "SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
        assert len(thread_roots(alpha, STANDUP)) == 1
        assert_no_cross_posts(alpha, beta)
    finally:
        await stop_all(a, *([b_again] if b_again else []))


async def test_with_a_shared_key_the_stored_token_serves_a_workspace_whose_process_is_down(
        workspaces: tuple[SlackEmulator, SlackEmulator], db_dsn: str, tmp_path: Path) -> None:
    alpha, beta = workspaces
    key = Fernet.generate_key().decode()
    clock = FrozenClock(at=THURSDAY_10AM)
    a, b = await start_both(alpha, beta, db_dsn, tmp_path, clock, STEWARD_TOKEN_KEY=key)
    try:
        orgs = await org_ids(db_dsn)
        org_a, org_b = orgs[TEAM], orgs[BETA_TEAM]
        # Each process stored its own token, encrypted: never in plain text, readable only with the key.
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            sealed = dict(await (await conn.execute(
                "SELECT external_team_id, bot_token_sealed FROM platform_connections")).fetchall())
            dump = str(await (await conn.execute("SELECT * FROM platform_connections")).fetchall())
        assert alpha.bot_token not in dump and beta.bot_token not in dump
        assert TokenBox(key).open(sealed[BETA_TEAM]) == beta.bot_token
        assert TokenBox(Fernet.generate_key().decode()).open(sealed[BETA_TEAM]) is None
        await configure(alpha, MAYA, STANDUP)
        await configure(beta, BEA, BETA_STANDUP)
        # Alpha's process takes up Beta's stored token at its next heartbeat (Beta's took up Alpha's as it started,
        # Alpha's being stored by then); each still runs only its own workspace's jobs, whose lock it took first.
        await a.bot.registry.beat()
        assert a.bot.tenants.organization_ids == b.bot.tenants.organization_ids == {org_a, org_b}
        assert (a.bot.leadership.led_organizations, b.bot.leadership.led_organizations) == ({org_a}, {org_b})
        assert a.bot.tenants.client_for(org_b).token == beta.bot_token
        # `steward doctor` lists each process and what it serves.
        listed = await collect(Settings.from_env({"DATABASE_URL": db_dsn, "STEWARD_TOKEN_KEY": key}))
        checks = {c.name: c for c in listed}
        processes = sorted(c.detail for c in listed if c.name.startswith("process "))
        assert processes == [
            "slack; serves Acme Agency (T0ACME), Beta Studio (T0BETA); runs the jobs of Acme Agency (T0ACME) and the jobs of "
            "no one workspace; last heartbeat 0 s ago",
            "slack; serves Acme Agency (T0ACME), Beta Studio (T0BETA); runs the jobs of Beta Studio (T0BETA); "
            "last heartbeat 0 s ago"]
        assert checks["workspace Beta Studio (T0BETA)"].status == "OK"
        assert "encrypted with this STEWARD_TOKEN_KEY" in checks["workspace Beta Studio (T0BETA)"].detail

        await b.stop()
        await a.bot.registry.beat()  # Beta's jobs are led by the process that still holds its token
        assert a.bot.leadership.led_organizations == {org_a, org_b}
        clock.at = FRIDAY_9AM
        ran = await a.bot.scheduler.run_claimed("morning-thread", FRIDAY_9AM.replace(second=0))
        assert sorted(ran) == sorted([str(org_a), str(org_b)])
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            await notify(conn, organization_id=org_b, kind="test.fyi", dedupe_key="fyi-boris", text="FYI Boris",
                         targets=[Target.dm(BORIS)], now=clock.now(), urgent=True)
        a.bot.dispatcher.wake()
        await eventually(lambda: len(thread_roots(alpha, STANDUP)) == 1 and len(thread_roots(beta, BETA_STANDUP)) == 1
                         and any(t.startswith("FYI Boris") for t in bot_dms(beta, BORIS)))
        assert all(name in str(thread_roots(beta, BETA_STANDUP)[0]["blocks"]) for name in ("Bea", "Boris", "Bianca"))
        assert_no_cross_posts(alpha, beta)
    finally:
        await stop_all(a, b)


async def test_a_stored_token_serves_only_the_workspace_it_belongs_to(
        workspaces: tuple[SlackEmulator, SlackEmulator], db_dsn: str, pool: Any, tmp_path: Path) -> None:
    alpha, beta = workspaces
    key = Fernet.generate_key().decode()
    box = TokenBox(key)
    for emu in (alpha, beta):  # each workspace's own process stores its token (without running the bot here)
        own = Tenants(pool, environment=_client(emu), box=box)
        await own.refresh()
    orgs = await org_ids(db_dsn)
    org_a, org_b = orgs[TEAM], orgs[BETA_TEAM]
    reader = Tenants(pool, environment=None, box=box, api_url=alpha.api_url)
    await reader.refresh()
    assert reader.organization_ids == {org_a, org_b}
    assert (reader.client_for(org_a).token, reader.client_for(org_b).token) == (alpha.bot_token, beta.bot_token)
    async with pool.connection() as conn:
        # Tokens swapped between the rows: neither is used (each names the other team in auth.test).
        await conn.execute("UPDATE platform_connections SET bot_token_sealed = CASE external_team_id "
                           "WHEN %s THEN %s ELSE %s END", (TEAM, box.seal(beta.bot_token), box.seal(alpha.bot_token)))
        swapped = Tenants(pool, environment=None, box=box, api_url=alpha.api_url)
        await swapped.refresh()
        assert swapped.organization_ids == frozenset()
        await reader.refresh()
        assert reader.organization_ids == frozenset()
        # Beta's token sealed with another key is not readable here; Alpha's is, and serves again.
        await conn.execute("UPDATE platform_connections SET bot_token_sealed = %s WHERE external_team_id = %s",
                           (box.seal(alpha.bot_token), TEAM))
        await conn.execute("UPDATE platform_connections SET bot_token_sealed = %s WHERE external_team_id = %s",
                           (TokenBox(Fernet.generate_key().decode()).seal(beta.bot_token), BETA_TEAM))
    await reader.refresh()
    assert reader.organization_ids == {org_a}
    # A token revoked in Slack is dropped at the next refresh.
    alpha.bot_token = "xoxb-alpha-reinstalled"
    await reader.refresh()
    assert reader.organization_ids == frozenset()
    await reader.aclose()


def _client(emu: SlackEmulator) -> Any:
    from bot.slack_app import build_client

    return build_client(emu.bot_token, emu.api_url)
