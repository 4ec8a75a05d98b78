"""Scheduler leadership: the process holding a PostgreSQL advisory lock runs scheduled jobs.

The lock lives on a dedicated connection. When the leader dies its connection closes and
PostgreSQL releases the lock; a follower retrying every ``retry_seconds`` takes over.
"""

from __future__ import annotations

import asyncio
import contextlib

import psycopg

from bot.log import get_logger
from bot.worker import cancel_and_wait
from db.queries import Q

log = get_logger(__name__)

LEADER_LOCK_KEY = 0x5357_4C44  # "SWLD"


class Leadership:
    def __init__(self, dsn: str, *, retry_seconds: float = 15.0, key: int = LEADER_LOCK_KEY) -> None:
        self.dsn = dsn
        self.retry_seconds = retry_seconds
        self.key = key
        self._conn: psycopg.AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False
        self.changed = asyncio.Event()

    async def start(self) -> None:
        await self.try_acquire()
        self._task = asyncio.create_task(self._loop(), name="leadership")

    async def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
                self._set(False)
            if self.is_leader:
                # Prove the connection (and so the lock) is still alive.
                await self._conn.execute(Q["leader_ping"])
                return True
            row = await (await self._conn.execute(Q["leader_try_lock"], {"key": self.key})).fetchone()
            self._set(bool(row and row[0]))
        except psycopg.Error as exc:
            log.warning("leadership_check_failed", error=str(exc))
            self._set(False)
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
            self._conn = None
        return self.is_leader

    def _set(self, leader: bool) -> None:
        if leader != self.is_leader:
            self.is_leader = leader
            log.info("scheduler_leadership", leader=leader)
            self.changed.set()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            await self.try_acquire()

    async def stop(self) -> None:
        """Stop trying, and let the lock go by closing its connection (PostgreSQL releases a session's advisory
        locks as the session ends; no unlock query, which a database that stopped answering would never finish)."""
        if self._task:
            await cancel_and_wait([self._task], what="leadership")
            self._task = None
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
        self.is_leader = False
