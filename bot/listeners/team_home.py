"""App Home's team view (issue 13): a manager's "Your team today" and everyone's "Blocked and overdue", and the
blocker buttons they carry (the overdue and flag buttons are bot/listeners/overdue.py's and flags.py's). What is
shown is gathered by bot/services/team_today.py and drawn by bot/blocks/team_home.py; a button redraws the Home."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import team_home as render
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import home
from bot.listeners.workspace import who
from bot.services import blockers, team_today
from db.rows import User
from jobs.common import wake_dispatcher

TEAM_TITLE = "Your team today"
MINE_TITLE = "Blocked and overdue"


def register(app: AsyncApp, deps: Deps) -> None:
    # First in the Home: what needs someone today comes before the lists.
    home.sections(deps).insert(0, (MINE_TITLE, mine_section))
    home.sections(deps).insert(0, (TEAM_TITLE, team_section))
    for action_id in ("home_blocker_resolve", "home_blocker_still", "home_blocker_mine"):
        app.action(action_id)(partial(on_blocker_button, deps=deps))


async def team_section(deps: Deps, org: Any, user: User) -> list[dict[str, Any]] | None:
    now = deps.now()
    async with deps.pool.connection() as conn:
        team = await team_today.team_today(conn, org.id, user, now)
    return render.team_section(team, user, now) if team is not None else None


async def mine_section(deps: Deps, org: Any, user: User) -> list[dict[str, Any]] | None:
    now = deps.now()
    async with deps.pool.connection() as conn:
        mine = await team_today.my_items(conn, org.id, user, now)
    return render.mine_section(mine, user, now)


async def on_blocker_button(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    action = ((body.get("actions") or [{}])[0])
    value = str(action.get("value") or "")
    if not value.isdigit():
        raise InvalidInput("That blocker button is broken; `/blockers` lists the open ones.")
    now = deps.now()
    async with deps.pool.connection() as conn:
        if action.get("action_id") == "home_blocker_resolve":
            await blockers.resolve_one(conn, org.id, user, int(value), now, via="button")
        elif action.get("action_id") == "home_blocker_still":
            await blockers.still_blocked(conn, org.id, user, int(value), now)
        else:
            await blockers.take_on(conn, org.id, user, int(value), now)
    wake_dispatcher(deps)
    await home.publish_home(client, deps, org, user)
