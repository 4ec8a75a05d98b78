"""reinforcement (SPEC F7; issue 14, "daily, after `cards`"): automatic recognition. Streaks (5, 10, 20 workdays in
a row with an update, counting only days the person was asked) and milestones (the 10th, 50th, 100th task done; a week
with nothing carried over; a blocker resolved for someone else), each told once, by a short DM
(bot/services/reinforcement.py). A streak is reached on a day only once that day has closed (the midnight ending it).

When: not once a day at a fixed hour, but every 15 minutes, five minutes after each `cards` tick (jobs/schedule.py,
CARDS_LEAD), so a day's recognition is queued after the `cards` run that follows that day's close. It reads updates,
tasks and blockers, not cards, so run by hand (`steward jobs run reinforcement --now T`) it stands alone. Each
recognition has its dedupe key (a streak: person, length and the day it was reached): a re-run, or the ticks of the
rest of the day, send nothing twice."""

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
