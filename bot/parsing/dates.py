"""Date phrases, and the one due moment of a fragment (``resolve_when``).

English phrases are handled by the compiled rules below (fast, deterministic, and free of
dateparser's English false positives such as "Sun", "may" or "second"); clock times by
``clock.py``; Spanish, French, German, Portuguese and Italian dates by ``foreign.py``.

Conventions (each a test in tests/parsing/test_dates_people_write.py):
  * A weekday alone, "by Friday", "this Friday": its next occurrence, today included. "next Friday":
    that day in next (Monday-based) week, in every language. "Friday after next": the occurrence
    after the next one. "2 Sundays from now": the second Sunday after today.
  * Numeric dates follow the person's date order ("3/4" is 4 March month-first, 3 April day-first);
    a date valid only in the other order is read that way ("29/11" is 29 November for everyone).
    Dotted dates ("29.11.", "by 29.11") as well. A weekday next to a date ("Fri, Sep 20") picks the
    next such date that falls on that weekday.
  * "in 3 days", "a week hence": for a reminder the same clock time that many days on; for a task
    that day. "in 2 hours" is an exact moment.
  * "the last day of the month", "at the end of the month", "the first of next month", "the 20th of
    next month", "the last Friday of October" are dates.

Everything is relative to a ``Ctx`` (the aware ``now`` in the user's zone); nothing reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .clock import TIME_RULES
from .foreign import foreign_candidate, foreign_dates
from .timebase import (
    DIGIT,
    MON_ALT,
    MONTHS,
    NUM_ALT,
    ORD_ALT,
    PARTS_OF_DAY,
    POD_ALT,
    PRE,
    RISKY_WD,
    WD_ALT,
    WEEKDAYS,
    Ctx,
    Hit,
    Rule,
    add_business_days,
    add_months,
    after,
    elapsed,
    features,
    friday_of_week,
    last_day_of_month,
    make_ctx,
    monday_of_next_week,
    next_week_weekday,
    next_weekday,
    nth_weekday_of_month,
    num,
    ordinal_value,
    prev_weekday,
    scan,
    valid,
    yearless,
)

# names other parsers import from here
_add_business_days = add_business_days
__all__ = [
    "MONTHS", "Ctx", "Hit", "When", "_add_business_days", "find_all", "find_dates", "friday_of_week",
    "make_ctx", "resolve_when", "warm_up",
]  # fmt: skip

_F = re.IGNORECASE
_END = r"(?!['’]s\b)"  # "Friday's meeting" is not a due date
_ORD = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{ORD_ALT})"  # 3, 3rd, third
_ORD_STRICT = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{ORD_ALT})"  # 3rd, third (not a bare number)


def _calendar_hit(m: re.Match[str], ctx: Ctx, mo: int, d: int, y: int | None) -> Hit | None:
    """A month-and-day date; without a year this year's or, when past, next year's."""
    return _calendar_hit_at(m.start(), m.end(), ctx, mo, d, y)


def _calendar_hit_at(start: int, end: int, ctx: Ctx, mo: int, d: int, y: int | None) -> Hit | None:
    if y is not None:
        day = valid(y, mo, d)
        if day is None:
            return None
        return Hit(start, end, "date", day=day, explicit_past=day < ctx.today)
    found = yearless(ctx, mo, d)
    if found is None:
        return None
    h = Hit(start, end, "date", day=found, yearless=True, explicit_past=found < ctx.today)
    h.extra["calendar"] = (mo, d)
    return h


def _year(s: str | None) -> int | None:
    if not s:
        return None
    y = int(s.lstrip("'"))
    return y + 2000 if y < 100 else y


def _ordered(ctx: Ctx, a: int, b: int) -> list[tuple[int, int]]:
    """(month, day) readings of "a/b": the person's order first, then the other one."""
    first = (a, b) if ctx.date_order == "MDY" else (b, a)
    return [first, (first[1], first[0])]


# ---------------------------------------------------------------------------------------------
# English date rules: (regex, handler(match, ctx) -> Hit | None). Order = priority.


def _h_iso(m: re.Match[str], ctx: Ctx) -> Hit | None:
    d = valid(int(m["y"]), int(m["m"]), int(m["d"]))
    if d is None:
        return None
    h = Hit(m.start(), m.end(), "date", day=d, explicit_past=d < ctx.today)
    if m["hh"] is not None and int(m["hh"]) < 24 and int(m["mm"]) < 60:
        h.at = time(int(m["hh"]), int(m["mm"]))
    return h


