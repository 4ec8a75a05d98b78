"""Clock times as people write them: "3pm", "15:30", "17.30 Uhr", "3h18", "a quarter past 1pm",
"twenty after 3", "ten thirty am", "3:20 in the afternoon", "at 8 in the evening", "noon", "à midi",
"Thursday 8:00 PST".

One rule for a 12-hour time said without am/pm, with or without minutes ("at 3", "at 3:30"): the hit
is ``ambiguous`` and ``at`` holds the working-hours reading (``working_hours``); ``dates.resolve_when``
then picks the next plausible occurrence (working hours for a task, the next time the clock shows it
for a reminder). A part of day said with the time ("in the evening", "tonight", "this morning")
settles it. A leading zero, an hour of 13-23 or 0, "h" or "Uhr" (French/German) are the 24-hour clock.
"""

from __future__ import annotations

import re
from datetime import time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from .timebase import (
    DIGIT,
    HOUR_WORDS,
    HOUR_WORDS_ALT,
    MINUTE_WORDS_ALT,
    TPRE,
    Ctx,
    Hit,
    Rule,
    minute_word_value,
    norm_pre,
)

_F = re.IGNORECASE

# Time zones named after a time. An abbreviation that names an offset is that offset ("PST" is
# UTC-8, "BST" UTC+1, "CET" UTC+1), as written; the generic US names ("PT", "ET", "CT", "MT") follow
# the region's daylight saving. Lowercase is accepted only where it is not also a word ("est", "ist",
# "et", "pt" ... are words in es/fr/de/pt): those count lowercase only right after am/pm ("9:30pm ist").
def _fixed(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    h, m = divmod(int(abs(hours) * 60), 60)
    return f"{sign}{h:02d}:{m:02d}"


ZONES: dict[str, str] = {
    "UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00",
    "PST": _fixed(-8), "PDT": _fixed(-7), "PT": "America/Los_Angeles",
    "MST": _fixed(-7), "MDT": _fixed(-6), "MT": "America/Denver",
    "CST": _fixed(-6), "CDT": _fixed(-5), "CT": "America/Chicago",
    "EST": _fixed(-5), "EDT": _fixed(-4), "ET": "America/New_York",
    "BST": _fixed(1), "WET": _fixed(0), "WEST": _fixed(1), "CET": _fixed(1), "CEST": _fixed(2),
    "EET": _fixed(2), "EEST": _fixed(3), "IST": _fixed(5.5), "SGT": _fixed(8), "HKT": _fixed(8),
    "JST": _fixed(9), "KST": _fixed(9), "AEST": _fixed(10), "AEDT": _fixed(11), "NZST": _fixed(12),
    "NZDT": _fixed(13),
}  # fmt: skip


def zone_named(abbreviation: str) -> tzinfo:
    """The zone of an abbreviation in ``ZONES`` (a fixed offset, or an IANA zone)."""
    value = ZONES[abbreviation.upper()]
    if value[0] in "+-":
        sign = -1 if value[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(value[1:3]), minutes=int(value[4:6])), abbreviation.upper())
    return ZoneInfo(value)


_LOWERCASE_OK = {"utc", "gmt", "pst", "pdt", "cest", "cet", "bst", "jst", "aest", "aedt", "edt", "cdt", "mdt",
                 "sgt", "hkt", "kst", "nzst", "nzdt", "eest"}  # fmt: skip
_ZONE_ALT = "|".join(sorted((z for z in ZONES if z != "Z"), key=len, reverse=True))

_AMPM = (
    r"(?:\s*(?P<ap>[ap])\.?\s?m\b\.?|(?<=\d)(?P<ap1>[ap])\.?(?!\w)|\s+in\s+the\s+(?P<ap2>am|pm)\b)"
)
_ISH = r"(?:\s*-?ish\b)?"
_POD = r"(?:\s+(?:in\s+(?:the\s+)?(?P<pod>morning|afternoon|evening|night)\b|at\s+(?P<pod2>night)\b))?"
_APPROX = r"(?:\s+(?:approximately|approx\.?|or\s+so)\b)?"
_ZONE = rf"(?:\s*\(?(?P<tz>{_ZONE_ALT})\b\)?)?"
_HOUR = rf"(?P<h>\d{{1,2}}|{HOUR_WORDS_ALT})"
# what a bare number after "at" must not be followed by ("at 3 people", "at 50%", "at 2 hours")
_NOT_A_TIME = (
    r"(?!\s*(?:%|percent|people|persons?|users|items|tasks|bugs|tickets|points?|times|of\b|hours?|hrs?|h\b|mins?"
    r"|minutes?|days?|weeks?|months?|years?|k\b|x\b|-\s*\d)|[:./\d])"
)


