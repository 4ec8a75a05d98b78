"""A light Block Kit check catching the mistakes Slack rejects with invalid_blocks."""

from __future__ import annotations

from typing import Any

from bot.emulators.slack.errors import SlackError

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_LENGTH = 40_000
_SECTION_TEXT_LIMIT = 3000
_HEADER_TEXT_LIMIT = 150


def _block_problems(index: int, block: Any, seen_ids: set[str]) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"invalid block at [{index}]: missing type"]
    problems: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None:
        if block_id in seen_ids:
            problems.append(f"duplicate block_id {block_id!r} [json-pointer:/blocks/{index}/block_id]")
        seen_ids.add(str(block_id))
    text = block.get("text")
    limit = _HEADER_TEXT_LIMIT if block["type"] == "header" else _SECTION_TEXT_LIMIT
    if isinstance(text, dict) and len(str(text.get("text", ""))) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:/blocks/{index}/text]")
    return problems


def validate_blocks(blocks: Any, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]] | None:
    """The blocks as a list, or SlackError("invalid_blocks") with Slack-like messages."""
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"no more than {max_blocks} items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        problems.extend(_block_problems(index, block, seen_ids))
    if problems:
        raise SlackError("invalid_blocks", errors=problems, response_metadata={"messages": problems})
    return blocks


def validate_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")
