"""Morning threads, submissions, the day's plan, nudges and the day's close (SPEC F4, F5).

The rules, with no Slack in sight: functions take a connection and plain values. Time rules
live in :mod:`bot.services.rhythm`; replies are split into plan lines, completions, blockers and
out-of-office statements by :func:`split_reply` (pure), and the free text of the plan is parsed
into tasks by the AI interface in the listener before :func:`apply_reply` records it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound, PermissionDenied, StewardError
from bot.log import get_logger
from bot.parsing import parse_ooo as detect_ooo
from bot.parsing.text import fold, lines_of, sentences_of
from bot.services import ooo, security
from bot.services import rhythm as rules
from bot.services import tasks as task_service
from bot.services.rhythm import Rhythm
from db.queries import Q
from db.rows import Task, User

log = get_logger(__name__)

THREAD_KIND = "standup.thread"


def thread_dedupe_key(org_id: int, channel_id: str, day: date) -> str:
    """Must match threads_sync_posted in sql/queries/standup.sql."""
    return f"{THREAD_KIND}:{org_id}:{channel_id}:{day.isoformat()}"


# ---------------------------------------------------------------- settings

_SETTING_COLUMNS = {
    "timezone", "standup_channel_id", "workdays", "holidays", "morning_time", "use_member_local_time",
    "nudge_delay_minutes", "manager_summary_delay_minutes", "end_of_day_time", "mood_checkin_enabled", "mood_checkin_time",
}


def rhythm_from_row(row: Sequence[Any]) -> Rhythm:
    (tz, channel, workdays, holidays, morning, local, nudge, summary, eod, mood_on, mood_time) = row
    return Rhythm(timezone=tz or "UTC", standup_channel_id=channel, workdays=frozenset(int(d) for d in workdays or ()),
                  holidays=frozenset(holidays or ()), morning_time=morning, use_member_local_time=bool(local),
                  nudge_delay_minutes=int(nudge), manager_summary_delay_minutes=int(summary), end_of_day_time=eod,
                  mood_checkin_enabled=bool(mood_on), mood_checkin_time=mood_time)


async def rhythm_of(conn: psycopg.AsyncConnection, org_id: int) -> Rhythm:
    row = await (await conn.execute(Q["rhythm_settings"], {"organization_id": org_id})).fetchone()
    if row is None:
        raise NotFound("This workspace has no settings yet.")
    return rhythm_from_row(row)


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(?:(\d{1,4})\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,4})\s*(?:m|min|mins|minutes?)?)?\s*$", re.IGNORECASE)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{5,}")
_DAY_NAMES = {n: i + 1 for i, n in enumerate(rules.WEEKDAY_NAMES)}
_DAY_NAMES.update({"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
                   "tues": 2, "thur": 4, "thurs": 4, "weds": 3})
_ON = {"on", "yes", "true", "enable", "enabled", "1"}
_OFF = {"off", "no", "false", "disable", "disabled", "0"}


def parse_time(raw: str) -> time:
    m = _TIME.match(raw or "")
    if not m:
        raise InvalidInput(f"`{(raw or '').strip()[:20]}` isn't a time. Use 24-hour `09:30` or `9:30am`.")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"`{raw.strip()}` isn't a time.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"`{raw.strip()}` isn't a time.")
    return time(hour, minute)


def parse_minutes(raw: str, what: str) -> int:
    text = (raw or "").strip().lower()
    m = _DURATION.match(text)
    if not text or not m or not (m.group(1) or m.group(2)):
        raise InvalidInput(f"`{text[:20]}` isn't a delay for {what}. Use minutes (`60`) or `1h30`.")
    minutes = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    if minutes > 12 * 60:
        raise InvalidInput(f"The {what} delay can be at most 12 hours.")
    return minutes


def parse_days(raw: str) -> list[int]:
    text = (raw or "").strip().lower()
    if text in ("weekdays", "workdays", "mon-fri"):
        return [1, 2, 3, 4, 5]
    if text in ("all", "every day", "everyday", "daily", "mon-sun"):
        return list(range(1, 8))
    days: set[int] = set()
    for part in re.split(r"\s*[,/ ]\s*|\s+and\s+", text):
        if not part:
            continue
        if "-" in part or "\u2013" in part:
            a, _, b = part.replace("\u2013", "-").partition("-")
            if a not in _DAY_NAMES or b not in _DAY_NAMES:
                raise InvalidInput(f"`{part}` isn't a range of days. Try `mon-fri`.")
            d = _DAY_NAMES[a]
            for _ in range(7):  # ranges may wrap: sun-thu
                days.add(d)
                if d == _DAY_NAMES[b]:
                    break
                d = d % 7 + 1
        elif part in _DAY_NAMES:
            days.add(_DAY_NAMES[part])
        else:
            raise InvalidInput(f"`{part[:20]}` isn't a day. Use names like `mon-fri` or `mon,wed,fri`.")
    if not days:
        raise InvalidInput("Give at least one workday, like `mon-fri`.")
    return sorted(days)


def parse_dates(raw: str) -> list[date]:
    out = []
    for part in re.split(r"[,\s]+", (raw or "").strip()):
        if not part:
            continue
        try:
            out.append(date.fromisoformat(part))
        except ValueError:
            raise InvalidInput(f"`{part[:20]}` isn't a date. Use `2026-12-25`.") from None
    return sorted(set(out))


def _on_off(raw: str, what: str) -> bool:
    word = (raw or "").strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise InvalidInput(f"Say `on` or `off` for {what}.")


SETTINGS_USAGE = (
    "`/steward standup` opens the settings. Or say it in words, e.g.\n"
    "`/steward standup channel #standup time 09:00 timezone America/New_York days mon-fri`\n"
    "Also: `nudge 60` (minutes) \u00b7 `summary 120` \u00b7 `eod 17:30` \u00b7 `holidays 2026-12-25,2026-12-26` "
    "(`holiday add|remove <date>`, `holidays none`) \u00b7 `mood on|off|16:30` \u00b7 `local on|off` "
    "(nudges and check-ins at each person's own clock) \u00b7 `show`"
)
_KEYWORDS = {
    "channel": "channel", "time": "time", "morning": "time", "at": "time", "timezone": "timezone", "tz": "timezone",
    "zone": "timezone", "days": "days", "workdays": "days", "holidays": "holidays", "holiday": "holiday",
    "nudge": "nudge", "nudges": "nudge", "summary": "summary", "eod": "eod", "end": "eod", "end-of-day": "eod",
    "mood": "mood", "local": "local", "local-time": "local",
}


def parse_settings_words(text: str, current: Rhythm) -> dict[str, Any]:
    """`channel #standup time 09:00 timezone America/New_York days mon-fri` -> column changes."""
    tokens = text.split()
    changes: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        word = tokens[i].lower().rstrip(":")
        key = _KEYWORDS.get(word)
        if key is None:
            raise InvalidInput(f"I don't know the setting `{tokens[i][:30]}`.\n{SETTINGS_USAGE}")
        # A value runs to the next keyword (days and holidays may hold spaces: "mon, wed, fri").
        j = i + 1
        while j < len(tokens) and tokens[j].lower().rstrip(":") not in _KEYWORDS:
            j += 1
        value = " ".join(tokens[i + 1:j]).strip()
        if not value:
            raise InvalidInput(f"`{word}` needs a value.\n{SETTINGS_USAGE}")
        if key == "channel":
            named = markup.read(value)
            if len(named.channels) == 1 and not named.without("channel"):
                changes["standup_channel_id"] = named.channels[0]
            elif _CHANNEL_ID.fullmatch(value):
                changes["standup_channel_id"] = value
            else:
                raise InvalidInput("Pick the channel with a mention, like `channel #standup`.")
        elif key == "time":
            changes["morning_time"] = parse_time(value)
        elif key == "timezone":
            if not rules.valid_timezone(value):
                raise InvalidInput(f"`{value[:40]}` isn't a timezone I know. Use a name like `America/New_York` or `Europe/Berlin`.")
            changes["timezone"] = value
        elif key == "days":
            changes["workdays"] = parse_days(value)
        elif key == "holidays":
            changes["holidays"] = [] if value.lower() in ("none", "clear", "-") else parse_dates(value)
        elif key == "holiday":
            verb, _, rest = value.partition(" ")
            base = set(changes.get("holidays", current.holidays))
            if verb.lower() == "add":
                base |= set(parse_dates(rest))
            elif verb.lower() in ("remove", "delete", "rm"):
                base -= set(parse_dates(rest))
            else:
                base |= set(parse_dates(value))
            changes["holidays"] = sorted(base)
        elif key == "nudge":
            changes["nudge_delay_minutes"] = parse_minutes(value, "nudges")
        elif key == "summary":
            changes["manager_summary_delay_minutes"] = parse_minutes(value, "the manager summary")
        elif key == "eod":
            changes["end_of_day_time"] = parse_time(value)
        elif key == "mood":
            if value.lower() in _ON | _OFF:
                changes["mood_checkin_enabled"] = _on_off(value, "the mood check-in")
            else:
                changes["mood_checkin_time"] = parse_time(value)
                changes["mood_checkin_enabled"] = True
        elif key == "local":
            changes["use_member_local_time"] = _on_off(value, "local time")
        i = j
    return changes


def check_settings(merged: Rhythm) -> None:
    """Rules across settings, for both the words and the modal."""
    if not merged.workdays:
        raise InvalidInput("Pick at least one workday.")
    if merged.end_of_day_time <= merged.morning_time:
        raise InvalidInput(f"The end of day ({merged.end_of_day_time:%H:%M}) must come after the morning thread "
                           f"({merged.morning_time:%H:%M}).")
    if merged.manager_summary_delay_minutes < merged.nudge_delay_minutes:
        raise InvalidInput(f"The manager summary ({merged.manager_summary_delay_minutes} min) should go out after the "
                           f"nudges ({merged.nudge_delay_minutes} min).")


def merge(current: Rhythm, changes: dict[str, Any]) -> Rhythm:
    values = {k: v for k, v in changes.items() if k in _SETTING_COLUMNS}
    if "workdays" in values:
        values["workdays"] = frozenset(values["workdays"])
    if "holidays" in values:
        values["holidays"] = frozenset(values["holidays"])
    return Rhythm(**{**current.__dict__, **values})


async def update_rhythm(conn: psycopg.AsyncConnection, org_id: int, actor: User, changes: dict[str, Any]) -> Rhythm:
    """Admins only: apply ``changes`` (column -> value), audit-logged."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="standup.settings")
    current = await rhythm_of(conn, org_id)
    changes = {k: v for k, v in changes.items() if k in _SETTING_COLUMNS}
    if (changes.get("standup_channel_id") and current.standup_channel_id is None and "timezone" not in changes
            and current.timezone == "UTC" and actor.timezone != "UTC" and rules.valid_timezone(actor.timezone)):
        # First set-up: the team's clock is the admin's until they say otherwise (UTC mornings surprise people).
        changes["timezone"] = actor.timezone
    merged = merge(current, changes)
    check_settings(merged)
    if not changes:
        return current
    sets = ", ".join(f"{k} = %({k})s" for k in changes)
    params = {k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in changes.items()}
    async with conn.transaction():
        await conn.execute(f"UPDATE org_settings SET {sets} WHERE organization_id = %(org)s",  # noqa: S608 - keys are ours
                           {**params, "org": org_id})
        await security.audit(conn, organization_id=org_id, actor=actor, action="standup.settings_changed",
                             entity_type="org_settings", entity_id=org_id,
                             details={k: (v.isoformat() if hasattr(v, "isoformat") else
                                          [x.isoformat() if hasattr(x, "isoformat") else x for x in v] if isinstance(v, list) else v)
                                      for k, v in params.items()})
    return merged


