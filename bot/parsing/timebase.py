"""What the date and clock rules share: the context a phrase is read in, the hits they produce,
the English vocabulary, calendar arithmetic and the scanner that runs a list of rules.

Pure: nothing here reads a clock; ``Ctx.now`` is the only "now".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

_F = re.IGNORECASE

# ---------------------------------------------------------------------------------------------
# context & hits


@dataclass(frozen=True, slots=True)
class Ctx:
    now: datetime  # aware, in ``zone``
    zone: ZoneInfo
    tz: str
    date_order: str = "MDY"
    end_of_day: time = time(17, 0)
    past_intent: bool = False  # the text talks about the past ("was due", "I was out")

    @property
    def today(self) -> date:
        return self.now.date()


def make_ctx(
    now: datetime, tz: str, date_order: str = "MDY", end_of_day: time = time(17, 0), past_intent: bool = False
) -> Ctx:
    """The reading context: ``now`` (aware, any zone) seen in the IANA zone ``tz``.

    ``date_order`` is "MDY" (3/4 = 4 March) or "DMY" (3/4 = 3 April). Raises ValueError for a
    naive ``now`` or another order.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if date_order not in ("MDY", "DMY"):
        raise ValueError(f"date_order must be 'MDY' or 'DMY', not {date_order!r}")
    zone = zone_of(tz)
    return Ctx(now.astimezone(zone), zone, tz, date_order, end_of_day, past_intent)


@lru_cache(maxsize=128)
def zone_of(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


@dataclass(slots=True)
class Hit:
    start: int
    end: int
    kind: str  # "date" | "time" | "instant"
    day: date | None = None
    at: time | None = None  # clock time (explicit, or from a part of day)
    instant: datetime | None = None  # an exact moment ("in 2 hours")
    prefix: str = ""  # the connector that introduced it: by / on / until / from / due ...
    explicit_past: bool = False  # yesterday, last Friday, a past date with a year, past intent
    relative_today: bool = False  # "today"/"tonight"/"this morning"
    weekday: bool = False  # resolved from a weekday name
    yearless: bool = False  # a calendar date without a year (range roll-over)
    range_end: date | None = None  # next week -> its Friday, weekend -> Sunday, next month -> last day
    eod: bool = False
    pod: bool = False  # ``at`` comes from a part of day (morning=9:00), not a clock time
    # a 12-hour clock time said without am/pm ("at 3:30"): ``at`` is the working-hours reading
    # (see clock.working_hours); the other reading is 12 hours away
    ambiguous: bool = False
    midnight: bool = False  # "midnight": 23:59 as a deadline, the coming 00:00 for a reminder
    zone: tzinfo | None = None  # a time zone named with the time ("8:00 PST")
    # a span from now in whole days or more ("in 3 days", "a week hence"): a reminder keeps the clock
    # time of now; a due date is that day
    same_time: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# vocabulary

WEEKDAYS = {
    "monday": 0, "mon": 0,
    "tuesday": 1, "tue": 1, "tues": 1,
    "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
RISKY_WD = {"sat", "sun", "wed"}  # ordinary words too: they need a connector ("on sat") or a dot ("sat.")
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "a couple": 2,
    "couple of": 2, "a couple of": 2, "few": 3, "a few": 3, "a pair of": 2, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
    "several": 3,
}  # fmt: skip
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen")  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30,
}  # fmt: skip
for _u, _n in zip(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"),
                  range(1, 10), strict=True):
    ORDINAL_WORDS[f"twenty-{_u}"] = ORDINAL_WORDS[f"twenty {_u}"] = 20 + _n
ORDINAL_WORDS["thirty-first"] = ORDINAL_WORDS["thirty first"] = 31
PARTS_OF_DAY = {
    "morning": time(9, 0), "noon": time(12, 0), "midday": time(12, 0), "lunch": time(12, 0),
    "lunchtime": time(12, 0), "afternoon": time(14, 0), "evening": time(18, 0), "night": time(20, 0),
    "tonight": time(20, 0),
}  # fmt: skip

