"""The card rules (SPEC F7; issue 14), pure: each rule is a function of plain data and ``now`` that returns the
breaches it sees. Nothing here reads a clock or a database; bot/services/cards.py feeds them and issues the cards.

Fairness, the rule behind every rule: a day counts only when Steward asked the person (the thread was posted, they
were on it, and they were working: :mod:`bot.services.attendance`) and they were not in ramp-up. Leave, public
holidays, their weekend, ramp-up and days Steward did not ask (a thread that failed, or none at all) never count.

* **missed** (yellow): ``threshold`` (2) missed morning updates in a row. "In a row" is over the team's working days
  (the organization's workdays and holidays; weekends and team holidays are not days of the run): any working day
  that is not a counted miss breaks the run, including a day on leave, a public holiday of the person's, a ramp-up
  day and a day Steward did not ask. So "missed Monday, on leave Tuesday, missed Wednesday" is no card: a leave day
  between two misses means they were not in a row. Each block of ``threshold`` misses in one run is one breach (a
  run of four is two cards with the default), keyed by the block's first day, so re-runs issue nothing twice.
  A day is a miss only once it has closed (the midnight ending the person's day).
* **carry** (yellow): a task carried forward ``threshold`` (3) times on days the person gave their update (counted
  days only), that is still open and has no open blocker (a blocked task is waiting, not neglected). A day with no
  update is the missed rule's: the task "carried" that day only because nobody said anything, which is one failing,
  not two. One card per task.
* **overdue** (yellow): an open task past its due date that the owner's update did not mention (a reply naming it,
  by T-number or as planned, created or done) on ``threshold`` (2) counted days in a row after the due date. Only
  days they gave an update count: a day with none is the missed rule's, and breaks this run. One card per task and
  due date (a new date starts again).
* **One day, one card; one task, one card.** A day in the evidence of any yellow card of the person (whatever its
  rule or status: a revoked card's days were judged and are never held against them again) is evidence for no other
  card: it never counts again, and breaks a run. Within one run the rules take days in a fixed order (missed, then
  overdue, then carry), so one stretch of days gives at most one card. A task that already gave a card (carry or
  overdue, revoked ones too) gives no other under the other rule; only a new due date given after that card can
  make it overdue again.
* **red**: ``threshold`` (3) yellow cards within ``window_days`` (30). A revoked card never counts; an expired one
  stops counting; a card under appeal counts only once the appeal is upheld (it waits for the decision); a yellow
  that already made a red is not counted again. Live reds count live yellows only (a card shown to nobody in shadow
  mode is not held against anyone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.services.attendance import DayRecord

YELLOW, RED = "yellow", "red"
# cards.rule values (snake case, as the schema's CHECK wants).
RULE_MISSED = "missed_updates"
RULE_CARRY = "carried_forward"
RULE_OVERDUE = "overdue_unreported"
RULE_RED = "three_yellows"
# How people name each rule in `/steward cards <rule> ...`, and the rule it is.
RULE_WORDS = {"missed": RULE_MISSED, "carry": RULE_CARRY, "overdue": RULE_OVERDUE, "red": RULE_RED}
# Defaults from issue 14 ("Default rules"): two missed updates in a row, a task carried three times, an overdue task
# unmentioned for two working days, three yellows in 30 days; a card expires after 30 days.
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "missed": {"on": True, "threshold": 2},
    "carry": {"on": True, "threshold": 3},
    "overdue": {"on": True, "threshold": 2},
    "red": {"on": True, "threshold": 3, "window_days": 30},
    "expiry": {"days": 30},
}
# What an admin may set (inclusive bounds), with why: one missed day or one carry is not a pattern.
THRESHOLD_BOUNDS = {"missed": (2, 20), "carry": (2, 30), "overdue": (1, 20), "red": (2, 10)}
EXPIRY_BOUNDS = (1, 365)
# Counting statuses: a yellow in one of these counts towards a red until it expires. An appealed card waits for the
# decision (upheld counts, revoked never does).
COUNTING = ("active", "acknowledged", "upheld")


@dataclass(frozen=True)
class RuleSetting:
    on: bool
    threshold: int


@dataclass(frozen=True)
class CardRules:
    """An organization's rules: each on/off with its threshold; ``red_window`` the red rule's window, ``expiry`` how
    long a card lasts."""

    missed: RuleSetting
    carry: RuleSetting
    overdue: RuleSetting
    red: RuleSetting
    red_window: timedelta
    expiry: timedelta

    def setting(self, word: str) -> RuleSetting:
        return {"missed": self.missed, "carry": self.carry, "overdue": self.overdue, "red": self.red}[word]


def merged(overrides: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The code defaults with an organization's overrides (org_settings.card_rules) laid over them; unknown keys and
    values of the wrong type are ignored (the defaults stand)."""
    out = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    for key, values in (overrides or {}).items():
        if key not in out or not isinstance(values, Mapping):
            continue
        for name, value in values.items():
            if name in out[key] and type(value) is type(out[key][name]):
                out[key][name] = value
    return out


