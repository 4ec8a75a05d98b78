"""day-close (F5): when a person's day is over, every task on that day's plan gets exactly one
task_statuses row (done, carry_forward, dropped); carried tasks count up and come back on the
next thread. Unanswered tasks carry forward.

Ticks every minute. A day closes at the midnight that ends it, on the organization's clock (or
the person's, with local time on; see bot/services/rhythm.py). Catching up is automatic: every
unclosed day whose close has passed is closed, and closing twice inserts nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.deps import Deps
from bot.services import rhythm as rules
from bot.services import standup_close, standup_settings, standup_threads
from bot.services.rhythm import Rhythm
from db.repos import users as user_repo
from jobs.common import for_each_org


async def close_for_org(deps: Deps, org_id: int, now: datetime, *, rhythm: Rhythm | None = None) -> dict[str, Any]:
    async with deps.pool.connection() as conn:
        rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
        open_days = await standup_close.open_days(conn, org_id)
        people = {u.id: u for u in await user_repo.users_by_ids(conn, org_id, sorted({u for u, _ in open_days}))}
        posted: dict[date, datetime | None] = {}
        for _, day in open_days:
            if day not in posted:
                thread = await standup_threads.posted_thread_for(conn, org_id, day)
                posted[day] = thread.started_at if thread else None
    totals = {"people": 0, "done": 0, "carried": 0, "dropped": 0}
    still_open: list[date] = []
    for user_id, day in open_days:
        person = people.get(user_id)
        personal = rules.personal_day(day, posted[day], rhythm, person.timezone if person else None)
        if not personal.closed(now):
            still_open.append(day)
            continue
        async with deps.pool.connection() as conn:
            result = await standup_close.close_day(conn, org_id, user_id, day, now)
        totals["people"] += 1
        totals["done"] += result.done
        totals["carried"] += result.carried
        totals["dropped"] += result.dropped
    before = min([*still_open, rules.local_date(now, rhythm.timezone)])
    async with deps.pool.connection() as conn:
        await standup_threads.close_threads_before(conn, org_id, before, now)
    return totals


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, close_for_org)
