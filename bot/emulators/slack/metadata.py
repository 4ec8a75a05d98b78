"""Message metadata (the ``metadata`` argument of chat.postMessage and chat.update), kept and shown as Slack does.

Sources: Slack's "Using message metadata" guide (https://docs.slack.dev/messaging/message-metadata), the error
lists of chat.postMessage / chat.update, @slack/types' ``MessageMetadata``, and what apps saw in practice
(python-slack-sdk issue #1501, bolt-python issue #863):

- ``metadata`` is a JSON object (a JSON string in a form body): anything else is ``invalid_metadata_format``;
- it holds exactly ``event_type`` (a non-empty string) and ``event_payload`` (an object whose values are
  strings, numbers, booleans, flat objects of those, or arrays of such flat objects): anything else is
  ``invalid_metadata_schema``;
- an ``event_type`` with characters other than letters, digits, ``_`` and ``-`` (a period, a space) is not an
  error: the message is posted *without* its metadata and the answer carries the warning
  ``invalid_metadata_schema``;
- the metadata is stored with the message, but Slack strips ``event_payload`` from what it shows (the
  chat.postMessage answer, message events, conversations.history/replies) unless the caller asks with
  ``include_all_metadata=true`` (conversations.history/replies); ``event_type`` is always shown. The message
  inside a ``block_actions`` payload carries it whole (bolt-python issue #863 reads its ``event_payload``).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.models import JsonDict

_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class CheckedMetadata:
    """What a post keeps: the metadata (None: none, or dropped) and the warnings its answer carries."""

    metadata: JsonDict | None
    warnings: list[str] = field(default_factory=list)


def _flat_object(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in value.items())


def _payload_value(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, _SCALARS) or _flat_object(value):
        return True
    return isinstance(value, list) and all(_flat_object(item) for item in value)


def check_metadata(raw: Any) -> CheckedMetadata:
    """Check a post's ``metadata`` argument as Slack does; raises SlackError (see the module docstring)."""
    if raw is None or raw == "":
        return CheckedMetadata(None)
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_metadata_format") from exc
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if set(value) != {"event_type", "event_payload"} or not isinstance(event_type, str) or not event_type:
        raise SlackError("invalid_metadata_schema")
    if not isinstance(payload, dict) or not all(isinstance(k, str) and _payload_value(v) for k, v in payload.items()):
        raise SlackError("invalid_metadata_schema")
    if not _EVENT_TYPE.match(event_type):
        return CheckedMetadata(None, ["invalid_metadata_schema"])
    return CheckedMetadata(copy.deepcopy(value))


def shown(message: JsonDict, include_all_metadata: bool = False) -> JsonDict:
    """A copy of a stored message as a Web API answer or an event shows it (metadata per the module docstring)."""
    public = copy.deepcopy(message)
    metadata = public.get("metadata")
    if isinstance(metadata, dict) and not include_all_metadata:
        public["metadata"] = {"event_type": metadata.get("event_type")}
    return public


def with_warnings(answer: JsonDict, warnings: list[str]) -> JsonDict:
    """An ok answer with Slack's warning fields (``warning`` and ``response_metadata.warnings``), if any."""
    if not warnings:
        return answer
    return {**answer, "warning": ",".join(warnings), "response_metadata": {"warnings": list(warnings)}}
