"""What a pressed button leaves behind in its message (listener helper, shared by every feature whose messages
carry buttons per item: the escalation DMs of blockers, overdue work and flags, cards, recognition, the reports'
action items). The pressed item's actions block becomes a line saying what happened
(:func:`bot.blocks.kit.replace_block`); a grouped message's other items keep their buttons.

Two presses on one message (two items of one grouped DM; a report's item closed from another copy) would each
rebuild the message from what they saw and the later ``chat.update`` would bring back buttons the earlier one
removed. So every change is a read-modify-write of the message as Slack holds it now (conversations.history, the
one message at its ts), under a lock per message: an advisory lock in PostgreSQL when a pool is given (several
processes share the workspace), else a lock in this process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg_pool import AsyncConnectionPool
from slack_sdk.errors import SlackApiError

from bot.blocks.kit import replace_block
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

# Without a pool: striped locks in this process (a message always maps to the same stripe; bounded memory).
_local_locks = [asyncio.Lock() for _ in range(64)]


@asynccontextmanager
async def _message_lock(pool: AsyncConnectionPool | None, channel: str, ts: str) -> AsyncIterator[None]:
    """Hold the lock of the message (``channel``, ``ts``) for one read-modify-write."""
    if pool is not None:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(Q["slack_message_lock"], {"channel": channel, "ts": ts})
            yield
        return
    async with _local_locks[hash((channel, ts)) % len(_local_locks)]:
        yield


async def _current(client: Any, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at ``ts`` in ``channel`` as Slack holds it now, or None when it is gone or cannot be read."""
    try:
        history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    except SlackApiError as exc:
        log.warning("pressed.read_back_failed", channel=channel, ts=ts, error=exc.response.get("error"))
        return None
    found = (history.get("messages") or [{}])[0]
    return found if found.get("ts") == ts else None


async def _replace(client: Any, pool: AsyncConnectionPool | None, channel: str, ts: str, block_id: str | None,
                   line: str, seen: dict[str, Any] | None) -> None:
    async with _message_lock(pool, channel, ts):
        message = await _current(client, channel, ts) or seen
        if not (message and message.get("blocks")):
            return
        blocks = replace_block(message["blocks"], block_id, line)
        if blocks == message["blocks"]:
            return
        await client.chat_update(channel=channel, ts=ts, text=message.get("text") or line, blocks=blocks)


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
    await _replace(client, pool, channel, ts, block_id, line, message)


async def mark_later(client: Any, channel: str | None, ts: str | None, block_id: str | None, line: str, *,
                     pool: AsyncConnectionPool | None = None) -> None:
    """The same after a modal closed, or for another copy of an item (the modal's ``private_metadata`` kept where
    the button was: ``channel``, message ``ts``, ``block_id``): the message is read back (conversations.history,
    the one message at ``ts``) under its lock, then its pressed item is replaced. Nothing when the place is
    unknown or the message is gone."""
    if not (channel and ts):
        return
    await _replace(client, pool, channel, ts, block_id, line, None)