async def organizations(conn: psycopg.AsyncConnection) -> list[int]:
    return [r[0] for r in await (await conn.execute(Q["rhythm_organizations"])).fetchall()]


async def set_default_channel(conn: psycopg.AsyncConnection, org_id: int, channel_id: str) -> bool:
    """Use ``channel_id`` as the standup channel unless an admin already chose one (and, while the
    timezone is still the default, the first admin's timezone)."""
    cur = await conn.execute(Q["rhythm_default_channel"], {"organization_id": org_id, "channel_id": channel_id})
    return cur.rowcount > 0


async def existing_keys(conn: psycopg.AsyncConnection, org_id: int, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = await (await conn.execute(Q["notifications_existing"], {"organization_id": org_id, "keys": list(keys)})).fetchall()
    return {r[0] for r in rows}


# ---------------------------------------------------------------- people

async def users_by_slack_ids(conn: psycopg.AsyncConnection, org_id: int, slack_ids: Sequence[str]) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["active_users_by_slack_ids"], {"organization_id": org_id, "slack_ids": list(slack_ids)})
    return await cur.fetchall()


async def users_by_ids(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int]) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["users_by_ids"], {"organization_id": org_id, "user_ids": list(user_ids)})
    return await cur.fetchall()


async def active_users(conn: psycopg.AsyncConnection, org_id: int) -> list[User]:
    cur = conn.cursor(row_factory=class_row(User))
    await cur.execute(Q["active_users_of_org"], {"organization_id": org_id})
    return await cur.fetchall()


