"""Time spent, written at the end of a sentence: ``/helped @priya debugged the staging deploy 45m``.

Pure: no I/O, no clock. :func:`split_duration` cuts a trailing duration off free text and reads it in minutes.
What it reads (hours and minutes only; amounts in digits, or the number words of
:mod:`bot.parsing.timebase`):

  ``45m`` ``45 min`` ``45 mins`` ``90 minutes``     minutes
  ``1h`` ``2 hrs`` ``1.5h`` ``1,5 hours`` ``an hour``  hours (a decimal part is a part of an hour)
  ``1h30`` ``1h 30m`` ``1 hour 30 minutes`` ``1 hour and 15 minutes`` ``an hour and a half``

It may stand in brackets (``[30m]``, ``(1h)``) and after "for" or "took" ("… for 45m": the "for" goes with it).
A last word that starts like an amount but is not one of these (``45x``, ``1h99``, ``3 days``, ``45``: a bare
number says no unit) raises :class:`bot.errors.InvalidInput` naming it and showing what works, and so does a
duration of nothing or of more than :data:`MAX_MINUTES`. Text without a trailing amount has no duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import InvalidInput

from .timebase import NUM_ALT, num

MAX_MINUTES = 12 * 60
"""The longest single piece of help recorded at once: a working day and then some. Longer help is logged per day
(a week-long pairing is five entries), which keeps one mistyped figure from dwarfing everyone's tasks in reports."""
EXAMPLES = "`45m`, `1h`, `1h30` or `90 min`"

_F = re.IGNORECASE
_AMOUNT = rf"(?P<amt>\d{{1,4}}(?:[.,]\d{{1,2}})?|{NUM_ALT})"
_HOURS = r"(?:h|hrs?|hours?)"
_MINUTES = r"(?:m|mins?|minutes?)"
_DURATION = re.compile(
    r"(?:^|(?<=\s)|(?<=[(\[]))"
    r"(?P<lead>(?:(?:for|took|spent)\s+)?(?:about\s+|around\s+|roughly\s+|~\s*)?)"
    r"(?P<open>[(\[]\s*)?"
    + _AMOUNT + r"\s*(?P<unit>" + _HOURS + "|" + _MINUTES + r")"
    r"(?:(?P<half>\s+and\s+a\s+half)"
    r"|(?:\s*,?\s+and\s+|\s*)(?P<more>[0-5]?\d)\s*" + _MINUTES + r"?)?"
    r"\s*(?(open)[)\]])\s*[.!]?\s*$",
    _F,
)
# A last word that starts like an amount of time: digits, or a number word followed by a unit-like word.
_LOOKS_LIKE = re.compile(r"(?:^|\s)[(\[]?(?P<said>\d[\w.,:]*(?:\s+[a-z]{1,12})?)[)\]]?\s*[.!]?\s*$", _F)
_UNIT_WORD = re.compile(r"^(?:h|hrs?|hours?|m|mins?|minutes?|d|days?|wks?|weeks?|s|secs?|seconds?)$", _F)


@dataclass(frozen=True)
class Split:
    """Free text and the time spent written at its end: ``what`` (the text without it, trimmed) and
    ``minutes`` (None when no duration was written)."""

    what: str
    minutes: int | None


def _amount(raw: str) -> float:
    raw = raw.strip().lower()
    if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
        return float(raw.replace(",", "."))
    return float(num(raw))


def _unreadable(said: str) -> InvalidInput:
    shown = " ".join(said.split())[:30]
    return InvalidInput(f"I couldn't read `{shown}` as time spent. Write it like {EXAMPLES} at the end, or leave it out.")


def split_duration(text: str) -> Split:
    """Cut the trailing duration off ``text`` (module doc for what is read). Returns the rest of the text and the
    minutes (rounded to whole minutes), or ``minutes=None`` when the text ends with no amount of time.

    Raises InvalidInput for a last word that looks like an amount but cannot be read (``45x``, ``1h99``, ``2
    days``, a bare ``45``), for zero minutes and for more than :data:`MAX_MINUTES`."""
    text = (text or "").rstrip()
    m = _DURATION.search(text)
    if m is not None:
        hours = _HOURS_RE.fullmatch(m["unit"]) is not None
        amount = _amount(m["amt"])
        minutes = amount * 60 if hours else amount
        if m["half"]:
            minutes += 30 if hours else 0.5
        if m["more"]:
            if not hours:
                raise _unreadable(text[m.start("amt"):])
            minutes += int(m["more"])
        total = round(minutes)
        if total <= 0:
            raise InvalidInput(f"`{text[m.start('amt'):].strip()[:30]}` is no time at all. Write how long it took, like "
                               f"{EXAMPLES}, or leave it out.")
        if total > MAX_MINUTES:
            raise InvalidInput(f"That's more than {MAX_MINUTES // 60} hours at once. Log longer help one day at a time "
                               f"(like `/helped @priya paired on the migration 6h`).")
        return Split(text[:m.start()].rstrip(" \t\n,;:-\u2013\u2014"), total)
    looks = _LOOKS_LIKE.search(text)
    if looks is not None:
        said = looks["said"]
        words = said.split()
        unit_like = len(words) == 2 and _UNIT_WORD.match(words[1]) is not None
        glued = re.fullmatch(r"\d[\d.,:]*", words[0]) is None  # "45x", "1h99", "2d"
        if len(words) == 1 and (glued or re.fullmatch(r"\d+", words[0])):
            raise _unreadable(said)
        if unit_like:  # "3 days", "20 secs": a unit, but not one help is counted in
            raise _unreadable(said)
    return Split(text.strip(), None)


_HOURS_RE = re.compile(_HOURS, _F)
