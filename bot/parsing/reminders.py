"""parse_reminder: "remind me to X <when>" -> ParsedReminder (one-off or recurring)."""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from .dates import Ctx, find_all, make_ctx, resolve_when
from .models import DateOrder, ParsedReminder, Recurrence
from .text import clean_title, has_content, protect_emoji, remove_spans, restore_emoji
from .timebase import after, elapsed

_F = re.IGNORECASE
DEFAULT_REMINDER_TIME = time(9, 0)
LAST_DAY_OF_MONTH = 31  # a monthly day is clamped to the month's length, so 31 is always its last day

_TRIGGER = re.compile(
    r"\b(?:remind\s+(?:me|us|everyone|the\s+team|<[@!][^>]+>|@\w+)(?:\s+(?:to|that|about|of|again)\b)?"
    r"|set\s+(?:a\s+|up\s+a\s+)?reminder(?:\s+(?:for\s+me\s+)?(?:to|for|about|that)\b)?"
    r"|reminder\s*(?:[:\-–]|(?:to|about|that)\b)|(?:don['’]?t|do\s+not)\s+let\s+me\s+forget(?:\s+(?:to|about)\b)?"
    r"|(?:ping|nudge|poke)\s+me(?:\s+(?:to|about)\b)?)\s*",
    _F,
)
# "Remind me" in French, German, Spanish, Italian and Portuguese, and the word that joins it to the thing to
# do ("rappelle-moi demain d'appeler la banque", "erinnere mich morgen daran, die Bank anzurufen").
FOREIGN_TRIGGER = re.compile(
    r"\b(?:rappelle[- ]moi|rappelez[- ]moi|fais[- ]moi\s+penser|erinnere?\s+mich(?:\s+daran)?|recu[ée]rdame|recordarme"
    r"|recu[ée]rdeme|ricordami|ricordatemi|lembra[- ]me|lembre[- ]me|me\s+lembr[ae])\b[,\s]*",
    _F,
)
_FOREIGN_JOIN = re.compile(r"^(?:daran,?\s+|de\s+|d['’]|di\s+|que\s+|qu['’]|dass\s+|zu\s+|à\s+|a\s+)", _F)


def starts_with_trigger(text: str) -> bool:
    """Whether a message asks for a reminder from its first words ("remind me …", "rappelle-moi …",
    "erinnere mich …", "recuérdame …", "ricordami …", "lembra-me …"), after "please"."""
    body = _POLITE.sub("", text)
    return bool(re.match(r"\s*remind\s+me\b", body, _F) or FOREIGN_TRIGGER.match(body.lstrip()))


_POLITE = re.compile(r"^\W*(?:(?:hey|hi|ok|okay|please|pls|can\s+you|could\s+you|would\s+you)\b[,\s]*)+", _F)
_LEAD_TO = re.compile(r"^(?:to|that|about|of)\s+", _F)

