"""Emoji shortcodes (`:palm_tree:`, `:+1:`, `:pencil2:`) to characters, from the `emoji` package.

Slack's shortcodes are the Unicode CLDR names plus the GitHub/Slack aliases; the `emoji` package
(language "alias") covers both, maintained with each Unicode release. Slack writes skin tones as a
separate `:skin-tone-2:` … `:skin-tone-6:` code after the emoji; those map to the five Fitzpatrick
modifiers U+1F3FB … U+1F3FF (Unicode TR51, "Emoji Modifiers").
"""

from __future__ import annotations

from functools import cache

import emoji

SKIN_TONES = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}


@cache
def shortcodes() -> dict[str, str]:
    """{"palm_tree": "🌴", "+1": "👍", …}: every name and alias, without the colons."""
    table: dict[str, str] = {}
    for char, data in emoji.EMOJI_DATA.items():
        for name in (data["en"], *data.get("alias", ())):
            table.setdefault(name.strip(":"), char)
    table.update(SKIN_TONES)
    return table

