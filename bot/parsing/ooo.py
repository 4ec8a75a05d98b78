"""Absences in words: ``parse_ooo`` ("I'm out Monday to Wednesday" -> ParsedOoo(start, end, reason)),
``states_absence`` and ``status_absence`` (a Slack status that means the person is away).

English, Spanish, French, German, Italian and Portuguese ("Je suis en congé du 16 au 18 mars",
"Estoy de vacaciones la próxima semana", "Ich bin nächste Woche im Urlaub"). Pure: ``now`` is a parameter.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .dates import MONTHS, Ctx, Hit, _add_business_days, find_dates, friday_of_week, make_ctx
from .foreign import month_number
from .holiday_names import following, named_holidays
from .models import DateOrder, ParsedOoo
from .text import sentences_of
from .timebase import (
    MON_ALT,
    WD_ALT,
    WEEKDAYS,
    add_months,
    next_week_weekday,
    next_weekday,
    overlaps,
    prev_weekday,
    valid,
)

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
    + r"|^\W*(?:(?:also|and|plus)\s+)?(?:out|off|away|sick|ill|ooo|vacation|on\s+vacation|on\s+holiday|on\s+leave|pto|holiday|traveling|travelling)\b"
    + _NOT_AFTER
    + r")",
    _F,
)
_OOO_AS_NOUN = re.compile(
    r"\b(?:the|an?|my|our|your|their)\s+(?:ooo|out[ -]of[ -](?:the[ -])?office)\b|\b(?:ooo|out[ -]of[ -](?:the[ -])?office)\s+"
    r"(?:reply|replies|message|messages|responder|auto-?reply|email|status|calendar|bot|feature|setting|flag|banner|form|page)\b",
    _F,
)

# The same in Spanish, French, German, Italian and Portuguese.
_FOREIGN_ABSENCE = re.compile(
    r"(?<![\w-])(?:"
    # es
    r"de\s+(?:vacaciones|baja|permiso|licencia)|enferm[oa]|ausente|fuera\s+de\s+la\s+oficina|d[ií]as?\s+libres?"
    r"|no\s+(?:estar[ée]|voy\s+a\s+estar|vengo|vendr[ée]|trabajo|trabajar[ée])\b"
    # fr
    r"|en\s+(?:cong[ée]s?|vacances|arr[êe]t\s+maladie|rtt)|malade|(?:suis|serai|sera|est|être)\s+absente?s?|hors\s+du\s+bureau|jours?\s+de\s+cong[ée]s?"
    r"|pas\s+(?:l[àa]|disponible|dispo)\b|je\s+(?:prends|pose)\s+(?:\w+\s+){0,3}(?:cong[ée]s?|vacances|jours?|rtt)\b"
    # de
    r"|im\s+urlaub|in\s+(?:den\s+)?urlaub|urlaub|krank(?:geschrieben|gemeldet)?|abwesend|elternzeit"
    r"|nicht\s+(?:da|im\s+b[üu]ro|erreichbar|verf[üu]gbar)\b|(?:habe|hab|nehme)\s+(?:\w+\s+){0,3}frei\b"
    # it
    r"|in\s+(?:ferie|vacanza|permesso|malattia|congedo)|malat[oa]|assente|fuori\s+(?:ufficio|sede)|giorn[oi]\s+liber[oi]"
    # pt
    r"|de\s+(?:f[ée]rias|folga|licen[çc]a|atestado)|doente|fora\s+do\s+escrit[óo]rio"
    r")(?![\w-])",
    _F,
)

_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:parental|maternity|paternity)\s+leave\b|\belternzeit\b|\bcong[ée]\s+(?:parental|maternit[ée]|paternit[ée])\b"
                r"|\bbaja\s+por\s+(?:maternidad|paternidad)\b|\blicen[çc]a[\s-]+(?:maternidade|paternidade)\b", _F), "parental"),
    (re.compile(r"\b(?:public|bank|national)\s+holiday\b", _F), "holiday"),
    (
        re.compile(
            r"\b(?:sick|ill|unwell|flu|covid|fever|migraine|under\s+the\s+weather|not\s+feeling\s+well|medical\s+leave"
            r"|enferm[oa]|de\s+baja|malade|maladie|krank\w*|malat[oa]|malattia|doente|atestado)\b",
            _F,
        ),
        "sick",
    ),
    (re.compile(r"\b(?:doctor|dentist|appointment|hospital|surgery)\b", _F), "appointment"),
    (
        re.compile(r"\b(?:vacation|vacay|holidays?|pto|annual\s+leave|honeymoon|trip|beach|skiing"
                   r"|vacaciones|vacances|cong[ée]s?|rtt|urlaub|ferie|vacanza|f[ée]rias)\b", _F),
        "vacation",
    ),
    (re.compile(r"\b(?:travel(?:l?ing)?|conference|offsite|business\s+trip|flying)\b", _F), "travel"),
    (re.compile(r"\b(?:personal|family|bereavement|funeral|moving|wedding)\b", _F), "personal"),
]

_UNTIL_WORDS = ("until", "till", "til", "through", "thru")
_RANGE_SEP = re.compile(
    r"^\s*(?:-|–|—|to|through|thru|until|till|til|->|→|and\s+back\s+on"
    r"|au|al|bis(?:\s+(?:zum|einschlie(?:ß|ss)lich))?|a|à|hasta(?:\s+el)?|jusqu['’]?(?:au|à)|fino\s+al?|até(?:\s+[ao])?)\s*$",
    _F,
)
# "hasta el viernes", "jusqu'à vendredi", "bis Freitag", "fino a venerdì", "até sexta": today until then
_FOREIGN_UNTIL = re.compile(r"(?:hasta|jusqu['’]?(?:à|au)|bis|fino\s+al?|até)(?![\w-])", _F)
_FOREIGN_UNTIL_BEFORE = re.compile(
    r"(?<![\w-])(?:hasta|jusqu['’]?(?:à|au)|bis|fino\s+al?|até)(?:\s+(?:el|le|la|zum|zur|am|o|a))?\s*$", _F
)
_LIST_SEP = re.compile(r"^\s*(?:,|and|&|,\s*and|or)\s*$", _F)
_BACK = re.compile(
    r"(?<![\w-])(?:back|returning|return|in\s+the\s+office|back\s+in\s+the\s+office|zurück|wieder\s+da|de\s+retour"
    r"|de\s+vuelta|di\s+ritorno|de\s+volta)\s*(?:(?:on|am|le|el|il|o)\s*)?$", _F
)
_NUM_WORDS = r"\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|couple\s+of|a\s+few|few"
# "for 3 days", "out of office 3 days", "3 days off", "two weeks of PTO" (not "in 3 days", "3 days ago", nor
# "taking Friday off, then 2 days on the migration": without "for", the count sits beside the absence words)
_COUNT = r"(" + _NUM_WORDS + r")\s+((?:business\s+|working\s+|work\s+|calendar\s+)?days?|weeks?)\b"  # (n)(unit)
_DURATION = re.compile(
    r"(?<!\bin\s)(?<!\bwithin\s)(?<!\d)\b(?:"
    r"for\s+(?:the\s+next\s+)?" + _COUNT + r"(?!\s+(?:ago|from\s+now|later|earlier|before|after|hence|back)\b)"
    r"|" + _COUNT + r"\s+(?:off|away|out|of\s+(?:pto|leave|vacation|holidays?|time\s+off|sick\s+leave))\b"
    r"|(?:(?<=\b(?:ooo|off|out|pto) )|(?<=\baway )|(?<=\boffice ))(?:the\s+next\s+)?" + _COUNT + r")",
    _F,
)
# "ooo 3", "out 2", "/ooo 3": a bare count after the absence word is that many days
_BARE_COUNT = re.compile(
    r"^\W*(?:i['’]?m\s+|i\s+am\s+)?(?:ooo|out|off|away|pto|out\s+of\s+(?:the\s+)?office)\s+(?:for\s+)?(?P<n>\d{1,2})\W*$", _F
)
_REST_OF_WEEK = re.compile(
    r"\b(?:for\s+)?(?:the\s+)?rest\s+of\s+(?:the|this)\s+week\b|\ball\s+week\b|\bthe\s+whole\s+week\b", _F
)
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEP = r"(?:-|–|—|to|through|thru|until|till)"
# "Dec 20-24", "December 20 to 24"
_DAY_RANGE = re.compile(
    rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*{_SEP}\s*(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*/)",
    _F,
)
# "20-24 Dec", "the 20th to the 24th of December", "du 16 au 18 mars", "del 16 al 18 de marzo",
# "vom 28. März bis 2. April", "dal 16 al 18 marzo", "de 16 a 18 de março": months in any of the languages
_WORD = r"[^\W\d_]{3,}"
_DAY_MONTH_RANGE = re.compile(
    r"(?<![\d/.:])\b(?:(?:du|del|vom|dal|dall['’]|desde(?:\s+el)?|from|between)\s+)?(?:the\s+)?"
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th|er|º|°|\.)?\s*(?:(?:of\s+|de\s+)?(?P<m1>" + _WORD + r")\.?\s+)?"
    r"(?:-|–|—|to|through|thru|until|till|and|au|al|bis(?:\s+zum)?|a|à|hasta(?:\s+el)?|jusqu['’]?au|fino\s+al|até)\s*"
    r"(?:the\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th|º|°|\.)?\s*(?:of\s+|de\s+)?(?P<m2>" + _WORD + r")\b",
    _F,
)
# "Mon-Wed", "Monday to Wednesday", "sat-sun", "Tue-Thu next week", "next Mon-Fri"
_WEEKDAY_RANGE = re.compile(
    rf"\b(?P<next>next\s+)?(?P<w1>{WD_ALT})\.?\s*{_SEP}\s*(?P<w2>{WD_ALT})\b\.?(?P<nw>\s+(?:of\s+)?(?:next|this)\s+week\b)?",
    _F,
)
# "20th-24th", "from the 20th to the 24th", "the 20th through the 24th" (this month, or the next when past)
_ORDINAL_RANGE = re.compile(
    r"(?<![\d/.:])\b(?:from\s+)?(?P<the1>the\s+)?(?P<d1>\d{1,2})(?P<s1>st|nd|rd|th)?\s*" + _SEP + r"\s*(?P<the2>the\s+)?"
    r"(?P<d2>\d{1,2})(?P<s2>st|nd|rd|th)?\b(?![/:.]\d)(?!\s*(?:%|h\b|hours?|hrs?|mins?|minutes?|am\b|pm\b|days?|weeks?|people))",
    _F,
)
_PAST = re.compile(r"\b(?:was|were|have\s+been|i['’]ve\s+been|had\s+been|took|called\s+in)\b", _F)
_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3}  # fmt: skip


def _reason(text: str) -> str | None:
    for rx, name in _REASONS:
        if rx.search(text):
            return name
    return None


def _month(word: str | None) -> int | None:
    if not word:
        return None
    return MONTHS.get(word.lower().rstrip(".")) or month_number(word)


def _yearless_span(ctx: Ctx, m1: int, d1: int, m2: int, d2: int) -> tuple[date, date] | None:
    """A span of two month-day dates without a year: this year's, or next year's when it is over
    (unless the text is about the past); an end before the start is in the following year."""
    year = ctx.today.year
    for y in (year, year + 1):
        start = valid(y, m1, d1)
        end = valid(y, m2, d2)
        if start is None or end is None:
            return None
        if end < start:
            end = valid(y + 1, m2, d2)
            if end is None:
                return None
        if end >= ctx.today or ctx.past_intent:
            return start, end
    return None


def _day_range(text: str, ctx: Ctx) -> tuple[date, date] | None:
    """Two days of a named month: "Dec 20-24", "20-24 Dec", "du 16 au 18 mars", "vom 28. März bis 2. April"."""
    m = _DAY_RANGE.search(text)
    if m is not None:
        mon = MONTHS[m["mon"].lower()]
        return _yearless_span(ctx, mon, int(m["d1"]), mon, int(m["d2"]))
    for m in _DAY_MONTH_RANGE.finditer(text):
        m2 = _month(m["m2"])
        m1 = _month(m["m1"]) if m["m1"] else m2
        if m1 is None or m2 is None:
            continue
        return _yearless_span(ctx, m1, int(m["d1"]), m2, int(m["d2"]))
    return None


def _weekday_range(text: str, ctx: Ctx) -> tuple[date, date] | None:
    """"Mon-Wed": the next Monday (today included; next week's with "next"), to the Wednesday after it."""
    m = _WEEKDAY_RANGE.search(text)
    if m is None:
        return None
    w1, w2 = WEEKDAYS[m["w1"].lower()], WEEKDAYS[m["w2"].lower()]
    nw = (m["nw"] or "").lower()
    if m["next"] or "next" in nw:
        start = next_week_weekday(ctx.today, w1)
    elif "this" in nw:
        start = ctx.today + timedelta(days=w1 - ctx.today.weekday())
    elif ctx.past_intent:
        start = prev_weekday(ctx.today, w1)
    else:
        start = next_weekday(ctx.today, w1)
    return start, start + timedelta(days=(w2 - w1) % 7)


def _ordinal_range(text: str, ctx: Ctx) -> tuple[date, date] | None:
    """"20th-24th", "from the 20th to the 24th": this month's, or next month's when it is over."""
    for m in _ORDINAL_RANGE.finditer(text):
        if not (m["s1"] or m["s2"] or m["the1"] or m["the2"]):
            continue  # "20-24" alone could be anything
        d1, d2 = int(m["d1"]), int(m["d2"])
        first = ctx.today.replace(day=1)
        for k in range(3):
            month = add_months(first, k)
            start = valid(month.year, month.month, d1)
            after = month if d2 >= d1 else add_months(month, 1)
            end = valid(after.year, after.month, d2)
            if start is not None and end is not None and (end >= ctx.today or ctx.past_intent):
                return start, end
    return None


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
    if "day_of_month" in hit.extra:  # "from the 24th, back on the 2nd": the 2nd after the 24th
        month = end.replace(day=1)
        for _ in range(12):
            month = add_months(month, 1)
            later = valid(month.year, month.month, hit.extra["day_of_month"])
            if later is not None and later >= start:
                return later
    return start


def _is_until(text: str, hit: Hit) -> bool:
    return (hit.prefix in _UNTIL_WORDS or bool(_FOREIGN_UNTIL.match(text, hit.start))
            or bool(_FOREIGN_UNTIL_BEFORE.search(text, 0, hit.start)))


def _not_today(hit: Hit, day: date, today: date) -> date:
    """A weekday said on that weekday, as the end of an absence ("until Wednesday" on a Wednesday): next week's."""
    return day + timedelta(days=7) if hit.weekday and day == today else day


def states_absence(text: str) -> bool:
    """Does ``text`` (plain words) state an absence, in any of the languages? No dates needed."""
    if _FOREIGN_ABSENCE.search(text):
        return True
    m = _ABSENCE.search(text)
    return m is not None and not (_OOO_AS_NOUN.search(text) and not _ABSENCE.search(_OOO_AS_NOUN.sub(" ", text)))


# "back on Monday", "I'll be back in the office on the 2nd", "returning Jan 4", "zurück am 2. Januar": a return
# says the days before it are off. Only the whole sentence: "I'll get back on the bug Monday" is work.
_RETURN = re.compile(
    r"^\W*(?:(?:i['’]?ll|i\s+will|i['’]?m|i\s+am|we['’]?ll|we\s+will|we['’]?re)\s+(?:be\s+)?)?"
    r"(?:back|returning|zurück|wieder\s+da|de\s+retour|de\s+vuelta|di\s+ritorno|de\s+volta)"
    r"(?:\s+(?:in\s+the\s+office|at\s+work|online|at\s+my\s+desk|im\s+büro|au\s+bureau))?\s+(?P<when>.+?)\W*$",
    _F,
)
# What may be left of a sentence that only continues an absence once its dates are taken out:
# "Back on the 2nd.", "Bis 28. Dezember.", "until Friday", "and the 24th".
_CONNECTORS_ONLY = re.compile(
    r"^(?:\W|\b(?:too|also|as\s+well|aussi|auch|también|anche|também|"
    r"back|returning|return|zurück|until|till|til|through|thru|to|from|and|on|the|of|in|bis|zum|zur|am|vom|"
    r"au|al|del|du|le|la|el|il|a|à|hasta|jusqu['’]?(?:au|à)?|fino|até|o|und|et|y|e|i['’]?ll|i\s+will|be|i['’]?m|i\s+am)(?![\w'’]))*$",
    _F,
)


def _dates_only(text: str, ctx: Ctx) -> bool:
    """Whether ``text`` says nothing but one or more dates and the words that join them."""
    hits = [h for h in find_dates(text, ctx) if h.day is not None]
    if not hits:
        return False
    rest = text
    for h in sorted(hits, key=lambda h: h.start, reverse=True):
        rest = rest[: h.start] + " " + rest[h.end :]
    return bool(_CONNECTORS_ONLY.match(rest.strip()))


def _states_return(text: str, ctx: Ctx) -> bool:
    """"back on Monday" (and its kind, see ``_RETURN``): the sentence is a return and its date."""
    m = _RETURN.match(text)
    return m is not None and _dates_only(m["when"], ctx)


def says_absence(text: str, *, now: datetime, tz: str) -> bool:
    """Whether ``text`` (plain words) states an absence of its author, whether or not its days can be read
    ("out over Thanksgiving" where no Thanksgiving is known is still an absence, to be asked about). ``now``
    aware, ``tz`` an IANA zone. Pure."""
    return states_absence(text) or _states_return(text, make_ctx(now, tz))


def continues_absence(text: str, *, now: datetime, tz: str) -> bool:
    """Whether a sentence said right after an absence belongs to it: dates alone, or a return ("Back on the
    2nd.", "Bis 28. Dezember.", "until Friday", "Friday too"). Such a sentence is never a task: "I'm off from
    the 24th. Back on the 2nd." is one absence, 24th to 1st. ``now`` aware, ``tz`` an IANA zone. Pure."""
    return _continues(text, make_ctx(now, tz))


def _continues(text: str, ctx: Ctx) -> bool:
    return _dates_only(text, ctx) or _states_return(text, ctx)


def _taken_on(sentence: str, ctx: Ctx, start: date, end: date) -> date:
    """The last day off once ``sentence`` (a continuation: :func:`continues_absence`) is said after an absence
    of ``start``..``end``: the day before a return ("Back on the 4th."), else its last date ("Until the 28th.",
    "Friday too."), each the first such date from ``start`` on."""
    hits = [h for h in find_dates(sentence, ctx) if h.day is not None]
    if not hits:
        return end
    last = hits[-1]
    assert last.day is not None
    if _RETURN.match(sentence):
        return max(_later(_not_today(last, last.day, ctx.today), start, last) - timedelta(days=1), start)
    return max(end, _later(last.range_end or last.day, start, last))


def _span_from_hits(text: str, hits: list[Hit], today: date) -> tuple[date, date]:
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
        end = max(_later(_not_today(back, back.day, today), start, back) - timedelta(days=1), start)
        return start, end
    h1 = hits[0]
    assert h1.day is not None
    start = h1.extra.get("range_start", h1.day)
    end = h1.range_end or h1.day
    if _is_until(text, h1):
        start, end = today, _not_today(h1, end, today)
    for prev, h in zip(hits, hits[1:], strict=False):
        assert h.day is not None
        between = text[prev.end : h.start]
        ranged = _RANGE_SEP.match(between) or (not between.strip() and _is_until(text, h))
        if not ranged and not _LIST_SEP.match(between) and between.strip():
            break  # an unrelated date further on
        end = _later(h.range_end or h.day, end, h)
    return start, end


def _count_days(text: str) -> tuple[int, str] | None:
    """(n, unit) of "for 3 days", "3 weeks off", "ooo 3" (unit "days", "workdays", "calendar" or "weeks")."""
    bare = _BARE_COUNT.match(text)
    if bare is not None:
        return int(bare["n"]), "days"
    dur = _DURATION.search(text)
    if dur is None:
        return None
    raw_n, raw_unit = next((dur.group(g), dur.group(g + 1)) for g in range(1, len(dur.groups()), 2) if dur.group(g))
    n = int(raw_n) if raw_n.isdecimal() else _NUMS[re.sub(r"\s+", " ", raw_n.lower())]
    unit = raw_unit.lower()
    kind = "weeks" if unit.startswith("week") else "calendar" if unit.startswith("calendar") else "days"
    return (n, kind) if 0 < n <= 366 else None


def _end_after(start: date, n: int, kind: str) -> date:
    """The last day of ``n`` days off from ``start``: workdays (Mon-Fri) for "days", calendar days for
    "calendar days", whole weeks for "weeks"."""
    if kind == "weeks":
        return start + timedelta(days=7 * n - 1)
    if kind == "calendar":
        return start + timedelta(days=n - 1)
    return _add_business_days(start - timedelta(days=1), n) if start.weekday() < 5 else _add_business_days(start, n)


_UNTIL_BEFORE = re.compile(r"\b(?:until|till|til|through|thru)\s*$", _F)


def _holiday_hits(text: str, ctx: Ctx, country: str | None) -> list[Hit] | None:
    """Holidays named in ``text`` as date hits covering their days (``holiday_names``); None when one of them
    is not in the person's calendar (the caller refuses: never today)."""
    named = named_holidays(text, ctx.today, country, past=ctx.past_intent)
    hits: list[Hit] = []
    for i, h in enumerate(named):
        if i and hits:
            h = following(named[i - 1], h, text, country)
        if h.first is None or h.last is None:
            return None
        hit = Hit(h.start, h.end, "date", day=h.first, range_end=h.last)
        hit.extra["range_start"] = h.first
        if _UNTIL_BEFORE.search(text, 0, h.start):
            hit.prefix = "until"
        hits.append(hit)
    return hits


def unknown_holiday(text: str, *, now: datetime, tz: str, country: str | None) -> str | None:
    """The first holiday named in ``text`` that the person's calendar (``country``) does not know, as
    written ("Thanksgiving"), or None: what a refusal names."""
    ctx = make_ctx(now, tz)
    return next((h.words for h in named_holidays(text, ctx.today, country) if h.first is None), None)


# A bare day of the month ("/ooo 28th", "out 31st"): in an absence it means that day, as "the 28th" does (tester16b
# N4: it fell back to today). Not one already after "the", a month name or a weekday ("Dec 28th", "Monday 28th":
# their own rules read those), nor one in a range ("28th-29th").
_BARE_ORDINAL = re.compile(
    r"(?<![\w\-\u2013/.])(?<!\bthe\s)(?<!\bThe\s)(?<!\bTHE\s)(?P<d>\d{1,2}(?:st|nd|rd|th))\b(?!\s*[-\u2013])", _F)
_BEFORE_BARE = re.compile(rf"(?:\b(?:{MON_ALT}|{WD_ALT})\.?,?|[-\u2013])\s*$", _F)


def _bare_ordinals(text: str) -> str:
    """``text`` with each bare day of the month said as "the <day>" (:data:`_BARE_ORDINAL`)."""
    def the(m: re.Match[str]) -> str:
        return m.group(0) if _BEFORE_BARE.search(text, 0, m.start()) else "the " + m["d"]
    return _BARE_ORDINAL.sub(the, text)


def parse_ooo(text: str, *, now: datetime, tz: str, date_order: DateOrder = "MDY",
              country: str | None = None) -> ParsedOoo | None:
    """Parse an out-of-office statement; None when the text states no absence.

    Without a date the absence is today. A bare day of the month ("28th", "31st", "1st") is that day of this
    month, or of the next when it is past, as "the 28th" is. Ranges: "Mon-Wed" / "sat-sun" (the next such days, today
    included; "next Mon-Wed" next week's), "20th-24th" / "from the 20th to the 24th" (this month, or
    the next when they are past), "Dec 20-24", "du 16 au 18 mars", "vom 16. bis 18. März". "next week"
    is Monday-Friday of next week, "this week" / "all week" today-Friday, "until X" today-X ("until
    Wednesday" said on a Wednesday: next week's), "back on X" today-(X - 1 day). Holidays by name ("from
    Christmas to New Year", "over Easter", "Thanksgiving week") are their days in the calendar of
    ``country`` ("US", "DE-BY"; see :mod:`bot.parsing.holiday_names`); one that calendar does not know
    makes the answer None (see :func:`unknown_holiday`), never today. A count of days ("for
    3 days", "out of office 3 days", "3 days off", "ooo 3") is that many workdays (Monday-Friday) from the
    start; "calendar days" and "weeks" count calendar days. Two or more separate days ("Tuesday and
    Thursday") collapse to the span between the first and the last. The caller says what a span
    without a workday means (:mod:`bot.services.absences`).
    """
    text = _bare_ordinals(text)
    ctx = make_ctx(now, tz, date_order, past_intent=bool(_PAST.search(text)))
    if not states_absence(text) and not _states_return(text, ctx):
        return None
    said = sentences_of(text)
    if len(said) > 1 and all(_continues(s, ctx) for s in said[1:]):
        # "I'm off from the 24th. Until the 28th.": the first sentence's days, taken on by the others
        first = parse_ooo(said[0], now=now, tz=tz, date_order=date_order, country=country)
        if first is not None:
            start, end = first.start_date, first.end_date
            for sentence in said[1:]:
                end = _taken_on(sentence, ctx, start, end)
            return ParsedOoo(start, end, first.reason or _reason(text))
    reason = _reason(text)
    today = ctx.today

    for explicit in (_day_range, _weekday_range, _ordinal_range):
        rng = explicit(text, ctx)
        if rng is not None:
            return ParsedOoo(rng[0], rng[1], reason)

    holidays = _holiday_hits(text, ctx, country)
    if holidays is None:
        return None
    spans = [(h.start, h.end) for h in holidays]
    hits = [h for h in find_dates(text, ctx) if h.day is not None and not overlaps(spans, h.start, h.end)]
    hits = sorted(hits + holidays, key=lambda h: h.start)
    if hits:
        start, end = _span_from_hits(text, hits, today)
    elif _REST_OF_WEEK.search(text):
        start, end = today, friday_of_week(today)
    else:
        start = end = today

    count = _count_days(text)
    if count is not None and (not hits or len(hits) == 1 and end == start):
        end = _end_after(start, *count)
    if end < start:
        start, end = end, start
    return ParsedOoo(start, end, reason)


def other_order_reading(text: str, *, now: datetime, tz: str, date_order: DateOrder = "MDY",
                        country: str | None = None) -> tuple[date, date] | None:
    """When every numeric date in ``text`` ("3/4-5/4") could be read day first or month first, the days the
    other order gives, if they differ from ``parse_ooo``'s: what a confirmation mentions, so that a misread
    ("4 March to 4 May" for "3-5 April") is never recorded silently. None when a date proves the order
    ("24/12-2/1": day first, read so) or there is nothing to choose."""
    ctx = make_ctx(now, tz, date_order)
    numeric = [h for h in find_dates(text, ctx) if "numeric" in h.extra]
    if not numeric or any(h.extra["proves_order"] for h in numeric):
        return None
    mine = parse_ooo(text, now=now, tz=tz, date_order=date_order, country=country)
    other = parse_ooo(text, now=now, tz=tz, date_order="DMY" if date_order == "MDY" else "MDY", country=country)
    if mine is None or other is None or (mine.start_date, mine.end_date) == (other.start_date, other.end_date):
        return None
    return other.start_date, other.end_date


# ---------------------------------------------------------------- Slack status

# Slack's own "Vacationing" and "Out sick" statuses, and what people use for leave. Not "Working
# remotely" (:house_with_garden:), "In a meeting" or "Commuting": those people are working.
AWAY_EMOJI: dict[str, str] = {
    "palm_tree": "vacation", "desert_island": "vacation", "beach_with_umbrella": "vacation", "airplane": "travel",
    "airplane_departure": "travel", "face_with_thermometer": "sick", "thermometer": "sick", "mask": "sick",
    "sneezing_face": "sick", "nauseated_face": "sick", "face_with_head_bandage": "sick", "hospital": "sick",
    "baby": "parental", "baby_bottle": "parental", "no_entry": "away", "no_entry_sign": "away",
}  # fmt: skip
_STATUS_WORDS = re.compile(
    r"(?<![\w-])(?:ooo|pto|out\s+of\s+(?:the\s+)?office|vacation(?:ing)?|on\s+(?:a\s+)?holiday|on\s+(?:\w+\s+)?leave"
    r"|(?:annual|parental|maternity|paternity|sick|medical|family|bereavement|study)\s+leave"
    r"|off\s+(?:today|sick|this\s+week|until|till|for)|day\s+off|time\s+off|out\s+sick|sick|away|offline\s+until"
    r"|back\s+(?:on\s+)?(?:" + WD_ALT + r"|tomorrow|next\s+week|in\s+(?:january|february|march|april|may|june|july|august"
    r"|september|october|november|december)))(?![\w-])",
    _F,
)


def status_absence(text: str | None, emoji: str | None) -> str | None:
    """The reason ("vacation", "sick", "travel", "parental", "away") when a Slack status says its person
    is away, else None: an away emoji (:palm_tree:, :face_with_thermometer: …) or words ("OOO",
    "Vacationing", "on leave", "Urlaub", "en congé" …). Working statuses ("Working remotely", "In a
    meeting") are not away."""
    words = " ".join((text or "").split())
    name = (emoji or "").strip(":").lower().split("::")[0]
    if name in AWAY_EMOJI:
        return _reason(words) or AWAY_EMOJI[name]
    if words and (_STATUS_WORDS.search(words) or _FOREIGN_ABSENCE.search(words)) and not _OOO_AS_NOUN.search(words):
        return _reason(words) or "away"
    return None
