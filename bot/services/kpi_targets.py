"""KPI targets (SPEC F14; issue 15): `/steward kpi` shows the organization's targets; `/steward kpi set <kpi> <value>`
sets one (admins; a refusal is logged, a change audit-logged). The KPIs and their units are bot/services/kpis.py's.

How a value is read (:func:`parse_value`):
  * rates (submission_rate, on_time_rate, carry_forward_rate, checklist_compliance, sop_compliance) are ratios in
    0..1: ``90%``, ``0.9`` and ``90`` all mean 0.9 (a bare number above 1 is read as a percent); above 100% is
    out of range;
  * blocker_resolution_hours: working hours, ``24``, ``24h`` or ``1.5 hours``, more than 0 and at most
    :data:`MAX_HOURS`;
  * weighted_throughput: weight points per person per week, 0..:data:`MAX_POINTS`;
  * team_mood: a score on the 1..5 scale.
The direction follows the KPI (:func:`bot.services.kpis.direction_of`): at most for carry_forward_rate and
blocker_resolution_hours, at least for the others.
"""

from __future__ import annotations

import re
from datetime import datetime

import psycopg

from bot.errors import InvalidInput
from bot.services import kpis, security
from bot.services.kpis import Target
from db.queries import Q

# Upper bounds of what may be asked, with why: a blocker target past a working quarter (~500 working hours) or a
# weekly throughput past 1,000 points is a typo, not a goal.
MAX_HOURS = 500.0
MAX_POINTS = 1000.0
MOOD_RANGE = (1.0, 5.0)  # mood_entries.score's CHECK
USAGE = ("`/steward kpi` shows the targets; admins set one with `/steward kpi set <kpi> <value>`, like "
         "`/steward kpi set submission_rate 90%` or `/steward kpi set blocker_resolution_hours 24`.")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)\s*(%|h|hrs?|hours?|points?|pts?)?$")
_HOURS = ("h", "hr", "hrs", "hour", "hours")
_POINTS = ("point", "points", "pt", "pts")


def known_list() -> str:
    """The KPIs a target may be set for, as `code` words."""
    return ", ".join(f"`{k}`" for k in kpis.TARGETABLE)


def kpi_named(word: str) -> str:
    """The KPI ``word`` names (case and dashes forgiven: ``On-Time-Rate``); InvalidInput listing the known ones."""
    name = word.strip().lower().replace("-", "_")
    if name in kpis.TARGETABLE:
        return name
    if name in kpis.KPIS:
        raise InvalidInput(f"`{name}` is counted and credited in reports, not given a target. Targets can be set for "
                           f"{known_list()}.")
    shown = word if len(word) <= 40 else word[:39] + "\u2026"
    raise InvalidInput(f"I don't know the KPI `{shown}`. Targets can be set for {known_list()}.")


def parse_value(kpi: str, text: str) -> float:
    """The target ``text`` gives for ``kpi`` (a name of :data:`bot.services.kpis.TARGETABLE`) in the KPI's unit (see
    the module notes). Raises InvalidInput, saying the range, for anything else (``150%``, ``-3``, ``lots``)."""
    raw = text.strip().lower()
    found = _NUMBER.match(raw.replace(" ", "")) or _NUMBER.match(raw)
    if found is None and raw.startswith("-") and _NUMBER.match(raw[1:].replace(" ", "")):
        raise InvalidInput(f"`{text.strip()[:40]}` is out of range for `{kpi}`: a target is never negative. "
                           f"{_range(kpi)}")
    if found is None:
        raise InvalidInput(f"`{text.strip()[:40]}` isn't a number I can use for `{kpi}`. {_range(kpi)}")
    number, unit = float(found[1]), (found[2] or "")
    if kpi in kpis.RATES:
        if unit and unit != "%":
            raise InvalidInput(f"`{kpi}` is a rate. {_range(kpi)}")
        ratio = number / 100 if unit == "%" or number > 1 else number
        if ratio > 1:
            raise InvalidInput(f"`{number:g}%` is out of range for `{kpi}`. {_range(kpi)}")
        return ratio
    if kpi == kpis.BLOCKER_RESOLUTION_HOURS:
        if unit and unit not in _HOURS:
            raise InvalidInput(f"`{kpi}` is in working hours. {_range(kpi)}")
        if not 0 < number <= MAX_HOURS:
            raise InvalidInput(f"`{number:g} hours` is out of range for `{kpi}`. {_range(kpi)}")
        return number
    if kpi == kpis.WEIGHTED_THROUGHPUT:
        if unit and unit not in _POINTS:
            raise InvalidInput(f"`{kpi}` is in weight points. {_range(kpi)}")
        if number > MAX_POINTS:
            raise InvalidInput(f"`{number:g} points` is out of range for `{kpi}`. {_range(kpi)}")
        return number
    if unit or not MOOD_RANGE[0] <= number <= MOOD_RANGE[1]:
        raise InvalidInput(f"`{text.strip()[:40]}` is out of range for `{kpi}`. {_range(kpi)}")
    return number


def _range(kpi: str) -> str:
    if kpi in kpis.RATES:
        return "Give a percent from 0% to 100% (`90%` or `0.9`)."
    if kpi == kpis.BLOCKER_RESOLUTION_HOURS:
        return f"Give working hours, more than 0 and at most {MAX_HOURS:g} (`24` or `24h`)."
    if kpi == kpis.WEIGHTED_THROUGHPUT:
        return f"Give weight points per person per week, from 0 to {MAX_POINTS:g} (`20`)."
    return "Give a mood score from 1 to 5 (`3.5`)."


def parse_set(args: str) -> tuple[str, float]:
    """`<kpi> <value>` (the words after `/steward kpi set`) -> (KPI name, target). InvalidInput otherwise."""
    words = args.split(None, 1)
    if not words:
        raise InvalidInput(f"Which KPI, and what target? {USAGE} Targets can be set for {known_list()}.")
    kpi = kpi_named(words[0])
    if len(words) < 2 or not words[1].strip():
        raise InvalidInput(f"What target for `{kpi}`? {_range(kpi)}")
    return kpi, parse_value(kpi, words[1])


async def set_target(conn: psycopg.AsyncConnection, org_id: int, actor: object, args: str, now: datetime) -> Target:
    """`/steward kpi set <kpi> <value>` by ``actor`` (a User) at ``now`` (aware): set one target of organization
    ``org_id`` and audit-log it. Raises PermissionDenied (logged) for a non-admin, before reading anything else, and
    InvalidInput for an unknown KPI or a value out of range."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="kpi.set")
    kpi, value = parse_set(args)
    direction = kpis.direction_of(kpi)
    async with conn.transaction():
        row = await (await conn.execute(Q["kpi_target_upsert"], {
            "organization_id": org_id, "metric": kpi, "target": value, "direction": direction, "now": now})).fetchone()
        assert row is not None
        await security.audit(conn, organization_id=org_id, actor=actor, action="kpi.set", entity_type="kpi_target",
                             entity_id=kpi, details={"target": value, "direction": direction}, now=now)
    return Target(row[0], float(row[1]), row[2])
