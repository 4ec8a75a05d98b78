"""Cards in Slack (pure): a card's DM (the person's copy with Acknowledge / Appeal, the manager's with Revoke, an
admin's shadow copy), the appeal and decision modals, the appeal sent to the manager (Uphold / Revoke), `/cards`,
`/steward cards` and `/steward rampup`. Every message stays inside Slack's limits (:mod:`bot.slack_limits`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.blockers import day, quote
from bot.blocks.kit import context, pack_sections, plain, section
from bot.services import card_rules as rules
from bot.services.card_rules import CardRules
from bot.services.cards import Card
from db.rows import User

APPEAL_VIEW = "card_appeal"
DECIDE_VIEW = "card_decide"
RULES_VIEW = "card_rules"
COLOR_EMOJI = {"yellow": ":large_yellow_square:", "red": ":large_red_square:"}
STATUS_WORDS = {"active": "active", "acknowledged": "acknowledged", "appealed": "appealed (waiting for a decision)",
                "upheld": "upheld after appeal", "revoked": "revoked", "expired": "expired"}
# What clears each rule's card, beyond expiry and revocation, and how to keep another away.
CLEARS = {
    rules.RULE_MISSED: "Reply in the morning thread on the days you're asked (a DM update counts too). Days off, "
                       "holidays and days I didn't ask never count.",
    rules.RULE_CARRY: "Finish the task, drop it with a reason, or raise a blocker on it (`/blocker T-n …`) if something "
                      "is in the way: a blocked task is waiting, not neglected.",
    rules.RULE_OVERDUE: "Give the task a new date, finish or drop it, or say where it stands in your next update.",
    rules.RULE_RED: "Each yellow card expires on its own date; a revoked one stops counting at once.",
}
RULE_NAMES = {rules.RULE_MISSED: "Missed morning updates", rules.RULE_CARRY: "A task carried forward again and again",
              rules.RULE_OVERDUE: "An overdue task not mentioned in updates", rules.RULE_RED: "Yellow cards adding up"}
MAX_EVIDENCE_DAYS = 12


def _d(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d:%a} {d.day} {d:%b}"


def evidence_lines(card: Card) -> list[str]:
    """The evidence as lines: each day with a link to that day's thread, the task, the cards a red counts."""
    ev = card.evidence or {}
    out: list[str] = []
    if ev.get("task"):
        title = f" ({quote(str(ev.get('title') or ''), 120)})" if ev.get("title") else ""
        out.append(f"Task: `{markup.escape(str(ev['task']))}`{title}")
    if ev.get("due_date"):
        out.append(f"Due: {_d(str(ev['due_date']))}")
    days, links = list(ev.get("days") or []), list(ev.get("links") or [])
    for i, iso in enumerate(days[:MAX_EVIDENCE_DAYS]):
        link = links[i] if i < len(links) else None
        label = f"{_d(str(iso))}: the morning thread"
        out.append(f"<{link}|{label}>" if isinstance(link, str) and link.startswith("https://") else label)
    if ev.get("refs"):
        out.append("Yellow cards: " + ", ".join(f"`{markup.escape(str(r))}`" for r in ev["refs"]))
    return out


def _buttons(card: Card, copy: str, *, appeal: bool = True) -> dict[str, Any] | None:
    if copy == "person":
        specs = [("Acknowledge", "card_ack", "primary")] + ([("Appeal", "card_appeal", None)] if appeal else [])
    elif copy == "manager":
        specs = [("Revoke", "card_revoke", "danger")]
    else:
        return None
    elements = []
    for text, action_id, style in specs:
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text, L.BUTTON_TEXT),
                                  "value": str(card.id)}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": card_block_id(card.id), "elements": elements}


