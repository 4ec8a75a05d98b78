"""Identifier, timestamp and cursor factories, shaped like Slack's."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from bot.emulators.slack.errors import SlackError

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key for a Slack ts ("1700000000.000100"); invalid strings raise SlackError."""
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds), int((micros or "0").ljust(6, "0")[:6])
    except ValueError as exc:
        raise SlackError("invalid_ts") from exc


def is_ts(value: str) -> bool:
    try:
        ts_key(value)
    except SlackError:
        return False
    return True


class TsClock:
    """Unique, strictly increasing message timestamps near wall-clock time, or near the time a
    ``now()`` callable reads (the sandbox's shifted clock, so the page and the bot agree on "now")."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._last_micros = 0
        self._now = now

    def next_ts(self) -> str:
        now_micros = int((self._now().timestamp() if self._now is not None else time.time()) * 1_000_000)
        self._last_micros = max(now_micros, self._last_micros + 1)
        return f"{self._last_micros // 1_000_000}.{self._last_micros % 1_000_000:06d}"

    def observe(self, ts: str) -> None:
        """Keep later timestamps above one that was seeded explicitly."""
        seconds, micros = ts_key(ts)
        self._last_micros = max(self._last_micros, seconds * 1_000_000 + micros)


class IdFactory:
    """Random Slack-looking ids (C…, D…, V…, F…, Ev…) that never repeat within one emulator.

    Random rather than sequential so that two emulators feeding one database never share an id.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._trigger_counter = 0

    def reserve(self, identifier: str) -> None:
        self._used.add(identifier)

    def new(self, prefix: str, length: int = 10) -> str:
        while True:
            candidate = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def envelope_id(self) -> str:
        return str(uuid.uuid4())

    def trigger_id(self) -> str:
        self._trigger_counter += 1
        return f"{int(time.time())}.{self._trigger_counter}.{secrets.token_hex(16)}"


def encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> str:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    prefix, sep, value = decoded.partition(":")
    if not sep or prefix != kind or not value:
        raise SlackError("invalid_cursor")
    return value
