"""Where the database comes from: DATABASE_URL, or the embedded server in STEWARD_DATA_DIR."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot.log import get_logger
from bot.settings import Settings
from db import migrate
from db.embedded import EmbeddedPostgres, start_embedded
from db.pool import open_pool

log = get_logger(__name__)

MIN_SERVER_VERSION = 150000
MIN_PGVECTOR = (0, 7)


class DatabaseError(RuntimeError):
    pass


@dataclass
class Database:
    dsn: str
    embedded: EmbeddedPostgres | None = None
    pool: AsyncConnectionPool | None = field(default=None)

    async def open_pool(self, *, min_size: int = 2, max_size: int = 10) -> AsyncConnectionPool:
        self.pool = await open_pool(self.dsn, min_size=min_size, max_size=max_size)
        return self.pool

    async def connect(self) -> psycopg.AsyncConnection:
        """A single autocommit connection (CLI commands, migrations)."""
        return await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        if self.embedded is not None:
            stopped = self.embedded.stop()
            log.info("embedded_postgres_left", stopped=stopped)
            self.embedded = None


def locate(settings: Settings) -> Database:
    """Resolve the database: the configured server, or start/join the embedded one."""
    if settings.database_url is not None:
        return Database(dsn=settings.database_url.reveal())
    embedded = start_embedded(settings.data_dir)
    log.info("embedded_postgres_ready", data_dir=str(settings.data_dir))
    return Database(dsn=embedded.dsn(), embedded=embedded)


async def check_server(conn: psycopg.AsyncConnection) -> tuple[str, str | None]:
    """Return (server version, pgvector version or None); raise if the server is too old."""
    version_num = int((await (await conn.execute("SHOW server_version_num")).fetchone())[0])  # type: ignore[index]
    version = (await (await conn.execute("SHOW server_version")).fetchone())[0]  # type: ignore[index]
    if version_num < MIN_SERVER_VERSION:
        raise DatabaseError(f"PostgreSQL {version} is too old: Steward needs 15 or newer")
    row = await (
        await conn.execute("SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
                           "(SELECT default_version FROM pg_available_extensions WHERE name = 'vector'))")
    ).fetchone()
    pgvector = row[0] if row else None
    return version, pgvector


async def prepare(db: Database, settings: Settings) -> list[str]:
    """Check the server, apply or verify migrations. Returns the migrations applied."""
    async with await db.connect() as conn:
        _, pgvector = await check_server(conn)
        if pgvector is None:
            raise DatabaseError("the pgvector extension is not available on this PostgreSQL server "
                                "(use the pgvector/pgvector image or install postgresql-NN-pgvector)")
        if tuple(int(p) for p in pgvector.split(".")[:2]) < MIN_PGVECTOR:
            raise DatabaseError(f"pgvector {pgvector} is too old: Steward needs 0.7 or newer")
        if settings.auto_migrate:
            applied = await migrate.migrate(conn)
            if applied:
                log.info("migrations_applied", migrations=applied)
            return applied
        await migrate.ensure_current(conn)
        return []