# ---------------------------------------------------------------- morning threads

@dataclass(frozen=True)
class MorningThread:
    id: int
    organization_id: int
    channel_id: str
    thread_date: date
    thread_ts: str | None
    status: str
    posted_at: datetime | None
    participant_ids: list[int]
    created_at: datetime  # when the job queued it (its clock): the day's times count from here

    @property
    def started_at(self) -> datetime:
        return self.created_at


async def _thread(conn: psycopg.AsyncConnection, query: str, params: dict[str, Any]) -> MorningThread | None:
    cur = conn.cursor(row_factory=class_row(MorningThread))
    await cur.execute(Q[query], params)
    return await cur.fetchone()


async def sync_posted(conn: psycopg.AsyncConnection, org_id: int | None = None) -> int:
    """Copy the ts of threads the dispatcher has posted; mark those it could not post."""
    posted = await (await conn.execute(Q["threads_sync_posted"], {"organization_id": org_id})).fetchall()
    failed = await (await conn.execute(Q["threads_mark_failed"], {"organization_id": org_id})).fetchall()
    for (thread_id,) in failed:
        log.error("morning_thread_not_posted", thread_id=thread_id)
    return len(posted)


class ThreadNotReady(Exception):
    """A reply arrived under a thread whose post has not been recorded yet: retried from the inbox."""


async def thread_by_ts(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, thread_ts: str) -> MorningThread | None:
    """The morning thread ``thread_ts`` in ``channel_id``, or None for any other thread.

    A reply can beat the dispatcher's record of the post it answers (by milliseconds): while a
    thread in that channel is still being posted, ThreadNotReady makes the inbox try again shortly
    rather than lose the reply."""
    params = {"organization_id": org_id, "channel_id": channel_id, "thread_ts": thread_ts}
    found = await _thread(conn, "thread_by_ts", params)
    if found is None:
        await sync_posted(conn, org_id)  # possibly a no-op because another process just did it
        found = await _thread(conn, "thread_by_ts", params)
    if found is None:
        pending = await (await conn.execute(Q["thread_pending_in_channel"], {"organization_id": org_id, "channel_id": channel_id})).fetchone()
        if pending is not None:
            raise ThreadNotReady(f"morning thread {pending[0]} in {channel_id} is still being posted")
    return found


async def thread_by_id(conn: psycopg.AsyncConnection, org_id: int, thread_id: int) -> MorningThread | None:
    return await _thread(conn, "thread_by_id", {"organization_id": org_id, "id": thread_id})


async def recent_threads(conn: psycopg.AsyncConnection, org_id: int, since: date) -> list[MorningThread]:
    cur = conn.cursor(row_factory=class_row(MorningThread))
    await cur.execute(Q["threads_recent"], {"organization_id": org_id, "since": since})
    return await cur.fetchall()


async def posted_thread_for(conn: psycopg.AsyncConnection, org_id: int, day: date) -> MorningThread | None:
    return await _thread(conn, "thread_latest_posted_for_date", {"organization_id": org_id, "thread_date": day})


@dataclass(frozen=True)
class OpenTask:
    id: int
    user_id: int
    display_id: str
    title: str
    carry_forward_count: int
    due_date: date | None
    status: str


async def open_tasks_of(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int]) -> dict[int, list[OpenTask]]:
    cur = conn.cursor(row_factory=class_row(OpenTask))
    await cur.execute(Q["open_tasks_of_users"], {"organization_id": org_id, "user_ids": list(user_ids)})
    out: dict[int, list[OpenTask]] = {}
    for t in await cur.fetchall():
        out.setdefault(t.user_id, []).append(t)
    return out


async def create_thread(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, day: date, participant_ids: Sequence[int],
                        now: datetime) -> int | None:
    """Claim the (organization, channel, day) thread; None when it already exists."""
    row = await (await conn.execute(Q["thread_insert"], {
        "organization_id": org_id, "channel_id": channel_id, "thread_date": day, "participant_ids": list(participant_ids),
        "now": now})).fetchone()
    return row[0] if row else None


async def thread_exists(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, day: date) -> bool:
    row = await (await conn.execute(Q["thread_exists"], {"organization_id": org_id, "channel_id": channel_id, "thread_date": day})).fetchone()
    return row is not None


async def seed_carried(conn: psycopg.AsyncConnection, org_id: int, day: date, user_ids: Sequence[int]) -> int:
    cur = await conn.execute(Q["plan_seed_carried"], {"organization_id": org_id, "plan_date": day, "user_ids": list(user_ids)})
    return cur.rowcount


async def mark_nudged(conn: psycopg.AsyncConnection, thread: MorningThread, now: datetime) -> None:
    await conn.execute(Q["thread_mark_nudged"], {"organization_id": thread.organization_id, "id": thread.id, "now": now})


async def mark_summarised(conn: psycopg.AsyncConnection, thread: MorningThread, now: datetime) -> None:
    await conn.execute(Q["thread_mark_summarised"], {"organization_id": thread.organization_id, "id": thread.id, "now": now})


async def people_with_plan(conn: psycopg.AsyncConnection, org_id: int, day: date) -> list[int]:
    rows = await (await conn.execute(Q["plan_people_for_date"], {"organization_id": org_id, "plan_date": day})).fetchall()
    return [r[0] for r in rows]


async def submitter_ids(conn: psycopg.AsyncConnection, thread: MorningThread) -> set[int]:
    rows = await (await conn.execute(Q["thread_submitter_ids"], {"organization_id": thread.organization_id, "thread_id": thread.id})).fetchall()
    return {r[0] for r in rows}


# ---------------------------------------------------------------- replies: the pure part

