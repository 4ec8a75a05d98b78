"""The files_upload_v2 flow: getUploadURLExternal, the upload URL (served by the emulator), completeUploadExternal."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.files import StoredFile
from bot.emulators.slack.models import Channel, JsonDict
from bot.emulators.slack.workspace import Workspace

Handler = Callable[[Workspace, Args], JsonDict]


def get_upload_url(ws: Workspace, args: Args) -> JsonDict:
    name = args.required("filename")
    length = args.get_int("length", -1)
    if length < 0:
        raise SlackError("invalid_arguments")
    stored = ws.files.reserve(name, length, ws.identity.bot_user_id)
    return {"upload_url": f"{ws.base_url}/upload/v1/{stored.id}", "file_id": stored.id}


def _share(ws: Workspace, channel: Channel, files: list[StoredFile], args: Args) -> None:
    message = ws.bot_message(
        channel,
        args.get_str("initial_comment") or "",
        thread_ts=args.get_str("thread_ts"),
        files=[f.to_api(ws.base_url) for f in files],
        upload=True,
    )
    for stored in files:
        stored.shares.setdefault(channel.id, []).append(message["ts"])


def complete_upload(ws: Workspace, args: Args) -> JsonDict:
    entries = args.get_json("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    channel_refs = [
        *args.get_list("channels"),
        *([args.get_str("channel_id") or ""] if args.has("channel_id") else []),
    ]
    channels = [ws.post_target(ref) for ref in channel_refs]
    for channel in channels:
        ws.require_postable(channel)
    files = [
        ws.files.complete(str(entry.get("id")), entry.get("title"))
        for entry in entries
        if isinstance(entry, dict)
    ]
    for channel in channels:
        _share(ws, channel, files, args)
    return {"files": [{"id": f.id, "title": f.title} for f in files]}


def files_info(ws: Workspace, args: Args) -> JsonDict:
    return {"file": ws.files.get(args.get_str("file")).to_api(ws.base_url)}


METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": files_info,
}
