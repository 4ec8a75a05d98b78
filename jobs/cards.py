"""cards (SPEC F7; issue 14): after each day's close, the card rules look at the days that have closed and issue at
most one card per breach; cards whose time is up expire. Runs every 15 minutes (jobs/schedule.py), so a day is
looked at soon after the midnight that closes it (on each person's clock), and by hand as of any instant with
`steward jobs run cards --now T`. Idempotent: every card has its breach's dedupe key, every message its card's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import cards
from jobs.common import for_each_org


async def run_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """One organization's run at ``now`` (aware): see :func:`bot.services.cards.issue_for_org`."""
    async with deps.pool.connection() as conn:
        return await cards.issue_for_org(conn, org_id, now)


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, run_for_org)
