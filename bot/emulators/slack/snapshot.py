"""The emulator's lasting state as plain JSON: people, conversations, messages, App Home tabs and files.

What Slack keeps across a reload is kept; what it does not (ephemerals, open modals, trigger_ids,
response_urls) is not. `restore` refuses a snapshot of another workspace or format with ValueError.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import asdict, fields
from typing import Any

from bot.emulators.slack.files import StoredFile
from bot.emulators.slack.models import Channel, JsonDict, User
from bot.emulators.slack.workspace import Workspace

FORMAT = 1


def dump(workspace: Workspace) -> JsonDict:
    """A JSON-ready copy of everything in `workspace` that Slack would still show after a reload."""
    identity = workspace.identity
    views = workspace.views
    return {
        "format": FORMAT,
        "team_id": identity.team_id,
        "bot_user_id": identity.bot_user_id,
        "users": [asdict(u) for u in workspace.users.values()],
        "channels": [asdict(c) for c in workspace.channels.values()],
        "messages": {cid: copy.deepcopy(workspace.store.log(cid).all()) for cid in workspace.channels
                     if len(workspace.store.log(cid))},
        "home_views": {user_id: copy.deepcopy(views.views[view_id]) for user_id, view_id in views.home.items()},
        "files": [_file_json(f) for f in workspace.files.files.values() if f.completed],
    }


def restore(workspace: Workspace, snapshot: Any) -> None:
    """Load a `dump` into a fresh workspace of the same team (ValueError when it does not fit)."""
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
        raise ValueError(f"not an emulator snapshot of format {FORMAT}")
    identity = workspace.identity
    if (snapshot.get("team_id"), snapshot.get("bot_user_id")) != (identity.team_id, identity.bot_user_id):
        raise ValueError(f"the snapshot is of workspace {snapshot.get('team_id')}, not {identity.team_id}")
    try:
        for raw in snapshot["users"]:
            workspace.add_user(User(**_known(User, raw)))
        for raw in snapshot["channels"]:
            workspace.add_channel(Channel(**_known(Channel, raw)))
        for channel_id, messages in snapshot["messages"].items():
            channel = workspace.channel(channel_id)
            for message in messages:
                workspace.store_message(channel, copy.deepcopy(message))
        for user_id, view in snapshot["home_views"].items():
            workspace.ids.reserve(view["id"])
            workspace.views.views[view["id"]] = copy.deepcopy(view)
            workspace.views.owners[view["id"]] = user_id
            workspace.views.home[user_id] = view["id"]
        for raw in snapshot["files"]:
            stored = StoredFile(**{**_known(StoredFile, raw), "content": base64.b64decode(raw["content"])})
            workspace.ids.reserve(stored.id)
            workspace.files.files[stored.id] = stored
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"the snapshot is damaged: {type(exc).__name__}: {exc}") from exc


def _known(cls: Any, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object for {cls.__name__}")
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


def _file_json(stored: StoredFile) -> JsonDict:
    raw = asdict(stored)
    raw["content"] = base64.b64encode(stored.content or b"").decode()
    return raw
