"""App Home view."""

from __future__ import annotations

from typing import Any

from bot import slack_limits as L
from bot.blocks.kit import context, plain, section

DEFAULT_SECTIONS = ("My tasks", "Today", "My board")


def home_view(user: Any, parts: list[tuple[str, list[dict[str, Any]]]], *, offline_ai: bool, sandbox: bool) -> dict[str, Any]:
    """App Home: a greeting, then each feature's part under its title. Always within Slack's 100
    blocks per view: a part that does not fit whole is cut between blocks with a note saying so."""
    name = getattr(user, "display_name", None) or "there"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(f"Hi {name} \U0001F44B", L.HEADER_TEXT)},
        context(_status_line(offline_ai, sandbox)),
    ]
    shown = {title for title, _ in parts}
    sections = list(parts)
    sections += [(title, [section("_Nothing here yet._")]) for title in DEFAULT_SECTIONS if title not in shown]
    if getattr(user, "is_admin", False) and "Admin" not in shown:
        sections.append(("Admin", [section("Use `/steward help` for the admin commands.")]))
    for index, (title, part) in enumerate(sections):
        # Each later part keeps room for at least its divider, title and one block.
        room = L.VIEW_BLOCKS - len(blocks) - 2 - 3 * (len(sections) - index - 1)
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{title}*"))
        if len(part) > room:
            part = [*part[: max(room - 1, 0)], context(f"\u2026more in *{title}* than fits here.")]
        blocks.extend(part)
    return {"type": "home", "blocks": blocks}


def _status_line(offline_ai: bool, sandbox: bool) -> str:
    bits = []
    if sandbox:
        bits.append(":test_tube: Sandbox workspace")
    bits.append(":electric_plug: Offline mode: rule-based parsing, local embeddings" if offline_ai else ":sparkles: AI parsing on")
    return " \u00b7 ".join(bits)