_WD_WORD = r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:s|nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_WD_PLURAL = r"(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)"
_WD_ANY = rf"(?:{_WD_PLURAL}|{_WD_WORD})"
_SEP = r"\s*(?:,|&|/|\band\b|\bor\b)\s*"
_EVERY = r"(?:every|each|on|on\s+every)"
# "weekly"/"daily"/"monthly" count only as adverbs: "send the weekly report" is not a recurrence
_ADVERB_END = r"(?<!the\s)(?<!my\s)(?<!our\s)(?<!a\s)(?=\s*(?:$|[,.;!]|at\b|on\b|@|from\b|starting\b|before\b|after\b|in\s+the\b|\d))"
_REC_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b{_EVERY}\s+(?:week\s*day|work\s*day|business\s+day|working\s+day)s?\b|\b(?:weekdays|workdays)\b|\bmon(?:day)?s?\s*(?:-|–|to|through|thru)\s*fri(?:day)?s?\b", _F), "weekdays"),
    (re.compile(rf"\b{_EVERY}\s+weekends?\b|\bweekends\b", _F), "weekends"),
    (re.compile(rf"\b(?:every|each)\s+(?P<other>other\s+)?(?:single\s+)?(?P<list>{_WD_ANY}(?:{_SEP}{_WD_ANY})*)\b|\b(?:on\s+)?(?P<plural>{_WD_PLURAL}(?:{_SEP}{_WD_ANY})*)\b(?!\s+(?:from|ago|back|hence)\b)", _F), "list"),
    (re.compile(r"\bevery\s+(?P<n>\d+|two|three|four)\s+(?P<unit>days?|weeks?|months?)\b|\bevery\s+(?P<other>other)\s+(?P<unit2>day|week|month)\b", _F), "interval"),
    (re.compile(rf"\b(?:every\s+(?:single\s+)?day|each\s+day|every\s+(?P<pod>morning|afternoon|evening|night))\b|\bdaily\b{_ADVERB_END}", _F), "daily"),
    (re.compile(rf"\b(?:every\s+week|each\s+week)\b|\bweekly\b{_ADVERB_END}", _F), "weekly"),
    (re.compile(r"\b(?:on\s+)?the\s+last\s+day\s+of\s+(?:every|each)\s+month\b|\b(?:at\s+)?the\s+end\s+of\s+(?:every|each)\s+month\b|\b(?:every|each)\s+month\s+on\s+the\s+last\s+day\b|\bmonthly\s+on\s+the\s+last\s+day\b", _F), "last_day"),
    (re.compile(rf"\b(?:on\s+)?the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)\s+(?:of\s+)?(?:every|each)\s+month\b|\b(?:every|each)\s+month\s+on\s+the\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\b|(?:\b(?:every\s+month|each\s+month)\b|\bmonthly\b{_ADVERB_END})(?:\s+on\s+the\s+(?P<d3>[0-3]?\d)(?:st|nd|rd|th)?\b)?", _F), "monthly"),
]  # fmt: skip
_WORDNUM = {"two": 2, "three": 3, "four": 4}
_POD = {"morning": time(9, 0), "afternoon": time(14, 0), "evening": time(18, 0), "night": time(20, 0)}


_WD3 = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _weekday_index(word: str) -> int:
    return _WD3[word.lower()[:3]]


def _find_recurrence(text: str, ctx: Ctx) -> tuple[dict[str, object], tuple[int, int], time | None] | None:
    for rx, kind in _REC_RULES:
        m = rx.search(text)
        if m is None:
            continue
        span = (m.start(), m.end())
        gd = m.groupdict()
        if kind == "weekdays":
            return {"kind": "weekly", "weekdays": [0, 1, 2, 3, 4]}, span, None
        if kind == "weekends":
            return {"kind": "weekly", "weekdays": [5, 6]}, span, None
        if kind == "list":
            raw = gd.get("list") or gd.get("plural") or ""
            days = sorted(
                {_weekday_index(w) for w in re.findall(r"[a-z]+", raw, _F) if w.lower()[:3] in _WD3}
            )
            spec: dict[str, object] = {"kind": "weekly", "weekdays": days}
            if gd.get("other"):
                spec["interval"] = 2
            return spec, span, None
        if kind == "interval":
            n = 2 if gd.get("other") else (int(gd["n"]) if gd["n"].isdecimal() else _WORDNUM[gd["n"].lower()])
            unit = (gd.get("unit") or gd.get("unit2") or "day").lower()
            if unit.startswith("day"):
                spec = {"kind": "daily"}
            elif unit.startswith("week"):
                spec = {"kind": "weekly", "weekdays": [ctx.today.weekday()]}
            else:
                spec = {"kind": "monthly", "day": ctx.today.day}
            if n != 1:
                spec["interval"] = n
            return spec, span, None
        if kind == "daily":
            pod = _POD.get((gd.get("pod") or "").lower())
            return {"kind": "daily"}, span, pod
        if kind == "weekly":
            return {"kind": "weekly", "weekdays": [ctx.today.weekday()]}, span, None
        if kind == "last_day":
            # the 31st, clamped to each month's last day (Recurrence.day): the last day of every month
            return {"kind": "monthly", "day": LAST_DAY_OF_MONTH}, span, None
        d = gd.get("d") or gd.get("d2") or gd.get("d3")
        day = int(d) if d else ctx.today.day
        if not 1 <= day <= 31:
            return None
        return {"kind": "monthly", "day": day}, span, None
    return None


