"""escalations (SPEC F6; issue 13): the blocker ladder and the overdue ladder, one sweep per organization as of
``now``.

Ticks every minute (`steward jobs run escalations --now T` runs one sweep as if at T). Each organization's open
blockers due by ``now`` climb one rung, and its overdue tasks their project's overdue ladder, in one sweep
(bot/services/escalation_sweep.py: ``sweep``), so a person with rungs of both due gets one DM; what the sweep
decides to send is queued through the one outbound path and sent by the dispatcher. Safe to run from several
processes at once: subjects are claimed with ``FOR UPDATE SKIP LOCKED`` and each rung is recorded once in
``escalation_steps``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.log import get_logger
from bot.services import blockers, escalation_sweep
from jobs.common import for_each_org

log = get_logger(__name__)


async def sweep_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's sweep: links to where blockers were raised (Slack, outside any lock), then both ladders."""
    async with deps.pool.connection() as conn:
        if deps.slack is not None:
            await blockers.fill_permalinks(conn, deps.slack, org_id, now)
        return await escalation_sweep.sweep(conn, org_id, now)


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, sweep_org)
