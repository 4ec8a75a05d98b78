"""The sandbox page in a real (headless Debian) Chromium, with a real Bolt app connected."""

from __future__ import annotations

from typing import Any

from bot.sandbox import Sandbox
from tests.browser import needs_chromium
from tests.sandbox.conftest import ACME, PRIYA, EchoBot, eventually

SCREENSHOT = "/tmp/sandbox.png"

pytestmark = needs_chromium


async def test_dm_steward_and_press_a_button(sandbox: Sandbox, echo_bot: EchoBot, page: Any) -> None:
    from playwright.async_api import expect

    await page.goto(sandbox.web_url)
    await page.get_by_test_id("who").select_option(PRIYA)
    await expect(page.get_by_test_id("me")).to_contain_text("Priya Raman")
    await expect(page.get_by_test_id("status")).to_contain_text("connected")

    # A channel with history first: the seeded conversation renders with names and threads.
    await page.get_by_test_id("channel-client-acme").click()
    await expect(page.get_by_test_id("channel-title")).to_contain_text("client-acme")
    await expect(page.get_by_test_id("message").filter(has_text="SSO certificate")).to_be_visible()
    await expect(page.get_by_test_id("thread-open").first).to_be_visible()

    # DM Steward: type help, send, and see the reply.
    await page.get_by_test_id("dm-steward").click()
    await expect(page.get_by_test_id("channel-title")).to_have_text("Steward")
    await page.get_by_test_id("composer").fill("help")
    await page.get_by_test_id("send").click()
    reply = page.get_by_test_id("message").filter(has_text="You said: help")
    await expect(reply).to_be_visible(timeout=10_000)
    assert echo_bot.messages and echo_bot.messages[0]["text"] == "help"
    assert echo_bot.messages[0]["user"] == PRIYA

    # The reply's Block Kit button reaches the app, and the app's answer shows.
    button = reply.get_by_test_id("block-button")
    await expect(button).to_have_text("Looks good")
    await button.click()
    await expect(page.get_by_test_id("message").filter(has_text="noted")).to_be_visible(timeout=10_000)
    assert echo_bot.actions and echo_bot.actions[0]["actions"][0]["action_id"] == "echo_ok"
    assert echo_bot.actions[0]["actions"][0]["value"] == "42"
    assert echo_bot.actions[0]["user"]["id"] == PRIYA

    await page.screenshot(path=SCREENSHOT)
    assert page.js_errors == []


async def test_modal_home_thread_and_clock(sandbox: Sandbox, echo_bot: EchoBot, page: Any) -> None:
    from playwright.async_api import expect

    await page.goto(sandbox.web_url)
    await expect(page.get_by_test_id("status")).to_contain_text("connected")

    # A slash command from the composer opens a modal; fill every kind of input and submit.
    await page.get_by_test_id("composer").fill("/echo modal")
    await page.get_by_test_id("composer").press("Enter")
    modal = page.get_by_test_id("modal")
    await expect(modal).to_be_visible(timeout=10_000)
    await expect(page.get_by_test_id("modal-title")).to_have_text("New task")
    await page.get_by_test_id("modal-submit").click()  # empty required fields are caught in the page
    await expect(modal.get_by_test_id("input-error").first).to_have_text("Please complete this required field.")
    await page.get_by_label("Title").fill("reject")
    await page.get_by_label("Priority").select_option(label="High")
    await page.get_by_label("Due").fill("2026-03-13")
    await page.get_by_label("Client-facing").check()
    await page.get_by_test_id("modal-submit").click()
    await expect(modal.get_by_test_id("input-title").get_by_test_id("input-error")).to_have_text("Not that one")
    await page.get_by_label("Title").fill("Renew the SSO certificate")
    await page.get_by_test_id("modal-submit").click()
    await expect(modal).to_be_hidden(timeout=10_000)
    values = echo_bot.submissions[0]
    assert values["title"]["value"]["value"] == "Renew the SSO certificate"
    assert values["priority"]["value"]["selected_option"]["value"] == "high"
    assert values["due"]["value"]["selected_date"] == "2026-03-13"
    assert [o["value"] for o in values["flags"]["value"]["selected_options"]] == ["client"]
    await expect(page.get_by_test_id("message").filter(has_text="Saved Renew the SSO certificate")).to_be_visible()

    # App Home, and a button in it.
    await page.get_by_test_id("home-tab").click()
    home = page.get_by_test_id("home-view")
    await expect(home).to_contain_text("Your home", timeout=10_000)
    await home.get_by_test_id("block-button").click()
    await eventually(lambda: _async(any(a["actions"][0]["action_id"] == "home_ping" for a in echo_bot.actions)))

    # Reply in a thread in #client-acme.
    await page.get_by_test_id("channel-client-acme").click()
    await page.get_by_test_id("thread-open").first.click()
    await expect(page.get_by_test_id("thread-pane")).to_be_visible()
    await page.get_by_test_id("thread-composer").fill("Thanks, I'll check the metadata")
    await page.get_by_test_id("thread-send").click()
    await expect(page.get_by_test_id("thread-pane").get_by_test_id("message").filter(
        has_text="You said: Thanks")).to_be_visible(timeout=10_000)
    assert echo_bot.messages[-1]["channel"] == ACME and echo_bot.messages[-1].get("thread_ts")

    # The clock moves.
    before = sandbox.clock.now()
    await page.get_by_test_id("clock-advance").filter(has_text="+1 day").click()
    await expect(page.get_by_test_id("clock-offset")).to_contain_text("+1d")
    assert (sandbox.clock.now() - before).total_seconds() >= 86_400
    assert page.js_errors == []


async def _async(value: Any) -> Any:
    return value


async def test_a_link_with_an_escaped_ampersand_keeps_its_query(sandbox: Sandbox, echo_bot: EchoBot, page: Any) -> None:
    """Slack escapes & as &amp; inside <url|text> (the dashboard's sign-in link); the page's link is the real URL."""
    from playwright.async_api import expect
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    dm = (await client.conversations_open(users=PRIYA))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text="Here: <http://localhost:8080/dashboard/login?login=p%40acme.test"
                                                   "&amp;team=T0ACME|open the dashboard> &amp; more")
    await page.goto(sandbox.web_url)
    await page.get_by_test_id("who").select_option(PRIYA)
    await page.get_by_test_id("dm-steward").click()
    link = page.get_by_role("link", name="open the dashboard")
    await expect(link).to_be_visible()
    assert await link.get_attribute("href") == "http://localhost:8080/dashboard/login?login=p%40acme.test&team=T0ACME"
    await expect(page.get_by_test_id("message").filter(has_text="open the dashboard & more")).to_be_visible()
    assert page.js_errors == []
