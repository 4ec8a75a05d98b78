"""What a pressed button leaves behind in its message (listener helper, shared by every feature whose messages
carry buttons per item: the escalation DMs of blockers, overdue work and flags, cards, recognition, the reports'
action items). The pressed item's actions block becomes a line saying what happened; a grouped message's other
items keep their buttons. Each change reads the message back under its lock (bot/message_edit.py), so presses on
one message never undo each other."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from bot.message_edit import replace_item


async def mark_pressed(client: Any, body: dict[str, Any], line: str, *, pool: AsyncConnectionPool | None = None) -> None:
    """Replace the pressed item's buttons with ``line`` (chat.update) in the message of an interaction ``body``
    (``block_actions``: its ``container``, ``message`` and ``actions[0].block_id``). The message is read back
    first under the message's lock (``pool``: PostgreSQL's advisory lock across processes), so another item's
    change made since the click is kept; when it cannot be read back, the blocks the click carried are used.
    Nothing when the payload carries no message with blocks (a button in App Home, an ephemeral message)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    ts = container.get("message_ts") or message.get("ts")
    block_id = ((body.get("actions") or [{}])[0]).get("block_id")
    if not (channel and ts and message.get("blocks")):
        return
    await replace_item(client, channel, ts, block_id, line, pool=pool, seen=message)


async def mark_later(client: Any, channel: str | None, ts: str | None, block_id: str | None, line: str, *,
                     pool: AsyncConnectionPool | None = None) -> None:
    """The same after a modal closed, or for another copy of an item (the modal's ``private_metadata`` kept where
    the button was: ``channel``, message ``ts``, ``block_id``): the message is read back (conversations.history,
    the one message at ``ts``) under its lock, then its pressed item is replaced. Nothing when the place is
    unknown or the message is gone."""
    if not (channel and ts):
        return
    await replace_item(client, channel, ts, block_id, line, pool=pool)
