"""Scheduler leadership: PostgreSQL advisory locks decide which process runs scheduled jobs.

One lock for the jobs of no one organization (retention, the context pipeline), and one lock per
organization for that organization's jobs (those that talk to Slack): a process tries only the locks
of organizations it holds a bot token for (``organizations``), so each organization's jobs run in a
process that can reach its workspace, and the one process holding another workspace's token runs that
workspace's jobs. The locks live on a dedicated connection. When a leader dies its connection closes
and PostgreSQL releases its locks; a process retrying every ``retry_seconds`` takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

import psycopg

from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

LEADER_LOCK_KEY = 0x5357_4C44  # "SWLD"


class Leadership:
    """``is_leader``: holds the lock of the jobs of no one organization. ``led_organizations``: the organizations
    whose jobs this process runs now (a subset of ``organizations()``, the ones it holds a token for)."""

    def __init__(self, dsn: str, *, retry_seconds: float = 15.0, key: int = LEADER_LOCK_KEY,
                 organizations: Callable[[], Iterable[int]] = frozenset) -> None:
        self.dsn = dsn
        self.retry_seconds = retry_seconds
        self.key = key
        self.organizations = organizations
        self._conn: psycopg.AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False
        self.led_organizations: frozenset[int] = frozenset()
        self.changed = asyncio.Event()

    async def start(self) -> None:
        await self.try_acquire()
        self._task = asyncio.create_task(self._loop(), name="leadership")

    async def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
                self._set(False)
                self._set_organizations(frozenset())
            if self.is_leader or self.led_organizations:
                # Prove the connection (and so the locks) is still alive.
                await self._conn.execute(Q["leader_ping"])
            if not self.is_leader:
                row = await (await self._conn.execute(Q["leader_try_lock"], {"key": self.key})).fetchone()
                self._set(bool(row and row[0]))
            await self._lead_organizations(self._conn)
        except psycopg.Error as exc:
            log.warning("leadership_check_failed", error=str(exc))
            self._set(False)
            self._set_organizations(frozenset())
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
            self._conn = None
        return self.is_leader

    async def _lead_organizations(self, conn: psycopg.AsyncConnection) -> None:
        """Take the lock of every organization served and not led yet; give up those no longer served."""
        wanted = frozenset(self.organizations())
        led = set(self.led_organizations)
        for org_id in sorted(led - wanted):
            await conn.execute(Q["leader_unlock_org"], {"key": self.key, "organization_id": org_id})
            led.discard(org_id)
        for org_id in sorted(wanted - led):
            row = await (await conn.execute(Q["leader_try_lock_org"], {"key": self.key, "organization_id": org_id})).fetchone()
            if row and row[0]:
                led.add(org_id)
        self._set_organizations(frozenset(led))

    def _set_organizations(self, led: frozenset[int]) -> None:
        if led != self.led_organizations:
            self.led_organizations = led
            log.info("scheduler_leadership_of_organizations", organizations=sorted(led))
            self.changed.set()

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
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(Exception):
                if self.is_leader:
                    await self._conn.execute(Q["leader_unlock"], {"key": self.key})
                for org_id in self.led_organizations:
                    await self._conn.execute(Q["leader_unlock_org"], {"key": self.key, "organization_id": org_id})
                await self._conn.close()
        self.is_leader = False
        self.led_organizations = frozenset()
