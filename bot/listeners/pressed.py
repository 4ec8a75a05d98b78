"""What a pressed button leaves behind in its message (listener helper, shared by every feature whose messages
carry buttons per item: the escalation DMs of blockers, overdue work and flags). The pressed item's actions block
becomes a line saying what happened (:func:`bot.blocks.kit.replace_block`); a grouped message's other items keep
their buttons."""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import replace_block


async def mark_pressed(client: Any, body: dict[str, Any], line: str) -> None:
    """Replace the pressed item's buttons with ``line`` (chat.update) in the message of an interaction ``body``
    (``block_actions``: its ``container``, ``message`` and ``actions[0].block_id``). Nothing when the payload
    carries no message with blocks (a button in App Home, an ephemeral message)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    ts = container.get("message_ts") or message.get("ts")
    block_id = ((body.get("actions") or [{}])[0]).get("block_id")
    if not (channel and ts and message.get("blocks")):
        return
    await client.chat_update(channel=channel, ts=ts, text=message.get("text") or line,
                             blocks=replace_block(message["blocks"], block_id, line))


async def mark_later(client: Any, channel: str | None, ts: str | None, block_id: str | None, line: str) -> None:
    """The same after a modal closed (the modal's ``private_metadata`` kept where the button was: ``channel``,
    message ``ts``, ``block_id``): the message is read back (conversations.history, the one message at ``ts``),
    then its pressed item is replaced. Nothing when the place is unknown or the message is gone."""
    if not (channel and ts):
        return
    history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    found = (history.get("messages") or [{}])[0]
    if found.get("ts") != ts:
        return
    await mark_pressed(client, {"container": {"channel_id": channel, "message_ts": ts}, "message": found,
                                "actions": [{"block_id": block_id}]}, line)
