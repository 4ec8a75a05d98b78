"""The files_upload_v2 flow: getUploadURLExternal, the upload URL (served by the emulator), completeUploadExternal.

As strict as Slack where it matters to a bot (slack_sdk's ``files_upload_v2`` drives these three steps):

* ``files.getUploadURLExternal`` needs ``filename`` and a positive ``length`` (bytes) (``invalid_arguments``);
* the upload URL takes the bytes once (raw body, as slack_sdk sends them); bytes that do not match the declared
  ``length`` are refused with HTTP 400 there (slack_sdk raises ``SlackRequestError`` for any status but 200);
  Slack's documentation names no error code for it, so the emulator refuses at the first place it can be seen;
* ``files.completeUploadExternal`` completes each file once: an id never issued, never uploaded, or already
  completed is ``file_not_found``. It shares the files only into ``channel_id`` (or ``channels``); without one the
  file stays private, unshared, with no message (Slack: "If not specified the file will be private"). Sharing
  needs the bot to be a member of the conversation, even a public one (``not_in_channel``: unlike
  chat.postMessage, ``chat:write.public`` does not cover uploads); an archived one is ``is_archived``;
  ``thread_ts`` threads the file's message under that message (it must exist there: ``invalid_arguments``
  otherwise, as the emulator reads Slack's silence on it).
* An upload never completed is never shared nor listed (``files.info``: ``file_not_found``).
"""

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
    if length <= 0:
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
        if not ws.bot_is_member(channel):
            raise SlackError("not_in_channel")
        thread_ts = args.get_str("thread_ts")
        if thread_ts and ws.store.find(channel.id, thread_ts) is None:
            raise SlackError("invalid_arguments")
    ids = [str(entry.get("id")) for entry in entries if isinstance(entry, dict)]
    if len(ids) != len(entries) or len(set(ids)) != len(ids):
        raise SlackError("invalid_arguments")
    for file_id in ids:
        ws.files.uploaded(file_id)  # all or nothing: file_not_found before any is completed
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
