"""end-of-day (F5): a DM check-in listing the day's planned tasks as checkboxes, with "All done" and
"Drop…", at each person's check-in time (the people calendar's: their end of day on their clock, or an
hour before their quiet hours begin when the end of day falls in them).

Ticks every minute; once per person and day (dedupe key). From the check-in time until their day is
closed, a person with open planned tasks gets it queued once; when they cannot be reached yet (quiet
hours, their weekend, a holiday, their leave next) it is queued *held* until they can first be (notify()
holds it: after a leave, the morning they are back), and their day stays open until they have had time
to answer (see calendar.PersonalDay.close_after). A check-in whose minute was missed (Steward was down,
or a run came later) is queued by the next run, however late: day-close keeps the day open until it is
(jobs/day_close.py), so nobody's tasks are carried without their having been asked. People out on their
day and people with nothing planned get none; whoever is left unasked is named in the run's result with
why ("unqueued": out that day, inactive, or not reachable within calendar.REACH_HORIZON).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import calendar, standup_close, standup_plan, standup_settings, standup_threads
from bot.services.notifications import Target, existing_keys, notify
from jobs.common import for_each_org, load_team, since


def checkin_key(org_id: int, user_id: int, day: date) -> str:
    return f"standup.eod:{org_id}:{user_id}:{day.isoformat()}"


UNQUEUED_OUT = "out that day"
UNQUEUED_INACTIVE = "no longer active"
UNQUEUED_UNREACHABLE = "can't be reached in the next {days} days"


def asks(rhythm: calendar.Rhythm, person: calendar.Person, day: calendar.PersonalDay, active: bool,
         now: datetime) -> tuple[datetime | None, str | None]:
    """Whether a check-in for ``day`` is to be queued at ``now`` (its time has come; the plan is still open):
    (when it reaches the person, None) or (None, why they are not asked: :data:`UNQUEUED_OUT`, …).
    (None, None) before the check-in time. The one rule end-of-day queues by and day-close waits by."""
    if now < day.checkin_at:
        return None, None
    if not active:
        return None, UNQUEUED_INACTIVE
    if not day.expected:
        return None, UNQUEUED_OUT
    reaches = calendar.checkin_reaches(rhythm, person, day, now)
    if reaches is None:
        return None, UNQUEUED_UNREACHABLE.format(days=calendar.REACH_HORIZON.days)
    return reaches, None


async def checkins_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """Queue the check-ins due at ``now`` (aware) for one organization; returns {"checkins": n, "held": n}: queued
    to go at once, and queued held until the person can be reached (counted once, when queued); and, when
    someone whose check-in time has come is left unasked, "unqueued": [{"to": "<@U…>", "why": …}]."""
    counts: dict[str, Any] = {"checkins": 0, "held": 0}
    unqueued: list[dict[str, str]] = []
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        await standup_threads.sync_posted(conn, org_id)
        first = since(now, rhythm)
        threads = {t.thread_date: t for t in await standup_threads.recent_threads(conn, org_id, first) if t.thread_ts}
        # Every open plan of the last days, with a thread posted for its date or not (a plan written before its
        # day's thread, whose thread never came): nobody's tasks are carried without their having been asked.
        plans = [(u, d) for u, d in await standup_close.open_days(conn, org_id) if d >= first]
        sent = await existing_keys(conn, org_id, [checkin_key(org_id, u, d) for u, d in plans])
        pending = [(u, d) for u, d in plans if checkin_key(org_id, u, d) not in sent]
        if not pending:
            return counts
        team = await load_team(conn, org_id, rhythm, {u for u, _ in pending}, now)
        for user_id, plan_date in pending:
            user, thread = team.users.get(user_id), threads.get(plan_date)
            if user is None:
                continue
            day = team.day(user_id, plan_date, thread.started_at if thread else None)
            reaches, why = asks(rhythm, team.person(user_id), day, user.active, now)
            if why is not None:
                unqueued.append({"to": f"<@{user.slack_id}>", "why": why, "day": plan_date.isoformat()})
            if reaches is None:
                continue
            items = [i for i in await standup_plan.plan_of(conn, org_id, user_id, plan_date) if i.closed_at is None]
            text, blocks = render.eod_checkin(plan_date, items)
            if await notify(conn, organization_id=org_id, kind="standup.eod_checkin", dedupe_key=checkin_key(org_id, user_id, plan_date),
                            text=text, blocks=blocks, targets=[Target.dm(user.slack_id)], now=now, user_id=user_id,
                            hold_until=reaches):
                counts["held" if reaches > now else "checkins"] += 1
    if unqueued:
        counts["unqueued"] = unqueued
    return counts


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, checkins_for_org)
