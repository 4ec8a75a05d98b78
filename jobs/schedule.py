"""When each job runs. The only module that imports APScheduler."""

from __future__ import annotations

# name -> (cron fields, human description). Times are UTC unless a job works per organization.
CRON: dict[str, tuple[dict[str, str], str]] = {
    "retention-daily": ({"hour": "2", "minute": "0"}, "daily at 02:00 UTC"),
    "retention-monthly": ({"day": "1", "hour": "2", "minute": "30"}, "monthly, 1st at 02:30 UTC"),
}


def describe_schedule() -> dict[str, str]:
    return {name: text for name, (_, text) in CRON.items()}
