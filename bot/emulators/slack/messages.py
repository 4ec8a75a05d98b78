"""Per-channel message logs with Slack's thread bookkeeping (reply_count, latest_reply…)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.emulators.slack.ids import ts_key
from bot.emulators.slack.models import JsonDict

T = TypeVar("T")


def is_reply(message: JsonDict) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts is not None and thread_ts != message["ts"]


def in_channel_view(message: JsonDict) -> bool:
    """What conversations.history shows: parents, plain messages and thread broadcasts."""
    return not is_reply(message) or message.get("subtype") == "thread_broadcast"


class ChannelLog:
    def __init__(self) -> None:
        self._by_ts: dict[str, JsonDict] = {}
        self._order: list[tuple[tuple[int, int], str]] = []
        self._threads: dict[str, list[tuple[tuple[int, int], str]]] = {}

    def __len__(self) -> int:
        return len(self._by_ts)

    def get(self, ts: str) -> JsonDict | None:
        return self._by_ts.get(ts)

    def all(self) -> list[JsonDict]:
        return [self._by_ts[ts] for _, ts in self._order]

    def replies(self, thread_ts: str) -> list[JsonDict]:
        return [self._by_ts[ts] for _, ts in self._threads.get(thread_ts, [])]

    def add(self, message: JsonDict) -> None:
        ts = message["ts"]
        if ts in self._by_ts:
            raise ValueError(f"duplicate ts {ts}")
        self._by_ts[ts] = message
        bisect.insort(self._order, (ts_key(ts), ts))
        if is_reply(message):
            bisect.insort(self._threads.setdefault(message["thread_ts"], []), (ts_key(ts), ts))
            self._refresh_parent(message["thread_ts"])

    def remove(self, ts: str) -> JsonDict | None:
        message = self._by_ts.pop(ts, None)
        if message is None:
            return None
        self._order.remove((ts_key(ts), ts))
        if is_reply(message):
            self._threads[message["thread_ts"]].remove((ts_key(ts), ts))
            self._refresh_parent(message["thread_ts"])
        return message

    def _refresh_parent(self, thread_ts: str) -> None:
        parent = self._by_ts.get(thread_ts)
        if parent is None:
            return
        replies = self.replies(thread_ts)
        if not replies:
            for key in ("reply_count", "reply_users_count", "latest_reply", "reply_users"):
                parent.pop(key, None)
            parent.pop("thread_ts", None)
            return
        users = list(dict.fromkeys(str(r.get("user")) for r in replies if r.get("user")))
        parent.update(
            thread_ts=thread_ts,
            reply_count=len(replies),
            reply_users=users,
            reply_users_count=len(users),
            latest_reply=replies[-1]["ts"],
        )


class MessageStore:
    def __init__(self) -> None:
        self._logs: dict[str, ChannelLog] = {}

    def log(self, channel_id: str) -> ChannelLog:
        return self._logs.setdefault(channel_id, ChannelLog())

    def find(self, channel_id: str, ts: str) -> JsonDict | None:
        return self.log(channel_id).get(ts)


def first_index(items: Sequence[T], predicate: Callable[[T], bool]) -> int:
    for index, item in enumerate(items):
        if predicate(item):
            return index
    return len(items)


def take_page(items: Sequence[T], start: int, limit: int) -> tuple[list[T], T | None]:
    """`limit` items from `start`, and the first item of the next page (None when none is left)."""
    end = start + limit
    page = list(items[start:end])
    return page, (items[end] if end < len(items) else None)