WD_ALT = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
MON_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
NUM_ALT = (
    r"\d+|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+pair\s+of|a\s+few|few|several|an?|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty|forty[-\s]five|forty|sixty|ninety"
)
ORD_ALT = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in ORDINAL_WORDS), key=len, reverse=True))
POD_ALT = r"morning|afternoon|evening|night|noon|midday|lunch(?:time)?"
# 1-59 in words ("twenty-three", "oh five", "fifteen"), for clock times said in words
MINUTE_WORDS_ALT = (
    r"(?:(?:oh|o|zero)[\s-]+(?:" + "|".join(_UNITS) + r")|(?:" + "|".join(_TENS) + r")(?:[\s-]+(?:"
    + "|".join(_UNITS) + r"))?|" + "|".join(_TEENS) + ")"
)
HOUR_WORDS = {w: i + 1 for i, w in enumerate((*_UNITS, "ten", "eleven", "twelve"))}
HOUR_WORDS_ALT = "|".join(sorted(HOUR_WORDS, key=len, reverse=True))

# optional connector in front of a date phrase ("by", "due on", "was due", "no later than" ...)
PRE = (
    r"(?P<pre>(?:\b(?:which\s+|that\s+|it\s+)?(?:(?:was|were|is|are|it's|its)\s+)?"
    r"(?:past\s+due|overdue|due(?:\s+date)?|deadline(?:\s+is)?)\s*(?::\s*)?(?:(?:on|by|since)\s+)?"
    r"|\b(?:by|on|before|until|till|til|through|thru|for|from|starting|no\s+later\s+than|latest\s+by"
    r"|sometime|this\s+coming|around)\s+)?)"
)
# optional connector in front of a clock time
TPRE = (
    r"(?P<pre>(?:(?<!\w)(?:(?:at|for)\s+(?:about|around|approximately|approx\.?)|at|by|before|around|about|after"
    r"|until|till|from|for|approximately|approx\.?|à|a\s+las|a\s+la|um|alle|às|bis|ab)\s+|@\s*)?)"
)
END = r"(?!['’]s\b)"  # "Friday's meeting" is not a due date


def minute_word_value(s: str) -> int:
    """1-59 from words: "oh five" -> 5, "twenty-three" -> 23, "fifteen" -> 15."""
    words = re.split(r"[\s-]+", s.lower().strip())
    if words[0] in ("oh", "o", "zero"):
        words = words[1:]
    total = 0
    for w in words:
        if w in _TENS:
            total += _TENS[w]
        elif w in _TEENS:
            total += 10 + _TEENS.index(w)
        else:
            total += _UNITS.index(w) + 1
    return total


def num(s: str) -> int:
    s = re.sub(r"[\s-]+", " ", s.lower().strip())
    return int(s) if s.isdecimal() else NUMBER_WORDS[s]


def ordinal_value(s: str) -> int:
    """3 from "3rd", "3" or "third"."""
    s = re.sub(r"\s+", " ", s.lower().strip())
    if s in ORDINAL_WORDS:
        return ORDINAL_WORDS[s]
    return int(re.sub(r"(?:st|nd|rd|th)$", "", s))


def valid(y: int, m: int, d: int) -> date | None:
    if 1 <= m <= 12 and 1 <= y <= 9999 and 1 <= d <= calendar.monthrange(y, m)[1]:
        return date(y, m, d)
    return None


def yearless(ctx: Ctx, m: int, d: int) -> date | None:
    """This year's date, or next year's when it is already past (unless the text is about the past)."""
    y = ctx.today.year
    cand = valid(y, m, d)
    if cand is None and m == 2 and d == 29:  # next leap year
        for yy in range(y + 1, y + 5):
            if (cand := valid(yy, m, d)) is not None:
                return cand
    if cand is None:
        return None
    if cand < ctx.today and not ctx.past_intent:
        return valid(y + 1, m, d) or cand
    return cand


