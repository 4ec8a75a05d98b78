"""Real processes for chaos tests: `steward run` as a child process against the Slack emulator (running in
the test's event loop, over real sockets) and the test's embedded PostgreSQL, killed with SIGKILL or stopped
with SIGTERM and started again.

Typical use::

    emu = SlackEmulator(team_id=TEAM, ack_timeout=3.0); seed(emu); await emu.start()
    proc = StewardProcess(process_env(emu, db_dsn, tmp_path))
    await proc.start(emu)              # waits until its Socket Mode connection is live
    ...                                # drive the emulator; watch emu.calls and the database
    await proc.kill()                  # kill -9: no cleanup of any kind
    await proc.start(emu)              # the same command again
    assert await proc.terminate() == 0 # SIGTERM: exit code

Waiting for a condition: ``tests.helpers.eventually``.

Sizes: every chaos test has a CI size (seconds on the 2-core CI machine) and a full size run by hand with
``STEWARD_CHAOS_FULL=1`` (:func:`size`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg

from bot.emulators.slack import SlackEmulator

FULL = os.environ.get("STEWARD_CHAOS_FULL", "").lower() in ("1", "true", "yes")

# What a child must not inherit from the test's own environment: it gets exactly the Slack, database and
# OpenAI settings the test gives it.
_OWN = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
        "STEWARD_DATA_DIR", "PORT", "LOG_FORMAT", "LOG_LEVEL", "STEWARD_ADMINS", "STEWARD_AUTO_MIGRATE")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def size(ci: int, full: int) -> int:
    """The CI size of a chaos test, or its full size when ``STEWARD_CHAOS_FULL=1`` (run by hand)."""
    return full if FULL else ci


def process_env(emu: SlackEmulator, db_dsn: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `steward run` child connected to ``emu`` and the database ``db_dsn``.

    The health server takes any free port (``PORT=0``); logs are JSON lines (one event per line, in the
    process's log file). ``extra`` adds or overrides variables (e.g. ``OPENAI_BASE_URL``)."""
    env = {k: v for k, v in os.environ.items() if k not in _OWN and k not in _PROXIES}
    env.update({
        "SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token, "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": db_dsn, "STEWARD_DATA_DIR": str(data_dir), "PORT": "0",
        "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class StewardProcess:
    """One `python -m bot run` child. Its stdout and stderr go to ``log_path`` (appended across restarts,
    each start marked), so a failing test can show what the process said."""

    def __init__(self, env: Mapping[str, str], *, log_path: Path | None = None, name: str = "steward") -> None:
        self.env = dict(env)
        self.name = name
        self.log_path = log_path or Path(self.env["STEWARD_DATA_DIR"]) / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, emu: SlackEmulator | None = None, *, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Start the child; with ``emu``, wait until it holds one more live Socket Mode connection.

        Raises RuntimeError (with the end of its log) when it exits or does not connect within ``timeout``
        seconds."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        before = emu.connections if emu is not None else 0
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} =====\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=log, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        if emu is None:
            return
        waiter = asyncio.ensure_future(emu.wait_for_connections(before + 1, timeout=timeout))
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            waiter.cancel()
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode} while starting:\n{self.tail()}")
        exited.cancel()
        try:
            waiter.result()
        except TimeoutError:
            raise RuntimeError(f"{self.name} did not connect within {timeout} s:\n{self.tail()}") from None

    async def kill(self) -> None:
        """SIGKILL (kill -9): the process gets no chance to clean up; returns once it is gone."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, *, sig: int = signal.SIGTERM, timeout: float = 60) -> int:  # noqa: ASYNC109
        """Send ``sig`` (SIGTERM) and wait for the exit; the exit code. Raises TimeoutError (after killing
        the process) when it has not exited within ``timeout`` seconds."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} was never started")
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                await self.kill()
                raise TimeoutError(f"{self.name} did not exit within {timeout} s of signal {sig}:\n{self.tail()}") from None
        assert self.proc.returncode is not None
        return self.proc.returncode

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_lines()[-lines:])

    async def aclose(self) -> None:
        """Kill the child if it still runs (a test's cleanup)."""
        await self.kill()


async def query(dsn: str, sql: str, params: Mapping[str, Any] | tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    """Rows of one statement on a short-lived connection of its own (the child holds its own pool)."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(sql, params)  # type: ignore[arg-type]
        return await cur.fetchall() if cur.description else []


async def value(dsn: str, sql: str, params: Mapping[str, Any] | tuple[Any, ...] | None = None) -> Any:
    """The first column of the first row of one statement (None when there is no row)."""
    rows = await query(dsn, sql, params)
    return rows[0][0] if rows else None
