"""Escalation ladders in words (SPEC F6; issue 13): ``4h owner, 1d manager, 2d channel, 3d flag``.

One grammar for every ladder (the blocker ladder, the overdue ladder, a project's own overdue ladder).
Pure: no I/O, no clock. A ladder is a list of *rungs* separated by commas, semicolons or "then"; a rung is
a wait in working time and a step:

  ``<n>h``  ``<n>d``     working hours, working days (``4h``, ``1d``, ``1.5d``; also ``4 hours``, ``2 days``;
                         ``0h`` or ``due`` is "at once": at the due time of an overdue task). A working day is
                         the organization's day from morning to end of day; which hours count is the people
                         calendar's rule (:func:`bot.services.calendar.working_time`).
  ``owner``              DM the person (the blocked person, the task's owner); also ``dm owner``, ``ask owner``.
  ``manager``            DM their manager; also ``dm manager``.
  ``channel``            a post in the task's project channel, else the standup channel; also ``project channel``,
                         ``post``.
  ``flag``               a flag of severity high to the manager's manager (or the admins); also ``raise flag``.

Each wait is counted from when the blocker was raised (or the task fell due), so waits must grow from rung to
rung: ``1d manager, 4h owner`` is refused, naming the rung out of order. At most :data:`MAX_RUNGS` rungs, each
at most :data:`MAX_WAIT_DAYS` working days. Anything else raises :class:`bot.errors.InvalidInput` naming the
rung that did not parse and what would (two rungs with no comma between them are named as such), with an example
of the same kind of ladder (:data:`EXAMPLES`).

Two ladders that read well but make noise or go over someone's head are refused too, naming the rung (issue 13's
"without becoming noise"; tester 13, finding 22): a step that comes twice (``4h owner, 1d owner``: each rung fires
once, and "Still blocked" already asks the owner again), and a ``flag`` rung with no ``manager`` rung before it (the
flag goes to the manager's manager, who would hear before the manager does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.errors import InvalidInput

Unit = Literal["h", "d"]
Action = Literal["owner", "manager", "channel", "flag"]
ACTIONS: tuple[Action, ...] = ("owner", "manager", "channel", "flag")
# Limits that keep a ladder readable and its rungs within a month of working time.
MAX_RUNGS = 8
MAX_WAIT_DAYS = 30
# The example each kind of ladder's answers show (the defaults of bot/services/ladders.py).
LadderKind = Literal["blocker", "overdue"]
EXAMPLES: dict[LadderKind, str] = {"blocker": "4h owner, 1d manager, 2d channel, 3d flag",
                                   "overdue": "0h owner, 1d manager, 3d channel"}
# Working hours in a working day when a wait must be compared across units without an organization's
# rhythm (only for ordering rungs: 1d is later than any wait in hours shorter than a day).
_HOURS_PER_DAY_FOR_ORDER = 24

_F = re.IGNORECASE
_ACTION_WORDS: dict[str, Action] = {
    "owner": "owner", "dm owner": "owner", "ask owner": "owner", "the owner": "owner", "dm the owner": "owner",
    "ask the owner": "owner",
    "manager": "manager", "dm manager": "manager", "the manager": "manager", "dm the manager": "manager",
    "channel": "channel", "project channel": "channel", "post": "channel", "post in channel": "channel",
    "the channel": "channel", "post channel": "channel",
    "flag": "flag", "raise flag": "flag", "raise a flag": "flag", "a flag": "flag",
}
_WAIT = re.compile(
    r"^(?:(?:after|\+)\s*)?(?P<n>\d{1,3}(?:\.\d{1,2})?)\s*(?P<unit>h|hrs?|hours?|d|days?|wd|working\s+(?:hours?|days?))\b\s*(?P<rest>.*)$",
    _F)
_AT_ONCE = re.compile(r"^(?:due|at\s+due|at\s+the\s+due\s+time|now|at\s+once)\b\s*(?P<rest>.*)$", _F)
_SPLIT = re.compile(r"\s*(?:[,;\n]|\bthen\b)\s*", _F)


@dataclass(frozen=True)
class Rung:
    """One step of a ladder: after ``after`` working ``unit`` (``h`` hours, ``d`` days), do ``action``."""

    after: float
    unit: Unit
    action: Action

    @property
    def words(self) -> str:
        """The rung as the grammar writes it (``4h owner``)."""
        return f"{_number(self.after)}{self.unit} {self.action}"

    @property
    def wait_words(self) -> str:
        """The rung's wait as people read it: "at once", "4 working hours", "1 working day"."""
        if self.after == 0:
            return "at once"
        unit = "working hour" if self.unit == "h" else "working day"
        return f"{_number(self.after)} {unit}{'' if self.after == 1 else 's'}"

    def order_key(self) -> float:
        """A wait in hours for ordering only (a day counted as :data:`_HOURS_PER_DAY_FOR_ORDER`)."""
        return self.after * (_HOURS_PER_DAY_FOR_ORDER if self.unit == "d" else 1)

    def to_json(self) -> dict[str, Any]:
        return {"after": self.after, "unit": self.unit, "action": self.action}


