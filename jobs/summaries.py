"""How a job run reads, as one or two sentences: the sandbox's "Run now" and `steward jobs run`.

A job's own summary (jobs/*.py) says what it decided: how many check-ins, nudges or threads it
queued, what it skipped and why. What became of those messages comes from the run's report
(jobs/runs.py), read back from the database after the run's dispatch: only a message Slack accepted
reads "sent" or "posted"; one still waiting reads "held for quiet hours until Tue 1 Dec at 08:00 IST";
one Slack refused reads "failed" with its error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.services.calendar import REACH_HORIZON
from bot.services.notifications import DeliveryState
from bot.services.reinforcement import FRESH
from jobs.day_close import RECAP_WINDOW
from jobs.runs import RunReport, local_time, target_markup

JsonDict = dict[str, Any]
Plain = Callable[[str], str]


@dataclass(frozen=True)
class Count:
    """How one count of a job's summary reads: `one` for 1, `many` (with `{n}`) otherwise. A `notice`
    count is of messages the job queued: with a run report, what became of them is said instead."""

    key: str
    one: str
    many: str
    notice: bool = False
    last: bool = False  # reads after what became of the messages (what was left unsent)

    def phrase(self, n: int) -> str:
        return self.one if n == 1 else self.many.format(n=n)


def _counts(*rows: tuple[str, str, str] | Count) -> tuple[Count, ...]:
    return tuple(row if isinstance(row, Count) else Count(*row) for row in rows)


def _queued(key: str, one: str, many: str) -> Count:
    return Count(key, f"queued 1 {one}", f"queued {{n}} {many}", notice=True)


_HORIZON = REACH_HORIZON.days  # how far ahead the people calendar looks for a moment to reach someone
_RECAP_HOURS = int(RECAP_WINDOW.total_seconds() // 3600)  # recaps of closes later than this are skipped
_FRESH_DAYS = FRESH.days  # recognition of something older than this is skipped
_NOT_QUEUED = Count("quiet", "1 not queued (quiet hours would hold it past its time)",
                    "{n} not queued (quiet hours would hold them past their time)", last=True)
_MEMORY_SUMMARIES = ("summaries", "updated 1 memory summary", "updated {n} memory summaries")
_REPORTS = _counts(
    _queued("sent", "report", "reports"),
    ("already", "found 1 report already sent", "found {n} reports already sent"),
    ("no_data", "skipped a period in which no updates were asked", "skipped {n} periods in which no updates were asked"),
    ("chart_failed", "sent 1 report without its chart (it could not be drawn)",
     "sent {n} reports without their charts (they could not be drawn)"),
)
_RETENTION = _counts(
    ("expired_drafts", "1 expired draft", "{n} expired drafts"),
    ("old_confirmed_drafts", "1 confirmed draft past retention", "{n} confirmed drafts past retention"),
    ("abandoned_drafts", "1 abandoned draft", "{n} abandoned drafts"),
    ("old_channel_messages", "1 channel message past retention", "{n} channel messages past retention"),
    ("processed_inbox_events", "1 processed inbox event", "{n} processed inbox events"),
    ("old_job_runs", "1 old job run", "{n} old job runs"),
    ("old_security_audit_logs", "1 security audit log entry", "{n} security audit log entries"),
    ("old_rate_limit_events", "1 rate-limit event", "{n} rate-limit events"),
    ("old_dead_letters", "1 dead-lettered event", "{n} dead-lettered events"),
)
COUNTS: dict[str, tuple[Count, ...]] = {
    # Each job's summary keys (jobs/*.py), in the order they read best; a key not listed reads generically.
    "nudges": _counts(_queued("nudges", "nudge", "nudges"),
                      _queued("summaries", "manager's list of who's missing", "managers' lists of who's missing"),
                      _NOT_QUEUED),
    "end-of-day": _counts(_queued("checkins", "end-of-day check-in", "end-of-day check-ins"),
                          # queued held until the person can be reached (the people calendar's count)
                          _queued("held", "end-of-day check-in to wait for its recipient",
                                  "end-of-day check-ins to wait for their recipients"),
                          _NOT_QUEUED),
    "day-close": _counts(("people", "closed 1 person's day", "closed {n} people's days"),
                         ("done", "1 task done", "{n} tasks done"),
                         ("carried", "1 carried forward", "{n} carried forward"),
                         ("dropped", "1 dropped", "{n} dropped"),
                         _queued("recaps", "recap of the day", "recaps of the day"),
                         _queued("team_recaps", "team recap", "team recaps"),
                         Count("unreachable", f"1 recap not queued (its owner can't be reached in the next {_HORIZON} days)",
                               f"{{n}} recaps not queued (their owners can't be reached in the next {_HORIZON} days)",
                               last=True)),
    "mood-checkin": _counts(_queued("checkins", "mood check-in", "mood check-ins")),
    "reminders": _counts(_queued("fired", "reminder", "reminders"),
                         _queued("fired_late", "missed reminder, late", "missed reminders, late"),
                         ("scheduled", "scheduled 1 reminder", "scheduled {n} reminders")),
    "context": _counts(("messages", "read 1 message", "read {n} messages"),
                       ("observations", "1 observation", "{n} observations"),
                       ("embed_calls", "1 embeddings call", "{n} embeddings calls"),
                       ("reembedded", "re-embedded 1 observation", "re-embedded {n} observations"),
                       ("deferred", "left 1 message for later (embeddings unavailable)",
                        "left {n} messages for later (embeddings unavailable)"),
                       _MEMORY_SUMMARIES),
    "context-summaries": _counts(_MEMORY_SUMMARIES),
    "morning-thread": _counts(("participants", "1 person", "{n} people"),
                              ("out_of_office", "1 out of office", "{n} out of office")),
    "context-backfill": _counts(("messages", "1 message", "{n} messages"),
                                ("replies", "1 thread reply", "{n} thread replies"),
                                ("pages", "1 page", "{n} pages")),
    "workspace-sync": _counts(("created", "added 1 person", "added {n} people"),
                              ("updated", "updated 1 person", "updated {n} people"),
                              ("deactivated", "marked 1 person inactive", "marked {n} people inactive"),
                              ("skipped_bots", "skipped 1 bot", "skipped {n} bots"),
                              ("admins", "found 1 admin", "found {n} admins"),
                              ("managers_imported", "set 1 manager from the Slack profiles' Manager field",
                               "set {n} managers from the Slack profiles' Manager field")),
    # Blockers and tasks are counted as such; the people told are the deliveries' phrases ("sent 1 … (@sam)").
    "escalations": _counts(("to_owner", "asked about 1 blocker (its owner)", "asked about {n} blockers (their owners)"),
                           ("to_manager", "took 1 blocker to a manager", "took {n} blockers to managers"),
                           ("to_channel", "posted 1 blocker in a channel", "posted {n} blockers in channels"),
                           ("to_flag", "raised 1 flag", "raised {n} flags"),
                           ("rungs_skipped", "skipped 1 rung", "skipped {n} rungs"),
                           ("waiting", "1 rung waits for its recipient", "{n} rungs wait for their recipients"),
                           ("moved", "moved 1 blocker's next step", "moved {n} blockers' next steps"),
                           ("resolved", "resolved 1 blocker (its task closed)", "resolved {n} blockers (their tasks closed)"),
                           ("overdue_to_owner", "asked about 1 overdue task (its owner)",
                            "asked about {n} overdue tasks (their owners)"),
                           ("overdue_to_manager", "took 1 overdue task to a manager", "took {n} overdue tasks to managers"),
                           ("overdue_to_channel", "posted 1 overdue task in a channel", "posted {n} overdue tasks in channels"),
                           ("overdue_to_flag", "raised 1 flag for overdue work", "raised {n} flags for overdue work"),
                           ("overdue_rungs_skipped", "skipped 1 overdue rung", "skipped {n} overdue rungs"),
                           ("overdue_waiting", "1 overdue rung waits for its recipient",
                            "{n} overdue rungs wait for their recipients"),
                           ("overdue_held", "held 1 overdue task (its owner is out)", "held {n} overdue tasks (their owners are out)"),
                           ("flag_cards", "sent 1 flag's card to a manager", "sent {n} flags' cards to managers")),
    "cards": _counts(("yellow", "issued 1 yellow card", "issued {n} yellow cards"),
                     ("red", "1 red card", "{n} red cards"),  # after "issued … yellow cards"
                     ("shadow_yellow", "computed 1 yellow card in shadow mode (shown to admins only)",
                      "computed {n} yellow cards in shadow mode (shown to admins only)"),
                     ("shadow_red", "computed 1 red card in shadow mode (shown to admins only)",
                      "computed {n} red cards in shadow mode (shown to admins only)"),
                     ("expired", "1 card expired", "{n} cards expired")),
    "checklists": _counts(_queued("sent", "checklist", "checklists"),
                          ("away", "1 checklist not sent (its person is on leave, off or away today)",
                           "{n} checklists not sent (their people are on leave, off or away today)"),
                          ("incomplete", "recorded 1 checklist as incomplete (not finished by the end of its day)",
                           "recorded {n} checklists as incomplete (not finished by the end of their day)")),
    "deploy-reminders": _counts(_queued("reminders", "deploy reminder", "deploy reminders"),
                                ("records", "recorded 1 deploy's SOP record", "recorded {n} deploys' SOP records"),
                                ("non_compliant_told", "told 1 person about a deploy whose checklist was not done",
                                 "told {n} people about deploys whose checklists were not done"),
                                ("warnings", "warned 1 person of a deploy on a holiday or with nobody there",
                                 "warned {n} people of deploys on holidays or with nobody there")),
    "reinforcement": _counts(("streaks", "told 1 streak", "told {n} streaks"),
                             ("milestones", "told 1 milestone", "told {n} milestones"),
                             ("stale", f"skipped 1 recognition more than {_FRESH_DAYS} days old",
                              f"skipped {{n}} recognitions more than {_FRESH_DAYS} days old"),
                             ("unreachable", "skipped 1 recognition for someone who can't be reached",
                              "skipped {n} recognitions for people who can't be reached")),
    "daily-report": _REPORTS,
    "weekly-report": _REPORTS,
    "monthly-report": _REPORTS,
    "kpi-snapshot": _counts(("weeks", "took the KPI snapshot of 1 week", "took the KPI snapshots of {n} weeks"),
                            ("rows", "wrote 1 row", "wrote {n} rows"),
                            ("waiting", "left 1 week for later (someone's last day of it is still open)",
                             "left {n} weeks for later (someone's last day of them is still open)")),
    "retention": _RETENTION,
    "retention-daily": _RETENTION,
    "retention-monthly": _RETENTION,
}
LEFT: dict[str, dict[str, tuple[str, str]]] = {
    # Per job, the lists of people a run left unasked or waiting ({"to": "<@U…>", "why": …}), one and many.
    "end-of-day": {"unqueued": ("left 1 check-in unqueued", "left {n} check-ins unqueued")},
    "day-close": {"waiting_for_checkin": ("kept 1 day open until its check-in is sent",
                                          "kept {n} days open until their check-ins are sent"),
                  "unasked": ("carried 1 day's tasks without its check-in", "carried {n} days' tasks without their check-ins"),
                  "stale_recaps": (f"skipped 1 recap of a day closed more than {_RECAP_HOURS} hours late",
                                   f"skipped {{n}} recaps of days closed more than {_RECAP_HOURS} hours late"),
                  "stale_team_recaps": (f"skipped 1 team recap of a day closed more than {_RECAP_HOURS} hours late",
                                        f"skipped {{n}} team recaps of days closed more than {_RECAP_HOURS} hours late")},
}
NOTICES: dict[str, tuple[str, str]] = {
    # What each kind of notification (bot/services/notifications.py `kind`) is called, one and many.
    "standup.thread": ("standup thread", "standup threads"),
    "standup.nudge": ("nudge", "nudges"),
    "standup.manager_summary": ("manager's list of who's missing", "managers' lists of who's missing"),
    "standup.eod_checkin": ("end-of-day check-in", "end-of-day check-ins"),
    "standup.day_recap": ("recap of the day", "recaps of the day"),
    "standup.team_recap": ("team recap", "team recaps"),
    "mood.checkin": ("mood check-in", "mood check-ins"),
    "mood.low_flag": ("low-mood note to a manager", "low-mood notes to managers"),
    "reminder.fired": ("reminder", "reminders"),
    "onboarding.welcome": ("welcome message", "welcome messages"),
    "escalation.blocker": ("blocker escalation", "blocker escalations"),
    "escalation.blocker_channel": ("blocker post", "blocker posts"),
    "blocker.resolved": ("blocker-resolved note", "blocker-resolved notes"),
    "blocker.taken": ("blocker-taken note", "blocker-taken notes"),
    "escalation.overdue": ("overdue-task escalation", "overdue-task escalations"),
    "escalation.overdue_channel": ("overdue-task post", "overdue-task posts"),
    "escalation.mixed": ("escalation listing blockers and overdue tasks", "escalations listing blockers and overdue tasks"),
    "escalation.settled": ("escalation message brought up to date", "escalation messages brought up to date"),
    "flag.raised": ("flag card", "flag cards"),
    "flag.closed": ("flag-closed note", "flag-closed notes"),
    "card.issued": ("card", "cards"),
    "card.shadow": ("shadow card to an admin", "shadow cards to admins"),
    "card.appealed": ("appeal to a manager", "appeals to managers"),
    "card.decided": ("card decision", "card decisions"),
    "recognition.kudos": ("kudos", "kudos"),
    "recognition.helped_confirm": ("request to confirm help", "requests to confirm help"),
    "recognition.helped_confirmed": ("help-confirmed note", "help-confirmed notes"),
    "recognition.streak": ("streak note", "streak notes"),
    "recognition.milestone": ("milestone note", "milestone notes"),
    "report": ("report", "reports"),
}
THREAD_KIND = "standup.thread"
_ORDER = {"sent": 0, "waiting": 1, "failed": 2}
MAX_NAMES = 4
"""Recipients named in one phrase; more read "and N more"."""
_HIDDEN = {"thread_id", "organization_id", "batches", "thread", "extraction", "summaries_deferred"}
"""Internal ids and bookkeeping a person has no use for, and keys a job's own sentence reads."""
_BACKFILL_STATES = {"complete": "read the history of {where} ({got})",
                    "pending": "paused reading {where} after {got} (it resumes at the next run)",
                    "failed": "stopped reading {where} after {got}"}


