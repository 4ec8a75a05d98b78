"""Block Kit for clients (issue 16): the client card and the context-notes modal. Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import slack_limits as L
from bot import slack_markup as markup

NOTES_VIEW = "client_notes"
# Slack's plain_text_input max_length is 3000 (bot/services/clients.py MAX_NOTES).
NOTES_MAX = 3000
# How many open tasks and memory facts the card shows (the rest are counted).
CARD_TASKS = 8
CARD_FACTS = 5


@dataclass(frozen=True)
class CardTask:
    display_id: str
    title: str
    due: str | None
    owner_slack_id: str | None
    overdue: bool


@dataclass(frozen=True)
class CardFact:
    content: str
    permalink: str | None
    said_on: str | None


@dataclass(frozen=True)
class LastDeploy:
    """A client's latest deploy that has happened: its instant, the schedule's zone, and its SOP record (compliant,
    notes, the SOP's name; None without a checklist)."""

    at: datetime
    zone: str
    compliant: bool | None
    notes: str | None
    sop_name: str | None


@dataclass(frozen=True)
class Card:
    name: str
    aliases: Sequence[str]
    channel_id: str | None
    description: str | None
    members: Sequence[tuple[str, str]]  # (Slack user id, role)
    projects: Sequence[str]
    tasks: Sequence[CardTask]
    next_deploy: tuple[datetime, str, str | None] | None  # (instant, zone, checklist name)
    notes: str | None
    facts: Sequence[CardFact]
    last_deploy: LastDeploy | None = None
    notes_hidden: bool = False  # there are notes the asker may not read (bot/services/client_card.py may_read_notes)


def card_text(card: Card) -> str:
    """The card as mrkdwn (also the message's fallback text)."""
    lines = [f"*{markup.mrkdwn(card.name)}*" + (f" (also: {', '.join(markup.mrkdwn(a) for a in card.aliases)})" if card.aliases else "")]
    if card.description:
        lines.append(f"_{markup.mrkdwn(card.description)}_")
    lines.append("*Channel:* " + (f"<#{card.channel_id}>" if card.channel_id else "none"))
    members = ", ".join(f"<@{s}>" + (" (lead)" if role == "lead" else "") for s, role in card.members)
    lines.append("*Members:* " + (members or "none assigned (`members @a @b`)"))
    lines.append("*Projects:* " + (", ".join(markup.mrkdwn(p) for p in card.projects) or "none"))
    overdue = sum(1 for t in card.tasks if t.overdue)
    lines.append(f"*Open tasks:* {len(card.tasks)} \u00b7 *overdue:* {overdue}")
    for t in card.tasks[:CARD_TASKS]:
        owner = f" \u2014 <@{t.owner_slack_id}>" if t.owner_slack_id else ""
        due = f" (due {t.due})" if t.due else ""
        flag = ":warning: overdue " if t.overdue else ""
        lines.append(f"\u2022 {flag}`{t.display_id}` {markup.mrkdwn(t.title)}{due}{owner}")
    if len(card.tasks) > CARD_TASKS:
        lines.append(f"\u2022 \u2026and {len(card.tasks) - CARD_TASKS} more (`/tasks {markup.mrkdwn(card.name)}`)")
    if card.next_deploy:
        at, zone, checklist = card.next_deploy
        lines.append(f"*Next deploy:* {at.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M} {zone}"
                     + (f" \u2014 checklist *{markup.mrkdwn(checklist)}*" if checklist else ""))
    else:
        lines.append("*Next deploy:* none scheduled")
    if card.last_deploy:
        last = card.last_deploy
        when = f"{last.at.astimezone(ZoneInfo(last.zone)):%a %d %b %Y %H:%M} {last.zone}"
        if last.compliant is None:
            result = "no checklist, so no SOP record"
        elif last.compliant:
            result = f":white_check_mark: SOP *{markup.mrkdwn(last.sop_name or '?')}* followed"
        else:
            result = (f":warning: SOP *{markup.mrkdwn(last.sop_name or '?')}* not followed"
                      + (f" ({markup.mrkdwn(last.notes[:300])})" if last.notes else ""))
        lines.append(f"*Last deploy:* {when} — {result}")
    if card.notes_hidden:
        lines.append("*Notes:* kept for its members, managers and admins")
    else:
        lines.append("*Notes:* " + (markup.mrkdwn(card.notes) if card.notes else "none yet (`notes` to add them)"))
    if card.facts:
        lines.append("*What I remember about it:*")
        for f in card.facts:
            source = f" (<{f.permalink}|source>)" if f.permalink else " (source no longer available)"
            when = f"{f.said_on}: " if f.said_on else ""
            lines.append(f"\u2022 {when}{markup.mrkdwn(f.content)}{source}")
    else:
        lines.append("*What I remember about it:* nothing yet from the channels you're in")
    return "\n".join(lines)


def card_blocks(card: Card) -> list[dict[str, Any]]:
    """The card in sections (each within Slack's 3,000-character section text)."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for line in card_text(card).split("\n"):
        if size + len(line) + 1 > L.SECTION_TEXT and chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk, size = [], 0
        chunk.append(line[: L.SECTION_TEXT])
        size += len(line) + 1
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    return blocks[: L.MESSAGE_BLOCKS]


def notes_modal(client_id: int, client_name: str, notes: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "notes", "multiline": True, "max_length": NOTES_MAX}
    if notes:
        element["initial_value"] = notes[:NOTES_MAX]
    return {
        "type": "modal", "callback_id": NOTES_VIEW, "private_metadata": str(client_id),
        "title": {"type": "plain_text", "text": "Client notes"},
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "notes", "optional": True,
                    "label": {"type": "plain_text", "text": markup.plain_text(f"Context notes for {client_name}")[:150]},
                    "element": element}],
    }
