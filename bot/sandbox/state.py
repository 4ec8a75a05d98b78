"""What the sandbox page sees: the workspace as one person would, as plain JSON."""

from __future__ import annotations

import copy
from typing import Any

from bot.emulators.slack import SlackEmulator, SlackError
from bot.emulators.slack.models import Channel, User
from bot.sandbox.seed import PEOPLE

JsonDict = dict[str, Any]

_TITLES = {p.id: p.title for p in PEOPLE}
_COLORS = ("#4a7dff", "#e0665c", "#2aa876", "#b86bd6", "#e09a2c", "#2b9bb3", "#7a869a")


def person_json(user: User) -> JsonDict:
    words = [w for w in (user.real_name or user.name).split() if w]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    return {
        "id": user.id,
        "name": user.name,
        "real_name": user.real_name or user.name,
        "display_name": user.display_name or user.real_name or user.name,
        "tz": user.tz,
        "title": _TITLES.get(user.id, "App" if user.is_bot else ""),
        "is_owner": user.is_owner,
        "is_admin": user.is_admin,
        "is_bot": user.is_bot,
        "deleted": user.deleted,
        "initials": initials,
        "color": _COLORS[sum(map(ord, user.id)) % len(_COLORS)],
    }


def people(emulator: SlackEmulator) -> list[JsonDict]:
    """Everyone but Slackbot (the bot is included so its messages get a name)."""
    return [person_json(u) for u in emulator.workspace.users.values() if u.id != "USLACKBOT"]


def humans(emulator: SlackEmulator) -> list[User]:
    return [u for u in emulator.workspace.users.values() if not u.is_bot and u.id != "USLACKBOT" and not u.deleted]


def can_see(channel: Channel, user_id: str) -> bool:
    if channel.is_im:
        return channel.im_user == user_id
    if channel.is_private or channel.is_mpim:
        return channel.has_member(user_id)
    return True


def _latest(emulator: SlackEmulator, channel: Channel, user_id: str) -> str:
    log = emulator.workspace.store.log(channel.id).all()
    stamps = [str(m["ts"]) for m in log if m.get("user") != user_id]
    stamps += [e.ts for e in emulator.ephemerals_for(user_id) if e.channel == channel.id]
    return max(stamps, key=_ts_key, default="")


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds), int((micros or "0").ljust(6, "0")[:6])
    except ValueError:
        return 0, 0


def channels_for(emulator: SlackEmulator, user_id: str) -> list[JsonDict]:
    """The conversations this person has in their sidebar, their DM with the bot first."""
    ws = emulator.workspace
    ws.dm_channel(user_id)
    found: list[JsonDict] = []
    for channel in ws.channels.values():
        if not can_see(channel, user_id):
            continue
        kind = "im" if channel.is_im else "mpim" if channel.is_mpim else "private" if channel.is_private else "public"
        found.append({
            "id": channel.id,
            "name": "Steward" if channel.is_im else channel.name,
            "kind": kind,
            "is_member": channel.has_member(user_id),
            "bot_is_member": ws.bot_is_member(channel),
            "members": len(channel.members),
            "topic": channel.topic,
            "latest": _latest(emulator, channel, user_id),
        })
    found.sort(key=lambda c: (c["kind"] != "im", c["name"]))
    return found


def _ephemeral_json(e: Any) -> JsonDict:
    return {
        "ts": e.ts,
        "user": None,
        "text": e.text,
        "blocks": copy.deepcopy(e.blocks) if e.blocks else None,
        "thread_ts": e.thread_ts,
        "ephemeral": True,
        "source": e.source,
    }


def _message_json(message: JsonDict) -> JsonDict:
    out = {k: copy.deepcopy(v) for k, v in message.items() if k not in ("bot_profile", "team", "client_msg_id")}
    blocks = out.get("blocks")
    if isinstance(blocks, list) and all(isinstance(b, dict) and b.get("type") == "rich_text" for b in blocks):
        out.pop("blocks")  # what a person typed: render its text
    return out


def conversation(emulator: SlackEmulator, user_id: str, channel_id: str, thread_ts: str | None) -> JsonDict:
    ws = emulator.workspace
    channel = ws.channel(channel_id)
    if not can_see(channel, user_id):
        raise SlackError("channel_not_found")
    log = ws.store.log(channel.id).all()
    top = [_message_json(m) for m in log if m.get("thread_ts") in (None, m["ts"])]
    mine = [e for e in emulator.ephemerals_for(user_id) if e.channel == channel.id]
    top += [_ephemeral_json(e) for e in mine if not e.thread_ts]
    top.sort(key=lambda m: _ts_key(str(m["ts"])))
    result: JsonDict = {
        "channel": {
            "id": channel.id,
            "name": "Steward" if channel.is_im else channel.name,
            "kind": "im" if channel.is_im else "private" if channel.is_private else "public",
            "topic": channel.topic,
            "members": list(channel.members),
            "bot_is_member": ws.bot_is_member(channel),
            "is_member": channel.has_member(user_id),
        },
        "messages": top,
        "ephemerals": [_ephemeral_json(e) for e in mine],
        "thread": None,
    }
    if thread_ts:
        parent = ws.store.find(channel.id, thread_ts)
        if parent is not None:
            replies = [_message_json(m) for m in ws.store.log(channel.id).replies(thread_ts)]
            replies += [_ephemeral_json(e) for e in mine if e.thread_ts == thread_ts]
            replies.sort(key=lambda m: _ts_key(str(m["ts"])))
            result["thread"] = {"ts": thread_ts, "parent": _message_json(parent), "replies": replies}
    return result


def open_modal(emulator: SlackEmulator, user_id: str) -> JsonDict | None:
    views = emulator.workspace.views
    stack = views.stacks.get(user_id) or []
    if not stack:
        return None
    view = copy.deepcopy(views.views[stack[-1]])
    view["stack_depth"] = len(stack)
    return view


def home_view(emulator: SlackEmulator, user_id: str) -> JsonDict | None:
    view = emulator.home_views.get(user_id)
    return copy.deepcopy(view) if view is not None else None
