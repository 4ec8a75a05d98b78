"""`/steward client …`, `/steward project …`, `/steward deploy …` and `/steward deploys` (admins add and archive
clients and projects; everyone can list them and see a client's card; admins and the client's assigned managers set
its members, aliases, notes and deploys)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import clients as render
from bot.deps import Deps
from bot.errors import InvalidInput, NotFound
from bot.listeners import ladders
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import client_card, clients, deploys

CLIENT_USAGE = ("`/steward client list` \u00b7 `/steward client add <name> [#channel] [\u2014 description]` \u00b7 "
                "`/steward client remove <name>` \u00b7 `/steward client <name>` (its card) \u00b7 "
                "`/steward client <name> members @a @b` \u00b7 `/steward client <name> notes` \u00b7 "
                '`/steward client <name> alias "Other Name" SHORT`')
# `/steward client <name> members|notes|alias ...` (issue 16): the verb comes after the client's name.
_CLIENT_VERB = re.compile(r"^(?P<name>.+?)\s+(?P<verb>members|notes|alias|aliases)\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
# `/steward deploy <client> every ...|<YYYY-MM-DD> ...|remove`: the client's name ends where the schedule begins.
_DEPLOY = re.compile(r"^(?P<name>.+?)\s+(?P<when>(?:every|remove|today|tomorrow)\b.*|\d{4}-\d{1,2}-\d{1,2}\b.*)$",
                     re.IGNORECASE | re.DOTALL)
PROJECT_USAGE = ("`/steward project list` \u00b7 `/steward project add <name> [for <client>] [#channel]` \u00b7 "
                 "`/steward project remove <name>` \u00b7 `/steward project <name> overdue <ladder>`")
# `/steward project <name> overdue [<ladder>]` (issue 13): the verb comes after the project's name.
_OVERDUE = re.compile(r"^(?P<name>.+?)\s+overdue\b\s*(?P<ladder>.*)$", re.IGNORECASE | re.DOTALL)


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["client"] = client_command
    subcommands(deps)["clients"] = client_command
    subcommands(deps)["project"] = project_command
    subcommands(deps)["projects"] = project_command
    subcommands(deps)["deploy"] = deploy_command
    subcommands(deps)["deploys"] = deploys_command
    app.view(render.NOTES_VIEW)(partial(on_notes_submit, deps=deps))


def _channel(text: str) -> tuple[str | None, str]:
    """(the first channel mentioned, the rest as plain words): names are stored decoded ("Acme & Co")."""
    written = markup.read(text)
    return (written.channels[0] if written.channels else None), written.without("channel")


async def client_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, client: Any = None,
                         body: dict[str, Any] | None = None, **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    verb = verb.lower() or "list"
    if verb not in ("add", "remove", "list"):
        await _client_of(respond, args.strip(), deps, context, client, body or {})
        return
    async with deps.pool.connection() as conn:
        if verb == "add":
            channel, rest = _channel(rest)
            parts = re.split(r"\s+[\u2014\u2013-]{1,2}\s+", rest, maxsplit=1)  # "Acme Corp — our oldest client"
            name, description = parts[0], parts[1] if len(parts) > 1 else ""
            sharing = clients.client_for_channel(await clients.list_clients(conn, org.id), channel) if channel else None
            resumed = deploys.Resumed([], [])

            async def resume(client_id: int) -> None:  # in the restore's transaction: one change
                nonlocal resumed
                resumed = await deploys.resume_after_restore(conn, org.id, user, client_id, deps.now())

            client, restored = await clients.add_client(conn, org.id, user, name, channel, description.strip() or None,
                                                        on_restore=resume)
            where = f" (channel <#{client.slack_channel_id}>)" if client.slack_channel_id else ""
            shared = (f"\n:warning: <#{channel}> is also {markup.mrkdwn(sharing.name)}'s channel: `/tasks <#{channel}>` lists "
                      f"{markup.mrkdwn(sharing.name)}'s tasks, and memory answers about either client draw on it. A channel "
                      "of its own keeps them apart.") if sharing is not None else ""
            done = (f"Restored client *{markup.mrkdwn(client.name)}*{where} (it was archived): its members, aliases and "
                    f"notes are as they were.{_resumed_words(resumed)}" if restored else
                    f"Added client *{markup.mrkdwn(client.name)}*{where}. Tasks and memory that mention it are now tied to it.")
            await respond(text=done + shared, response_type="ephemeral")
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


def _names_client(known: list[clients.Client], words: str) -> bool:
    """Whether ``words`` name one of ``known`` as :func:`bot.services.clients.find_client` reads a client."""
    try:
        clients.find_client(known, words)
    except NotFound:
        return False
    return True


def _resumed_words(resumed: deploys.Resumed) -> str:
    """A restore's answer about the deploy schedules that stood still while the client was archived (tester16 F10)."""
    said = ""
    if resumed.moved:
        nexts = ", ".join(f"{at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})" for _, at, zone in resumed.moved)
        said += (f" Its {len(resumed.moved)} deploy schedule(s) missed deploys while archived: those get no SOP record "
                 f"and no reminder, and the schedule(s) go on from the next deploy ({nexts}; `/steward deploys`).")
    if resumed.ended:
        said += (f" {len(resumed.ended)} one-off deploy(s) passed while it was archived and ended, with no SOP record.")
    return said


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


