"""Validate and clamp what the model returned.

The model's JSON is never trusted: a wrong *shape* (not an object, a list that is not a list, a
required text missing) raises :class:`InvalidOutput` and the caller falls back to the offline
parser; wrong *values* are clamped to something safe (titles cut to 200 characters, unknown sizes
replaced by the task type's, weights kept within 0..13, unknown client/project names dropped, a due
date in the past removed unless the text says the work is overdue).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.ai.models import Observation
from bot.ai.prompts import ENTITY_TYPES, OOO_REASONS, PRIORITIES, SIZES
from bot.parsing import ParsedOoo, ParsedReminder, ParsedTask, TaskTypeRule

TITLE_MAX = 200
WHAT_MAX = 200
OBSERVATION_MAX = 500
ENTITY_NAME_MAX = 120
ANSWER_MAX = 3000
SUMMARY_MAX = 2000
MAX_TASKS = 25
MAX_OBSERVATIONS = 60
WEIGHT_MIN, WEIGHT_MAX = 0, 13
FUTURE_LIMIT = timedelta(days=3 * 366)  # a due date or reminder further out than this is a mistake
DEFAULT_REMINDER_TIME = time(9, 0)

# Words that make a past due date legitimate ("the report was due yesterday").
PAST_WORDS = re.compile(
    r"\b(?:yesterday|overdue|was\s+due|were\s+due|past\s+due|last\s+(?:week|month|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|night)|(?:days?|weeks?)\s+ago|missed|behind\s+schedule|late)\b",
    re.IGNORECASE,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_PRIORITY_SYNONYMS = {"medium": "normal", "med": "normal", "none": "normal", "critical": "urgent", "highest": "urgent",
                      "asap": "urgent", "lowest": "low", "important": "high"}  # fmt: skip
_SIZE_SYNONYMS = {"extra small": "xs", "small": "s", "medium": "m", "large": "l", "extra large": "xl",
                  "xsmall": "xs", "xlarge": "xl", "x-small": "xs", "x-large": "xl"}  # fmt: skip


class InvalidOutput(ValueError):
    """The model's answer has the wrong shape; the message says what, for the fallback reason."""


@dataclass(frozen=True, slots=True)
class TaskContext:
    now: datetime  # aware
    zone: ZoneInfo
    text: str
    task_types: Sequence[TaskTypeRule]
    clients: Sequence[str]
    projects: Sequence[str]
    end_of_day: time

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()


# --------------------------------------------------------------------------- primitives


def clean_text(value: object, limit: int) -> str:
    """A single-line, control-character-free string of at most ``limit`` characters ('' if not a string)."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value)
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    text = text.strip("\"'“”‘’`").strip()
    return truncate(text, limit)


def clean_block(value: object, limit: int) -> str:
    """Multi-line text (answers, summaries): control characters removed, newlines kept."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2060\ufeff]", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def parse_iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def parse_clock(value: object) -> time | None:
    """'15:00', '15:00:00', '3:05' -> time; anything else -> None."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*", value)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2])
    if hour == 24 and minute == 0:
        return time(23, 59)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e9:
        return round(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return None


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['’]s\b", "", text)
    text = re.sub(r"\.(?:com|io|co|net|org|ai|app|dev)\b", "", text)
    words = re.findall(r"[^\W_]+", text)
    suffixes = {"inc", "llc", "ltd", "limited", "co", "corp", "corporation", "company", "gmbh", "ag", "plc", "sa", "bv",
                "project", "client", "team", "app"}
    while len(words) > 1 and words[-1] in suffixes:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def loose_match(name: object, candidates: Sequence[str]) -> str | None:
    """The candidate (as listed) that ``name`` loosely refers to: equal after folding case,
    accents, punctuation, possessives and company suffixes; or all of its words found in the
    model's name; or nearly the same spelling. None when nothing fits (the model invented it)."""
    if not isinstance(name, str) or not name.strip() or not candidates:
        return None
    target = _fold(name)
    if not target:
        return None
    best: tuple[float, str] | None = None
    target_words = set(target.split())
    for candidate in candidates:
        folded = _fold(candidate)
        if not folded:
            continue
        if folded == target:
            return candidate
        if set(folded.split()) <= target_words and len(folded) >= 3:
            score = 0.9  # the model's name contains the listed one ("Acme marketing site" -> "Acme")
        else:
            score = difflib.SequenceMatcher(None, folded, target).ratio()
        if score >= 0.85 and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


def _rule_for(task_type: str, rules: Sequence[TaskTypeRule]) -> TaskTypeRule | None:
    for rule in rules:
        if rule.task_type == task_type:
            return rule
    return None


