"""The dashboard in a real browser (Debian's Chromium through Playwright), against the real server and database:
sign in with a one-time password, the forced change, the overview, a task moved on the board (task_logs), signing
out; then a lockout after repeated failures. Screenshots are kept in a temporary directory (its path is printed) as
the test's artefacts; the page is also checked at a phone's width (no sideways scrolling)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bot.services import dashboard_auth as auth
from tests.browser import needs_chromium
from tests.dashboard.world import World

pytestmark = needs_chromium
NEW_PASSWORD = "plum orchard by the river"


@pytest.mark.timeout(180)
async def test_sign_in_change_password_overview_board_sign_out(world: World, page: Any) -> None:
    from playwright.async_api import expect

    shots = Path(tempfile.mkdtemp(prefix="steward-dashboard-shots-"))
    print(f"\ndashboard screenshots: {shots}")
    one_time = await auth.set_one_time_password(world.conn, await world.user("mia"), world.clock.now(), via="cli")

    await page.goto(world.url)  # not signed in: the sign-in page
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await page.get_by_test_id("login").fill("mia@acme.test")
    await page.get_by_test_id("password").fill(one_time)
    await page.get_by_test_id("sign-in").click()

    # The one-time password leads to the change form and nowhere else.
    await expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    await expect(page.get_by_test_id("nav-board")).to_have_count(0)
    await page.screenshot(path=str(shots / "1-change-password.png"), full_page=True)
    await page.goto(world.url + "board")
    await expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    await page.get_by_test_id("current").fill(one_time)
    await page.get_by_test_id("new").fill(NEW_PASSWORD)
    await page.get_by_test_id("confirm").fill(NEW_PASSWORD)
    await page.get_by_test_id("save-password").click()

    # The overview: Mia's team today, nobody else's.
    await expect(page.get_by_test_id("notice")).to_contain_text("Your password is saved.")
    people = page.get_by_test_id("people")
    for name in ("Pia", "Quin", "Tom"):
        await expect(people).to_contain_text(name)
    await expect(people).not_to_contain_text("Rex")
    await expect(page.get_by_test_id("blockers")).to_contain_text("waiting for Pia API keys")
    await expect(page.get_by_test_id("overdue")).to_contain_text("Quin overdue report")
    await page.screenshot(path=str(shots / "2-overview.png"), full_page=True)

    # The board: move T-1 from To do to In progress with its button.
    await page.get_by_test_id("nav-board").click()
    await expect(page.get_by_test_id("stage-to-do")).to_contain_text("Pia landing page")
    await page.screenshot(path=str(shots / "3-board-before.png"), full_page=True)
    await page.get_by_test_id("move-T-1-in-progress").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("Moved T-1 to In progress.")
    await expect(page.get_by_test_id("stage-in-progress")).to_contain_text("Pia landing page")
    await expect(page.get_by_test_id("stage-to-do")).not_to_contain_text("Pia landing page")
    await page.screenshot(path=str(shots / "4-board-after.png"), full_page=True)
    row = await (await world.conn.execute("SELECT actor_id, action, from_value, to_value FROM task_logs WHERE task_id = %s",
                                          (world.tasks["Pia landing page"],))).fetchone()
    assert row == (world.ids["mia"], "moved", "To do", "In progress")

    # KPIs and mood draw their charts on the server; the images load.
    for nav, chart in (("nav-kpis", "kpi-chart"), ("nav-mood", "mood-chart")):
        await page.get_by_test_id(nav).click()
        image = page.get_by_test_id(chart)
        await expect(image).to_be_visible()
        assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
    await page.screenshot(path=str(shots / "5-mood.png"), full_page=True)

    # Readable on a phone: nothing wider than the screen.
    await page.set_viewport_size({"width": 390, "height": 844})
    for path in ("", "board", "kpis", "mood"):
        await page.goto(world.url + path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390, path
    await page.goto(world.url)
    # Every column of the overview's people is on screen (one card a person), not scrolled off to the right.
    overdue = page.get_by_test_id("overdue-cell").filter(has_text="1").first
    box = await overdue.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert "Overdue" in await overdue.evaluate("td => getComputedStyle(td, '::before').content")
    # A chart keeps a readable size and scrolls inside its own box.
    await page.goto(world.url + "mood")
    assert await page.get_by_test_id("mood-chart").evaluate("img => img.getBoundingClientRect().width") >= 600
    await page.goto(world.url)
    await page.screenshot(path=str(shots / "6-overview-phone.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 820})

    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("You are signed out.")
    await page.goto(world.url + "board")
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    assert page.js_errors == []
    assert sorted(os.listdir(shots)) == ["1-change-password.png", "2-overview.png", "3-board-before.png",
                                                       "4-board-after.png", "5-mood.png", "6-overview-phone.png"]


@pytest.mark.timeout(180)
async def test_repeated_failures_lock_the_sign_in(world: World, page: Any) -> None:
    from playwright.async_api import expect

    shots = Path(tempfile.mkdtemp(prefix="steward-dashboard-lockout-"))
    print(f"\ndashboard lockout screenshot: {shots}")
    await page.goto(world.url + "login")
    for _ in range(auth.LOGIN_FAILURES):
        await page.get_by_test_id("login").fill("bo@acme.test")
        await page.get_by_test_id("password").fill("a wrong guess")
        await page.get_by_test_id("sign-in").click()
        await expect(page.get_by_test_id("error")).to_contain_text("don't match")
    await page.get_by_test_id("login").fill("bo@acme.test")
    await page.get_by_test_id("password").fill("correct horse battery staple")  # right, but too late
    await page.get_by_test_id("sign-in").click()
    await expect(page.get_by_test_id("error")).to_contain_text("Too many failed sign-ins")
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await page.screenshot(path=str(shots / "lockout.png"), full_page=True)
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE event_type = 'dashboard.locked' AND user_id = %s",
                             world.ids["bo"]) == 1
    assert page.js_errors == []