def summarise(job: str, result: Any, plain: Plain = lambda text: text, report: RunReport | None = None) -> str:
    """What `job` did, as "<job>: <one or two sentences>.".

    `result` is what the job returned (jobs/*.py): {organization id: its summary} for per-organization
    jobs, else one summary dict; None when the run was not claimed (jobs/schedule.py). Each job's counts
    read as in `COUNTS`; a key not listed there still reads as words (`some_key: 3` is "3 some key"),
    never as a dict or list. With `report` (jobs/runs.py), the messages the job queued read as what
    became of them (sent, waiting until when and why, failed and why), per organization; without it,
    as "queued". `plain` turns Slack markup (`<@U123>`, `<#C123>`) into words.
    """
    if result is None:
        return f"{job}: nothing ran (another run holds this slot, or Steward is not the scheduler's leader yet)."
    sent = _Deliveries(report, plain)
    if isinstance(result, dict) and all(re.fullmatch(r"\d+", str(k)) for k in result):
        orgs = list(result) + [org for org in sent.organizations() if org not in result]
        if not orgs:
            return f"{job}: nothing to do (no organization yet)."
        parts = [(org, _sentence(job, result.get(org, {}), plain, sent.of(org))) for org in orgs]
        if len(parts) == 1:
            return f"{job}: {parts[0][1]}"
        return f"{job}: " + " ".join(f"Organization {org}: {text}" for org, text in parts)
    return f"{job}: {_sentence(job, result, plain, sent.of(None))}"


