"""Thanks to a teammate in a standup reply: "thanks <@U…> for untangling the staging deploy".

Pure: no I/O, no clock. :func:`find_thanks` finds each person thanked *for something* in Slack text ("thanks",
"thank you", "thx", "ty", "shout-out to", "kudos to", "big thanks to", then the person's mention, then "for" and
what they did, to the end of the sentence). What follows "for" may end with the time it took ("… for pairing
on the migration 1h": :mod:`bot.parsing.durations`); a time that cannot be read is left in the words. Thanks
without a "for" ("thanks @sam!") name nothing that was done and are not found; nor is the author thanking
themselves or thanking Steward, and each person is found once per message (the first reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import slack_markup as markup
from bot.errors import InvalidInput

from .durations import split_duration

WHAT_MAX = 300
"""Longest reason kept from a thanks (characters of the stored form): a sentence, not a paragraph."""

_F = re.IGNORECASE
_WORD = r"(?:thanks|thank\s+you|thx|ty|cheers|shout[-\s]?outs?|kudos)"
# Where one reason ends: the end of its sentence, or the next thanks ("… and thanks @diego for …").
_NEXT = r"(?!\s*,?\s*(?:and\s+|also\s+)?(?:big\s+|huge\s+|many\s+|special\s+)?" + _WORD + r"\b)"
_THANKS = re.compile(
    r"(?:\b(?:big\s+|huge\s+|many\s+|special\s+)?" + _WORD +
    r"(?:\s+(?:again|so\s+much|a\s+lot))?(?:\s+(?:to|@))?\s*[,:]?\s*)"
    r"(?P<mention><@(?P<user>[UW][A-Z0-9]+)(?:\|[^<>]*)?>)"
    r"\s*[,:]?\s*(?:\s+(?:so\s+much|a\s+lot|again))?\s*\bfor\s+(?P<what>(?:" + _NEXT + r"(?:[^\n.!?;]|\.(?=\d)))+)",
    _F,
)


@dataclass(frozen=True)
class Thanks:
    """One person thanked for something: their Slack id, what for (stored form), and the minutes it took if the
    reason ended with a duration (else None)."""

    slack_id: str
    what: str
    minutes: int | None


def find_thanks(text: str, *, author: str | None = None, bot_user_id: str | None = None) -> list[Thanks]:
    """Each person thanked for something in ``text`` (Slack markup), once each, in order (module doc).
    ``author`` and ``bot_user_id`` are never found (one cannot credit oneself, nor Steward)."""
    found: list[Thanks] = []
    seen = {author, bot_user_id}
    for m in _THANKS.finditer(text or ""):
        slack_id = m["user"]
        if slack_id in seen:
            continue
        what = m["what"].strip(" \t,:-\u2013\u2014")
        minutes: int | None = None
        try:
            split = split_duration(what)
            what, minutes = split.what, split.minutes
        except InvalidInput:
            minutes = None  # "for the 45x…": keep the words as written, no time
        stored = markup.store(" ".join(what.split()), limit=WHAT_MAX)
        if not markup.read(stored).plain.strip():
            continue
        seen.add(slack_id)
        found.append(Thanks(slack_id, stored, minutes))
    return found
