"""The README's own examples, typed word for word into the sandbox (as the page sends them) with the real
Steward behind it. Each sentence is checked to still be in the README, so the two cannot drift apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest

from bot.sandbox import Sandbox
from tests.e2e.test_sandbox_restart import Run, start
from tests.helpers import fetchval

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
MAYA, DANIEL, PRIYA, SAM = "U0DEMOMAYA", "U0DEMODANI", "U0DEMOPRIY", "U0DEMOSAMR"
STANDUP, ACME, LEADERSHIP = "C0DEMOSTND", "C0DEMOACME", "C0DEMOLEAD"


def in_readme(text: str) -> str:
    """`text` exactly as the README has it (line breaks in the README count as spaces)."""
    assert text in " ".join(README.split()), f"the README no longer says {text!r}: update this test with it"
    return text


@pytest.fixture
async def sandbox_run(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Run, aiohttp.ClientSession]]:
    run = await start(db_dsn, tmp_path)
    async with aiohttp.ClientSession(trust_env=False) as http:
        try:
            yield run, http
        finally:
            await run.stop()


class Page:
    """What the sandbox page does when a person types in its composer and presses Enter."""

    def __init__(self, sandbox: Sandbox, http: aiohttp.ClientSession, db_dsn: str) -> None:
        self.sandbox, self.http, self.db_dsn = sandbox, http, db_dsn
        self.emu = sandbox.emulator

    async def api(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.sandbox.web_url + path, json=body) as response:
            return await response.json()

    async def type(self, who: str, channel: str, text: str) -> str:
        """Type a line; return what Steward answered (its response to a command, or its next message)."""
        responses, calls = len(self.emu.response_posts), len(self.emu.calls)
        sent = await self.api("api/message", {"as": who, "channel": channel, "text": text})
        assert sent["ok"], sent
        if text.startswith("/"):
            if "slack" in sent:  # Slack's own command
                return str(sent["slack"])
            for _ in range(400):
                if len(self.emu.response_posts) > responses:
                    body = self.emu.response_posts[responses].body
                    return str(body.get("text") or "") + str(body.get("blocks") or "")
                await asyncio.sleep(0.05)
            raise AssertionError(f"no answer to {text!r}")
        call = await self.emu.wait_for_call(
            "chat.postMessage", lambda c: c.args.get("channel") in (channel, who), since=calls, timeout=20)
        return str(call.args.get("text") or "") + str(call.args.get("blocks") or "")

    async def confirm_draft(self, who: str, tasks_before: int) -> None:
        """Press Confirm on the newest draft in `who`'s DM with Steward, and wait for its tasks."""
        dm = self.emu.workspace.dm_channel(who).id
        preview = next(m for m in reversed(self.emu.messages(dm)) if "draft_confirm" in str(m.get("blocks")))
        assert (await self.api("api/action", {"as": who, "channel": dm, "message_ts": preview["ts"],
                                              "action_id": "draft_confirm"}))["ok"]
        for _ in range(200):
            if await self.value("SELECT count(*) FROM tasks") > tasks_before:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the draft was not confirmed")

    async def value(self, sql: str, *params: Any) -> Any:
        async with await psycopg.AsyncConnection.connect(self.db_dsn, autocommit=True) as conn:
            return await fetchval(conn, sql, params or None)


