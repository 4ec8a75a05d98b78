"""The daily loop's rules that are not about time (SPEC F5, F8): what a planned task's day comes to,
carry-forward labels, low-mood streaks, and how workdays are described. Every rule about *when* (days,
zones, quiet hours, absences) lives in the people calendar, :mod:`bot.services.calendar`; the names
below are re-exported from it for the modules that read the rhythm through this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.services.calendar import Rhythm as Rhythm
from bot.services.calendar import local_date as local_date
from bot.services.calendar import personal_day as personal_day
from bot.services.calendar import valid_timezone as valid_timezone
from bot.services.calendar import zone as zone

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------- day close

def close_status(task_status: str, answer: str | None) -> str:
    """What a planned task's day comes to: done, dropped, or carried forward (also when unanswered)."""
    if task_status == "done" or answer == "done":
        return "done"
    if task_status == "dropped" or answer == "dropped":
        return "dropped"
    return "carry_forward"


def carry_label(count: int) -> str:
    return "" if count <= 0 else f"carried {count}\u00d7"


CARRY_WARNING = 3  # carried this many times: it stands out


# ---------------------------------------------------------------- mood

LOW_MOOD_SCORE = 2
LOW_MOOD_STREAK = 3
MIN_AGGREGATE_PEOPLE = 3


def low_mood_streak(scores_newest_first: list[tuple[date, int]]) -> list[date] | None:
    """The dates of the current run of low scores when it is at least LOW_MOOD_STREAK long, else None.

    Consecutive means consecutive check-ins (days without one do not break or extend a run)."""
    run: list[date] = []
    for day, score in scores_newest_first:
        if score > LOW_MOOD_SCORE:
            break
        run.append(day)
    return sorted(run) if len(run) >= LOW_MOOD_STREAK else None


def describe_days(workdays: Iterable[int]) -> str:
    days = sorted(set(workdays))
    if not days:
        return "no days"
    if days == [1, 2, 3, 4, 5]:
        return "Mon\u2013Fri"
    if days == list(range(1, 8)):
        return "every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [WEEKDAY_NAMES[r[0] - 1].title() + (f"\u2013{WEEKDAY_NAMES[r[-1] - 1].title()}" if len(r) > 2 else "")
             if len(r) != 2 else f"{WEEKDAY_NAMES[r[0] - 1].title()}, {WEEKDAY_NAMES[r[1] - 1].title()}" for r in runs]
    return ", ".join(names)
