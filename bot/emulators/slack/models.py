"""Records the emulator keeps: users, channels, recorded calls, envelopes and interaction results."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JsonDict = dict[str, Any]


class _ApiView(Mapping[str, Any]):
    """Read-only dict access to a record's Web API shape (`user["name"]`, `user.get("tz")`)."""

    # Records are entities: compare and hash by identity, not by their (time-dependent) API shape.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def to_api(self) -> JsonDict:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_api()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_api())

    def __len__(self) -> int:
        return len(self.to_api())


def _tz_offset_seconds(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


@dataclass(eq=False)
class User(_ApiView):
    id: str
    team_id: str
    name: str
    real_name: str = ""
    email: str | None = None
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    is_bot: bool = False
    bot_id: str | None = None
    display_name: str = ""
    locale: str = "en-US"  # returned only when asked for (users.info / users.list with include_locale)
    # The person's status, in every profile Slack returns: "" when none; expiration in epoch seconds, 0 = never.
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0
    # Custom profile field values (field id -> value; a "user" field holds Slack user ids, comma-separated).
    # Slack returns them only from users.profile.get, never in users.list / users.info profiles.
    fields: dict[str, str] = field(default_factory=dict)

    def profile(self) -> JsonDict:
        """The profile object (users.profile.get, and ``profile`` inside a user object)."""
        profile: JsonDict = {
            "real_name": self.real_name,
            "display_name": self.display_name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.display_name,
            "status_text": self.status_text,
            "status_emoji": self.status_emoji,
            "status_emoji_display_info": [],
            "status_expiration": self.status_expiration,
            "status_text_canonical": "",
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.bot_id is not None:
            profile["bot_id"] = self.bot_id
        return profile

    def to_api(self, include_locale: bool = False) -> JsonDict:
        profile = self.profile()
        api: JsonDict = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _tz_offset_seconds(self.tz),
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": profile,
        }
        if include_locale:
            api["locale"] = self.locale
        return api


@dataclass(eq=False)
class Channel(_ApiView):
    """A conversation: public/private channel, im (is_im with `im_user`) or mpim."""

    id: str
    name: str
    bot_user_id: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    im_user: str | None = None
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    creator: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    topic: str = ""
    purpose: str = ""
    is_ext_shared: bool = False  # shared with another organization (Slack Connect)

    @property
    def channel_type(self) -> str:
        """The `channel_type` Slack puts on message events."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"

    def has_member(self, user_id: str) -> bool:
        return user_id in self.members

    def to_api(self) -> JsonDict:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": self.is_ext_shared,
            "is_org_shared": False,
            "is_ext_shared": self.is_ext_shared,
            "is_member": self.has_member(self.bot_user_id),
            "created": self.created,
            "creator": self.creator,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }


@dataclass
class RecordedCall:
    """One Web API request as the emulator saw it, and what it answered."""

    method: str
    args: JsonDict
    token: str | None
    at: float
    http_method: str = "POST"
    status: int = 200
    response: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass
class Delivery:
    """One event and all the envelopes (first try and retries) that carried it."""

    event_id: str
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: list[EnvelopeRecord] = field(default_factory=list)
    gave_up: bool = False


@dataclass
class EnvelopeRecord:
    envelope_id: str
    type: str
    payload: JsonDict
    retry_attempt: int = 0
    retry_reason: str = ""
    accepts_response_payload: bool = False
    connection_id: int | None = None
    sent_at: float = field(default_factory=time.monotonic)
    acked_at: float | None = None
    ack_payload: JsonDict | None = None
    timed_out: bool = False
    delivery: Delivery | None = None
    on_ack: Callable[[EnvelopeRecord], None] | None = None
    ack_received: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    @property
    def event_id(self) -> str | None:
        return self.delivery.event_id if self.delivery is not None else None

    def frame(self) -> JsonDict:
        return {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
            "payload": self.payload,
        }


@dataclass
class ResponsePost:
    """One POST the bot made to a response_url."""

    response_id: str
    body: JsonDict
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str | None:
        text = self.body.get("text")
        return str(text) if text is not None else None

    @property
    def blocks(self) -> list[JsonDict] | None:
        blocks = self.body.get("blocks")
        return blocks if isinstance(blocks, list) else None


@dataclass
class InteractionResult:
    """A slash command, button click or shortcut as the user saw it: the ack and every respond()."""

    envelope: EnvelopeRecord
    response_url: str | None
    trigger_id: str
    responses: list[ResponsePost] = field(default_factory=list)
    _seen: int = 0
    _new_response: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def envelope_id(self) -> str:
        return self.envelope.envelope_id

    @property
    def acked(self) -> bool:
        return self.envelope.acked

    @property
    def timed_out(self) -> bool:
        """True when no ack arrived within ack_timeout (Slack shows the user an error)."""
        return self.envelope.timed_out

    @property
    def ack(self) -> JsonDict | None:
        """The ack payload: {} for a bare ack, None when not acked."""
        if not self.envelope.acked:
            return None
        return self.envelope.ack_payload or {}

    @property
    def ack_text(self) -> str | None:
        ack = self.ack or {}
        text = ack.get("text")
        return str(text) if text is not None else None

    @property
    def ack_blocks(self) -> list[JsonDict] | None:
        blocks = (self.ack or {}).get("blocks")
        return blocks if isinstance(blocks, list) else None

    def add_response(self, post: ResponsePost) -> None:
        self.responses.append(post)
        self._new_response.set()

    async def wait_for_ack(self, timeout: float = 10) -> JsonDict | None:  # noqa: ASYNC109 (the documented test API)
        async with asyncio.timeout(timeout):  # not wait_for: see bot/worker.py
            await self.envelope.ack_received.wait()
        return self.ack

    async def wait_for_response(self, timeout: float = 10) -> ResponsePost:  # noqa: ASYNC109 (the documented test API)
        """The next response_url POST not yet returned by this method."""
        deadline = time.monotonic() + timeout
        while self._seen >= len(self.responses):
            self._new_response.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no response_url POST within {timeout}s")
            try:
                async with asyncio.timeout(remaining):
                    await self._new_response.wait()
            except TimeoutError:
                continue
        self._seen += 1
        return self.responses[self._seen - 1]


CommandResult = InteractionResult