class _Deliveries:
    """A run report's deliveries, by organization (None: all of them)."""

    def __init__(self, report: RunReport | None, plain: Plain) -> None:
        self.report = report
        self.plain = plain

    def organizations(self) -> list[str]:
        seen = [] if self.report is None else [str(d.organization_id) for d in self.report.deliveries]
        return list(dict.fromkeys(seen))

    def of(self, org: str | None) -> _OrgDeliveries | None:
        if self.report is None:
            return None
        mine = [d for d in self.report.deliveries if org is None or str(d.organization_id) == org]
        return _OrgDeliveries(self.report, mine, self.plain)


@dataclass
class _OrgDeliveries:
    report: RunReport
    deliveries: list[DeliveryState]
    plain: Plain

    def thread(self) -> DeliveryState | None:
        """The standup thread this run queued, if it did."""
        return next((d for d in self.deliveries if d.kind == THREAD_KIND and not self.report.earlier(d)), None)

    def phrases(self, *, skip: DeliveryState | None = None) -> list[str]:
        """Sent, waiting and failed messages, grouped by kind and outcome (waiting ones also by why), sent
        first: "sent 2 nudges (@sam and @lena)", "1 end-of-day check-in is held for quiet hours until Tue
        1 Dec at 08:00 IST (@priya)", "2 mood check-ins are held for quiet hours (@daniel until … GMT and
        @priya until … IST)", "1 nudge could not be sent (@lee: user_not_found)"."""
        groups: dict[tuple[int, str, bool, str], list[DeliveryState]] = {}
        for d in self.deliveries:
            if d is skip:
                continue
            outcome = self.report.outcome(d)
            why = self.report.why_waiting(d) if outcome == "waiting" else ""
            groups.setdefault((_ORDER[outcome], d.kind, self.report.earlier(d), why), []).append(d)
        phrases = []
        for (order, kind, earlier, why), items in sorted(groups.items(), key=lambda g: g[0][0]):
            noun = _noun(kind, len(items))
            if order == _ORDER["sent"]:
                verb = "posted" if kind == THREAD_KIND else "sent"
                phrases.append(f"{verb} {noun}{' held from earlier' if earlier else ''} {self._to(items)}")
            elif order == _ORDER["waiting"]:
                phrases.append(f"{noun}{' queued earlier' if earlier else ''} {self._waiting(items, why)}")
            else:
                phrases.append(f"{noun} could not be sent "
                               + self._to(items, lambda d: f"{self._name(d)}: {d.last_error or d.status}"))
        return phrases

    def _waiting(self, items: list[DeliveryState], why: str) -> str:
        """"is held for quiet hours until Tue 1 Dec at 08:00 IST (@priya)", "are held until they can next be
        reached (@sam until …, @lee until …)", "is waiting until … (Slack answered ratelimited; …) (#standup)"."""
        verb = "is" if len(items) == 1 else "are"
        untils = {_moment(local_time(d)) for d in items}
        quiet, held = items[0].held_for_quiet_hours, items[0].status == "held"
        if len(untils) > 1:
            state = ("held for quiet hours" if quiet else "held until they can next be reached" if held
                     else f"waiting: {why}")
            return f"{verb} {state} " + self._to(items, lambda d: f"{self._name(d)} until {_moment(local_time(d))}")
        until = untils.pop()
        if quiet:
            return f"{verb} held for quiet hours until {until} {self._to(items)}"
        if held:
            return f"{verb} held until {until}, when they can next be reached {self._to(items)}"
        return f"{verb} waiting until {until} ({why}) {self._to(items)}"

    def _to(self, items: list[DeliveryState], say: Callable[[DeliveryState], str] | None = None) -> str:
        """"(@a, @b and 3 more)": who (or what) the items are, each as ``say`` puts it (their names)."""
        said = list(dict.fromkeys((say or self._name)(d) for d in items))
        shown = said if len(said) <= MAX_NAMES else [*said[:MAX_NAMES - 1], f"{len(said) - MAX_NAMES + 1} more"]
        return f"({_join(shown)})"

    def _name(self, d: DeliveryState) -> str:
        where = self.plain(target_markup(d))
        return f"the thread in {where}" if d.target_type == "thread" else where