async def _client_of(respond: Any, words: str, deps: Deps, context: Any, slack: Any, body: dict[str, Any]) -> None:
    """`/steward client <name>` (the card), `... members @a @b`, `... notes` (a modal), `... alias "A B" C`."""
    org, user = who(context)
    found = _CLIENT_VERB.match(words)
    name = found.group("name") if found else words
    verb = found.group("verb").lower() if found else ""
    rest = found.group("rest").strip() if found else ""
    async with deps.pool.connection() as conn:
        target = await deploys.require_client(conn, org.id, name, actor=user, action="client")
        if verb == "members":
            done = await clients.set_members(conn, org.id, user, target, rest,
                                             bot_ids=[org.bot_user_id] if org.bot_user_id else [])
            await respond(text=members_answer(target, done), response_type="ephemeral")
            return
        if verb in ("alias", "aliases"):
            added = await clients.add_aliases(conn, org.id, user, target, rest)
            said = ", ".join(f"`{markup.escape(a)}`" for a in added)
            await respond(text=(f"*{markup.mrkdwn(target.name)}* is now also known as {said}: tasks and memory that say "
                                "these names are tied to it." if added else
                                f"*{markup.mrkdwn(target.name)}* already had those names; nothing changed."),
                          response_type="ephemeral")
            return
        if verb == "notes":
            await clients.require_manager_of(conn, org.id, user, target, "client.notes", "change its notes")
            notes = await clients.notes_of(conn, org.id, target)
            await slack.views_open(trigger_id=payload.trigger_of(body, what="command"),
                                   view=render.notes_modal(target.id, target.name, notes))
            return
        card = await client_card.build(conn, slack, org.id, user, target, deps.now())
    await respond(text=render.card_text(card), blocks=render.card_blocks(card), response_type="ephemeral")


def members_answer(target: clients.Client, done: clients.MembersSet) -> str:
    """`members @a @b`'s answer: who the members are now, who was removed, who was mentioned twice, and a warning to a
    manager who removed themselves (tester16 F16)."""
    said = (f"*{markup.mrkdwn(target.name)}*'s members are now " + ", ".join(p.mention for p in done.people)
            + ". They get its deploy reminders and checklists.")
    if done.removed:
        said += " No longer members: " + ", ".join(p.mention for p in done.removed) + "."
    if done.repeated:
        said += " (" + ", ".join(p.mention for p in done.repeated) + " mentioned more than once: counted once.)"
    if done.lost_own_say:
        said += (f"\n:warning: You are no longer one of {markup.mrkdwn(target.name)}'s members, so you can't manage it any "
                 "more (its members, notes, aliases, deploys); an admin can add you back.")
    return said