def next_weekday(today: date, wd: int, include_today: bool = True) -> date:
    delta = (wd - today.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today + timedelta(days=delta)


def prev_weekday(today: date, wd: int, include_today: bool = True) -> date:
    delta = (today.weekday() - wd) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today - timedelta(days=delta)


def after(a: datetime, b: datetime) -> bool:
    """Whether the instant ``a`` comes after ``b`` (both aware) on the real time line.

    Python compares two datetimes that share a tzinfo by their wall clocks alone, ignoring ``fold``: in New
    York 01:30 EST (the second 01:30 of the autumn change) would not count as after 01:30 EDT, an hour
    earlier. Comparing in UTC counts the elapsed time."""
    return a.astimezone(UTC) > b.astimezone(UTC)


def elapsed(start: datetime, delta: timedelta, zone: tzinfo) -> datetime:
    """``delta`` of real time after ``start`` (aware), on the clock of ``zone``: "in 1 hour" said at 01:30 EDT
    on the night clocks go back is 01:30 EST, and said at 01:30 EST on the spring night, 03:30 EDT. Adding a
    timedelta to a zoned datetime would move its wall clock instead."""
    return (start.astimezone(UTC) + delta).astimezone(zone)


def monday_of_next_week(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def next_week_weekday(today: date, wd: int) -> date:
    """"next Friday" in every language: that day in next (Monday-based) week.

    Said on Tuesday 3 March, "next Friday" is Friday 13 March and "Friday" is the 6th; said on a
    Sunday, "next Monday" is the day after. The convention of Duckling's English corpus.
    """
    return monday_of_next_week(today) + timedelta(days=wd)


def friday_of_week(today: date) -> date:
    """This week's Friday; on a weekend, the coming one."""
    if today.weekday() <= 4:
        return today + timedelta(days=4 - today.weekday())
    return next_weekday(today, 4)


def last_day_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def nth_weekday_of_month(year: int, month: int, wd: int, n: int) -> date | None:
    """The ``n``-th (1-5, or -1 for the last) weekday ``wd`` of a month; None when there is none."""
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if date(year, month, d).weekday() == wd]
    if n == -1:
        return date(year, month, days[-1])
    return date(year, month, days[n - 1]) if n <= len(days) else None


# ---------------------------------------------------------------------------------------------
# the scanner

Handler = Callable[[re.Match[str], Ctx], "Hit | None"]
Rule = tuple[re.Pattern[str], Handler, frozenset[str]]
DIGIT = frozenset({"#"})  # the rule needs a digit somewhere in the text
_WORDS = re.compile(r"[^\W\d_]+|\d")


def norm_pre(pre: str | None) -> str:
    if not pre:
        return ""
    words = pre.lower().split()
    if not words:
        return ""
    if any(w.startswith(("due", "overdue", "deadline")) for w in words):
        return "due"
    return words[-1] if words[-1] not in ("coming",) else "this"


def overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def features(text: str) -> frozenset[str]:
    """Lowercase words of the text, plus "#" when it has a digit: a cheap pre-filter for the rules."""
    words = set(_WORDS.findall(text.lower()))
    if any(w.isdigit() for w in words):
        words.add("#")
    return frozenset(words)


def scan(
    text: str, rules: list[Rule], ctx: Ctx, taken: list[tuple[int, int]], feats: frozenset[str] | None = None
) -> list[Hit]:
    """Run ``rules`` in order over ``text``; a match overlapping an earlier hit (or ``taken``) is skipped.

    The spans of the hits are appended to ``taken``. Hits come back sorted by position.
    """
    hits: list[Hit] = []
    feats = feats if feats is not None else features(text)
    for rx, handler, needs in rules:
        if feats.isdisjoint(needs):
            continue
        pos = 0
        while (m := rx.search(text, pos)) is not None:
            if m.end() == m.start() or overlaps(taken, m.start(), m.end()):
                # a phrase overlapping one already read may hold a shorter one further in
                # ("this morning @ 10": the clock rule's "morning @ 10" yields "@ 10")
                pos = m.start() + 1
                continue
            pos = m.end()
            h = handler(m, ctx)
            if h is None:
                continue
            if not h.prefix and "pre" in rx.groupindex:
                h.prefix = norm_pre(m["pre"])
            taken.append((h.start, h.end))
            hits.append(h)
    hits.sort(key=lambda h: h.start)
    return hits
