"""The sandbox as a newcomer meets it: the real Steward behind the page, driven in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio

from bot.app import Steward
from bot.sandbox import Sandbox
from tests.browser import needs_chromium
from tests.e2e.conftest import sandbox_steward
from tests.helpers import fetchval

pytestmark = needs_chromium


@pytest_asyncio.fixture
async def sandbox_bot(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Steward]]:
    async with sandbox_steward(db_dsn, tmp_path) as running:
        yield running


async def test_newcomer_dms_steward_and_confirms_a_task(sandbox_bot: tuple[Sandbox, Steward], page: Any, db_dsn: str) -> None:
    from playwright.async_api import expect

    sandbox, _bot = sandbox_bot
    priya = sandbox.demo.people["priya"]
    await page.goto(sandbox.web_url)
    await page.get_by_test_id("who").select_option(priya)
    await expect(page.get_by_test_id("status")).to_contain_text("connected")
    await page.get_by_test_id("dm-steward").click()

    await page.get_by_test_id("composer").fill("help")
    await page.get_by_test_id("send").click()
    await expect(page.get_by_test_id("message").filter(has_text="Tell me what you'll do in a DM")).to_be_visible(timeout=15_000)

    await page.get_by_test_id("composer").fill("I'll redo the Acme landing page by Friday and fix the login bug")
    await page.get_by_test_id("send").click()
    confirm = page.locator('[data-testid="block-button"][data-action-id="draft_confirm"]')
    await expect(confirm).to_be_visible(timeout=15_000)
    await confirm.click()
    await expect(page.get_by_test_id("message").filter(has_text="Added 2 tasks")).to_be_visible(timeout=15_000)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT string_agg(display_id, ',' ORDER BY display_number) FROM tasks") == "T-1,T-2"
        # The sandbox organization comes with its client, tied to #client-acme, and Maya as manager.
        assert await fetchval(conn, "SELECT c.name FROM tasks t JOIN clients c ON c.id = t.client_id WHERE t.display_number = 1") == "Acme Corp"
        assert await fetchval(conn, "SELECT count(*) FROM users WHERE manager_id IS NOT NULL") == 4

    await page.get_by_test_id("home-tab").click()
    await expect(page.get_by_test_id("home-view")).to_contain_text("T-1", timeout=15_000)
    await page.screenshot(path="/tmp/sandbox-steward.png")