def working_hours(hour: int) -> int:
    """The working-hours reading of a 12-hour clock hour said without am/pm.

    1-6 -> afternoon (13-18), 7-11 -> morning, 12 -> noon: "at 3" is 15:00, "at 9:30" 09:30.
    """
    return hour + 12 if 1 <= hour <= 6 else hour % 24


def _hour_of(s: str) -> int:
    s = s.lower()
    return HOUR_WORDS[s] if s in HOUR_WORDS else int(s)


def _group(m: re.Match[str], *names: str) -> str | None:
    for n in names:
        if n in m.re.groupindex and m[n]:
            return m[n]
    return None


def _zone(m: re.Match[str], ap: str | None) -> tuple[tzinfo | None, bool]:
    """(the named zone, whether the word after the time is a zone at all)."""
    word = _group(m, "tz")
    if word is None:
        return None, True
    if word.isupper() or word.lower() in _LOWERCASE_OK or ap:
        return zone_named(word), True
    return None, False


def _settle(h: int, mi: int, ap: str | None, pod: str | None, literal: bool) -> tuple[time, bool] | None:
    """(clock time, ambiguous) from an hour as said, its am/pm or part of day."""
    if mi > 59 or h > 23:
        return None
    if ap:
        if not 1 <= h <= 12:
            return None
        return time(h % 12 + (12 if ap.lower().startswith("p") else 0), mi), False
    if pod:
        if h > 12:
            return time(h, mi), False
        if pod.lower() == "morning":
            return time(h % 12, mi), False
        return time(h % 12 + 12, mi), False
    if literal or h == 0 or h >= 13:
        return time(h, mi), False
    return time(working_hours(h), mi), True


def _hit(m: re.Match[str], at_amb: tuple[time, bool] | None, ap: str | None, *, end: int | None = None) -> Hit | None:
    if at_amb is None:
        return None
    zone, is_zone = _zone(m, ap)
    if not is_zone:  # "... a las 3 est" (Spanish "is"): keep the time, leave the word
        end = m.start("tz")
        while end > m.start() and m.string[end - 1] in " (":
            end -= 1
    at, ambiguous = at_amb
    return Hit(m.start(), end if end is not None else m.end(), "time", at=at, ambiguous=ambiguous, zone=zone,
               prefix=norm_pre(_group(m, "pre")))


def _ap(m: re.Match[str]) -> str | None:
    return _group(m, "ap", "ap1", "ap2")


def _pod(m: re.Match[str]) -> str | None:
    return _group(m, "pod", "pod2", "pod0")