@dataclass(frozen=True)
class Ladder:
    """An ordered tuple of rungs (waits growing), as stored in ``org_settings.blocker_ladder``,
    ``org_settings.overdue_ladder`` and ``projects.overdue_escalation`` (see :meth:`to_json`)."""

    rungs: tuple[Rung, ...]

    @property
    def words(self) -> str:
        """The ladder in the grammar's words, which :func:`parse_ladder` reads back to the same ladder."""
        return ", ".join(r.words for r in self.rungs)

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.rungs]

    def __len__(self) -> int:
        return len(self.rungs)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _unit(word: str) -> Unit:
    return "d" if word.lower().replace("working", "").strip().startswith(("d", "wd")) else "h"


def _wait_and_rest(written: str) -> tuple[float, Unit, str] | None:
    """A rung's wait (``after``, ``unit``) and the words after it; None when it doesn't start with a wait."""
    wait = _WAIT.match(written)
    if wait is not None:
        return float(wait.group("n")), _unit(wait.group("unit")), wait.group("rest")
    if (at_once := _AT_ONCE.match(written)) is not None:
        return 0.0, "h", at_once.group("rest")
    return None


def _missing_comma(written: str, rest: str) -> str | None:
    """``written`` with a comma where a step ends and the next rung's wait begins (``4h owner 1d manager`` ->
    ``4h owner, 1d manager``); None when its words after the wait are not a step followed by another rung."""
    words = rest.split()
    for k in range(1, len(words)):
        step, tail = " ".join(words[:k]).lower().strip(" .:-"), " ".join(words[k:])
        if step in _ACTION_WORDS and _wait_and_rest(tail) is not None:
            return f"{written[:len(written) - len(tail)].rstrip()}, {tail}"
    return None


def _rung(text: str, index: int) -> Rung:
    written = " ".join(text.split())
    shown = f"`{written[:40]}`" if written else "an empty rung"
    read = _wait_and_rest(written)
    if read is None:
        raise InvalidInput(f"Rung {index} ({shown}) doesn't start with a wait. Start each rung with working hours or "
                           "days, like `4h owner` or `1d manager` (`0h` or `due` for at once).")
    after, unit, rest = read
    action = _ACTION_WORDS.get(" ".join(rest.lower().strip(" .:-").split()))
    if action is None and (fixed := _missing_comma(written, rest)) is not None:
        raise InvalidInput(f"Rung {index} (`{written[:60]}`) looks like two rungs with no comma between them: "
                           f"`{fixed[:80]}`. Separate rungs with commas.")
    if action is None:
        raise InvalidInput(f"Rung {index} ({shown}) doesn't say what to do. End each rung with one of "
                           f"{', '.join(f'`{a}`' for a in ACTIONS)}, like `4h owner`.")
    if (after / (1 if unit == "d" else 8)) > MAX_WAIT_DAYS:
        raise InvalidInput(f"Rung {index} ({shown}) waits too long: at most {MAX_WAIT_DAYS} working days.")
    return Rung(after, unit, action)


def parse_ladder(text: str, *, kind: LadderKind = "blocker") -> Ladder:
    """Read a ladder from words (the module's grammar). Raises InvalidInput naming the first rung that does not
    parse (two rungs with no comma between them named as such), a rung whose wait is not longer than the one before
    it, a step that comes twice, a flag before any manager rung, an empty ladder or one of more than
    :data:`MAX_RUNGS` rungs; its examples are of ``kind``'s ladder (:data:`EXAMPLES`). Slack markup is not expected
    here (the words are plain)."""
    example = EXAMPLES[kind]
    parts = [p for p in _SPLIT.split(text or "") if p.strip()]
    if not parts:
        raise InvalidInput(f"Give the ladder as rungs separated by commas, like `{example}`.")
    if len(parts) > MAX_RUNGS:
        raise InvalidInput(f"A ladder has at most {MAX_RUNGS} rungs; that one has {len(parts)}.")
    rungs = [_rung(part, i) for i, part in enumerate(parts, 1)]
    check_order(rungs, example)
    check_steps(rungs, example)
    return Ladder(tuple(rungs))


