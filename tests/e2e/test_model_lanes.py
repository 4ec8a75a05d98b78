"""Issue 11, part 6: with the model endpoint hanging, events that need no model are answered at once (rows
waiting on the model give their worker slot back: bot/lanes.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.emulators.openai_fake import OpenAIFake
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, start_steward
from tests.helpers import eventually

PEOPLE = (MAYA, SAM, PRIYA, DIEGO)
TASK_DMS = [f"I'll send the Acme report number {i} by Friday" for i in range(12)]  # 12 rows, 8 worker slots


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[OpenAIFake]:
    server = OpenAIFake()
    await server.start()
    try:
        yield server
    finally:
        server.release()
        await server.stop()


@pytest_asyncio.fixture
async def online(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, fake: OpenAIFake) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
    try:
        yield running.bot
    finally:
        await running.stop()


def previews(emu: SlackEmulator) -> list[dict[str, Any]]:
    return [c.args for c in emu.calls_to("chat.postMessage") if "draft_confirm" in str(c.args.get("blocks"))]


async def test_help_is_answered_while_every_model_call_hangs(emulator: SlackEmulator, online: Steward,
                                                             fake: OpenAIFake) -> None:
    assert online.worker.concurrency < len(TASK_DMS)
    fake.hang()
    channels = {p: await emulator.dm_channel(p) for p in PEOPLE}
    for i, text in enumerate(TASK_DMS):
        person = PEOPLE[i % len(PEOPLE)]
        await emulator.user_message(person, channels[person], text)
    # Every worker slot's worth of rows is waiting on the model (and more): the model lane is full.
    await eventually(lambda: fake.held >= online.worker.concurrency, within=20)

    mark = len(emulator.calls)
    await emulator.user_message(SAM, channels[SAM], "help")
    reply = await emulator.wait_for_call("chat.postMessage", lambda c: "Here's what I can do" in str(c.args.get("text")),
                                         timeout=15, since=mark)
    assert "Here's what I can do" in reply.args["text"]
    # ...answered while the model calls still hang: none of the drafts has been shown yet.
    assert fake.held >= online.worker.concurrency
    assert previews(emulator) == []

    fake.release()
    await eventually(lambda: len(previews(emulator)) == len(TASK_DMS), within=30)
    assert sorted(p["channel"] for p in previews(emulator)) == sorted(channels[PEOPLE[i % 4]] for i in range(len(TASK_DMS)))
