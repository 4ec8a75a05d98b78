"""Files a notification carries (issue 15: a report's chart): uploaded with Slack's files API
(``files.getUploadURLExternal``, the upload URL, ``files.completeUploadExternal``: slack_sdk's ``files_upload_v2``)
into the conversation of the posted message, threaded under it, after the dispatcher posted it
(bot/services/notifications.py). The bytes are read from the database when the file is sent, so a notification's
payload stays small."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError

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


async def upload_all(pool: Any, client: Any, org_id: int, specs: Sequence[dict[str, Any]], *, channel: str,
                     thread_ts: str) -> int:
    """Upload each of ``specs`` into ``channel`` under ``thread_ts``; returns how many went. A file that cannot be
    read or uploaded is logged (``notification_file_failed``) and, for a report's chart, recorded on the report
    (``reports.chart_error``); the others still go."""
    sent = 0
    for spec in specs:
        try:
            async with pool.connection() as conn:
                content = await load(conn, org_id, spec)
            await client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=content,
                                         filename=str(spec.get("filename") or "file"), title=spec.get("title"))
            sent += 1
        except (SlackApiError, NotFound, ValueError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("notification_file_failed", organization_id=org_id, file=spec, error=error)
            if spec.get("source") == "report_chart" and spec.get("report_id"):
                async with pool.connection() as conn:
                    await conn.execute(Q["report_chart_failed"], {
                        "organization_id": org_id, "id": int(spec["report_id"]), "error": f"upload: {error}"})
    return sent
