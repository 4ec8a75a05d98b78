"""KPI targets (SPEC F14; issue 15): `/steward kpi` and `/steward kpi set <kpi> <value>`. The rules live in
bot/services/kpi_targets.py, the words in bot/blocks/kpis.py."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import kpis as render
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import kpi_targets, kpis


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["kpi"] = steward_kpi


async def steward_kpi(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward kpi` shows the targets; `/steward kpi set <kpi> <value>` sets one (admins)."""
    await ack()
    org, user = who(context)
    word, _sep, rest = args.strip().partition(" ")
    async with deps.pool.connection() as conn:
        if not word:
            shown = await kpis.targets(conn, org.id)
            await respond(text=render.targets_text(shown, is_admin=user.is_admin), response_type="ephemeral")
            return
        if word.lower() != "set":
            raise InvalidInput(kpi_targets.USAGE)
        target = await kpi_targets.set_target(conn, org.id, user, rest, deps.now())
    await respond(text=render.target_set_text(target), response_type="ephemeral")
