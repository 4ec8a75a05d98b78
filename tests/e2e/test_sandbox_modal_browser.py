"""Switching "You are" on the sandbox page while a modal is open, in Chromium with the real Steward behind
it: the previous person's modal leaves with them (the page stays usable) and is back when they return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import Steward
from bot.sandbox import Sandbox
from tests.browser import needs_chromium
from tests.e2e.conftest import sandbox_steward

pytestmark = needs_chromium


@pytest_asyncio.fixture
async def sandbox_bot(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Steward]]:
    async with sandbox_steward(db_dsn, tmp_path) as running:
        yield running


@pytest.mark.timeout(180)
async def test_switching_person_takes_the_modal_along(sandbox_bot: tuple[Sandbox, Steward], page: Any) -> None:
    from playwright.async_api import expect

    sandbox, _bot = sandbox_bot
    assert sandbox.demo is not None
    maya, sam = sandbox.demo.people["maya"], sandbox.demo.people["sam"]
    await page.goto(sandbox.web_url)
    await page.get_by_test_id("who").select_option(maya)
    await expect(page.get_by_test_id("status")).to_contain_text("connected")

    # As Maya (an admin), `/steward standup` opens the standup settings form.
    await page.get_by_test_id("composer").fill("/steward standup")
    await page.get_by_test_id("composer").press("Enter")
    modal = page.get_by_test_id("modal")
    await expect(modal).to_be_visible(timeout=15_000)
    view_id = await modal.get_attribute("data-view-id")
    assert view_id and sandbox.emulator.workspace.views.stacks.get(maya)

    # "You are" stays within reach above the modal; Sam has none open, so Maya's leaves the screen with her
    # and every click reaches the page again.
    await page.get_by_test_id("who").click(trial=True)  # fails when the overlay would take the click
    await page.get_by_test_id("who").select_option(sam)
    await expect(page.get_by_test_id("me")).to_contain_text("Sam Rivera")
    await expect(page.get_by_test_id("modal-overlay")).to_have_count(0)
    await page.get_by_test_id("channel-standup").click()  # fails while an overlay takes the clicks
    await expect(page.get_by_test_id("channel-title")).to_contain_text("standup")
    await page.get_by_test_id("dm-steward").click()
    await page.get_by_test_id("composer").fill("help")
    await page.get_by_test_id("send").click()
    await expect(page.get_by_test_id("message").filter(has_text="Tell me what you'll do in a DM")).to_be_visible(
        timeout=15_000)

    # Back to Maya: the emulator still has her form open, so the page shows it again.
    await page.get_by_test_id("who").select_option(maya)
    await expect(page.get_by_test_id("me")).to_contain_text("Maya Thompson")
    await expect(modal).to_be_visible()
    assert await modal.get_attribute("data-view-id") == view_id
    await page.get_by_test_id("modal-close").click()
    await expect(page.get_by_test_id("modal-overlay")).to_have_count(0)
    assert not sandbox.emulator.workspace.views.stacks.get(maya)
    assert page.js_errors == []