def _noun(kind: str, n: int) -> str:
    one, many = NOTICES.get(kind) or (f"{kind.replace('.', ' ').replace('_', ' ')} message",
                                      f"{kind.replace('.', ' ').replace('_', ' ')} messages")
    if kind == THREAD_KIND and n == 1:
        return "the standup thread"
    return f"1 {one}" if n == 1 else f"{n} {many}"


def _sentence(job: str, value: Any, plain: Plain, sent: _OrgDeliveries | None) -> str:
    text = _describe(job, value, plain, sent)
    return text if text.endswith((".", "!", "?")) else text + "."


def _describe(job: str, value: Any, plain: Plain, sent: _OrgDeliveries | None) -> str:
    delivered = sent.phrases() if sent is not None else []
    if not isinstance(value, dict):
        return _join([p for p in [_words(value, plain)] if p] + delivered)
    if "error" in value:
        return _join([f"failed: {plain(str(value['error']))}", *delivered])
    if "skipped" in value:
        return _join([_skipped(value, plain), *delivered])
    if job == "context-backfill" and "backfills" in value:
        return _backfills(value["backfills"], plain)
    counts = COUNTS.get(job, ())
    said = {c.key: c.phrase(value[c.key]) for c in counts if _number(value.get(c.key))
            and not (c.notice and sent is not None)}
    left = LEFT.get(job, {})
    rest = [p for p in (_pair(k, v, plain) for k, v in value.items()
                        if k not in _HIDDEN and k not in {c.key for c in counts} and k not in left) if p]
    unasked = [_left(phrases, value[key], plain) for key, phrases in left.items() if value.get(key)]
    if job == "morning-thread" and "thread" in value:
        return _morning_thread(value, said, rest, sent)
    if job == "context":
        return _join(_context(value, said, plain) + rest + delivered) or "nothing to do right now"
    if job == "context-summaries" and value.get("summaries_deferred"):
        said["summaries"] = f"memory summaries wait for the next run ({plain(str(value['summaries_deferred']))})"
    if job == "day-close" and "people" in said and len(said) > 1:
        # "closed 2 people's days: 3 tasks done and 1 carried forward; sent 2 recaps of the day (@diego and @sam)"
        tasks = [said.pop(k) for k in ("done", "carried", "dropped") if k in said]
        head = said.pop("people") + (f": {_join(tasks)}" if tasks else "")
        last = [said.pop(c.key) for c in counts if c.last and c.key in said]
        others = list(said.values()) + rest + delivered + last + unasked
        return f"{head}; {_join(others)}" if others else head
    last = [said.pop(c.key) for c in counts if c.last and c.key in said]
    phrases = list(said.values()) + rest + delivered + last + unasked
    if not phrases:
        return "nothing to delete" if counts is _RETENTION else "nothing to do right now"
    if counts is _RETENTION:
        return "deleted " + _join(phrases)
    return _join(phrases)


