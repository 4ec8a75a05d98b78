"""A started Sandbox, and a minimal real Bolt app connected to it over Socket Mode."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest_asyncio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox

# The Slack SDK ignores NO_PROXY: loopback traffic must never go to a proxy.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)

MAYA = "U0DEMOMAYA"
PRIYA = "U0DEMOPRIY"
DANIEL = "U0DEMODANI"
ACME = "C0DEMOACME"
STANDUP = "C0DEMOSTND"
LEADERSHIP = "C0DEMOLEAD"

ECHO_MODAL = {
    "type": "modal",
    "callback_id": "echo_modal",
    "title": {"type": "plain_text", "text": "New task"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
         "element": {"type": "plain_text_input", "action_id": "value"}},
        {"type": "input", "block_id": "priority", "label": {"type": "plain_text", "text": "Priority"},
         "element": {"type": "static_select", "action_id": "value",
                     "options": [{"text": {"type": "plain_text", "text": t}, "value": t.lower()}
                                 for t in ("Low", "Normal", "High")]}},
        {"type": "input", "block_id": "due", "label": {"type": "plain_text", "text": "Due"},
         "element": {"type": "datepicker", "action_id": "value"}},
        {"type": "input", "block_id": "flags", "optional": True, "label": {"type": "plain_text", "text": "Flags"},
         "element": {"type": "checkboxes", "action_id": "value",
                     "options": [{"text": {"type": "plain_text", "text": "Client-facing"}, "value": "client"}]}},
    ],
}


def echo_blocks(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "echo", "text": {"type": "mrkdwn", "text": f"*You said:* {text}"}},
        {"type": "actions", "block_id": "echo_actions", "elements": [
            {"type": "button", "action_id": "echo_ok", "value": "42", "style": "primary",
             "text": {"type": "plain_text", "text": "Looks good"}},
        ]},
    ]


@dataclass
class EchoBot:
    """A tiny Bolt app: echoes DMs with a button, opens a modal on /echo, publishes an App Home."""

    app: AsyncApp
    handler: AsyncSocketModeHandler
    messages: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    homes: list[str] = field(default_factory=list)


def build_echo_app(sb: Sandbox) -> EchoBot:
    client = AsyncWebClient(token=sb.bot_token, base_url=sb.api_url)
    app = AsyncApp(client=client, request_verification_enabled=False, raise_error_for_unhandled_request=False)
    bot = EchoBot(app, AsyncSocketModeHandler(app, sb.app_token))

    @app.message()
    async def echo(message: dict[str, Any], say: Any) -> None:
        bot.messages.append(message)
        text = message.get("text", "")
        await say(text=f"You said: {text}", blocks=echo_blocks(text), thread_ts=message.get("thread_ts"))

    @app.action("echo_ok")
    async def pressed(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        bot.actions.append(body)
        await respond(text=f"Thanks <@{body['user']['id']}>, noted.", response_type="ephemeral", replace_original=False)

    @app.action("home_ping")
    async def home_ping(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        bot.actions.append(body)

    @app.command("/echo")
    async def command(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        bot.commands.append(command)
        if command.get("text") == "modal":
            await ack()
            await client.views_open(trigger_id=command["trigger_id"], view=ECHO_MODAL)
        elif command.get("text") == "buttons":
            await ack()
            await respond(text="Pick one", blocks=echo_blocks("ephemeral"))
        else:
            await ack(text=f"echo: {command.get('text', '')}")

    @app.view("echo_modal")
    async def submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        values = view["state"]["values"]
        if not (values.get("title", {}).get("value", {}).get("value") or "").strip():
            await ack(response_action="errors", errors={"title": "A task needs a title"})
            return
        if values["title"]["value"]["value"] == "reject":
            await ack(response_action="errors", errors={"title": "Not that one"})
            return
        await ack()
        bot.submissions.append(values)
        await client.chat_postMessage(channel=body["user"]["id"], text=f"Saved {values['title']['value']['value']}")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        bot.homes.append(event["user"])
        await client.views_publish(user_id=event["user"], view={
            "type": "home",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Your home"}},
                {"type": "section", "block_id": "home_s", "text": {"type": "mrkdwn", "text": "Ping me"},
                 "accessory": {"type": "button", "action_id": "home_ping", "value": "home",
                               "text": {"type": "plain_text", "text": "Ping"}}},
            ],
        })

    return bot


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest_asyncio.fixture
async def echo_bot(sandbox: Sandbox) -> AsyncIterator[EchoBot]:
    bot = build_echo_app(sandbox)
    await bot.handler.connect_async()
    await sandbox.emulator.wait_for_connections(1, timeout=10)
    try:
        yield bot
    finally:
        await bot.handler.close_async()
        await bot.app.client.session.close() if getattr(bot.app.client, "session", None) else None


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as session:
        yield session


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:  # noqa: ASYNC109
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)