def guess_rule(title: str, rules: Sequence[TaskTypeRule]) -> TaskTypeRule:
    """The rule whose keyword occurs earliest in ``title`` (longest on a tie), else a medium task."""
    folded = title.casefold()
    best: tuple[int, int, TaskTypeRule] | None = None
    for rule in rules:
        kw = re.escape(rule.keyword.casefold()).replace(r"\ ", r"\s+")
        m = re.search(rf"(?<!\w){kw}(?:e?s)?(?!\w)", folded)
        if m and (best is None or (m.start(), -len(rule.keyword)) < (best[0], best[1])):
            best = (m.start(), -len(rule.keyword), rule)
    return best[2] if best else TaskTypeRule("*", "task", "m", 3)


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidOutput(f"{what} is not an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidOutput(f"{what} is not a list")
    return value


# --------------------------------------------------------------------------- tasks


def tasks_from_output(doc: object, ctx: TaskContext) -> list[ParsedTask]:
    items = _list(_mapping(doc, "the answer").get("tasks"), "tasks")
    tasks: list[ParsedTask] = []
    for item in items[:MAX_TASKS]:
        if not isinstance(item, Mapping):
            continue
        task = _task(item, ctx)
        if task is not None:
            tasks.append(task)
    if items and not tasks:
        raise InvalidOutput("none of the tasks had a usable title")
    return tasks


def _task(item: Mapping[str, Any], ctx: TaskContext) -> ParsedTask | None:
    title = clean_text(item.get("title"), TITLE_MAX)
    if not title or not re.search(r"[^\W_]", title):
        return None

    raw_type = item.get("task_type")
    rule = _rule_for(raw_type, ctx.task_types) if isinstance(raw_type, str) else None
    if rule is None and raw_type == "task":
        rule = TaskTypeRule("*", "task", "m", 3)
    if rule is None:
        rule = guess_rule(title, ctx.task_types)

    size = item.get("size")
    size = size.strip().lower() if isinstance(size, str) else None
    size = _SIZE_SYNONYMS.get(size or "", size)
    if size not in SIZES:
        size = rule.size

    weight = as_int(item.get("weight"))
    weight = rule.weight if weight is None else min(WEIGHT_MAX, max(WEIGHT_MIN, weight))

    priority = item.get("priority")
    priority = priority.strip().lower() if isinstance(priority, str) else "normal"
    priority = _PRIORITY_SYNONYMS.get(priority, priority)
    if priority not in PRIORITIES:
        priority = "normal"

    due_date = parse_iso_date(item.get("due_date"))
    due_time = parse_clock(item.get("due_time"))
    if due_time is None and isinstance(item.get("due_date"), str) and "T" in item["due_date"]:
        due_time = parse_clock(item["due_date"].split("T", 1)[1][:5])
    overdue = False
    if due_date is not None:
        if due_date < ctx.today:
            if PAST_WORDS.search(ctx.text):
                overdue = True
            else:
                due_date = None
        elif due_date > ctx.today + FUTURE_LIMIT:
            due_date = None
    if due_date is None:
        due_at, has_time = None, False
    else:
        due_at = datetime.combine(due_date, due_time or ctx.end_of_day, ctx.zone)
        has_time = due_time is not None

    return ParsedTask(
        title=title,
        due_at=due_at,
        due_date=due_date,
        has_time=has_time,
        task_type=rule.task_type,
        size=size,  # type: ignore[arg-type]
        weight=weight,
        client=loose_match(item.get("client"), ctx.clients),
        project=loose_match(item.get("project"), ctx.projects),
        priority=priority,  # type: ignore[arg-type]
        no_rush=item.get("no_rush") is True,
        overdue=overdue,
    )


# --------------------------------------------------------------------------- reminders


def reminder_from_output(doc: object, *, now: datetime, zone: ZoneInfo) -> ParsedReminder | None:
    d = _mapping(doc, "the answer")
    if d.get("found") is not True:
        return None
    what = clean_text(d.get("what"), WHAT_MAX)
    if not what:
        raise InvalidOutput("the reminder has no text")
    local_now = now.astimezone(zone)
    recurrence = _recurrence(d.get("recurrence"))
    day = parse_iso_date(d.get("date"))
    at = parse_clock(d.get("time"))
    has_time = at is not None
    if recurrence is not None and at is None:
        at = time(recurrence["hour"], recurrence["minute"])
        has_time = at != DEFAULT_REMINDER_TIME
    if day is None:
        if recurrence is None and at is None:
            return None  # nothing says when: the caller asks
        day = local_now.date()
    if at is None:
        at = DEFAULT_REMINDER_TIME
    fire_at = datetime.combine(day, at, zone)
    if recurrence is not None:
        recurrence["hour"], recurrence["minute"] = at.hour, at.minute
        fire_at = _first_occurrence(fire_at, recurrence, local_now)
    elif fire_at < local_now:
        if not has_time and day == local_now.date():
            # a date without a time fires at 09:00; today that may be past: the next full hour
            fire_at = (local_now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        elif local_now - fire_at > timedelta(minutes=2):
            raise InvalidOutput("the reminder time is in the past")
    if fire_at - local_now > FUTURE_LIMIT:
        raise InvalidOutput("the reminder is more than three years away")
    return ParsedReminder(what=what, fire_at=fire_at, recurrence=recurrence, has_time=has_time)  # type: ignore[arg-type]


def _recurrence(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    r = _mapping(value, "recurrence")
    kind = r.get("kind")
    if kind not in ("daily", "weekly", "monthly"):
        raise InvalidOutput("the recurrence kind is not daily, weekly or monthly")
    hour, minute = as_int(r.get("hour")), as_int(r.get("minute"))
    out: dict[str, Any] = {"kind": kind, "hour": 9, "minute": 0}
    if hour is not None and 0 <= hour <= 23:
        out["hour"] = hour
        out["minute"] = minute if minute is not None and 0 <= minute <= 59 else 0
    if kind == "weekly":
        raw_days = r.get("weekdays")
        days: list[Any] = raw_days if isinstance(raw_days, list) else []
        weekdays = sorted({w for w in (as_int(x) for x in days) if w is not None and 0 <= w <= 6})
        if weekdays:
            out["weekdays"] = weekdays
    if kind == "monthly":
        dom = as_int(r.get("day"))
        if dom is not None and 1 <= dom <= 31:
            out["day"] = dom
    interval = as_int(r.get("interval"))
    if interval is not None and 2 <= interval <= 366:
        out["interval"] = interval
    return out


def _matches(day: date, rec: Mapping[str, Any], anchor: date) -> bool:
    if rec["kind"] == "daily":
        return True
    if rec["kind"] == "weekly":
        return day.weekday() in rec.get("weekdays", [anchor.weekday()])
    wanted = rec.get("day", anchor.day)
    last = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    return day.day == min(wanted, last)


def _first_occurrence(start: datetime, rec: dict[str, Any], now: datetime) -> datetime:
    """The first moment at or after ``start`` (and not in the past) that the rule allows."""
    anchor = start.date()
    if rec["kind"] == "weekly" and "weekdays" not in rec:
        rec["weekdays"] = [anchor.weekday()]
    if rec["kind"] == "monthly" and "day" not in rec:
        rec["day"] = anchor.day
    candidate = start
    for _ in range(800):
        if candidate >= now - timedelta(minutes=1) and _matches(candidate.date(), rec, anchor):
            return candidate
        candidate = datetime.combine(candidate.date() + timedelta(days=1), start.time(), start.tzinfo)
    raise InvalidOutput("the recurrence never fires")


# --------------------------------------------------------------------------- out of office


def ooo_from_output(doc: object, *, now: datetime, zone: ZoneInfo) -> ParsedOoo | None:
    d = _mapping(doc, "the answer")
    if d.get("found") is not True:
        return None
    today = now.astimezone(zone).date()
    start = parse_iso_date(d.get("start_date")) or today
    end = parse_iso_date(d.get("end_date")) or start
    if end < start:
        raise InvalidOutput("the absence ends before it starts")
    if (end - start).days > 366:
        raise InvalidOutput("the absence is longer than a year")
    if end < today - timedelta(days=31) or start > today + FUTURE_LIMIT:
        raise InvalidOutput("the absence dates are implausible")
    reason = d.get("reason")
    reason = reason.strip().lower() if isinstance(reason, str) else None
    return ParsedOoo(start_date=start, end_date=end, reason=reason if reason in OOO_REASONS else None)


# --------------------------------------------------------------------------- memory


def observations_from_output(
    doc: object, *, known_ts: set[str], hint: tuple[str, str] | None, entities: Sequence[str] = ()
) -> list[Observation]:
    items = _list(_mapping(doc, "the answer").get("observations"), "observations")
    out: list[Observation] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping):
            continue
        content = clean_text(item.get("content"), OBSERVATION_MAX)
        if len(content) < 3 or content.casefold() in seen:
            continue
        sources = item.get("source_ts")
        ts = [t for t in dict.fromkeys(sources) if isinstance(t, str) and t in known_ts] if isinstance(sources, list) else []
        if not ts:
            continue  # not grounded in the messages given: not kept
        entity_type = item.get("entity_type")
        entity_type = entity_type if entity_type in ENTITY_TYPES else "other"
        name = clean_text(item.get("entity_name"), ENTITY_NAME_MAX) or None
        if name is not None and entities:
            name = loose_match(name, entities) or name
        if name is None and hint is not None:
            entity_type, name = hint
        seen.add(content.casefold())
        out.append(Observation(content=content, entity_type=entity_type, entity_name=name, source_ts=ts))
        if len(out) >= MAX_OBSERVATIONS:
            break
    return out


def answer_from_output(doc: object, *, fact_count: int) -> str:
    text = clean_block(_mapping(doc, "the answer").get("answer"), ANSWER_MAX)
    if not text:
        raise InvalidOutput("the answer is empty")

    def citation(m: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", m.group())]
        kept = [n for n in numbers if 1 <= n <= fact_count]
        return "[" + ", ".join(str(n) for n in kept) + "]" if kept else ""

    return re.sub(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]", citation, text).strip()


def summary_from_output(doc: object) -> str:
    text = clean_block(_mapping(doc, "the answer").get("summary"), SUMMARY_MAX)
    if not text:
        raise InvalidOutput("the summary is empty")
    return text


def narrative_from_output(doc: object) -> str:
    text = clean_block(_mapping(doc, "the answer").get("narrative"), SUMMARY_MAX)
    if not text:
        raise InvalidOutput("the narrative is empty")
    return text
