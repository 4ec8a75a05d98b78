"""Restarting `steward run` in the sandbox: the workspace comes back as it was and Steward's database agrees
with it; `--reset` starts both afresh (the real Steward, the real sandbox, the real database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.app import Steward, bind_sandbox, open_sandbox
from bot.sandbox import DEMO_TEAM_ID, Sandbox
from bot.sandbox.persistence import demo_organization
from bot.settings import Secret, Settings
from db.pool import open_pool
from tests.e2e.test_sandbox_first_question import QUESTION, _ask
from tests.helpers import fetchval

PRIYA = "U0DEMOPRIY"
MAYA = "U0DEMOMAYA"
ACME = "C0DEMOACME"


@dataclass
class Run:
    sandbox: Sandbox
    bot: Steward
    pool: Any

    async def stop(self) -> None:
        await self.bot.stop()
        await self.pool.close()
        await self.sandbox.stop()


async def start(db_dsn: str, data_dir: Path, *, reset: bool = False) -> Run:
    """What `steward run` does with no Slack tokens, on this data directory and database."""
    settings = Settings.from_env({"STEWARD_DATA_DIR": str(data_dir), "DATABASE_URL": db_dsn})
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        sandbox = await open_sandbox(settings, conn, port=0, reset=reset)
    settings = replace(settings, slack_bot_token=Secret(sandbox.bot_token), slack_app_token=Secret(sandbox.app_token),
                       slack_api_url=sandbox.api_url)
    pool = await open_pool(db_dsn, min_size=1, max_size=8)
    bot = Steward(settings, pool, db_dsn, clock=sandbox.clock, sandbox=True, health_port=0)
    sandbox.attach(bot)
    await bot.start()
    await sandbox.emulator.wait_for_connections(1, timeout=20)
    await bind_sandbox(sandbox, pool)
    return Run(sandbox, bot, pool)


@pytest.fixture
async def runs() -> AsyncIterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        if run.sandbox._runner is not None:
            await run.stop()


async def _draft_preview(run: Run, dm: str) -> dict[str, Any]:
    emu = run.sandbox.emulator
    mark = len(emu.calls)
    await emu.user_message(PRIYA, dm, "I'll redo the Acme landing page by Friday and fix the login bug")
    await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (dm, PRIYA) and bool(c.args.get("blocks")),
                            since=mark, timeout=20)
    return next(m for m in reversed(emu.messages(dm)) if m.get("bot_id") and "draft_confirm" in str(m.get("blocks")))


@pytest.mark.timeout(180)
async def test_restart_keeps_the_workspace_and_the_database_agrees(db_dsn: str, tmp_path: Path, runs: list[Run]) -> None:
    first = await start(db_dsn, tmp_path)
    runs.append(first)
    assert first.sandbox.notice is None
    dm = await first.sandbox.emulator.dm_channel(PRIYA)
    preview = await _draft_preview(first, dm)
    await first.sandbox.emulator.user_message(MAYA, ACME, "Acme signed off the new hero copy today.")
    messages_before = {c: [m["ts"] for m in first.sandbox.emulator.messages(c)] for c in (dm, ACME)}
    await first.stop()
    assert first.sandbox.state_file is not None and first.sandbox.state_file.path.is_file()

    second = await start(db_dsn, tmp_path)
    runs.append(second)
    emu = second.sandbox.emulator
    assert second.sandbox.notice is None
    assert await emu.dm_channel(PRIYA) == dm
    for channel, stamps in messages_before.items():
        assert [m["ts"] for m in emu.messages(channel)][:len(stamps)] == stamps
    # Every Slack message the database points at is there after the restart.
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        refs = await (await conn.execute(
            "SELECT source_channel_id, source_ts, preview_channel_id, preview_ts FROM task_drafts")).fetchall()
        stored = await (await conn.execute("SELECT channel_id, ts FROM channel_messages")).fetchall()
        client_channels = await (await conn.execute("SELECT slack_channel_id FROM clients")).fetchall()
    assert refs and stored and client_channels
    for source_channel, source_ts, preview_channel, preview_ts in refs:
        assert emu.message(source_channel, source_ts) is not None
        assert emu.message(preview_channel, preview_ts) is not None
    for channel, ts in stored:
        assert emu.message(channel, ts) is not None, (channel, ts)
    assert all(emu.workspace.channels.get(c) is not None for (c,) in client_channels)

    # The button Steward posted before the restart still works after it.
    pressed = await emu.click_button(PRIYA, preview["ts"], dm, "draft_confirm")
    assert pressed.acked
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        for _ in range(200):
            if await fetchval(conn, "SELECT count(*) FROM tasks") == 2:
                break
            await _pause()
        assert await fetchval(conn, "SELECT string_agg(display_id, ',' ORDER BY display_number) FROM tasks") == "T-1,T-2"
    await second.stop()

    # --reset: both start afresh, and say so.
    third = await start(db_dsn, tmp_path, reset=True)
    runs.append(third)
    assert third.sandbox.notice is not None and "--reset" in third.sandbox.notice
    emu = third.sandbox.emulator
    assert not any("landing page" in m["text"] for m in emu.messages(await emu.dm_channel(PRIYA)))
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM tasks") == 0
        assert await fetchval(conn, "SELECT count(*) FROM task_drafts") == 0
        marker = await demo_organization(conn, DEMO_TEAM_ID)
        assert marker is not None and marker == third.sandbox.organization  # re-created, and tied to the file
        assert await fetchval(conn, "SELECT name FROM clients") == "Acme Corp"  # the demo seed again
    # ...and its history is in memory again before anyone asks (README's first memory example).
    answer = await _ask(third.sandbox, MAYA, ACME, QUESTION)
    assert "SSO certificate" in answer, answer
    await third.stop()


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)
