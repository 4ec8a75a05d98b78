"""Reports and action items in Block Kit (issue 15): a summary a manager reads in a minute (headline numbers with
targets and change, what changed most, the narrative, what needs a decision, who is out next week, who was on
leave), the action items with Done / Dismiss / Reassign, `/actions`, and the dismissal form. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import slack_limits as L
from bot.blocks.kit import Block, context, plain, section
from bot.services.action_items import Item
from bot.services.report_figures import Headline, changed_most, headlines
from bot.slack_markup import escape

ACTION_DONE = "action_item_done"
ACTION_DISMISS = "action_item_dismiss"
ACTION_REASSIGN = "action_item_reassign"
DISMISS_VIEW = "action_item_dismiss_view"
REASON_BLOCK, REASON_INPUT = "reason", "reason_input"
MAX_ITEMS = 10
"""Items a report or `/actions` shows with their buttons (two blocks each, inside Slack's 50 blocks); the rest are
counted and listed in `/actions`."""


def headline_line(h: Headline) -> str:
    """"*On-time rate* 72% · target 85% · +4 pts" with a warning sign when it misses its target."""
    parts = [f"*{h.label}* {h.value}"]
    if h.target is not None:
        parts.append(f"target {h.target}")
    if h.change is not None:
        parts.append(f"{h.change} vs previous")
    return (":warning: " if h.missed else "") + " · ".join(parts)


def item_blocks(item: Item, *, today: date | None = None) -> list[Block]:
    """One action item: what, its evidence, owner and due date; then Done / Dismiss / Reassign (a person picker)."""
    due = f"due {item.due_date:%a} {item.due_date.day} {item.due_date:%b}" if item.due_date else "no due date"
    late = " (overdue)" if today and item.due_date and item.due_date < today else ""
    owner = f"<@{item.assignee_slack_id}>" if item.assignee_slack_id else "nobody"
    text = f"*{escape(item.title)}*\n{escape(item.evidence or '')}\n_{owner} · {due}{late}_"
    value = str(item.id)
    return [
        section(text, block_id=f"action_item:{item.id}"),
        {"type": "actions", "block_id": f"action_item_buttons:{item.id}", "elements": [
            {"type": "button", "action_id": ACTION_DONE, "text": plain("Done", L.BUTTON_TEXT), "value": value,
             "style": "primary"},
            {"type": "button", "action_id": ACTION_DISMISS, "text": plain("Dismiss", L.BUTTON_TEXT), "value": value},
            {"type": "users_select", "action_id": ACTION_REASSIGN, "placeholder": plain("Reassign to…", 150)},
        ]},
    ]


def _items(items: Sequence[Item], today: date | None) -> list[Block]:
    blocks: list[Block] = []
    for item in items[:MAX_ITEMS]:
        blocks += item_blocks(item, today=today)
    if len(items) > MAX_ITEMS:
        blocks.append(context(f"…and {len(items) - MAX_ITEMS} more: `/actions` lists them all."))
    return blocks


def report(r: Any) -> tuple[str, list[Block]]:
    """The message of report ``r`` (bot/services/reports.py ``Report``): its fallback text and blocks."""
    lines = headlines(r.figures.team)
    blocks: list[Block] = [{"type": "header", "text": plain(r.title, L.HEADER_TEXT)}]
    blocks.append(section("\n".join(headline_line(h) for h in lines) or "No figures for this period."))
    blocks.append(context(changed_most(r.figures.team)))
    blocks.append(section(escape(r.narrative.text)))
    if r.items:
        blocks.append(section(f"*Needs a decision* ({len(r.items)} open)"))
        blocks += _items(r.items, r.period.end)
    else:
        blocks.append(context("Nothing needs a decision."))
    if r.out_next_week:
        blocks.append(section("*Out next week* (from tomorrow; whole leaves)\n"
                              + "\n".join(escape(x) for x in r.out_next_week)))
    if r.recognition:
        blocks.append(section("*Recognition* (what happened, not a ranking)\n" + "\n".join(escape(x) for x in r.recognition)))
    if r.on_leave:
        blocks.append(context("On leave in this period (counted only on the days they worked): "
                              + ", ".join(escape(x) for x in r.on_leave)))
    source = "written by the model from the figures above" if r.narrative.source == "llm" else "from the figures"
    blocks.append(context(f"People: {len(r.people)} · summary {source}"
                          + (" · chart below" if r.chart_png is not None else "")))
    text = f"{r.title}: " + "; ".join(f"{h.label} {h.value}" for h in lines[:3])
    return text, blocks


def actions_list(items: Sequence[Item], *, today: date) -> tuple[str, list[Block]]:
    """`/actions`: the asker's open action items with their buttons, or that there are none."""
    if not items:
        return "You have no open action items.", [section("You have no open action items. :tada:")]
    blocks = [section(f"*Your open action items* ({len(items)})")] + _items(items, today)
    return f"You have {len(items)} open action item{'s' if len(items) != 1 else ''}.", blocks


def item_closed(item: Item, *, by: str, newly: bool, when: str = "") -> str:
    """What a pressed item becomes: "Done by @x" / "Dismissed by @x: reason"; or, pressed again, who closed it and
    when (``when``: "Mon 14 Dec 09:31" on the team's clock)."""
    what = "Done" if item.status == "done" else "Dismissed"
    reason = f": {escape(item.dismiss_reason)}" if item.status == "dropped" and item.dismiss_reason else ""
    prefix = "" if newly else "Already closed. "
    at = f" on {when}" if when and not newly else ""
    return f"{prefix}{what} by {by}{at}{reason}: ~{escape(item.title)}~"


def item_confirmed(item: Item) -> str:
    """The ephemeral answer to a press that closed the item."""
    what = "Done" if item.status == "done" else "Dismissed"
    return f"{what}: {escape(item.title)}. I've updated every report that lists it."


def item_reassigned(item: Item, to_slack_id: str) -> str:
    return f"Reassigned to <@{to_slack_id}>: {escape(item.title)}"


def dismiss_view(item: Item) -> dict[str, Any]:
    """The form asking why an item is dismissed (the reason is required)."""
    return {
        "type": "modal", "callback_id": DISMISS_VIEW, "private_metadata": str(item.id),
        "title": plain("Dismiss action item", L.VIEW_TITLE), "submit": plain("Dismiss", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{escape(item.title)}*\n{escape(item.evidence or '')}"),
            {"type": "input", "block_id": REASON_BLOCK, "label": plain("Why dismiss it?", 2000),
             "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "max_length": 300,
                         "placeholder": plain("e.g. agreed in the 1:1, nothing to change", 150)}},
        ],
    }
