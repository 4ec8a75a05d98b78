"""Absences from every source (SPEC F4, and the people calendar's input, SPEC section 6).

One question, one answer: for an organization, some people and a date range, :func:`absences` returns
every day those people are not expected, as plain values with their source and reason:

  * ``ooo``: out-of-office records (`/ooo`, or parsed from a DM or a standup reply), whole days;
  * ``public_holiday``: public holidays of the person's country or region (their own, set with
    `/ooo country DE-BY`, else the organization's, set by an admin with `/steward standup country GB`),
    from the maintained ``holidays`` package (no network), one absence per holiday;
  * ``slack_status``: a Slack status that says the person is away (:palm_tree:, "OOO", "Vacationing",
    "Out sick"; :func:`bot.parsing.ooo.status_absence`), from the day Steward first saw it to its expiry.

Dates are the person's own dates (their timezone). A status covers the day it expires only when it
expires at or after :data:`STATUS_DAY_CUTOFF` there (a status cleared at 10:00 leaves that day's work
to its person), and none when it was set for less than :data:`STATUS_MIN_AWAY`; without an expiry it
lasts until it changes, or to the end its words give ("OOO until Monday"). :class:`Absence` also carries the status's exact instants for the calendar's finer rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import psycopg

from bot.errors import InvalidInput
from bot.parsing.holiday_names import calendar_of
from bot.parsing.ooo import parse_ooo, status_absence
from bot.services import calendar, security
from bot.services import rhythm as rules
from db.queries import Q
from db.rows import User

SOURCE_OOO = "ooo"
SOURCE_HOLIDAY = "public_holiday"
SOURCE_STATUS = "slack_status"
# Which absence a person's day is shown with when several cover it.
_PRECEDENCE = {SOURCE_OOO: 0, SOURCE_HOLIDAY: 1, SOURCE_STATUS: 2}
# A Slack status expiring before this local time leaves that day to its person.
STATUS_DAY_CUTOFF = time(12, 0)
# A status set for less than this ("Out sick" for the afternoon is more; "back in 30" less) is not a day away.
STATUS_MIN_AWAY = timedelta(hours=4)
# Holiday countries: ISO 3166-1 alpha-2, optionally a subdivision ("GB-SCT", "DE-BY", "US-CA").
_COUNTRY = re.compile(r"^\s*([A-Za-z]{2})(?:[-_ ]([A-Za-z0-9]{1,4}))?\s*$")
NO_COUNTRY = "none"


@dataclass(frozen=True)
class Absence:
    """A stretch of whole days (``first``..``last`` inclusive, the person's own dates) when ``user_id``
    is not expected. ``source`` is ``ooo``, ``public_holiday`` or ``slack_status``; ``reason`` is shown
    to people ("vacation", "Good Friday", "Vacationing"). For a Slack status, ``starts_at`` is when
    Steward first saw it and ``ends_at`` its expiry (None: until it changes); ``emoji`` its emoji.
    ``ooo_id`` names the ooo_records row."""

    user_id: int
    first: date
    last: date
    source: str
    reason: str | None = None
    ooo_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    emoji: str | None = None

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Span:
    """What a stretch of days off means for one person: its workdays (organization workdays that are
    neither organization holidays nor the person's public holidays) and the public holidays inside it."""

    first: date
    last: date
    workdays: tuple[date, ...]
    holidays: tuple[tuple[date, str], ...]
    team_days: str = "Mon\u2013Fri"  # the organization's workdays, in words


# ---------------------------------------------------------------- countries and public holidays

@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """English country names ("germany", "united kingdom") -> ISO codes, from the ``holidays`` registry."""
    from holidays import registry

    return {re.sub(r"(?<!^)(?=[A-Z])", " ", entry[0]).lower(): entry[1] for entry in registry.COUNTRIES.values()}


def normalize_country(raw: str) -> str:
    """"gb", "GB", "de-by", "DE_BY", "us ca", "Germany" -> "GB", "DE-BY", "US-CA", "DE", checked against the
    ``holidays`` package's countries and subdivisions. Raises InvalidInput (with the valid subdivisions) otherwise."""
    import holidays

    named = _country_names().get(" ".join((raw or "").lower().split()))
    m = _COUNTRY.match(named or raw or "")
    if m is None:
        raise InvalidInput(f"`{(raw or '').strip()[:20]}` isn't a country code. Use two letters, like `GB`, `DE` or `US`, "
                           "optionally with a region: `DE-BY`, `US-CA`, `GB-SCT`.")
    country, region = m[1].upper(), (m[2] or "").upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise InvalidInput(f"I don't know the public holidays of `{country}`. Use a two-letter country code "
                           "(ISO 3166), like `GB`, `DE`, `FR`, `US` or `IN`.")
    if region and region not in supported[country]:
        listed = ", ".join(f"`{country}-{s}`" for s in supported[country][:40])
        raise InvalidInput(f"`{country}` has no region `{region}`. Its regions: {listed or 'none'}.")
    return f"{country}-{region}" if region else country


def public_holidays(country: str | None, first: date, last: date) -> list[tuple[date, str]]:
    """The public holidays of ``country`` ("GB", "DE-BY"; None or "none": none) from ``first`` to
    ``last`` inclusive, as (date, English name where the package has one), from the ``holidays`` package."""
    if not country or country == NO_COUNTRY or last < first:
        return []
    out: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        out += [(d, name) for d, name in calendar_of(country, year) if first <= d <= last]
    return out


# ---------------------------------------------------------------- Slack status

def status_days(user_id: int, text: str | None, emoji: str | None, since: datetime | None, expires: datetime | None,
                tz: str, first: date, last: date) -> Absence | None:
    """The days within [``first``, ``last``] that a Slack status keeps ``user_id`` away (see the module
    notes), or None when it does not say away or covers none of them. ``tz``: the person's IANA zone."""
    reason = status_absence(text, emoji)
    if reason is None or since is None:
        return None
    start = calendar.local_date(since, tz)
    if expires is not None:
        if expires - since < STATUS_MIN_AWAY:
            return None
        local = expires.astimezone(calendar.zone(tz))
        end = local.date() if local.time() >= STATUS_DAY_CUTOFF else local.date() - timedelta(days=1)
    else:
        said = parse_ooo(text or "", now=since, tz=tz) if text else None
        end = said.end_date if said is not None and said.end_date > start else last
    lo, hi = max(start, first), min(end, last)
    if hi < lo:
        return None
    words = " ".join((text or "").split()) or reason
    return Absence(user_id, lo, hi, SOURCE_STATUS, words, starts_at=since, ends_at=expires, emoji=emoji or None)


# ---------------------------------------------------------------- every source

async def absences(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], first: date,
                   last: date) -> list[Absence]:
    """Every absence of these people (Steward user ids of organization ``org_id``) that touches
    [``first``, ``last``] (their own dates), from every source, clipped to that range; ordered by person,
    then first day. This is the people calendar's absence input."""
    if not user_ids or last < first:
        return []
    params = {"organization_id": org_id, "user_ids": list(user_ids), "first": first, "last": last}
    found: list[Absence] = []
    for ooo_id, user_id, start, end, reason, _source in await (await conn.execute(Q["absence_ooo_between"], params)).fetchall():
        found.append(Absence(user_id, max(start, first), min(end, last), SOURCE_OOO, reason, ooo_id=ooo_id))
    for user_id, tz, country, text, emoji, expires, since in await (await conn.execute(Q["absence_people"], params)).fetchall():
        found += [Absence(user_id, d, d, SOURCE_HOLIDAY, name) for d, name in public_holidays(country, first, last)]
        status = status_days(user_id, text, emoji, since, expires, tz or "UTC", first, last)
        if status is not None:
            found.append(status)
    return sorted(found, key=lambda a: (a.user_id, a.first, _PRECEDENCE[a.source]))


def on_day(found: Iterable[Absence], day: date) -> dict[int, Absence]:
    """Per person, the absence their ``day`` is shown with (out of office first, then a public holiday,
    then a Slack status)."""
    out: dict[int, Absence] = {}
    for a in sorted(found, key=lambda a: _PRECEDENCE[a.source]):
        if a.covers(day):
            out.setdefault(a.user_id, a)
    return out


async def out_on(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], day: date) -> dict[int, Absence]:
    """Who of these people is away on ``day`` (their date), with why: see :func:`on_day`."""
    return on_day(await absences(conn, org_id, user_ids, day, day), day)


