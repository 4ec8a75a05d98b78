from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from db import migrate


async def _connect(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def test_real_migrations_apply_to_an_empty_database_once(empty_db_dsn: str) -> None:
    expected = [m.label for m in migrate.discover()]
    assert expected, "there must be at least one migration"
    async with await _connect(empty_db_dsn) as conn:
        assert await migrate.migrate(conn) == expected
        assert await migrate.migrate(conn) == []
        states = await migrate.status(conn)
        assert [s.state for s in states] == ["applied"] * len(expected)
        await migrate.ensure_current(conn)
        row = await (await conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).fetchone()
        assert row is not None


def _write(directory: Path, name: str, sql: str) -> Path:
    path = directory / name
    path.write_text(sql)
    return path


async def test_each_migration_is_atomic_and_recorded_with_checksum(empty_db_dsn: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (id int);")
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE b (id int); SELECT * FROM no_such_table;")
    async with await _connect(empty_db_dsn) as conn:
        with pytest.raises(migrate.MigrationError, match="0002_broken"):
            await migrate.migrate(conn, tmp_path)
        # 0001 stays applied, 0002 left nothing behind
        assert (await (await conn.execute("SELECT to_regclass('a'), to_regclass('b')")).fetchone()) == ("a", None)
        rows = await (await conn.execute("SELECT version, checksum FROM schema_migrations")).fetchall()
        assert rows == [(1, migrate.discover(tmp_path)[0].checksum)]


async def test_schema_behind_says_run_migrate(empty_db_dsn: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (id int);")
    async with await _connect(empty_db_dsn) as conn:
        await migrate.migrate(conn, tmp_path)
        _write(tmp_path, "0002_second.sql", "CREATE TABLE b (id int);")
        with pytest.raises(migrate.SchemaBehind, match="run `steward db migrate`"):
            await migrate.ensure_current(conn, tmp_path)


async def test_tampered_file_is_an_error(empty_db_dsn: str, tmp_path: Path) -> None:
    path = _write(tmp_path, "0001_first.sql", "CREATE TABLE a (id int);")
    async with await _connect(empty_db_dsn) as conn:
        await migrate.migrate(conn, tmp_path)
        path.write_text("CREATE TABLE a (id bigint);")
        states = await migrate.status(conn, tmp_path)
        assert [(s.label, s.state) for s in states] == [("0001_first", "changed")]
        with pytest.raises(migrate.MigrationError, match="changed on disk"):
            await migrate.migrate(conn, tmp_path)


async def test_concurrent_migrators_apply_once(empty_db_dsn: str, tmp_path: Path) -> None:
    import asyncio

    _write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE a (id int);")
    c1, c2 = await _connect(empty_db_dsn), await _connect(empty_db_dsn)
    try:
        r1, r2 = await asyncio.gather(migrate.migrate(c1, tmp_path), migrate.migrate(c2, tmp_path))
    finally:
        await c1.close()
        await c2.close()
    assert sorted([r1, r2]) == [[], ["0001_slow"]]


def test_bad_file_names_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_oops.sql", "")
    with pytest.raises(migrate.MigrationError, match="NNNN_name"):
        migrate.discover(tmp_path)


def test_new_migration_numbers_the_next_file(tmp_path: Path) -> None:
    _write(tmp_path, "0001_first.sql", "")
    path = migrate.new_migration("Add kudos table!", tmp_path)
    assert path.name == "0002_add_kudos_table.sql"


def test_cli_status_reports_tampered_file(empty_db_dsn: str, tmp_path: Path) -> None:
    """`steward db status` against a database whose applied checksum no longer matches the file."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env["DATABASE_URL"] = empty_db_dsn.replace("postgresql://postgres:@/", "postgresql://postgres@/")
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", *a], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    first = run("db", "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0001" in first.stdout
    ok = run("db", "status")
    assert ok.returncode == 0 and "0 pending" in ok.stdout
    with psycopg.connect(empty_db_dsn, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1")
    bad = run("db", "status")
    assert bad.returncode == 1
    assert "changed" in bad.stdout and "0001_" in bad.stderr


def test_schema_behind_with_auto_migrate_off_says_run_migrate(empty_db_dsn: str) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env.update({"DATABASE_URL": empty_db_dsn, "STEWARD_AUTO_MIGRATE": "false"})
    for args in (("jobs", "run", "retention"), ("run",)):
        proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "run `steward db migrate`" in proc.stderr
        assert "does not exist" not in proc.stderr and "Traceback" not in proc.stderr


def test_no_migration_files_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    # An install that lost sql/ must never report "the schema is current".
    with pytest.raises(migrate.MigrationError, match=f"no migration files found in {tmp_path}"):
        migrate.discover(tmp_path)
    with pytest.raises(migrate.MigrationError, match="no such folder"):
        migrate.discover(tmp_path / "missing")


async def test_migrate_and_status_refuse_an_empty_folder(empty_db_dsn: str, tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(empty_db_dsn, autocommit=True) as conn:
        with pytest.raises(migrate.MigrationError, match="incomplete"):
            await migrate.migrate(conn, tmp_path)
        with pytest.raises(migrate.MigrationError, match="incomplete"):
            await migrate.status(conn, tmp_path)
        with pytest.raises(migrate.MigrationError, match="incomplete"):
            await migrate.ensure_current(conn, tmp_path)


def test_new_migration_may_start_an_empty_folder(tmp_path: Path) -> None:
    assert migrate.new_migration("first", tmp_path).name == "0001_first.sql"


def test_named_queries_refuse_an_empty_folder(tmp_path: Path) -> None:
    from db.queries import QueryNotFound, load

    with pytest.raises(QueryNotFound, match=str(tmp_path)):
        load(tmp_path)


async def test_0018_keeps_the_b_numbers_already_shown(empty_db_dsn: str, tmp_path: Path) -> None:
    """Blockers on no task were named by their id (`B-2`); 0018_blocker_refs.sql gives each its id as its number and
    starts the organization's counter after the highest, so a ref people saw never changes (tester 13, finding 15)."""
    for found in migrate.discover():
        if found.version < 18:
            _write(tmp_path, found.path.name, found.path.read_text())
    async with await _connect(empty_db_dsn) as conn:
        await migrate.migrate(conn, tmp_path)

        async def one(sql: str, *args: object) -> Any:
            row = await (await conn.execute(sql, args)).fetchone()
            assert row is not None
            return row[0]

        org = await one("INSERT INTO organizations (name) VALUES ('Acme') RETURNING id")
        user = await one("INSERT INTO users (organization_id, display_name) VALUES (%s, 'Ann') RETURNING id", org)
        task = await one("INSERT INTO tasks (organization_id, title) VALUES (%s, 'Ship it') RETURNING id", org)
        add = "INSERT INTO blockers (organization_id, user_id, task_id, description) VALUES (%s, %s, %s, 'x') RETURNING id"
        on_task, first, second = [await one(add, org, user, t) for t in (task, None, None)]
        [latest] = [m for m in migrate.discover() if m.version == 18]
        _write(tmp_path, latest.path.name, latest.path.read_text())
        assert await migrate.migrate(conn, tmp_path) == [latest.label]
        refs = await (await conn.execute("SELECT id, ref_number FROM blockers ORDER BY id")).fetchall()
        assert refs == [(on_task, None), (first, first), (second, second)]
        assert await one(add.replace("RETURNING id", "RETURNING ref_number"), org, user, None) == second + 1
