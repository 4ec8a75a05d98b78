"""Date/time phrase detection.

English phrases are handled by the compiled rules below (fast, deterministic, and free of
dateparser's English false positives such as "Sun", "may" or "second"). Phrases in es/fr/de/pt/it
are detected with a cheap vocabulary gate built from dateparser's own locale data, then resolved
with ``dateparser.search.search_dates`` (languages limited to the gated ones) or, where dateparser
is weak ("la semana que viene", "pasado mañana", a weekday that is today), with a small table.

Everything is relative to a ``Ctx`` (the aware ``now`` in the user's zone); nothing reads a clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
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
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if date_order not in ("MDY", "DMY"):
        raise ValueError(f"date_order must be 'MDY' or 'DMY', not {date_order!r}")
    zone = _zone(tz)
    return Ctx(now.astimezone(zone), zone, tz, date_order, end_of_day, past_intent)


@lru_cache(maxsize=128)
def _zone(tz: str) -> ZoneInfo:
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
_RISKY_WD = {"sat", "sun", "wed"}  # need a connector ("on sat") to count
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "a couple": 2,
    "couple of": 2, "a couple of": 2, "few": 3, "a few": 3, "fourteen": 14, "thirty": 30,
}  # fmt: skip
PARTS_OF_DAY = {
    "morning": time(9, 0), "noon": time(12, 0), "midday": time(12, 0), "lunch": time(12, 0),
    "lunchtime": time(12, 0), "afternoon": time(14, 0), "evening": time(18, 0), "night": time(20, 0),
    "tonight": time(20, 0),
}  # fmt: skip

_WD_ALT = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MON_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM_ALT = r"\d+|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|few|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|thirty"
_POD_ALT = r"morning|afternoon|evening|night|noon|midday|lunch(?:time)?"

# optional connector in front of a date phrase ("by", "due on", "was due", "no later than" ...)
_PRE = (
    r"(?P<pre>(?:\b(?:which\s+|that\s+|it\s+)?(?:(?:was|were|is|are|it's|its)\s+)?"
    r"(?:past\s+due|overdue|due(?:\s+date)?|deadline(?:\s+is)?)\s*(?::\s*)?(?:(?:on|by|since)\s+)?"
    r"|\b(?:by|on|before|until|till|til|through|thru|for|from|starting|no\s+later\s+than|latest\s+by"
    r"|sometime|this\s+coming)\s+)?)"
)
_TPRE = r"(?P<pre>(?:(?<!\w)(?:at|by|before|around|about|after|until|till|from|à|a\s+las|a\s+la|um|alle|às|bis|ab)\s+|@\s*)?)"
_END = r"(?!['’]s\b)"  # "Friday's meeting" is not a due date


def _num(s: str) -> int:
    s = re.sub(r"\s+", " ", s.lower().strip())
    return int(s) if s.isdigit() else NUMBER_WORDS[s]


def _valid(y: int, m: int, d: int) -> date | None:
    if 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]:
        return date(y, m, d)
    return None


def _yearless(ctx: Ctx, m: int, d: int) -> date | None:
    """This year's date, or next year's when it is already past (unless the text is about the past)."""
    y = ctx.today.year
    cand = _valid(y, m, d)
    if cand is None and m == 2 and d == 29:  # next leap year
        for yy in range(y + 1, y + 5):
            if (cand := _valid(yy, m, d)) is not None:
                return cand
    if cand is None:
        return None
    if cand < ctx.today and not ctx.past_intent:
        return _valid(y + 1, m, d) or cand
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


def monday_of_next_week(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def friday_of_week(today: date) -> date:
    """This week's Friday; on a weekend, the coming one."""
    if today.weekday() <= 4:
        return today + timedelta(days=4 - today.weekday())
    return next_weekday(today, 4)


def last_day_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


# ---------------------------------------------------------------------------------------------
# English date rules: (regex, handler(match, ctx) -> Hit | None). Order = priority.

Handler = Callable[[re.Match[str], Ctx], "Hit | None"]


def _h_iso(m: re.Match[str], ctx: Ctx) -> Hit | None:
    d = _valid(int(m["y"]), int(m["m"]), int(m["d"]))
    if d is None:
        return None
    h = Hit(m.start(), m.end(), "date", day=d, explicit_past=d < ctx.today)
    if m["hh"] is not None and int(m["hh"]) < 24 and int(m["mm"]) < 60:
        h.at = time(int(m["hh"]), int(m["mm"]))
    return h


