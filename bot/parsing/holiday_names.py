"""Holidays named in what people write: "from Christmas to New Year", "over Easter", "Thanksgiving week",
"von Weihnachten bis Neujahr", "off on Diwali".

A name is read in the person's holiday calendar, from the maintained ``holidays`` package (every category
the country has: the United States' Easter Sunday and Christmas Eve are "unofficial" there, but people
still take them off), with English names where the package has them. The few days that are the same
wherever they are kept (Christmas Eve, Christmas, Boxing Day, New Year's Eve and Day, and Easter with its
Friday and Monday, by the Western computus of ``dateutil.easter``) are known without a country; any other
holiday ("Thanksgiving", "Diwali", "Labor Day") only from the person's country, and otherwise it is not
known: the caller refuses politely rather than guess, and never reads it as today.

How much each phrasing covers:
  * "Christmas", "on Thanksgiving": that day.
  * "over Easter", "the Easter weekend", "Easter break": Good Friday to Easter Monday; "over Christmas":
    24-26 December; "over New Year": 31 December to 1 January; "over Thanksgiving": Thursday to Sunday;
    "Memorial Day weekend": a Monday holiday with the weekend before it (a Friday's with the one after);
    any other holiday: its day.
  * "Thanksgiving week", "Christmas week": Monday to Friday of the week the holiday falls in.
  * Two holidays joined by "to", "until", "-", "and" ("between Christmas and New Year"): the first's
    first day to the second's last, the second being the one after the first.

Pure: nothing reads a clock; ``today`` is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

_F = re.IGNORECASE


@lru_cache(maxsize=512)
def calendar_of(country: str, year: int, *, every_category: bool = False) -> tuple[tuple[date, str], ...]:
    """The holidays of ``country`` ("GB", "DE-BY", "US-CA") in ``year`` as sorted (date, name) pairs, English
    names where the ``holidays`` package has them; public holidays only unless ``every_category`` (the
    country's optional, unofficial and government days too). Unknown codes: none."""
    import holidays

    code, _, region = country.partition("-")
    try:
        cls = holidays.country_holidays(code, subdiv=region or None, years=year)
        categories = tuple(getattr(cls, "supported_categories", ("public",))) if every_category else ("public",)
        language = "en_US" if "en_US" in getattr(cls, "supported_languages", ()) else None
        table = holidays.country_holidays(code, subdiv=region or None, years=year, categories=categories,
                                          language=language)
    except NotImplementedError:  # a code the package no longer knows: no holidays, not a crash
        return ()
    return tuple(sorted(table.items()))


def _easter(year: int) -> date:
    from dateutil.easter import easter  # the Western computus; python-dateutil comes with ``holidays``

    return easter(year)


@dataclass(frozen=True)
class _Kind:
    """One holiday people name: the words for it (several languages), how its English name reads in the
    ``holidays`` package, and its day where it is the same everywhere (a function of the year)."""

    key: str
    words: str
    package_name: str
    everywhere: object = None  # Callable[[int], date] | None


_KINDS: tuple[_Kind, ...] = (
    _Kind("christmas_eve", r"christmas\s+eve|xmas\s+eve|heilig(?:er\s+)?abend|nochebuena|r[ée]veillon\s+de\s+no[ëe]l"
          r"|vigilia\s+di\s+natale|v[ée]spera\s+de\s+natal", r"christmas eve", lambda y: date(y, 12, 24)),
    _Kind("boxing_day", r"boxing\s+day|st\.?\s+stephen['’]?s\s+day|stephanstag|zweite[rn]?\s+weihnachts(?:feier)?tag"
          r"|santo\s+stefano", r"boxing day|second day of christmas|st\.? stephen'?s day", lambda y: date(y, 12, 26)),
    _Kind("new_years_eve", r"new\s+year['’]?s?\s+eve|\bnye\b|silvester|saint[- ]sylvestre|nochevieja|san\s+silvestro",
          r"new year'?s eve", lambda y: date(y, 12, 31)),
    _Kind("christmas", r"christmas(?:\s+day)?|xmas|x-mas|weihnachten|noël|navidad|natale|natal",
          r"christmas(?: day)?", lambda y: date(y, 12, 25)),
    _Kind("new_year", r"new\s+year(?:['’]?s)?(?:\s+day)?|neujahr(?:stag)?|jour\s+de\s+l['’]an|nouvel\s+an"
          r"|a[ñn]o\s+nuevo|capodanno|ano\s+novo", r"new year'?s day", lambda y: date(y, 1, 1)),
    _Kind("good_friday", r"good\s+friday|karfreitag|vendredi\s+saint|viernes\s+santo|venerd[ìi]\s+santo"
          r"|sexta-feira\s+santa", r"good friday", lambda y: _easter(y) - timedelta(days=2)),
    _Kind("easter_monday", r"easter\s+monday|ostermontag|lundi\s+de\s+p[âa]ques|lunes\s+de\s+pascua|pasquetta"
          r"|segunda-feira\s+de\s+p[áa]scoa", r"easter monday", lambda y: _easter(y) + timedelta(days=1)),
    _Kind("easter", r"easter(?:\s+sunday)?|ostern|ostersonntag|p[âa]ques|pascua|pasqua|p[áa]scoa",
          r"easter(?: sunday)?", _easter),
    _Kind("thanksgiving", r"thanksgiving(?:\s+day)?", r"thanksgiving(?: day)?"),
)
# Holidays people name that are not everywhere: found in the person's calendar, else refused (never today).
_ELSEWHERE = (r"diwali|deepavali|holi|eid(?:\s+al[- ]\w+)?|ramadan|hanukk?ah|chanukah|passover|yom\s+kippur|rosh\s+hashanah"
              r"|(?:chinese|lunar)\s+new\s+year|independence\s+day|labou?r\s+day|memorial\s+day|victoria\s+day"
              r"|canada\s+day|bastille\s+day|whit\s+monday|pentecost|pfingsten|ascension|all\s+saints['’]?\s+day"
              r"|(?:early\s+may|spring|summer|late\s+summer|august)\s+bank\s+holiday|columbus\s+day"
              r"|martin\s+luther\s+king(?:\s+jr\.?)?\s+day|presidents['’]?\s+day|juneteenth|veterans\s+day"
              r"|st\.?\s+patrick['’]?s\s+day|republic\s+day|german\s+unity\s+day|carnival|karneval|fasching")

_MANY = r"(?P<many>(?:over|during|for)\s+)?(?:the\s+)?"
_SPAN = r"(?P<span>\s+(?:weekend|break|holidays?|period|week(?!end)))?"


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    kinds = "|".join(f"(?P<{k.key}>{k.words})" for k in _KINDS)
    return re.compile(rf"(?<![\w-]){_MANY}(?:{kinds}|(?P<elsewhere>{_ELSEWHERE})){_SPAN}(?![\w-])", _F)


@dataclass(frozen=True)
class NamedHoliday:
    """A holiday named in a text: where (``start``, ``end`` in the text), what ("Christmas", as written), and
    the days it covers (``first``..``last``), or None for both when the person's calendar does not know it."""

    start: int
    end: int
    words: str
    first: date | None
    last: date | None


def _found_in(country: str | None, year: int, name: str) -> list[date]:
    """The days of ``year`` on which ``country``'s calendar (every category) has a holiday called ``name``
    (a regular expression over its English name, "(observed)" days left out)."""
    if not country or country == "none":
        return []
    wanted = re.compile(rf"^(?:{name})$", _F)
    return [d for d, n in calendar_of(country, year, every_category=True)
            if "observed" not in n.lower() and any(wanted.match(part.strip()) for part in n.split(";"))]


def _day_of(kind_key: str | None, words: str, country: str | None, year: int) -> date | None:
    """The day of one holiday in ``year``: from the person's calendar, else where it is the same everywhere."""
    kind = next((k for k in _KINDS if k.key == kind_key), None)
    name = kind.package_name if kind is not None else re.escape(" ".join(words.lower().split())).replace(r"\ ", r"\s+")
    days = _found_in(country, year, name)
    if days:
        return days[0]
    if kind is not None and callable(kind.everywhere):
        return kind.everywhere(year)  # type: ignore[no-any-return]
    return None


def _around(kind_key: str | None, day: date, span: str, many: str, country: str | None) -> tuple[date, date]:
    """The days a phrasing covers around the holiday's ``day`` (see the module docstring)."""
    if span == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=4)
    if not (span or many.strip()):
        return day, day
    if kind_key in ("easter", "good_friday", "easter_monday"):
        sunday = day + timedelta(days={"easter": 0, "good_friday": 2, "easter_monday": -1}[kind_key])
        return sunday - timedelta(days=2), sunday + timedelta(days=1)
    if kind_key in ("christmas", "christmas_eve", "boxing_day"):
        return date(day.year, 12, 24), date(day.year, 12, 26)
    if kind_key in ("new_year", "new_years_eve"):
        eve = day if kind_key == "new_years_eve" else day - timedelta(days=1)
        return eve, eve + timedelta(days=1)
    if kind_key == "thanksgiving":
        return day, day + timedelta(days=3)
    if span == "weekend" and day.weekday() in (0, 4):  # "Memorial Day weekend": with the weekend beside it
        return (day - timedelta(days=2), day) if day.weekday() == 0 else (day, day + timedelta(days=2))
    return day, day


