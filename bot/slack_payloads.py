"""What Slack sends, read once: every payload's shape checked before any listener sees it, and the values
Steward put on its own buttons, menus and forms parsed into typed values.

Two layers, one module:

* :func:`check` (called by the inbox for every envelope, before the Bolt request is built) validates the
  fields Bolt and Steward read, by kind, against Slack's documented shapes (https://api.slack.com/apis/
  socket-mode, /reference/interaction-payloads/block_actions-payload, /reference/interaction-payloads/
  views, /interactivity/slash-commands, /events): a ``str`` where Slack sends a string, an object where
  it sends an object, a non-empty ``actions`` list, a view's ``state.values`` as block → action → element.
  Unknown fields are allowed (Slack adds fields); only the ones read must have their type.
* The parsers below read what Steward itself wrote: a button value (``"42"``, ``"42:3"``, an ISO date), a
  view's ``private_metadata`` (``"2026-03-06|D1|1.2"``) and a form's values (``text``, ``choice``,
  ``choices``, ``day``), each raising :class:`bot.errors.InvalidPayload` with what was wrong.

A payload that fails either layer was not what Steward sent (forged, corrupted, or from a version of
Steward whose buttons changed): it is refused at once (the inbox marks it done, no retry and no dead
letter), the person is told politely, and ``security_audit_logs`` gets an ``invalid_payload`` row
(:func:`bot.slack_app.refuse_payload`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.request.internals import extract_team_id

from bot.errors import InvalidPayload

# PostgreSQL's bigint, the type of every id Steward puts on a button (https://www.postgresql.org/docs/current/
# datatype-numeric.html): a larger number cannot name a row, and would make the query itself fail.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
KINDS = ("events_api", "slash_commands", "interactive")  # Socket Mode's envelope types (api.slack.com/apis/socket-mode)
# Where respond() POSTs: Slack's response_url is always an https URL (http on the emulator's loopback).
_URL = r"^https?://[^\s/]+/\S*$"


# ---------------------------------------------------------------- the shapes Slack sends


class _Shape(BaseModel):
    # strict: no coercion ("5" is no int, 5 is no str); extra fields are Slack's business.
    model_config = ConfigDict(extra="allow", strict=True)


class _Ref(_Shape):
    id: str | None = None


class _UserRef(_Shape):
    id: str
    team_id: str | None = None


class _Profile(_Shape):
    email: str | None = None
    display_name: str | None = None
    real_name: str | None = None
    title: str | None = None
    status_text: str | None = None
    status_emoji: str | None = None
    status_expiration: int | None = None


class _Member(_UserRef):
    """The user object of team_join and user_change (https://api.slack.com/types/user), as Steward reads it."""

    name: str | None = None
    real_name: str | None = None
    tz: str | None = None
    locale: str | None = None
    deleted: bool | None = None
    profile: _Profile | None = None


class _Authorization(_Shape):
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None
    is_enterprise_install: bool | None = None


class _ResponseUrl(_Shape):
    response_url: str | None = Field(default=None, pattern=_URL)


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state in ``view.state.values[block_id][action_id]``."""

    type: str | None = None
    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_user: str | None = None
    selected_users: list[str] | None = None


class _State(_Shape):
    values: dict[str, dict[str, _Element]] = Field(default_factory=dict)


class _View(_Shape):
    id: str | None = None
    type: str | None = None
    callback_id: str | None = None
    private_metadata: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None
    blocks: list[dict[str, Any]] | None = None
    state: _State | None = None


class _Message(_Shape):
    type: str | None = None
    user: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    blocks: list[dict[str, Any]] | None = None
    files: list[dict[str, Any]] | None = None


class _Item(_Shape):
    channel: str | None = None
    ts: str | None = None


class _Event(_Shape):
    type: str
    # A person's id in most events; the whole user object in team_join and user_change.
    user: str | _UserRef | None = None
    # An id in most events; an object in channel_created / channel_rename.
    channel: str | _Ref | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    channel_type: str | None = None
    bot_id: str | None = None
    deleted_ts: str | None = None
    event_ts: str | None = None
    tab: str | None = None
    team: str | None = None
    user_team: str | None = None
    inviter: str | None = None
    message: _Message | None = None
    previous_message: _Message | None = None
    item: _Item | None = None
    view: _View | None = None
    files: list[dict[str, Any]] | None = None
    blocks: list[dict[str, Any]] | None = None


class _Envelope(_Shape):
    """The fields Bolt's request reader (slack_bolt/request/internals.py) and Steward read in any payload."""

    type: str | None = None
    team: str | _Ref | None = None
    team_id: str | None = None
    enterprise: str | _Ref | None = None
    enterprise_id: str | None = None
    user: str | _UserRef | None = None
    user_id: str | None = None
    channel: str | _Ref | None = None
    channel_id: str | None = None
    authorizations: list[_Authorization] | None = None
    response_url: str | None = Field(default=None, pattern=_URL)
    response_urls: list[_ResponseUrl] | None = None
    trigger_id: str | None = None
    thread_ts: str | None = None
    is_ext_shared_channel: bool | None = None
    function_execution_id: str | None = None


class _EventCallback(_Envelope):
    type: Literal["event_callback"]
    event_id: str | None = None
    event: _Event


class _SlashCommand(_Envelope):
    command: str
    user_id: str
    response_url: str = Field(pattern=_URL)  # every command has one: Steward answers through it
    text: str | None = None
    channel_id: str | None = None


class _Action(_Shape):
    action_id: str
    block_id: str | None = None
    type: str | None = None
    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_user: str | None = None
    action_ts: str | None = None


class _Container(_Shape):
    type: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    view_id: str | None = None
    is_ephemeral: bool | None = None


class _BlockActions(_Envelope):
    type: Literal["block_actions"]
    user: _UserRef
    actions: list[_Action] = Field(min_length=1)
    container: _Container | None = None
    message: _Message | None = None
    view: _View | None = None
    state: _State | None = None


class _ViewPayload(_Envelope):
    type: Literal["view_submission", "view_closed"]
    user: _UserRef
    view: _View


class _Shortcut(_Envelope):
    type: Literal["shortcut", "message_action"]
    user: _UserRef
    callback_id: str
    message: _Message | None = None


# What every event of these types carries (https://api.slack.com/events), and the listeners rely on: the
# field, and the type it must have there (in other events `user` may be an object, `channel` too).
_EVENT_NEEDS: dict[tuple[str, str | None], tuple[tuple[str, type], ...]] = {
    ("message", None): (("channel", str), ("ts", str)),
    ("message", "thread_broadcast"): (("channel", str), ("ts", str)),
    ("message", "file_share"): (("channel", str), ("ts", str)),
    ("message", "bot_message"): (("channel", str), ("ts", str)),
    ("message", "message_changed"): (("channel", str), ("message", _Message)),
    ("message", "message_deleted"): (("channel", str),),
    ("app_mention", None): (("channel", str), ("ts", str), ("user", str)),
    ("member_joined_channel", None): (("channel", str), ("user", str)),
    ("member_left_channel", None): (("channel", str), ("user", str)),
    ("app_home_opened", None): (("user", str),),
    ("team_join", None): (("user", _UserRef),),
    ("user_change", None): (("user", _UserRef),),
}


def _missing_in_event(event: _Event) -> str | None:
    """The first field this event's type always carries that is absent or of another type, else None."""
    for name, kind in _EVENT_NEEDS.get((event.type, event.subtype), ()):
        if not isinstance(getattr(event, name), kind):
            return name
    if event.subtype == "message_changed" and event.message is not None and not event.message.ts:
        return "message.ts"
    if event.subtype == "message_deleted" and not (event.deleted_ts or (event.previous_message and event.previous_message.ts)):
        return "deleted_ts"
    return None


_INTERACTIVE: dict[str, type[_Envelope]] = {
    "block_actions": _BlockActions, "view_submission": _ViewPayload, "view_closed": _ViewPayload,
    "shortcut": _Shortcut, "message_action": _Shortcut,
}


def _model_for(kind: str, payload: Mapping[str, Any]) -> type[_Envelope]:
    if kind == "events_api" and payload.get("type") == "event_callback":
        return _EventCallback
    if kind == "slash_commands":
        return _SlashCommand
    if kind == "interactive" and isinstance(payload.get("type"), str):
        return _INTERACTIVE.get(payload["type"], _Envelope)
    return _Envelope


def check(kind: str, payload: Any) -> None:
    """Check the shape of a Socket Mode envelope's ``payload`` for its ``kind`` ("events_api",
    "slash_commands", "interactive"; anything else gets the common checks). Raises
    :class:`InvalidPayload` naming the first wrong fields ("actions.0.value: Input should be a valid
    string"); returns None when Bolt and Steward can read it."""
    if not isinstance(payload, Mapping):
        raise invalid(kind, {}, f"the payload is a {type(payload).__name__}, not an object")
    if "raw" in payload and len(payload) == 1:  # what the inbox stores for a payload that was not an object
        raise invalid(kind, {}, "the envelope's payload was not an object")
    if kind not in KINDS:
        raise invalid(kind, payload, "the envelope's type is none of Slack's (events_api, slash_commands, interactive)")
    try:
        parsed = _model_for(kind, payload).model_validate(payload)
    except ValidationError as exc:
        raise invalid(kind, payload, _describe(exc)) from None
    if not extract_team_id(dict(payload)):  # every payload of a workspace's app names its workspace
        raise invalid(kind, payload, "the payload names no workspace (no team id)")
    if isinstance(parsed, _EventCallback):
        missing = _missing_in_event(parsed.event)
        if missing:
            raise invalid(kind, payload, f"event.{missing}: required for a {parsed.event.type} event")
        if parsed.event.type in ("team_join", "user_change"):
            try:
                _Member.model_validate(payload["event"]["user"])
            except ValidationError as exc:
                raise invalid(kind, payload, "event.user." + _describe(exc)) from None


def invalid(kind: str, payload: Mapping[str, Any], problem: str) -> InvalidPayload:
    """The refusal of a payload of this ``kind``: worded for what the person used, with the audit details."""
    return InvalidPayload(problem[:500], surface=_surface(kind, payload), details=_about(kind, payload))


def _describe(exc: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()[:3]]
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _surface(kind: str, payload: Mapping[str, Any]) -> str:
    """What the person used, for the words of the refusal: a button, a form, a command or a message."""
    if kind == "slash_commands":
        return "command"
    if kind == "interactive":
        return "form" if payload.get("type") in ("view_submission", "view_closed") else "button"
    return "message"


def _about(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Which of Steward's listeners the payload was for (strings only: this goes into the audit log)."""
    about: dict[str, Any] = {"kind": kind}
    kinds = {"type": payload.get("type"), "command": payload.get("command")}
    actions = payload.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], Mapping):
        kinds["action_id"] = actions[0].get("action_id")
    view = payload.get("view")
    if isinstance(view, Mapping):
        kinds["callback_id"] = view.get("callback_id")
    event = payload.get("event")
    if isinstance(event, Mapping):
        kinds["event_type"] = event.get("type")
    about.update({k: v[:100] for k, v in kinds.items() if isinstance(v, str)})
    return about