def _h_num_year(m: re.Match[str], ctx: Ctx) -> Hit | None:
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    if y < 100:
        y += 2000
    mo, d = (a, b) if ctx.date_order == "MDY" else (b, a)
    day = _valid(y, mo, d)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, explicit_past=day < ctx.today)


def _h_num(m: re.Match[str], ctx: Ctx) -> Hit | None:
    a, b = int(m["a"]), int(m["b"])
    if (a, b) == (24, 7):  # "24/7"
        return None
    mo, d = (a, b) if ctx.date_order == "MDY" else (b, a)
    day = _yearless(ctx, mo, d)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, yearless=True, explicit_past=day < ctx.today)


def _h_month_name(m: re.Match[str], ctx: Ctx) -> Hit | None:
    mo = MONTHS[m["mon"].lower().rstrip(".")]
    d = int(m["d"])
    if m["y"]:
        day = _valid(int(m["y"]), mo, d)
        if day is None:
            return None
        return Hit(m.start(), m.end(), "date", day=day, explicit_past=day < ctx.today)
    day = _yearless(ctx, mo, d)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, yearless=True, explicit_past=day < ctx.today)


def _h_ordinal(m: re.Match[str], ctx: Ctx) -> Hit | None:
    if not m["pre"]:  # "the 3rd floor" is not a date; "by the 15th" is
        return None
    d = int(m["d"])
    t = ctx.today
    day = _valid(t.year, t.month, d)
    if day is None or (day < t and not ctx.past_intent):
        nxt = _add_months(t.replace(day=1), 1)
        day = _valid(nxt.year, nxt.month, d)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, explicit_past=day < t)


def _h_day_after(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=ctx.today + timedelta(days=2))


def _h_in(m: re.Match[str], ctx: Ctx) -> Hit | None:
    unit = m["unit"].lower()
    n = 0.5 if m["half"] else _num(m["n"])
    if unit.startswith(("min", "hour", "hr")) or unit == "h":
        minutes = n * (1 if unit.startswith("min") else 60)
        inst = (ctx.now.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minutes)).astimezone(ctx.zone)
        return Hit(
            m.start(),
            m.end(),
            "instant",
            day=inst.date(),
            at=inst.time().replace(second=0, microsecond=0),
            instant=inst,
        )
    n = int(n)
    if unit.startswith(("business", "working")):
        day = _add_business_days(ctx.today, n)
    elif unit.startswith("day"):
        day = ctx.today + timedelta(days=n)
    elif unit.startswith(("week", "wk")):
        day = ctx.today + timedelta(weeks=n)
    else:
        day = _add_months(ctx.today, n)
    return Hit(m.start(), m.end(), "date", day=day)


def _h_eow(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=friday_of_week(ctx.today))


def _h_end_next_week(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=monday_of_next_week(ctx.today) + timedelta(days=4))


def _h_next_week(m: re.Match[str], ctx: Ctx) -> Hit | None:
    mon = monday_of_next_week(ctx.today)
    if m["after"]:
        mon += timedelta(days=7)
    return Hit(m.start(), m.end(), "date", day=mon, range_end=mon + timedelta(days=4))


def _h_this_week(m: re.Match[str], ctx: Ctx) -> Hit | None:
    fri = friday_of_week(ctx.today)
    h = Hit(m.start(), m.end(), "date", day=fri, range_end=fri)
    h.extra["range_start"] = min(ctx.today, fri)
    return h


def _h_weekend(m: re.Match[str], ctx: Ctx) -> Hit | None:
    sat = ctx.today if ctx.today.weekday() == 5 else next_weekday(ctx.today, 5)
    if ctx.today.weekday() == 6:
        sat = ctx.today - timedelta(days=1)
    if m["next"]:
        sat = monday_of_next_week(ctx.today) + timedelta(days=5)
    h = Hit(m.start(), m.end(), "date", day=sat, range_end=sat + timedelta(days=1))
    h.extra["range_start"] = max(sat, ctx.today)
    return h


def _h_eom(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=last_day_of_month(ctx.today))


def _h_next_month(m: re.Match[str], ctx: Ctx) -> Hit | None:
    first = _add_months(ctx.today.replace(day=1), 1)
    return Hit(m.start(), m.end(), "date", day=first, range_end=last_day_of_month(first))