def named_holidays(text: str, today: date, country: str | None, *, past: bool = False) -> list[NamedHoliday]:
    """Every holiday named in ``text`` (plain words), in order, with the days it covers: the next time
    they come (today included, or the last time when ``past``), in the calendar of ``country`` ("US",
    "DE-BY"; None or "none": only the holidays that are the same everywhere). A holiday the calendar
    does not know comes back with no days."""
    found: list[NamedHoliday] = []
    for m in _pattern().finditer(text):
        kind_key = next((k.key for k in _KINDS if m.group(k.key)), None)
        words = m.group(kind_key) if kind_key else m.group("elsewhere")
        span = (m["span"] or "").strip().lower()
        span = "week" if span == "week" else span
        years = range(today.year, today.year - 3, -1) if past else range(today.year - 1, today.year + 3)
        chosen: tuple[date, date] | None = None
        for year in years:
            day = _day_of(kind_key, words, country, year)
            if day is None:
                continue
            first, last = _around(kind_key, day, span, m["many"] or "", country)
            if (past and first <= today) or (not past and last >= today):
                chosen = (first, last)
                break
        found.append(NamedHoliday(m.start(), m.end(), words, *(chosen or (None, None))))
    return found


def following(first: NamedHoliday, then: NamedHoliday, text: str, country: str | None) -> NamedHoliday:
    """``then`` moved to its first occurrence on or after ``first``'s first day ("from Christmas to New
    Year": the New Year after that Christmas)."""
    if first.first is None or then.first is None or then.first >= first.first:
        return then
    again = named_holidays(text[then.start:then.end], first.first, country)
    return NamedHoliday(then.start, then.end, then.words, again[0].first, again[0].last) if again else then


def upcoming(country: str, today: date, days: int = 400) -> list[tuple[date, str]]:
    """``country``'s holidays (every category, English names) from ``today`` for ``days`` days: what a
    model is told, so that it reads holiday names as the offline parser does."""
    last = today + timedelta(days=days)
    return [(d, n) for year in range(today.year, last.year + 1) for d, n in calendar_of(country, year, every_category=True)
            if today <= d <= last]