def rules_of(overrides: Mapping[str, Any] | None) -> CardRules:
    """The :class:`CardRules` of an organization's overrides (see :func:`merged`)."""
    m = merged(overrides)

    def one(word: str) -> RuleSetting:
        return RuleSetting(bool(m[word]["on"]), int(m[word]["threshold"]))

    return CardRules(one("missed"), one("carry"), one("overdue"), one("red"),
                     timedelta(days=int(m["red"]["window_days"])), timedelta(days=int(m["expiry"]["days"])))


@dataclass(frozen=True)
class Breach:
    """One breach of one rule by one person: the card it issues (``color``, ``rule``), its ``dedupe_key`` (one card
    per breach), the rule in plain words (``reason``) and its ``evidence`` (JSON: dates, T-n, permalinks)."""

    user_id: int
    color: str
    rule: str
    dedupe_key: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _counted(r: DayRecord) -> bool:
    return r.asked and not r.ramp_up


def missed_breaches(user_id: int, records: Sequence[DayRecord], setting: RuleSetting, now: datetime,
                    carded: Iterable[date] = ()) -> list[Breach]:
    """The ``missed`` rule over one person's records (date order, as :func:`bot.services.attendance.asked_days` gives
    them): see the module notes. Days whose close is after ``now`` end the scan (not yet missed). ``carded``: days
    already in the evidence of a missed-updates card of theirs (revoked ones too): they never count again and break
    a run, so a re-run over another window finds the same blocks and nothing new."""
    if not setting.on:
        return []
    used = set(carded)
    out: list[Breach] = []
    run: list[DayRecord] = []
    for r in records:
        if r.closes_at > now:
            break
        if not r.missed or r.day in used:
            run = []
            continue
        run.append(r)
        if len(run) == setting.threshold:
            days = [x.day for x in run]
            out.append(Breach(
                user_id, YELLOW, RULE_MISSED, f"card:missed:{user_id}:{days[0].isoformat()}",
                f"{setting.threshold} missed morning updates in a row ({', '.join(_day(d) for d in days)})",
                {"days": [d.isoformat() for d in days], "links": [x.permalink for x in run],
                 "threshold": setting.threshold}))
            run = []
    return out


@dataclass(frozen=True)
class CarriedTask:
    """An open task of the person and the dates it was carried forward (task_statuses), whether it has an open
    blocker."""

    task_id: int
    user_id: int
    display_id: str
    title: str
    carried_on: tuple[date, ...]
    blocked: bool


def carry_breaches(task: CarriedTask, records: Sequence[DayRecord], setting: RuleSetting, used: Iterable[date] = (),
                   task_carded: Mapping[int, date] | None = None) -> list[Breach]:
    """The ``carry`` rule for one task: carries on counted days (``records``: its owner's) on which they gave their
    update, at least ``threshold``, and no open blocker. ``used``: the owner's days already in another card's
    evidence (never counted again); ``task_carded``: task id -> the date of the last card the task gave (a task with
    one gives no carry card). One card per task."""
    if not setting.on or task.blocked or task.task_id in (task_carded or {}):
        return []
    by_day = {r.day: r for r in records}
    taken = set(used)
    counted = [d for d in sorted(task.carried_on)
               if d in by_day and _counted(by_day[d]) and by_day[d].updated and d not in taken]
    if len(counted) < setting.threshold:
        return []
    return [Breach(
        task.user_id, YELLOW, RULE_CARRY, f"card:carry:{task.task_id}",
        f"{task.display_id} carried forward {len(counted)} times with no blocker raised on it",
        {"task": task.display_id, "task_id": task.task_id, "title": task.title,
         "days": [d.isoformat() for d in counted], "links": [by_day[d].permalink for d in counted],
         "threshold": setting.threshold})]


@dataclass(frozen=True)
class OverdueTask:
    """An open task past its due date, and the dates its owner's update mentioned it."""

    task_id: int
    user_id: int
    display_id: str
    title: str
    due_date: date
    mentioned_on: frozenset[date]


