"""One item of a Slack message changed in place, never undoing another change (SPEC F11: one outbound path; used by
the listeners' pressed buttons, bot/listeners/pressed.py, and by the dispatcher's ``edit`` deliveries,
bot/services/notifications.py).

Two changes to one message (two items of one grouped DM pressed at once; a report item closed from another copy
while a delivery edits it) would each rebuild the message from what they saw and the later ``chat.update`` would
bring back buttons the earlier one removed. So every change is a read-modify-write of the message as Slack holds
it now (conversations.history, the one message at its ts), under a lock per message: PostgreSQL's advisory lock
when a pool is given (several processes share the workspace), else a lock in this process."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
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
async def message_lock(pool: AsyncConnectionPool | None, channel: str, ts: str) -> AsyncIterator[None]:
    """Hold the lock of the message (``channel`` id, message ``ts``) for one read-modify-write. With ``pool``, an
    advisory transaction lock on a connection of its own (sql/queries/notifications.sql ``slack_message_lock``)."""
    if pool is not None:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(Q["slack_message_lock"], {"channel": channel, "ts": ts})
            yield
        return
    async with _local_locks[hash((channel, ts)) % len(_local_locks)]:
        yield


async def current(client: Any, channel: str, ts: str, *, strict: bool = False) -> dict[str, Any] | None:
    """The message at ``ts`` in ``channel`` as Slack holds it now (conversations.history, limit 1, inclusive), or
    None when it is gone or cannot be read (a Slack error is logged, not raised; with ``strict`` it is raised, for a
    caller that retries)."""
    try:
        history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    except SlackApiError as exc:
        if strict:
            raise
        log.warning("message_read_back_failed", channel=channel, ts=ts, error=exc.response.get("error"))
        return None
    found = (history.get("messages") or [{}])[0]
    return found if found.get("ts") == ts else None


Blocks = list[dict[str, Any]]


async def rewrite(client: Any, channel: str, ts: str, change: Callable[[Blocks], Blocks | Awaitable[Blocks]],
                  *, text: str | None = None, pool: AsyncConnectionPool | None = None,
                  seen: dict[str, Any] | None = None, writer: Any = None, strict: bool = False,
                  default_text: str = "") -> bool:
    """Rewrite the blocks of the message (``channel``, ``ts``) with ``change`` (its current blocks in, the new ones
    out; a coroutine function too, e.g. one that reads the state to show, so it is read under the lock and the last
    writer shows the latest state), reading the message back (:func:`current`) under its lock, so two changes to
    one message never undo each other. ``text``: the new fallback text (default: the message's own).
    ``seen``: the message as a click carried it, used only when it cannot be read back. ``writer``: the client that
    sends chat.update (default ``client``; the dispatcher's rate-limited poster); ``strict``: a Slack error reading
    it back is raised (:func:`current`); ``default_text``: the fallback text when neither ``text`` nor the message
    has one. Returns whether the message changed (False: gone, or ``change`` left it as it was)."""
    async with message_lock(pool, channel, ts):
        message = await current(client, channel, ts, strict=strict) or seen
        if not (message and message.get("blocks")):
            return False
        changed = change(message["blocks"])
        blocks = await changed if inspect.isawaitable(changed) else changed
        if blocks == message["blocks"]:
            return False
        await (writer or client).chat_update(channel=channel, ts=ts, text=text or message.get("text") or default_text,
                                             blocks=blocks)
        return True


async def replace_item(client: Any, channel: str, ts: str, block_id: str | None, line: str, *,
                       pool: AsyncConnectionPool | None = None, seen: dict[str, Any] | None = None,
                       writer: Any = None, strict: bool = False) -> bool:
    """Replace the block ``block_id`` (an item's buttons) of the message (``channel``, ``ts``) by ``line`` as a
    context line (:func:`bot.blocks.kit.replace_block`), through :func:`rewrite` (read back under the message's
    lock; ``seen``, ``writer`` and ``strict`` as there). Returns whether the message changed: False when it is
    gone, or no longer has that block (changed meanwhile)."""
    return await rewrite(client, channel, ts, lambda blocks: replace_block(blocks, block_id, line), pool=pool,
                         seen=seen, writer=writer, strict=strict, default_text=line)
