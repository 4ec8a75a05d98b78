"""A team's standup settings (SPEC F4): read, changed in words or the modal, checked, audit-logged.

The time rules these settings feed live in the people calendar, :mod:`bot.services.calendar`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, time
from typing import Any

import psycopg

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import absences, security
from bot.services import rhythm as rules
from bot.services.rhythm import Rhythm
from db.queries import Q
from db.rows import User

# ---------------------------------------------------------------- settings

_SETTING_COLUMNS = {
    "timezone", "standup_channel_id", "workdays", "holidays", "morning_time", "use_member_local_time",
    "nudge_delay_minutes", "manager_summary_delay_minutes", "end_of_day_time", "mood_checkin_enabled", "mood_checkin_time",
}


def rhythm_from_row(row: Sequence[Any]) -> Rhythm:
    """A Rhythm from the columns of the rhythm_settings query (sql/queries/standup.sql), in its order."""
    (tz, channel, workdays, holidays, morning, local, nudge, summary, eod, mood_on, mood_time, quiet_start, quiet_end,
     country) = row
    return Rhythm(timezone=tz or "UTC", standup_channel_id=channel, workdays=frozenset(int(d) for d in workdays or ()),
                  holidays=frozenset(holidays or ()), morning_time=morning, use_member_local_time=bool(local),
                  nudge_delay_minutes=int(nudge), manager_summary_delay_minutes=int(summary), end_of_day_time=eod,
                  mood_checkin_enabled=bool(mood_on), mood_checkin_time=mood_time, quiet_hours_start=quiet_start,
                  quiet_hours_end=quiet_end, holiday_country=country)


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
    "(`holiday add|remove <date>`, `holidays none`) \u00b7 `country GB` (public holidays; `DE-BY`, `US-CA`; `none`) "
    "\u00b7 `mood on|off|16:30` \u00b7 `local on|off` "
    "(nudges and check-ins at each person's own clock) \u00b7 `show`"
)
_KEYWORDS = {
    "channel": "channel", "time": "time", "morning": "time", "at": "time", "timezone": "timezone", "tz": "timezone",
    "zone": "timezone", "days": "days", "workdays": "days", "holidays": "holidays", "holiday": "holiday",
    "nudge": "nudge", "nudges": "nudge", "summary": "summary", "eod": "eod", "end": "eod", "end-of-day": "eod",
    "mood": "mood", "local": "local", "local-time": "local", "country": "country",
}
# Not a rhythm column: the organization's holiday country (org_settings.holiday_country), saved on its own.
HOLIDAY_COUNTRY = "holiday_country"


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
        elif key == "country":
            changes[HOLIDAY_COUNTRY] = None if value.lower() in ("none", "clear", "-") else absences.normalize_country(value)
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
    country = changes.get(HOLIDAY_COUNTRY, ...)
    changes = {k: v for k, v in changes.items() if k in _SETTING_COLUMNS}
    if (changes.get("standup_channel_id") and current.standup_channel_id is None and "timezone" not in changes
            and current.timezone == "UTC" and actor.timezone != "UTC" and rules.valid_timezone(actor.timezone)):
        # First set-up: the team's clock is the admin's until they say otherwise (UTC mornings surprise people).
        changes["timezone"] = actor.timezone
    merged = merge(current, changes)
    check_settings(merged)
    if country is not ...:
        await absences.set_org_country(conn, org_id, actor, country)
        current = replace(current, holiday_country=country)
        merged = replace(merged, holiday_country=country)
    if not changes:
        return current
    params = {k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in changes.items()}
    async with conn.transaction():
        await conn.execute(Q["rhythm_update"], {**dict.fromkeys(_SETTING_COLUMNS), **params, "changed": list(params),
                                                "organization_id": org_id})
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