def overdue_breaches(task: OverdueTask, records: Sequence[DayRecord], setting: RuleSetting, now: datetime,
                     used: Iterable[date] = (), task_carded: Mapping[int, date] | None = None) -> list[Breach]:
    """The ``overdue`` rule for one task: ``threshold`` counted days in a row after its due date (closed by ``now``)
    whose update did not mention it. A day mentioning it, a day without an update, a day that does not count or a
    day in ``used`` (already another card's evidence) starts the run again. ``task_carded``: task id -> the date of
    the last card the task gave; such a task is overdue again only for a due date after that card."""
    if not setting.on:
        return []
    last = (task_carded or {}).get(task.task_id)
    if last is not None and task.due_date <= last:
        return []
    taken = set(used)
    run: list[DayRecord] = []
    for r in records:
        if r.day <= task.due_date:
            continue
        if r.closes_at > now:
            break
        if not _counted(r) or not r.updated or r.day in task.mentioned_on or r.day in taken:
            run = []  # a day with no update is the missed rule's, a day already carded another card's
            continue
        run.append(r)
        if len(run) == setting.threshold:
            days = [x.day for x in run]
            return [Breach(
                task.user_id, YELLOW, RULE_OVERDUE, f"card:overdue:{task.task_id}:{task.due_date.isoformat()}",
                f"{task.display_id} is overdue (due {_day(task.due_date)}) and no update mentioned it on "
                f"{setting.threshold} working days ({', '.join(_day(d) for d in days)})",
                {"task": task.display_id, "task_id": task.task_id, "title": task.title,
                 "due_date": task.due_date.isoformat(), "days": [d.isoformat() for d in days],
                 "links": [x.permalink for x in run], "threshold": setting.threshold})]
    return []


def yellow_breaches(user_id: int, records: Sequence[DayRecord], carried: Sequence[CarriedTask],
                    overdue: Sequence[OverdueTask], card_rules: CardRules, now: datetime, used: Iterable[date] = (),
                    task_carded: Mapping[int, date] | None = None) -> list[Breach]:
    """Every yellow breach of one person, one day one card (see the module notes): ``used`` are the days already in
    the evidence of a yellow card of theirs (any rule, any status), ``task_carded`` task id -> the date of the last
    card a task gave. The rules take the days in order (missed, then overdue, then carry, tasks by id); each
    breach's days are taken before the next rule looks, so no day is evidence for two cards."""
    taken = set(used)
    carded = dict(task_carded or {})
    out: list[Breach] = []

    def take(found: list[Breach]) -> None:
        for b in found:
            taken.update(date.fromisoformat(d) for d in b.evidence.get("days", ()))
            if "task_id" in b.evidence:
                carded[int(b.evidence["task_id"])] = now.date()
            out.append(b)

    take(missed_breaches(user_id, records, card_rules.missed, now, taken))
    for task in sorted(overdue, key=lambda t: t.task_id):
        take(overdue_breaches(task, records, card_rules.overdue, now, taken, carded))
    for carry in sorted(carried, key=lambda t: t.task_id):
        take(carry_breaches(carry, records, card_rules.carry, taken, carded))
    return out


@dataclass(frozen=True)
class IssuedCard:
    """A card already issued, as the red rule sees it."""

    id: int
    user_id: int
    color: str
    status: str
    shadow: bool
    created_at: datetime
    expires_at: datetime
    counted_by: int | None = None  # the red card that counted it, if one did


def red_breaches(user_id: int, cards: Iterable[IssuedCard], setting: RuleSetting, window: timedelta, now: datetime, *,
                 shadow: bool) -> list[Breach]:
    """The ``red`` rule for one person: every ``threshold`` yellows that count (issued within ``window`` before
    ``now``, not revoked, not expired, not counted by a red before; of the same shadow-ness as the red to issue) make
    one red, keyed by the yellows' ids."""
    if not setting.on:
        return []
    yellows = sorted((c for c in cards if c.color == YELLOW and c.user_id == user_id and c.status in COUNTING
                      and c.expires_at > now and c.created_at >= now - window and c.counted_by is None
                      and (shadow or not c.shadow)), key=lambda c: (c.created_at, c.id))
    out: list[Breach] = []
    for i in range(0, len(yellows) - setting.threshold + 1, setting.threshold):
        group = yellows[i:i + setting.threshold]
        ids = [c.id for c in group]
        out.append(Breach(
            user_id, RED, RULE_RED, f"card:red:{user_id}:{'-'.join(map(str, ids))}",
            f"{setting.threshold} yellow cards within {window.days} days",
            {"cards": ids, "refs": [f"C-{n}" for n in ids], "threshold": setting.threshold, "window_days": window.days}))
    return out


# ---------------------------------------------------------------- settings in words

def describe(rules: CardRules) -> list[str]:
    """Each rule in plain words, with whether it is on: what `/steward cards` shows."""
    def state(s: RuleSetting) -> str:
        return "on" if s.on else "*off*"

    return [
        f"`missed` ({state(rules.missed)}): a yellow card for {rules.missed.threshold} missed morning updates in a row",
        f"`carry` ({state(rules.carry)}): a yellow card for a task carried forward {rules.carry.threshold} times "
        "with no open blocker",
        f"`overdue` ({state(rules.overdue)}): a yellow card for an overdue task not mentioned in its owner's update for "
        f"{rules.overdue.threshold} working day{'s' if rules.overdue.threshold != 1 else ''}",
        f"`red` ({state(rules.red)}): a red card for {rules.red.threshold} yellow cards within {rules.red_window.days} days",
        f"`expiry`: a card expires after {rules.expiry.days} days",
    ]
