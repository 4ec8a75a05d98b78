"""Staying inside Slack's limits: shortening never cuts a word, a mention, a link, an entity or an
emoji in half, and packed lists say exactly how much they left out."""

from __future__ import annotations

import re

import pytest

from bot import slack_limits as L
from bot.blocks.kit import option, pack_sections
from bot.slack_limits import ELLIPSIS, fit_text

TITLE = "review <https://github.com/acme/web/pull/42|PR #42> with <@U0PRIYA> &amp; <!subteam^S1|@design> by Friday :rocket:"
ATOMS = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);|:[a-z0-9_+-]+:")


def test_short_text_is_unchanged() -> None:
    assert fit_text("fix the login bug", 17) == "fix the login bug"
    assert fit_text("", 5) == ""


@pytest.mark.parametrize("limit", range(2, len(TITLE) + 1))
def test_every_cut_keeps_markup_whole_and_fits(limit: int) -> None:
    out = fit_text(TITLE, limit)
    assert len(out) <= limit
    if out != TITLE:
        assert out.endswith(ELLIPSIS)
        kept = out.removesuffix(ELLIPSIS)
        assert TITLE.startswith(kept)
        # Nothing half-open: every "<", "&" and ":" token that starts in what we kept ends in it too.
        assert kept.count("<") == kept.count(">")
        assert all(m.group(0) in TITLE for m in ATOMS.finditer(kept))
        assert not re.search(r"&[a-z]*$", kept) and not re.search(r":[a-z_]+$", kept)
        # Cut at a word boundary whenever there was one.
        if " " in TITLE[: limit - 1]:
            assert TITLE[len(kept)] == " " or TITLE[len(kept) - 1] == " " or kept == "" or kept.endswith(">")


def test_cut_is_at_a_word_boundary() -> None:
    assert fit_text("Update the product page for SKU-141 and the pricing table", 30) == "Update the product page for\u2026"


def test_a_single_long_word_is_cut_but_never_inside_a_mention() -> None:
    assert fit_text("x" * 100, 10) == "x" * 9 + ELLIPSIS
    assert fit_text("<@U0PRIYA>" * 3, 15) == "<@U0PRIYA>" + ELLIPSIS


def test_the_ellipsis_needs_room() -> None:
    with pytest.raises(ValueError):
        fit_text("too long for nothing", 0)


def test_pack_sections_keeps_lines_whole_and_counts_what_it_left_out() -> None:
    lines = [f"\u2022 `T-{n}` Update the product page for SKU-{n} \u2014 due tomorrow" for n in range(300)]
    blocks, left = pack_sections(lines, 3)
    texts = [b["text"]["text"] for b in blocks]
    assert len(blocks) == 3 and all(len(t) <= L.SECTION_TEXT for t in texts)
    shown = [line for t in texts for line in t.split("\n") if line in lines]
    assert left == 300 - len(shown) > 0
    assert texts[-1].endswith(f"\u2026and {left} more")
    assert shown == lines[: len(shown)]  # in order, none skipped


def test_pack_sections_counts_items_the_caller_did_not_list() -> None:
    blocks, left = pack_sections(["*To do* \u2014 12", "\u2022 a", "\u2022 b"], 1, not_listed=10)
    assert left == 10 and blocks[0]["text"]["text"].endswith("\u2026and 10 more")
    blocks, left = pack_sections(["a", "b"], 2)
    assert left == 0 and [b["text"]["text"] for b in blocks] == ["a\nb"]


def test_option_text_and_value_limits() -> None:
    made = option("T-12 " + "Rewrite the onboarding email sequence " * 3, "12")
    assert len(made["text"]["text"]) <= L.OPTION_TEXT
    with pytest.raises(ValueError):
        option("x", "v" * (L.OPTION_VALUE + 1))
