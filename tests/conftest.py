"""Shared fixtures: one embedded PostgreSQL for the session, a template database with every
migration applied, and a fresh copy of it for each test that asks for one."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql

from bot.emulators.openai_fake import OpenAIFake
from db import migrate
from db.embedded import EmbeddedPostgres, start_embedded
from db.pool import configure_connection, open_pool

# The browser tests' `page` fixture (headless Chromium through Playwright).
pytest_plugins = ["tests.browser"]

TEMPLATE = "steward_template"
_counter = itertools.count(1)

# The Slack SDK ignores NO_PROXY: loopback traffic must never go to a proxy.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def pg() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's tmp_path: as root the server runs as an unprivileged user, and pytest
    # resets /tmp/pytest-of-<user> to mode 0700 whenever another pytest session starts.
    data_dir = Path(tempfile.mkdtemp(prefix="steward-test-pg-"))
    server = start_embedded(data_dir, database="postgres")
    # A throwaway server: durability buys nothing here, speed does.
    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            conn.execute(f"ALTER SYSTEM SET {setting}")
        conn.execute("SELECT pg_reload_conf()")
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def _admin(pg: EmbeddedPostgres) -> psycopg.Connection:
    return psycopg.connect(pg.admin_dsn, autocommit=True)


@pytest.fixture(scope="session")
def template_dsn(pg: EmbeddedPostgres) -> str:
    import asyncio

    with _admin(pg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    dsn = pg.dsn(TEMPLATE)

    async def _migrate() -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await migrate.migrate(conn)

    asyncio.run(_migrate())
    return dsn


def create_database(pg: EmbeddedPostgres, *, template: str | None = TEMPLATE) -> str:
    name = f"steward_test_{os.getpid()}_{next(_counter)}"
    with _admin(pg) as conn:
        if template:
            # FILE_COPY clones a small template about four times faster than the default WAL_LOG.
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(name), sql.Identifier(template)))
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(pg: EmbeddedPostgres, name: str) -> None:
    with _admin(pg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_db_dsn(pg: EmbeddedPostgres) -> Iterator[str]:
    """A database with nothing in it (for migration tests)."""
    name = create_database(pg, template=None)
    yield pg.dsn(name)
    drop_database(pg, name)


@pytest.fixture
def db_dsn(pg: EmbeddedPostgres, template_dsn: str) -> Iterator[str]:
    """A fresh database with every migration applied, dropped after the test."""
    name = create_database(pg)
    yield pg.dsn(name)
    drop_database(pg, name)


@pytest_asyncio.fixture
async def conn(db_dsn: str) -> AsyncIterator[psycopg.AsyncConnection]:
    connection = await psycopg.AsyncConnection.connect(db_dsn, autocommit=True)
    await configure_connection(connection)
    try:
        yield connection
    finally:
        await connection.close()


@pytest_asyncio.fixture
async def pool(db_dsn: str):  # type: ignore[no-untyped-def]
    p = await open_pool(db_dsn, min_size=1, max_size=8, name="test")
    try:
        yield p
    finally:
        await p.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[OpenAIFake]:
    """Our OpenAI-compatible fake on loopback (the real openai client talks to it)."""
    server = OpenAIFake()
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()
