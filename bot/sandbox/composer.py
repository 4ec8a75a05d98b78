"""What the sandbox page's composer sends, as Slack's client would send it.

Slack's client escapes `&`, `<`, `>`; a person or channel picked from the autocomplete goes out as
`<@U…>` / `<#C…|name>`; in a message, a typed `@name`/`#name` matching exactly one member/channel,
`@here`, and links are converted too (bot/emulators/slack/mentions.py). A slash command's text leaves
that last step to Slack's servers, which apply the command's should_escape (SlackEmulator.slash_command).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.emulators.slack.mentions import escape_typed, link_typed
from bot.emulators.slack.workspace import Workspace
from bot.sandbox.state import can_see


def picked_ref(workspace: Workspace, viewer: str, entity_id: Any) -> str | None:
    """The markup for a person or channel picked from the autocomplete; None for one that isn't there."""
    if not isinstance(entity_id, str):
        return None
    user = workspace.users.get(entity_id)
    if user is not None and not user.deleted:
        return f"<@{user.id}>"
    channel = workspace.channels.get(entity_id)
    if channel is not None and not channel.is_im and can_see(channel, viewer):
        return f"<#{channel.id}|{channel.name}>"
    return None


def compose(workspace: Workspace, viewer: str, text: str, picked: Iterable[Any] = (), *, command: bool = False) -> str:
    """`text` as typed by `viewer`, with `picked` ([{"label": "@Daniel", "id": "U…"}, …] in the order they
    appear) replaced by their markup; a message (not `command`) also gets typed mentions and links converted."""
    escaped = escape_typed(text)
    out: list[str] = []
    pos = 0
    for item in picked:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str) or not item["label"]:
            continue
        ref = picked_ref(workspace, viewer, item.get("id"))
        label = escape_typed(item["label"])
        at = escaped.find(label, pos)
        if ref is None or at < 0:
            continue
        out.append(escaped[pos:at])
        out.append(ref)
        pos = at + len(label)
    out.append(escaped[pos:])
    joined = "".join(out)
    return joined if command else link_typed(workspace, viewer, joined)