def details_of(kind: str, payload: Any) -> dict[str, Any]:
    """The audit-log details of a payload (its kind, type, command, action_id, callback_id, event type)."""
    return _about(kind, payload) if isinstance(payload, Mapping) else {"kind": kind}


# ---------------------------------------------------------------- what Steward put on its buttons


def parse_id(text: Any, *, what: str = "button", field: str = "value") -> int:
    """An id Steward wrote as decimal ASCII digits ("42") -> 42. Raises InvalidPayload for anything else:
    no digits, other scripts' digits ("٣", "²"), a sign, or a number past PostgreSQL's bigint."""
    if isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) and 0 < int(text) <= MAX_ID:
        return int(text)
    raise InvalidPayload(f"{field} {_quote(text)} is not an id", surface=what)


def parse_index(text: Any, *, what: str = "button", field: str = "value") -> int:
    """A position Steward wrote ("0", "3"): decimal ASCII digits, zero allowed. InvalidPayload otherwise."""
    if isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) and int(text) <= MAX_ID:
        return int(text)
    raise InvalidPayload(f"{field} {_quote(text)} is not a position", surface=what)


def parse_day(text: Any, *, what: str = "button", field: str = "value") -> date:
    """An ISO date Steward wrote ("2026-03-06"). Raises InvalidPayload for anything else."""
    if isinstance(text, str) and len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidPayload(f"{field} {_quote(text)} is not a date", surface=what)