_TASK_REF = re.compile(r"(?<![\w-])T-?(\d{1,9})(?![\w-])", re.IGNORECASE)
_HEADER = re.compile(
    r"^\W*(?P<h>yesterday|done|did|completed|finished|today|plan|plans|todo|to\s*do|next|up\s+next|"
    r"blockers?|blocked|impediments?|obstacles?)(?:['’]s)?(?:\s+(?:tasks?|plans?|work))?\W*?\s*[:\-\u2013]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_DONE_HEADERS = {"yesterday", "done", "did", "completed", "finished"}
_BLOCKER_HEADERS = {"blocker", "blockers", "blocked", "impediment", "impediments", "obstacle", "obstacles"}
_BLOCKER = re.compile(
    r"\b(?:blocked|blocker|blocking|stuck|waiting\s+(?:on|for)|can['’]?t\s+(?:proceed|continue|move\s+forward)|"
    r"cannot\s+(?:proceed|continue)|held\s+up|need(?:s|ing)?\s+help\s+(?:with|on))\b",
    re.IGNORECASE,
)
_NO_BLOCKER = re.compile(
    r"^\W*(?:none|nothing|n/?a|nope|no|-+|all\s+good|nothing\s+(?:blocking|yet|so\s+far))\W*$|\bno\s+blockers?\b|"
    r"\bnot\s+blocked\b|\bnothing\s+blocking\b|\bunblocked\b|\bno\s+longer\s+blocked\b",
    re.IGNORECASE,
)
_DONE_AFTER = re.compile(r"^\s*(?:is\s+|was\s+|has\s+been\s+|are\s+|:\s*|-\s*)?(?:now\s+)?(?:done|finished|completed|shipped|merged|closed)\b"
                         r"|^\s*(?:\u2705|:white_check_mark:|:heavy_check_mark:)", re.IGNORECASE)
_DONE_BEFORE = re.compile(r"(?:\b(?:done|finished|completed|shipped|merged|closed)(?:\s+with)?|\u2705|:white_check_mark:|"
                          r":heavy_check_mark:)\s*:?\s*$", re.IGNORECASE)
_CHATTER = re.compile(
    r"^\W*(?:(?:good\s+)?morning|gm|hi|hey|hello|yo|thanks|thank\s+you|ok|okay|same\s+as\s+yesterday|nothing\s+new|"
    r"happy\s+\w+day)(?:\s+(?:all|everyone|team|folks|y['’]?all))?\W*$",
    re.IGNORECASE,
)
_REF_CLAUSES = re.compile(r"\s*[,;]\s*(?:and\s+|then\s+)?|\s+(?:and\s+then|and|then|plus|&)\s+", re.IGNORECASE)


# After a leading mention, words that make the person a partner in the plan, not the one spoken to:
# "@Priya and I will pair on…", "@Priya & me: …", or a first-person plan anywhere ("I'll", "we will").
_PLAN_WITH_MENTION = re.compile(
    r"^[\s,]*(?:(?:and|&|\+)\s+(?:i|me|myself|we|us)\b|(?:and|&|\+)\s+@)"
    r"|\b(?:i|we)\s*(?:['’]ll|will|shall|['’]m\s+going\s+to|am\s+going\s+to|are\s+going\s+to|['’]re\s+going\s+to|"
    r"plan\s+to|need\s+to|have\s+to)\b",
    re.IGNORECASE,
)


def is_conversation(text: str, bot_user_id: str | None) -> bool:
    """A reply that talks to someone else ("@Maya nice work!", "@Maya can you review my PR?") is
    conversation, not a standup update, unless it names tasks or states a plan ("@Priya and I will
    pair on the checkout bug", "@Maya I'll send it after lunch")."""
    written = markup.read(text)
    first = written.refs[0] if written.refs else None
    if first is None or first.kind != "user" or first.target == bot_user_id or written.plain[:first.plain_span[0]].strip():
        return False
    if _TASK_REF.search(written.plain):
        return False
    return not _PLAN_WITH_MENTION.search(written.plain[first.plain_span[1]:])


@dataclass
class ReplyParts:
    plan_refs: list[int] = field(default_factory=list)  # T-numbers planned for today
    done_refs: list[int] = field(default_factory=list)  # T-numbers reported done
    task_lines: list[str] = field(default_factory=list)  # free text for the task parser
    blockers: list[tuple[str, int | None]] = field(default_factory=list)  # (sentence, T-number)
    ooo: list[str] = field(default_factory=list)  # sentences stating an absence

    @property
    def task_text(self) -> str:
        return "\n".join(self.task_lines)

    @property
    def empty(self) -> bool:
        return not (self.plan_refs or self.done_refs or self.task_lines or self.blockers or self.ooo)


def _add(items: list[int], n: int) -> None:
    if n not in items:
        items.append(n)


def _is_done_ref(sentence: str, match: re.Match[str]) -> bool:
    return bool(_DONE_AFTER.match(sentence[match.end():]) or _DONE_BEFORE.search(sentence[: match.start()]))


def split_reply(text: str, *, now: datetime, tz: str) -> ReplyParts:
    """Sort a standup reply's sentences: plan, completions, blockers, out of office. Pure.

    ``text`` is the reply as Slack delivers it; its plain words are sorted, and the task lines,
    blockers and absences come back in the stored form (:mod:`bot.slack_markup`).

    "Yesterday:/Done:" sections only complete the tasks they name by T-number (past work is not
    today's plan); "Blockers:" sections and sentences like "blocked on…", "waiting for…" open
    blockers (on the T-number they name, if any); sentences that state an absence are out-of-office
    notes; everything else is today's plan: T-numbers are existing tasks, the rest is parsed into tasks.
    """
    parts = ReplyParts()
    section = "plan"
    written = markup.read(text)
    for line in lines_of(written.plain):
        for sentence in sentences_of(line):
            sentence = sentence.strip()
            # Headers start sections on their own line or mid-line ("Yesterday: x. Today: y.").
            header = _HEADER.match(sentence)
            if header:
                h = re.sub(r"\s+", "", header.group("h").lower())
                section = "done" if h in _DONE_HEADERS else "blocker" if h in _BLOCKER_HEADERS else "plan"
                sentence = header.group("rest").strip()
            if not sentence or _CHATTER.match(sentence):
                continue
            refs = list(_TASK_REF.finditer(sentence))
            if not refs and _NO_BLOCKER.search(sentence) and not _BLOCKER.search(_NO_BLOCKER.sub("", sentence)):
                continue  # "No blockers": nothing to open, and not a task either
            if section == "blocker" or (_BLOCKER.search(sentence) and not _NO_BLOCKER.search(sentence)):
                if not _NO_BLOCKER.search(sentence):
                    parts.blockers.append((sentence, int(refs[0].group(1)) if refs else None))
                continue
            if detect_ooo(sentence, now=now, tz=tz) is not None:
                parts.ooo.append(sentence)
                continue
            if section == "done":
                for m in refs:
                    _add(parts.done_refs, int(m.group(1)))
                continue
            if not refs:
                parts.task_lines.append(sentence)
                continue
            # A sentence naming tasks: each clause with a T-number is about that task; the others are new work.
            for clause in _REF_CLAUSES.split(sentence):
                clause_refs = list(_TASK_REF.finditer(clause))
                if not clause_refs:
                    if clause.strip() and any(ch.isalpha() for ch in clause):
                        parts.task_lines.append(clause.strip())
                    continue
                for m in clause_refs:
                    if _is_done_ref(clause, m):
                        _add(parts.done_refs, int(m.group(1)))
                    else:
                        _add(parts.plan_refs, int(m.group(1)))
    parts.plan_refs = [n for n in parts.plan_refs if n not in parts.done_refs]
    # Back to the stored form: the people and links of the reply stay markup in titles and blockers.
    parts.task_lines = [written.stored(line) for line in parts.task_lines]
    parts.blockers = [(written.stored(sentence), n) for sentence, n in parts.blockers]
    parts.ooo = [written.stored(sentence) for sentence in parts.ooo]
    return parts


_STOPWORDS = {"the", "a", "an", "to", "for", "of", "on", "my", "our", "and", "with", "in", "at", "today", "some", "more"}
_LEAD_VERBS = {"finish", "finishing", "continue", "continuing", "keep", "working", "work", "wrap", "up", "start", "starting"}


def title_key(title: str) -> str:
    """The words that identify a task (stored-form titles are read as plain words first)."""
    words = [w for w in re.findall(r"[a-z0-9]+", fold(markup.EMOJI.sub(" ", markup.plain_text(title)))) if w not in _STOPWORDS]
    while len(words) > 1 and words[0] in _LEAD_VERBS:
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    if (f" {ka} " in f" {kb} " or f" {kb} " in f" {ka} ") and min(len(ka.split()), len(kb.split())) >= 2:
        return 0.9
    return difflib.SequenceMatcher(None, ka, kb).ratio()


def best_match(title: str, candidates: Sequence[Any], threshold: float = 0.8) -> Any | None:
    """The candidate (anything with .title) whose title is closest to ``title``, if close enough."""
    best, score = None, threshold
    for c in candidates:
        s = title_similarity(title, c.title)
        if s >= score:
            best, score = c, s
    return best


# ---------------------------------------------------------------- replies: recording them

@dataclass(frozen=True)
class TaskRef:
    id: int
    display_id: str
    title: str
    carry_forward_count: int = 0


@dataclass
class ReplyOutcome:
    submission_id: int
    plan_date: date
    is_late: bool
    planned: list[TaskRef] = field(default_factory=list)  # existing tasks on today's plan
    created: list[TaskRef] = field(default_factory=list)  # new tasks
    completed: list[TaskRef] = field(default_factory=list)
    blockers: list[tuple[int, str, str | None]] = field(default_factory=list)  # (id, description, task display id)
    ooo: list[tuple[int, date, date, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # display ids of tasks an edit took back
    reply_ts: str | None = None
    replayed: bool = False  # the same message was already recorded (a redelivery)
    chatter: bool = False  # a later message with nothing in it ("thanks!"): not recorded

    @property
    def empty(self) -> bool:
        return not (self.planned or self.created or self.completed or self.blockers or self.ooo)

    def to_json(self) -> dict[str, Any]:
        return {
            "planned": [r.__dict__ for r in self.planned], "created": [r.__dict__ for r in self.created],
            "completed": [r.__dict__ for r in self.completed],
            "blockers": [{"id": b[0], "description": b[1], "task": b[2]} for b in self.blockers],
            "ooo": [{"id": o[0], "start": o[1].isoformat(), "end": o[2].isoformat(), "reason": o[3]} for o in self.ooo],
            "notes": self.notes,
        }

    @staticmethod
    def from_json(submission_id: int, plan_date: date, is_late: bool, doc: dict[str, Any]) -> ReplyOutcome:
        out = ReplyOutcome(submission_id, plan_date, is_late, replayed=True, reply_ts=doc.get("reply_ts"))
        out.planned = [TaskRef(**r) for r in doc.get("planned", [])]
        out.created = [TaskRef(**r) for r in doc.get("created", [])]
        out.completed = [TaskRef(**r) for r in doc.get("completed", [])]
        out.blockers = [(b["id"], b["description"], b.get("task")) for b in doc.get("blockers", [])]
        out.ooo = [(o["id"], date.fromisoformat(o["start"]), date.fromisoformat(o["end"]), o.get("reason")) for o in doc.get("ooo", [])]
        out.notes = list(doc.get("notes", []))
        return out


@dataclass(frozen=True)
class ParsedReply:
    """What the listener got from the AI interface for one reply."""

    parts: ReplyParts
    tasks: list[Any]  # ParsedTask
    ooo: list[Any]  # ParsedOoo (None entries dropped)
    parser: str
    clients: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)


def _ref(task: Task | OpenTask) -> TaskRef:
    return TaskRef(task.id, task.display_id, task.title, task.carry_forward_count)


async def _tasks_by_number(conn: psycopg.AsyncConnection, org_id: int, numbers: Sequence[int]) -> dict[int, Task]:
    if not numbers:
        return {}
    rows = await (await conn.execute(Q["tasks_by_numbers"], {"organization_id": org_id, "numbers": list(numbers)})).fetchall()
    return {number: await task_service.get(conn, org_id, task_id) for task_id, number in rows}


async def _first_blocker_delay(conn: psycopg.AsyncConnection, org_id: int) -> timedelta:
    row = await (await conn.execute(Q["blocker_first_step_hours"], {"organization_id": org_id})).fetchone()
    hours = float(row[0]) if row and row[0] is not None else 4.0
    return timedelta(hours=hours)


def _new_task(p: Any, clients: dict[str, int], projects: dict[str, int]) -> task_service.NewTask:
    return task_service.NewTask(
        title=p.title, due_date=p.due_date, due_at=p.due_at if getattr(p, "has_time", False) else None,
        task_type=p.task_type, size=p.size, weight=int(p.weight or 1),
        priority={"normal": "medium"}.get(p.priority, p.priority or "medium"),
        client_id=clients.get(p.client) if p.client else None, project_id=projects.get(p.project) if p.project else None,
    )


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


async def apply_reply(conn: psycopg.AsyncConnection, *, org_id: int, thread: MorningThread, user: User, message_ts: str,
                      text: str, parsed: ParsedReply, is_late: bool, plan_date: date, now: datetime,
                      channel_id: str | None = None) -> ReplyOutcome:
    """Record one reply (new or edited) of ``user`` in ``thread``: submission, plan, tasks, blockers, OOO.

    Idempotent per (message, text): a redelivered reply changes nothing. An edit replaces what the
    previous version of the same message put on the plan: tasks it created and no longer mentions
    are removed if untouched, its blockers and out-of-office notes follow the new text.
    """
    async with conn.transaction():
        row = await (await conn.execute(Q["submission_upsert"], {
            "organization_id": org_id, "thread_id": thread.id, "user_id": user.id, "is_late": is_late,
            "message_ts": message_ts})).fetchone()
        assert row is not None
        submission_id, doc, late = row[0], dict(row[1] or {}), bool(row[2])
        messages: dict[str, Any] = dict(doc.get("messages") or {})
        previous = messages.get(message_ts)
        if previous is not None and previous.get("text") == text:
            return ReplyOutcome.from_json(submission_id, plan_date, late, previous)
        if previous is None and messages and parsed.parts.empty and not parsed.tasks:
            return ReplyOutcome(submission_id, plan_date, late, chatter=True)
        outcome = ReplyOutcome(submission_id, plan_date, late)
        mine = (await open_tasks_of(conn, org_id, [user.id])).get(user.id, [])
        prev_created: list[int] = [r["id"] for r in (previous or {}).get("created", [])]
        plan_ids: list[int] = []

        # 1. Tasks named by T-number.
        by_number = await _tasks_by_number(conn, org_id, [*parsed.parts.done_refs, *parsed.parts.plan_refs])
        for n in parsed.parts.done_refs:
            task = by_number.get(n)
            if task is None:
                outcome.notes.append(f"There's no T-{n}.")
                continue
            if task.status == "done":
                outcome.completed.append(_ref(task))
                continue
            try:
                task = await task_service.complete(conn, user, task, now)
            except StewardError as exc:  # not theirs / already done: said back in the answer, not fatal
                outcome.notes.append(str(exc))
                continue
            outcome.completed.append(_ref(task))
            if task.user_id == user.id:
                plan_ids.append(task.id)
        for n in parsed.parts.plan_refs:
            task = by_number.get(n)
            if task is None:
                outcome.notes.append(f"There's no T-{n}.")
            elif task.user_id != user.id:
                owner = f"<@{task.owner_slack_id}>'s" if task.owner_slack_id else "not assigned to you"
                outcome.notes.append(f"{task.display_id} is {owner}, so it isn't on your plan.")
            elif not task.is_open:
                outcome.notes.append(f"{task.display_id} is already {task.status}.")
            elif task.id not in plan_ids:
                plan_ids.append(task.id)
                outcome.planned.append(_ref(task))

        # 2. Free text: an open task by (about) the same title, else a new task.
        prev_created_tasks = [t for t in mine if t.id in prev_created]
        others = [t for t in mine if t.id not in prev_created]
        for p in parsed.tasks:
            match = best_match(p.title, prev_created_tasks, threshold=0.5) if prev_created_tasks else None
            if match is not None:
                prev_created_tasks.remove(match)
                if task_service.clean_title(p.title) != match.title:
                    await conn.execute(Q["task_rename"], {"organization_id": org_id, "id": match.id, "title": task_service.clean_title(p.title)})
                    await task_service.log_change(conn, match.id, org_id, user, "edited", {"title": match.title}, {"title": p.title},
                                                  "standup reply edited")
                    match = OpenTask(match.id, match.user_id, match.display_id, task_service.clean_title(p.title),
                                     match.carry_forward_count, match.due_date, match.status)
                if match.id not in plan_ids:
                    plan_ids.append(match.id)
                    outcome.created.append(_ref(match))
                continue
            match = best_match(p.title, others)
            if match is not None:
                if match.id not in plan_ids:
                    plan_ids.append(match.id)
                    outcome.planned.append(_ref(match))
                continue
            task = await task_service.create(conn, org_id, user, user.id, _new_task(p, parsed.clients, parsed.projects),
                                             source="thread", source_channel_id=channel_id or thread.channel_id,
                                             source_ts=message_ts)
            plan_ids.append(task.id)
            outcome.created.append(_ref(task))
        # An edit took these back.
        for gone in prev_created_tasks:
            row2 = await (await conn.execute(Q["task_delete_untouched"], {"organization_id": org_id, "id": gone.id})).fetchone()
            if row2:
                outcome.removed.append(row2[0])

        # 3. The plan.
        await conn.execute(Q["plan_remove_for_message"], {"organization_id": org_id, "submission_id": submission_id,
                                                          "message_ts": message_ts, "keep": plan_ids})
        for planned_id in plan_ids:
            await conn.execute(Q["plan_insert"], {"organization_id": org_id, "user_id": user.id, "task_id": planned_id,
                                                  "plan_date": plan_date, "source": "submission",
                                                  "submission_id": submission_id, "message_ts": message_ts})

        # 4. Blockers: unchanged sentences keep their blocker (and its escalation clock).
        prev_blockers = {_norm(b["description"]): b for b in (previous or {}).get("blockers", [])}
        delay = await _first_blocker_delay(conn, org_id)
        all_refs = {**by_number, **await _tasks_by_number(conn, org_id, [n for _, n in parsed.parts.blockers if n and n not in by_number])}
        for sentence, number in parsed.parts.blockers:
            kept = prev_blockers.pop(_norm(sentence), None)
            if kept is not None:
                outcome.blockers.append((kept["id"], kept["description"], kept.get("task")))
                continue
            task = all_refs.get(number) if number else None
            on: Any = best_match(sentence, mine, threshold=0.6) if task is None and number is None else task
            display = on.display_id if on is not None else None
            description = markup.store(sentence, limit=1000)
            blocker_row = await (await conn.execute(Q["blocker_insert"], {
                "organization_id": org_id, "task_id": on.id if on is not None else None, "user_id": user.id, "description": description,
                "next_escalation_at": now + delay})).fetchone()
            outcome.blockers.append((blocker_row[0], description, display))  # type: ignore[index]
        for stale in prev_blockers.values():
            await conn.execute(Q["blocker_delete_open"], {"organization_id": org_id, "id": stale["id"]})

        # 5. Out of office.
        prev_ooo = {(o["start"], o["end"]): o for o in (previous or {}).get("ooo", [])}
        for found in parsed.ooo:
            key = (found.start_date.isoformat(), found.end_date.isoformat())
            kept = prev_ooo.pop(key, None)
            if kept is not None:
                outcome.ooo.append((kept["id"], found.start_date, found.end_date, kept.get("reason")))
                continue
            ooo_id = await ooo.record(conn, org_id, user, found.start_date, found.end_date, found.reason, source="parsed",
                                      channel_id=channel_id or thread.channel_id, ts=message_ts, actor=user)
            outcome.ooo.append((ooo_id, found.start_date, found.end_date, found.reason))
        for stale in prev_ooo.values():
            await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user.id, "id": stale["id"], "now": now})

        # 6. The submission: verbatim text, what it came to.
        entry = {"text": text, "parser": parsed.parser, **outcome.to_json()}
        if previous and previous.get("reply_ts"):
            entry["reply_ts"] = previous["reply_ts"]
            outcome.reply_ts = previous["reply_ts"]
        messages[message_ts] = entry
        await _save_submission(conn, submission_id, messages, now=now, message_ts=message_ts, edited=previous is not None)
    return outcome


