"""Blockers (SPEC F6; issue 13): `/blocker`, `/blockers`, and the buttons of the ladder's DMs. The rules live in
bot/services/blockers.py; the words in bot/blocks/blockers.py."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_limits as L
from bot import slack_payloads as payload
from bot.blocks import blockers as render
from bot.blocks.kit import plain
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.pressed import mark_later, mark_pressed
from bot.listeners.workspace import submitter, who
from bot.parsing.ladders import describe
from bot.services import blockers, escalations, ladders, standup_settings
from bot.services.workspace import user_by_slack_id

BUTTONS = ("blocker_resolve", "blocker_still", "blocker_help", "blocker_mine")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/blocker")(partial(blocker_command, deps=deps))
    app.command("/blockers")(partial(blockers_command, deps=deps))
    for action_id in BUTTONS:
        app.action(action_id)(partial(on_button, deps=deps))
    app.action("blocker_reassign")(partial(on_reassign_open, deps=deps))
    app.view("blocker_reassign")(partial(on_reassign_submit, deps=deps))
    deps.extras.setdefault("ack_hooks", {})["blocker_reassign"] = partial(check_reassign, deps)


async def blocker_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    text = command.get("text") or ""
    verb, words = blockers.split_command(text)
    now = deps.now()
    async with deps.pool.connection() as conn:
        if verb == "resolve":
            done = await blockers.resolve_words(conn, org.id, user, words, now)
            told = f" I've told the {done.told} people who knew about it." if done.told > 1 else (
                " I've told the person who knew about it." if done.told == 1 else "")
            names = ", ".join(f"`{b.ref}`" for b in done.blockers)
            await respond(text=f":white_check_mark: Resolved the blocker on {names}.{told}", response_type="ephemeral")
            return
        if not words.strip():
            raise InvalidInput("Say what blocks you: " + blockers.USAGE)
        opened = await blockers.open_blocker(conn, org.id, user, text, now, channel_id=command.get("channel_id"))
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        ladder = (await ladders.ladders_of(conn, org.id)).blocker
    await respond(text=render.opened_text(opened, rhythm, user, describe(ladder)), response_type="ephemeral")


async def blockers_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    if (command.get("text") or "").strip():
        raise InvalidInput("`/blockers` takes no words: it lists the open blockers you can see (yours, your team's, "
                           "everyone's for admins).")
    now = deps.now()
    async with deps.pool.connection() as conn:
        found = await blockers.visible(conn, org.id, user)
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        ladder = (await ladders.ladders_of(conn, org.id)).blocker
        people = await escalations.load_people(conn, org.id, rhythm, {b.user_id for b in found} | {
            b.owner_id for b in found if b.owner_id is not None} | {user.id}, now)
    text, blocks = render.blockers_list(found, people, user, len(ladder), now)
    await respond(text=text, blocks=blocks, response_type="ephemeral")


def _blocker_id(body: dict[str, Any]) -> int:
    return payload.action_id_value(body)


async def on_button(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    action = payload.action(body)["action_id"]
    blocker_id = _blocker_id(body)
    now = deps.now()
    async with deps.pool.connection() as conn:
        if action == "blocker_resolve":
            done = await blockers.resolve_one(conn, org.id, user, blocker_id, now, via="button")
            line = ":white_check_mark: Resolved by you." + (" Everyone who was told hears it." if done and done[1] else "")
        elif action == "blocker_still":
            updated = await blockers.still_blocked(conn, org.id, user, blocker_id, now)
            line = render.still_line(updated, user)
        elif action == "blocker_help":
            await blockers.need_help(conn, org.id, user, blocker_id, now)
            line = ":sos: Asked for help: it goes to the next step now."
        else:
            updated = await blockers.take_on(conn, org.id, user, blocker_id, now)
            line = render.taken_line(updated, user)
    await mark_pressed(client, body, line, pool=deps.pool)


async def on_reassign_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    blocker_id = _blocker_id(body)
    trigger = payload.trigger_of(body)
    async with deps.pool.connection() as conn:
        blocker = await blockers.open_one(conn, org.id, blocker_id, user)
        await blockers.require_may_act(conn, org.id, user, blocker, "reassign")
    container = body.get("container") or {}
    metadata = json.dumps({"blocker": blocker_id, "channel": container.get("channel_id"), "ts": container.get("message_ts"),
                           "block": ((body.get("actions") or [{}])[0]).get("block_id")})
    await client.views_open(trigger_id=trigger, view={
        "type": "modal", "callback_id": "blocker_reassign", "private_metadata": metadata,
        "title": plain("Reassign blocker", L.VIEW_TITLE), "submit": plain("Reassign", L.VIEW_SUBMIT),
        "close": plain("Cancel", L.VIEW_CLOSE),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": L.fit_text(
                        f"Who should own the blocker on `{blocker.ref}`: {render.quote(blocker.description)}?", L.SECTION_TEXT)}},
                   {"type": "input", "block_id": "owner", "label": plain("New owner", L.INPUT_LABEL),
                    "element": {"type": "users_select", "action_id": "owner"}}]})


UNKNOWN_OWNER = "I don't know that person (a bot, a guest, or someone who just joined): pick someone else."


async def check_reassign(deps: Deps, body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time (bot/inbox.py): a new owner Steward knows and who is still in the workspace, else the error
    under the field and the form stays open."""
    slack_id = payload.form_of(body.get("view") or {}).choice("owner")
    async with deps.pool.connection() as conn:
        org, _user = await submitter(conn, body)
        if org is None:
            return None
        owner = await user_by_slack_id(conn, org.id, slack_id) if slack_id else None
    if owner is None or not owner.active:
        return {"response_action": "errors", "errors": {"owner": UNKNOWN_OWNER if owner is None else
                                                        f"{owner.display_name} has left the workspace: pick someone else."}}
    return None


async def on_reassign_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    meta = payload.json_metadata(view)
    blocker_id = payload.parse_id(str(meta.get("blocker")), what="form", field="private_metadata")
    channel, ts, block = (payload.text_or_none(meta.get(k), field=k) for k in ("channel", "ts", "block"))
    slack_id = payload.form_of(view).choice("owner")
    async with deps.pool.connection() as conn:
        owner = await user_by_slack_id(conn, org.id, slack_id) if slack_id else None
        if owner is None:
            await client.chat_postMessage(channel=user.slack_id, text="I don't know that person, so the blocker wasn't reassigned.")
            return
        updated = await blockers.take_on(conn, org.id, user, blocker_id, deps.now(), owner=owner)
    line = f":arrow_right: Reassigned to {owner.mention}" + (
        f"; the ladder holds until {render.short(updated.held_until, user.timezone)}." if updated.held_until else ".")
    await mark_later(client, channel, ts, block, line, pool=deps.pool)
