"""Daily workspace sync (SPEC F1): Slack's people into users, deactivations included."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from bot.deps import Deps
from bot.services import workspace


async def run(deps: Deps, now: datetime) -> dict[str, int]:
    if deps.slack is None:
        raise RuntimeError("workspace-sync needs a Slack connection (run it inside the bot, or set the Slack tokens)")
    async with deps.pool.connection() as conn:
        result = await workspace.sync_workspace(conn, deps.slack, admins=deps.settings.admins, now=now)
    return asdict(result)
