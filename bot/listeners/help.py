"""`/steward help`, DM "help", and the `/steward` sub-command router."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import help as render
from bot.deps import Deps

SubcommandHandler = Callable[..., Awaitable[None]]


def subcommands(deps: Deps) -> dict[str, SubcommandHandler]:
    """`/steward <word> ...` handlers, filled by features at registration."""
    return deps.extras.setdefault("steward_subcommands", {})


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["help"] = steward_help
    app.command("/steward")(partial(steward_command, deps=deps))
    app.message(re.compile(r"^\s*(help|\?|what can you do\??)\s*$", re.IGNORECASE))(partial(dm_help, deps=deps))


def register_last(app: AsyncApp, deps: Deps) -> None:
    # A slash command no feature handles (an old manifest, a typo'd app config) still gets an answer.
    app.command(re.compile(r"^/.*"))(partial(unknown_command, deps=deps))


async def unknown_command(ack: Any, command: dict[str, Any], respond: Any, deps: Deps) -> None:
    await ack()
    name = (command.get("command") or "/?")[:40]
    await respond(text=f"`{name}` isn't something I can do yet. Type `/steward help` to see what I can do.",
                  response_type="ephemeral")


async def steward_help(ack: Any, respond: Any, **_: Any) -> None:
    await ack()
    await respond(text=render.HELP_TEXT, blocks=render.help_blocks(), response_type="ephemeral")


async def steward_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, client: Any, body: dict[str, Any],
                          deps: Deps) -> None:
    # Bolt injects only the arguments a listener names; sub-commands get them passed on.
    kwargs = {"context": context, "client": client, "body": body}
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    word = word.lower() or "help"
    handler = subcommands(deps).get(word)
    if handler is None:
        await ack()
        await respond(text=render.unknown_subcommand(word, sorted(subcommands(deps))), response_type="ephemeral")
        return
    await handler(ack=ack, respond=respond, command=command, args=rest.strip(), deps=deps, **kwargs)


async def dm_help(message: dict[str, Any], say: Any, deps: Deps, **_: Any) -> None:
    if message.get("channel_type") != "im":
        return
    await say(text=render.HELP_TEXT, blocks=render.help_blocks())