def _h_clock(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """H:MM, H.MM, HhMM (with seconds, am/pm, a part of day, a zone)."""
    ap, sep = _ap(m), m["sep"].lower()
    if sep == "." and not (m["pre"] or ap or m["uhr"] or _pod(m) or m["tz"]):
        return None  # "2.5", "v1.10": only "at 17.30", "17.30 Uhr", "5.30pm" are times
    literal = sep == "h" or bool(m["uhr"]) or m["h"].startswith("0")
    return _hit(m, _settle(int(m["h"]), int(m["m"]), ap, _pod(m), literal), ap)


def _h_compact(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"at 1030", "330 p.m.", "at 730 in the evening", "150ish"."""
    ap, pre = _ap(m), norm_pre(m["pre"])
    if not (ap or _pod(m) or m["ish"] or pre in ("at", "around", "about", "approximately", "approx.", "@")):
        return None
    digits = m["hm"]
    h, mi = int(digits[:-2]), int(digits[-2:])
    return _hit(m, _settle(h, mi, ap, _pod(m), digits.startswith("0")), ap)


def _h_hour_ampm(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"3pm", "3 p.m.", "3ish pm", "ten thirty am", "3 in the AM"."""
    ap = _ap(m)
    mi = minute_word_value(m["mw"]) if m["mw"] else 0
    return _hit(m, _settle(_hour_of(m["h"]), mi, ap, None, False), ap)


def _h_oclock(m: re.Match[str], ctx: Ctx) -> Hit | None:
    ap = _ap(m)
    return _hit(m, _settle(_hour_of(m["h"]), 0, ap, _pod(m), False), ap)


def _h_unit(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"15 Uhr", "16h", "8h GMT" (24-hour clock)."""
    h = int(m["h"])
    if m["unit"].lower() == "h" and not (m["pre"] or m["tz"] or h >= 13):
        return None  # "8h" alone is a duration
    return _hit(m, _settle(h, 0, None, None, True), None)


def _h_at(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"at 3", "@ 3", "at three", "at 3 15", "at three twenty", "in the evening at eight"."""
    if m["mm"]:
        mi = int(m["mm"])
    elif m["mw"]:
        mi = minute_word_value(m["mw"])
    else:
        mi = 0
    hit = _hit(m, _settle(_hour_of(m["h"]), mi, None, _pod(m), False), None)
    if hit is not None:
        hit.prefix = "at"
    return hit


def _h_before_day(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"9 tomorrow", "8 tonight", "eight this evening": the day's part of day settles it later."""
    return _hit(m, _settle(_hour_of(m["h"]), 0, None, None, False), None)


def _h_relative(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"a quarter past 3pm", "twenty after 3", "half past three", "a quarter to noon", "15 to noon"."""
    q = m["q"].lower()
    if q.endswith("quarter"):
        offset = 15
    elif q == "half":
        offset = 30
    else:
        n = m["qn"]
        offset = _hour_of(n) if n.isdecimal() or n.lower() in HOUR_WORDS else minute_word_value(n)
    if not 1 <= offset <= 59:
        return None
    rel = m["rel"].lower()
    if rel == "from" and "min" not in q:
        return None  # only "15 minutes from 1pm"
    base_word = m["bh"].lower()
    ap, pod = _ap(m), _pod(m)
    if base_word in ("noon", "midday"):
        base: tuple[time, bool] | None = (time(12, 0), False)
    elif base_word == "midnight":
        base = (time(0, 0), False)
    else:
        if rel != "past" and not (m["pre"] or ap or pod or "quarter" in q or "min" in q or q == "half"):
            return None  # "pages one to three" is not 2:59
        base = _settle(_hour_of(base_word), 0, ap, pod, bool(m["bhh"]))
    if base is None:
        return None
    at, ambiguous = base
    minutes = at.hour * 60 + at.minute + (offset if rel in ("past", "after", "from") else -offset)
    minutes %= 24 * 60
    return _hit(m, (time(minutes // 60, minutes % 60), ambiguous), ap)


def _h_half(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """British "half three" = 3:30."""
    return _hit(m, _settle(_hour_of(m["h"]), 30, None, None, False), None)


def _h_noon(m: re.Match[str], ctx: Ctx) -> Hit | None:
    w = m["w"].lower()
    if w in ("midnight", "minuit", "medianoche", "mitternacht", "mezzanotte") or w.startswith("meia"):
        # a deadline "by midnight" is the end of that day; a reminder moves it to the coming 00:00
        return Hit(m.start(), m.end(), "time", at=time(23, 59), midnight=True, prefix=norm_pre(m["pre"]))
    return Hit(m.start(), m.end(), "time", at=time(12, 0), prefix=norm_pre(m["pre"]))


LUNCH_TIMES = {"after": time(13, 0), "before": time(11, 30)}
""""after lunch" and "before lunch"; "at lunch", "over lunch" and "by lunch" are noon."""


def _h_lunch(m: re.Match[str], ctx: Ctx) -> Hit | None:
    rel = m["rel"].lower()
    return Hit(m.start(), m.end(), "time", at=LUNCH_TIMES.get(rel, time(12, 0)), prefix="by" if rel == "by" else "")


def _h_eod(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "time", at=ctx.end_of_day, eod=True, prefix=norm_pre(m["pre"]))


_DAY_AFTER = r"(?=\s+(?:tonight|today|tomorrow|this\s+(?:morning|afternoon|evening)))"
_FOREIGN_NOON = r"midi|minuit|mediod[ií]a|medianoche|mittag|mitternacht|mezzogiorno|mezzanotte|meio[-\s]dia|meia[-\s]noite"

TIME_RULES: list[Rule] = [
    (
        re.compile(
            TPRE + r"(?<![\d:/.])(?P<q>a\s+quarter|quarter|half|(?P<qn>\d{1,2}|" + MINUTE_WORDS_ALT + "|"
            + HOUR_WORDS_ALT + r")(?:\s+min(?:ute)?s?)?)\s+(?P<rel>past|after|to|from)\s+(?P<bh>noon|midday|midnight|\d{1,2}|"
            + HOUR_WORDS_ALT + r")(?P<bhh>h)?(?![\d:])(?:\s*o['’]?\s*clock)?" + _AMPM + "?" + _POD + _ZONE,
            _F,
        ),
        _h_relative,
        frozenset({"past", "after", "to", "from"}),
    ),
    (
        re.compile(
            TPRE + r"(?<![\d:/.])(?P<h>[01]?\d|2[0-3])(?P<sep>[:.]|h)(?P<m>[0-5]\d)(?::[0-5]\d)?(?![\d:]|\.\d)"
            r"(?P<uhr>\s*(?:uhr|h)\b)?" + _ISH + _AMPM + "?" + _POD + _APPROX + _ZONE,
            _F,
        ),
        _h_clock,
        DIGIT,
    ),
    (
        re.compile(
            TPRE + r"(?<![\d:/.,])(?P<hm>\d{3,4})(?![\d:/.,])(?P<ish>\s*-?ish\b)?" + _AMPM + "?" + _POD + _ZONE, _F
        ),
        _h_compact,
        DIGIT,
    ),
    (
        re.compile(
            TPRE + r"(?<![\d:/.])" + _HOUR + r"(?:[\s-]+(?P<mw>" + MINUTE_WORDS_ALT + r"))?" + _ISH + _AMPM
            + _APPROX + _ZONE,
            _F,
        ),
        _h_hour_ampm,
        frozenset({"#", "am", "pm", "a", "p", "m"}),
    ),
    (
        re.compile(TPRE + _HOUR + r"\s*(?:o['’]?\s*clock|oclock)\b" + _AMPM + "?" + _POD + _ZONE, _F),
        _h_oclock,
        frozenset({"clock", "oclock"}),
    ),
    (
        re.compile(
            TPRE + r"(?<![\d:/.])" + _HOUR + r"\s+(?:in\s+the\s+(?P<pod>morning|afternoon|evening)|at\s+(?P<pod2>night))\b"
            + _ZONE,
            _F,
        ),
        _h_oclock,
        frozenset({"morning", "afternoon", "evening", "night"}),
    ),
    (
        re.compile(TPRE + r"(?<![\d:/.])(?P<h>\d{1,2})\s*(?P<unit>uhr|h)\b" + _ZONE, _F),
        _h_unit,
        DIGIT,
    ),
    (
        re.compile(
            r"(?:(?:early\s+(?:in\s+the\s+)?|in\s+the\s+)(?P<pod0>morning|afternoon|evening)\s*)?"
            r"(?P<pre>(?:\b(?:at|a\s+las|a\s+la|um|alle|às|à)\s+(?:about\s+|around\s+)?|@\s*))" + _HOUR
            + r"\b(?:\s+(?P<mm>[0-5]\d)\b(?![:./])|[\s-]+(?P<mw>" + MINUTE_WORDS_ALT + r")\b)?" + _NOT_A_TIME + _POD
            + _ZONE,
            _F,
        ),
        _h_at,
        frozenset({"at", "las", "la", "um", "alle", "às", "à", "#"}),
    ),
    (
        re.compile(r"(?<![\w:/.])(?P<h>(?:1[0-2]|0?[1-9])|" + HOUR_WORDS_ALT + r")" + _DAY_AFTER, _F),
        _h_before_day,
        frozenset({"tonight", "today", "tomorrow", "this"}),
    ),
    (
        re.compile(TPRE + r"\bhalf\s+" + _HOUR + r"\b(?!\s*(?:past|hours?|an?\b|days?|of\b|the\b|[:.]\d))", _F),
        _h_half,
        frozenset({"half"}),
    ),
    (
        re.compile(TPRE + r"(?:\b12\s+)?(?:\bthe\s+)?\b(?P<w>noon|midday|mid\s+day|midnight)\b", _F),
        _h_noon,
        frozenset({"noon", "midday", "mid", "midnight"}),
    ),
    (
        re.compile(
            r"(?P<pre>)\b(?:(?:à|a|al|ao|um|zu|alle|à\s+la|a\s+la)\s+)(?P<w>" + _FOREIGN_NOON + r")\b|(?P<w2>mittags)\b",
            _F,
        ),
        lambda m, ctx: _h_noon_foreign(m),
        frozenset({"midi", "minuit", "mediodía", "mediodia", "medianoche", "mittag", "mitternacht", "mezzogiorno",
                   "mezzanotte", "meio", "meia", "mittags"}),
    ),
    (
        # only with a word that makes it a time: "book lunch with Acme" is a task about lunch
        re.compile(r"\b(?P<rel>after|before|at|over|by)\s+(?:(?:the|my|our)\s+)?lunch(?:\s*time|\s+break)?\b", _F),
        _h_lunch,
        frozenset({"lunch", "lunchtime"}),
    ),
    (
        re.compile(
            TPRE + r"\b(?:eod|cob|eob|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day"
            r"|close\s+of\s+(?:business|play)|end\s+of\s+(?:today|play))\b",
            _F,
        ),
        _h_eod,
        frozenset({"eod", "cob", "eob", "end", "close"}),
    ),
]


def _h_noon_foreign(m: re.Match[str]) -> Hit:
    w = (m["w"] or m["w2"]).lower()
    if w in ("minuit", "medianoche", "mitternacht", "mezzanotte") or w.startswith("meia"):
        return Hit(m.start(), m.end(), "time", at=time(23, 59), midnight=True)
    return Hit(m.start(), m.end(), "time", at=time(12, 0))
