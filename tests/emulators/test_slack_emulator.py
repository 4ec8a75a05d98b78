"""The Slack emulator driven by the real slack_sdk / slack_bolt clients over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator

# The SDK ignores NO_PROXY: a proxy from the environment would swallow loopback traffic.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)

MODAL = {
    "type": "modal",
    "callback_id": "task_modal",
    "title": {"type": "plain_text", "text": "New task"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
BUTTON_BLOCKS = [
    {
        "type": "actions",
        "block_id": "task_42",
        "elements": [
            {
                "type": "button",
                "action_id": "task_confirm",
                "text": {"type": "plain_text", "text": "Confirm"},
                "value": "42",
            }
        ],
    }
]
HOME = {
    "type": "home",
    "blocks": [
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "home_refresh",
                    "text": {"type": "plain_text", "text": "Refresh"},
                }
            ],
        }
    ],
}


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(team_id="T1", team_name="Demo", bot_token="xoxb-test", app_token="xapp-test")
    emulator.ack_timeout = 0.3
    emulator.add_user(
        "U100", name="alice", real_name="Alice Adams", email="alice@example.com", tz="America/New_York"
    )
    emulator.add_user("U200", name="bob", real_name="Bob Brown", email="bob@example.com")
    emulator.add_channel("C100", name="standup", members=["U100", "U200", emulator.bot_user_id])
    emulator.add_channel("C200", name="secret", is_private=True, members=["U100"])
    emulator.add_channel("C300", name="random", members=["U100"])
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)


@dataclass
class Bot:
    app: AsyncApp
    handler: AsyncSocketModeHandler
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def saw(self, kind: str, body: dict[str, Any]) -> None:
        self.bodies.setdefault(kind, []).append(body)


def register_listeners(app: AsyncApp, bot: Bot) -> None:
    @app.message(re.compile(".*"))
    async def echo(message: dict[str, Any], say: Any) -> None:
        bot.saw("message", message)
        await say(text=f"echo: {message['text']}", thread_ts=message.get("thread_ts"))

    @app.event("app_mention")
    async def mention(event: dict[str, Any]) -> None:
        bot.saw("app_mention", event)

    @app.event({"type": "message", "subtype": "message_changed"})
    async def changed(event: dict[str, Any]) -> None:
        bot.saw("message_changed", event)

    @app.command("/steward")
    async def steward(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack(text=f"working on {command['text']}")
        await respond(text="done")

    @app.command("/task")
    async def open_task_modal(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("task_modal")
    async def submitted(ack: Any, view: dict[str, Any]) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if not title.strip():
            await ack(response_action="errors", errors={"title": "Give the task a title"})
            return
        bot.saw("view_submission", view)
        await ack()

    @app.action("task_confirm")
    async def confirm(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        bot.saw("task_confirm", body)
        await respond(replace_original=True, text=f"confirmed {body['actions'][0]['value']}")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view=HOME)

    @app.action("home_refresh")
    async def refresh(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        bot.saw("home_refresh", body)


@pytest.fixture
async def bot(emu: SlackEmulator, client: AsyncWebClient) -> AsyncIterator[Bot]:
    app = AsyncApp(client=client)
    handler = AsyncSocketModeHandler(app, emu.app_token)
    harness = Bot(app, handler)
    register_listeners(app, harness)
    await handler.connect_async()
    await emu.wait_for_connections(1)
    yield harness
    await handler.close_async()


async def eventually(condition: Callable[[], bool], seconds: float = 3) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


class RawSocket:
    """A Socket Mode client that only records frames (and acks when told to)."""

    def __init__(
        self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, ack: bool
    ) -> None:
        self.session, self.ws, self.ack = session, ws, ack
        self.frames: list[dict[str, Any]] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, emu: SlackEmulator, ack: bool = False) -> RawSocket:
        opened = await AsyncWebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)
        session = aiohttp.ClientSession()
        return cls(session, await session.ws_connect(opened["url"]), ack)

    async def _read(self) -> None:
        async for message in self.ws:
            frame = json.loads(message.data)
            self.frames.append(frame)
            if self.ack and "envelope_id" in frame:
                await self.ws.send_str(json.dumps({"envelope_id": frame["envelope_id"]}))

    def envelopes(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.frames if "envelope_id" in f and (kind is None or f["type"] == kind)]

    async def wait_for_envelopes(self, count: int) -> list[dict[str, Any]]:
        await eventually(lambda: len(self.envelopes()) >= count)
        return self.envelopes()

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()
        self._reader.cancel()


# ---------------------------------------------------------------- events through Bolt


async def test_channel_message_reaches_listener_and_the_reply_is_stored(emu: SlackEmulator, bot: Bot) -> None:
    ts = await emu.user_message(user="U100", channel="C100", text="hello")

    call = await emu.wait_for_call("chat.postMessage")

    assert call.ok and call.args["channel"] == "C100" and call.token == emu.bot_token
    assert bot.bodies["message"][0]["channel_type"] == "channel"
    texts = [(m["text"], m.get("bot_id")) for m in emu.messages("C100")]
    assert texts == [("hello", None), ("echo: hello", emu.bot_id)]
    assert emu.messages("C100")[0]["ts"] == ts
    assert emu.calls_to("auth.test")[0].ok


async def test_dm_message_is_an_im_event(emu: SlackEmulator, bot: Bot) -> None:
    dm = await emu.dm_channel("U100")

    await emu.user_message(user="U100", channel=dm, text="hi there")
    await emu.wait_for_call("chat.postMessage")

    assert dm.startswith("D")
    assert bot.bodies["message"][0]["channel_type"] == "im"
    assert [m["text"] for m in emu.messages(dm)] == ["hi there", "echo: hi there"]


async def test_mention_arrives_as_message_and_app_mention(emu: SlackEmulator, bot: Bot) -> None:
    await emu.user_message(user="U100", channel="C100", text=f"<@{emu.bot_user_id}> status?")
    await emu.wait_for_call("chat.postMessage")
    await eventually(lambda: "app_mention" in bot.bodies)

    kinds = [e.payload["event"]["type"] for e in emu.envelopes]
    assert kinds == ["message", "app_mention"]
    assert len({e.payload["event_id"] for e in emu.envelopes}) == 2
    assert bot.bodies["app_mention"][0]["channel"] == "C100"


async def test_thread_reply_updates_the_parent(emu: SlackEmulator, bot: Bot) -> None:
    parent = emu.add_message("C100", "standup thread")
    await emu.user_message(user="U100", channel="C100", text="my update", thread_ts=parent["ts"])
    await emu.wait_for_call("chat.postMessage")

    replies = emu.thread("C100", parent["ts"])
    assert [r["text"] for r in replies] == ["my update", "echo: my update"]
    assert emu.message("C100", parent["ts"])["reply_count"] == 2  # type: ignore[index]
    assert bot.bodies["message"][0]["parent_user_id"] == emu.bot_user_id


async def test_message_edit_reaches_bolt(emu: SlackEmulator, bot: Bot) -> None:
    ts = await emu.user_message(user="U100", channel="C100", text="draft")
    await emu.wait_for_call("chat.postMessage")

    await emu.edit_message("C100", ts, "final")
    await eventually(lambda: "message_changed" in bot.bodies)

    event = bot.bodies["message_changed"][0]
    assert event["message"]["text"] == "final" and event["previous_message"]["text"] == "draft"
    assert emu.message("C100", ts)["text"] == "final"  # type: ignore[index]


async def test_channel_without_the_bot_gets_no_event(emu: SlackEmulator, bot: Bot) -> None:
    await emu.user_message(user="U100", channel="C300", text="nobody hears this")

    assert emu.envelopes == [] and emu.undelivered_events[0]["text"] == "nobody hears this"
    assert [m["text"] for m in emu.messages("C300")] == ["nobody hears this"]


# ---------------------------------------------------------------- interactions through Bolt


async def test_slash_command_ack_and_respond_are_captured(emu: SlackEmulator, bot: Bot) -> None:
    result = await emu.slash_command(user="U100", command="/steward", text="help", channel="C100")

    response = await result.wait_for_response(timeout=2)

    assert result.acked and not result.timed_out
    assert result.ack_text == "working on help"
    assert response.text == "done"
    # Bolt sends the ack up to 10 ms after ack() is called, so respond() can land first.
    assert sorted(e.text for e in emu.ephemerals_for("U100")) == ["done", "working on help"]


async def test_button_click_reaches_action_listener_and_replaces_the_message(
    emu: SlackEmulator, bot: Bot, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C100", text="Confirm task 42?", blocks=BUTTON_BLOCKS)

    result = await emu.click_button(
        user="U200", message_ts=posted["ts"], channel="C100", action_id="task_confirm"
    )
    await result.wait_for_response(timeout=2)

    body = bot.bodies["task_confirm"][0]
    assert body["actions"][0] | {"action_ts": None} == {
        "action_id": "task_confirm",
        "block_id": "task_42",
        "type": "button",
        "text": {"type": "plain_text", "text": "Confirm"},
        "value": "42",
        "action_ts": None,
    }
    assert body["container"]["message_ts"] == posted["ts"] and body["user"]["id"] == "U200"
    assert emu.message("C100", posted["ts"])["text"] == "confirmed 42"  # type: ignore[index]


async def test_only_buttons_the_message_shows_can_be_clicked(emu: SlackEmulator, bot: Bot,
                                                             client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C100", text="Confirm task 42?", blocks=BUTTON_BLOCKS)
    # A button the message never had, or one of another item (value), or in another block: Slack has nothing to click.
    for kwargs in ({"action_id": "task_drop"}, {"action_id": "task_confirm", "value": "43"},
                   {"action_id": "task_confirm", "block_id": "task_43"}):
        with pytest.raises(ValueError, match="nobody can click it"):
            await emu.click_button(user="U200", message_ts=posted["ts"], channel="C100", **kwargs)
    # Once chat.update replaced the buttons, they are gone; a client that had not refreshed (seen) can still press.
    await client.chat_update(channel="C100", ts=posted["ts"], text="confirmed",
                             blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "confirmed"}}])
    with pytest.raises(ValueError, match="nobody can click it"):
        await emu.click_button(user="U200", message_ts=posted["ts"], channel="C100", action_id="task_confirm")
    stale = await emu.click_button(user="U200", message_ts=posted["ts"], channel="C100", action_id="task_confirm",
                                   seen={"blocks": BUTTON_BLOCKS})
    assert stale.envelope.payload["actions"][0]["block_id"] == "task_42"


async def test_modal_opens_with_a_fresh_trigger_and_submission_is_acked(emu: SlackEmulator, bot: Bot) -> None:
    await emu.slash_command(user="U100", command="/task")
    opened = await emu.wait_for_call("views.open")
    view_id = opened.response["view"]["id"]

    rejected = await emu.submit_view(
        "U100", view_id, {"title": {"value": {"type": "plain_text_input", "value": " "}}}
    )
    accepted = await emu.submit_view(
        "U100", view_id, {"title": {"value": {"type": "plain_text_input", "value": "Ship"}}}
    )

    assert opened.ok and view_id in {opened.response["view"]["root_view_id"]}
    assert rejected == {"response_action": "errors", "errors": {"title": "Give the task a title"}}
    assert accepted == {}
    assert view_id not in emu.open_views
    assert bot.bodies["view_submission"][0]["state"]["values"]["title"]["value"]["value"] == "Ship"


async def test_views_open_rejects_stale_unknown_and_reused_triggers(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    stale = emu.issue_trigger_id("U100", issued_at=time.monotonic() - 5)
    fresh = emu.issue_trigger_id("U100")

    errors = []
    for trigger_id in (stale, "1.2.unknown"):
        with pytest.raises(SlackApiError) as raised:
            await client.views_open(trigger_id=trigger_id, view=MODAL)
        errors.append(raised.value.response["error"])
    opened = await client.views_open(trigger_id=fresh, view=MODAL)
    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=fresh, view=MODAL)

    assert errors == ["expired_trigger_id", "expired_trigger_id"]
    assert opened["view"]["id"] in emu.open_views
    assert reused.value.response["error"] == "exchanged_trigger_id"


async def test_app_home_publish_and_home_button(emu: SlackEmulator, bot: Bot) -> None:
    await emu.open_app_home("U100")
    await emu.wait_for_call("views.publish")
    home = emu.home_views["U100"]

    result = await emu.click_button(user="U100", view_id=home["id"], action_id="home_refresh")

    assert result.acked and result.response_url is None
    body = bot.bodies["home_refresh"][0]
    assert body["container"] == {"type": "view", "view_id": home["id"]}
    assert body["view"]["type"] == "home"


# ---------------------------------------------------------------- Socket Mode delivery rules


async def test_unacked_event_is_resent_three_times_with_the_same_event_id(emu: SlackEmulator) -> None:
    emu.ack_timeout = 0.1
    raw = await RawSocket.connect(emu, ack=False)
    try:
        await emu.user_message(user="U100", channel="C100", text="anyone?")
        envelopes = await raw.wait_for_envelopes(4)
        await asyncio.sleep(0.25)
    finally:
        await raw.close()

    assert raw.frames[0]["type"] == "hello"
    assert [(e["retry_attempt"], e["retry_reason"]) for e in envelopes] == [
        (0, ""),
        (1, "timeout"),
        (2, "timeout"),
        (3, "timeout"),
    ]
    assert len({e["payload"]["event_id"] for e in envelopes}) == 1
    assert len({e["envelope_id"] for e in envelopes}) == 4
    assert all(e["payload"] == envelopes[0]["payload"] for e in envelopes)
    delivery = emu.hub.deliveries[envelopes[0]["payload"]["event_id"]]
    assert delivery.gave_up and len(emu.unacked_envelopes) == 4


async def test_acked_event_is_not_resent_and_commands_are_never_retried(emu: SlackEmulator) -> None:
    emu.ack_timeout = 0.25
    acking = await RawSocket.connect(emu, ack=True)
    try:
        await emu.user_message(user="U100", channel="C100", text="hi")
        await asyncio.sleep(0.3)
    finally:
        await acking.close()
    silent = await RawSocket.connect(emu, ack=False)
    try:
        result = await emu.slash_command(user="U100", command="/steward", text="x")
        await asyncio.sleep(0.3)
    finally:
        await silent.close()

    assert len(acking.envelopes("events_api")) == 1
    assert result.timed_out and result.ack is None
    assert len(silent.envelopes("slash_commands")) == 1
    assert emu.timed_out_interactions == [result.envelope]


async def test_envelopes_are_spread_round_robin(emu: SlackEmulator) -> None:
    sockets = [await RawSocket.connect(emu, ack=True) for _ in range(2)]
    try:
        await emu.wait_for_connections(2)
        for n in range(4):
            await emu.user_message(user="U100", channel="C100", text=f"m{n}")
        await asyncio.sleep(0.05)
    finally:
        for raw in sockets:
            await raw.close()

    assert [len(raw.envelopes()) for raw in sockets] == [2, 2]
    assert len(emu.acked_envelopes) == 4


async def test_bot_reconnects_after_drop_sockets(emu: SlackEmulator, bot: Bot) -> None:
    await emu.drop_sockets()

    await emu.user_message(user="U100", channel="C100", text="still there?")
    await emu.wait_for_call("chat.postMessage")

    assert len(emu.calls_to("apps.connections.open")) == 2
    assert emu.connections == 1
    assert emu.messages("C100")[-1]["text"] == "echo: still there?"


async def test_bot_reconnects_after_a_disconnect_message(emu: SlackEmulator, bot: Bot) -> None:
    await emu.send_disconnect("refresh_requested")

    await emu.user_message(user="U100", channel="C100", text="after refresh")
    await emu.wait_for_call("chat.postMessage")

    assert len(emu.calls_to("apps.connections.open")) == 2


async def test_tcp_reset_closes_the_socket_without_a_close_frame(emu: SlackEmulator) -> None:
    raw = await RawSocket.connect(emu)
    try:
        await emu.wait_for_connections(1)
        await emu.drop_sockets(close_frame=False)
        await eventually(lambda: raw.ws.closed and emu.connections == 0)
    finally:
        await raw.close()

    assert raw.ws.close_code != 1001


async def test_own_messages_are_echoed_when_asked(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.echo_own_events = True
    raw = await RawSocket.connect(emu, ack=True)
    try:
        await emu.wait_for_connections(1)
        posted = await client.chat_postMessage(channel="C100", text="from the bot")
        events = await raw.wait_for_envelopes(1)
    finally:
        await raw.close()

    event = events[0]["payload"]["event"]
    assert (event["bot_id"], event["user"], event["ts"]) == (emu.bot_id, emu.bot_user_id, posted["ts"])


async def test_malformed_envelopes_do_not_break_the_bot(emu: SlackEmulator, bot: Bot) -> None:
    await emu.send_raw_envelope("this is not json")
    await emu.send_raw_envelope({"envelope_id": "no-payload", "type": "events_api"})

    await emu.user_message(user="U100", channel="C100", text="after garbage")
    await emu.wait_for_call("chat.postMessage")

    assert [e.envelope_id for e in emu.unacked_envelopes] == ["no-payload"]


# ---------------------------------------------------------------- Web API


async def test_rate_limit_injection_raises_with_retry_after(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    emu.set_rate_limit(method="chat.postMessage", times=2, retry_after=1)

    statuses = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C100", text="hi")
        statuses.append(raised.value.response.status_code)
        assert raised.value.response.headers["Retry-After"] == "1"
        assert raised.value.response["error"] == "ratelimited"
    third = await client.chat_postMessage(channel="C100", text="hi")

    assert statuses == [429, 429] and third["ok"]
    assert [c.status for c in emu.calls_to("chat.postMessage")] == [429, 429, 200]


async def test_per_minute_rate_limit_is_per_method(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.rate_limit_per_minute = 2
    for _ in range(2):
        await client.chat_postMessage(channel="C100", text="hi")

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C100", text="hi")
    other = await client.users_info(user="U100")

    assert raised.value.response.status_code == 429
    assert 1 <= int(raised.value.response.headers["Retry-After"]) <= 60
    assert other["ok"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("chat_postMessage", {"channel": "C999", "text": "x"}, "channel_not_found"),
        ("chat_postMessage", {"channel": "C100"}, "no_text"),
        ("chat_postMessage", {"channel": "C200", "text": "x"}, "channel_not_found"),  # private, not a member
        ("chat_postMessage", {"channel": "C300", "text": "x"}, "not_in_channel"),  # public, no chat:write.public
        ("chat_update", {"channel": "C100", "ts": "1.000001", "text": "x"}, "message_not_found"),
        ("users_info", {"user": "U999"}, "user_not_found"),
        ("conversations_info", {"channel": "C200"}, "channel_not_found"),
        ("conversations_history", {"channel": "C300"}, "not_in_channel"),
    ],
)
async def test_web_api_errors_look_like_slack(
    emu: SlackEmulator, client: AsyncWebClient, method: str, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await getattr(client, method)(**kwargs)

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == error


async def test_bad_and_missing_tokens(emu: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as bad:
        await AsyncWebClient(token="xoxb-wrong", base_url=emu.api_url).auth_test()
    async with aiohttp.ClientSession() as session, session.post(emu.api_url + "auth.test") as response:
        missing = await response.json()
    with pytest.raises(SlackApiError) as wrong_type:
        await AsyncWebClient(token=emu.app_token, base_url=emu.api_url).chat_postMessage(
            channel="C100", text="x"
        )

    assert bad.value.response["error"] == "invalid_auth"
    assert missing == {"ok": False, "error": "not_authed"}
    assert wrong_type.value.response["error"] == "not_allowed_token_type"


async def test_history_pagination_returns_every_message_once(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    seeded = [emu.add_message("C100", f"message {n}", user="U100")["ts"] for n in range(250)]

    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        page = await client.conversations_history(channel="C100", limit=100, cursor=cursor)
        seen.extend(m["ts"] for m in page["messages"])
        sizes.append(len(page["messages"]))
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break

    assert sizes == [100, 100, 50] and cursor == ""
    assert seen == list(reversed(seeded))
    window = await client.conversations_history(channel="C100", oldest=seeded[9], latest=seeded[20], limit=5)
    assert [m["ts"] for m in window["messages"]] == list(reversed(seeded[15:20]))
    assert window["has_more"]


async def test_replies_members_and_users_list_paginate(emu: SlackEmulator, client: AsyncWebClient) -> None:
    parent = emu.add_message("C100", "thread", user="U100")
    for n in range(5):
        emu.add_message("C100", f"reply {n}", user="U200", thread_ts=parent["ts"])

    first = await client.conversations_replies(channel="C100", ts=parent["ts"], limit=4)
    second = await client.conversations_replies(
        channel="C100", ts=parent["ts"], limit=4, cursor=first["response_metadata"]["next_cursor"]
    )
    users: list[str] = []
    cursor = None
    while cursor != "":
        page = await client.users_list(limit=2, cursor=cursor)
        users.extend(u["id"] for u in page["members"])
        cursor = page["response_metadata"]["next_cursor"]

    assert [m["text"] for m in first["messages"] + second["messages"]] == ["thread"] + [
        f"reply {n}" for n in range(5)
    ]
    assert sorted(users) == sorted(["U100", "U200", emu.bot_user_id, "USLACKBOT"])
    members = await client.conversations_members(channel="C100")
    assert members["members"] == sorted(["U100", "U200", emu.bot_user_id])


async def test_conversations_open_list_and_join(emu: SlackEmulator, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U200")
    await client.chat_postMessage(channel="U200", text="psst")
    listed = await client.conversations_list(types="public_channel,private_channel,im")
    joined = await client.conversations_join(channel="C300")

    dm = opened["channel"]["id"]
    assert emu.messages(dm)[0]["text"] == "psst"
    assert {c["id"] for c in listed["channels"]} == {"C100", "C300", dm}
    assert joined["channel"]["is_member"] and emu.bot_user_id in emu.workspace.channels["C300"].members


async def test_update_delete_ephemeral_permalink_and_reaction(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C100", text="v1")
    await client.chat_update(channel="C100", ts=posted["ts"], text="v2")
    await client.reactions_add(channel="C100", timestamp=posted["ts"], name="white_check_mark")
    link = await client.chat_getPermalink(channel="C100", message_ts=posted["ts"])
    eph = await client.chat_postEphemeral(channel="C100", user="U100", text="only you")
    later = await client.chat_postMessage(channel="C100", text="later")
    await client.chat_delete(channel="C100", ts=later["ts"])

    stored = emu.message("C100", posted["ts"])
    assert stored is not None and stored["text"] == "v2" and stored["edited"]["user"] == emu.bot_user_id
    assert stored["reactions"] == [{"name": "white_check_mark", "users": [emu.bot_user_id], "count": 1}]
    assert link["permalink"].endswith(f"/archives/C100/p{posted['ts'].replace('.', '')}")
    assert emu.ephemerals_for("U100")[0].text == "only you" and eph["message_ts"]
    assert [m["ts"] for m in emu.messages("C100")] == [posted["ts"]]
    assert float(later["ts"]) > float(posted["ts"])


async def test_files_upload_v2(emu: SlackEmulator, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="C100",
        content=b"weekly,report\n1,2\n",
        filename="report.csv",
        title="Weekly",
        initial_comment="Here",
    )

    file_id = response["file"]["id"]
    stored = emu.workspace.files.files[file_id]
    assert stored.content == b"weekly,report\n1,2\n" and stored.title == "Weekly"
    shared = emu.messages("C100")[-1]
    assert shared["text"] == "Here" and shared["files"][0]["id"] == file_id
    with pytest.raises(SlackApiError) as refused:  # Steward's manifest does not ask for files:read
        await client.files_info(file=file_id)
    assert refused.value.response["error"] == "missing_scope" and refused.value.response["needed"] == "files:read"
    emu.api.scopes |= {"files:read"}
    info = await client.files_info(file=file_id)
    assert info["file"]["name"] == "report.csv" and info["file"]["size"] == 18


async def test_form_encoded_and_json_bodies_both_work(emu: SlackEmulator) -> None:
    headers = {"Authorization": f"Bearer {emu.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(
            emu.api_url + "chat.postMessage", data={"channel": "C100", "text": "form"}
        ) as r:
            form = await r.json()
        async with session.post(
            emu.api_url + "chat.postMessage", json={"channel": "C100", "text": "json"}
        ) as r:
            as_json = await r.json()
        async with session.post(emu.api_url + "nope.nothing", json={}) as r:
            unknown = await r.json()

    assert form["ok"] and as_json["ok"] and unknown == {"ok": False, "error": "unknown_method"}
    assert [m["text"] for m in emu.messages("C100")] == ["form", "json"]
    assert emu.calls[0].args == {"channel": "C100", "text": "form"}


async def test_wait_for_call_returns_each_call_once(emu: SlackEmulator, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C100", text="one")
    await client.chat_postMessage(channel="C100", text="two")

    first = await emu.wait_for_call("chat.postMessage")
    second = await emu.wait_for_call("chat.postMessage")
    with pytest.raises(TimeoutError):
        await emu.wait_for_call("chat.postMessage", timeout=0.05)

    assert (first.args["text"], second.args["text"]) == ("one", "two")


# ---------------------------------------------------------------- statuses, as Slack reports them

async def test_a_status_is_in_every_profile_and_sent_as_user_change(emu: SlackEmulator, client: AsyncWebClient) -> None:
    listed = await client.users_list()
    alice = next(m for m in listed["members"] if m["id"] == "U100")
    assert (alice["profile"]["status_text"], alice["profile"]["status_emoji"], alice["profile"]["status_expiration"]) == ("", "", 0)
    socket = await RawSocket.connect(emu, ack=True)
    try:
        await emu.wait_for_connections(1)
        await emu.set_status("U100", "Vacationing", ":palm_tree:", 1773446400)
        frames = await socket.wait_for_envelopes(1)
    finally:
        await socket.close()
    event = frames[-1]["payload"]["event"]
    assert event["type"] == "user_change" and event["user"]["id"] == "U100"
    assert {k: event["user"]["profile"][k] for k in ("status_text", "status_emoji", "status_expiration")} == {
        "status_text": "Vacationing", "status_emoji": ":palm_tree:", "status_expiration": 1773446400}
    emu.api.scopes |= {"users.profile:read"}  # not in Steward's manifest: it reads statuses from users.info
    profile = (await client.users_profile_get(user="U100"))["profile"]
    assert (profile["status_text"], profile["status_emoji"], profile["status_expiration"]) == ("Vacationing", ":palm_tree:", 1773446400)
    info = (await client.users_info(user="U100"))["user"]["profile"]
    assert info["status_text"] == "Vacationing"
    own = (await client.users_profile_get())["profile"]  # no user: the caller's own (the bot's)
    assert own["status_text"] == ""


async def test_scopes_are_enforced_and_reported(emu: SlackEmulator, client: AsyncWebClient) -> None:
    # Every answer to the bot token names its scopes (what `steward doctor` reads from auth.test).
    auth = await client.auth_test()
    assert set(auth.headers["x-oauth-scopes"].split(",")) == emu.api.scopes
    assert "chat:write" in emu.api.scopes
    emu.api.scopes -= {"chat:write", "im:history"}
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C100", text="hi")
    assert refused.value.response["error"] == "missing_scope" and refused.value.response["needed"] == "chat:write"
    assert "chat:write" not in refused.value.response["provided"].split(",")
    # The conversation's kind decides: a public channel's history needs channels:history, a DM's im:history.
    await client.conversations_history(channel="C100")
    dm = (await client.conversations_open(users="U100"))["channel"]["id"]
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel=dm)
    assert refused.value.response["needed"] == "im:history"
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_list(types="public_channel,mpim")
    assert refused.value.response["needed"] == "mpim:read"
    assert (await client.auth_test())["ok"]  # needs no scope


async def test_custom_profile_fields_as_slack_lists_them(emu: SlackEmulator, client: AsyncWebClient) -> None:
    manager = emu.add_profile_field("Manager", "user", hint="The boss")
    emu.add_profile_field("Desk", "text", is_hidden=True)
    emu.set_profile_field("U100", manager, "U101")
    # team.profile.get and users.profile.get need users.profile:read, like Slack.
    emu.api.scopes -= {"users.profile:read"}
    with pytest.raises(SlackApiError) as refused:
        await client.team_profile_get()
    assert refused.value.response["error"] == "missing_scope" and refused.value.response["needed"] == "users.profile:read"
    emu.api.scopes |= {"users.profile:read"}
    fields = (await client.team_profile_get())["profile"]["fields"]
    assert [(f["id"], f["label"], f["type"]) for f in fields] == [(manager, "Manager", "user"), ("Xf00000002", "Desk", "text")]
    assert [f["label"] for f in (await client.team_profile_get(visibility="visible"))["profile"]["fields"]] == ["Manager"]
    assert [f["label"] for f in (await client.team_profile_get(visibility="hidden"))["profile"]["fields"]] == ["Desk"]
    with pytest.raises(SlackApiError) as refused:
        await client.team_profile_get(visibility="some")
    assert refused.value.response["error"] == "invalid_arguments"
    # A person's values come only from users.profile.get (labels on request), never in users.list / users.info.
    profile = (await client.users_profile_get(user="U100"))["profile"]
    assert profile["fields"] == {manager: {"value": "U101", "alt": ""}}
    labelled = (await client.users_profile_get(user="U100", include_labels=True))["profile"]["fields"]
    assert labelled[manager]["label"] == "Manager"
    assert "fields" not in (await client.users_info(user="U100"))["user"]["profile"]
    assert all("fields" not in m["profile"] for m in (await client.users_list())["members"])


def test_response_action_errors_must_name_input_blocks_of_the_view() -> None:
    """As strict as Slack: errors for a block that is not an input of the view are not shown under any field."""
    from bot.emulators.slack.errors import SlackError
    from bot.emulators.slack.views import _check_errors

    view = {"blocks": [{"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"}},
                       {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
                        "element": {"type": "plain_text_input", "action_id": "title"}}]}
    _check_errors(view, {"title": "A task needs a title."})
    for bad in ({}, {"intro": "No"}, {"missing": "No"}, {"title": ""}, ["title"]):
        with pytest.raises(SlackError, match="invalid_response_action_errors"):
            _check_errors(view, bad)
