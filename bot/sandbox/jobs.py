"""The sandbox page's job menu (the day's rhythm first). What a run did reads as in jobs/summaries.py."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

DAILY_RHYTHM = ("morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin")
"""The jobs of one standup day, in the order they happen (README "The day with Steward")."""


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