def _left(phrases: tuple[str, str], people: Any, plain: Plain) -> str:
    """"left 1 check-in unqueued (@lee: out that day)": whom a run left unasked or waiting, and why."""
    items = [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []
    one, many = phrases
    head = one if len(items) == 1 else many.format(n=len(items))
    said = list(dict.fromkeys(plain(str(p.get("to"))) + (f": {p['why']}" if p.get("why") else "") for p in items))
    shown = said if len(said) <= MAX_NAMES else [*said[:MAX_NAMES - 1], f"{len(said) - MAX_NAMES + 1} more"]
    return f"{head} ({_join(shown)})" if shown else head


def _morning_thread(value: JsonDict, said: dict[str, str], rest: list[str], sent: _OrgDeliveries | None) -> str:
    """"posted the standup thread for Mon 9 Mar in #standup with 5 people (1 out of office)", or what
    became of it instead."""
    people = Count("", "1 person", "{n} people").phrase(int(value.get("participants") or 0))
    out = f" ({said['out_of_office']})" if "out_of_office" in said else ""
    day = _day(value["thread"])
    thread = sent.thread() if sent is not None else None
    others = sent.phrases(skip=thread) if sent is not None else []
    if thread is None:
        head = f"queued the standup thread for {day} with {people}{out}"
    elif sent is not None and sent.report.outcome(thread) == "sent":
        head = f"posted the standup thread for {day} in {sent.plain(target_markup(thread))} with {people}{out}"
    elif sent is not None and sent.report.outcome(thread) == "waiting":
        head = (f"queued the standup thread for {day} with {people}{out}; it waits until "
                f"{_moment(local_time(thread))} ({sent.report.why_waiting(thread)})")
    else:
        head = f"could not post the standup thread for {day} ({thread.last_error or thread.status})"
    return _join([head, *rest, *others])


def _context(value: JsonDict, said: dict[str, str], plain: Plain) -> list[str]:
    """The context pipeline: "read 9 messages into 7 observations (offline, 1 embeddings call), …"."""
    phrases = []
    if "messages" in said:
        how = [w for w in ({"offline": "offline", "llm": "with the model"}.get(str(value.get("extraction") or "")),
                           said.get("embed_calls")) if w]
        phrases.append(f"{said['messages']} into {said.get('observations', '0 observations')}"
                       + (f" ({', '.join(how)})" if how else ""))
    phrases += [said[k] for k in ("reembedded", "deferred", "summaries") if k in said]
    if value.get("summaries_deferred"):
        phrases.append(f"memory summaries wait for the next run ({plain(str(value['summaries_deferred']))})")
    return phrases


def _number(value: Any) -> bool:
    """A non-zero count (a bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value != 0


def _skipped(value: JsonDict, plain: Plain) -> str:
    text = f"skipped: {plain(str(value['skipped']))}"
    if value.get("date"):
        text += f" ({_day(value['date'])})"
    if value.get("next"):
        text += f"; the next one is due {_iso_moment(value['next'])}"
    return text


def _backfills(backfills: Any, plain: Plain) -> str:
    """context-backfill's {channel id: {"status", "messages", "replies", "pages"}}, channel by channel."""
    if not isinstance(backfills, dict) or not backfills:
        return "no channel history waiting to be read"
    parts = []
    for channel, progress in backfills.items():
        where = plain(f"<#{channel}>")
        if not isinstance(progress, dict):
            parts.append(f"{where}: {_words(progress, plain)}")
            continue
        got = ", ".join(c.phrase(progress[c.key]) for c in COUNTS["context-backfill"]
                        if isinstance(progress.get(c.key), int)) or "nothing"
        status = str(progress.get("status") or "")
        parts.append(_BACKFILL_STATES.get(status, "{where} {status} ({got})").format(where=where, got=got, status=status))
    return _join(parts)


def _pair(key: str, value: Any, plain: Plain) -> str:
    """An unknown key and its value as words: `3 some key`, `some key: text`, `some key (1 a, 2 b)`."""
    words = key.replace("_", " ").replace("-", " ")
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f"{words}: {'yes' if value else 'no'}"
    if isinstance(value, int | float):
        return f"{value:g} {words}"
    if isinstance(value, dict | list | tuple):
        inner = _words(value, plain)
        return f"{words} ({inner})" if inner else f"no {words}"
    return f"{words}: {plain(str(value))}"


def _words(value: Any, plain: Plain) -> str:
    if isinstance(value, dict):
        return ", ".join(p for p in (_pair(str(k), v, plain) for k, v in value.items()) if p)
    if isinstance(value, list | tuple):
        return ", ".join(w for w in (_words(v, plain) for v in value) if w)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return plain(str(value))


def _join(phrases: list[str]) -> str:
    if len(phrases) <= 2:
        return " and ".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _day(raw: Any) -> str:
    """"2026-03-09" as "Mon 9 Mar" (as Steward's messages spell dates); anything else as given."""
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        return str(raw)
    return f"{day:%a} {day.day} {day:%b}"


def _iso_moment(raw: Any) -> str:
    """An ISO date-time with its offset as "Mon 9 Mar at 09:00 (UTC-04:00)"."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return str(raw)
    offset = moment.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset and offset != "+0000" else " UTC" if offset else ""
    return f"{moment:%a} {moment.day} {moment:%b} at {moment:%H:%M}{zone}"


def _moment(moment: datetime) -> str:
    """An aware instant on its own clock as "Tue 1 Dec at 08:00 IST" (the zone's abbreviation, or its
    offset where the zone has none: "UTC+04:00")."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.strftime("%z")
        name = f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("", "+0000") else "UTC"
    return f"{moment:%a} {moment.day} {moment:%b} at {moment:%H:%M} {name}"
