"""Block Kit primitives every builder shares, each inside Slack's limits (``bot/slack_limits.py``):
texts are shortened whole-word (``fit_text``), long lists are packed into as few sections as fit
and say how many lines were left out. Pure functions: data in, blocks out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import slack_limits as L
from bot.slack_limits import fit_text, split_text

Block = dict[str, Any]
MORE = "\u2026and {n} more"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and its noun, pluralised in English: "1 manager", "2 managers", "1,024 messages"; ``plural`` for a
    noun that does not take an ``s`` ("person" / "people")."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def section(text: str, **extra: Any) -> Block:
    """A mrkdwn section; ``text`` longer than Slack's 3,000 characters is shortened whole-word."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit_text(text, L.SECTION_TEXT)}, **extra}


def context(text: str) -> Block:
    """A context block with one mrkdwn element (shortened whole-word past 3,000 characters)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit_text(text, L.SECTION_TEXT)}]}


def replace_block(blocks: Sequence[Block], block_id: str | None, line: str) -> list[Block]:
    """``blocks`` with the block whose ``block_id`` is ``block_id`` (a pressed item's buttons) replaced by a context
    line saying what happened; the other blocks (a grouped message's other items, their buttons) unchanged."""
    return [context(line) if block_id is not None and b.get("block_id") == block_id else b for b in blocks]


def plain(text: str, limit: int) -> dict[str, str]:
    """A plain_text object shortened to ``limit`` characters (e.g. ``L.BUTTON_TEXT``, ``L.HEADER_TEXT``)."""
    return {"type": "plain_text", "text": fit_text(text, limit)}


def option(text: str, value: str) -> dict[str, Any]:
    """An option object (plain_text, 75 characters; value at most 150)."""
    if len(value) > L.OPTION_VALUE:
        raise ValueError(f"option value longer than {L.OPTION_VALUE} characters: {value[:40]}…")
    return {"text": plain(text, L.OPTION_TEXT), "value": value}


def pack_sections(lines: Sequence[str], max_sections: int, *, more: str = MORE, not_listed: int = 0,
                  split_long: bool = False) -> tuple[list[Block], int]:
    """``lines`` packed, whole, into at most ``max_sections`` mrkdwn sections of at most 3,000
    characters each. Returns (the sections, how many items were left out); when any are left out
    (lines that did not fit, plus ``not_listed`` items the caller chose not to list), the last
    section ends with ``more`` (formatted with ``n``) so the reader knows. A line longer than a
    section is shortened whole-word, or with ``split_long`` continued on the next lines."""
    if max_sections < 1:
        return [], len(lines)
    if split_long:
        lines = [piece for line in lines for piece in split_text(line, L.SECTION_TEXT)]
    chunks: list[list[str]] = []
    size = 0
    placed = 0
    for line in lines:
        line = fit_text(line, L.SECTION_TEXT)
        if not chunks or size + 1 + len(line) > L.SECTION_TEXT:
            if len(chunks) == max_sections:
                break
            chunks.append([])
            size = -1
        chunks[-1].append(line)
        size += 1 + len(line)
        placed += 1
    left = len(lines) - placed + not_listed
    if left:
        last = chunks[-1]
        # Make room for the note in the last section, giving back lines if needed.
        while last and len("\n".join([*last, more.format(n=left)])) > L.SECTION_TEXT:
            last.pop()
            left += 1
        last.append(more.format(n=left))
    return [section("\n".join(c)) for c in chunks if c], left
