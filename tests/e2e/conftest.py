"""End-to-end fixtures: the Slack emulator, a seeded workspace, and a real Steward process
(in this event loop) connected to it over Socket Mode, on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import Steward
from bot.clock import Clock
from bot.emulators.slack import ResponsePost, SlackEmulator
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings
from db.pool import open_pool

TEAM = "T0ACME"
MAYA, SAM, PRIYA, DIEGO = "U0MAYA", "U0SAM", "U0PRIYA", "U0DIEGO"
STANDUP, ACME = "C0STANDUP", "C0ACME"


def seed(emu: SlackEmulator) -> None:
    emu.add_user(MAYA, "maya", "Maya Lopez", email="maya@acme.test", tz="America/New_York", is_owner=True)
    emu.add_user(SAM, "sam", "Sam Carter", email="sam@acme.test", tz="Europe/London")
    emu.add_user(PRIYA, "priya", "Priya Nair", email="priya@acme.test", tz="Asia/Kolkata")
    emu.add_user(DIEGO, "diego", "Diego Ruiz", email="diego@acme.test", tz="America/New_York")
    emu.add_channel(STANDUP, "standup", members=[MAYA, SAM, PRIYA, DIEGO, emu.bot_user_id])
    emu.add_channel(ACME, "client-acme", members=[MAYA, SAM, emu.bot_user_id])


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    emu = SlackEmulator(team_id=TEAM, team_name="Acme Agency", ack_timeout=3.0)  # Slack's own limit
    seed(emu)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


def settings_for(emu: SlackEmulator, tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env({
        "SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token, "SLACK_API_URL": emu.api_url,
        "STEWARD_DATA_DIR": str(tmp_path), **extra,
    })


@dataclass
class Running:
    bot: Steward
    pool: Any

    async def stop(self) -> None:
        await self.bot.stop()
        await self.pool.close()


async def start_steward(emu: SlackEmulator, db_dsn: str, tmp_path: Path, *, clock: Clock | None = None,
                        connect: bool = True, **extra: str) -> Running:
    pool = await open_pool(db_dsn, min_size=1, max_size=10, name="steward-e2e")
    bot = Steward(settings_for(emu, tmp_path, **extra), pool, db_dsn, clock=clock or Clock(), health_port=0,
                  leader_retry_seconds=0.3)
    before = emu.connections
    await bot.start(connect=connect)
    if connect:
        await emu.wait_for_connections(before + 1, timeout=20)
    return Running(bot, pool)


@pytest_asyncio.fixture
async def steward(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path)
    try:
        yield running.bot
    finally:
        await running.stop()


async def answer(emu: SlackEmulator, user: str, command: str, text: str = "", *, channel: str = ACME) -> ResponsePost:
    """Run a slash command as ``user`` and return Steward's response to it."""
    result = await emu.slash_command(user, command, text, channel=channel)
    return await result.wait_for_response(timeout=10)


async def answer_text(emu: SlackEmulator, user: str, command: str, text: str = "", *, channel: str = ACME) -> str:
    return (await answer(emu, user, command, text, channel=channel)).text or ""


async def dm(emu: SlackEmulator, user: str, text: str, *, within: float = 10) -> dict[str, Any]:
    """Send Steward a DM as ``user`` and return the bot's next message in that DM."""
    channel = await emu.dm_channel(user)
    mark = len(emu.calls)
    await emu.user_message(user, channel, text)
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user),
                                   timeout=within, since=mark)
    return call.args


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def sandbox_steward(db_dsn: str, tmp_path: Path, *, scheduler: bool = True) -> AsyncIterator[tuple[Sandbox, Steward]]:
    """`steward run` with no tokens: the sandbox's seeded workspace and the real Steward behind it.
    ``scheduler=False`` stops the scheduler once started (the test runs jobs itself)."""
    sandbox = Sandbox()
    await sandbox.start()
    settings = replace(Settings.from_env({"STEWARD_DATA_DIR": str(tmp_path)}), slack_bot_token=Secret(sandbox.bot_token),
                       slack_app_token=Secret(sandbox.app_token), slack_api_url=sandbox.api_url)
    pool = await open_pool(db_dsn, min_size=1, max_size=8)
    bot = Steward(settings, pool, db_dsn, clock=sandbox.clock, sandbox=True, health_port=0)
    sandbox.attach(bot)
    await bot.start()
    if not scheduler:
        bot.scheduler.shutdown()
    await sandbox.emulator.wait_for_connections(1, timeout=20)
    try:
        yield sandbox, bot
    finally:
        await bot.stop()
        await pool.close()
        await sandbox.stop()
