"""parse_ooo: "I'm out Monday to Wednesday" -> ParsedOoo(start, end, reason)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .dates import MONTHS, Ctx, Hit, _add_business_days, find_dates, friday_of_week, make_ctx
from .models import DateOrder, ParsedOoo

_F = re.IGNORECASE

# Something that states an absence. "turn off the server", "out of coffee", "I'm off to lunch",
# "fix the out of office reply" are not absences.
_NOT_AFTER = r"(?!\s+(?:of\s+(?!(?:the\s+)?office)|to\b|for\s+(?:lunch|a\s+(?:walk|coffee|smoke|bit|sec|minute))|here\b|there\b))"
_ABSENCE = re.compile(
    r"(?<![\w-])(?:"
    r"ooo|pto|afk"
    r"|out[ -]of[ -](?:the[ -])?office"
    r"|(?:on|taking|take|took|booked|have|having|using|use|starting|going\s+on)\s+(?:a\s+|some\s+|my\s+|the\s+)?"
    r"(?:vacation|vacay|holidays?|leave|pto|time\s+off|days?\s+off|sick\s+(?:day|leave)|personal\s+day|"
    r"(?:parental|maternity|paternity|annual|medical|bereavement|family)\s+leave)"
    r"|(?:vacation|holiday|sick|personal)\s+days?|days?\s+off|time\s+off"
    r"|\b(?:tak(?:e|ing|en)|took|have|having|got)\s+(?:[\w/-]+\s+){0,3}off\b(?!\s+(?:the|a|an|my|our)\b)"
    r"|out\s+sick|call(?:ing|ed)?\s+in\s+sick|feeling\s+(?:sick|ill|unwell|under\s+the\s+weather)|not\s+feeling\s+well"
    r"|under\s+the\s+weather|not\s+coming\s+in|won['’]?t\s+be\s+(?:in|around|available|online|working)|not\s+working"
    r"|(?:i['’]?m|i\s+am|i['’]?ll\s+be|i\s+will\s+be|i\s+was|i['’]?ve\s+been|i\s+have\s+been|will\s+be|gonna\s+be|going\s+to\s+be|"
    r"i['’]?d\s+be|we['’]?re|we\s+are|we['’]?ll\s+be|(?:she|he|they)(?:['’]s|['’]ll\s+be|\s+is|\s+will\s+be|\s+are))"
    r"\s+(?:(?:also|still|probably|likely|going\s+to\s+be|totally)\s+)?"
    r"(?:out|off|away|sick|ill|unwell|offline|unavailable|not\s+available|not\s+around|not\s+in|on\s+vacation|on\s+holiday|on\s+leave|traveling|travelling)\b"
    + _NOT_AFTER
    + r"|^\W*(?:out|off|away|sick|ill|ooo|vacation|on\s+vacation|on\s+holiday|on\s+leave|pto|holiday|traveling|travelling)\b"
    + _NOT_AFTER
    + r")",
    _F,
)
_OOO_AS_NOUN = re.compile(
    r"\b(?:the|an?|my|our|your|their)\s+(?:ooo|out[ -]of[ -](?:the[ -])?office)\b|\b(?:ooo|out[ -]of[ -](?:the[ -])?office)\s+"
    r"(?:reply|replies|message|messages|responder|auto-?reply|email|status|calendar|bot|feature|setting|flag|banner|form|page)\b",
    _F,
)

_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:parental|maternity|paternity)\s+leave\b", _F), "parental"),
    (re.compile(r"\b(?:public|bank|national)\s+holiday\b", _F), "holiday"),
    (
        re.compile(
            r"\b(?:sick|ill|unwell|flu|covid|fever|migraine|under\s+the\s+weather|not\s+feeling\s+well|medical\s+leave)\b",
            _F,
        ),
        "sick",
    ),
    (re.compile(r"\b(?:doctor|dentist|appointment|hospital|surgery)\b", _F), "appointment"),
    (
        re.compile(r"\b(?:vacation|vacay|holidays?|pto|annual\s+leave|honeymoon|trip|beach|skiing)\b", _F),
        "vacation",
    ),
    (re.compile(r"\b(?:travel(?:l?ing)?|conference|offsite|business\s+trip|flying)\b", _F), "travel"),
    (re.compile(r"\b(?:personal|family|bereavement|funeral|moving|wedding)\b", _F), "personal"),
]

_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|to|through|thru|until|till|til|->|→|and\s+back\s+on)\s*$", _F)
_LIST_SEP = re.compile(r"^\s*(?:,|and|&|,\s*and|or)\s*$", _F)
_BACK = re.compile(
    r"\b(?:back|returning|return|in\s+the\s+office|back\s+in\s+the\s+office)\s*(?:on\s*)?$", _F
)
_DURATION = re.compile(
    r"\bfor\s+(?:the\s+next\s+)?(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few)\s+"
    r"(?P<unit>(?:business\s+|working\s+|work\s+)?days?|weeks?)\b",
    _F,
)
_REST_OF_WEEK = re.compile(
    r"\b(?:for\s+)?(?:the\s+)?rest\s+of\s+(?:the|this)\s+week\b|\ball\s+week\b|\bthe\s+whole\s+week\b", _F
)
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
# "Dec 20-24", "December 20 to 24", "20-24 Dec", "20th to 24th of December"
_DAY_RANGE = re.compile(
    rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|through|thru|until)\s*(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*/)"
    rf"|\b(?P<e1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|through|thru|until)\s*(?P<e2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH_ALT})\b",
    _F,
)
_PAST = re.compile(r"\b(?:was|were|have\s+been|i['’]ve\s+been|had\s+been|took|called\s+in)\b", _F)
_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "a couple of": 2, "a few": 3}  # fmt: skip


def _reason(text: str) -> str | None:
    for rx, name in _REASONS:
        if rx.search(text):
            return name
    return None


def _day_range(text: str, ctx: Ctx) -> tuple[date, date] | None:
    m = _DAY_RANGE.search(text)
    if m is None:
        return None
    mon = MONTHS[(m["mon"] or m["mon2"]).lower()]
    d1, d2 = int(m["d1"] or m["e1"]), int(m["d2"] or m["e2"])
    year = ctx.today.year
    try:
        start, end = date(year, mon, d1), date(year, mon, d2)
    except ValueError:
        return None
    if end < ctx.today and not ctx.past_intent:
        start, end = start.replace(year=year + 1), end.replace(year=year + 1)
    if end < start:
        return None
    return start, end


def _later(end: date, start: date, hit: Hit) -> date:
    """Move an end date that resolved before the start forward (weekday: +7, yearless: +1 year)."""
    if end >= start:
        return end
    if hit.weekday:
        while end < start:
            end += timedelta(days=7)
        return end
    if hit.yearless:
        try:
            return end.replace(year=end.year + 1)
        except ValueError:  # Feb 29
            return end + timedelta(days=365)
    return start


def parse_ooo(text: str, *, now: datetime, tz: str, date_order: DateOrder = "MDY") -> ParsedOoo | None:
    """Parse an out-of-office statement; None when the text states no absence.

    Without a date the absence is today. "next week" is Monday-Friday of next week, "this week" /
    "all week" today-Friday, "until X" today-X, "back on X" today-(X - 1 day), "for N days" N calendar
    days (N business days with "business/working days") from the start. Two or more separate days
    ("Tuesday and Thursday") collapse to the span between the first and the last.
    """
    m = _ABSENCE.search(text)
    if m is None or (_OOO_AS_NOUN.search(text) and not _ABSENCE.search(_OOO_AS_NOUN.sub(" ", text))):
        return None
    ctx = make_ctx(now, tz, date_order, past_intent=bool(_PAST.search(text)))
    reason = _reason(text)
    today = ctx.today

    rng = _day_range(text, ctx)
    if rng is not None:
        return ParsedOoo(rng[0], rng[1], reason)

    hits = [h for h in find_dates(text, ctx) if h.day is not None]
    start: date | None = None
    end: date | None = None
    if hits:
        back = None
        prev_end = 0
        for h in hits:
            if _BACK.search(text, prev_end, h.start):
                back = h
                break
            prev_end = h.end
        if back is not None:  # "out today, back on Monday": until the day before
            others = [h for h in hits if h is not back]
            start = others[0].extra.get("range_start", others[0].day) if others else today
            assert start is not None and back.day is not None
            end = max(_later(back.day, start, back) - timedelta(days=1), start)
            hits = [*others[:1], back]
        else:
            h1 = hits[0]
            assert h1.day is not None
            start = h1.extra.get("range_start", h1.day)
            end = h1.range_end or h1.day
            if h1.prefix in ("until", "till", "til", "through", "thru"):
                start = today
            for prev, h in zip(hits, hits[1:], strict=False):
                assert h.day is not None
                between = text[prev.end : h.start]
                ranged = _RANGE_SEP.match(between) or (
                    not between.strip() and h.prefix in ("until", "till", "til", "through", "thru")
                )
                if not ranged and not _LIST_SEP.match(between) and between.strip():
                    break  # an unrelated date further on
                end = _later(h.range_end or h.day, end, h)
    elif _REST_OF_WEEK.search(text):
        start, end = today, friday_of_week(today)
    assert (start is None) == (end is None)
    if start is None or end is None:
        start = end = today

    dur = _DURATION.search(text)
    if dur is not None and (not hits or len(hits) == 1 and end == start):
        n = int(dur["n"]) if dur["n"].isdigit() else _NUMS[re.sub(r"\s+", " ", dur["n"].lower())]
        unit = dur["unit"].lower()
        if unit.startswith(("business", "working", "work")):
            end = (
                _add_business_days(start - timedelta(days=1), n)
                if start.weekday() < 5
                else _add_business_days(start, n)
            )
        elif unit.startswith("week"):
            end = start + timedelta(days=7 * n - 1)
        else:
            end = start + timedelta(days=n - 1)
    if end < start:
        start, end = end, start
    return ParsedOoo(start, end, reason)
