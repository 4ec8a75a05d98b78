"""checklists (SPEC F13; issue 16): each role checklist goes to each of its people at its time on their own clock, on
their workdays, never on leave; a checklist not finished by the end of the person's day is recorded as incomplete.
Runs every minute (jobs/schedule.py); a missed minute is caught up by the next run (anything due and not yet sent
that day goes), and `steward jobs run checklists --now T` behaves as if the clock read T. Idempotent: one
``checklist_completions`` row per checklist, person and date, one DM per row (its dedupe key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import checklists
from jobs.common import for_each_org


async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's run at ``now`` (aware): see :func:`bot.services.checklists.run_for_org`."""
    async with deps.pool.connection() as conn:
        return await checklists.run_for_org(conn, org_id, now)


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, run_for_org)