@pytest.mark.timeout(240)
async def test_things_to_try_in_the_sandbox(sandbox_run: tuple[Run, aiohttp.ClientSession], db_dsn: str) -> None:
    run, http = sandbox_run
    page = Page(run.sandbox, http, db_dsn)
    dm = await page.emu.dm_channel(PRIYA)

    # "Things to try as Priya: DM I'll redo the Acme landing page …, press Confirm, then open Home"
    said = in_readme("I'll redo the Acme landing page by Friday and fix the login bug")
    assert "draft_confirm" in await page.type(PRIYA, dm, said)
    await page.confirm_draft(PRIYA, 0)
    assert await page.value("SELECT string_agg(display_id, ',' ORDER BY display_number) FROM tasks") == "T-1,T-2"
    assert (await page.api("api/home", {"as": PRIYA}))["delivered"]
    for _ in range(200):
        if "T-1" in str(page.emu.home_views.get(PRIYA)):
            break
        await asyncio.sleep(0.05)
    assert "T-1" in str(page.emu.home_views.get(PRIYA))

    # "DM remind me to call the bank in 2 hours and press +1 day"
    reply = await page.type(PRIYA, dm, in_readme("remind me to call the bank in 2 hours"))
    assert "call the bank" in reply
    calls = len(page.emu.calls)
    assert (await page.api("api/clock", {"advance_minutes": 1440}))["ok"]
    ran = await page.api("api/jobs/reminders", {})
    assert ran["ok"] and "reminders" in ran["summary"]
    await page.emu.wait_for_call("chat.postMessage", lambda c: "call the bank" in str(c.args.get("text")), since=calls,
                                 timeout=20)

    # "type /board or /steward help"
    readme = " ".join(README.split())
    assert "type `/board` or `/steward help`" in readme
    assert "Backlog" in await page.type(PRIYA, dm, "/board")
    assert "/steward" in await page.type(PRIYA, dm, "/steward help")
    # "As Maya (an admin): /steward stage add QA limit 2"
    await page.type(MAYA, STANDUP, in_readme("/steward stage add QA limit 2"))
    assert await page.value("SELECT wip_limit FROM pipeline_stages WHERE name = 'QA'") == 2


@pytest.mark.timeout(240)
async def test_admin_commands_and_mentions_typed_by_hand(sandbox_run: tuple[Run, aiohttp.ClientSession], db_dsn: str) -> None:
    run, http = sandbox_run
    page = Page(run.sandbox, http, db_dsn)

    # "Using it with Slack": the admin commands, typed (not picked) in the sandbox.
    await page.type(MAYA, STANDUP, "/steward client add Globex Inc #client-acme")  # the issue's own example
    assert await page.value("SELECT slack_channel_id FROM clients WHERE name = 'Globex Inc'") == ACME
    await page.type(MAYA, STANDUP, in_readme("/steward project add Website relaunch for Acme"))
    assert await page.value("SELECT count(*) FROM projects WHERE name = 'Website relaunch'") == 1
    answer = await page.type(MAYA, STANDUP, in_readme(
        "/steward standup channel #standup time 09:00 timezone Europe/London days mon-fri"))
    assert "Pick the channel" not in answer
    assert await page.value("SELECT standup_channel_id || ' ' || timezone FROM org_settings") == f"{STANDUP} Europe/London"
    await page.type(MAYA, STANDUP, in_readme(
        "/steward standup channel #standup time 09:00 timezone America/New_York days mon-fri"))
    assert await page.value("SELECT timezone FROM org_settings") == "America/New_York"
    assert await page.value("SELECT count(*) FROM clients WHERE name LIKE '%%#%%'") == 0

    # "invite it to the channels it should remember (/invite @Steward)": Slack's own command, acted out.
    invited = await page.type(MAYA, LEADERSHIP, in_readme("/invite @Steward"))
    assert invited == "Added @steward to #leadership."
    assert page.emu.workspace.bot_is_member(page.emu.workspace.channel(LEADERSHIP))

    # "@steward what's going on with Acme?" in #client-acme gets an answer.
    answer = await page.type(MAYA, ACME, in_readme("@steward what's going on with Acme?"))
    assert "SSO certificate" in answer, answer  # the seeded history was read at start
    asked = page.emu.messages(ACME)[-2] if page.emu.messages(ACME)[-1].get("bot_id") else page.emu.messages(ACME)[-1]
    assert asked["text"].startswith(f"<@{page.emu.bot_user_id}>")

    # "/tasks @Daniel" and "/task assign T-8 @Sam" (eight tasks first, so T-8 exists).
    for n in range(1, 9):
        assert "draft" in await page.type(MAYA, STANDUP, f"/task add Landing page item {n}")
        await page.confirm_draft(MAYA, n - 1)
    assert await page.value("SELECT count(*) FROM tasks") == 8
    listing = await page.type(MAYA, STANDUP, "/tasks @Daniel")
    assert "client called" not in listing and "Daniel" in listing
    await page.type(MAYA, STANDUP, "/task assign T-8 @Sam")
    assert await page.value(
        "SELECT pi.external_id FROM tasks t JOIN platform_identities pi ON pi.user_id = t.user_id "
        "WHERE t.display_id = 'T-8'") == SAM
