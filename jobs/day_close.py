"""day-close (F5): when a person's day is over, every task on that day's plan gets exactly one
task_statuses row (done, carry_forward, dropped); carried tasks count up and come back on the
next thread. Unanswered tasks carry forward.

Ticks every minute. A person's day closes at the midnight that ends it on their clock, or later when
their end-of-day check-in reached them (held by quiet hours, their weekend or leave) less than the answer
window before that (see calendar.PersonalDay.close_after), so nobody's tasks are carried without their
having been asked. Catching up is automatic: every unclosed day whose close has passed is closed, and
closing twice inserts nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.deps import Deps
from bot.services import calendar, standup_close, standup_settings, standup_threads
from bot.services.calendar import Rhythm
from bot.services.notifications import reached_at
from jobs.common import for_each_org, load_team
from jobs.end_of_day import checkin_key


async def close_for_org(deps: Deps, org_id: int, now: datetime, *, rhythm: Rhythm | None = None) -> dict[str, Any]:
    """Close every person's day whose close (see the module notes) is at or before ``now`` (aware); returns
    {"people", "done", "carried", "dropped"} counts of this run. ``rhythm``: the organization's, if already read."""
    async with deps.pool.connection() as conn:
        rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
        open_days = await standup_close.open_days(conn, org_id)
        if not open_days:
            await standup_threads.close_threads_before(conn, org_id, calendar.local_date(now, rhythm.timezone), now)
            return {"people": 0, "done": 0, "carried": 0, "dropped": 0}
        team = await load_team(conn, org_id, rhythm, {u for u, _ in open_days}, now)
        # When each day's thread went up (its times count from there): the latest posted thread of each date.
        posted: dict[date, datetime | None] = dict.fromkeys((d for _, d in open_days), None)
        for thread in await standup_threads.recent_threads(conn, org_id, min(posted)):
            if thread.thread_date in posted and thread.thread_ts:
                posted[thread.thread_date] = thread.started_at
        reached = await reached_at(conn, org_id, [checkin_key(org_id, u, d) for u, d in open_days])
    totals = {"people": 0, "done": 0, "carried": 0, "dropped": 0}
    still_open: list[date] = []
    for user_id, day in open_days:
        personal = team.day(user_id, day, posted[day])
        if now < personal.close_after(reached.get(checkin_key(org_id, user_id, day))):
            still_open.append(day)
            continue

        def expected(thread: standup_threads.MorningThread, user_id: int = user_id) -> bool:
            return team.day_of(user_id, thread).expected

        async with deps.pool.connection() as conn:
            result = await standup_close.close_day(conn, org_id, user_id, day, now, carry_into=expected)
        totals["people"] += 1
        totals["done"] += result.done
        totals["carried"] += result.carried
        totals["dropped"] += result.dropped
    before = min([*still_open, calendar.local_date(now, rhythm.timezone)])
    async with deps.pool.connection() as conn:
        await standup_threads.close_threads_before(conn, org_id, before, now)
    return totals


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, close_for_org)
