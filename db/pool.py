"""The connection pool: opened explicitly, every connection set up with pgvector's types, and kept
healthy after a database restart (:class:`PoolHealth`)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg_pool import AsyncConnectionPool

from bot.log import get_logger
from bot.worker import cancel_and_wait

log = get_logger(__name__)


async def configure_connection(conn: psycopg.AsyncConnection) -> None:
    try:
        await register_vector_async(conn)
    except psycopg.ProgrammingError:
        # The vector extension is created by the first migration; before that there is
        # nothing to register. Connections opened after migrating get the types.
        log.debug("pgvector type not present yet; skipping registration")
    # register_vector_async runs a query, which opens a transaction on a non-autocommit connection.
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        await conn.rollback()


RECONNECT_SECONDS = 3.0
HEALTH_SECONDS = 0.5


async def open_pool(dsn: str, *, min_size: int = 2, max_size: int = 10, name: str = "steward") -> AsyncConnectionPool:
    pool = AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        name=name,
        configure=configure_connection,
        # A connection the server dropped (restart, failover, idle kill) is found and replaced
        # on checkout instead of failing the caller's first statement.
        check=AsyncConnectionPool.check_connection,
        kwargs={"autocommit": True},
        timeout=30,
        # A connection that cannot be made is retried with a backoff growing from 1 s; after this many seconds
        # the pool gives that attempt up and makes a fresh one the next time a caller waits. Without the bound
        # (psycopg_pool's default is 300 s) the waits grow to a minute and more while the database is down,
        # and the pool comes back that much after it (pool_async.py: AttemptWithBackoff, _add_connection).
        reconnect_timeout=RECONNECT_SECONDS,
    )
    await pool.open(wait=True, timeout=30)
    return pool


class PoolHealth:
    """Finds out promptly that the database is back after an outage, and gets the pool working at once.

    A database restart leaves the pool's idle connections broken. psycopg_pool finds each one only when a
    caller takes it (the ``check`` on checkout), and waits 1, 2, 4, 8 … s between the broken ones it meets
    (``_getconn_with_check_loop``): with ten idle connections, over ten seconds. So: whenever the pool's
    statistics show a lost connection or a failed attempt, this probes the database every ``interval``
    seconds on a connection of its own and runs ``pool.check()``, which tests every idle connection at once
    and drops the broken ones (replacing them as soon as the database answers; and it lets the pool grow). Recovery after the database returns is then
    bounded by ``interval`` plus one connect (and by ``RECONNECT_SECONDS`` for connections being made),
    not by backoff growth. Nothing is probed while the pool reports no trouble."""

    TROUBLE = ("connections_lost", "connections_errors", "requests_errors", "returns_bad")

    def __init__(self, pool: AsyncConnectionPool, dsn: str, *, interval: float = HEALTH_SECONDS,
                 connect_timeout: int = 2) -> None:
        """``dsn``: the pool's database (the probe connects to it itself)."""
        self.pool = pool
        self.dsn = dsn
        self.interval = interval
        self.connect_timeout = connect_timeout
        self.down = False
        self._seen = self._trouble()
        self._task: asyncio.Task[None] | None = None

    def _trouble(self) -> int:
        stats = self.pool.get_stats()
        return sum(stats.get(name, 0) for name in self.TROUBLE)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="pool-health", context=contextvars.Context())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task], what="pool health")
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            trouble = self._trouble()
            if trouble == self._seen and not self.down:
                continue
            self._seen = trouble
            await self.probe()

    async def probe(self) -> bool:
        """Whether the database answers now; when it does after it did not, the pool is checked at once."""
        try:
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True,
                                                         connect_timeout=self.connect_timeout)
        except psycopg.Error as exc:
            if not self.down:
                log.warning("database_unreachable", error=str(exc).strip()[:300])
            self.down = True
            # Drop the broken idle connections now: a caller then waits in the pool's queue and gets the first
            # connection made once the database is back, instead of meeting them one by one with growing waits.
            await self.pool.check()
            return False
        with contextlib.suppress(psycopg.Error):
            await conn.close()
        log.info("database_answers", was_down=self.down)
        self.down = False
        await self.pool.check()
        self._seen = self._trouble()
        return True