def card(card: Card, person: User, recipient: User, copy: str, deciders: str = "manager") -> tuple[str, list[dict[str, Any]]]:
    """A card's DM. ``copy``: "person" (Acknowledge / Appeal), "manager" (Revoke), "shadow" (an admin's, no buttons).
    ``deciders`` (the person's copy): who decides on an appeal, "manager", "admins" or "none" (no manager and the
    only admin: no Appeal button, and the card says why)."""
    emoji = COLOR_EMOJI.get(card.color, ":large_yellow_square:")
    color = card.color.capitalize()
    if copy == "person":
        head = f"{emoji} *{color} card `{card.ref}` for you* \u00b7 {RULE_NAMES.get(card.rule, card.rule)}"
    else:
        head = f"{emoji} *{color} card `{card.ref}` for {person.mention}* \u00b7 {RULE_NAMES.get(card.rule, card.rule)}"
    if copy == "shadow":
        head = ":ghost: *Shadow mode: not sent to anyone.* " + head.replace(" for ", " would go to ", 1)
    reason = markup.mrkdwn(card.reason)
    lines = [head, f"The rule: {reason}."]
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    evidence = evidence_lines(card)
    if evidence:
        blocks.append(section("*Evidence*\n" + "\n".join(f"\u2022 {e}" for e in evidence)))
    expires = day(card.expires_at, recipient.timezone)
    clears = f"It expires on {expires}, or clears sooner if a manager revokes it. {CLEARS.get(card.rule, '')}".strip()
    blocks.append(section(f"*What clears it*\n{clears}"))
    appeal_note = {
        "manager": "If it's wrong, press Appeal and say why: your manager decides, and you'll hear what they decided.",
        "admins": "If it's wrong, press Appeal and say why: you have no manager, so the admins decide, and you'll "
                  "hear what they decided.",
        "none": "You have no manager and you're the only admin, so nobody else could decide on an appeal: the card "
                "stands and expires on its own. Another admin, or a manager for you, makes an appeal possible.",
    }[deciders]
    notes = {"person": appeal_note,
             "manager": "They got the same card, with Acknowledge and Appeal. Revoke takes it back (say why); a revoked "
                        "card never counts.",
             "shadow": "Cards are in shadow mode: computed and shown only to admins, so you can check they are fair. "
                       "`/steward cards mode live` sends them to people and their managers."}[copy]
    blocks.append(context(notes))
    actions = _buttons(card, copy, appeal=deciders != "none")
    if actions:
        blocks.append(actions)
    who = "you" if copy == "person" else (person.real_name or person.display_name)
    fallback = f"{color} card {card.ref} for {who}: {markup.read(card.reason).plain}"
    if copy == "shadow":
        fallback = "Shadow mode (not sent): " + fallback
    return L.fit_text(fallback, L.MESSAGE_TEXT), blocks


def appeal_modal(card: Card, place: Mapping[str, Any] | None = None, deciders: str = "manager") -> dict[str, Any]:
    """Appeal: the reason (required). ``place``: where the pressed button was ({"channel", "ts", "block"}), kept in
    ``private_metadata`` (JSON, with "card") so the card can show the appeal once it is sent. ``deciders``:
    "manager" or "admins" (who reads the appeal)."""
    meta = json.dumps({"card": card.id, **(place or {})})[: L.VIEW_PRIVATE_METADATA]
    reader = "Your manager reads this" if deciders == "manager" else "The admins read this"
    return {"type": "modal", "callback_id": APPEAL_VIEW, "private_metadata": meta,
            "title": plain("Appeal a card", L.VIEW_TITLE), "submit": plain("Appeal", L.VIEW_SUBMIT),
            "close": plain("Cancel", L.VIEW_CLOSE),
            "blocks": [section(f"{COLOR_EMOJI.get(card.color, '')} `{card.ref}`: {markup.mrkdwn(card.reason)}."),
                       {"type": "input", "block_id": "reason", "label": plain("Why is this card wrong?", L.INPUT_LABEL),
                        "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True,
                                    "max_length": 500}},
                       context(f"{reader} and upholds or revokes the card; you'll hear what they decide. "
                               "A card can be appealed once.")]}


