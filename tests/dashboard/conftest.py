from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest_asyncio

from tests.dashboard.world import World, open_world


@pytest_asyncio.fixture
async def world(conn: psycopg.AsyncConnection, pool: Any) -> AsyncIterator[World]:
    async for w in open_world(conn, pool):
        yield w
