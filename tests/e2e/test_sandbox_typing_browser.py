"""The sandbox page types like a Slack client, in Chromium with the real Steward behind it: @ and #
autocomplete by keyboard, emoji, permalinks, slash commands in threads, and the job menu."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.browser import needs_chromium
from tests.e2e.test_sandbox_restart import Run, start
from tests.helpers import fetchval

pytestmark = needs_chromium
MAYA, DANIEL = "U0DEMOMAYA", "U0DEMODANI"
ACME = "C0DEMOACME"


@pytest.fixture
async def run(db_dsn: str, tmp_path: Path) -> AsyncIterator[Run]:
    started = await start(db_dsn, tmp_path)
    try:
        yield started
    finally:
        await started.stop()


async def _open_as_maya_in_acme(run: Run, page: Any) -> None:
    from playwright.async_api import expect

    await page.goto(run.sandbox.web_url)
    await page.get_by_test_id("who").select_option(MAYA)
    await expect(page.get_by_test_id("status")).to_contain_text("connected")
    await page.get_by_test_id("channel-client-acme").click()
    await expect(page.get_by_test_id("channel-title")).to_contain_text("client-acme")


@pytest.mark.timeout(180)
async def test_at_and_hash_picked_by_keyboard_reach_steward_as_slack_sends_them(run: Run, page: Any, db_dsn: str) -> None:
    from playwright.async_api import expect

    await _open_as_maya_in_acme(run, page)
    composer = page.get_by_test_id("composer")
    options = page.get_by_test_id("autocomplete").get_by_test_id("ac-option")

    # "@" lists people; Escape closes the list without touching the text.
    await composer.press_sequentially("@")
    await expect(options.first).to_be_visible()
    assert await options.count() >= 5
    await composer.press("Escape")
    await expect(page.get_by_test_id("autocomplete")).to_be_hidden()
    await composer.fill("")

    # "@stew", Enter picks Steward; the rest is typed; Enter sends; Steward answers in the channel.
    await composer.press_sequentially("@stew")
    await expect(options).to_have_count(1)
    await expect(options.first).to_contain_text("Steward")
    await composer.press("Enter")
    await expect(composer).to_have_value("@Steward ")
    await composer.press_sequentially("what's going on with Acme?")
    await composer.press("Enter")
    question = page.get_by_test_id("messages").get_by_test_id("message").filter(has_text="going on with Acme")
    await question.get_by_test_id("thread-open").click(timeout=20_000)  # Steward answers in the thread
    answer = page.get_by_test_id("thread-pane").locator('[data-testid="message"][data-kind="bot"]').last
    await expect(answer).to_be_visible(timeout=20_000)  # what it knows is memory's business, not the page's
    await page.get_by_test_id("thread-close").click()
    asked = [m for m in run.sandbox.emulator.messages(ACME) if "going on with Acme" in m["text"]]
    assert asked[-1]["text"] == f"<@{run.sandbox.emulator.bot_user_id}> what's going on with Acme?"

    # A slash command: "#cli", arrow down and back, Tab picks #client-acme; Steward creates the client.
    await composer.press_sequentially("/steward client add Globex Inc #cli")
    await expect(options.first).to_contain_text("client-acme")
    await composer.press("ArrowDown")
    await composer.press("ArrowUp")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    await composer.press("Tab")
    await expect(composer).to_have_value("/steward client add Globex Inc #client-acme ")
    await composer.press("Enter")
    await expect(page.get_by_test_id("message").filter(has_text="Added client Globex Inc")).to_be_visible(timeout=20_000)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT slack_channel_id FROM clients WHERE name = 'Globex Inc'") == ACME

    # "/tasks @Dan" + Enter picks Daniel: Steward lists Daniel's tasks instead of looking for a client "@Daniel".
    await composer.press_sequentially("/tasks @Dan")
    await expect(options.first).to_contain_text("Daniel Okafor")
    await composer.press("Enter")
    await expect(composer).to_have_value("/tasks @Daniel ")
    mark = len(run.sandbox.emulator.response_posts)
    await composer.press("Enter")
    await expect(composer).to_have_value("")
    for _ in range(200):
        if len(run.sandbox.emulator.response_posts) > mark:
            break
        await page.wait_for_timeout(50)
    reply = run.sandbox.emulator.response_posts[mark]
    assert "client called" not in str(reply.body) and "Daniel" in str(reply.body)
    assert page.js_errors == []


@pytest.mark.timeout(180)
async def test_emoji_permalinks_threads_and_jobs(run: Run, page: Any) -> None:
    from playwright.async_api import expect

    await _open_as_maya_in_acme(run, page)
    composer = page.get_by_test_id("composer")

    # Emoji from the full table.
    await composer.fill("Offsite :palm_tree: if the :cloud: clears :pencil2:")
    await composer.press("Enter")
    posted = page.get_by_test_id("message").filter(has_text="Offsite")
    await expect(posted).to_contain_text("\U0001F334 if the \u2601\uFE0F clears \u270F\uFE0F", timeout=10_000)

    # A permalink Steward cites opens the cited message, highlighted.
    emu = run.sandbox.emulator
    cited = next(m for m in emu.messages(ACME) if "SSO certificate" in m["text"])
    link = emu.workspace.permalink(ACME, cited["ts"])
    emu.add_message(emu.workspace.dm_channel(MAYA).id, f"From memory: the SSO renewal <{link}|[1]>")
    await page.get_by_test_id("dm-steward").click()
    await page.get_by_test_id("message").filter(has_text="From memory").get_by_role("link", name="[1]").click()
    highlighted = page.locator(".msg.highlight")
    await expect(highlighted).to_have_attribute("data-ts", cited["ts"])
    await expect(page.get_by_test_id("channel-title")).to_contain_text("client-acme")
    await expect(highlighted).to_be_in_viewport()
    # A link's address and label arrive escaped as Slack sends them (`&amp;`): the page undoes it, so no parameter is lost.
    emu.add_message(emu.workspace.dm_channel(MAYA).id, "Sign in: <https://steward.test/dashboard/login?u=1&amp;team=T1|Q&amp;A>")
    await page.get_by_test_id("dm-steward").click()
    signin = page.get_by_test_id("message").filter(has_text="Sign in").get_by_role("link", name="Q&A")
    await expect(signin).to_have_attribute("href", "https://steward.test/dashboard/login?u=1&team=T1")
    await page.get_by_test_id("channel-client-acme").click()

    # An app's slash command in a thread is refused as Slack refuses it, and the text stays in the box.
    await page.get_by_test_id("thread-open").first.click()
    reply_box = page.get_by_test_id("thread-composer")
    await reply_box.fill("/task add Renew the certificate")
    await reply_box.press("Enter")
    await expect(page.get_by_test_id("toast")).to_have_text("/task is not supported in threads. Sorry!")
    await expect(page.get_by_test_id("thread-pane").locator('[data-kind="slackbot"]')).to_contain_text(
        "not supported in threads")
    await expect(reply_box).to_have_value("/task add Renew the certificate")

    # The job menu starts with the day's rhythm, and Run now says what happened in words.
    options = await page.get_by_test_id("job-select").locator("option").all_inner_texts()
    assert options[:5] == ["morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin"]
    await page.get_by_test_id("job-select").select_option("nudges")
    await page.get_by_test_id("job-run").click()
    toast = page.get_by_test_id("toast")
    await expect(toast).to_contain_text(re.compile(r"^nudges: "))
    assert "{" not in await toast.inner_text()
    await page.screenshot(path="/tmp/sandbox-typing.png")
    assert page.js_errors == []
