"""Slack message metadata on Steward's posts: each says which delivery it is, so that a post whose answer never
came back (the process died, the connection broke) can be found again instead of being posted twice.

Slack keeps a post's ``metadata`` (``{"event_type": ..., "event_payload": {...}}``, invisible to people) and
returns its ``event_payload`` from ``conversations.history`` / ``conversations.replies`` only when asked with
``include_all_metadata=true`` (https://docs.slack.dev/messaging/message-metadata; python-slack-sdk issue
#1501). Event types may hold letters, digits, ``_`` and ``-`` only (a period makes Slack drop the metadata).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.metadata import Metadata

from bot.log import get_logger

log = get_logger(__name__)

DELIVERY_EVENT_TYPE = "steward_delivery"  # a notification delivery: {"delivery_id": notification_deliveries.id}
REPLY_EVENT_TYPE = "steward_reply"  # a listener's reply: {"event_key": the inbox's key of the event it answers}

# How far before a claim the history is read: Slack stamps ts with its own clock, and ours may differ from
# it. NTP keeps servers within a second or so; a minute is a wide margin and costs only a few more messages.
CLOCK_SKEW = timedelta(seconds=60)
# Messages per history page: Slack's pagination guide recommends no more than 200 a request (internal apps
# may ask up to 1,000; slack-platform-facts.md, "Rate limits").
HISTORY_PAGE_LIMIT = 200
# Pages read at most for one look-up (4,000 messages since the claim: more than any conversation gets
# in the seconds a lease lasts).
HISTORY_MAX_PAGES = 20


def delivery_metadata(delivery_id: int) -> Metadata:
    """The metadata every post of delivery ``delivery_id`` (notification_deliveries.id) carries."""
    return Metadata(event_type=DELIVERY_EVENT_TYPE, event_payload={"delivery_id": delivery_id})


def reply_metadata(event_key: str) -> Metadata:
    """The metadata a listener's reply carries: the inbox key (bot/inbox.py, event_key) of what it answers."""
    return Metadata(event_type=REPLY_EVENT_TYPE, event_payload={"event_key": event_key})


def is_delivery(message: dict[str, Any], delivery_id: int) -> bool:
    """Whether a message from conversations.history/replies (read with include_all_metadata) is that delivery."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != DELIVERY_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("delivery_id") == delivery_id


def oldest_ts(since: datetime) -> str:
    """The ``oldest`` bound (a Slack ts string) for messages posted at or after ``since`` (aware), less CLOCK_SKEW."""
    return f"{(since - CLOCK_SKEW).timestamp():.6f}"


async def find_message(client: Any, *, channel: str, since: datetime, match: Callable[[dict[str, Any]], bool],
                       thread_ts: str | None = None) -> dict[str, Any] | None:
    """The newest message in ``channel`` (a conversation id: C…, G… or an IM's D…), or in the thread
    ``thread_ts`` of it, posted since ``since`` (aware; CLOCK_SKEW earlier) for which ``match`` holds; None when
    there is none. Reads ``conversations.history`` (or ``conversations.replies``) with ``include_all_metadata``,
    HISTORY_PAGE_LIMIT messages a page, at most HISTORY_MAX_PAGES pages (a warning is logged when that
    was not enough). Raises slack_sdk's SlackApiError as Slack answers (``not_in_channel``, 429...)."""
    cursor: str | None = None
    bounds: dict[str, Any] = {"channel": channel, "oldest": oldest_ts(since), "limit": HISTORY_PAGE_LIMIT,
                              "include_all_metadata": True}
    for _ in range(HISTORY_MAX_PAGES):
        page_args = {**bounds, **({"cursor": cursor} if cursor else {})}
        if thread_ts is None:
            page = await client.conversations_history(**page_args)
        else:
            page = await client.conversations_replies(ts=thread_ts, **page_args)
        found = next((m for m in page.get("messages") or [] if isinstance(m, dict) and match(m)), None)
        if found is not None:
            return found
        cursor = (page.get("response_metadata") or {}).get("next_cursor") if page.get("has_more") else None
        if not cursor:
            return None
    log.warning("slack_history_lookup_truncated", channel=channel, thread_ts=thread_ts, pages=HISTORY_MAX_PAGES)
    return None
