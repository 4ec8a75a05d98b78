"""The chaos harness itself, on a real `steward run` child: it connects and answers, survives kill -9 and a
restart, and exits 0 on SIGTERM."""

from __future__ import annotations

import pytest

from bot.emulators.slack import SlackEmulator
from tests.chaos.harness import StewardProcess
from tests.e2e.conftest import MAYA, answer_text

pytestmark = pytest.mark.asyncio


async def test_kill_restart_and_stop(emulator: SlackEmulator, steward_process: StewardProcess, db_dsn: str) -> None:
    assert "help" in (await answer_text(emulator, MAYA, "/steward", "help")).lower()

    await steward_process.kill()
    assert not steward_process.running
    await steward_process.start(emulator)
    channel = await emulator.dm_channel(MAYA)
    marker = len(emulator.calls)
    await emulator.user_message(MAYA, channel, "help")
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, MAYA),
                                 timeout=30, since=marker)
    assert "help" in (await answer_text(emulator, MAYA, "/steward", "help")).lower()
    assert await steward_process.terminate(timeout=30) == 0