def split(text: Any, parts: int, *, sep: str = ":", what: str = "button", field: str = "value") -> list[str]:
    """``text`` cut at ``sep`` into exactly ``parts`` pieces ("42:3" -> ["42", "3"]); InvalidPayload otherwise."""
    pieces = text.split(sep) if isinstance(text, str) else []
    if len(pieces) != parts:
        raise InvalidPayload(f"{field} {_quote(text)} does not have {parts} parts", surface=what)
    return pieces


def action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first action of a block_actions payload (checked by :func:`check`: a dict with a str action_id)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        raise InvalidPayload("the payload carries no action", surface="button")
    return actions[0]


def action_value(body: Mapping[str, Any]) -> str:
    """The value of the first action: the button's value, else the selected option's ("" when neither)."""
    first = action(body)
    value = first.get("value")
    if value is None and isinstance(first.get("selected_option"), Mapping):
        value = first["selected_option"].get("value")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidPayload(f"value {_quote(value)} is not a string", surface="button")
    return value


def action_id_value(body: Mapping[str, Any]) -> int:
    """The first action's value as an id (see :func:`parse_id`)."""
    return parse_id(action_value(body))


def message_of(body: Mapping[str, Any]) -> tuple[str, str]:
    """(channel id, ts) of the message holding the button that was pressed (``container``, else
    ``channel`` and ``message``). InvalidPayload when the payload does not say."""
    container = _mapping(body.get("container"))
    channel = container.get("channel_id")
    if not channel and isinstance(body.get("channel"), Mapping):
        channel = body["channel"].get("id")
    ts = container.get("message_ts")
    if not ts and isinstance(body.get("message"), Mapping):
        ts = body["message"].get("ts")
    if not (isinstance(channel, str) and channel and isinstance(ts, str) and ts):
        raise InvalidPayload("the payload does not say which message the button was on", surface="button")
    return channel, ts


