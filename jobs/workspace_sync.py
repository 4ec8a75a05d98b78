"""Daily workspace sync (SPEC F1): Slack's people into users, deactivations included."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from bot.deps import Deps
from bot.services import workspace


async def run(deps: Deps, now: datetime) -> dict[str, dict[str, int]]:
    """Sync every organization this run may work on, each with its own workspace's token:
    {str(organization id): what its sync did}."""
    if deps.tenants is None:
        raise RuntimeError("workspace-sync needs a Slack connection (run it inside the bot, or set the Slack tokens)")
    await deps.tenants.ensure_loaded()
    results: dict[str, dict[str, int]] = {}
    for org_id in await deps.in_scope(sorted(deps.tenants.organization_ids)):
        async with deps.pool.connection() as conn:
            result = await workspace.sync_workspace(conn, deps.slack_for(org_id), admins=deps.settings.admins, now=now)
        results[str(org_id)] = asdict(result)
    return results
