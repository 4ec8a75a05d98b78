"""`/steward ladder` (show the organization's ladders; admins set one) (SPEC F6, issue 13)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import ladders as render
from bot.deps import Deps
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import ladders


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["ladder"] = ladder_command
    subcommands(deps)["ladders"] = ladder_command


async def ladder_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    kind, _sep, words = args.strip().partition(" ")
    async with deps.pool.connection() as conn:
        if kind and words.strip():
            done = await ladders.set_ladder(conn, org.id, user, kind, words)
            await respond(text=render.ladder_set_text(done), response_type="ephemeral")
            return
        if kind:
            ladders.kind_of(kind)  # `/steward ladder blocker` shows them; `/steward ladder blockr` says what is known
        shown = await ladders.ladders_of(conn, org.id)
        projects = await ladders.project_ladders(conn, org.id)
    await respond(text=render.ladders_text(shown, projects), response_type="ephemeral")


async def project_overdue(respond: Any, deps: Deps, context: Any, name: str, words: str) -> None:
    """`/steward project <name> overdue [<ladder>|default]`: show or set a project's overdue ladder."""
    org, user = who(context)
    async with deps.pool.connection() as conn:
        if words.strip():
            project, changed = await ladders.set_project_ladder(conn, org.id, user, name, words)
            await respond(text=render.project_ladder_text(project, said="now follows" if changed else "already follows"),
                          response_type="ephemeral")
            return
        project = await ladders.project_ladder(conn, org.id, name)
    await respond(text=render.project_ladder_text(project, said="follows"), response_type="ephemeral")
