"""end-of-day (F5): a DM check-in listing the day's planned tasks as checkboxes, with "All done" and
"Drop…", at each person's check-in time (the people calendar's: their end of day on their clock, or an
hour before their quiet hours begin when the end of day falls in them).

Ticks every minute; once per person and day (dedupe key). From the check-in time until the midnight
ending their day, a person with open planned tasks gets it queued once; when they cannot be reached yet
(quiet hours, their weekend, a holiday or leave) it is queued *held* until they can (notify() holds it),
and their day stays open until they have had time to answer (see calendar.PersonalDay.close_after).
A check-in that could only reach them after their next day starts is not sent: their tasks carry
forward, unanswered, at the close. People out on their day and people with nothing planned get none.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import calendar, standup_plan, standup_settings, standup_threads
from bot.services.notifications import Target, existing_keys, notify
from jobs.common import for_each_org, load_team, since


def checkin_key(org_id: int, user_id: int, day: date) -> str:
    return f"standup.eod:{org_id}:{user_id}:{day.isoformat()}"


async def checkins_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """Queue the check-ins due at ``now`` (aware) for one organization; returns {"checkins": n, "held": n}: queued
    to go at once, and queued held until the person can be reached (counted once, when queued)."""
    counts = {"checkins": 0, "held": 0}
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        await standup_threads.sync_posted(conn, org_id)
        threads = {t.thread_date: t for t in await standup_threads.recent_threads(conn, org_id, since(now, rhythm)) if t.thread_ts}
        plans = await standup_plan.open_plans_on(conn, org_id, list(threads))
        sent = await existing_keys(conn, org_id, [checkin_key(org_id, u, d) for u, d in plans])
        pending = [(u, d) for u, d in plans if checkin_key(org_id, u, d) not in sent]
        if not pending:
            return counts
        team = await load_team(conn, org_id, rhythm, {u for u, _ in pending}, now)
        for user_id, plan_date in pending:
            user, thread = team.users.get(user_id), threads[plan_date]
            day = team.day_of(user_id, thread)
            if user is None or not user.active or not day.checkin_due(now):
                continue
            reaches = calendar.checkin_reaches(rhythm, team.person(user_id), day, now)
            if reaches is None:
                continue
            items = [i for i in await standup_plan.plan_of(conn, org_id, user_id, plan_date) if i.closed_at is None]
            text, blocks = render.eod_checkin(plan_date, items)
            if await notify(conn, organization_id=org_id, kind="standup.eod_checkin", dedupe_key=checkin_key(org_id, user_id, plan_date),
                            text=text, blocks=blocks, targets=[Target.dm(user.slack_id)], now=now, user_id=user_id,
                            hold_until=reaches):
                counts["held" if reaches > now else "checkins"] += 1
    return counts


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, checkins_for_org)