def _pod_time(pod: str | None) -> time | None:
    if not pod:
        return None
    return PARTS_OF_DAY.get(pod.lower().replace(" ", ""))


def _h_weekday(m: re.Match[str], ctx: Ctx) -> Hit | None:
    word = m["wd"].lower().rstrip(".")
    mod = (m["mod"] or "").lower().split()[-1] if m["mod"] else ""
    if word in _RISKY_WD and not (m["pre"] or mod):
        return None
    wd = WEEKDAYS[word]
    t = ctx.today
    past = False
    nw = (m["nw"] or "").lower()
    if mod in ("last", "past"):
        day, past = prev_weekday(t, wd, include_today=False), True
    elif mod == "next" or nw.startswith("next"):
        # "next Tue" = the Tuesday of next (Monday-based) week
        day = monday_of_next_week(t) + timedelta(days=wd)
    elif nw.startswith("after"):
        day = monday_of_next_week(t) + timedelta(days=7 + wd)
    elif mod == "following":
        day = next_weekday(t, wd, include_today=False) + timedelta(days=7)
    elif ctx.past_intent and not mod:
        day, past = prev_weekday(t, wd), True
    else:  # bare / by / on / this / coming: the next occurrence, today included
        day = next_weekday(t, wd)
    h = Hit(m.start(), m.end(), "date", day=day, weekday=True, explicit_past=past and day < t)
    if (pt := _pod_time(m["pod"])) is not None:
        h.at, h.pod = pt, True
    return h


def _h_rel_day(m: re.Match[str], ctx: Ctx) -> Hit | None:
    w = m["w"].lower()
    t = ctx.today
    h = Hit(m.start(), m.end(), "date")
    if w in ("today", "tonight") or w.startswith("this"):
        h.day, h.relative_today = t, True
        if w == "tonight":
            h.at, h.pod = PARTS_OF_DAY["tonight"], True
        elif w.startswith("this"):
            h.at, h.pod = _pod_time(w.split()[-1]), True
    elif w == "yesterday":
        h.day, h.explicit_past = t - timedelta(days=1), True
    else:
        h.day = t + timedelta(days=1)
    if (pt := _pod_time(m["pod"])) is not None:
        h.at, h.pod = pt, True
    return h


DIGIT = frozenset({"#"})  # the rule needs a digit somewhere in the text
_REL_WORDS = frozenset(
    {"today", "tonight", "tomorrow", "tomorow", "tmrw", "tmrow", "tmr", "2morrow", "yesterday", "this"}
)
_WORDS = re.compile(r"[a-z]+|\d")

