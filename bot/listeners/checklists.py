"""Checklists and SOPs (SPEC F13; issue 16): `/steward checklist add …`, `/steward checklists`, `/steward sop add …`,
`/steward sops`, `/checklists`, and ticking a checklist's checkboxes. The rules live in bot/services/checklists.py and
bot/services/sops.py; the words in bot/blocks/checklists.py."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import message_edit
from bot import slack_payloads as payload
from bot.blocks import checklists as render
from bot.deps import Deps
from bot.errors import InvalidInput, NotFound
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import calendar, checklists, sops, standup_settings

CHECKLIST_USAGE = checklists.USAGE + " `/steward checklists` lists them; `/checklists` shows yours for today."


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["checklist"] = steward_checklist
    subcommands(deps)["checklists"] = steward_checklists
    subcommands(deps)["sop"] = steward_sop
    subcommands(deps)["sops"] = steward_sops
    app.command("/checklists")(partial(checklists_command, deps=deps))
    app.action("checklist_tick")(partial(on_tick, deps=deps))  # ACTION_TICK, spelled out for the fuzz's listener scan


async def _asker_zone(deps: Deps, org_id: int, tz: str | None) -> str:
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
    return calendar.own_zone(rhythm, calendar.Person(tz))


async def steward_checklist(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward checklist add "<name>" for <who> <schedule> items: <a>; <b>` (admins; managers for their clients)."""
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    if verb.lower() != "add":
        raise InvalidInput(CHECKLIST_USAGE)
    async with deps.pool.connection() as conn:
        added = await checklists.add(conn, org.id, user, rest, deps.now())
        reaches = len(await checklists.recipients(conn, org.id, added))
    await respond(text=render.added_text(added, reaches), response_type="ephemeral")


async def steward_checklists(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward checklists`: every checklist, for whom, when, how many items, its next run (the asker's time)."""
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        found = await checklists.list_checklists(conn, org.id)
        workdays = (await standup_settings.rhythm_of(conn, org.id)).workdays
    tz = await _asker_zone(deps, org.id, user.timezone)
    await respond(text=render.checklists_list(found, deps.now(), tz, workdays), response_type="ephemeral")


async def steward_sop(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward sop add "<name>" checklist "<name>"` (admins)."""
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    if verb.lower() != "add":
        raise InvalidInput(sops.USAGE + " `/steward sops` lists them.")
    async with deps.pool.connection() as conn:
        sop = await sops.add(conn, org.id, user, rest, deps.now())
    await respond(text=render.sop_added_text(sop), response_type="ephemeral")


async def steward_sops(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward sops`: the SOPs, their checklist, steps and trigger."""
    await ack()
    org, _user = who(context)
    async with deps.pool.connection() as conn:
        found = await sops.list_sops(conn, org.id)
    await respond(text=render.sops_list(found), response_type="ephemeral")


async def checklists_command(ack: Any, respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    """`/checklists`: the asker's checklists due today (their clock) with their state and checkboxes to tick."""
    await ack()
    org, user = who(context)
    now = deps.now()
    async with deps.pool.connection() as conn:
        today = await checklists.today_of(conn, org.id, user, now)
    text, blocks = render.today_blocks(today, await _asker_zone(deps, org.id, user.timezone))
    await respond(text=text, blocks=blocks, response_type="ephemeral")


async def on_tick(ack: Any, body: dict[str, Any], client: Any, respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    """A checklist's checkboxes group ticked (in its DM, or in `/checklists`): record it, then show the message as it
    now stands (the DM updated in place; `/checklists` replaced through its response_url)."""
    await ack()
    org, user = who(context)
    action = payload.action(body)
    block_id = str(action.get("block_id") or "")
    selected = [str(o.get("value")) for o in action.get("selected_options") or [] if isinstance(o, dict)]
    container = body.get("container") or {}
    ephemeral = bool(container.get("is_ephemeral"))
    channel, ts = (None, None) if ephemeral else payload.message_of(body)
    now = deps.now()
    message = body.get("message") if isinstance(body.get("message"), dict) else None
    shown = checklists.ticked_in(message.get("blocks") if message else None, block_id)
    async with deps.pool.connection() as conn:
        checklist, completion = await checklists.tick(conn, org.id, user, block_id, selected, now, shown=shown,
                                                      channel_id=channel, ts=ts)
        today = await checklists.today_of(conn, org.id, user, now) if ephemeral else None
        copies = await checklists.messages_showing(conn, org.id, completion)
    if channel is not None and ts is not None and (channel, ts) not in copies:
        copies.append((channel, ts))
    # Every message showing these checkboxes (the checklist DM, the deploy reminders carrying them) now shows the
    # state as recorded, read under each message's lock (two quick ticks on two copies: the last refresh shows
    # both); its other blocks (a reminder's header) kept (tester16b N1).

    async def fresh(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            async with deps.pool.connection() as conn:
                now_done = await checklists.completion_by_id(conn, org.id, completion.id)
        except NotFound:  # withdrawn meanwhile (its deploy removed): the message is left as it is
            return blocks
        return render.refreshed(blocks, checklist, now_done)

    for where, at in copies:
        await message_edit.rewrite(client, where, at, fresh, pool=deps.pool,
                                   seen=message if (where, at) == (channel, ts) else None)
    if today is not None:
        text, blocks = render.today_blocks(today, await _asker_zone(deps, org.id, user.timezone))
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