async def on_notes_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    """The notes modal's Save: store the notes (permission checked again) and confirm by DM."""
    await ack()
    org, user = who(context)
    client_id = payload.parse_id(view.get("private_metadata"), what="form", field="private_metadata")
    notes = payload.form_of(view).text("notes")
    async with deps.pool.connection() as conn:
        saved = await clients.set_notes(conn, org.id, user, client_id, notes)
    await client.chat_postMessage(channel=user.slack_id, text=f"Saved the notes for *{markup.mrkdwn(saved.name)}* "
                                                             f"(`/steward client {saved.name}` shows them).")


async def deploy_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward deploy <client> every <weekday> <HH:MM> [checklist <name>]`, `... <YYYY-MM-DD> <HH:MM> [...]`,
    `... remove`."""
    await ack()
    org, user = who(context)
    words = args.strip()
    found = _DEPLOY.match(words)
    async with deps.pool.connection() as conn:
        if found is None:
            # The longest leading words that name a client (as every client command finds one: name, alias, a
            # unique prefix), so the answer blames the words after it (`Acme tomorow 15:00`), not the client.
            known = await clients.list_clients(conn, org.id)
            parts = words.split()
            named = next((n for n in range(len(parts), 0, -1) if _names_client(known, " ".join(parts[:n]))), None)
            if words and named is None:
                await deploys.require_client(conn, org.id, words, actor=user, action="deploy")  # an unknown client first
            rest = " ".join(parts[named:]) if named else ""
            what = f" `{markup.escape(rest[:60])}`" if rest else ""
            raise await clients.refused(conn, org.id, user, "deploy", f"I couldn't read that{what}: after the client's name "
                                        "say when (`every thursday 15:00`, `2026-03-12 15:00`, `tomorrow 15:00`), or "
                                        "`remove`.\n"
                                        f"{deploys.USAGE}", words=words)
        name, when = found.group("name"), found.group("when").strip()
        if when.lower() == "remove":
            client_name, ended = await deploys.remove(conn, org.id, user, name, deps.now())
            await respond(text=(f"Removed {ended} deploy schedule(s) of *{markup.mrkdwn(client_name)}*." if ended else
                                f"*{markup.mrkdwn(client_name)}* had no deploys scheduled; nothing changed."),
                          response_type="ephemeral")
            return
        added = await deploys.add(conn, org.id, user, name, when, deps.now())
    local = added.at.astimezone(deploys.ZoneInfo(added.recurrence.timezone))
    checklist = (f" with checklist *{markup.mrkdwn(added.checklist_name)}*" if added.checklist_name else
                 " (no checklist: reminders only)")
    await respond(text=f"Scheduled *{markup.mrkdwn(added.client_name)}* deploys {added.recurrence.describe()}{checklist}. "
                       f"Next: {local:%a %d %b %Y %H:%M}.{dst_note(added)} {deploys.reminders_said(added.at - deps.now())}",
                  response_type="ephemeral")


def dst_note(added: deploys.Deploy) -> str:
    """What a daylight-saving change does to the next deploy's wall time (tester16 F14): a time in the spring-forward
    gap does not exist that day and the deploy is at the moved time (calendar.at_local reads it with the offset
    before the change, which lands it after the gap); a time in the autumn overlap happens twice and the deploy is
    at the first (fold=0). Empty otherwise. ``added.at`` is UTC; the words are in the schedule's zone."""
    zone = deploys.ZoneInfo(added.recurrence.timezone)
    local = added.at.astimezone(zone)
    wanted = added.recurrence.at
    if local.time() != wanted:
        return (f" ({wanted:%H:%M} doesn't exist on {local:%a %d %b %Y} in {added.recurrence.timezone}: clocks go forward "
                f"then, so that deploy is at {local:%H:%M}.)")
    naive = local.replace(tzinfo=None)
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        return (f" ({wanted:%H:%M} happens twice on {local:%a %d %b %Y} in {added.recurrence.timezone}, as clocks go back: "
                f"the deploy is at the first, {local:%H:%M} {local:%Z} (UTC{local:%z}).)")
    return ""


async def deploys_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward deploys`: the upcoming deploys."""
    await ack()
    org, _user = who(context)
    async with deps.pool.connection() as conn:
        found = await deploys.upcoming(conn, org.id)
    await respond(text=deploys.describe_upcoming(found), response_type="ephemeral")
