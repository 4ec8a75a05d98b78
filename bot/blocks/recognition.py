"""Recognition and invisible labour in Slack (pure): the answers to `/kudos` and `/helped`, the person helped's
Confirm / Not me DM, the one-click offer after "thanks @sam for …" in a standup reply, and the short DMs of
automatic recognition (streaks, milestones). Words people wrote go through :func:`bot.slack_markup.mrkdwn`;
every message stays inside Slack's limits (:mod:`bot.slack_limits`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, plain, section
from bot.services import calendar
from bot.services.interventions import Intervention, spent
from bot.services.kudos import Given
from db.rows import User

HELPED_BUTTONS = (("Confirm", "helped_confirm", "primary"), ("Not me", "helped_decline", None))
THANKS_BUTTONS = (("Record it", "thanks_record", "primary"), ("No thanks", "thanks_dismiss", None))


def _buttons(intervention_id: int, buttons: tuple[tuple[str, str, str | None], ...]) -> dict[str, Any]:
    elements = []
    for text, action_id, style in buttons:
        element: dict[str, Any] = {"type": "button", "text": plain(text, L.BUTTON_TEXT), "action_id": action_id,
                                   "value": str(intervention_id)}
        if style:
            element["style"] = style
        elements.append(element)
    return {"type": "actions", "block_id": f"helped:{intervention_id}", "elements": elements}


def _what(found: Intervention) -> str:
    took = spent(found.minutes)
    return f"*{markup.mrkdwn(found.description)}*" + (f" ({took})" if took else "")


# ---------------------------------------------------------------- kudos

def kudos_given(given: Given) -> str:
    """The giver's answer: where the kudos went, and for a DM held through the person's quiet hours, when it reaches
    them (on their clock)."""
    said = markup.mrkdwn(given.reason)
    if given.channel_id:
        return f":tada: Kudos to {given.receiver.mention} sent in <#{given.channel_id}>: {said}"
    if given.arrives_at is None:
        return f":tada: Kudos to {given.receiver.mention} sent by DM: {said}"
    local = given.arrives_at.astimezone(calendar.zone(given.receiver.timezone))
    return (f":tada: Kudos to {given.receiver.mention}: {said.rstrip('.')}. It's quiet hours for them, so my DM reaches them at "
            f"{local:%H:%M} their time ({local:%a} {local.day} {local:%b}).")


def kudos_channel_text(channel: str | None, *, changed: bool) -> str:
    """`/steward kudos` and `/steward kudos channel …`: where kudos go."""
    if channel:
        lead = "Kudos now go to" if changed else "Kudos go to"
        return f":tada: {lead} <#{channel}>. Admins: `/steward kudos channel off` sends them by DM instead."
    lead = "Kudos now go" if changed else "Kudos go"
    return (f":tada: {lead} to each person by DM. Admins: `/steward kudos channel #wins` posts them in a channel "
            "(invite me there first).")


# ---------------------------------------------------------------- /helped

def helped_logged(found: Intervention, new: bool, *, reach_at: datetime | None = None, viewer_tz: str = "UTC") -> str:
    """The helper's answer to `/helped`; ``reach_at``: when the ask reaches the person helped, if they can't be pinged
    now (quiet hours, weekend, leave), shown on the helper's clock (``viewer_tz``)."""
    if found.status == "confirmed":
        return f":handshake: <@{found.helped_slack_id}> already confirmed that: it's credited to you."
    lead = "Logged" if new else "Already logged"
    if reach_at is not None:
        local = reach_at.astimezone(calendar.zone(viewer_tz))
        asked = (f"They're not around right now, so I'll ask them to confirm on {local:%a} {local.day} {local:%b} at "
                 f"{local:%H:%M} (your time)")
    else:
        asked = "I've asked them to confirm"
    return f":handshake: {lead} your help for <@{found.helped_slack_id}>: {_what(found)}. {asked}; it's credited to you once they do."


def helped_ask(found: Intervention, helper: User) -> tuple[str, list[dict[str, Any]]]:
    """The DM to the person helped: Confirm credits the helper, Not me declines."""
    text = f"{helper.mention} says they helped you: {_what(found)}. Is that right?"
    return text, [section(text), context("Confirming credits them for it in reports: help like this is work too."),
                  _buttons(found.id, HELPED_BUTTONS)]


def helped_decided(found: Intervention) -> str:
    """What replaces the Confirm / Not me buttons once pressed."""
    if found.status == "confirmed":
        return f":white_check_mark: Confirmed: it's credited to <@{found.helper_slack_id}>, and they know."
    return f":heavy_minus_sign: Marked as not you: <@{found.helper_slack_id}> isn't credited for it."


def helped_declined_for_helper(found: Intervention, helped: User) -> str:
    """The helper's DM when the person helped pressed "Not me" on help the helper logged."""
    return (f":heavy_minus_sign: {helped.mention} said the help you logged, {_what(found)}, wasn't for them, so it "
            "isn't credited. If it was a mix-up (another teammate, say), `/helped` it again for the right person.")


def helped_confirmed_for_helper(found: Intervention, helped: User) -> str:
    """The helper's DM once the person helped confirmed."""
    return f":handshake: {helped.mention} confirmed your help: {_what(found)}. It's credited to you in reports."


# ---------------------------------------------------------------- "thanks @sam for …"

def thanks_offer(found: Intervention) -> tuple[str, list[dict[str, Any]]]:
    """The author's one-click offer after thanking someone for something in a standup reply (only they see it)."""
    text = (f"You thanked <@{found.helper_slack_id}> for {_what(found)}. Record it as help they gave you? "
            "It's credited to them in reports.")
    return text, [section(text), _buttons(found.id, THANKS_BUTTONS)]


def thanks_decided(found: Intervention) -> str:
    if found.status == "confirmed":
        return f":handshake: Recorded: <@{found.helper_slack_id}> is credited for {_what(found)}, and they know."
    return "OK, not recorded."


# ---------------------------------------------------------------- automatic recognition

def reinforcement_text(kind: str, details: dict[str, Any]) -> str:
    """The short DM of one automatic recognition (bot/services/reinforcement.py's kinds and details)."""
    what = details.get("what")
    if what == "streak":
        return (f":fire: {details['days']} workdays in a row with your standup update, every day you were asked. "
                "Thank you for keeping the team in the loop!")
    if what == "tasks_done":
        return f":trophy: That's your {_ordinal(int(details['count']))} task done with Steward. Nice work!"
    if what == "clean_week":
        monday = date.fromisoformat(str(details["week"]))
        return (f":sparkles: Nothing carried over in the week of {monday:%A} {monday.day} {monday:%B}: every task you "
                "planned was finished or dropped on its day. Well planned!")
    if what == "blocker_resolved":
        task = f" on {details['task']}" if details.get("task") else ""
        return (f":unlock: You cleared a blocker for <@{details['for']}>{task}: "
                f"{markup.mrkdwn(str(details.get('description') or ''))}. Unblocking others is real work, thank you!")
    return ":clap: Nice work!"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
