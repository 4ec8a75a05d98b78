"""When a checklist is due (SPEC F13; issue 16): a schedule written in words, stored as ``checklists.schedule`` (jsonb),
and its occurrences, computed with ``dateutil.rrule`` (RFC 5545 recurrence rules). Pure: no clock, no database.

The words (any case; ``at`` before the time is optional; the time is ``16:00``, ``9:30``, ``4pm``, ``4:30 pm``,
``16h``, ``16.00``, ``noon``):

  ==========================================  ===================================================================
  words                                        stored (``Schedule.to_json``)
  ==========================================  ===================================================================
  ``every friday 16:00``, ``fridays 4pm``      ``{"freq": "weekly", "weekdays": [4], "time": "16:00"}``
  ``every monday and thursday 10:00``          ``{"freq": "weekly", "weekdays": [0, 3], "time": "10:00"}``
  ``every mon, wed, fri at 9:30``              ``{"freq": "weekly", "weekdays": [0, 2, 4], "time": "09:30"}``
  ``weekdays 09:30``, ``every weekday 9:30``   ``{"freq": "weekly", "weekdays": [0, 1, 2, 3, 4], ...}``
  ``daily 17:00``, ``every day 17:00``         ``{"freq": "daily", "time": "17:00"}``
  ``first monday of the month 10:00``          ``{"freq": "monthly", "weekdays": [0], "nth": 1, ...}``
  ``last friday of the month 15:00``           ``{"freq": "monthly", "weekdays": [4], "nth": -1, ...}``
  ==========================================  ===================================================================

Weekdays are Python's (0 = Monday), as ``dateutil.rrule`` numbers them. ``nth`` is 1..4 or -1 (last). The time is a
wall time on each recipient's own clock (their timezone): the schedule says *when in their day*, never an instant.
A date that is a recurrence but not a workday for the person (their weekend, a holiday, their leave) is skipped by
the sender (bot/services/checklists.py), not here: ``daily`` means every day the person works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from dateutil import rrule

from bot import slack_markup as markup
from bot.errors import InvalidInput

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS: dict[str, int] = {}
for _i, _name in enumerate(WEEKDAY_NAMES):
    for _w in {_name, _name + "s", _name[:3], _name[:3] + "s", _name[:3] + ".", _name[:4] if _i in (1, 3) else _name[:3]}:
        _DAY_WORDS[_w] = _i
_DAY_WORDS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
_NTH_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
_NTH_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
# An rrule needs a start; any Monday long ago serves (these rules do not depend on it).
_ANCHOR = datetime(2000, 1, 3)

_TIME = re.compile(r"^(?:(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?|(?P<h24>\d{1,2})h|noon|midday)$",
                   re.IGNORECASE)
_MONTH_TAIL = re.compile(r"\s+of\s+(?:the|each|every)\s+month$|\s+(?:of\s+)?(?:each|every)\s+month$|\s+monthly$",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Schedule:
    """A checklist's recurrence. ``freq``: "daily", "weekly" or "monthly"; ``weekdays``: 0 = Monday (weekly, monthly);
    ``nth``: the weekday's place in the month, 1..4 or -1 for the last (monthly); ``at``: the wall time."""

    freq: str
    at: time
    weekdays: tuple[int, ...] = ()
    nth: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"freq": self.freq, "time": f"{self.at:%H:%M}"}
        if self.weekdays:
            out["weekdays"] = list(self.weekdays)
        if self.nth is not None:
            out["nth"] = self.nth
        return out

    @staticmethod
    def from_json(stored: dict[str, Any]) -> Schedule:
        """The schedule stored by :meth:`to_json`. Raises ValueError for a shape it did not write."""
        freq = stored.get("freq")
        if freq not in ("daily", "weekly", "monthly"):
            raise ValueError(f"unknown schedule freq {freq!r}")
        hour, minute = (int(p) for p in str(stored["time"]).split(":"))
        nth = stored.get("nth")
        return Schedule(freq, time(hour, minute), tuple(int(d) for d in stored.get("weekdays") or ()),
                        int(nth) if nth is not None else None)

    def rule(self) -> rrule.rrule:
        """The dateutil recurrence of the schedule's dates (at midnight; the time is the caller's to add)."""
        if self.freq == "daily":
            return rrule.rrule(rrule.DAILY, dtstart=_ANCHOR)
        if self.freq == "weekly":
            return rrule.rrule(rrule.WEEKLY, dtstart=_ANCHOR, byweekday=self.weekdays)
        return rrule.rrule(rrule.MONTHLY, dtstart=_ANCHOR,
                           byweekday=[rrule.weekday(d)(self.nth or 1) for d in self.weekdays])

    def occurs_on(self, day: date) -> bool:
        """Whether ``day`` (a recipient's own date) is one of the schedule's dates."""
        start = datetime.combine(day, time(0, 0))
        return self.rule().after(start, inc=True) == start

    def next_date(self, after: date, *, include: bool = False) -> date | None:
        """The first of the schedule's dates after ``after`` (or from it, with ``include``)."""
        found = self.rule().after(datetime.combine(after, time(0, 0)), inc=include)
        return found.date() if found else None

    def words(self) -> str:
        """The schedule in the words people write: "every Friday at 16:00", "weekdays at 09:30", "the first Monday of
        the month at 10:00"."""
        at = f"at {self.at:%H:%M}"
        if self.freq == "daily":
            return f"every day {at}"
        names = [WEEKDAY_NAMES[d].title() for d in self.weekdays]
        if self.freq == "monthly":
            return f"the {_NTH_NAMES.get(self.nth or 1, 'first')} {names[0]} of the month {at}"
        if tuple(self.weekdays) == (0, 1, 2, 3, 4):
            return f"weekdays {at}"
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"every {listed} {at}"


