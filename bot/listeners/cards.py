"""Cards and ramp-up (SPEC F7; issue 14): `/cards`, `/steward cards`, `/steward rampup`, a card's buttons (Acknowledge,
Appeal, Revoke, Uphold) and its modals (the appeal's reason, a decision's reason, the rules form). The rules live in
bot/services/cards.py, bot/services/card_rules.py and bot/services/rampup.py; the words in bot/blocks/cards.py."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_payloads as payload
from bot.blocks import cards as render
from bot.blocks.views import view_values
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.help import subcommands
from bot.listeners.pressed import mark_later, mark_pressed
from bot.listeners.workspace import who
from bot.services import card_rules, cards, rampup, standup_settings
from jobs.common import wake_dispatcher

_ACT = re.compile(r"^(revoke|appeal)\s+c-?(\d{1,18})\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
USAGE = ("`/cards` lists the cards you can see (`/cards all`: older revoked and expired ones too); `/cards appeal "
         "C-12 <why>` appeals one of yours (once, while it counts){revoke}.")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/cards")(partial(cards_command, deps=deps))
    subcommands(deps)["cards"] = steward_cards
    subcommands(deps)["rampup"] = steward_rampup
    app.action("card_ack")(partial(on_acknowledge, deps=deps))
    app.action("card_appeal")(partial(on_appeal_open, deps=deps))
    for action_id in ("card_revoke", "card_uphold"):
        app.action(action_id)(partial(on_decide_open, deps=deps))
    app.view(render.APPEAL_VIEW)(partial(on_appeal_submit, deps=deps))
    app.view(render.DECIDE_VIEW)(partial(on_decide_submit, deps=deps))
    app.view(render.RULES_VIEW)(partial(on_rules_submit, deps=deps))
    hooks = deps.extras.setdefault("ack_hooks", {})
    hooks[render.APPEAL_VIEW] = validate_reason
    hooks[render.DECIDE_VIEW] = validate_reason
    hooks[render.RULES_VIEW] = validate_rules


# ---------------------------------------------------------------- commands

async def cards_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    """`/cards` lists the cards the asker may see; `/cards appeal C-12 <why>` appeals one of theirs; `/cards revoke
    C-12 <reason>` revokes one (managers, admins)."""
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    now = deps.now()
    if text and text.lower() != "all":
        found = _ACT.match(text)
        if found is None:
            async with deps.pool.connection() as conn:
                manages = user.is_admin or await cards.manages_anyone(conn, org.id, user)
            raise InvalidInput(USAGE.format(revoke="; `/cards revoke C-12 <reason>` revokes a card of someone who "
                                                   "reports to you" if manages else ""))
        verb, card_id, reason = found[1].lower(), int(found[2]), found[3]
        if not reason.strip():
            what = "why it's wrong" if verb == "appeal" else "why you revoke it"
            raise InvalidInput(f"Say {what}: `/cards {verb} C-{card_id} <reason>`. "
                               + ("Whoever decides reads it." if verb == "appeal" else "They'll read it."))
        async with deps.pool.connection() as conn:
            if verb == "appeal":
                card, to = await cards.appeal(conn, org.id, user, card_id, reason, now)
            else:
                card = await cards.decide(conn, org.id, user, card_id, "revoke", reason, now)
        wake_dispatcher(deps)
        if verb == "appeal":
            await respond(text=render.appealed_line(card, to), response_type="ephemeral")
            return
        await respond(text=f":white_check_mark: Card `{card.ref}` revoked: it no longer counts"
                           + (", and they've been told." if not card.shadow else "."), response_type="ephemeral")
        return
    async with deps.pool.connection() as conn:
        shown, older = await cards.visible(conn, org.id, user, now, everything=text.lower() == "all")
        manages = await cards.manages_anyone(conn, org.id, user)
    text_out, blocks = render.cards_list(shown, user, older=older, manages=manages, everything=text.lower() == "all")
    await respond(text=text_out, blocks=blocks, response_type="ephemeral")


async def steward_cards(ack: Any, respond: Any, args: str, deps: Deps, context: Any, client: Any, body: dict[str, Any],
                        **_: Any) -> None:
    """`/steward cards` shows the rules; admins change them in words, or `/steward cards edit` opens the form."""
    await ack()
    org, user = who(context)
    now = deps.now()
    words = args.strip()
    changed = ""
    async with deps.pool.connection() as conn:
        if words.lower() == "edit":
            await cards.require_rules_admin(conn, org.id, user, "edit")
            settings = await cards.settings_of(conn, org.id)
            await client.views_open(trigger_id=payload.trigger_of(body, what="command"),
                                    view=render.rules_modal(settings.rules, settings.mode))
            return
        if words.lower() == "mode":  # anyone may ask which mode cards are in
            settings = await cards.settings_of(conn, org.id)
            rhythm = await standup_settings.rhythm_of(conn, org.id)
            await respond(text=render.mode_text(cards.effective_mode(settings, rhythm, now), settings.mode,
                                                cards.shadow_until(settings.started_at, rhythm), user),
                          response_type="ephemeral")
            return
        if words:
            await cards.require_rules_admin(conn, org.id, user, words)
            what, value = cards.parse_setting(words)
            already = cards.unchanged(await cards.settings_of(conn, org.id), what, value)
            if not already:
                await cards.change(conn, org.id, user, {what: value})
            changed = render.changed_text({what: value}, already=already) + "\n\n"
        settings = await cards.settings_of(conn, org.id)
        rhythm = await standup_settings.rhythm_of(conn, org.id)
    mode = cards.effective_mode(settings, rhythm, now)
    text = render.rules_text(settings.rules, mode, settings.mode, cards.shadow_until(settings.started_at, rhythm), user)
    await respond(text=changed + text, response_type="ephemeral")


async def steward_rampup(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    """`/steward rampup` lists who is in ramp-up; `/steward rampup @person <N weeks|until date> [targets N%] [buddy @x]`
    sets it (admins and the person's managers); `/steward rampup @person off` ends it."""
    await ack()
    org, user = who(context)
    now = deps.now()
    async with deps.pool.connection() as conn:
        if not args.strip():
            found = await rampup.current(conn, org.id, now)
            await respond(text=render.rampup_list(found), response_type="ephemeral")
            return
        result = await rampup.apply(conn, org.id, user, args, now, bot_ids={org.bot_user_id} if org.bot_user_id else ())
    wake_dispatcher(deps)
    await respond(text=render.rampup_done(result), response_type="ephemeral")


# ---------------------------------------------------------------- buttons

async def on_acknowledge(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        card = await cards.acknowledge(conn, org.id, user, payload.action_id_value(body), deps.now())
    await mark_pressed(client, body, f":ok_hand: Acknowledged `{card.ref}`. It expires on its own; if you change your "
                              f"mind, `/cards appeal {card.ref} <why>` appeals it.", pool=deps.pool)


async def on_appeal_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        card = await cards.get(conn, org.id, payload.action_id_value(body))
    cards.check_appealable(card, user)
    async with deps.pool.connection() as conn:
        deciders = await cards.deciders_of(conn, org.id, user)
    if deciders == "none":
        raise InvalidInput(cards.NOBODY_TO_DECIDE)
    await client.views_open(trigger_id=payload.trigger_of(body), view=render.appeal_modal(card, _place(body), deciders))


async def on_decide_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    decision = "uphold" if payload.action(body).get("action_id") == "card_uphold" else "revoke"
    async with deps.pool.connection() as conn:
        card = await cards.get(conn, org.id, payload.action_id_value(body))
        await cards.check_decider(conn, org.id, user, card, decision)
    if decision == "uphold" and card.status != "appealed":
        raise InvalidInput(f"Card `{card.ref}` has no appeal waiting (it is {card.status}), so there is nothing to uphold.")
    await client.views_open(trigger_id=payload.trigger_of(body), view=render.decide_modal(card, decision, _place(body)))


def _place(body: dict[str, Any]) -> dict[str, Any]:
    """Where a pressed button was (its message and actions block), for the modal it opens to mark it later."""
    container = body.get("container") or {}
    return {"channel": container.get("channel_id"), "ts": container.get("message_ts"),
            "block": ((body.get("actions") or [{}])[0]).get("block_id")}


async def _mark_done(client: Any, user: Any, meta: dict[str, Any], line: str, deps: Deps) -> None:
    """The pressed button's message shows what was done (mark_later); with no message to mark (a modal opened from
    elsewhere), the line comes to the actor by DM, so every path confirms."""
    if meta.get("channel") and meta.get("ts"):
        await mark_later(client, meta.get("channel"), meta.get("ts"), meta.get("block"), line, pool=deps.pool)
    else:
        await client.chat_postMessage(channel=user.slack_id, text=line)


# ---------------------------------------------------------------- forms

def validate_reason(body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time: a reason is given (an appeal, an uphold, a revoke)."""
    if not view_values(body.get("view") or {}).text("reason").strip():
        return {"response_action": "errors", "errors": {"reason": "Say why: a reason is required."}}
    return None


def _rules_changes(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The rules form's values as changes for :func:`bot.services.cards.change`, and errors per field."""
    form = view_values(body.get("view") or {})
    on = set(form.choices("on"))
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for word, (low, high) in card_rules.THRESHOLD_BOUNDS.items():
        raw = form.text(word).strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            if word in on:  # a rule switched off keeps its threshold: nothing to check
                errors[word] = f"A whole number from {low} to {high}."
            continue
        changes[word] = int(raw)
    low, high = card_rules.EXPIRY_BOUNDS
    raw = form.text("expiry").strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors["expiry"] = f"A whole number of days from {low} to {high}."
    else:
        changes["expiry"] = int(raw)
    mode = form.choice("mode")
    if mode not in cards.MODES:
        errors["mode"] = "Pick a mode."
    else:
        changes["mode"] = mode
    return {"on": sorted(on & set(card_rules.THRESHOLD_BOUNDS)), **changes}, errors


def validate_rules(body: dict[str, Any]) -> dict[str, Any] | None:
    _changes, errors = _rules_changes(body)
    return {"response_action": "errors", "errors": errors} if errors else None


async def on_appeal_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    reason = view_values(view).text("reason")
    if not reason.strip():
        return  # the ack showed the error
    meta = payload.json_metadata(view)
    card_id = payload.parse_id(str(meta.get("card")), what="form", field="private_metadata")
    async with deps.pool.connection() as conn:
        card, to = await cards.appeal(conn, org.id, user, card_id, reason, deps.now())
    wake_dispatcher(deps)
    await _mark_done(client, user, meta, render.appealed_line(card, to), deps)


async def on_decide_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    reason = view_values(view).text("reason")
    if not reason.strip():
        return  # the ack showed the error
    meta = payload.json_metadata(view)
    decision = meta.get("decision")
    if decision not in ("uphold", "revoke"):
        raise InvalidInput("That form didn't carry what I put on it, so I did nothing.")
    async with deps.pool.connection() as conn:
        card = await cards.decide(conn, org.id, user, payload.parse_id(str(meta.get("card")), what="form",
                                                                       field="private_metadata"),
                                  decision, reason, deps.now())
    wake_dispatcher(deps)
    await _mark_done(client, user, meta, render.decided_line(card), deps)


async def on_rules_submit(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    """The rules form saved: the rules changed, and the admin told by DM (a form has no reply of its own), with the
    rules as they now stand."""
    await ack()
    org, user = who(context)
    changes, errors = _rules_changes(body)
    if errors:
        return  # the ack showed them
    on = set(changes.pop("on"))
    for word in card_rules.THRESHOLD_BOUNDS:
        changes[word] = {"on": word in on, "threshold": changes[word]} if word in changes else False
    now = deps.now()
    async with deps.pool.connection() as conn:
        settings = await cards.change(conn, org.id, user, changes)
        rhythm = await standup_settings.rhythm_of(conn, org.id)
    text = render.rules_text(settings.rules, cards.effective_mode(settings, rhythm, now), settings.mode,
                             cards.shadow_until(settings.started_at, rhythm), user)
    await client.chat_postMessage(channel=user.slack_id, text=":white_check_mark: Card rules saved.\n\n" + text)
