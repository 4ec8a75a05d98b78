"""What every job shares: running once per organization, and waking the dispatcher after queueing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.log import get_logger
from bot.services import standup_settings

log = get_logger(__name__)

OrgJob = Callable[[Deps, int, datetime], Awaitable[Any]]


def wake_dispatcher(deps: Deps) -> None:
    """Let the notification dispatcher (``deps.extras["dispatcher"]``, absent in one-off CLI runs) deliver
    what a job just queued without waiting for its next poll."""
    dispatcher = deps.extras.get("dispatcher")
    if dispatcher is not None:
        dispatcher.wake()


async def for_each_org(deps: Deps, now: datetime, fn: OrgJob) -> dict[str, Any]:
    """Run ``fn(deps, org_id, now)`` for every organization with settings; one failing does not stop the others.

    Returns ``{str(org_id): fn's result}``, or ``{"error": "<type>: <message>"}`` (at most 300 characters)
    for an organization whose run raised; the dispatcher is woken once at the end."""
    async with deps.pool.connection() as conn:
        org_ids = await standup_settings.organizations(conn)
    results: dict[str, Any] = {}
    for org_id in org_ids:
        try:
            results[str(org_id)] = await fn(deps, org_id, now)
        except Exception as exc:
            log.exception("rhythm_job_failed_for_org", organization_id=org_id, job=getattr(fn, "__module__", "?"))
            results[str(org_id)] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    wake_dispatcher(deps)
    return results


async def channel_members(deps: Deps, channel_id: str) -> list[str]:
    """Every member's Slack user id in ``channel_id``, following ``conversations.members``' cursor pages
    (1,000 a page, Slack's documented maximum). Raises ``slack_sdk.errors.SlackApiError`` as Slack answers."""
    members: list[str] = []
    cursor = None
    while True:
        page = await deps.slack.conversations_members(channel=channel_id, limit=1000, **({"cursor": cursor} if cursor else {}))
        members.extend(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members
