"""Typed results and configuration of the offline (rule-based) parser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NotRequired, TypedDict

Size = Literal["xs", "s", "m", "l", "xl"]
Priority = Literal["low", "normal", "high", "urgent"]
DateOrder = Literal["MDY", "DMY"]
ThreatLevel = Literal["low", "medium", "high", "critical"]

SIZES: tuple[str, ...] = ("xs", "s", "m", "l", "xl")
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
# Default story-point-like weight per size (used by callers that only know a size).
SIZE_WEIGHTS: dict[str, int] = {"xs": 1, "s": 2, "m": 3, "l": 5, "xl": 8}


@dataclass(frozen=True, slots=True)
class TaskTypeRule:
    """``keyword`` is matched case-insensitively on word boundaries (a plural ``s``/``es`` is
    tolerated, inner whitespace is flexible: "landing page" matches "landing  pages")."""

    keyword: str
    task_type: str
    size: Size
    weight: int

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"invalid size {self.size!r}; expected one of {SIZES}")
        if not self.task_type:
            raise ValueError("task_type must not be empty")


# Used when no rule matches: an ordinary, medium task.
DEFAULT_TASK_TYPE = TaskTypeRule("*", "task", "m", 3)

# Agency-flavoured defaults. Which rule wins: the keyword that occurs EARLIEST in the title
# (the leading verb usually says what kind of work it is: "fix the landing page" is a bug,
# "redo the landing page" a project); at the same position the longest keyword; then list order.
DEFAULT_TASK_TYPES: tuple[TaskTypeRule, ...] = (
    TaskTypeRule("bug", "bug", "s", 2),
    TaskTypeRule("fix", "bug", "s", 2),
    TaskTypeRule("hotfix", "bug", "s", 2),
    TaskTypeRule("debug", "bug", "s", 2),
    TaskTypeRule("broken", "bug", "s", 2),
    TaskTypeRule("landing page", "design", "m", 3),
    TaskTypeRule("design", "design", "m", 3),
    TaskTypeRule("mockup", "design", "m", 3),
    TaskTypeRule("wireframe", "design", "m", 3),
    TaskTypeRule("logo", "design", "m", 3),
    TaskTypeRule("redo", "project", "l", 5),
    TaskTypeRule("rebuild", "project", "l", 5),
    TaskTypeRule("redesign", "project", "l", 5),
    TaskTypeRule("migrate", "project", "l", 5),
    TaskTypeRule("migration", "project", "l", 5),
    TaskTypeRule("rewrite", "project", "l", 5),
    TaskTypeRule("overhaul", "project", "l", 5),
    TaskTypeRule("code review", "review", "xs", 1),
    TaskTypeRule("review", "review", "xs", 1),
    TaskTypeRule("proofread", "review", "xs", 1),
    TaskTypeRule("approve", "review", "xs", 1),
    TaskTypeRule("meeting", "meeting", "xs", 1),
    TaskTypeRule("call", "meeting", "xs", 1),
    TaskTypeRule("meet", "meeting", "xs", 1),
    TaskTypeRule("sync", "meeting", "xs", 1),
    TaskTypeRule("standup", "meeting", "xs", 1),
    TaskTypeRule("1:1", "meeting", "xs", 1),
    TaskTypeRule("blog post", "content", "s", 2),
    TaskTypeRule("blog", "content", "s", 2),
    TaskTypeRule("write", "content", "s", 2),
    TaskTypeRule("copy", "content", "s", 2),
    TaskTypeRule("newsletter", "content", "s", 2),
    TaskTypeRule("deploy", "deploy", "s", 2),
    TaskTypeRule("release", "deploy", "s", 2),
    TaskTypeRule("ship", "deploy", "s", 2),
    TaskTypeRule("invoice", "admin", "xs", 1),
    TaskTypeRule("email", "admin", "xs", 1),
    TaskTypeRule("expense", "admin", "xs", 1),
    TaskTypeRule("timesheet", "admin", "xs", 1),
    TaskTypeRule("contract", "admin", "xs", 1),
    TaskTypeRule("research", "research", "m", 3),
    TaskTypeRule("investigate", "research", "m", 3),
    TaskTypeRule("audit", "research", "m", 3),
)


@dataclass(frozen=True, slots=True)
class ParsedTask:
    title: str
    due_at: datetime | None  # aware, in the user's tz; the end of day when only a date was given
    due_date: date | None  # the local date in the user's tz
    has_time: bool  # a clock time (or EOD / part of day / "asap") was stated
    task_type: str
    size: Size
    weight: int
    client: str | None
    project: str | None
    priority: Priority
    no_rush: bool
    overdue: bool = False  # the due date is in the past and the text said so ("was due yesterday")


class Recurrence(TypedDict):
    """A cron-like spec. ``weekdays`` are Monday=0..Sunday=6 (``weekly`` only); ``day`` is the
    day of the month (``monthly`` only, clamped to the month's last day by the scheduler);
    ``interval`` (every N days/weeks/months) is present only when it is not 1."""

    kind: Literal["daily", "weekly", "monthly"]
    hour: int
    minute: int
    weekdays: NotRequired[list[int]]
    day: NotRequired[int]
    interval: NotRequired[int]


@dataclass(frozen=True, slots=True)
class ParsedReminder:
    what: str
    fire_at: datetime  # aware, in the user's tz; the first occurrence for recurring reminders
    recurrence: Recurrence | None
    has_time: bool  # False when the 09:00 default was used


@dataclass(frozen=True, slots=True)
class ParsedOoo:
    start_date: date
    end_date: date  # inclusive
    reason: str | None  # vacation / sick / parental / appointment / travel / personal / holiday
