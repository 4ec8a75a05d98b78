"""Builders for the payloads Slack puts in Socket Mode envelopes (events, commands, interactions)."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from bot.emulators.slack.metadata import shown
from bot.emulators.slack.models import Channel, JsonDict, User
from bot.emulators.slack.workspace import Identity

VERIFICATION_TOKEN = "emulator-verification-token"
_MESSAGE_EVENT_FIELDS = (
    "user",
    "bot_id",
    "app_id",
    "bot_profile",
    "subtype",
    "text",
    "ts",
    "team",
    "client_msg_id",
    "blocks",
    "attachments",
    "files",
    "upload",
    "thread_ts",
    "metadata",
)


def _now_ts() -> str:
    return f"{time.time():.6f}"


def event_callback(identity: Identity, event: JsonDict, event_id: str) -> JsonDict:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": identity.team_id,
        "context_team_id": identity.team_id,
        "context_enterprise_id": None,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def message_event(channel: Channel, message: JsonDict, parent_user_id: str | None = None) -> JsonDict:
    event: JsonDict = {"type": "message"}
    public = shown(message)  # metadata without its payload, as Slack sends it to apps
    event.update({k: public[k] for k in _MESSAGE_EVENT_FIELDS if k in public})
    event.update(channel=channel.id, event_ts=message["ts"], channel_type=channel.channel_type)
    if parent_user_id is not None:
        event["parent_user_id"] = parent_user_id
    return event


def app_mention_event(channel: Channel, message: JsonDict) -> JsonDict:
    event: JsonDict = {"type": "app_mention"}
    fields = ("user", "text", "ts", "team", "client_msg_id", "blocks", "thread_ts")
    event.update({k: copy.deepcopy(message[k]) for k in fields if k in message})
    event.update(channel=channel.id, event_ts=message["ts"])
    return event


def message_changed_event(channel: Channel, previous: JsonDict, current: JsonDict, event_ts: str) -> JsonDict:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": shown(current),
        "previous_message": shown(previous),
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def message_deleted_event(channel: Channel, previous: JsonDict, event_ts: str) -> JsonDict:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": previous["ts"],
        "previous_message": shown(previous),
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def app_home_opened_event(user_id: str, dm_channel_id: str, view: JsonDict | None) -> JsonDict:
    event: JsonDict = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_channel_id,
        "tab": "home",
        "event_ts": _now_ts(),
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    return event


def member_joined_event(identity: Identity, user_id: str, channel: Channel, inviter: str | None) -> JsonDict:
    event: JsonDict = {
        "type": "member_joined_channel",
        "user": user_id,
        "channel": channel.id,
        "channel_type": "G" if channel.is_private else "C",
        "team": identity.team_id,
        "event_ts": _now_ts(),
    }
    if inviter is not None:
        event["inviter"] = inviter
    return event


def reaction_added_event(user_id: str, name: str, channel_id: str, message: JsonDict) -> JsonDict:
    return {
        "type": "reaction_added",
        "user": user_id,
        "reaction": name,
        "item_user": message.get("user"),
        "item": {"type": "message", "channel": channel_id, "ts": message["ts"]},
        "event_ts": _now_ts(),
    }


def user_ref(user: User) -> JsonDict:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}


def team_ref(identity: Identity) -> JsonDict:
    return {"id": identity.team_id, "domain": identity.domain}


def channel_ref(channel: Channel) -> JsonDict:
    return {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}


def slash_command(
    identity: Identity,
    user: User,
    channel: Channel,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> JsonDict:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": identity.team_id,
        "team_domain": identity.domain,
        "channel_id": channel.id,
        "channel_name": channel_ref(channel)["name"],
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _interaction_base(identity: Identity, user: User, kind: str, trigger_id: str) -> JsonDict:
    return {
        "type": kind,
        "user": user_ref(user),
        "api_app_id": identity.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": team_ref(identity),
        "enterprise": None,
        "is_enterprise_install": False,
    }


def find_element(blocks: list[JsonDict], action_id: str, *, value: str | None = None,
                 block_id: str | None = None) -> tuple[str | None, JsonDict | None]:
    """The (block_id, element) holding `action_id` in accessories, actions/context elements or inputs; with
    `block_id`, only in that block; with `value`, only a button carrying that value (a grouped message repeats
    one action_id per item). (None, None) when the blocks show no such element."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates: list[Any] = [block.get("accessory"), block.get("element"), *block.get("elements", [])]
        for element in candidates:
            if not (isinstance(element, dict) and element.get("action_id") == action_id):
                continue
            if value is not None and element.get("type") == "button" and element.get("value") != value:
                continue
            return block.get("block_id"), element
    return None, None


def action(
    action_id: str, block_id: str, element: JsonDict | None, value: str | None, extra: JsonDict
) -> JsonDict:
    element = element or {"type": "button"}
    built: JsonDict = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": _now_ts(),
    }
    if built["type"] == "button":
        built["text"] = element.get("text", {"type": "plain_text", "text": action_id})
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            built["value"] = chosen
    elif value is not None:
        built["value"] = value
    built.update(extra)
    return built


def block_actions_on_message(
    identity: Identity,
    user: User,
    channel: Channel,
    message: JsonDict,
    actions: list[JsonDict],
    response_url: str,
    trigger_id: str,
) -> JsonDict:
    container: JsonDict = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel.id,
        "is_ephemeral": False,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return {
        **_interaction_base(identity, user, "block_actions", trigger_id),
        "container": container,
        "channel": channel_ref(channel),
        "message": copy.deepcopy(message),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": actions,
    }


def block_actions_on_view(
    identity: Identity, user: User, view: JsonDict, actions: list[JsonDict], trigger_id: str
) -> JsonDict:
    return {
        **_interaction_base(identity, user, "block_actions", trigger_id),
        "container": {"type": "view", "view_id": view["id"]},
        "view": copy.deepcopy(view),
        "state": copy.deepcopy(view.get("state", {"values": {}})),
        "actions": actions,
    }


def view_submission(identity: Identity, user: User, view: JsonDict, trigger_id: str) -> JsonDict:
    return {
        **_interaction_base(identity, user, "view_submission", trigger_id),
        "view": copy.deepcopy(view),
        "response_urls": [],
    }


def view_closed(identity: Identity, user: User, view: JsonDict, is_cleared: bool) -> JsonDict:
    payload = _interaction_base(identity, user, "view_closed", "")
    del payload["trigger_id"]
    return {**payload, "view": copy.deepcopy(view), "is_cleared": is_cleared}


def global_shortcut(identity: Identity, user: User, callback_id: str, trigger_id: str) -> JsonDict:
    return {
        **_interaction_base(identity, user, "shortcut", trigger_id),
        "callback_id": callback_id,
        "action_ts": _now_ts(),
    }


def message_shortcut(
    identity: Identity,
    user: User,
    callback_id: str,
    channel: Channel,
    message: JsonDict,
    response_url: str,
    trigger_id: str,
) -> JsonDict:
    return {
        **_interaction_base(identity, user, "message_action", trigger_id),
        "callback_id": callback_id,
        "action_ts": _now_ts(),
        "channel": channel_ref(channel),
        "message_ts": message["ts"],
        "message": copy.deepcopy(message),
        "response_url": response_url,
    }