def _numeric_hit(m: re.Match[str], ctx: Ctx, a: int, b: int, y: int | None) -> Hit | None:
    """"a/b" (with year ``y`` or none) read in the person's order, else the other way round. The hit
    remembers its numbers, the order it was read in, and whether that order is the only valid one
    ("24/12": day first), so that a range's other part can follow it (:func:`_settle_order`)."""
    readings = _ordered(ctx, a, b)
    orders = (ctx.date_order, "DMY" if ctx.date_order == "MDY" else "MDY")
    for i, (mo, d) in enumerate(readings):
        if (h := _calendar_hit(m, ctx, mo, d, y)) is not None:
            other_mo, other_d = readings[1 - i]
            h.extra["numeric"] = (a, b, y)
            h.extra["order"] = orders[i]
            h.extra["proves_order"] = a != b and valid(2000, other_mo, other_d) is None  # 2000: 29 Feb valid
            return h
    return None


def _settle_order(hits: list[Hit], ctx: Ctx) -> list[Hit]:
    """Numeric dates said together follow one order: when one of them is valid only one way ("24/12"), an
    ambiguous one beside it is read that way too ("off 24/12-2/1" is 24 December to 2 January for someone
    who writes month first). Two parts proving different orders leave every reading as it is."""
    proven = {h.extra["order"] for h in hits if h.extra.get("proves_order")}
    if len(proven) != 1:
        return hits
    order = proven.pop()
    settled: list[Hit] = []
    for h in hits:
        if "numeric" in h.extra and h.extra["order"] != order:
            a, b, y = h.extra["numeric"]
            mo, d = (a, b) if order == "MDY" else (b, a)
            again = _calendar_hit_at(h.start, h.end, ctx, mo, d, y)
            if again is not None:
                again.prefix, again.at = h.prefix, h.at
                again.extra.update(numeric=(a, b, y), order=order, proves_order=False)
                h = again
        settled.append(h)
    return settled


def _h_num_year(m: re.Match[str], ctx: Ctx) -> Hit | None:
    y = _year(m["y"])
    assert y is not None
    return _numeric_hit(m, ctx, int(m["a"]), int(m["b"]), y)


def _h_num(m: re.Match[str], ctx: Ctx) -> Hit | None:
    a, b = int(m["a"]), int(m["b"])
    if (a, b) == (24, 7):  # "24/7"
        return None
    return _numeric_hit(m, ctx, a, b, None)