def decide_modal(card: Card, decision: str, place: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Uphold or Revoke: the reason (required); ``private_metadata`` JSON {"card", "decision"} and where the
    pressed button was (``place``: "channel", "ts", "block"), so that message can show the decision."""
    verb = "Uphold" if decision == "uphold" else "Revoke"
    meta = json.dumps({"card": card.id, "decision": decision, **(place or {})})[: L.VIEW_PRIVATE_METADATA]
    return {"type": "modal", "callback_id": DECIDE_VIEW, "private_metadata": meta,
            "title": plain(f"{verb} card {card.ref}", L.VIEW_TITLE), "submit": plain(verb, L.VIEW_SUBMIT),
            "close": plain("Cancel", L.VIEW_CLOSE),
            "blocks": [section(f"{COLOR_EMOJI.get(card.color, '')} `{card.ref}` for <@{card.person_slack_id}>: "
                               f"{markup.mrkdwn(card.reason)}."),
                       {"type": "input", "block_id": "reason", "label": plain(f"Why {verb.lower()} it?", L.INPUT_LABEL),
                        "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True,
                                    "max_length": 500}},
                       context("They'll read your reason." if not card.shadow else "Shadow card: only logged.")]}


def appeal(card: Card, person: User, manager: User) -> tuple[str, list[dict[str, Any]]]:
    """The appeal a manager gets: the card, the person's reason, Uphold / Revoke."""
    text = (f":scales: {person.mention} appealed {card.color} card `{card.ref}` ({markup.mrkdwn(card.reason)}): "
            f"{quote(card.appeal_text, 500)}")
    elements = [{"type": "button", "action_id": "card_uphold", "text": plain("Uphold", L.BUTTON_TEXT), "value": str(card.id)},
                {"type": "button", "action_id": "card_revoke", "text": plain("Revoke", L.BUTTON_TEXT), "value": str(card.id),
                 "style": "danger"}]
    blocks = [section(text)]
    evidence = evidence_lines(card)
    if evidence:
        blocks.append(section("*Evidence*\n" + "\n".join(f"\u2022 {e}" for e in evidence)))
    blocks += [context("Uphold or Revoke asks for your reason; they'll hear your decision."),
               {"type": "actions", "block_id": card_block_id(card.id), "elements": elements}]
    name = person.real_name or person.display_name or "Someone"
    fallback = markup.read(text.replace(person.mention, name, 1)).plain  # what a phone shows: a name, not an id
    return L.fit_text(fallback, L.MESSAGE_TEXT), blocks


def decision_for_person(card: Card, actor: User) -> str:
    """What the person hears when their card is upheld or revoked."""
    reason = card.decision_reason if card.status == "upheld" else card.revoke_reason
    if card.status == "upheld":
        return (f":scales: {actor.mention} upheld your {card.color} card `{card.ref}`: {quote(reason, 500)} "
                f"It stays until it expires.")
    return f":white_check_mark: {actor.mention} revoked your {card.color} card `{card.ref}`: {quote(reason, 500)} It no longer counts."


def names(people: Sequence[User]) -> str:
    """People as mentions joined in words: "<@U1>", "<@U1> and <@U2>", "<@U1>, <@U2> and <@U3>"."""
    mentions = [p.mention for p in people]
    return mentions[0] if len(mentions) == 1 else ", ".join(mentions[:-1]) + " and " + mentions[-1]


def appealed_line(card: Card, to: Sequence[User]) -> str:
    """What the appellant's card shows once the appeal is sent (its buttons replaced)."""
    return (f":scales: You appealed `{card.ref}`: sent to {names(to)}, who decides. You'll hear what they decide; "
            "until then it doesn't count towards a red card.")


def card_block_id(card_id: int) -> str:
    """The block id of a card's buttons in every copy of it (the person's, each manager's)."""
    return f"card:{card_id}"


def copy_decided_line(card: Card, actor: User, now: datetime, tz: str) -> str:
    """What replaces the buttons of a manager's (or admin's) copy of a card once it was decided (upheld or revoked,
    by anyone), with the day on the reader's clock (``tz``)."""
    verb = "upheld" if card.status == "upheld" else "revoked"
    return f":scales: `{card.ref}` was {verb} by {actor.mention} on {day(now, tz)}."


def decided_line(card: Card) -> str:
    """What the decider's message shows once they upheld or revoked a card (its buttons replaced)."""
    who = f"<@{card.person_slack_id}>"
    told = "" if card.shadow else f"; {who} has been told"
    if card.status == "upheld":
        return f":scales: You upheld `{card.ref}`{told}. It stays until it expires."
    return f":white_check_mark: You revoked `{card.ref}`: it no longer counts{told}."


def card_line(card: Card, viewer: User) -> str:
    """One card in `/cards`."""
    who = "you" if card.user_id == viewer.id else f"<@{card.person_slack_id}>"
    shadow = " \u00b7 :ghost: shadow (shown to admins only)" if card.shadow else ""
    until = f", expires {day(card.expires_at, viewer.timezone)}" if card.live else ""
    return (f"\u2022 {COLOR_EMOJI.get(card.color, '')} `{card.ref}` {who} \u00b7 {markup.mrkdwn(card.reason)} \u2014 "
            f"{STATUS_WORDS.get(card.status, card.status)} (issued {day(card.created_at, viewer.timezone)}{until}){shadow}")


def cards_list(found: Sequence[Card], viewer: User, *, older: int = 0, manages: bool = False,
               everything: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """`/cards`: the cards the asker may see, those that count first. ``older``: revoked or expired cards left out
    (older than :data:`bot.services.cards.RECENT_CLOSED_DAYS`; `/cards all` shows them). ``manages``: whether
    anyone reports to the viewer (the footer names revoking only then)."""
    if not found:
        text = "No cards you can see. :white_check_mark:" + (f" ({older} older revoked or expired: `/cards all`)"
                                                              if older else "")
        return text, [section(text)]
    live = [c for c in found if c.live]
    shadow = sum(1 for c in live if c.shadow)
    counting = f"{len(live)} in force" + (f" ({shadow} of them shadow, shown to admins only)" if shadow else "")
    closed = len(found) - len(live)
    head = f"*Cards* ({counting}; {closed} revoked or expired" + (" in the last 30 days" if not everything else "") + ")"
    lines = [card_line(c, viewer) for c in found]
    sections, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 2, more="\u2026and {n} more.")
    notes = ["A card's DM has Acknowledge and Appeal (the person) or Revoke (their manager). "
             "`/cards appeal C-12 <why>` appeals one of yours."]
    if manages or viewer.is_admin:
        notes.append("`/cards revoke C-12 <reason>` revokes a card of someone who reports to you.")
    if older:
        notes.append(f"{older} older revoked or expired card{'s' if older != 1 else ''} not shown: `/cards all`.")
    tail = context(" ".join(notes))
    return L.fit_text(head + "\n" + "\n".join(lines), L.MESSAGE_TEXT), [section(head), *sections, tail]


def mode_line(mode: str, setting: str, shadow_until: date | None, viewer: User) -> str:
    """The mode cards are in now (``mode``: 'shadow' or 'live'), why (``setting``: 'auto', 'shadow' or 'live';
    ``shadow_until``: the first live day of an 'auto' organization, :func:`bot.services.cards.shadow_until`; the line
    names the last shadow day, a workday) and, for an admin ``viewer``, how to switch."""
    if mode == "shadow":
        last = shadow_until - timedelta(days=1) if setting == "auto" and shadow_until else None
        why = f" through {last:%a} {last.day} {last:%b}" if last else ""
        switch = ("`/steward cards mode live` starts sending them." if viewer.is_admin
                  else "An admin can switch them to live.")
        line = (f"*Mode: shadow*{why}: cards are computed and shown only to admins, so you can check they're fair "
                     f"before anyone gets one. {switch}")
    else:
        how = " (`auto`: shadow for a new team's first 10 workdays, then live)" if setting == "auto" else ""
        line = f"*Mode: live*{how}: cards go to the person and their manager."
    return line


def mode_text(mode: str, setting: str, shadow_until: date | None, viewer: User) -> str:
    """`/steward cards mode` with nothing after it: the current mode (:func:`mode_line`) and the choices."""
    choices = ("Modes: `shadow` (cards shown to admins only), `live` (sent to people and their managers), `auto` (shadow "
               "for a new team's first 10 workdays, then live)" + (": `/steward cards mode live`." if viewer.is_admin
                                                                   else "; an admin sets it."))
    return mode_line(mode, setting, shadow_until, viewer) + "\n" + choices


def rules_text(card_rules: CardRules, mode: str, setting: str, shadow_until: date | None, viewer: User) -> str:
    """`/steward cards`: each rule with its state, the mode and why (:func:`mode_line`)."""
    lines = [":large_yellow_square: *Card rules*", *(f"\u2022 {line}" for line in rules.describe(card_rules)),
             mode_line(mode, setting, shadow_until, viewer),
             "A day counts only when I asked (the thread was posted and they were on it), they were working (not on "
             "leave, a holiday or their weekend) and not in ramp-up."]
    if viewer.is_admin:
        lines.append("Change them: `/steward cards carry 4`, `/steward cards missed off`, `/steward cards mode live`, "
                     "`/steward cards default`, or `/steward cards edit` for a form.")
    return "\n".join(lines)


# The rules form's checkboxes, in the words the rest of the form (and `/steward cards`) uses.
RULE_LABELS = {"missed": "Yellow for missed updates in a row", "carry": "Yellow for a task carried again and again",
               "overdue": "Yellow for an overdue task left unmentioned", "red": "Red when yellow cards add up"}


def rules_modal(card_rules: CardRules, setting: str) -> dict[str, Any]:
    """`/steward cards edit` (admins): each rule on/off with its threshold, the expiry and the mode."""
    from bot.blocks.kit import option

    blocks: list[dict[str, Any]] = []
    on = [option(label, w) for w, label in RULE_LABELS.items()]
    initial = [o for o in on if card_rules.setting(o["value"]).on]
    checkboxes: dict[str, Any] = {"type": "checkboxes", "action_id": "on", "options": on}
    if initial:
        checkboxes["initial_options"] = initial
    blocks.append({"type": "input", "block_id": "on", "optional": True, "label": plain("Rules on", L.INPUT_LABEL),
                   "element": checkboxes})
    labels = {"missed": "Missed updates in a row", "carry": "Carries of one task", "overdue": "Working days unmentioned",
              "red": "Yellows within the window for a red"}
    for word, label in labels.items():
        low, high = rules.THRESHOLD_BOUNDS[word]
        blocks.append({"type": "input", "block_id": word, "label": plain(f"{label} ({low}-{high})", L.INPUT_LABEL),
                       "element": {"type": "number_input", "action_id": word, "is_decimal_allowed": False,
                                   "initial_value": str(card_rules.setting(word).threshold),
                                   "min_value": str(low), "max_value": str(high)}})
    low, high = rules.EXPIRY_BOUNDS
    blocks.append({"type": "input", "block_id": "expiry", "label": plain(f"A card expires after (days, {low}-{high})", L.INPUT_LABEL),
                   "element": {"type": "number_input", "action_id": "expiry", "is_decimal_allowed": False,
                               "initial_value": str(card_rules.expiry.days), "min_value": str(low), "max_value": str(high)}})
    modes = [option("auto: shadow for a new team's first 10 workdays", "auto"), option("shadow: admins only", "shadow"),
             option("live: the person and their manager", "live")]
    blocks.append({"type": "input", "block_id": "mode", "label": plain("Mode", L.INPUT_LABEL),
                   "element": {"type": "static_select", "action_id": "mode", "options": modes,
                               "initial_option": next(o for o in modes if o["value"] == setting)}})
    return {"type": "modal", "callback_id": RULES_VIEW, "title": plain("Card rules", L.VIEW_TITLE),
            "submit": plain("Save", L.VIEW_SUBMIT), "close": plain("Cancel", L.VIEW_CLOSE), "blocks": blocks}


def changed_text(changes: Mapping[str, Any], *, already: bool = False) -> str:
    """What a rule change did, in words; with ``already``, that it was so before and nothing changed."""
    if "default" in changes:
        return ("The card rules are already the defaults: nothing changed." if already
                else "The card rules are back to the defaults.")
    if already and set(changes) == {"mode"}:
        return f"Cards are already {changes['mode']}: nothing changed."
    parts = []
    for what, value in changes.items():
        if what == "mode":
            parts.append(f"mode {value}")
        elif what == "expiry":
            parts.append(f"cards expire after {value} days")
        elif isinstance(value, bool):
            parts.append(f"`{what}` {'on' if value else 'off'}")
        else:
            parts.append(f"`{what}` threshold {value}")
    if already:
        return "Nothing changed: " + ", ".join(parts) + " already."
    return "Card rules changed: " + ", ".join(parts) + "."


def rampup_list(found: Sequence[Any]) -> str:
    """`/steward rampup`: who is in ramp-up and until when."""
    if not found:
        return "Nobody is in ramp-up. `/steward rampup @person 4 weeks` puts a new teammate in it (no cards, lighter targets)."
    lines = [f"\u2022 <@{r.slack_id}> until {r.ends_on:%a} {r.ends_on.day} {r.ends_on:%b} (since {r.starts_on:%a} "
             f"{r.starts_on.day} {r.starts_on:%b}) \u00b7 targets {round(r.target_multiplier * 100)}%"
             + (f" \u00b7 buddy <@{r.buddy_slack_id}>" if r.buddy_slack_id else "") for r in found]
    return L.fit_text("*In ramp-up* (no cards; lighter targets)\n" + "\n".join(lines), L.MESSAGE_TEXT)


def rampup_done(result: Any) -> str:
    """The answer to `/steward rampup @person …`."""
    who = result.person.mention
    if result.off:
        if not result.was_in:
            return f"{who} isn't in ramp-up, so there was nothing to end."
        return f"{who}'s ramp-up has ended: from today their days count for cards again (the days before never will)."
    buddy = f", buddy <@{result.buddy_slack_id}>" if result.buddy_slack_id else ""
    return (f":seedling: {who} is in ramp-up until {result.ends_on:%a} {result.ends_on.day} {result.ends_on:%b %Y}: no cards, "
            f"targets at {round(result.target_multiplier * 100)}%{buddy}. Their escalations go to their buddy, else their "
            "manager, never to a channel.")


def rampup_told(result: Any, actor: User, *, manager: bool = False) -> str:
    """The DM when a ramp-up is set or ended: to the person (what it means for them), or with ``manager`` to their
    manager (someone else set it)."""
    person = result.person.mention
    if result.off:
        if manager:
            return (f":seedling: {actor.mention} ended {person}'s ramp-up: from today their days count for cards again "
                    "and their targets are the usual ones.")
        return (f":seedling: {actor.mention} ended your ramp-up: welcome aboard for good! From today your days count "
                "for cards again and your targets are the usual ones.")
    until = f"{result.ends_on:%a} {result.ends_on.day} {result.ends_on:%b %Y}"
    percent = round(result.target_multiplier * 100)
    if manager:
        return (f":seedling: {actor.mention} put {person} in ramp-up until {until}: no cards, targets at {percent}% of "
                "the usual ones, and their escalations come to their buddy or you, never to a channel.")
    buddy = f" Your buddy is <@{result.buddy_slack_id}>: ask them anything." if result.buddy_slack_id else ""
    return (f":seedling: {actor.mention} put you in ramp-up until {until} (the last day included), while you settle in. "
            f"Until then you get no cards (a missed update or a carried task isn't held against you) and your targets "
            f"are lighter: {percent}% of the usual ones.{buddy}")
