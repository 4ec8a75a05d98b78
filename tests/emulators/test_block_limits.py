"""The emulator refuses what Slack refuses: one test per documented limit, each answered with the
error code Slack returns, driven through the real slack_sdk AsyncWebClient over loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_limits as L
from bot.emulators.slack import SlackEmulator

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(bot_token="xoxb-test", app_token="xapp-test")
    emulator.add_user("U100", name="alice", real_name="Alice Adams")
    emulator.add_channel("C100", "general", members=["U100", emulator.bot_user_id])
    async with emulator:
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def option(text: str = "one", value: str = "1") -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def options(n: int) -> list[dict[str, Any]]:
    return [option(f"option {i}", str(i)) for i in range(n)]


def button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def checkboxes(opts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "checkboxes", "action_id": "pick", "options": opts, **extra}


def modal(**extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": plain("Edit task"), "submit": plain("Save"), "close": plain("Cancel"),
                            "blocks": [section()]}
    view.update(extra)
    return view


async def refused(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def pointer_of(error: SlackApiError) -> str:
    return " ".join(error.response.get("errors") or error.response.get("response_metadata", {}).get("messages", []))


# Each case: (name, blocks just over the limit, blocks at the limit, the json-pointer named).
MESSAGE_CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    ("50 blocks per message", [section()] * (L.MESSAGE_BLOCKS + 1), [section()] * L.MESSAGE_BLOCKS, "/blocks"),
    ("section text 3,000", [section("x" * 3001)], [section("x" * 3000)], "/blocks/0/text/text"),
    ("section fields 10", [{"type": "section", "fields": [mrkdwn("f")] * 11}],
     [{"type": "section", "fields": [mrkdwn("f")] * 10}], "/blocks/0/fields"),
    ("section field text 2,000", [{"type": "section", "fields": [mrkdwn("f" * 2001)]}],
     [{"type": "section", "fields": [mrkdwn("f" * 2000)]}], "/blocks/0/fields/0/text"),
    ("header 150", [{"type": "header", "text": plain("h" * 151)}], [{"type": "header", "text": plain("h" * 150)}],
     "/blocks/0/text/text"),
    ("header is plain_text", [{"type": "header", "text": mrkdwn("*h*")}], [{"type": "header", "text": plain("h")}],
     "/blocks/0/text/type"),
    ("button text 75", [actions(button("b" * 76))], [actions(button("b" * 75))], "/blocks/0/elements/0/text/text"),
    ("button text is plain_text", [actions({**button(), "text": mrkdwn("Go")})], [actions(button())],
     "/blocks/0/elements/0/text/type"),
    ("button value 2,000", [actions(button(value="v" * 2001))], [actions(button(value="v" * 2000))],
     "/blocks/0/elements/0/value"),
    ("option text 75", [actions(checkboxes([option("o" * 76)]))], [actions(checkboxes([option("o" * 75)]))],
     "/blocks/0/elements/0/options/0/text/text"),
    ("checkbox option value 150", [actions(checkboxes([option(value="v" * 151)]))],
     [actions(checkboxes([option(value="v" * 150)]))], "/blocks/0/elements/0/options/0/value"),
    ("radio option value 150", [actions({"type": "radio_buttons", "action_id": "r", "options": [option(value="v" * 151)]})],
     [actions({"type": "radio_buttons", "action_id": "r", "options": [option(value="v" * 150)]})],
     "/blocks/0/elements/0/options/0/value"),
    ("select option value 150", [actions({"type": "static_select", "action_id": "s", "options": [option(value="v" * 151)]})],
     [actions({"type": "static_select", "action_id": "s", "options": [option(value="v" * 150)]})],
     "/blocks/0/elements/0/options/0/value"),
    ("action_id 255", [actions(button(action_id="a" * 256))], [actions(button(action_id="a" * 255))],
     "/blocks/0/elements/0/action_id"),
    ("block_id 255", [section(block_id="b" * 256)], [section(block_id="b" * 255)], "/blocks/0/block_id"),
    ("block_id unique in a message", [section(block_id="same"), section(block_id="same")],
     [section(block_id="one"), section(block_id="two")], "/blocks/1/block_id"),
    ("checkboxes 10 options", [actions(checkboxes(options(11)))], [actions(checkboxes(options(10)))],
     "/blocks/0/elements/0/options"),
    ("radio buttons 10 options", [actions({"type": "radio_buttons", "action_id": "r", "options": options(11)})],
     [actions({"type": "radio_buttons", "action_id": "r", "options": options(10)})], "/blocks/0/elements/0/options"),
    ("static select 100 options", [actions({"type": "static_select", "action_id": "s", "options": options(101)})],
     [actions({"type": "static_select", "action_id": "s", "options": options(100)})], "/blocks/0/elements/0/options"),
    ("select options are plain_text",
     [actions({"type": "static_select", "action_id": "s", "options": [{"text": mrkdwn("*a*"), "value": "a"}]})],
     [actions({"type": "static_select", "action_id": "s", "options": [option()]})],
     "/blocks/0/elements/0/options/0/text/type"),
    ("overflow 5 options", [section(accessory={"type": "overflow", "action_id": "m", "options": options(6)})],
     [section(accessory={"type": "overflow", "action_id": "m", "options": options(5)})], "/blocks/0/accessory/options"),
    ("context 10 elements", [{"type": "context", "elements": [mrkdwn("c")] * 11}],
     [{"type": "context", "elements": [mrkdwn("c")] * 10}], "/blocks/0/elements"),
    ("actions 25 elements", [actions(*[button(action_id=f"b{i}") for i in range(26)])],
     [actions(*[button(action_id=f"b{i}") for i in range(25)])], "/blocks/0/elements"),
    ("action_id unique within a block", [actions(button(action_id="x"), button("Other", action_id="x"))],
     [actions(button(action_id="x"), button("Other", action_id="y"))], "/blocks/0"),
    ("text objects are not empty", [section("")], [section(" x")], "/blocks/0/text/text"),
    ("initial option is one of the options", [actions(checkboxes(options(2), initial_options=[option("zzz", "9")]))],
     [actions(checkboxes(options(2), initial_options=[option("option 1", "1")]))], "/blocks/0/elements/0/initial_options/0"),
    ("known block types only", [{"type": "table_of_contents"}], [{"type": "divider"}], "/blocks/0/type"),
]


@pytest.mark.parametrize(("name", "over", "at", "pointer"), MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES])
async def test_message_block_limit(client: AsyncWebClient, emu: SlackEmulator, name: str, over: list[dict[str, Any]],
                                   at: list[dict[str, Any]], pointer: str) -> None:
    error = await refused(client.chat_postMessage(channel="C100", text="fallback", blocks=over))
    assert error.response["error"] == "invalid_blocks"
    assert f"[json-pointer:{pointer}" in pointer_of(error), pointer_of(error)
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    # Exactly at the limit is fine, and the refused message was not stored.
    ok = await client.chat_postMessage(channel="C100", text="fallback", blocks=at)
    assert [m["ts"] for m in emu.messages("C100")] == [ok["ts"]]


async def test_the_same_checks_apply_to_updates_ephemerals_and_response_urls(client: AsyncWebClient,
                                                                              emu: SlackEmulator) -> None:
    posted = await client.chat_postMessage(channel="C100", text="hello")
    too_many = [section()] * 51
    assert (await refused(client.chat_update(channel="C100", ts=posted["ts"], text="x", blocks=too_many))
            ).response["error"] == "invalid_blocks"
    assert (await refused(client.chat_postEphemeral(channel="C100", user="U100", text="x", blocks=too_many))
            ).response["error"] == "invalid_blocks"
    assert emu.message("C100", posted["ts"])["text"] == "hello"  # type: ignore[index]
    assert emu.ephemerals == []


async def test_blocks_must_be_a_list(client: AsyncWebClient) -> None:
    error = await refused(client.api_call("chat.postMessage", json={"channel": "C100", "text": "x", "blocks": {"type": "divider"}}))
    assert error.response["error"] == "invalid_blocks_format"


async def test_message_text_40000(client: AsyncWebClient, emu: SlackEmulator) -> None:
    error = await refused(client.chat_postMessage(channel="C100", text="t" * (L.MESSAGE_TEXT + 1)))
    assert error.response["error"] == "msg_too_long"
    await client.chat_postMessage(channel="C100", text="t" * L.MESSAGE_TEXT)
    assert len(emu.messages("C100")) == 1


VIEW_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("modal title 24", modal(title=plain("t" * 25)), modal(title=plain("t" * 24)), "/view/title/text"),
    ("modal title plain_text", modal(title=mrkdwn("Edit")), modal(), "/view/title/type"),
    ("modal submit 24", modal(submit=plain("s" * 25)), modal(submit=plain("s" * 24)), "/view/submit/text"),
    ("modal close 24", modal(close=plain("c" * 25)), modal(close=plain("c" * 24)), "/view/close/text"),
    ("100 blocks per modal", modal(blocks=[section()] * 101), modal(blocks=[section()] * 100), "/view/blocks"),
    ("private_metadata 3,000", modal(private_metadata="p" * 3001), modal(private_metadata="p" * 3000),
     "/view/private_metadata"),
    ("input blocks need submit",
     {k: v for k, v in modal(blocks=[{"type": "input", "label": plain("Title"),
                                      "element": {"type": "plain_text_input", "action_id": "t"}}]).items() if k != "submit"},
     modal(blocks=[{"type": "input", "label": plain("Title"), "element": {"type": "plain_text_input", "action_id": "t"}}]),
     "/view/submit"),
    ("input label plain_text", modal(blocks=[{"type": "input", "label": mrkdwn("*T*"),
                                              "element": {"type": "plain_text_input", "action_id": "t"}}]),
     modal(blocks=[{"type": "input", "label": plain("T"), "element": {"type": "plain_text_input", "action_id": "t"}}]),
     "/view/blocks/0/label/type"),
    ("placeholder 150", modal(blocks=[{"type": "input", "label": plain("T"), "element": {
        "type": "plain_text_input", "action_id": "t", "placeholder": plain("p" * 151)}}]),
     modal(blocks=[{"type": "input", "label": plain("T"), "element": {
         "type": "plain_text_input", "action_id": "t", "placeholder": plain("p" * 150)}}]),
     "/view/blocks/0/element/placeholder/text"),
]


@pytest.mark.parametrize(("name", "over", "at", "pointer"), VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
async def test_modal_limit(client: AsyncWebClient, emu: SlackEmulator, name: str, over: dict[str, Any],
                           at: dict[str, Any], pointer: str) -> None:
    error = await refused(client.views_open(trigger_id=emu.issue_trigger_id("U100"), view=over))
    assert error.response["error"] == "invalid_arguments"
    assert f"[json-pointer:{pointer}" in pointer_of(error), pointer_of(error)
    assert emu.open_views == {}
    await client.views_open(trigger_id=emu.issue_trigger_id("U100"), view=at)
    assert len(emu.open_views) == 1


async def test_home_view_limits(client: AsyncWebClient, emu: SlackEmulator) -> None:
    error = await refused(client.views_publish(user_id="U100", view={"type": "home", "blocks": [section()] * 101}))
    assert error.response["error"] == "invalid_arguments"
    assert "[json-pointer:/view/blocks]" in pointer_of(error)
    error = await refused(client.views_publish(user_id="U100", view={"type": "home", "blocks": [section()],
                                                                     "submit": plain("Save")}))
    assert error.response["error"] == "invalid_arguments"
    await client.views_publish(user_id="U100", view={"type": "home", "blocks": [section()] * 100})
    assert len(emu.home_views["U100"]["blocks"]) == 100


def test_limits_table_matches_slacks_documented_numbers() -> None:
    """The table reads several numbers from slack_sdk's models: they must stay Slack's documented ones."""
    assert (L.MESSAGE_BLOCKS, L.VIEW_BLOCKS, L.SECTION_TEXT, L.HEADER_TEXT) == (50, 100, 3000, 150)
    assert (L.BUTTON_TEXT, L.OPTION_TEXT, L.OPTION_VALUE, L.BUTTON_VALUE) == (75, 75, 150, 2000)
    assert (L.ACTION_ID, L.BLOCK_ID, L.CHECKBOX_OPTIONS, L.RADIO_OPTIONS, L.SELECT_OPTIONS) == (255, 255, 10, 10, 100)
    assert (L.CONTEXT_ELEMENTS, L.ACTIONS_ELEMENTS, L.VIEW_TITLE, L.VIEW_SUBMIT, L.VIEW_CLOSE) == (10, 25, 24, 24, 24)
    assert (L.MESSAGE_TEXT, L.SECTION_FIELDS, L.OVERFLOW_OPTIONS) == (40_000, 10, 5)