_DATE_RULES: list[tuple[re.Pattern[str], Handler, frozenset[str]]] = [
    (
        re.compile(
            _PRE
            + r"(?<![\d/.])(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?:(?:T|\s+)(?P<hh>\d{1,2}):(?P<mm>\d{2}))?(?![\d/])",
            _F,
        ),
        _h_iso,
        DIGIT,
    ),
    (
        re.compile(
            _PRE + r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})(?![\d/.]|\.\d)", _F
        ),
        _h_num_year,
        DIGIT,
    ),
    (re.compile(_PRE + r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/])", _F), _h_num, DIGIT),
    (
        re.compile(
            _PRE
            + rf"\b(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MON_ALT})\b\.?(?:,?\s+(?P<y>\d{{4}})\b)?",
            _F,
        ),
        _h_month_name,
        frozenset(MONTHS),
    ),
    (
        re.compile(
            _PRE
            + rf"\b(?P<mon>{_MON_ALT})\b\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(?P<y>\d{{4}})\b)?",
            _F,
        ),
        _h_month_name,
        frozenset(MONTHS),
    ),
    (re.compile(_PRE + r"\b(?:the\s+)?day\s+after\s+tomorrow\b", _F), _h_day_after, frozenset({"tomorrow"})),
    (
        re.compile(
            _PRE
            + rf"\b(?:in|within)\s+(?:the\s+next\s+)?(?:(?P<half>half\s+an)|(?P<n>{_NUM_ALT}))\s+(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|weeks?|wks?|months?|business\s+days?|working\s+days?)\b",
            _F,
        ),
        _h_in,
        frozenset({"in", "within"}),
    ),
    (
        re.compile(
            _PRE
            + rf"\b(?:(?P<mod>this|next|last|past|coming|upcoming|the\s+coming|the\s+following|following)\s+)?(?P<wd>{_WD_ALT})\b\.?{_END}(?:\s+(?P<nw>next\s+week|this\s+week|after\s+next))?(?:\s+(?P<pod>{_POD_ALT}))?",
            _F,
        ),
        _h_weekday,
        frozenset(WEEKDAYS),
    ),
    (
        re.compile(
            _PRE
            + rf"\b(?P<w>today|tonight|tomorrow|tomorow|tmrw|tmrow|tmr|2morrow|yesterday|this\s+(?:{_POD_ALT}))\b{_END}(?:\s+(?P<pod>{_POD_ALT}))?",
            _F,
        ),
        _h_rel_day,
        _REL_WORDS,
    ),
    (
        re.compile(
            _PRE
            + rf"\b(?:(?P<half>half\s+an)|(?P<n>{_NUM_ALT}))\s+(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|business\s+days?|working\s+days?)\s+from\s+(?:now|today)\b",
            _F,
        ),
        _h_in,
        frozenset({"from"}),
    ),
    (re.compile(_PRE + r"\b(?:the\s+)?end\s+of\s+next\s+week\b", _F), _h_end_next_week, frozenset({"end"})),
    (
        re.compile(_PRE + r"\b(?:eow|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:work\s*)?week)\b", _F),
        _h_eow,
        frozenset({"eow", "end"}),
    ),
    (
        re.compile(
            _PRE
            + r"\b(?:early\s+|all\s+(?:of\s+)?|the\s+whole\s+)?(?:next|the\s+following|the\s+coming)\s+week\b(?P<after>\s+after)?|\bthe\s+week\s+after\s+next\b",
            _F,
        ),
        _h_next_week,
        frozenset({"week"}),
    ),
    (
        re.compile(
            _PRE + r"\b(?:this|later\s+this|sometime\s+this|all|the\s+whole|the\s+rest\s+of\s+the)\s+week\b",
            _F,
        ),
        _h_this_week,
        frozenset({"week"}),
    ),
    (
        re.compile(_PRE + r"\b(?:this\s+|the\s+|(?P<next>next)\s+)?weekend\b", _F),
        _h_weekend,
        frozenset({"weekend"}),
    ),
    (
        re.compile(_PRE + r"\b(?:eom|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month)\b", _F),
        _h_eom,
        frozenset({"eom", "end"}),
    ),
    (re.compile(_PRE + r"\bnext\s+month\b", _F), _h_next_month, frozenset({"month"})),
    (
        re.compile(
            _PRE + rf"\b(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?(?:{_MON_ALT})\b)", _F
        ),
        _h_ordinal,
        DIGIT,
    ),
]


# ---------------------------------------------------------------------------------------------
# time rules


def _h_ampm(m: re.Match[str], ctx: Ctx) -> Hit | None:
    h, mi = int(m["h"]), int(m["m"] or 0)
    if not 1 <= h <= 12 or mi > 59:
        return None
    pm = m["ap"].lower().startswith("p")
    h = (h % 12) + (12 if pm else 0)
    return Hit(m.start(), m.end(), "time", at=time(h, mi), prefix=_norm_pre(m["pre"]))


def _h_24(m: re.Match[str], ctx: Ctx) -> Hit | None:
    h, mi = int(m["h"]), int(m["m"])
    if h > 23 or mi > 59:
        return None
    return Hit(m.start(), m.end(), "time", at=time(h, mi), prefix=_norm_pre(m["pre"]))


def _h_oclock(m: re.Match[str], ctx: Ctx) -> Hit | None:
    h = int(m["h"])
    if h > 23 or (m["unit"].lower() == "h" and not m["pre"]):
        return None
    if m["unit"].lower().startswith("o") and h <= 12:
        h = _guess_hour(h)
    return Hit(m.start(), m.end(), "time", at=time(h, 0), prefix=_norm_pre(m["pre"]))


def _guess_hour(h: int) -> int:
    """Bare "at 3": working-hours guess: 1-6 -> afternoon, 7-11 -> morning, 12 -> noon."""
    return h + 12 if 1 <= h <= 6 else h % 24


