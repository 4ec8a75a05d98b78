"""Plain-SQL migrations: ``sql/migrations/NNNN_name.sql``, applied in order, each in its own
transaction, under an advisory lock, recorded with a checksum in ``schema_migrations``."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from sql import MIGRATIONS_DIR

# Any constant works; it only has to be the same in every Steward process.
MIGRATION_LOCK_KEY = 0x5357_4D49  # "SWMI"
_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


class SchemaBehind(MigrationError):
    """The database lacks migrations this code needs."""

    def __init__(self, pending: list[str]) -> None:
        super().__init__(
            f"the database schema is behind ({len(pending)} pending migration(s): {', '.join(pending)}); "
            "run `steward db migrate`"
        )
        self.pending = pending


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass(frozen=True)
class MigrationState:
    label: str
    state: str  # applied | pending | changed | missing
    checksum: str | None
    applied_at: object | None = None


def discover(directory: Path = MIGRATIONS_DIR, *, required: bool = True) -> list[Migration]:
    """The migration files in ``directory``, in order. Raises MigrationError for a badly named file, two
    files with one number, or (``required``) no migration file at all: an install without its migrations
    must say where it looked, never report the schema as current."""
    found: list[Migration] = []
    seen: dict[int, Path] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql (lower case)")
        version = int(match.group(1))
        if version in seen:
            raise MigrationError(f"two migrations share number {version:04d}: {seen[version].name} and {path.name}")
        seen[version] = path
        found.append(Migration(version, match.group(2), path))
    if required and not found:
        where = directory if directory.is_dir() else f"{directory} (no such folder)"
        raise MigrationError(
            f"no migration files found in {where}: this install of Steward is incomplete. Reinstall it "
            "(`pip install --force-reinstall steward-*.whl`, or `pip install -e .` in a checkout)")
    return found


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL DEFAULT 0
)
"""


async def _applied(conn: psycopg.AsyncConnection) -> dict[int, tuple[str, str, object]]:
    exists = await (await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = await (await conn.execute("SELECT version, name, checksum, applied_at FROM schema_migrations")).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def status(conn: psycopg.AsyncConnection, directory: Path = MIGRATIONS_DIR) -> list[MigrationState]:
    applied = await _applied(conn)
    states: list[MigrationState] = []
    files = {m.version: m for m in discover(directory)}
    for version in sorted(set(files) | set(applied)):
        m = files.get(version)
        if m is None:
            name, checksum, at = applied[version]
            states.append(MigrationState(f"{version:04d}_{name}", "missing", checksum, at))
        elif version not in applied:
            states.append(MigrationState(m.label, "pending", m.checksum))
        else:
            _, checksum, at = applied[version]
            states.append(MigrationState(m.label, "applied" if checksum == m.checksum else "changed", m.checksum, at))
    return states


def _raise_if_changed(states: list[MigrationState]) -> None:
    changed = [s.label for s in states if s.state == "changed"]
    if changed:
        raise MigrationError(
            f"applied migration(s) changed on disk: {', '.join(changed)}. Applied migrations are history: "
            "restore the file and put your change in a new migration (`steward db new NAME`)"
        )


async def migrate(conn: psycopg.AsyncConnection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the labels applied. ``conn`` must be in autocommit mode."""
    if not conn.autocommit:
        raise MigrationError("migrate() needs an autocommit connection (each migration gets its own transaction)")
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        await conn.execute(_CREATE_TABLE)
        states = await status(conn, directory)
        _raise_if_changed(states)
        pending = {s.label for s in states if s.state == "pending"}
        done: list[str] = []
        for m in discover(directory):
            if m.label not in pending:
                continue
            started = time.perf_counter()
            try:
                async with conn.transaction():
                    await conn.execute(m.sql.encode())  # bytes: no client-side parameter parsing of % signs
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (%s, %s, %s, %s)",
                        (m.version, m.name, m.checksum, int((time.perf_counter() - started) * 1000)),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"migration {m.label} failed and was rolled back: {exc}") from exc
            done.append(m.label)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


async def ensure_current(conn: psycopg.AsyncConnection, directory: Path = MIGRATIONS_DIR) -> None:
    states = await status(conn, directory)
    _raise_if_changed(states)
    pending = [s.label for s in states if s.state == "pending"]
    if pending:
        raise SchemaBehind(pending)


def new_migration(name: str, directory: Path = MIGRATIONS_DIR) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise MigrationError("a migration needs a name made of letters or digits, e.g. `steward db new add_kudos`")
    existing = discover(directory, required=False)
    version = (existing[-1].version + 1) if existing else 1
    path = directory / f"{version:04d}_{slug}.sql"
    path.write_text(f"-- {version:04d}_{slug}: describe the change here.\n-- Runs inside one transaction.\n\n")
    return path