def responds(body: Mapping[str, Any]) -> None:
    """For a button Steward only puts on messages, whose listener answers through ``response_url`` (which
    Slack gives every action on a message): InvalidPayload when the payload has none."""
    if not isinstance(body.get("response_url"), str) or not body["response_url"]:
        raise InvalidPayload("the button was not on a message (no response_url)", surface="button")


def trigger_of(body: Mapping[str, Any], *, what: str = "button") -> str:
    """The payload's trigger_id (to open a modal). InvalidPayload when it has none."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise InvalidPayload("the payload has no trigger_id", surface=what)
    return trigger


def metadata(view: Mapping[str, Any], parts: int, *, sep: str = "|") -> list[str]:
    """A view's ``private_metadata`` as Steward wrote it: exactly ``parts`` pieces joined by ``sep``."""
    return split(view.get("private_metadata") or "", parts, sep=sep, what="form", field="private_metadata")


def json_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """A view's ``private_metadata`` that Steward wrote as a JSON object. InvalidPayload for anything else."""
    try:
        found = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise InvalidPayload("private_metadata is not the JSON object the form was opened with", surface="form")
    return found


def text_or_none(value: Any, *, what: str = "form", field: str = "value") -> str | None:
    """A string Steward wrote (or nothing). InvalidPayload for another type."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidPayload(f"{field} is a {type(value).__name__}, not text", surface=what)


# ---------------------------------------------------------------- what people entered in a form


class Form(dict[str, Any]):
    """A modal's values, ``block_id`` -> the element's value (text, date, time, option value, list of option
    values, conversation, user id, list of user ids), with typed getters that raise InvalidPayload when a value has the wrong type
    (a list where Steward's form has a text input). Read with :func:`form_of`."""

    def text(self, block_id: str) -> str:
        """A text input's value ("" when empty or absent)."""
        value = self.get(block_id)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise InvalidPayload(f"{block_id} is not text", surface="form")
        return value

    def choice(self, block_id: str) -> str | None:
        """A select's, date picker's, time picker's or conversation picker's single value (None when none)."""
        value = self.get(block_id)
        if value is not None and not isinstance(value, str):
            raise InvalidPayload(f"{block_id} is not a single choice", surface="form")
        return value

    def choices(self, block_id: str) -> list[str]:
        """Checkboxes' or a multi-select's values ([] when none)."""
        value = self.get(block_id)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidPayload(f"{block_id} is not a list of choices", surface="form")
        return value

    def day(self, block_id: str) -> date | None:
        """A date picker's date (None when empty)."""
        value = self.choice(block_id)
        return None if value in (None, "") else parse_day(value, what="form", field=block_id)

    def id(self, block_id: str) -> int:
        """A select whose options are ids Steward wrote."""
        return parse_id(self.choice(block_id), what="form", field=block_id)


def form_of(view: Any) -> Form:
    """A view's ``state.values`` as a :class:`Form`. Lenient about absent parts (an empty form); raises
    InvalidPayload when what is there has the wrong shape (ack hooks call this before :func:`check` ran)."""
    if not isinstance(view, Mapping):
        raise InvalidPayload("the view is not an object", surface="form")
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, Mapping) else None
    if not isinstance(values if values is not None else {}, Mapping):
        raise InvalidPayload("the view's state is not an object", surface="form")
    out = Form()
    for block_id, actions in (values or {}).items():
        if not isinstance(actions, Mapping):
            raise InvalidPayload(f"{block_id} is not an object", surface="form")
        for element in actions.values():
            if not isinstance(element, Mapping):
                raise InvalidPayload(f"{block_id} is not an input's state", surface="form")
            out[block_id] = _element_value(element)
    return out


def _element_value(v: Mapping[str, Any]) -> Any:
    if "selected_options" in v:
        options = v.get("selected_options") or []
        return [o.get("value") if isinstance(o, Mapping) else o for o in options] if isinstance(options, list) else options
    if "selected_users" in v:  # multi_users_select: a list of user ids
        users = v.get("selected_users") or []
        return list(users) if isinstance(users, list) else users
    for key in ("selected_conversation", "selected_channel", "selected_user", "selected_time", "selected_date"):
        if key in v:
            return v.get(key)
    if "selected_option" in v:
        option = v.get("selected_option")
        return option.get("value") if isinstance(option, Mapping) else option
    return v.get("value")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _quote(value: Any) -> str:
    text = value if isinstance(value, str) else f"({type(value).__name__})"
    return repr(text[:40])