def _h_at(m: re.Match[str], ctx: Ctx) -> Hit | None:
    h = int(m["h"])
    if h > 23:
        return None
    return Hit(m.start(), m.end(), "time", at=time(_guess_hour(h), 0), prefix="at")


def _h_noon(m: re.Match[str], ctx: Ctx) -> Hit | None:
    w = m["w"].lower()
    at = time(23, 59) if w == "midnight" else time(12, 0)
    return Hit(m.start(), m.end(), "time", at=at, prefix=_norm_pre(m["pre"]))


def _h_eod(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "time", at=ctx.end_of_day, eod=True, prefix=_norm_pre(m["pre"]))


_TIME_RULES: list[tuple[re.Pattern[str], Handler, frozenset[str]]] = [
    (
        re.compile(_TPRE + r"\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?!\w)", _F),
        _h_ampm,
        DIGIT,
    ),
    (
        re.compile(
            _TPRE + r"(?<![\d:/.])(?P<h>[01]?\d|2[0-3])(?::|h)(?P<m>[0-5]\d)(?![\d:])(?:\s*(?:uhr|h)\b)?", _F
        ),
        _h_24,
        DIGIT,
    ),
    (re.compile(_TPRE + r"\b(?P<h>\d{1,2})\s*(?P<unit>uhr|h|o['’]?clock)\b", _F), _h_oclock, DIGIT),
    (
        re.compile(
            r"(?:\b(?:at|a\s+las|a\s+la|um|alle|às)\s+|@\s*)(?P<h>\d{1,2})\b(?![:./\d%]|\s*(?:%|percent|people|users|items|tasks|bugs|tickets|hours?|hrs?|h\b|mins?|minutes?|days?|weeks?|months?|years?|am\b|pm\b|a\.m|p\.m|k\b))",
            _F,
        ),
        _h_at,
        DIGIT,
    ),
    (
        re.compile(_TPRE + r"\b(?P<w>noon|midday|midnight)\b", _F),
        _h_noon,
        frozenset({"noon", "midday", "midnight"}),
    ),
    (
        re.compile(
            _TPRE
            + r"\b(?:eod|cob|eob|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day|close\s+of\s+(?:business|play)|end\s+of\s+(?:today|play))\b",
            _F,
        ),
        _h_eod,
        frozenset({"eod", "cob", "eob", "end", "close"}),
    ),
]


def _norm_pre(pre: str | None) -> str:
    if not pre:
        return ""
    words = pre.lower().split()
    if not words:
        return ""
    if any(w.startswith(("due", "overdue", "deadline")) for w in words):
        return "due"
    return words[-1] if words[-1] not in ("coming",) else "this"


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def _features(text: str) -> frozenset[str]:
    """Lowercase words of the text, plus "#" when it has a digit: a cheap pre-filter for the rules."""
    words = set(_WORDS.findall(text.lower()))
    if any(w.isdigit() for w in words):
        words.add("#")
    return frozenset(words)


def _scan(
    text: str,
    rules: list[tuple[re.Pattern[str], Handler, frozenset[str]]],
    ctx: Ctx,
    taken: list[tuple[int, int]],
    features: frozenset[str] | None = None,
) -> list[Hit]:
    hits: list[Hit] = []
    feats = features if features is not None else _features(text)
    for rx, handler, needs in rules:
        if feats.isdisjoint(needs):
            continue
        for m in rx.finditer(text):
            if m.end() == m.start() or _overlaps(taken, m.start(), m.end()):
                continue
            h = handler(m, ctx)
            if h is None:
                continue
            if not h.prefix and "pre" in rx.groupindex:
                h.prefix = _norm_pre(m["pre"])
            # a connector alone is not part of the span when the phrase was rejected; keep it
            taken.append((h.start, h.end))
            hits.append(h)
    hits.sort(key=lambda h: h.start)
    return hits


def find_dates(text: str, ctx: Ctx, mask: list[tuple[int, int]] | None = None) -> list[Hit]:
    """Date hits (English rules, then the non-English fallback), sorted by position.

    ``mask``: spans already understood (clock times) that the fallback must not look at.
    """
    taken: list[tuple[int, int]] = []
    hits = _scan(text, _DATE_RULES, ctx, taken)
    if _foreign_candidate(text):
        hits.extend(_foreign_dates(text, ctx, taken, list(mask or ())))
        hits.sort(key=lambda h: h.start)
    return hits


