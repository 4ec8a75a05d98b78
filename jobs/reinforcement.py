"""reinforcement (SPEC F7; issue 14): automatic recognition, after `cards`. Each day, once its close has passed and
the `cards` run after it, streaks (5, 10, 20 workdays in a row with an update, counting only days the person was
asked) and milestones (the 10th, 50th, 100th task done; a week with nothing carried over; a blocker resolved for
someone else) are each told once, by a short DM (bot/services/reinforcement.py). It ticks five minutes after each
`cards` tick (jobs/schedule.py), so a day's recognition follows that day's cards; by hand as of any instant with
`steward jobs run reinforcement --now T`. Idempotent: every recognition has its dedupe key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import reinforcement
from jobs.common import for_each_org


async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's run at ``now`` (aware): see :func:`bot.services.reinforcement.recognise_for_org`."""
    async with deps.pool.connection() as conn:
        return dict(await reinforcement.recognise_for_org(conn, org_id, now))


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, run_for_org)
