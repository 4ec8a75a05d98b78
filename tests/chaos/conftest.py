"""Chaos fixtures: the e2e emulator (seeded Acme workspace) and a `steward run` child process on a fresh
database, killed at the end of the test whatever happened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.emulators.slack import SlackEmulator
from tests.chaos.harness import StewardProcess, process_env
from tests.e2e.conftest import anyio_backend, emulator

__all__ = ["anyio_backend", "emulator", "steward_process"]


@pytest_asyncio.fixture
async def steward_process(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[StewardProcess]:
    """A `steward run` child connected to ``emulator`` (started and connected)."""
    proc = StewardProcess(process_env(emulator, db_dsn, tmp_path))
    await proc.start(emulator)
    try:
        yield proc
    finally:
        await proc.aclose()
