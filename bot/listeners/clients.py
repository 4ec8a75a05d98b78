"""`/steward client …` and `/steward project …` (admins add and archive; everyone can list)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import ladders
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import clients

CLIENT_USAGE = ("`/steward client list` \u00b7 `/steward client add <name> [#channel] [\u2014 description]` \u00b7 "
                "`/steward client remove <name>`")
PROJECT_USAGE = ("`/steward project list` \u00b7 `/steward project add <name> [for <client>] [#channel]` \u00b7 "
                 "`/steward project remove <name>` \u00b7 `/steward project <name> overdue <ladder>`")
# `/steward project <name> overdue [<ladder>]` (issue 13): the verb comes after the project's name.
_OVERDUE = re.compile(r"^(?P<name>.+?)\s+overdue\b\s*(?P<ladder>.*)$", re.IGNORECASE | re.DOTALL)


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["client"] = client_command
    subcommands(deps)["clients"] = client_command
    subcommands(deps)["project"] = project_command
    subcommands(deps)["projects"] = project_command


def _channel(text: str) -> tuple[str | None, str]:
    """(the first channel mentioned, the rest as plain words): names are stored decoded ("Acme & Co")."""
    written = markup.read(text)
    return (written.channels[0] if written.channels else None), written.without("channel")


async def client_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    verb = verb.lower() or "list"
    async with deps.pool.connection() as conn:
        if verb == "add":
            channel, rest = _channel(rest)
            parts = re.split(r"\s+[\u2014\u2013-]{1,2}\s+", rest, maxsplit=1)  # "Acme Corp — our oldest client"
            name, description = parts[0], parts[1] if len(parts) > 1 else ""
            sharing = clients.client_for_channel(await clients.list_clients(conn, org.id), channel) if channel else None
            client = await clients.add_client(conn, org.id, user, name, channel, description.strip() or None)
            where = f" (channel <#{client.slack_channel_id}>)" if client.slack_channel_id else ""
            shared = (f"\n:warning: <#{channel}> is also {markup.mrkdwn(sharing.name)}'s channel: `/tasks <#{channel}>` lists "
                      f"{markup.mrkdwn(sharing.name)}'s tasks, and memory answers about either client draw on it. A channel "
                      "of its own keeps them apart.") if sharing is not None else ""
            await respond(text=f"Added client *{markup.mrkdwn(client.name)}*{where}. Tasks and memory that mention it are now tied to it."
                               + shared, response_type="ephemeral")
            return
        if verb == "remove":
            client = await clients.remove_client(conn, org.id, user, rest)
            await respond(text=f"Archived client *{markup.mrkdwn(client.name)}*; past tasks keep it.", response_type="ephemeral")
            return
        if verb != "list":
            raise InvalidInput(CLIENT_USAGE)
        items = await clients.list_clients(conn, org.id)
    lines = "\n".join(f"\u2022 *{markup.mrkdwn(c.name)}*" + (f" \u2014 <#{c.slack_channel_id}>" if c.slack_channel_id else "")
                      + f" \u2014 {c.open_tasks} open task(s)" for c in items) or "_No clients yet._"
    await respond(text=f"*Clients*\n{lines}\n{CLIENT_USAGE}", response_type="ephemeral")


async def project_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    verb = verb.lower() or "list"
    overdue = _OVERDUE.match(args.strip())
    if verb not in ("add", "remove", "list") and overdue is not None:
        await ladders.project_overdue(respond, deps, context, overdue.group("name"), overdue.group("ladder"))
        return
    async with deps.pool.connection() as conn:
        if verb == "add":
            channel, rest = _channel(rest)
            name, sep, client_name = rest.partition(" for ")
            project = await clients.add_project(conn, org.id, user, name, client_name.strip() if sep else None, channel)
            for_client = f" for {markup.mrkdwn(project.client_name)}" if project.client_name else ""
            await respond(text=f"Added project *{markup.mrkdwn(project.name)}*{for_client}.", response_type="ephemeral")
            return
        if verb == "remove":
            project = await clients.remove_project(conn, org.id, user, rest, deps.now())
            await respond(text=f"Archived project *{markup.mrkdwn(project.name)}*.", response_type="ephemeral")
            return
        if verb != "list":
            raise InvalidInput(PROJECT_USAGE)
        items = await clients.list_projects(conn, org.id)
    lines = "\n".join(f"\u2022 *{markup.mrkdwn(p.name)}*" + (f" ({markup.mrkdwn(p.client_name)})" if p.client_name else "")
                      + (f" \u2014 <#{p.slack_channel_id}>" if p.slack_channel_id else "") + f" \u2014 {p.open_tasks} open"
                      for p in items) or "_No projects yet._"
    await respond(text=f"*Projects*\n{lines}\n{PROJECT_USAGE}", response_type="ephemeral")
