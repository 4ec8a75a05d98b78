"""Message metadata in the Slack emulator, as strict as Slack (bot/emulators/slack/metadata.py), and the
pauses that hold a Web API call before or after Slack handles it (a slow or cut network)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)

DELIVERY = {"event_type": "steward_delivery", "event_payload": {"delivery_id": 42}}


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(team_id="T1", team_name="Demo", bot_token="xoxb-test", app_token="xapp-test")
    emulator.add_user("U100", name="alice", real_name="Alice Adams")
    emulator.add_channel("C100", "general", members=["U100", emulator.bot_user_id])
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)


async def test_metadata_is_kept_but_its_payload_is_shown_only_with_include_all_metadata(
        emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C100", text="hello", metadata=Metadata(**DELIVERY))
    # Slack's answer and a plain history read show the event type only (python-slack-sdk issue #1501).
    assert posted["message"]["metadata"] == {"event_type": "steward_delivery"}
    plain = await client.conversations_history(channel="C100")
    assert plain["messages"][0]["metadata"] == {"event_type": "steward_delivery"}
    full = await client.conversations_history(channel="C100", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == DELIVERY
    assert emu.messages("C100")[0]["metadata"] == DELIVERY

    reply = await client.chat_postMessage(channel="C100", thread_ts=posted["ts"], text="in thread", metadata=DELIVERY)
    thread = await client.conversations_replies(channel="C100", ts=posted["ts"], include_all_metadata=True)
    assert [m.get("metadata") for m in thread["messages"]] == [DELIVERY, DELIVERY]
    bare = await client.conversations_replies(channel="C100", ts=posted["ts"])
    assert [m["metadata"] for m in bare["messages"]] == [{"event_type": "steward_delivery"}] * 2
    assert reply["ts"] == thread["messages"][1]["ts"]


async def test_metadata_as_a_form_field_json_string(emu: SlackEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(emu.api_url + "chat.postMessage", data={
                "token": emu.bot_token, "channel": "C100", "text": "form",
                "metadata": '{"event_type": "steward_delivery", "event_payload": {"delivery_id": 7}}'}) as answer:
            body = await answer.json()
        async with http.post(emu.api_url + "chat.postMessage", data={
                "token": emu.bot_token, "channel": "C100", "text": "form", "metadata": "{not json"}) as answer:
            broken = await answer.json()
    assert body["ok"] is True
    assert emu.messages("C100")[0]["metadata"]["event_payload"] == {"delivery_id": 7}
    assert broken == {"ok": False, "error": "invalid_metadata_format"}


@pytest.mark.parametrize("metadata, error", [
    ("just words", "invalid_metadata_format"),
    (["steward_delivery"], "invalid_metadata_format"),
    (42, "invalid_metadata_format"),
    ({"event_type": "steward_delivery"}, "invalid_metadata_schema"),
    ({"event_payload": {"delivery_id": 1}}, "invalid_metadata_schema"),
    ({"event_type": "", "event_payload": {}}, "invalid_metadata_schema"),
    ({"event_type": 5, "event_payload": {}}, "invalid_metadata_schema"),
    ({"event_type": "steward_delivery", "event_payload": "42"}, "invalid_metadata_schema"),
    ({"event_type": "steward_delivery", "event_payload": {"delivery_id": None}}, "invalid_metadata_schema"),
    ({"event_type": "steward_delivery", "event_payload": {"deep": {"deeper": {"x": 1}}}}, "invalid_metadata_schema"),
    ({"event_type": "steward_delivery", "event_payload": {}, "extra": 1}, "invalid_metadata_schema"),
])
async def test_malformed_metadata_is_refused_like_slack(emu: SlackEmulator, client: AsyncWebClient, metadata: Any,
                                                      error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C100", text="hello", metadata=metadata)
    assert refused.value.response["error"] == error
    assert emu.messages("C100") == []


async def test_payload_shapes_slack_accepts(emu: SlackEmulator, client: AsyncWebClient) -> None:
    payload = {"id": "T-42", "count": 3, "ratio": 0.5, "done": False, "owner": {"id": "U100", "n": 1},
               "items": [{"a": 1}, {"b": "two"}]}
    await client.chat_postMessage(channel="C100", text="shapes", metadata={"event_type": "task-created_2",
                                                                            "event_payload": payload})
    full = await client.conversations_history(channel="C100", include_all_metadata=True)
    assert full["messages"][0]["metadata"]["event_payload"] == payload


async def test_an_event_type_with_a_period_is_dropped_with_a_warning(emu: SlackEmulator, client: AsyncWebClient) -> None:
    # Slack posts the message, ignores its metadata and warns (bolt-python issue #863; Slack's metadata guide).
    posted = await client.chat_postMessage(channel="C100", text="dotted",
                                           metadata={"event_type": "steward.delivery", "event_payload": {"x": 1}})
    assert posted["warning"] == "invalid_metadata_schema"
    assert posted["response_metadata"]["warnings"] == ["invalid_metadata_schema"]
    assert "metadata" not in emu.messages("C100")[0]


async def test_chat_update_replaces_or_keeps_metadata(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C100", text="v1", metadata=DELIVERY)
    await client.chat_update(channel="C100", ts=posted["ts"], text="v2")
    assert emu.message("C100", posted["ts"])["metadata"] == DELIVERY
    other = {"event_type": "steward_delivery", "event_payload": {"delivery_id": 43}}
    await client.chat_update(channel="C100", ts=posted["ts"], text="v3", metadata=other)
    assert emu.message("C100", posted["ts"])["metadata"] == other
    with pytest.raises(SlackApiError) as refused:
        await client.chat_update(channel="C100", ts=posted["ts"], text="v4", metadata={"event_type": "x"})
    assert refused.value.response["error"] == "invalid_metadata_schema"


async def test_history_bounds_pages_and_metadata_together(emu: SlackEmulator, client: AsyncWebClient) -> None:
    before = emu.add_message("C100", "before the claim", user="U100")
    ours = []
    for n in range(7):
        posted = await client.chat_postMessage(channel="C100", text=f"notice {n}", metadata={
            "event_type": "steward_delivery", "event_payload": {"delivery_id": n}})
        ours.append(posted["ts"])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = await client.conversations_history(channel="C100", oldest=before["ts"], limit=3, cursor=cursor,
                                                  include_all_metadata=True)
        pages += 1
        seen.extend(m["metadata"]["event_payload"]["delivery_id"] for m in page["messages"])
        if not page["has_more"]:
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == list(reversed(range(7))) and pages == 3  # newest first; "before" is outside `oldest`
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel="C100", oldest="yesterday", include_all_metadata=True)
    assert refused.value.response["error"] == "invalid_ts"


async def test_a_pause_holds_calls_before_or_after_slack_handles_them(emu: SlackEmulator,
                                                                      client: AsyncWebClient) -> None:
    before = emu.pause("chat.postMessage")
    call = asyncio.create_task(client.chat_postMessage(channel="C100", text="held"))
    await before.wait_for_calls(1)
    assert emu.messages("C100") == [] and not call.done()
    before.resume()
    assert (await call)["ok"] and len(emu.messages("C100")) == 1

    after = emu.pause("chat.postMessage", after_handling=True)
    call = asyncio.create_task(client.chat_postMessage(channel="C100", text="stored, answer held"))
    await after.wait_for_calls(1)
    assert [m["text"] for m in emu.messages("C100")][-1] == "stored, answer held" and not call.done()
    after.abandon()
    with pytest.raises(SlackApiError) as lost:
        await call
    assert lost.value.response.status_code == 503

    dropped = emu.pause("chat.postMessage")
    call = asyncio.create_task(client.chat_postMessage(channel="C100", text="never handled"))
    await dropped.wait_for_calls(1)
    dropped.abandon()
    with pytest.raises(SlackApiError):
        await call
    assert "never handled" not in [m["text"] for m in emu.messages("C100")]
    assert (await client.chat_postMessage(channel="C100", text="after"))["ok"]  # the pause is gone


async def test_a_cut_connection_gets_no_answer_and_the_sdk_default_resends_it(emu: SlackEmulator) -> None:
    # slack_sdk's default client retries a call whose connection broke: the message Slack already stored is
    # then posted twice (why Steward's dispatcher uses a client without that retry; bot/slack_app.py).
    default = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    cut = emu.pause("chat.postMessage", after_handling=True, times=1)
    call = asyncio.create_task(default.chat_postMessage(channel="C100", text="twice"))
    await cut.wait_for_calls(1)
    cut.cut()
    assert (await call)["ok"]
    assert [m["text"] for m in emu.messages("C100")] == ["twice", "twice"]

    bare = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])
    cut = emu.pause("chat.postMessage", after_handling=True, times=1)
    call = asyncio.create_task(bare.chat_postMessage(channel="C100", text="once"))
    await cut.wait_for_calls(1)
    cut.cut()
    with pytest.raises(aiohttp.ClientError):
        await call
    assert [m["text"] for m in emu.messages("C100")].count("once") == 1