def _quote(words: str) -> str:
    return "'" + markup.escape(words.strip()[:80]) + "'"


def parse_time(word: str, whole: str) -> time:
    """``16:00``, ``9:30``, ``4pm``, ``4:30 pm``, ``16h``, ``16.00``, ``noon`` as a wall time. Raises InvalidInput naming
    the time and the schedule it was in."""
    found = _TIME.match(word.strip())
    bad = InvalidInput(f"I couldn't read the time in {_quote(whole)}: write it like `16:00` or `4pm`.")
    if found is None:
        raise bad
    if word.strip().lower() in ("noon", "midday"):
        return time(12, 0)
    hour = int(found["h"] or found["h24"])
    minute = int(found["m"] or 0)
    ampm = (found["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise bad
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise bad
    return time(hour, minute)


def _split_time(words: str) -> tuple[str, str]:
    """(the day words, the time words) of a schedule: the time is its last word (or the last two, ``4:30 pm``), after
    an optional ``at``."""
    parts = words.split()
    if len(parts) >= 2 and parts[-1].lower().replace(".", "") in ("am", "pm"):
        parts = parts[:-2] + [parts[-2] + parts[-1]]
    if not parts:
        return "", ""
    time_word = parts[-1]
    days = parts[:-1]
    if days and days[-1].lower() == "at":
        days = days[:-1]
    return " ".join(days), time_word


def _looks_like_time(word: str) -> bool:
    return bool(re.search(r"\d", word)) or word.lower() in ("noon", "midday")


def _day_list(words: str, whole: str) -> tuple[int, ...]:
    """``monday and thursday``, ``mon, wed, fri``, ``mondays & thursdays`` as weekday numbers (0 = Monday), sorted,
    each once. Raises InvalidInput naming the word that is not a day."""
    found: list[int] = []
    for word in re.split(r"\s*(?:,|&|\band\b|\+|/)\s*|\s+", words.strip(), flags=re.IGNORECASE):
        if not word:
            continue
        day = _DAY_WORDS.get(word.lower())
        if day is None:
            raise InvalidInput(f"I couldn't read the day in {_quote(whole)}: `{markup.escape(word[:30])}` isn't a weekday "
                               "(write `every friday 16:00`, `every monday and thursday 10:00`, `weekdays 09:30`).")
        if day not in found:
            found.append(day)
    if not found:
        raise InvalidInput(f"I couldn't read the day in {_quote(whole)}: say which, like `every friday 16:00`.")
    return tuple(sorted(found))


SCHEDULE_EXAMPLES = ("`every friday 16:00`, `every monday and thursday 10:00`, `weekdays 09:30`, `daily 17:00`, "
                     "`first monday of the month 10:00`, `last friday of the month 15:00`")


def parse_schedule(words: str) -> Schedule:
    """A schedule in words (see the module notes) as a :class:`Schedule`. Raises InvalidInput saying which part could
    not be read: the time ("I couldn't read the time in 'every friday 4pm-ish'"), the day, or the whole."""
    whole = " ".join((words or "").split())
    if not whole:
        raise InvalidInput(f"Say when it is due, like {SCHEDULE_EXAMPLES}.")
    day_words, time_word = _split_time(whole)
    if not _looks_like_time(time_word):
        raise InvalidInput(f"I couldn't find a time in {_quote(whole)}: end it with one, like `every friday 16:00`.")
    at = parse_time(time_word, whole)
    lowered = day_words.lower()
    monthly = _MONTH_TAIL.search(lowered)
    if monthly:
        head = lowered[: monthly.start()].split()
        if head[:1] == ["every"] or head[:1] == ["the"] or head[:1] == ["on"]:
            head = head[1:]
        if head[:1] == ["the"]:
            head = head[1:]
        if len(head) != 2 or head[0] not in _NTH_WORDS:
            raise InvalidInput(f"I couldn't read the day of the month in {_quote(whole)}: write it like "
                               "`first monday of the month 10:00` or `last friday of the month 15:00`.")
        day = _day_list(head[1], whole)
        if len(day) != 1:
            raise InvalidInput(f"I couldn't read the day of the month in {_quote(whole)}: name one weekday.")
        return Schedule("monthly", at, day, _NTH_WORDS[head[0]])
    head = lowered.split()
    if head[:1] in (["every"], ["each"], ["on"]):
        head = head[1:]
    rest = " ".join(head)
    if lowered == "daily" or rest in ("day", "days", "workday", "working day"):
        return Schedule("daily", at)
    if not rest:
        raise InvalidInput(f"I couldn't read the day in {_quote(whole)}: say which, like `every friday 16:00` or "
                           "`daily 17:00`.")
    if rest in ("weekday", "weekdays", "monday to friday", "monday-friday", "mon-fri"):
        return Schedule("weekly", at, (0, 1, 2, 3, 4))
    if head and head[0] in _NTH_WORDS:
        raise InvalidInput(f"I couldn't read the day of the month in {_quote(whole)}: write it like "
                           "`first monday of the month 10:00`.")
    return Schedule("weekly", at, _day_list(rest, whole))


def never_on(schedule: Schedule, workdays: frozenset[int]) -> bool:
    """Whether the schedule's weekdays (0 = Monday) miss every one of ``workdays`` (ISO, 1 = Monday: the organization's
    ``org_settings.workdays``), so it could never be sent: checklists go only on workdays (tester16 #14)."""
    return schedule.freq != "daily" and not any(d + 1 in workdays for d in schedule.weekdays)


def next_run(schedule: Schedule, now: datetime, tz: str, workdays: frozenset[int] | None = None) -> datetime | None:
    """The next instant (aware, in ``tz``) from ``now`` at which ``schedule`` is due for someone living in ``tz`` on
    one of ``workdays`` (ISO weekdays; None: any day; holidays and leave aside): for `/steward checklists`. None when
    there is none within a year."""
    from bot.services.calendar import at_local, local_date

    day = schedule.next_date(local_date(now, tz), include=True)
    for _ in range(400):
        if day is None:
            return None
        at = at_local(day, schedule.at, tz)
        if at >= now and (workdays is None or day.isoweekday() in workdays):
            return at
        day = schedule.next_date(day)
    return None
