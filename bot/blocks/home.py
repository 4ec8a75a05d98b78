"""App Home view."""

from __future__ import annotations

from typing import Any

DEFAULT_SECTIONS = ("My tasks", "Today", "My board")


def home_view(user: Any, parts: list[tuple[str, list[dict[str, Any]]]], *, offline_ai: bool, sandbox: bool) -> dict[str, Any]:
    name = getattr(user, "display_name", None) or "there"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Hi {name} \U0001F44B"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _status_line(offline_ai, sandbox)}]},
    ]
    shown = {title for title, _ in parts}
    for title, section in parts:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}})
        blocks.extend(section)
    for title in DEFAULT_SECTIONS:
        if title not in shown:
            blocks.append({"type": "divider"})
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n_Nothing here yet._"}})
    if getattr(user, "is_admin", False) and "Admin" not in shown:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Admin*\nUse `/steward help` for the admin commands."}})
    return {"type": "home", "blocks": blocks[:100]}


def _status_line(offline_ai: bool, sandbox: bool) -> str:
    bits = []
    if sandbox:
        bits.append(":test_tube: Sandbox workspace")
    bits.append(":electric_plug: Offline mode: rule-based parsing, local embeddings" if offline_ai else ":sparkles: AI parsing on")
    return " \u00b7 ".join(bits)
