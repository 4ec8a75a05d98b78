"""Dates in Spanish, French, German, Portuguese and Italian.

A cheap vocabulary gate built from dateparser's own locale data says which languages a text may be
in; phrases dateparser gets wrong or misses ("pasado mañana", "la semana que viene", "vendredi
prochain") come from a small table, the rest from ``dateparser.search.search_dates`` limited to
the gated languages and to short windows around the gate words.

"next <weekday>" has one meaning in every language: that day in next (Monday-based) week
(``timebase.next_week_weekday``); a plain weekday is its next occurrence, today included.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from .timebase import (
    MONTHS,
    WEEKDAYS,
    Ctx,
    Hit,
    monday_of_next_week,
    next_week_weekday,
    next_weekday,
    overlaps,
    valid,
)

_F = re.IGNORECASE

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


@lru_cache(maxsize=1)
def _month_numbers() -> dict[str, int]:
    """Month names (and their abbreviations) of the foreign languages -> 1..12, from dateparser's locale data."""
    import importlib

    out: dict[str, int] = {}
    for lang in FOREIGN_LANGS:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang}").info
        for i in range(1, 13):
            for w in info.get(calendar.month_name[i].lower(), []):
                out.setdefault(w.lower().rstrip("."), i)
    return out


@lru_cache(maxsize=1)
def month_names() -> frozenset[str]:
    """Every month name and abbreviation Steward reads, lowercased: English ("december", "dec") and those of
    Spanish, French, German, Portuguese and Italian from dateparser's locale data ("dezember", "déc")."""
    return frozenset(MONTHS) | frozenset(_month_numbers())


def month_number(word: str) -> int | None:
    """1..12 for a month name in Spanish, French, German, Portuguese or Italian ("mars", "März", "marzo"), else None."""
    return _month_numbers().get(word.lower().rstrip("."))


_NEXT_BEFORE = r"próxim[oa]|proxim[oa]|prochaine?|nächste[nr]?|naechste[nr]?|prossim[oa]"
_NEXT_AFTER = r"prochaine?|que\s+viene|que\s+vem|prossim[oa]|próxim[oa]|proxim[oa]"


@lru_cache(maxsize=1)
def _next_weekday_rx() -> re.Pattern[str]:
    """"vendredi prochain", "nächsten Freitag", "el próximo viernes", "el viernes que viene" ..."""
    names = sorted(_foreign_vocab()[1], key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(
        rf"\b(?:{_NEXT_BEFORE})\s+(?P<wd1>{alt})(?![\w-])|(?<![\w-])(?P<wd2>{alt})\s+(?:{_NEXT_AFTER})\b", _F
    )


def _foreign_tokens(text: str) -> list[tuple[str, re.Match[str]]]:
    vocab = _foreign_vocab()[0]
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group().lower().replace("’", "'")
        if w in vocab:
            out.append((w, m))
    return out


def foreign_candidate(text: str) -> bool:
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


def foreign_dates(
    text: str, ctx: Ctx, taken: list[tuple[int, int]], mask: list[tuple[int, int]]
) -> list[Hit]:
    hits: list[Hit] = []
    for rx, val in _FOREIGN_TABLE:
        for m in rx.finditer(text):
            if overlaps(taken, m.start(), m.end()):
                continue
            if val == "next_monday":
                mon = monday_of_next_week(ctx.today)
                h = Hit(m.start(), m.end(), "date", day=mon, range_end=mon + timedelta(days=4))
            else:
                h = Hit(m.start(), m.end(), "date", day=ctx.today + timedelta(days=int(val)))
            h.start = _extend_left(text, h.start)
            taken.append((h.start, h.end))
            hits.append(h)
    weekday_of = _foreign_vocab()[1]
    for m in _next_weekday_rx().finditer(text):
        if overlaps(taken, m.start(), m.end()):
            continue
        word = (m["wd1"] or m["wd2"]).lower()
        h = Hit(m.start(), m.end(), "date", day=next_week_weekday(ctx.today, weekday_of[word]), weekday=True)
        h.start = _extend_left(text, h.start)
        taken.append((h.start, h.end))
        hits.append(h)
    toks = [(w, m) for w, m in _foreign_tokens(text) if not overlaps(taken + mask, m.start(), m.end())]
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
    # a label's colon ("Heute: …", "Hoy: …") hides the word before it from dateparser; same length, same places
    masked_text = re.sub(r":(?=\s|$)", " ", "".join(masked))
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
        if not gated or overlaps(taken + mask, pos, end):
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
                same_year = valid(ctx.today.year, day.month, day.day)
                if same_year is not None and same_year >= ctx.today:
                    h.day = same_year
            if h.day is not None and h.day < ctx.today:
                h.explicit_past = True
        h.start = _extend_left(text, pos)
        taken.append((h.start, h.end))
        hits.append(h)
    return hits
