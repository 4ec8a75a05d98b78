"""The connection pool: opened explicitly, every connection set up with pgvector's types."""

from __future__ import annotations

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg_pool import AsyncConnectionPool

from bot.log import get_logger

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
    )
    await pool.open(wait=True, timeout=30)
    return pool
