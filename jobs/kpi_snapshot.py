"""kpi-snapshot (SPEC F14; issue 15): weekly KPI snapshots, one row per organization (the team) and per person per
week, taken from Monday 05:00 on each organization's clock for the week before (before the weekly-report), missing
weeks of the last 12 filled in. Runs every 15 minutes (jobs/schedule.py) and decides per organization what is due;
`steward jobs run kpi-snapshot --now T` back-fills the weeks before T. Idempotent per week: see
bot/services/kpi_snapshots.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import kpi_snapshots
from jobs.common import for_each_org


async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's run at ``now`` (aware): :func:`bot.services.kpi_snapshots.take_due`."""
    async with deps.pool.connection() as conn:
        return await kpi_snapshots.take_due(conn, org_id, now)


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, run_for_org)