async def span(conn: psycopg.AsyncConnection, org_id: int, user_id: int, rhythm: calendar.Rhythm, first: date,
               last: date) -> Span:
    """The workdays and public holidays of ``user_id`` from ``first`` to ``last`` (see :class:`Span`);
    ``rhythm`` gives the organization's workdays and holidays."""
    country = (await (await conn.execute(Q["absence_people"], {"organization_id": org_id, "user_ids": [user_id]})).fetchone() or
               (None, None, None))[2]
    holidays = public_holidays(country, first, last)
    off = {d for d, _ in holidays}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    workdays = tuple(d for d in days if calendar.is_workday(d, rhythm) and d not in off)
    return Span(first, last, workdays, tuple((d, n) for d, n in holidays if calendar.is_workday(d, rhythm)),
                rules.describe_days(rhythm.workdays))


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country code, from the system's ``zone.tab`` (the tz database's own table, found on
    zoneinfo's search path); empty where there is none."""
    import zoneinfo
    from pathlib import Path

    for root in zoneinfo.TZPATH:
        table = Path(root) / "zone.tab"
        if table.is_file():
            rows = (line.split("\t") for line in table.read_text(encoding="utf-8").splitlines() if line and line[0] != "#")
            return {row[2]: row[0] for row in rows if len(row) >= 3}
    return {}


