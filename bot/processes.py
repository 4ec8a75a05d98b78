"""Each running Steward process says, in ``steward_processes``, which organizations it serves.

A heartbeat every ``HEARTBEAT_SECONDS`` refreshes the process's bot tokens (bot/tenants.py: a workspace
whose token was stored since is taken up, a revoked one dropped) and writes its row: the organizations it
holds a token for, those whose scheduled jobs it runs now, and whether it runs the jobs of no one
organization. `steward doctor` lists the processes that beat within ``LIVE_SECONDS`` and, for each
organization, who serves it (or that its work waits). A clean stop deletes the row; a killed process's row
stops beating and is deleted by the next beat of any process after ``STALE_SECONDS``. The heartbeat is the
database's clock, so processes on hosts whose clocks differ (or a sandbox's simulated clock) agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

HEARTBEAT_SECONDS = 15.0
LIVE_SECONDS = 60.0
"""A process that has not beaten for this long (four heartbeats) is not counted as running."""
STALE_SECONDS = 3600.0
"""A row silent this long is deleted (an hour: long enough to read what a crashed process served)."""


@dataclass(frozen=True)
class ProcessRow:
    """One live process as `steward doctor` shows it; ``serves`` and ``leads`` are organization ids."""

    instance: str
    hostname: str
    pid: int
    mode: str
    serves: list[int]
    leads: list[int]
    global_leader: bool
    started_at: datetime
    heartbeat_at: datetime
    silent_seconds: float


async def live_processes(conn: psycopg.AsyncConnection, live_seconds: float = LIVE_SECONDS) -> list[ProcessRow]:
    """Processes whose heartbeat is at most ``live_seconds`` old (the database's clock), oldest first."""
    rows = await (await conn.execute(Q["processes_live"], {"live_seconds": live_seconds})).fetchall()
    return [ProcessRow(*r) for r in rows]


class ProcessRegistry:
    """This process's row and its heartbeat loop. ``tenants`` (bot/tenants.py) is refreshed on every beat;
    ``leadership`` (jobs/leader.py) is read for what the process leads."""

    def __init__(self, pool: Any, tenants: Any, leadership: Any, *, mode: str,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
        self.pool = pool
        self.tenants = tenants
        self.leadership = leadership
        self.mode = mode
        self.heartbeat_seconds = heartbeat_seconds
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.instance = f"{self.hostname}:{self.pid}:{secrets.token_hex(4)}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.write()
        self._task = asyncio.create_task(self._loop(), name="process-heartbeat")

    async def beat(self) -> None:
        """Refresh the tokens, retake leadership of newly served organizations, and write the row."""
        await self.tenants.refresh()
        await self.leadership.try_acquire()
        await self.write()

    async def write(self) -> None:
        values = {"instance": self.instance, "hostname": self.hostname, "pid": self.pid, "mode": self.mode,
                  "serves": _ids(self.tenants.organization_ids), "leads": _ids(self.leadership.led_organizations),
                  "global_leader": bool(self.leadership.is_leader)}
        async with self.pool.connection() as conn:
            await conn.execute(Q["process_beat"], values)
            await conn.execute(Q["process_forget_stale"], {"stale_seconds": STALE_SECONDS})

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await self.beat()
            except (psycopg.Error, OSError) as exc:  # the database is away: beat again next time
                log.warning("process_heartbeat_failed", error=f"{type(exc).__name__}: {exc}")
            except Exception:  # a bug must not end the heartbeat (the process would look dead)
                log.exception("process_heartbeat_failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(psycopg.Error, OSError):
            async with self.pool.connection() as conn:
                await conn.execute(Q["process_delete"], {"instance": self.instance})


def _ids(values: Sequence[int] | frozenset[int]) -> list[int]:
    return sorted(int(v) for v in values)
