"""Files a notification carries (issue 15: a report's chart): uploaded with Slack's files API
(``files.getUploadURLExternal``, the upload URL, ``files.completeUploadExternal``: slack_sdk's ``files_upload_v2``)
into the conversation of the posted message, threaded under it, after the dispatcher posted it
(bot/services/notifications.py: each file is one of the delivery's effects, done once even when its sender dies
between the post and the upload: the next claim uploads what is missing, after looking for it in the thread).
The bytes are read from the database when the file is sent, so a notification's payload stays small."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.errors import NotFound
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)


async def load(conn: Any, org_id: int, spec: dict[str, Any]) -> bytes:
    """The bytes of one file ``spec`` (``source`` ``report_chart`` with its ``report_id``). Raises NotFound when
    they are gone, ValueError for an unknown source."""
    if spec.get("source") != "report_chart":
        raise ValueError(f"unknown file source {spec.get('source')!r}")
    row = await (await conn.execute(Q["report_chart"], {"organization_id": org_id, "id": int(spec["report_id"])})).fetchone()
    if row is None or row[0] is None:
        raise NotFound("the report's chart is gone")
    return bytes(row[0])


async def upload(pool: Any, client: Any, org_id: int, spec: dict[str, Any], *, channel: str, thread_ts: str) -> bool:
    """Upload the file ``spec`` into ``channel`` (a Slack conversation id) threaded under ``thread_ts``; True when it
    went. A file that cannot be read, or that Slack refuses (``not_in_channel``, a size it will not take, ...), is
    logged (``notification_file_failed``) and, for a report's chart, recorded on the report (``reports.chart_error``):
    False, and never raised, so the message stays sent and the delivery's other files still go."""
    try:
        async with pool.connection() as conn:
            content = await load(conn, org_id, spec)
        await client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=content,
                                     filename=filename_of(spec), title=spec.get("title"))
        return True
    except (SlackApiError, SlackRequestError, NotFound, ValueError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("notification_file_failed", organization_id=org_id, file=spec, error=error)
        if spec.get("source") == "report_chart" and spec.get("report_id"):
            async with pool.connection() as conn:
                await conn.execute(Q["report_chart_failed"], {
                    "organization_id": org_id, "id": int(spec["report_id"]), "error": f"upload: {error}"})
        return False


def filename_of(spec: dict[str, Any]) -> str:
    """The name the file ``spec`` is uploaded under (and found by in its thread)."""
    return str(spec.get("filename") or "file")


async def in_thread(client: Any, spec: dict[str, Any], *, channel: str, thread_ts: str) -> bool:
    """Whether the thread under ``thread_ts`` in ``channel`` already holds the file ``spec`` shared by a bot: an upload
    whose outcome was never recorded (its sender died) may have completed. Reads the thread's replies
    (``conversations.replies``, the history scopes the dispatcher's look-ups use; a report's thread holds a few
    messages). Slack refusing to show the thread counts as not found (the file is uploaded)."""
    name = filename_of(spec)
    try:
        replies = await client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
    except SlackApiError as exc:
        log.warning("notification_file_not_looked_up", channel=channel, file=name,
                    error=exc.response.get("error") if exc.response is not None else str(exc))
        return False
    return any(m.get("bot_id") and any(f.get("name") == name for f in m.get("files") or [])
               for m in replies.get("messages") or [])
