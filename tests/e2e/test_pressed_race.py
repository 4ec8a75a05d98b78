"""Presses on several items of one message at once (a grouped escalation DM, a report with several action items)
keep every change: each is a read-modify-write of the message as Slack holds it, under the message's lock
(bot/listeners/pressed.py). Before, each press rebuilt the message from the blocks its own click carried and the
last chat.update brought back buttons the others had removed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator
from bot.listeners.pressed import mark_later, mark_pressed
from tests.e2e.conftest import MAYA

ITEMS = 5


def _blocks() -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "Three things need you"}}]
    for n in range(1, ITEMS + 1):
        blocks.append({"type": "actions", "block_id": f"item_buttons:{n}", "elements": [
            {"type": "button", "action_id": "item_done", "text": {"type": "plain_text", "text": "Done"},
             "value": str(n)}]})
    return blocks


async def _message(client: AsyncWebClient, emulator: SlackEmulator) -> tuple[str, dict[str, Any]]:
    channel = await emulator.dm_channel(MAYA)
    posted = await client.chat_postMessage(channel=channel, text="Things need you", blocks=_blocks())
    return channel, dict(posted["message"], ts=posted["ts"])


async def _final(client: AsyncWebClient, channel: str, ts: str) -> list[dict[str, Any]]:
    history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    return list(history["messages"][0]["blocks"])


def _body(channel: str, message: dict[str, Any], n: int) -> dict[str, Any]:
    """A block_actions payload as Slack sends it: the message as it was when the button was clicked."""
    return {"container": {"type": "message", "channel_id": channel, "message_ts": message["ts"]},
            "message": message, "actions": [{"block_id": f"item_buttons:{n}", "action_id": "item_done"}]}


@pytest.mark.parametrize("with_pool", [True, False], ids=["advisory-lock", "in-process-lock"])
async def test_simultaneous_presses_on_one_message_keep_every_change(emulator: SlackEmulator, pool: Any,
                                                                     with_pool: bool) -> None:
    client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    channel, message = await _message(client, emulator)
    await asyncio.gather(*(mark_pressed(client, _body(channel, message, n), f"Done: item {n}",
                                        pool=pool if with_pool else None) for n in range(1, ITEMS + 1)))
    blocks = await _final(client, channel, message["ts"])
    assert [b["type"] for b in blocks] == ["section"] + ["context"] * ITEMS
    assert [b["elements"][0]["text"] for b in blocks[1:]] == [f"Done: item {n}" for n in range(1, ITEMS + 1)]


async def test_a_press_after_a_modal_and_a_click_on_a_stale_copy_keep_both(emulator: SlackEmulator, pool: Any) -> None:
    client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    channel, message = await _message(client, emulator)
    # Item 2 is closed from a modal (mark_later reads the message back) ...
    await mark_later(client, channel, message["ts"], "item_buttons:2", "Dismissed: item 2", pool=pool)
    # ... then item 4 is pressed in a client that still shows the message as first posted.
    await mark_pressed(client, _body(channel, message, 4), "Done: item 4", pool=pool)
    blocks = await _final(client, channel, message["ts"])
    lines = {b["block_id"] if b["type"] == "actions" else b["elements"][0]["text"] for b in blocks[1:]}
    assert lines == {"item_buttons:1", "Dismissed: item 2", "item_buttons:3", "Done: item 4", "item_buttons:5"}


async def test_a_deleted_message_is_left_alone(emulator: SlackEmulator, pool: Any) -> None:
    client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    channel, message = await _message(client, emulator)
    await client.chat_delete(channel=channel, ts=message["ts"])
    await mark_later(client, channel, message["ts"], "item_buttons:1", "gone")  # the message is gone: nothing
    assert not [c for c in emulator.calls if c.method == "chat.update"]