async def country_for_names(conn: psycopg.AsyncConnection, org_id: int, user: User) -> str | None:
    """The calendar a holiday's name is read in ("from Christmas to New Year", "Thanksgiving week"): the
    person's own country, else the organization's, else the country of their Slack timezone (zone.tab:
    America/New_York is US). None when none is known."""
    team, own = await countries(conn, org_id, user.id)
    for choice in (own, team):
        if choice and choice != NO_COUNTRY:
            return choice
    return _zone_countries().get(user.timezone or "")


# ---------------------------------------------------------------- settings

async def countries(conn: psycopg.AsyncConnection, org_id: int, user_id: int) -> tuple[str | None, str | None]:
    """(the organization's holiday country, the person's own choice: a code, "none" or None = the organization's)."""
    row = await (await conn.execute(Q["holiday_countries"], {"organization_id": org_id, "user_id": user_id})).fetchone()
    return (row[0], row[1]) if row else (None, None)


def country_choice(raw: str) -> str | None:
    """A person's word for their holidays: a country code ("DE-BY"), "none" (no public holidays), or
    "team"/"default"/"auto" (the organization's, stored as None). Raises InvalidInput."""
    word = (raw or "").strip().lower()
    if word in ("team", "default", "auto", "org", "organization", "reset"):
        return None
    if word in ("none", "off", "no"):
        return NO_COUNTRY
    return normalize_country(raw)


async def set_own_country(conn: psycopg.AsyncConnection, org_id: int, user: User, raw: str) -> str | None:
    """Set ``user``'s holiday country from their words (:func:`country_choice`); returns what is stored."""
    choice = country_choice(raw)
    await conn.execute(Q["user_set_holiday_country"], {"organization_id": org_id, "user_id": user.id, "holiday_country": choice})
    return choice


async def set_org_country(conn: psycopg.AsyncConnection, org_id: int, actor: User, country: str | None) -> None:
    """Admins only: the organization's holiday country (already normalized; None: no public holidays),
    audit-logged. Raises PermissionDenied for anyone else."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="standup.settings")
    async with conn.transaction():
        await conn.execute(Q["org_set_holiday_country"], {"organization_id": org_id, "holiday_country": country})
        await security.audit(conn, organization_id=org_id, actor=actor, action="standup.settings_changed",
                             entity_type="org_settings", entity_id=org_id, details={"holiday_country": country})
