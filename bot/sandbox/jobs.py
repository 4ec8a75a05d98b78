"""The sandbox page's job menu (the day's rhythm first) and a readable summary of what a run did."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

DAILY_RHYTHM = ("morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin")
"""The jobs of one standup day, in the order they happen (README "The day with Steward")."""

_WORDS = {
    "posted": "posted the standup thread for",
    "participants": "people in it",
    "out_of_office": "out of office",
    "nudged": "nudged",
    "summaries": "manager summaries",
    "quiet": "held for quiet hours",
    "held": "held until they can be reached (quiet hours, weekend or leave)",
    "sent": "sent",
    "people": "people's days closed",
    "done": "done",
    "carried": "carried forward",
    "dropped": "dropped",
    "fired": "reminders fired",
    "fired_late": "fired late",
    "scheduled": "scheduled",
}
_HIDDEN = {"thread_id", "next", "date"}


def job_menu() -> list[JsonDict]:
    """Every job as {"name", "description", "schedule"}: the daily rhythm first, then the rest as registered."""
    try:
        from jobs import registry
    except ImportError:  # the page still works without the jobs package
        log.exception("jobs registry unavailable")
        return []
    from jobs.schedule import describe_schedule

    schedule = describe_schedule()
    specs = registry.all_jobs()
    names = [n for n in DAILY_RHYTHM if n in specs] + [n for n in specs if n not in DAILY_RHYTHM]
    return [{"name": n, "description": specs[n].description, "schedule": schedule.get(n, "on demand"),
             "daily": n in DAILY_RHYTHM} for n in names]


def summarise(job: str, result: Any, plain: Callable[[str], str] = lambda text: text) -> str:
    """One or two readable sentences for what `job` returned (per-organization dicts, counts, skips).

    `plain` turns Slack markup left in a reason (`<#C123>`) into words for the page.
    """
    if result is None:
        return f"{job}: nothing ran (another run holds this slot, or Steward is not the scheduler's leader yet)."
    if isinstance(result, dict) and result and all(re.fullmatch(r"\d+", str(k)) for k in result):
        parts = [_describe(value, plain) for value in result.values()]
        return f"{job}: " + "; ".join(parts) if len(parts) > 1 else f"{job}: {parts[0]}"
    if isinstance(result, dict) and not result:
        return f"{job}: nothing to do (no organization yet)."
    return f"{job}: {_describe(result, plain)}"


def _describe(value: Any, plain: Callable[[str], str]) -> str:
    if not isinstance(value, dict):
        return plain(str(value)) + "."
    if "error" in value:
        return f"failed: {plain(str(value['error']))}."
    if "skipped" in value:
        return f"skipped: {plain(str(value['skipped']))}."
    counts = {k: v for k, v in value.items() if k not in _HIDDEN}
    numbers = [v for v in counts.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(counts) and not any(numbers):
        return "nothing to do right now."
    words = []
    for key, v in counts.items():
        label = _WORDS.get(key, key.replace("_", " "))
        words.append(f"{label} {v}" if key == "posted" else f"{v} {label}")
    return ", ".join(words) + "."