async def _save_submission(conn: psycopg.AsyncConnection, submission_id: int, messages: dict[str, Any], *, now: datetime,
                           message_ts: str | None, edited: bool) -> None:
    ordered = sorted(messages.items(), key=lambda kv: float(kv[0]) if _is_ts(kv[0]) else 0.0)
    raw = "\n\n".join(m["text"] for _, m in ordered)
    summary: dict[str, Any] = {"messages": dict(ordered), "tasks": [], "blockers": [], "ooo": []}
    for _, m in ordered:
        summary["tasks"] += [r["id"] for r in m.get("planned", []) + m.get("created", [])]
        summary["blockers"] += [b["id"] for b in m.get("blockers", [])]
        summary["ooo"] += [o["id"] for o in m.get("ooo", [])]
    await conn.execute(Q["submission_save"], {"id": submission_id, "raw_text": raw, "parsed": Jsonb(summary), "now": now,
                                              "message_ts": message_ts, "edited": edited})


def _is_ts(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


async def set_reply_ts(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str, reply_ts: str) -> None:
    await conn.execute(Q["set_reply_ts"], {"organization_id": org_id, "id": submission_id, "message_ts": message_ts,
                                           "reply_ts": reply_ts})


@dataclass(frozen=True)
class Submission:
    id: int
    thread_id: int
    user_id: int
    parsed: dict[str, Any]
    is_late: bool


async def undo_reply(conn: psycopg.AsyncConnection, org_id: int, user: User, submission_id: int, message_ts: str,
                     now: datetime) -> list[str]:
    """Take back everything one reply put on the record; returns what was removed (for the answer)."""
    owner = await (await conn.execute(Q["submission_owner"], {"organization_id": org_id, "id": submission_id})).fetchone()
    if owner is not None and owner[0] != user.id:
        # Outside the transaction below, so the denial stays on record.
        raise await security.deny(conn, organization_id=org_id, actor=user, action="standup.undo",
                                  message="Only the person who wrote that reply can undo it.",
                                  details={"submission_id": submission_id})
    async with conn.transaction():
        row = await (await conn.execute(Q["submission_get"], {"organization_id": org_id, "id": submission_id})).fetchone()
        if row is None:
            raise NotFound("That reply isn't on record any more.")
        sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]))
        if sub.user_id != user.id:
            raise PermissionDenied("Only the person who wrote that reply can undo it.")
        messages = dict(sub.parsed.get("messages") or {})
        entry = messages.pop(message_ts, None)
        if entry is None:
            raise InvalidInput("That reply was already undone.")
        removed: list[str] = []
        for r in entry.get("created", []):
            got = await (await conn.execute(Q["task_delete_untouched"], {"organization_id": org_id, "id": r["id"]})).fetchone()
            if got:
                removed.append(got[0])
        await conn.execute(Q["plan_remove_for_message"], {"organization_id": org_id, "submission_id": submission_id,
                                                          "message_ts": message_ts, "keep": []})
        for b in entry.get("blockers", []):
            await conn.execute(Q["blocker_delete_open"], {"organization_id": org_id, "id": b["id"]})
        for o in entry.get("ooo", []):
            await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user.id, "id": o["id"], "now": now})
        if messages:
            await _save_submission(conn, submission_id, messages, now=now, message_ts=None, edited=True)
        else:
            # Nothing left: the person has not replied, as far as nudges and reports are concerned.
            await conn.execute(Q["submission_delete"], {"organization_id": org_id, "id": submission_id})
    return removed


