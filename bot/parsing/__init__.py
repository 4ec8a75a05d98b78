"""Offline, rule-based parsing (used when no OpenAI key is set or the model fails).

Pure functions: no I/O, no clock reads (``now`` is always a parameter and must be aware).

Tasks (``parse_tasks``)
  * Splitting: lines (bullets ``- * • + >``, ``1.``, ``1)``, ``a)``, ``[ ]`` are stripped), ``;``,
    sentence ends followed by a capital, and ``,`` / ``and`` / ``then`` / ``&`` only when the next
    clause starts with a verb from a compact list (``text.VERBS``) and the clause before has at least
    two words ("fix the login and signup bug" and "review and merge the PR" stay one task). Verbs
    that are also nouns ("design", "update", "test"...) only split when followed by an object-like
    word (the/a/my/it/a Capitalised word/a mention/a number): "fix the header and design issues" is one task.
  * A line ending with ":" is a header: no task; its date ("Tomorrow:") applies to the lines below.
    A fragment that is only a date ("Fix the bug. Tomorrow.") dates the previous undated task.
  * Lead-ins ("I'll", "I need to", "todo:", "please", "can you", "let's"...), trailing punctuation,
    "please"/"thanks" and orphan connectors are removed; emoji-only fragments are dropped; titles
    keep the user's casing and inner emoji and are clamped to 200 characters (ending in "…").
  * Dates: English phrases by compiled rules (``dates.py``, clock times in ``clock.py``; the conventions
    are listed in ``dates.py`` and the README); es/fr/de/pt/it (``foreign.py``) through dateparser's
    ``search_dates`` (languages limited to those whose vocabulary appears) plus a small table for
    phrases dateparser gets wrong. The date phrase (with "by"/"on"/"due") is removed from the title.
    With several dates, one introduced by by/due/on/before/until wins, else the last one.
  * Date semantics: weekday / "by Friday" = next occurrence, today included; "next Tue" = that day in
    next (Monday-based) week; "this Friday" = the coming one; "next week" = its Monday; "EOW" =
    this week's Friday; "EOD" = today at ``end_of_day`` (23:59 once that has passed); "tomorrow
    morning" 09:00 (afternoon 14:00, evening 18:00, tonight 20:00); a clock time without am/pm, with
    or without minutes, is read in working hours ("at 3" and "at 3:30" in the afternoon, "at 9:30" in
    the morning; a reminder instead takes the next time the clock shows it, see ``dates.resolve_when``);
    "3/12" follows ``date_order`` ("29/11" is read the only way it is valid); yearless dates in the past
    move to next year; a time already passed today moves to tomorrow; an explicit past ("yesterday", "last Friday", "was due 3/1",
    a past date with a year) is kept with ``overdue=True``; "today at 9am" said at 10:30 is overdue.
  * ``due_at`` is aware in ``tz``; a date without a time gets ``end_of_day`` and ``has_time=False``.
  * Priority: urgent/asap/immediately/P0/"!!!" -> urgent ("asap" without a date = today EOD);
    important/critical/high priority/P1/"!!" -> high; "no rush"/"whenever"/"someday"/"low priority"
    -> low + ``no_rush`` (and no implied date; an explicit date is still kept).
  * Task type: the earliest keyword in the title wins (longest at a position, then rule order);
    ``DEFAULT_TASK_TYPE`` ("task", "m", 3) when nothing matches.
  * Clients/projects: case-, accent- and punctuation-insensitive whole-word match of the name, or of
    the name without a company suffix ("Acme Corp" <- "acme's landing page"); the earliest match wins.

Reminders (``parse_reminder``): see its docstring; recurrence is a ``Recurrence`` dict such as
``{"kind": "weekly", "weekdays": [0], "hour": 9, "minute": 0}``.
OOO (``parse_ooo``) and ``looks_like_injection``: see their docstrings.
"""

from .dates import warm_up
from .injection import looks_like_injection
from .models import (
    DEFAULT_TASK_TYPE,
    DEFAULT_TASK_TYPES,
    SIZE_WEIGHTS,
    DateOrder,
    ParsedOoo,
    ParsedReminder,
    ParsedTask,
    Priority,
    Recurrence,
    Size,
    TaskTypeRule,
    ThreatLevel,
)
from .ooo import parse_ooo
from .reminders import DEFAULT_REMINDER_TIME, parse_reminder
from .tasks import parse_tasks

__all__ = [
    "DEFAULT_REMINDER_TIME",
    "DEFAULT_TASK_TYPE",
    "DEFAULT_TASK_TYPES",
    "SIZE_WEIGHTS",
    "DateOrder",
    "ParsedOoo",
    "ParsedReminder",
    "ParsedTask",
    "Priority",
    "Recurrence",
    "Size",
    "TaskTypeRule",
    "ThreatLevel",
    "looks_like_injection",
    "parse_ooo",
    "parse_reminder",
    "parse_tasks",
    "warm_up",
]