def check_order(rungs: Sequence[Rung], example: str = EXAMPLES["blocker"]) -> None:
    """Raise InvalidInput when a rung's wait is not longer than the one before it (both named; ``example``: a
    ladder that reads well, of the same kind)."""
    for i in range(1, len(rungs)):
        before, rung = rungs[i - 1], rungs[i]
        if rung.order_key() <= before.order_key():
            raise InvalidInput(f"Rung {i + 1} (`{rung.words}`) comes after rung {i} (`{before.words}`) but doesn't wait "
                               f"longer. Each wait counts from the start, so waits must grow: `{example}`.")


def check_steps(rungs: Sequence[Rung], example: str = EXAMPLES["blocker"]) -> None:
    """Raise InvalidInput, naming the rung, for a step that comes twice (each rung fires once; "Still blocked"
    already asks again) or a ``flag`` rung with no ``manager`` rung before it (the manager's manager would hear
    first). ``example``: a ladder that reads well, of the same kind."""
    seen: dict[Action, int] = {}
    for i, rung in enumerate(rungs, 1):
        if rung.action in seen:
            raise InvalidInput(f"Rung {i} (`{rung.words}`) repeats rung {seen[rung.action]}'s step (`{rung.action}`). "
                               f"Each step comes once in a ladder (*Still blocked* already asks again): `{example}`.")
        if rung.action == "flag" and "manager" not in seen:
            raise InvalidInput(f"Rung {i} (`{rung.words}`) raises a flag to the manager's manager before the manager "
                               "has heard. Put a `manager` rung before it, like `4h owner, 1d manager, 3d flag`.")
        seen[rung.action] = i


# The first version of the stored ladder (sql/migrations/0001_schema.sql's default): hours and verbose actions.
_LEGACY_ACTIONS: dict[str, Action] = {"ask_owner": "owner", "dm_owner": "owner", "dm_manager": "manager",
                                      "post_project_channel": "channel", "post_channel": "channel", "raise_flag": "flag"}


def ladder_from_json(value: Any) -> Ladder | None:
    """The ladder stored as JSON (:meth:`Ladder.to_json`, or the first schema's ``after_hours`` form, where a
    whole number of days of hours means working days); None for NULL or an empty list. Raises InvalidInput
    for a stored value that is not a ladder."""
    if value is None or value == [] or value == {}:
        return None
    if not isinstance(value, list):
        raise InvalidInput("The stored ladder is not a list of rungs.")
    rungs: list[Rung] = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidInput("A stored rung is not an object.")
        if "after_hours" in item:
            hours = float(item["after_hours"])
            after, unit = (hours / 24, "d") if hours >= 24 and hours % 24 == 0 else (hours, "h")
            action = _LEGACY_ACTIONS.get(str(item.get("action")))
        else:
            after, unit = float(item.get("after", -1)), "d" if item.get("unit") == "d" else "h"
            action = item.get("action") if item.get("action") in ACTIONS else None
        if action is None or after < 0:
            raise InvalidInput(f"A stored rung is not understood: {item!r:.80}.")
        rungs.append(Rung(after, unit, action))  # type: ignore[arg-type]
    return Ladder(tuple(rungs))


def describe(ladder: Ladder, what: Iterable[tuple[Action, str]] = ()) -> list[str]:
    """Each rung in plain English ("after 4 working hours: DM the owner"); ``what`` overrides an action's words."""
    words: dict[str, str] = {"owner": "DM the owner", "manager": "DM their manager",
                             "channel": "post in the project channel (else the standup channel)",
                             "flag": "raise a high flag to the manager's manager (or the admins)", **dict(what)}
    out = []
    for rung in ladder.rungs:
        when = "at once" if rung.after == 0 else f"after {rung.wait_words}"
        out.append(f"{when}: {words[rung.action]}")
    return out
