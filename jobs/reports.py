"""daily-report, weekly-report, monthly-report (SPEC F14; issue 15): each organization's scheduled reports, when
due (bot/services/report_periods.py: a day's report an hour after its close; the week's on the organization's
report day and time, default Monday at its morning time, covering the previous week; the month's on the first
workday of the next month). Each tick decides per organization; a report is stored once per period and scope, so a
re-run sends nothing twice (bot/services/reports.py). By hand as of any instant:
`steward jobs run weekly-report --now T`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import reports
from bot.services.report_periods import Kind
from jobs.common import for_each_org


def _runner(kind: Kind) -> Any:
    async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
        """One organization's ``kind`` reports at ``now`` (aware): see :func:`bot.services.reports.send_scheduled`."""
        async with deps.pool.connection() as conn:
            result = await reports.send_scheduled(conn, org_id, kind, now, ai=deps.ai)
        result.pop("period", None)
        return result

    async def run(deps: Deps, now: datetime) -> dict[str, Any]:
        return await for_each_org(deps, now, run_for_org)

    run.__name__ = f"run_{kind}"
    return run


run_daily = _runner("daily")
run_weekly = _runner("weekly")
run_monthly = _runner("monthly")
