"""One emulator server hosting two workspaces, the token selecting the workspace as on slack.com: the real
slack_sdk and slack_bolt clients over loopback sockets."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture
async def two() -> AsyncIterator[tuple[SlackEmulator, SlackEmulator]]:
    a = SlackEmulator("T0ALPHA", "Alpha Agency", "xoxb-alpha-bot", "xapp-alpha-app", bot_user_id="UBOTA", bot_id="BA")
    b = a.add_workspace("T0BETA", "Beta Studio", bot_token="xoxb-beta-bot", app_token="xapp-beta-app",
                        bot_user_id="UBOTB", bot_id="BB")
    a.add_user("U0ANNA", "anna")
    b.add_user("U0BORIS", "boris")
    a.add_channel("C0ALPHA", "standup", members=["U0ANNA", "UBOTA"])
    b.add_channel("C0BETA", "standup", members=["U0BORIS", "UBOTB"])
    await a.start()
    try:
        yield a, b
    finally:
        await a.stop()


def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)


async def error_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call(**kwargs)
    return str(raised.value.response["error"])


async def test_both_workspaces_share_one_server_and_the_token_picks_the_workspace(
        two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    assert a.api_url == b.api_url
    alpha, beta = client(a), client(b)
    assert (await alpha.auth_test())["team_id"] == "T0ALPHA"
    auth_b = await beta.auth_test()
    assert (auth_b["team_id"], auth_b["user_id"], auth_b["bot_id"]) == ("T0BETA", "UBOTB", "BB")
    assert [m["id"] for m in (await beta.users_list())["members"] if not m.get("is_bot")] == ["U0BORIS", "USLACKBOT"]

    await alpha.chat_postMessage(channel="C0ALPHA", text="for alpha")
    await beta.chat_postMessage(channel="C0BETA", text="for beta")
    assert [m["text"] for m in a.messages("C0ALPHA")] == ["for alpha"]
    assert [m["text"] for m in b.messages("C0BETA")] == ["for beta"]
    # Each workspace records the calls made in it.
    assert {c.token for c in a.calls} == {"xoxb-alpha-bot"} and {c.token for c in b.calls} == {"xoxb-beta-bot"}


async def test_a_token_cannot_reach_into_the_other_workspace(two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    alpha = client(a)
    assert await error_of(alpha.chat_postMessage, channel="C0BETA", text="leak") == "channel_not_found"
    assert await error_of(alpha.chat_postMessage, channel="U0BORIS", text="leak") == "channel_not_found"
    assert await error_of(alpha.conversations_members, channel="C0BETA") == "channel_not_found"
    assert await error_of(alpha.users_info, user="U0BORIS") == "user_not_found"
    assert b.messages("C0BETA") == []
    # An unknown token is refused as before, and the app token only opens sockets.
    assert await error_of(AsyncWebClient(token="xoxb-nobody", base_url=a.api_url).auth_test) == "invalid_auth"
    assert await error_of(AsyncWebClient(token=b.app_token, base_url=a.api_url).auth_test) == "not_allowed_token_type"


async def test_form_bodies_with_the_token_inside_pick_the_workspace(two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    async with aiohttp.ClientSession() as session:
        async with session.post(a.api_url + "chat.postMessage",
                                data={"token": b.bot_token, "channel": "C0BETA", "text": "form"}) as r:
            assert (await r.json())["ok"]
        async with session.post(a.api_url + "chat.postMessage",
                                data={"token": b.bot_token, "channel": "C0ALPHA", "text": "form"}) as r:
            assert await r.json() == {"ok": False, "error": "channel_not_found"}
    assert [m["text"] for m in b.messages("C0BETA")] == ["form"] and a.messages("C0ALPHA") == []


async def test_each_app_install_gets_only_its_workspace_events(two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    seen: dict[str, list[tuple[str, str]]] = {"alpha": [], "beta": []}
    handlers = []
    def listener(name: str) -> Any:
        async def on_message(message: dict[str, Any], say: Any, context: Any) -> None:
            seen[name].append((context.team_id, message["text"]))
            await say(text=f"{name} heard {message['text']}")

        return on_message

    for name, emu in (("alpha", a), ("beta", b)):
        app = AsyncApp(client=client(emu))
        app.message("")(listener(name))
        handler = AsyncSocketModeHandler(app, emu.app_token)
        await handler.connect_async()
        handlers.append(handler)
    try:
        await a.wait_for_connections(1)
        await b.wait_for_connections(1)
        assert (a.connections, b.connections) == (1, 1)
        await a.user_message("U0ANNA", "C0ALPHA", "hello from alpha")
        await b.user_message("U0BORIS", "C0BETA", "hello from beta")
        for _ in range(300):
            if len(a.messages("C0ALPHA")) == 2 and len(b.messages("C0BETA")) == 2:
                break
            await asyncio.sleep(0.01)
        assert seen == {"alpha": [("T0ALPHA", "hello from alpha")], "beta": [("T0BETA", "hello from beta")]}
        assert [m["text"] for m in a.messages("C0ALPHA")] == ["hello from alpha", "alpha heard hello from alpha"]
        assert [m["text"] for m in b.messages("C0BETA")] == ["hello from beta", "beta heard hello from beta"]
    finally:
        for handler in handlers:
            await handler.close_async()


async def test_response_urls_reach_their_own_workspace(two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    app = AsyncApp(client=client(b))

    @app.command("/steward")
    async def steward(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="answered in beta")

    handler = AsyncSocketModeHandler(app, b.app_token)
    await handler.connect_async()
    try:
        await b.wait_for_connections(1)
        result = await b.slash_command("U0BORIS", "/steward", "help", channel="C0BETA")
        post = await result.wait_for_response(timeout=5)
        assert post.text == "answered in beta"
        assert [e.text for e in b.ephemerals_for("U0BORIS")] == ["answered in beta"] and a.ephemerals == []
    finally:
        await handler.close_async()


async def test_workspace_details_stay_apart(two: tuple[SlackEmulator, SlackEmulator]) -> None:
    a, b = two
    with pytest.raises(ValueError):
        a.add_workspace("T0BETA", "Again", bot_token="xoxb-other", app_token="xapp-other")
    with pytest.raises(ValueError):
        a.add_workspace("T0GAMMA", "Gamma", bot_token=b.bot_token, app_token="xapp-gamma")
    with pytest.raises(RuntimeError):
        await b.start()
    # DM channel ids come from one factory: never the same id in two workspaces.
    assert await a.dm_channel("U0ANNA") != await b.dm_channel("U0BORIS")
    assert b.served() == a.served() == [a, b]
