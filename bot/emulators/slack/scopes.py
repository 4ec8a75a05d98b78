"""OAuth scopes, as Slack enforces them on a bot token: each Web API method needs a scope (some depend on the
kind of conversation), a call without it answers ``missing_scope`` with ``needed`` and ``provided``, and
every answer carries the token's scopes in the ``x-oauth-scopes`` header (what ``steward doctor`` reads
from ``auth.test``).

Source: each method's "Scopes — Bot token" line in Slack's Web API reference (docs.slack.dev/reference/methods).
The emulator grants by default the bot scopes of Steward's own ``bot/manifest.yaml``, as an install from that
manifest would; a test may grant fewer to see what Steward does without one.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.models import Channel
from bot.emulators.slack.workspace import Workspace
from bot.manifest import bot_scopes as manifest_scopes

__all__ = ["check", "manifest_scopes", "needed"]

# Methods that need one fixed scope. Methods not listed here and not in BY_CONVERSATION need none
# (auth.test, chat.getPermalink, views.*, apps.connections.open with its app-level token).
FIXED = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "reactions.add": "reactions:write", "reactions.remove": "reactions:write",
    "conversations.join": "channels:join",
    "users.list": "users:read", "users.info": "users:read", "users.lookupByEmail": "users:read.email",
    "users.profile.get": "users.profile:read", "team.profile.get": "users.profile:read", "team.info": "team:read",
    "files.getUploadURLExternal": "files:write", "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
}
# Methods whose scope depends on the conversation: the suffix after channels:/groups:/im:/mpim:.
BY_CONVERSATION = {
    "conversations.history": "history", "conversations.replies": "history",
    "conversations.info": "read", "conversations.members": "read",
}
_PREFIX = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}
_TYPE_PREFIX = {"public_channel": "channels", "private_channel": "groups", "im": "im", "mpim": "mpim"}


def needed(ws: Workspace, method: str, args: Args) -> list[str]:
    """The scopes a bot token needs for this call (any one of a list of alternatives is not modelled: each
    listed scope is needed). An unknown conversation needs nothing here: the method answers channel_not_found."""
    if method in FIXED:
        return [FIXED[method]]
    if method in BY_CONVERSATION:
        channel = ws.channels.get(args.get_str("channel") or "")
        return [f"{_PREFIX[channel.channel_type]}:{BY_CONVERSATION[method]}"] if isinstance(channel, Channel) else []
    if method in ("conversations.list", "users.conversations"):
        types = (args.get_str("types") or "public_channel").split(",")
        return sorted({f"{_TYPE_PREFIX[t.strip()]}:read" for t in types if t.strip() in _TYPE_PREFIX})
    if method == "conversations.open":
        users = [u for u in (args.get_str("users") or "").split(",") if u.strip()]
        return ["mpim:write" if len(users) > 1 else "im:write"]
    return []


def check(ws: Workspace, method: str, args: Args, granted: Iterable[str]) -> SlackError | None:
    """``missing_scope`` (with Slack's ``needed`` and ``provided`` fields) when ``granted`` lacks a scope."""
    have = set(granted)
    missing = [scope for scope in needed(ws, method, args) if scope not in have]
    if not missing:
        return None
    return SlackError("missing_scope", needed=",".join(missing), provided=",".join(sorted(have)))