def _first_occurrence(spec: Recurrence, ctx: Ctx) -> datetime:
    at = time(spec["hour"], spec["minute"])
    now = ctx.now
    for offset in range(0, 400):
        d = ctx.today + timedelta(days=offset)
        if spec["kind"] == "weekly" and d.weekday() not in spec["weekdays"]:
            continue
        if spec["kind"] == "monthly" and d.day != min(spec["day"], _days_in_month(d)):
            continue
        cand = datetime.combine(d, at, ctx.zone)
        if after(cand, now):
            return cand
    raise ValueError("no occurrence within 400 days")  # pragma: no cover


def _days_in_month(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def parse_reminder(
    text: str, *, now: datetime, tz: str, date_order: DateOrder = "MDY"
) -> ParsedReminder | None:
    """Parse a reminder request.

    Returns None when no date/time/recurrence is stated at all, when nothing is left to remind
    about, or when the moment is in the past. A date without a clock time fires at 09:00 local
    (``has_time=False``); if that is already past today, at the next full hour.
    Recurring reminders without a time fire at 09:00; ``fire_at`` is their first occurrence.
    ``text`` is plain words (read Slack markup first); emoji shortcodes in ``what`` are kept.
    """
    text, shortcodes = protect_emoji(text)
    found = _parse(text, now, tz, date_order)
    if found is None or not shortcodes:
        return found
    return replace(found, what=restore_emoji(found.what, shortcodes))


def _parse(text: str, now: datetime, tz: str, date_order: DateOrder) -> ParsedReminder | None:
    ctx = make_ctx(now, tz, date_order)
    m = _TRIGGER.search(text) or FOREIGN_TRIGGER.search(text)
    foreign = m is not None and m.re is FOREIGN_TRIGGER
    body = remove_spans(text, [(m.start(), m.end())]) if m else text
    body = _POLITE.sub("", body)

    rec = _find_recurrence(body, ctx)
    if rec is not None:
        spec_d, span, pod_time = rec
        rest = remove_spans(body, [span])
        _, times = find_all(rest, ctx)
        t = times[0] if times else None
        at = t.at if t is not None and t.at is not None else (pod_time or DEFAULT_REMINDER_TIME)
        if t is not None and t.midnight:
            at = time(0, 0)  # "every day at midnight": at 00:00
        spans = [(t.start, t.end)] if t is not None else []
        what = _clean_what(remove_spans(rest, spans))
        if not what:
            return None
        spec: Recurrence = {"kind": spec_d["kind"], "hour": at.hour, "minute": at.minute}  # type: ignore[typeddict-item]
        for key in ("weekdays", "day", "interval"):
            if key in spec_d:
                spec[key] = spec_d[key]  # type: ignore[literal-required,typeddict-item]
        return ParsedReminder(
            what, _first_occurrence(spec, ctx), spec, has_time=t is not None or pod_time is not None
        )

    when, _ = resolve_when(body, ctx, keep_today_past=False, reminder=True)
    if when is None:
        return None
    what = _clean_what(remove_spans(body, when.spans), foreign=foreign)
    if not what:
        return None
    # Instants are compared on the real time line (timebase.after): "in 1 hour" said in the repeated hour of
    # the autumn change is an hour on, though its wall clock reads the same.
    if when.instant is not None:
        fire_at = when.instant
    elif when.at is not None:
        fire_at = datetime.combine(when.day, when.at, ctx.zone)
        if not after(fire_at, ctx.now) and when.day == ctx.today and not when.explicit_past:
            fire_at = datetime.combine(when.day, when.at, ctx.zone) + timedelta(days=1)
    else:
        fire_at = datetime.combine(when.day, DEFAULT_REMINDER_TIME, ctx.zone)
        if not after(fire_at, ctx.now) and when.day == ctx.today:
            next_hour = elapsed(ctx.now, timedelta(hours=1), ctx.zone)
            fire_at = next_hour - timedelta(minutes=next_hour.minute, seconds=next_hour.second,
                                            microseconds=next_hour.microsecond)
    if not after(fire_at, ctx.now):
        return None
    return ParsedReminder(what, fire_at, None, has_time=when.at is not None or when.instant is not None)


def _clean_what(s: str, *, foreign: bool = False) -> str:
    s = clean_title(s)
    s = _LEAD_TO.sub("", s).strip()
    if foreign:  # "d'appeler la banque" -> "appeler la banque"
        s = _FOREIGN_JOIN.sub("", s).strip()
    s = clean_title(s)
    return s if has_content(s) else ""
