"""One run of the job ``escalations`` for one organization (SPEC F6; issue 13), and keeping the ladders' due times
true when someone's absence changes.

:func:`sweep` climbs the blocker ladder (:class:`bot.services.blockers.BlockerClimb`) and the overdue ladder
(:class:`bot.services.overdue.OverdueClimb`) together (:func:`bot.services.escalations.climb`), so a person with
rungs of both due at the same minute gets one DM listing them all (issue 13's noise rule), then sends the cards of
rule flags raised without one (:func:`bot.services.flags.deliver_pending`).

:func:`reschedule_person`: while a person is out their ladders' clocks pause, so the next rung of their open
blockers and overdue tasks is stored later (``blockers.next_escalation_at``, ``tasks.overdue_next_at``). When an
absence is recorded (:func:`bot.services.ooo.record`: `/ooo`, a standup's "I'm out …"), cancelled or shortened
(:func:`bot.services.ooo.withdraw`), or a Slack status read at a sync or a profile change really changed
(:func:`bot.services.workspace.upsert_member`), those stored times are recomputed at once, in the caller's
transaction, not when the old time arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from bot.services import blockers, escalations, flags, overdue, standup_settings

# A sweep claims at most this many due subjects of each ladder per transaction (the rest wait for the next batch).
SWEEP_BATCH = 500


async def sweep(conn: psycopg.AsyncConnection, org_id: int, now: datetime, *, batch: int = SWEEP_BATCH) -> dict[str, Any]:
    """One sweep of both ladders for organization ``org_id`` as of ``now`` (aware). Returns the job's counts: the
    blocker ladder's (:meth:`bot.services.blockers.SweepResult.as_dict`), the overdue ladder's (keys ``overdue_*``)
    and ``flag_cards`` when rule flags' cards were sent."""
    blocker_climb, overdue_climb = blockers.BlockerClimb(), overdue.OverdueClimb()
    await overdue.start_walks(conn, org_id, now, overdue_climb, batch=batch)
    await escalations.climb(conn, org_id, now, [blocker_climb, overdue_climb], batch=batch)
    cards = await flags.deliver_pending(conn, org_id, now)
    return {**blocker_climb.result.as_dict(), **overdue_climb.result.as_dict(), **({"flag_cards": cards} if cards else {})}


async def reschedule_person(conn: psycopg.AsyncConnection, org_id: int, user_id: int, now: datetime) -> int:
    """Recompute, as of ``now`` (aware), when the next rung is due for every open blocker of ``user_id`` (the blocked
    person) and every overdue task of theirs whose walk has a rung to come, from the people calendar as it stands:
    call it in the transaction that changed their absences (:meth:`bot.services.escalations.Climb.reschedule`).
    Returns how many due times changed."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    people = await escalations.load_people(conn, org_id, rhythm, [user_id], now)
    return sum([await climb.reschedule(conn, org_id, people, user_id, now)
                for climb in (blockers.BlockerClimb(), overdue.OverdueClimb())])