def find_times(text: str, ctx: Ctx, taken: list[tuple[int, int]]) -> list[Hit]:
    return _scan(text, _TIME_RULES, ctx, list(taken))


def find_all(text: str, ctx: Ctx) -> tuple[list[Hit], list[Hit]]:
    """(date hits, time hits): English dates first, then clock times, then foreign dates."""
    taken: list[tuple[int, int]] = []
    feats = _features(text)
    dates = _scan(text, _DATE_RULES, ctx, taken, feats)
    times = _scan(text, _TIME_RULES, ctx, taken, feats)
    if _foreign_candidate(text):
        dates.extend(
            _foreign_dates(text, ctx, [(h.start, h.end) for h in dates], [(h.start, h.end) for h in times])
        )
        dates.sort(key=lambda h: h.start)
    return dates, times


# ---------------------------------------------------------------------------------------------
# non-English fallback (es, fr, de, pt, it)

FOREIGN_LANGS: tuple[str, ...] = ("es", "fr", "de", "pt", "it")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_ENGLISH_CLASH = set(WEEKDAYS) | set(MONTHS) | {"hier", "sept", "sam", "ago", "dom"}
_EXTRA_GATE = {
    "es": ["próxima", "próximo", "proxima", "proximo", "semana", "días", "dias", "pasado", "hoy"],
    "fr": ["prochaine", "prochain", "semaine", "jours", "après-demain", "aujourd'hui"],
    "de": ["nächste", "nächsten", "nächster", "woche", "tagen", "übermorgen"],
    "pt": ["próxima", "semana", "dias", "depois"],
    "it": ["prossima", "prossimo", "settimana", "giorni", "dopodomani"],
}
# phrases dateparser gets wrong or misses -> (offset in days | "next_monday")
_FOREIGN_TABLE: list[tuple[re.Pattern[str], str | int]] = [
    (
        re.compile(
            r"\bpasado\s+mañana\b|\bdepois\s+de\s+amanhã\b|\baprès-demain\b|\bübermorgen\b|\bdopodomani\b", _F
        ),
        2,
    ),
    (
        re.compile(
            r"\b(?:(?:la|a)\s+)?(?:próxima|proxima)\s+semana\b|\b(?:la\s+)?semana\s+que\s+viene\b|\b(?:a\s+)?semana\s+que\s+vem\b"
            r"|\b(?:la\s+)?semaine\s+prochaine\b|\bnächste(?:n|r)?\s+woche\b|\b(?:la\s+)?(?:prossima\s+settimana|settimana\s+prossima)\b",
            _F,
        ),
        "next_monday",
    ),
]
# words in front of a foreign date phrase that belong to it ("el viernes", "am Freitag", "próximo lunes")
_FOREIGN_LEAD = re.compile(
    r"(?:\b(?:el|la|le|am|au|al|il|o|a|para|pour|bis|entro|até|hasta|antes\s+del?|avant|vor|"
    r"próxim[oa]|proxim[oa]|prochaine?|nächsten?|nächster|prossim[oa]|este|esta|ce|cette|diesen|diese|dieser|"
    r"questo|questa|de|du|der|den|dem|nel|nella|na|no)\s+)+$",
    _F,
)


@lru_cache(maxsize=1)
def _foreign_vocab() -> tuple[dict[str, tuple[str, ...]], dict[str, int], frozenset[str]]:
    """token -> languages, token -> weekday index, and month names, from dateparser's locale data."""
    import importlib

    langs_of: dict[str, list[str]] = {}
    weekday_of: dict[str, int] = {}
    months: set[str] = set()
    day_keys = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    month_keys = tuple(calendar.month_name[i].lower() for i in range(1, 13))
    for lang in FOREIGN_LANGS:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang}").info
        words: list[str] = []
        for i, k in enumerate(day_keys):
            for w in info.get(k, []):
                w = w.lower()
                if len(w) >= 4 and w not in _ENGLISH_CLASH:
                    words.append(w)
                    weekday_of[w] = i
                    if "-" in w:  # "sexta-feira" -> also "sexta"
                        weekday_of.setdefault(w.split("-")[0], i)
                        words.append(w.split("-")[0])
        for k in month_keys:
            names = [w.lower() for w in info.get(k, []) if len(w) >= 4]
            months.update(names)
            words += names
        for phrases in info.get("relative-type", {}).values():
            for p in phrases:
                if " " not in p and len(p) >= 4:
                    words.append(p.lower())
        words += _EXTRA_GATE.get(lang, [])
        for w in words:
            if w in _ENGLISH_CLASH:
                continue
            langs_of.setdefault(w, [])
            if lang not in langs_of[w]:
                langs_of[w].append(lang)
    return {k: tuple(v) for k, v in langs_of.items()}, weekday_of, frozenset(months)