async def submission_id_of(conn: psycopg.AsyncConnection, thread: MorningThread, user_id: int) -> int | None:
    row = await (await conn.execute(Q["submission_of_user_in_thread"], {
        "organization_id": thread.organization_id, "thread_id": thread.id, "user_id": user_id})).fetchone()
    return int(row[0]) if row else None


async def submission_entry(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str) -> tuple[Submission, dict[str, Any]]:
    row = await (await conn.execute(Q["submission_get"], {"organization_id": org_id, "id": submission_id})).fetchone()
    if row is None:
        raise NotFound("That reply isn't on record any more.")
    sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]))
    entry = (sub.parsed.get("messages") or {}).get(message_ts)
    if entry is None:
        raise NotFound("That reply was undone.")
    return sub, entry


# ---------------------------------------------------------------- the day's plan and its close

@dataclass(frozen=True)
class PlanItem:
    id: int
    task_id: int
    display_id: str
    title: str
    status: str
    carry_forward_count: int
    source: str
    answer: str | None
    answer_reason: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    plan_date: date
    reopen_status: str | None
    reopen_stage_id: int | None

    @property
    def is_done(self) -> bool:
        return self.status == "done" or self.answer == "done"

    @property
    def is_dropped(self) -> bool:
        return self.status == "dropped" or self.answer == "dropped"


