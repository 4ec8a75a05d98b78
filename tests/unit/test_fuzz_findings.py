"""What the fuzz (tests/fuzz) found in the rules, kept as plain tests: characters that are digits to
``str.isdigit`` but not to ``int`` ("²", "³") were read as numbers and crashed `/mood` (five retries, a dead
letter); digits of other scripts ("٣") are numbers."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.services.mood import parse_score


@pytest.mark.parametrize("typed", ["\u00b2", "\u00b3 fine", "\u2467", "4\u00b2"])
def test_a_mood_of_superscript_digits_is_refused_politely(typed: str) -> None:
    with pytest.raises(InvalidInput, match="number from 1"):
        parse_score(typed)


def test_a_mood_in_another_script_s_digits_is_read() -> None:
    assert parse_score("\u0663 long day") == (3, "long day")


def test_a_timezone_name_too_long_for_a_file_is_not_a_timezone() -> None:
    # Found by the fuzz: the standup settings modal's timezone field filled with a long text made ZoneInfo raise
    # OSError (file name too long) inside the ack hook, which then logged an error instead of answering.
    from bot.services.calendar import valid_timezone

    assert valid_timezone("word " * 400) is False
    assert valid_timezone("Europe/Berlin") is True
