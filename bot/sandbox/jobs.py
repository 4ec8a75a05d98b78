"""The sandbox page's job menu (the day's rhythm first) and a readable summary of what a run did."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Plain = Callable[[str], str]

DAILY_RHYTHM = ("morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin")
"""The jobs of one standup day, in the order they happen (README "The day with Steward")."""


@dataclass(frozen=True)
class Count:
    """How one count of a job's summary reads: `one` for 1, `many` (with `{n}`) otherwise."""

    key: str
    one: str
    many: str

    def phrase(self, n: int) -> str:
        return self.one if n == 1 else self.many.format(n=n)


def _counts(*rows: tuple[str, str, str]) -> tuple[Count, ...]:
    return tuple(Count(*row) for row in rows)


_QUIET = ("quiet", "held 1 for quiet hours", "held {n} for quiet hours")
_MEMORY_SUMMARIES = ("summaries", "updated 1 memory summary", "updated {n} memory summaries")
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
    "nudges": _counts(("nudged", "nudged 1 person", "nudged {n} people"),
                      ("summaries", "sent 1 manager their list of who's missing",
                       "sent {n} managers their lists of who's missing"),
                      _QUIET),
    "end-of-day": _counts(("sent", "sent 1 end-of-day check-in", "sent {n} end-of-day check-ins"), _QUIET),
    "day-close": _counts(("people", "closed 1 person's day", "closed {n} people's days"),
                         ("done", "1 task done", "{n} tasks done"),
                         ("carried", "1 carried forward", "{n} carried forward"),
                         ("dropped", "1 dropped", "{n} dropped")),
    "mood-checkin": _counts(("sent", "sent 1 mood check-in", "sent {n} mood check-ins")),
    "reminders": _counts(("fired", "fired 1 reminder", "fired {n} reminders"),
                         ("fired_late", "fired 1 missed reminder late", "fired {n} missed reminders late"),
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
                              ("admins", "found 1 admin", "found {n} admins")),
    "retention": _RETENTION,
    "retention-daily": _RETENTION,
    "retention-monthly": _RETENTION,
}
_HIDDEN = {"thread_id", "organization_id", "batches", "posted", "extraction", "summaries_deferred"}
"""Internal ids and bookkeeping a person has no use for, and keys a job's own sentence reads."""
_BACKFILL_STATES = {"complete": "read the history of {where} ({got})",
                    "pending": "paused reading {where} after {got} (it resumes at the next run)",
                    "failed": "stopped reading {where} after {got}"}


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


def summarise(job: str, result: Any, plain: Plain = lambda text: text) -> str:
    """What `job` did, as "<job>: <one or two sentences>." for the page's "Run now".

    `result` is what the job returned (jobs/*.py): {organization id: its summary} for per-organization
    jobs, else one summary dict; None when the run was not claimed (jobs/schedule.py `run_claimed`). Each
    job's counts read as in `COUNTS`; a key not listed there still reads as words (`some_key: 3` is
    "3 some key"), never as a dict or list. `plain` turns Slack markup in a reason (`<#C123>`) into words.
    """
    if result is None:
        return f"{job}: nothing ran (another run holds this slot, or Steward is not the scheduler's leader yet)."
    if isinstance(result, dict) and not result:
        return f"{job}: nothing to do (no organization yet)."
    if isinstance(result, dict) and all(re.fullmatch(r"\d+", str(k)) for k in result):
        if len(result) == 1:
            return f"{job}: {_sentence(job, next(iter(result.values())), plain)}"
        return f"{job}: " + " ".join(f"Organization {org}: {_sentence(job, value, plain)}"
                                     for org, value in result.items())
    return f"{job}: {_sentence(job, result, plain)}"


def _sentence(job: str, value: Any, plain: Plain) -> str:
    text = _describe(job, value, plain)
    return text if text.endswith((".", "!", "?")) else text + "."


def _describe(job: str, value: Any, plain: Plain) -> str:
    if not isinstance(value, dict):
        return _words(value, plain)
    if "error" in value:
        return f"failed: {plain(str(value['error']))}"
    if "skipped" in value:
        return _skipped(value, plain)
    if job == "context-backfill" and "backfills" in value:
        return _backfills(value["backfills"], plain)
    counts = COUNTS.get(job, ())
    said = {c.key: c.phrase(value[c.key]) for c in counts if _number(value.get(c.key))}
    rest = [p for p in (_pair(k, v, plain) for k, v in value.items()
                        if k not in _HIDDEN and k not in {c.key for c in counts}) if p]
    if job == "morning-thread" and "posted" in value:
        people = Count("", "1 person", "{n} people").phrase(int(value.get("participants") or 0))
        out = f" ({said['out_of_office']})" if "out_of_office" in said else ""
        return _join([f"posted the standup thread for {_day(value['posted'])} with {people}{out}", *rest])
    if job == "context":
        return _join(_context(value, said, plain) + rest) or "nothing to do right now"
    if job == "context-summaries" and value.get("summaries_deferred"):
        said["summaries"] = f"memory summaries wait for the next run ({plain(str(value['summaries_deferred']))})"
    phrases = list(said.values()) + rest
    if not phrases:
        return "nothing to delete" if counts is _RETENTION else "nothing to do right now"
    if counts is _RETENTION:
        return "deleted " + _join(phrases)
    if job == "day-close" and "people" in said and len(said) > 1:
        return f"{said.pop('people')}: {_join(list(said.values()) + rest)}"
    return _join(phrases)


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
        text += f"; the next one is due {_moment(value['next'])}"
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


def _moment(raw: Any) -> str:
    """An ISO date-time with its offset as "Mon 9 Mar at 09:00 (UTC-04:00)"."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return str(raw)
    offset = moment.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset and offset != "+0000" else " UTC" if offset else ""
    return f"{moment:%a} {moment.day} {moment:%b} at {moment:%H:%M}{zone}"
