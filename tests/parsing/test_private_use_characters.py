"""Found by the fuzz (tests/fuzz): the parsers swap emoji shortcodes for private-use characters while they
read a message; a message that already holds such characters (any Unicode text may) must neither crash
them nor come back changed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.parsing import parse_reminder, parse_tasks
from bot.parsing.text import protect_emoji, restore_emoji

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
PRIVATE = "\U000b4150\U000f3a99\U000f0000"  # the last two in the plane the parsers use for their marks


def test_private_use_characters_and_shortcodes_read_back_exactly() -> None:
    text = f"ship the \U000f0001 build :rocket: {PRIVATE} :+1::skin-tone-2: today"
    protected, shortcodes = protect_emoji(text)
    assert ":rocket:" not in protected
    assert restore_emoji(protected, shortcodes) == text


def test_a_task_with_a_shortcode_and_private_use_characters_is_parsed() -> None:
    (task,) = parse_tasks(f"I'll fix the \U000f3a99 login bug :bug: by Friday {PRIVATE}", now=NOW, tz="UTC")
    assert "\U000f3a99 login bug :bug:" in task.title


def test_a_reminder_with_a_shortcode_and_private_use_characters_is_parsed() -> None:
    found = parse_reminder("remind me to call the bank \U000f0000 :phone: tomorrow at 3pm", now=NOW, tz="UTC")
    assert found is not None and found.what.endswith("\U000f0000 :phone:")
