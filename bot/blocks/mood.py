"""Block Kit for mood check-ins and journals. Pure functions: data in, blocks out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import section
from bot.blocks.standup import day_label

FACES = {1: ":cloud_with_rain:", 2: ":cloud:", 3: ":partly_sunny:", 4: ":sunny:", 5: ":star2:"}
LABELS = {1: "Rough", 2: "Meh", 3: "OK", 4: "Good", 5: "Great"}


def checkin(day: date) -> tuple[str, list[dict[str, Any]]]:
    text = f"How was your day? ({day_label(day)})"
    buttons = [{"type": "button", "action_id": f"mood_{score}", "value": day.isoformat(),
                "text": {"type": "plain_text", "text": f"{score} {LABELS[score]}"}} for score in range(1, 6)]
    return text, [
        section(f"*How was your day?* {day_label(day)}\nPick one; only you see your answers. Your manager only ever sees "
                 "a team average from 3 or more people."),
        {"type": "actions", "block_id": f"mood:{day.isoformat()}", "elements": buttons},
    ]


def picked(day: date, score: int, note: str | None) -> tuple[str, list[dict[str, Any]]]:
    text = f"Thanks! Logged {score}/5 for {day_label(day)}."
    line = f"{FACES.get(score, '')} *{score}/5 \u00b7 {LABELS.get(score, '')}* for {day_label(day)}. Thanks for checking in."
    if note:
        line += f"\n_Note: {markup.mrkdwn(note)}_"
    return text, [
        section(line, accessory={"type": "button", "action_id": "mood_note_open", "value": day.isoformat(),
                                  "text": {"type": "plain_text", "text": "Edit note" if note else "Add a note"}}),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Changed your mind? `/mood 1-5` replaces today's answer."}]},
    ]


def note_modal(day: date, note: str | None, metadata: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "note", "multiline": True, "max_length": 500}
    if note:
        element["initial_value"] = note
    return {
        "type": "modal", "callback_id": "mood_note", "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Mood note"},
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "note", "optional": True,
                    "label": {"type": "plain_text", "text": f"Anything about {day_label(day)}? (only you see it)"}, "element": element}],
    }


def team(mood: Any) -> str:
    period = f"{mood.from_date:%a %-d %b} \u2013 {mood.to_date:%a %-d %b}"
    if not mood.enough:
        return (f"*Team mood* ({period}): not enough responses yet. I show a team average only when at least 3 people "
                f"have checked in, so nobody can be singled out.")
    return (f"*Team mood* ({period}): {mood.average:.1f}/5 on average, from {mood.people} people "
            f"({mood.entries} check-ins). Individual answers stay private.")


def journal_list(entries: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    if not entries:
        text = "Your journal is empty. Write with `/journal <text>`; only you can read it."
        return text, [section(text)]
    blocks: list[dict[str, Any]] = [section(f"*Your journal* (last {len(entries)}, only you can read it)")]
    for e in entries[: L.MESSAGE_BLOCKS - 1]:
        blocks.append(section(f"*{day_label(e.local_date)}*\n{markup.mrkdwn(e.body)}"))  # shortened whole-word
    return f"Your last {len(entries)} journal entries.", blocks