def _h_dotted(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"29.11." anywhere; "29.11" only after a date connector and when it cannot be a clock time."""
    a, b = int(m["a"]), int(m["b"])
    if not m["dot"]:
        if m["pre"] is None or not m["pre"].strip():
            return None
        if len(m["b"]) == 2 and a <= 23 and b <= 59:
            return None  # "by 12.30" is a time
    return _h_num(m, ctx)


def _h_day_month(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return _calendar_hit(m, ctx, MONTHS[m["mon"].lower().rstrip(".")], ordinal_value(m["d"]), _year(m["y"]))


_DAY_SECONDS = {"day": 86_400, "week": 604_800, "wk": 604_800, "fortnight": 1_209_600}


def _h_in(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"in 2 hours", "in 1/2 hour", "in 2.5 hours", "in 1h", "3 years from today", "a week hence", "in an
    hour and a half", "in 2 hours and 15 minutes", "in 1h30", "in a day and a half" (a part of a day is
    exact time: 36 hours)."""
    unit = (m["unit"] or "").lower()
    amount = _amount(m["amt"], m["andhalf"] or m.groupdict().get("half2"))
    if amount is None or amount <= 0:
        return None
    extra = 0.0  # "… and 15 minutes", "1h30"
    if m.groupdict().get("amt2"):
        more = _amount(m["amt2"], None)
        extra = (more or 0.0) * (_seconds((m["unit2"] or "m").lower()) or 60)
    elif m.groupdict().get("amt2b"):
        extra = int(m["amt2b"]) * 60.0
    seconds = _seconds(unit)
    if seconds is None and amount != int(amount):
        seconds = next((secs for prefix, secs in _DAY_SECONDS.items() if unit.startswith(prefix)), None)
    if seconds is not None:
        inst = elapsed(ctx.now, timedelta(seconds=amount * seconds + extra), ctx.zone)
        return Hit(m.start(), m.end(), "instant", day=inst.date(), at=inst.time().replace(second=0, microsecond=0),
                   instant=inst)
    n = int(amount)
    if unit.startswith(("business", "working")):
        day = add_business_days(ctx.today, n)
    elif unit.startswith("day"):
        day = ctx.today + timedelta(days=n)
    elif unit.startswith(("week", "wk")):
        day = ctx.today + timedelta(weeks=n)
    elif unit.startswith("fortnight"):
        day = ctx.today + timedelta(weeks=2 * n)
    elif unit.startswith(("year", "yr")):
        day = add_months(ctx.today, 12 * n)
    else:
        day = add_months(ctx.today, n)
    return Hit(m.start(), m.end(), "date", day=day, same_time=True)


_UNIT_SECONDS = {"sec": 1, "s": 1, '"': 1, "min": 60, "m": 60, "'": 60, "hour": 3600, "hr": 3600, "h": 3600}


def _seconds(unit: str) -> int | None:
    if not unit:
        return 60  # "in 15": minutes
    for prefix, secs in _UNIT_SECONDS.items():
        if unit == prefix or (len(prefix) > 1 and unit.startswith(prefix)):
            return secs
    return None


def _amount(raw: str, and_half: str | None) -> float | None:
    s = re.sub(r"\s+", " ", raw.lower().strip())
    half = 0.5 if and_half else 0.0
    if re.fullmatch(r"\d+[.,]\d+", s):
        return float(s.replace(",", ".")) + half
    if (frac := re.fullmatch(r"(\d+) ?/ ?(\d+)", s)) is not None:
        den = int(frac[2])
        return int(frac[1]) / den + half if den else None
    if s.startswith(("a quarter", "quarter")):
        return 0.25
    if s.startswith(("three-quarter", "three quarter")):
        return 0.75
    if s in ("half", "half a", "half an", "a half"):
        return 0.5
    if s not in ("couple of", "a couple of", "a pair of"):
        s = re.sub(r" of(?: an?)?$", "", s)
    try:
        return num(s) + half
    except KeyError:
        return None


def _h_weekdays_from_now(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"2 Sundays from now": the second Sunday after today."""
    wd = WEEKDAYS[m["wd"].lower()]
    n = num(m["n"])
    if not 1 <= n <= 52:
        return None
    day = next_weekday(ctx.today, wd, include_today=False) + timedelta(weeks=n - 1)
    return Hit(m.start(), m.end(), "date", day=day, weekday=True)


def _h_upcoming_days(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=ctx.today + timedelta(days=num(m["n"] or m["n2"])))


def _month_of(ctx: Ctx, which: str | None, mon: str | None, year: str | None) -> tuple[int, int, bool]:
    """(year, month, named) of "this/the/next/last month" or a month name (this year's unless a year
    is given; ``named``: a month name without a year, which may roll over to next year)."""
    if mon:
        y = _year(year)
        return (y or ctx.today.year), MONTHS[mon.lower().rstrip(".")], y is None
    w = (which or "this").lower().split()[-1]
    first = ctx.today.replace(day=1)
    if w in ("next", "following"):
        first = add_months(first, 1)
    elif w in ("last", "previous"):
        first = add_months(first, -1)
    return first.year, first.month, False


def _rolled(ctx: Ctx, make: Callable[[int, int], date | None], y: int, mo: int, named: bool) -> date | None:
    """``make(y, mo)``; for a month name without a year, next year's when this year's is past."""
    day = make(y, mo)
    if named and day is not None and day < ctx.today and not ctx.past_intent:
        day = make(y + 1, mo)
    return day


def _h_nth_weekday(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"the last Friday of October", "first Monday of next month", "third tuesday of september 2014"."""
    which = m["nth"].lower()
    n = -1 if which == "last" else ordinal_value(which)
    if n != -1 and not 1 <= n <= 5:
        return None
    wd = WEEKDAYS[m["wd"].lower().rstrip(".")]
    y, mo, named = _month_of(ctx, m["rel"], m["mon"], m["y"])
    day = _rolled(ctx, lambda yy, mm: nth_weekday_of_month(yy, mm, wd, n), y, mo, named)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, weekday=True, explicit_past=day < ctx.today)


def _h_month_edge(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"the last day of the month", "the first day of next month", "the last day of October 2015"."""
    last = m["edge"].lower() == "last"
    y, mo, named = _month_of(ctx, m["rel"], m["mon"], m["y"])
    day = _rolled(ctx, lambda yy, mm: last_day_of_month(date(yy, mm, 1)) if last else date(yy, mm, 1), y, mo, named)
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, explicit_past=day < ctx.today)


def _h_day_of_month(m: re.Match[str], ctx: Ctx) -> Hit | None:
    """"the 20th of next month", "20 of this month", "the first of next month"."""
    y, mo, _ = _month_of(ctx, m["rel"], None, None)
    day = valid(y, mo, ordinal_value(m["d"]))
    if day is None:
        return None
    return Hit(m.start(), m.end(), "date", day=day, explicit_past=day < ctx.today)


_ENDS_PHRASE = re.compile(r"\s*(?:$|[,;!?]|\.(?:\s|$)|at\b|@)", _F)


def _h_ordinal(m: re.Match[str], ctx: Ctx) -> Hit | None:
    # "the 3rd floor" is not a date; "by the 15th" is, and so is "the 15th" ending a phrase
    if not m["pre"] and not (m.group(0).lower().startswith("the") and _ENDS_PHRASE.match(m.string, m.end())):
        return None
    d = ordinal_value(m["d"])
    t = ctx.today
    day = valid(t.year, t.month, d)
    if day is None or (day < t and not ctx.past_intent):
        nxt = add_months(t.replace(day=1), 1)
        day = valid(nxt.year, nxt.month, d)
    if day is None:
        return None
    h = Hit(m.start(), m.end(), "date", day=day, explicit_past=day < t)
    h.extra["day_of_month"] = d  # a range ending before its start rolls on a month (ooo._later)
    return h


def _h_day_after(m: re.Match[str], ctx: Ctx) -> Hit | None:
    return Hit(m.start(), m.end(), "date", day=ctx.today + timedelta(days=2))


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
    first = add_months(ctx.today.replace(day=1), 1)
    return Hit(m.start(), m.end(), "date", day=first, range_end=last_day_of_month(first))


def _pod_hit(h: Hit, pod: str | None) -> None:
    if pod and (pt := PARTS_OF_DAY.get(pod.lower().replace(" ", ""))) is not None:
        h.at, h.pod = pt, True
        h.extra["pod"] = pod.lower()


_BESIDE_A_DATE = re.compile(rf",\s*(?:{MON_ALT}|\d)", _F)


def _h_weekday(m: re.Match[str], ctx: Ctx) -> Hit | None:
    word = m["wd"].lower()
    mod = (m["mod"] or "").lower().split()[-1] if m["mod"] else ""
    beside_a_date = _BESIDE_A_DATE.match(m.string, m.end())
    if word in RISKY_WD and not (m["pre"] or mod or m["dot"] or m["dom"] or beside_a_date):
        return None
    wd = WEEKDAYS[word]
    t = ctx.today
    past = False
    nw = re.sub(r"\s+", " ", (m["nw"] or "").lower()).removeprefix("of ")
    if m["dom"]:
        # "Tuesday the 19th", "Thu 15th": the next such day of the month that is that weekday
        d = ordinal_value(m["dom"])
        day = None
        first = t.replace(day=1)
        for k in range(0, 14):
            month = add_months(first, k)
            cand = valid(month.year, month.month, d)
            if cand is not None and cand >= t and cand.weekday() == wd:
                day = cand
                break
        if day is None:
            return None
    elif mod in ("last", "past", "previous") or nw.startswith("from last"):
        day, past = prev_weekday(t, wd, include_today=False), True
    elif mod == "next" or nw.startswith("next"):
        day = next_week_weekday(t, wd)
    elif nw.startswith("after"):
        day = next_weekday(t, wd, include_today=False) + timedelta(days=7)
    elif nw.startswith("this"):
        day = t - timedelta(days=t.weekday()) + timedelta(days=wd)
        past = day < t
    elif mod == "following":
        day = next_weekday(t, wd, include_today=False) + timedelta(days=7)
    elif ctx.past_intent and not mod:
        day, past = prev_weekday(t, wd), True
    else:  # bare / by / on / this / coming: the next occurrence, today included
        day = next_weekday(t, wd)
    h = Hit(m.start(), m.end(), "date", day=day, weekday=True, explicit_past=past and day < t)
    _pod_hit(h, m["pod"])
    return h


def _h_rel_day(m: re.Match[str], ctx: Ctx) -> Hit | None:
    w = re.sub(r"\s+", " ", m["w"].lower())
    t = ctx.today
    h = Hit(m.start(), m.end(), "date")
    if w in ("today", "tonight", "tonite") or w.startswith("this"):
        h.day, h.relative_today = t, True
        if w in ("tonight", "tonite"):
            _pod_hit(h, "tonight")
        elif w.startswith("this"):
            _pod_hit(h, w.split()[-1])
    elif w == "yesterday":
        h.day, h.explicit_past = t - timedelta(days=1), True
    else:
        h.day = t + timedelta(days=1)
    _pod_hit(h, m["pod"])
    return h


_REL_WORDS = frozenset(
    {"today", "tonight", "tonite", "tomorrow", "tomorrows", "tomorow", "tmrw", "tmrow", "tmr", "2morrow",
     "yesterday", "this"}
)  # fmt: skip
_UNIT = (
    r"(?P<unit>seconds?|secs?|s\b|\"|minutes?|mins?|m\b|'|hours?|hrs?|h\b|h(?=[0-5]\d\b)|days?|weeks?|wks?|fortnights?|months?"
    r"|years?|yrs?|business\s+days?|working\s+days?)"
)
_AMOUNT = (
    rf"(?P<amt>\d+[.,]\d+|\d+\s*/\s*\d+|(?:a\s+)?quarter(?:\s+of(?:\s+an?)?)?|three[-\s]quarters?(?:\s+of(?:\s+an?)?)?"
    rf"|half\s+an?|half|a\s+half|{NUM_ALT})(?P<andhalf>\s+and\s+an?\s+half)?(?:\s+more)?\s*"
)
# What may follow a span's unit: "an hour and a half", "2 hours and 15 minutes", "1 hour 30 minutes", "1h30"
_MORE = (
    r"(?:\s+(?P<half2>and\s+an?\s+half)\b"
    rf"|(?:\s*,?\s+and\s+|\s+)(?P<amt2>\d{{1,2}}|{NUM_ALT})\s*(?P<unit2>minutes?|mins?|m\b|seconds?|secs?)"
    r"|(?<=h)(?P<amt2b>[0-5]\d)(?:m\b|min\b)?)?"
)
_MONTH_REF = (
    rf"(?:(?P<mon>{MON_ALT})\.?(?:,?\s+(?P<y>\d{{4}}))?|(?P<rel>this|the\s+current|current|the|next|the\s+next"
    r"|the\s+following|last|the\s+previous|previous)\s+month)\b"
)

_DATE_RULES: list[Rule] = [
    (
        re.compile(
            PRE + r"(?<![\d/.])(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
            r"(?:(?:T|\s+)(?P<hh>\d{1,2}):(?P<mm>\d{2}))?(?![\d/])",
            _F,
        ),
        _h_iso,
        DIGIT,
    ),
    (
        re.compile(
            PRE + r"\b(?:today\s+)?(?:in|within)\s+(?:about\s+|around\s+|approximately\s+|roughly\s+)?(?:the\s+next\s+)?"
            + _AMOUNT + _UNIT + _MORE + r"(?!\w)",
            _F,
        ),
        _h_in,
        frozenset({"in", "within"}),
    ),
    (
        re.compile(r"(?P<pre>)\bin\s+(?P<amt>[1-5]?\d)(?P<andhalf>)(?P<unit>)(?=\s*(?:$|[,.;!?]|\s(?:to|and)\b))", _F),
        _h_in,
        frozenset({"in"}),
    ),
    (
        re.compile(
            PRE + r"\b" + _AMOUNT + _UNIT + _MORE + r"\s+(?:from\s+(?:right\s+)?(?:now|today)|hence)\b",
            _F,
        ),
        _h_in,
        frozenset({"from", "hence"}),
    ),
    (
        re.compile(
            PRE + r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})(?![\d/.]|\.\d)", _F
        ),
        _h_num_year,
        DIGIT,
    ),
    (
        re.compile(
            r"(?<!\bat\s)(?<!\bum\s)(?<!\bà\s)(?<!@)" + PRE
            + r"(?<![\d/.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})(?P<dot>\.)?(?![\d/]|\.\d|\s*(?:uhr|h\b|am\b|pm\b|%))",
            _F,
        ),
        _h_dotted,
        DIGIT,
    ),
    (re.compile(PRE + r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/])", _F), _h_num, DIGIT),
    (
        re.compile(
            PRE + rf"\b(?:the\s+)?(?:(?P<nth>last|{_ORD_STRICT})\s+(?P<wd>{WD_ALT})\.?\s+(?:of|in)\s+(?:the\s+)?{_MONTH_REF})",
            _F,
        ),
        _h_nth_weekday,
        frozenset(WEEKDAYS),
    ),
    (
        re.compile(PRE + rf"\b(?:the\s+)?(?P<edge>last|first)\s+day\s+(?:of|in)\s+(?:the\s+)?{_MONTH_REF}", _F),
        _h_month_edge,
        frozenset({"day"}),
    ),
    (
        re.compile(
            PRE + rf"\b(?:the\s+)?(?P<d>{_ORD})(?:\s+day)?\s+of\s+(?P<rel>this|the\s+current|current|next|the\s+next"
            r"|the\s+following)\s+month\b",
            _F,
        ),
        _h_day_of_month,
        frozenset({"month"}),
    ),
    (
        re.compile(
            PRE + rf"\b(?:the\s+)?(?P<d>{_ORD})(?:\s+day)?\s*(?:of\s+)?(?P<mon>{MON_ALT})\b\.?"
            r"(?:,?\s+(?P<y>\d{4}\b|'\d{2}\b|\d{2}\b(?![:.]?\d|\s*(?:am|pm|h\b|uhr))))?",
            _F,
        ),
        _h_day_month,
        frozenset(MONTHS),
    ),
    (
        re.compile(
            PRE + rf"\b(?P<mon>{MON_ALT})(?:\b\.?\s*(?:the\s+)?|(?=\d))(?P<d>{_ORD})\b(?!:)(?:,?\s+(?P<y>\d{{4}})\b)?",
            _F,
        ),
        _h_day_month,
        frozenset(MONTHS),
    ),
    (re.compile(PRE + r"\b(?:the\s+)?day\s+after\s+tomorrow\b", _F), _h_day_after, frozenset({"tomorrow"})),
    (
        re.compile(PRE + rf"\b(?P<n>{NUM_ALT})\s+(?P<wd>{WD_ALT})s\s+from\s+(?:now|today)\b", _F),
        _h_weekdays_from_now,
        frozenset({"from"}),
    ),
    (
        re.compile(
            PRE
            + r"\b(?:(?P<mod>this|next|last|past|previous|coming|upcoming|the\s+coming|the\s+following|following)\s+)?"
            + rf"(?P<wd>{WD_ALT})\b(?P<dot>\.)?{_END}"
            + rf"(?:,?\s+(?:the\s+)?(?P<dom>{_ORD_STRICT})\b(?!\s+(?:of\s+)?(?:{MON_ALT})\b))?"
            + r"(?:\s+(?P<nw>(?:of\s+)?next\s+week|(?:of\s+)?this\s+week|after\s+next|from\s+last\s+week))?"
            + rf"(?:\s+(?P<pod>{POD_ALT}))?",
            _F,
        ),
        _h_weekday,
        frozenset(WEEKDAYS),
    ),
    (
        re.compile(
            PRE
            + r"\b(?P<w>today|tonight|tonite|tomorrows?|tomorow|tmrw|tmrow|tmr|2morrow|yesterday|this\s+(?:"
            + POD_ALT + rf"))\b{_END}(?:\s+(?P<pod>{POD_ALT}))?",
            _F,
        ),
        _h_rel_day,
        _REL_WORDS,
    ),
    (re.compile(PRE + r"\b(?:at\s+)?(?:the\s+)?end\s+of\s+next\s+week\b", _F), _h_end_next_week, frozenset({"end"})),
    (
        re.compile(PRE + r"\b(?:eow|(?:at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:work\s*)?week)\b", _F),
        _h_eow,
        frozenset({"eow", "end"}),
    ),
    (
        re.compile(
            PRE
            + r"\b(?:early\s+|all\s+(?:of\s+)?|the\s+whole\s+)?(?:next|the\s+following|the\s+coming)\s+week\b"
            r"(?P<after>\s+after)?|\bthe\s+week\s+after\s+next\b",
            _F,
        ),
        _h_next_week,
        frozenset({"week"}),
    ),
    (
        re.compile(
            PRE + r"\b(?:this|later\s+this|sometime\s+this|all|the\s+whole|the\s+rest\s+of\s+the)\s+week\b",
            _F,
        ),
        _h_this_week,
        frozenset({"week"}),
    ),
    (
        re.compile(PRE + r"\b(?:this\s+|the\s+|(?P<next>next)\s+)?weekend\b", _F),
        _h_weekend,
        frozenset({"weekend"}),
    ),
    (
        re.compile(PRE + r"\b(?:eom|(?:at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month)\b", _F),
        _h_eom,
        frozenset({"eom", "end"}),
    ),
    (re.compile(PRE + r"\bnext\s+month\b", _F), _h_next_month, frozenset({"month"})),
    (
        re.compile(
            PRE + rf"\b(?:(?:the\s+)?upcoming\s+(?P<n>{NUM_ALT})\s+days?|(?P<n2>{NUM_ALT})\s+upcoming\s+days?)\b", _F
        ),
        _h_upcoming_days,
        frozenset({"upcoming"}),
    ),
    (
        re.compile(PRE + rf"\b(?:the\s+)?(?P<d>\d{{1,2}}(?:st|nd|rd|th)|{ORD_ALT})\b(?!\s+(?:of\s+)?(?:{MON_ALT})\b)", _F),
        _h_ordinal,
        DIGIT | frozenset({"first", "second", "third", "fourth", "fifth", "tenth", "twentieth", "twenty", "thirty"}),
    ),
]

_JOIN = re.compile(r"^[\s,]*(?:on\s+)?(?:the\s+)?$", _F)


def _merge_weekday_dates(text: str, hits: list[Hit]) -> list[Hit]:
    """ "Monday, Feb 18", "Fri, Sep 20", "Jul 18, Fri": one date; the weekday picks the year."""
    out: list[Hit] = []
    for h in hits:
        prev = out[-1] if out else None
        if prev is not None and _JOIN.match(text[prev.end:h.start]) and prev.weekday != h.weekday:
            wd_hit, cal = (prev, h) if prev.weekday else (h, prev)
            if "calendar" in cal.extra or cal.yearless or (cal.day is not None and not cal.weekday):
                assert wd_hit.day is not None and cal.day is not None
                merged = Hit(prev.start, h.end, "date", day=cal.day, explicit_past=cal.explicit_past,
                             prefix=prev.prefix or h.prefix, yearless=cal.yearless)
                if "calendar" in cal.extra:
                    mo, d = cal.extra["calendar"]
                    for y in range(cal.day.year, cal.day.year + 7):
                        cand = valid(y, mo, d)
                        if cand is not None and cand.weekday() == wd_hit.day.weekday():
                            merged.day = cand
                            break
                merged.at, merged.pod, merged.extra = wd_hit.at, wd_hit.pod, dict(wd_hit.extra)
                out[-1] = merged
                continue
        out.append(h)
    return out


def find_dates(text: str, ctx: Ctx, mask: list[tuple[int, int]] | None = None) -> list[Hit]:
    """Date hits (English rules, then the non-English fallback), sorted by position.

    ``mask``: spans already understood (clock times) that the fallback must not look at.
    """
    taken: list[tuple[int, int]] = []
    hits = _settle_order(_merge_weekday_dates(text, scan(text, _DATE_RULES, ctx, taken)), ctx)
    if foreign_candidate(text):
        hits.extend(foreign_dates(text, ctx, taken, list(mask or ())))
        hits.sort(key=lambda h: h.start)
    return hits


def find_all(text: str, ctx: Ctx) -> tuple[list[Hit], list[Hit]]:
    """(date hits, time hits): English dates first, then clock times, then foreign dates."""
    taken: list[tuple[int, int]] = []
    feats = features(text)
    dates = _settle_order(_merge_weekday_dates(text, scan(text, _DATE_RULES, ctx, taken, feats)), ctx)
    times = scan(text, TIME_RULES, ctx, taken, feats)
    if foreign_candidate(text):
        dates.extend(
            foreign_dates(text, ctx, [(h.start, h.end) for h in dates], [(h.start, h.end) for h in times])
        )
        dates.sort(key=lambda h: h.start)
    return dates, times


def warm_up() -> None:
    """Load dateparser and its locale data ahead of the first message (optional)."""
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


# A reminder's clock time said without am/pm is the next time the clock shows it, except that a
# reading between midnight and 06:00 is taken only by someone writing after midnight: "at 2" said
# at 22:00 is tomorrow 14:00, "at 1:30" said at 00:40 is 01:30. Nobody is woken by a guess.
NIGHT_END = time(6, 0)


def _pod_settles(at: time, pod: str) -> time:
    """An ambiguous clock time read with the part of day said beside it ("tonight at 8" = 20:00)."""
    h = at.hour % 12
    return time(h if pod == "morning" else h + 12, at.minute)


def _next_on_the_clock(ctx: Ctx, at: time) -> datetime:
    """The next moment the 12-hour clock shows ``at`` (either reading), skipping the night unless
    the person is writing after midnight."""
    night_owl = ctx.now.time() < NIGHT_END
    h = at.hour % 12
    best: datetime | None = None
    for offset in (0, 1, 2):
        day = ctx.today + timedelta(days=offset)
        for hour in (h, h + 12):
            cand = datetime.combine(day, time(hour, at.minute), ctx.zone)
            if not after(cand, ctx.now) or (hour < NIGHT_END.hour and not night_owl):
                continue
            if best is None or after(best, cand):
                best = cand
    assert best is not None
    return best


def _in_zone(ctx: Ctx, day: date | None, at: time, zone: tzinfo) -> datetime:
    """``at`` on ``day`` (or the next time it comes) in a named zone, as the person's local time."""
    if day is not None:
        return datetime.combine(day, at, zone).astimezone(ctx.zone)
    there = ctx.now.astimezone(zone)
    cand = datetime.combine(there.date(), at, zone)
    if not after(cand, ctx.now):
        cand = datetime.combine(there.date() + timedelta(days=1), at, zone)
    return cand.astimezone(ctx.zone)


def resolve_when(
    text: str, ctx: Ctx, *, keep_today_past: bool = True, reminder: bool = False
) -> tuple[When | None, list[Hit]]:
    """Pick the due date/time of one task fragment (or the moment of a reminder).

    Date: a hit introduced by a deadline connector (by/due/on/before/until) wins, otherwise the
    last date phrase ("move the Friday sync to Monday" -> Monday). Time: the first clock time.
    ``reminder``: a clock time without am/pm is the next time it occurs (see ``_next_on_the_clock``)
    rather than its working-hours reading; "midnight" is the coming 00:00 rather than 23:59; "in 3
    days" keeps the clock time of now.
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
    ambiguous = False
    midnight = time_hit is not None and time_hit.midnight
    if time_hit is not None and time_hit.at is not None:
        at, eod, ambiguous = time_hit.at, time_hit.eod, time_hit.ambiguous
        if ambiguous and date_hit is not None and "pod" in date_hit.extra:
            pod = date_hit.extra["pod"]
            if at.hour % 12 == 0 and pod in ("evening", "night", "tonight"):
                midnight = True  # "tonight at 12"
                at = time(23, 59)
            else:
                at = _pod_settles(at, pod)
            ambiguous = False
    elif date_hit is not None and date_hit.at is not None:
        at = date_hit.at
    day_given = date_hit.day if date_hit is not None else None

    if time_hit is not None and at is not None and time_hit.zone is not None:
        inst = _in_zone(ctx, day_given, at, time_hit.zone)
        return When(inst.date(), inst.time(), inst, after(now, inst), tuple(spans)), dates

    if reminder and midnight:
        day = (day_given or ctx.today) + timedelta(days=1)
        inst = datetime.combine(day, time(0, 0), ctx.zone)
        return When(day, time(0, 0), inst, False, tuple(spans)), dates

    if date_hit is not None and date_hit.day is not None:
        day = date_hit.day
        if reminder and date_hit.same_time and at is None:
            inst = datetime.combine(day, now.time().replace(second=0, microsecond=0), ctx.zone)
            return When(day, inst.time(), inst, False, tuple(spans)), dates
        past = date_hit.explicit_past or (ctx.past_intent and day < ctx.today)
        if (
            at is not None
            and day == ctx.today
            and after(now, datetime.combine(day, at, ctx.zone))
            and not ctx.past_intent
        ):
            other = time(at.hour % 12 + 12, at.minute) if ambiguous and at.hour < 12 else None
            if reminder and other is not None and after(datetime.combine(day, other, ctx.zone), now):
                at = other  # "remind me today at 9" said at 10:00: 21:00
            elif eod:
                at = time(23, 59)  # "EOD" after hours means "before I go to bed"
            elif date_hit.weekday and not date_hit.relative_today:
                day = day + timedelta(days=7)  # "Wednesday 9am" said on Wednesday at 10:30
            elif keep_today_past:
                past = True  # "today at 9am" at 10:30: keep it, it is overdue
        return When(day, at, None, past, tuple(spans), date_hit.range_end, eod), dates

    # time only
    assert at is not None
    if reminder and ambiguous:
        inst = _next_on_the_clock(ctx, at)
        return When(inst.date(), inst.time(), None, False, tuple(spans)), dates
    day = ctx.today
    if not after(datetime.combine(day, at, ctx.zone), now):
        if eod:
            at = time(23, 59)
        else:
            day += timedelta(days=1)
    return When(day, at, None, False, tuple(spans), None, eod), dates