async def plan_of(conn: psycopg.AsyncConnection, org_id: int, user_id: int, day: date) -> list[PlanItem]:
    cur = conn.cursor(row_factory=class_row(PlanItem))
    await cur.execute(Q["plan_of_user"], {"organization_id": org_id, "user_id": user_id, "plan_date": day})
    return await cur.fetchall()


class DayClosed(InvalidInput):
    default_message = ("That day is closed: its tasks were recorded at the end of the day. "
                       "Use `/task done T-12` for anything you finished since.")


async def mark_done(conn: psycopg.AsyncConnection, org_id: int, user: User, day: date, selected_task_ids: set[int],
                    now: datetime, *, only: set[int] | None = None) -> list[PlanItem]:
    """The check-in's boxes: ticked tasks are done now, unticked ones that were ticked here are reopened.

    ``only`` limits the change to those tasks (a checkbox group shows part of the plan)."""
    async with conn.transaction():
        items = await plan_of(conn, org_id, user.id, day)
        if items and all(i.closed_at is not None for i in items):
            raise DayClosed()
        stages = await task_service.stages(conn, org_id)
        done_stage = next((s.id for s in stages if s.is_done_stage), None)
        for item in items:
            if item.closed_at is not None or (only is not None and item.task_id not in only):
                continue
            if item.task_id in selected_task_ids and item.status not in ("done", "dropped"):
                task = await task_service.get(conn, org_id, item.task_id)
                await conn.execute(Q["plan_set_answer"], {
                    "organization_id": org_id, "id": item.id, "answer": "done", "reason": None, "now": now,
                    "reopen_status": task.status, "reopen_stage_id": task.stage_id if task.stage_id != done_stage else None})
                await task_service.complete(conn, user, task, now)
            elif item.task_id not in selected_task_ids and item.answer == "done" and item.status == "done":
                await conn.execute(Q["task_reopen"], {"organization_id": org_id, "id": item.task_id,
                                                      "status": item.reopen_status or "pending", "stage_id": item.reopen_stage_id})
                await task_service.log_change(conn, item.task_id, org_id, user, "status_changed", "done",
                                              item.reopen_status or "pending", "unticked in the end-of-day check-in")
                await conn.execute(Q["plan_set_answer"], {"organization_id": org_id, "id": item.id, "answer": None, "reason": None,
                                                          "now": now, "reopen_status": None, "reopen_stage_id": None})
        await conn.execute(Q["plan_mark_answered"], {"organization_id": org_id, "user_id": user.id, "plan_date": day, "now": now})
        return await plan_of(conn, org_id, user.id, day)


