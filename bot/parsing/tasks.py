"""parse_tasks: free text -> a list of ParsedTask."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from .dates import Ctx, When, make_ctx, resolve_when
from .matching import match_name, match_task_type, without_urls
from .models import DEFAULT_TASK_TYPE, DEFAULT_TASK_TYPES, DateOrder, ParsedTask, Priority, TaskTypeRule
from .text import (
    as_instruction,
    clamp,
    clean_title,
    fold,
    has_content,
    lines_of,
    protect_emoji,
    remove_spans,
    restore_emoji,
    sentences_of,
    split_clauses,
)

_F = re.IGNORECASE

_PAST_INTENT = re.compile(
    r"\b(?:(?:was|were)\s+(?:due|supposed\s+to)|overdue|past\s+due|missed|should\s+have\s+been|last\s+(?:week|mon|tue|wed|thu|fri|sat|sun))",
    _F,
)

# priority markers removed wherever they appear
_NO_RUSH = re.compile(
    r"\(?\b(?:(?:there(?:['’]s|\s+is)\s+)?no\s+(?:rush|hurry|deadline)|not\s+urgent|whenever(?:\s+(?:you\s+(?:can|get\s+(?:a\s+)?"
    r"(?:chance|minute|moment|sec(?:ond)?)|have\s+(?:time|a\s+(?:sec(?:ond)?|minute|moment|chance)))|possible))?"
    r"|some\s*day|eventually|at\s+some\s+point|when\s+you\s+(?:get|have)\s+(?:a\s+)?(?:chance|minute|moment|time)"
    r"|low[\s-]+pri(?:ority)?|nice\s+to\s+have)\b\)?",
    _F,
)
_URGENT_ANY = re.compile(
    r"\(?\b(?:asap|a\.s\.a\.p\.?|immediately|right\s+away|top\s+priority|highest\s+priority)(?!\w)\)?|!{3,}",
    _F,
)
_HIGH_ANY = re.compile(r"(?<!!)!!(?!!)")
# priority words that are removed only at the edges or in brackets ("URGENT: fix prod", "fix prod (urgent)")
_PRIO_WORDS = r"urgent(?:ly)?|important|high[\s-]+pri(?:ority)?|critical|emergency|p[0-4]"
_PRIO_EDGE_START = re.compile(rf"^\s*[\[(]?\s*(?P<w>{_PRIO_WORDS})\s*[\])]?\s*(?:[:,\-–!]+\s*|\s+)", _F)
_PRIO_EDGE_END = re.compile(rf"[\s,\-–(\[]+(?P<w>{_PRIO_WORDS})\s*[\])]?\s*[.!]*\s*$", _F)
_PRIO_BRACKET = re.compile(rf"[\[(]\s*(?P<w>{_PRIO_WORDS})\s*[\])]", _F)
_PRIO_ANYWHERE = re.compile(rf"\b(?P<w>{_PRIO_WORDS})\b", _F)
_ASAP = re.compile(r"\b(?:asap|a\.s\.a\.p)(?!\w)", _F)

_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _word_priority(w: str) -> Priority:
    w = w.lower()
    if w.startswith(("urgent", "emergency")) or w == "p0":
        return "urgent"
    if w in ("p3", "p4"):
        return "low"
    if w == "p2":
        return "normal"
    return "high"


@dataclass(slots=True)
class _Prio:
    priority: Priority = "normal"
    no_rush: bool = False
    asap: bool = False

    def bump(self, p: Priority) -> None:
        if _RANK[p] > _RANK[self.priority] or (self.priority == "low" and p != "normal"):
            self.priority = p


def _extract_priority(s: str) -> tuple[str, _Prio]:
    pr = _Prio()
    if _NO_RUSH.search(s):
        pr.no_rush = True
        pr.priority = "low"
        s = _NO_RUSH.sub(" ", s)
    if _ASAP.search(s):
        pr.asap = True
    if _URGENT_ANY.search(s):
        pr.bump("urgent")
        s = _URGENT_ANY.sub(" ", s)
    if _HIGH_ANY.search(s):
        pr.bump("high")
        s = _HIGH_ANY.sub(" ", s)
    for rx in (_PRIO_EDGE_START, _PRIO_EDGE_END, _PRIO_BRACKET):
        while (m := rx.search(s)) is not None:
            pr.bump(_word_priority(m["w"]))
            s = s[: m.start()] + " " + s[m.end() :]
    for m in _PRIO_ANYWHERE.finditer(s):  # "fix the urgent prod bug": keep the word, raise priority
        pr.bump(_word_priority(m["w"]))
    return s, pr


def _due(ctx: Ctx, when: When | None, end_of_day: time) -> tuple[datetime | None, date | None, bool]:
    if when is None:
        return None, None, False
    if when.instant is not None:
        return when.instant, when.instant.date(), True
    at = when.at if when.at is not None else end_of_day
    return datetime.combine(when.day, at, ctx.zone), when.day, when.at is not None


def parse_tasks(
    text: str,
    *,
    now: datetime,
    tz: str,
    date_order: DateOrder = "MDY",
    task_types: Sequence[TaskTypeRule] = DEFAULT_TASK_TYPES,
    clients: Sequence[str] = (),
    projects: Sequence[str] = (),
    end_of_day: time = time(17, 0),
    default_type: TaskTypeRule = DEFAULT_TASK_TYPE,
) -> list[ParsedTask]:
    """Split ``text`` (plain words: read Slack markup first) into tasks and parse each one. Pure:
    ``now`` (aware) is the only clock.

    ``due_at`` is aware in ``tz``; when only a date was stated it is that date at ``end_of_day``
    and ``has_time`` is False. Emoji shortcodes in a title are kept as written. See the package
    docstring for the heuristics.
    """
    text, shortcodes = protect_emoji(text)
    tasks = _parse_lines(text, now, tz, date_order, task_types, clients, projects, end_of_day, default_type)
    return [replace(t, title=restore_emoji(t.title, shortcodes)) if shortcodes else t for t in tasks]


def _parse_lines(text: str, now: datetime, tz: str, date_order: DateOrder, task_types: Sequence[TaskTypeRule],
                 clients: Sequence[str], projects: Sequence[str], end_of_day: time,
                 default_type: TaskTypeRule) -> list[ParsedTask]:
    base_ctx = make_ctx(now, tz, date_order, end_of_day)
    tasks: list[ParsedTask] = []
    header_when: When | None = None
    for line in lines_of(text):
        if line.endswith(":") and len(line) < 60:
            # a header ("Tomorrow:", "Today's tasks:", "Fix these:") yields no task; its date,
            # if any, applies to the lines below it until the next header
            header_when, _ = resolve_when(_POSSESSIVE.sub("", line), base_ctx)
            continue
        for sentence in sentences_of(line):
            pending: _Mod | None = None  # a modifier-only clause at the start of the sentence
            first_in_sentence = len(tasks)
            for frag in split_clauses(sentence):
                res = _parse_fragment(
                    frag, base_ctx, header_when, task_types, default_type, clients, projects
                )
                if isinstance(res, ParsedTask):
                    if pending is not None:
                        res, pending = _apply_mod(res, pending, base_ctx), None
                    tasks.append(res)
                elif res is not None:
                    if len(tasks) > first_in_sentence:  # "fix the bug, no rush" / "..., by Friday"
                        tasks[-1] = _apply_mod(tasks[-1], res, base_ctx)
                    else:  # "whenever you have time, refactor X" / "Tomorrow, fix X"
                        pending = res
            if pending is not None and tasks:  # "Fix the bug. Tomorrow."
                tasks[-1] = _apply_mod(tasks[-1], pending, base_ctx)
    return tasks


@dataclass(frozen=True, slots=True)
class _Mod:
    """What a clause without a title carried: a date and/or priority markers."""

    when: When | None
    prio: _Prio


def _apply_mod(t: ParsedTask, mod: _Mod, ctx: Ctx) -> ParsedTask:
    if mod.when is not None and t.due_date is None:
        due_at, due_date, has_time = _due(ctx, mod.when, ctx.end_of_day)
        t = replace(t, due_at=due_at, due_date=due_date, has_time=has_time, overdue=mod.when.explicit_past)
    p = _Prio(t.priority, t.no_rush)
    if mod.prio.no_rush:
        p.no_rush = True
        if p.priority == "normal":
            p.priority = "low"
    if mod.prio.priority != "low":
        p.bump(mod.prio.priority)
    if (p.priority, p.no_rush) != (t.priority, t.no_rush):
        t = replace(t, priority=p.priority, no_rush=p.no_rush)
    if mod.prio.asap and t.due_date is None:
        at = ctx.end_of_day if ctx.now.time() < ctx.end_of_day else time(23, 59)
        t = replace(t, due_at=datetime.combine(ctx.today, at, ctx.zone), due_date=ctx.today, has_time=True)
    return t


_POSSESSIVE = re.compile(r"['’]s\b")


def _parse_fragment(
    frag: str,
    ctx: Ctx,
    header_when: When | None,
    task_types: Sequence[TaskTypeRule],
    default_type: TaskTypeRule,
    clients: Sequence[str],
    projects: Sequence[str],
) -> ParsedTask | _Mod | None:
    """A task; or, for a clause without a title, the date/priority it carried (None if nothing)."""
    if _PAST_INTENT.search(frag):
        ctx = make_ctx(ctx.now, ctx.tz, ctx.date_order, ctx.end_of_day, past_intent=True)
    body, prio = _extract_priority(frag)
    when, _ = resolve_when(body, ctx)
    title = clean_title(body if when is None else remove_spans(body, when.spans))
    if not title or not has_content(title):
        if when is None and prio.priority == "normal" and not prio.no_rush:
            return None
        return _Mod(when, prio)
    title = clamp(as_instruction(title))
    if when is None and header_when is not None:
        when = header_when
    if when is None and prio.asap:  # "asap" with no date: today, end of day
        at = ctx.end_of_day if ctx.now.time() < ctx.end_of_day else time(23, 59)
        when = When(ctx.today, at, None, False, ())
    due_at, due_date, has_time = _due(ctx, when, ctx.end_of_day)
    rule = match_task_type(title, task_types, default_type)
    folded = fold(without_urls(frag))
    return ParsedTask(
        title=title,
        due_at=due_at,
        due_date=due_date,
        has_time=has_time,
        task_type=rule.task_type,
        size=rule.size,
        weight=rule.weight,
        client=match_name(frag, clients, folded),
        project=match_name(frag, projects, folded),
        priority=prio.priority,
        no_rush=prio.no_rush,
        overdue=bool(when is not None and when.explicit_past),
    )