def _foreign_tokens(text: str) -> list[tuple[str, re.Match[str]]]:
    vocab = _foreign_vocab()[0]
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group().lower().replace("’", "'")
        if w in vocab:
            out.append((w, m))
    return out


def _foreign_candidate(text: str) -> bool:
    # cheap pre-check: any non-ASCII letter or any gate token
    return bool(_foreign_tokens(text))


@lru_cache(maxsize=512)
def _dp_settings(tz: str, date_order: str, base: datetime) -> Any:
    from dateparser.conf import settings as default_settings

    mod = {
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": date_order,
    }
    return default_settings.replace(mod_settings=mod, **mod)


def _dp_search(text: str, langs: tuple[str, ...], ctx: Ctx) -> list[tuple[str, datetime]]:
    from dateparser.search import search_dates

    # only the date of a dateparser result is used, so a midnight base keeps one cached Settings per day
    base = datetime.combine(ctx.today, time(0, 0))
    try:
        res = search_dates(text, languages=list(langs), settings=_dp_settings(ctx.tz, ctx.date_order, base))
    except Exception:  # dateparser raises on odd input; the offline parser must never crash
        return []
    return list(res or [])


_WINDOW = 60
_MAX_WINDOWS = 3


def _extend_left(text: str, start: int) -> int:
    m = _FOREIGN_LEAD.search(text, 0, start)
    return m.start() if m else start


def _foreign_dates(
    text: str, ctx: Ctx, taken: list[tuple[int, int]], mask: list[tuple[int, int]]
) -> list[Hit]:
    hits: list[Hit] = []
    for rx, val in _FOREIGN_TABLE:
        for m in rx.finditer(text):
            if _overlaps(taken, m.start(), m.end()):
                continue
            if val == "next_monday":
                mon = monday_of_next_week(ctx.today)
                h = Hit(m.start(), m.end(), "date", day=mon, range_end=mon + timedelta(days=4))
            else:
                h = Hit(m.start(), m.end(), "date", day=ctx.today + timedelta(days=int(val)))
            h.start = _extend_left(text, h.start)
            taken.append((h.start, h.end))
            hits.append(h)
    toks = [(w, m) for w, m in _foreign_tokens(text) if not _overlaps(taken + mask, m.start(), m.end())]
    if not toks:
        return hits
    vocab, weekday_of, months = _foreign_vocab()
    langs: list[str] = []
    for w, _ in toks:
        for lang in vocab[w]:
            if lang not in langs:
                langs.append(lang)
    # blank out what is already understood so dateparser does not see it twice
    masked = list(text)
    for a, b in taken + mask:
        masked[a:b] = " " * (b - a)
    masked_text = "".join(masked)
    # dateparser's cost grows with the text: only show it short windows around the gate words
    windows: list[list[int]] = []
    for _, m in toks[: _MAX_WINDOWS * 2]:
        a, b = max(0, m.start() - _WINDOW), min(len(text), m.end() + _WINDOW)
        if windows and a <= windows[-1][1] and b - windows[-1][0] <= 4 * _WINDOW:
            windows[-1][1] = b
        else:
            windows.append([a, b])
    found: list[tuple[int, str, datetime]] = []
    for a, b in windows[:_MAX_WINDOWS]:
        if found and a < found[-1][0] + len(found[-1][1]):
            a = found[-1][0] + len(found[-1][1])
        cursor = a
        for sub, dt in _dp_search(masked_text[a:b], tuple(langs), ctx):
            sub = re.sub(r"[\s,;]+(?:y|e|et|und|and|o|ou|oder|ed)?[\s,;]*$", "", sub, flags=_F)
            pos = masked_text.find(sub, cursor, b)
            if pos < 0 or not sub:
                continue
            cursor = pos + len(sub)
            found.append((pos, sub, dt))
    for pos, sub, dt in found:
        end = pos + len(sub)
        sub_toks = {m.group().lower() for m in _TOKEN.finditer(sub)}
        gated = {w for w in sub_toks if w in vocab}
        if not gated or _overlaps(taken + mask, pos, end):
            continue  # only trust dateparser on the gated vocabulary
        if gated <= months and not re.search(r"\d", sub):
            continue  # a bare month name ("Mars", "mayo") is not a due date
        day = dt.date()
        wd_words = [w for w in sub_toks if w in weekday_of]
        h = Hit(pos, end, "date", day=day)
        if wd_words and not re.search(r"\d", sub):
            # our weekday semantics: the next occurrence, today included
            h.day = next_weekday(ctx.today, weekday_of[wd_words[0]])
            h.weekday = True
        else:
            if not re.search(r"\d{4}", sub) and day.year > ctx.today.year:
                # dateparser pushes a yearless date that is today into next year
                same_year = _valid(ctx.today.year, day.month, day.day)
                if same_year is not None and same_year >= ctx.today:
                    h.day = same_year
            if h.day is not None and h.day < ctx.today:
                h.explicit_past = True
        h.start = _extend_left(text, pos)
        taken.append((h.start, h.end))
        hits.append(h)
    return hits