async def drop_planned(conn: psycopg.AsyncConnection, org_id: int, user: User, day: date, task_id: int, reason: str,
                       now: datetime) -> list[PlanItem]:
    async with conn.transaction():
        items = await plan_of(conn, org_id, user.id, day)
        item = next((i for i in items if i.task_id == task_id), None)
        if item is None:
            raise NotFound("That task isn't on that day's plan.")
        if item.closed_at is not None:
            raise DayClosed()
        task = await task_service.get(conn, org_id, task_id)
        if task.status != "dropped":
            await task_service.drop(conn, user, task, reason, now)
        await conn.execute(Q["plan_set_answer"], {"organization_id": org_id, "id": item.id, "answer": "dropped",
                                                  "reason": markup.store(reason.strip(), limit=500), "now": now, "reopen_status": None,
                                                  "reopen_stage_id": None})
        await conn.execute(Q["plan_mark_answered"], {"organization_id": org_id, "user_id": user.id, "plan_date": day, "now": now})
        return await plan_of(conn, org_id, user.id, day)


@dataclass
class CloseResult:
    done: int = 0
    carried: int = 0
    dropped: int = 0


async def close_day(conn: psycopg.AsyncConnection, org_id: int, user_id: int, day: date, now: datetime) -> CloseResult:
    """Exactly one task_statuses row per planned task for ``day``; carried tasks count up. Idempotent."""
    result = CloseResult()
    async with conn.transaction():
        for item in await plan_of(conn, org_id, user_id, day):
            if item.closed_at is not None:
                continue
            status = rules.close_status(item.status, item.answer)
            inserted = await (await conn.execute(Q["task_status_insert"], {
                "organization_id": org_id, "task_id": item.task_id, "user_id": user_id, "status_date": day, "status": status,
                "reason": item.answer_reason if status == "dropped" else None,
                "answered": item.answered_at is not None or status != "carry_forward"})).fetchone()
            await conn.execute(Q["plan_close_item"], {"organization_id": org_id, "id": item.id, "now": now})
            if inserted is None:
                continue
            if status == "carry_forward":
                await conn.execute(Q["task_carry_forward"], {"organization_id": org_id, "id": item.task_id})
                await task_service.log_change(conn, item.task_id, org_id, None, "carried_forward", None,
                                              {"date": day.isoformat(), "count": item.carry_forward_count + 1})
                result.carried += 1
            elif status == "done":
                result.done += 1
            else:
                result.dropped += 1
        # A later thread already up (someone far from the organization's clock): carry into it now.
        nxt = await _thread(conn, "thread_next_after", {"organization_id": org_id, "thread_date": day})
        if result.carried and nxt is not None and not await ooo.out_on(conn, org_id, [user_id], nxt.thread_date):
            await seed_carried(conn, org_id, nxt.thread_date, [user_id])
    return result


async def open_days(conn: psycopg.AsyncConnection, org_id: int) -> list[tuple[int, date]]:
    return [(r[0], r[1]) for r in await (await conn.execute(Q["plan_open_days"], {"organization_id": org_id})).fetchall()]


async def close_threads_before(conn: psycopg.AsyncConnection, org_id: int, before: date, now: datetime) -> None:
    await conn.execute(Q["threads_close_through"], {"organization_id": org_id, "before": before, "now": now})


async def team_domain(conn: psycopg.AsyncConnection, org_id: int) -> str | None:
    row = await (await conn.execute(Q["team_domain_of_org"], {"organization_id": org_id})).fetchone()
    return row[0] if row else None


def permalink(domain: str | None, channel_id: str, ts: str | None) -> str | None:
    if not domain or not ts:
        return None
    return f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
