"""deploy-reminders (SPEC F12, F13; issue 16): 24 hours and 1 hour before each client's deploy, its assigned members get
the deploy's checklist by DM (working hours permitting); at the deploy's time one SOP record states whether the
checklist was done, and the managers hear once about a deploy that went ahead without it; a deploy on a holiday or
with everyone out is warned of a day ahead. Runs every minute (jobs/schedule.py), and by hand as of any instant with
`steward jobs run deploy-reminders --now T`. Idempotent: every message has its deploy's dedupe key, every record its
deploy's unique key. The rules: bot/services/deploys.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import deploys
from jobs.common import for_each_org


async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's run at ``now`` (aware): see :func:`bot.services.deploys.run_for_org`."""
    async with deps.pool.connection() as conn:
        return await deploys.run_for_org(conn, org_id, now)


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, run_for_org)
