"""chat.* and reactions.* Web API methods."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.metadata import check_metadata, shown, with_warnings
from bot.emulators.slack.models import JsonDict
from bot.emulators.slack.validation import validate_blocks, validate_text
from bot.emulators.slack.workspace import Ephemeral, Workspace

Handler = Callable[[Workspace, Args], JsonDict]


def public_message(message: JsonDict, include_all_metadata: bool = False) -> JsonDict:
    """A stored message as Slack's answers show it (metadata without its payload unless asked for)."""
    return shown(message, include_all_metadata)


def _require_content(args: Args) -> tuple[str | None, list[JsonDict] | None]:
    text = args.get_str("text")
    blocks = validate_blocks(args.get_json("blocks"))
    if text is None and not blocks and not args.get_json("attachments"):
        raise SlackError("no_text")
    validate_text(text)
    return text, blocks


def _require_own(ws: Workspace, message: JsonDict, error: str) -> None:
    if message.get("bot_id") != ws.identity.bot_id:
        raise SlackError(error)


def post_message(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.post_target(args.get_str("channel"))
    text, blocks = _require_content(args)
    checked = check_metadata(args.values.get("metadata"))
    ws.require_postable(channel)
    broadcast = args.get_bool("reply_broadcast") and args.has("thread_ts")
    message = ws.bot_message(
        channel,
        text or "",
        blocks=blocks,
        thread_ts=args.get_str("thread_ts"),
        attachments=args.get_json("attachments"),
        metadata=checked.metadata,
        subtype="thread_broadcast" if broadcast else None,
    )
    return with_warnings({"channel": channel.id, "ts": message["ts"], "message": public_message(message)}, checked.warnings)


def update_message(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.channel(args.get_str("channel"))
    message = ws.find_message(channel.id, args.get_str("ts"))
    _require_own(ws, message, "cant_update_message")
    text, blocks = _require_content(args)
    checked = check_metadata(args.values.get("metadata"))
    if checked.metadata is not None:  # an update without metadata keeps the message's
        message["metadata"] = checked.metadata
    if text is not None:
        message["text"] = text
    if "blocks" in args.values:
        message["blocks"] = blocks or []
    if args.has("attachments"):
        message["attachments"] = args.get_json("attachments")
    message["edited"] = {"user": ws.identity.bot_user_id, "ts": ws.clock.next_ts()}
    return with_warnings({
        "channel": channel.id,
        "ts": message["ts"],
        "text": message["text"],
        "message": public_message(message),
    }, checked.warnings)


def delete_message(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.channel(args.get_str("channel"))
    message = ws.find_message(channel.id, args.get_str("ts"))
    _require_own(ws, message, "cant_delete_message")
    ws.delete_message(channel.id, message["ts"])
    return {"channel": channel.id, "ts": message["ts"]}


def post_ephemeral(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.post_target(args.get_str("channel"))
    user = ws.user(args.get_str("user"))
    text, blocks = _require_content(args)
    ws.require_postable(channel)
    if not channel.has_member(user.id):
        raise SlackError("user_not_in_channel")
    ts = ws.clock.next_ts()
    ws.post_ephemeral(Ephemeral(channel.id, user.id, text or "", blocks, ts, args.get_str("thread_ts")))
    return {"message_ts": ts}


def get_permalink(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    message = ws.find_message(channel.id, args.get_str("message_ts"))
    return {
        "channel": channel.id,
        "permalink": ws.permalink(channel.id, message["ts"], message.get("thread_ts")),
    }


def add_reaction(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    message = ws.find_message(channel.id, args.get_str("timestamp"))
    name = args.required("name", "invalid_name").strip(":")
    reactions: list[JsonDict] = message.setdefault("reactions", [])
    reaction = next((r for r in reactions if r["name"] == name), None)
    if reaction is None:
        reaction = {"name": name, "users": [], "count": 0}
        reactions.append(reaction)
    if ws.identity.bot_user_id in reaction["users"]:
        raise SlackError("already_reacted")
    reaction["users"].append(ws.identity.bot_user_id)
    reaction["count"] = len(reaction["users"])
    return {}


def remove_reaction(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    message = ws.find_message(channel.id, args.get_str("timestamp"))
    name = args.required("name", "invalid_name").strip(":")
    reactions: list[JsonDict] = message.get("reactions", [])
    reaction = next((r for r in reactions if r["name"] == name), None)
    if reaction is None or ws.identity.bot_user_id not in reaction["users"]:
        raise SlackError("no_reaction")
    reaction["users"].remove(ws.identity.bot_user_id)
    reaction["count"] = len(reaction["users"])
    if not reaction["users"]:
        reactions.remove(reaction)
    return {}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update_message,
    "chat.delete": delete_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "reactions.add": add_reaction,
    "reactions.remove": remove_reaction,
}