def warm_up() -> None:
    """Load dateparser and its locale data ahead of the first message (optional)."""
    from datetime import UTC

    ctx = make_ctx(datetime(2026, 1, 7, 12, 0, tzinfo=UTC), "UTC")
    find_dates("mañana demain morgen amanhã domani viernes", ctx)


# ---------------------------------------------------------------------------------------------
# combining date + time into one due moment


@dataclass(frozen=True, slots=True)
class When:
    day: date
    at: time | None  # None: no clock time stated
    instant: datetime | None
    explicit_past: bool
    spans: tuple[tuple[int, int], ...]
    range_end: date | None = None
    eod: bool = False


def resolve_when(text: str, ctx: Ctx, *, keep_today_past: bool = True) -> tuple[When | None, list[Hit]]:
    """Pick the due date/time of one task fragment.

    Date: a hit introduced by a deadline connector (by/due/on/before/until) wins, otherwise the
    last date phrase ("move the Friday sync to Monday" -> Monday). Time: the first clock time.
    """
    dates, times = find_all(text, ctx)
    if not dates and not times:
        return None, []
    date_hit: Hit | None = None
    if dates:
        deadline = [h for h in dates if h.prefix in ("by", "due", "before", "until", "till", "til", "on")]
        date_hit = deadline[0] if deadline else dates[-1]
    time_hit = times[0] if times else None
    spans: list[tuple[int, int]] = []
    if date_hit:
        spans.append((date_hit.start, date_hit.end))
    if time_hit:
        spans.append((time_hit.start, time_hit.end))

    if date_hit is not None and date_hit.instant is not None and time_hit is None:
        inst = date_hit.instant
        return When(
            inst.date(), inst.time().replace(second=0, microsecond=0), inst, False, tuple(spans)
        ), dates

    now = ctx.now
    at: time | None = None
    eod = False
    if time_hit is not None and time_hit.at is not None:
        at, eod = time_hit.at, time_hit.eod
    elif date_hit is not None and date_hit.at is not None:
        at = date_hit.at

    if date_hit is not None and date_hit.day is not None:
        day = date_hit.day
        past = date_hit.explicit_past or (ctx.past_intent and day < ctx.today)
        if (
            at is not None
            and day == ctx.today
            and datetime.combine(day, at, ctx.zone) < now
            and not ctx.past_intent
        ):
            if eod:
                at = time(23, 59)  # "EOD" after hours means "before I go to bed"
            elif date_hit.weekday and not date_hit.relative_today:
                day = day + timedelta(days=7)  # "Wednesday 9am" said on Wednesday at 10:30
            elif keep_today_past:
                past = True  # "today at 9am" at 10:30: keep it, it is overdue
        return When(day, at, None, past, tuple(spans), date_hit.range_end, eod), dates

    # time only: today, or tomorrow when that time has passed
    assert at is not None
    day = ctx.today
    if datetime.combine(day, at, ctx.zone) <= now:
        if eod:
            at = time(23, 59)
        else:
            day += timedelta(days=1)
    return When(day, at, None, False, tuple(spans), None, eod), dates
