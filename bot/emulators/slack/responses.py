"""What a POST to a response_url does to the workspace, as Slack applies it."""

from __future__ import annotations

from bot.emulators.slack.models import JsonDict
from bot.emulators.slack.validation import validate_blocks
from bot.emulators.slack.workspace import Ephemeral, ResponseTarget, Workspace

MAX_USES = 5


def _replace_original(ws: Workspace, target: ResponseTarget, body: JsonDict) -> None:
    message = ws.store.find(target.channel_id or "", target.message_ts or "")
    if message is None:
        return
    if "text" in body:
        message["text"] = body["text"]
    if "blocks" in body:
        message["blocks"] = validate_blocks(body["blocks"]) or []
    message["edited"] = {"user": ws.identity.bot_user_id, "ts": ws.clock.next_ts()}


def _delete_original(ws: Workspace, target: ResponseTarget) -> None:
    if target.channel_id and target.message_ts and ws.store.find(target.channel_id, target.message_ts):
        ws.delete_message(target.channel_id, target.message_ts)


def _post_new(ws: Workspace, target: ResponseTarget, body: JsonDict) -> None:
    if target.channel_id is None:
        return
    text = str(body.get("text", ""))
    blocks = validate_blocks(body.get("blocks"))
    thread_ts = body.get("thread_ts")
    if body.get("response_type") == "in_channel":
        channel = ws.channel(target.channel_id)
        ws.bot_message(channel, text, blocks=blocks, thread_ts=thread_ts)
        return
    ephemeral = Ephemeral(
        target.channel_id, target.user_id, text, blocks, ws.clock.next_ts(), thread_ts, "response_url"
    )
    ws.post_ephemeral(ephemeral)


def apply_response(ws: Workspace, target: ResponseTarget, body: JsonDict) -> None:
    if body.get("delete_original"):
        _delete_original(ws, target)
    elif body.get("replace_original") and target.message_ts:
        _replace_original(ws, target, body)
    else:
        _post_new(ws, target, body)
