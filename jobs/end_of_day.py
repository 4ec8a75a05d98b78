"""end-of-day (F5): a DM check-in listing the day's planned tasks as checkboxes, with "All done"
and "Drop…", at the end-of-day time (the organization's, or each person's with local time on).

Ticks every minute; once per person and day (dedupe key). People out of office that day and
people with nothing planned get none; a check-in quiet hours would hold past the day's close is
skipped (their tasks simply carry forward, unanswered).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import ooo, standup_plan, standup_settings, standup_threads
from bot.services import rhythm as rules
from bot.services.notifications import Target, existing_keys, notify, quiet_hours_end
from db.repos import users as user_repo
from jobs.common import for_each_org


def checkin_key(org_id: int, user_id: int, day: Any) -> str:
    return f"standup.eod:{org_id}:{user_id}:{day.isoformat()}"


async def checkins_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    counts = {"checkins": 0, "quiet": 0}
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        await standup_threads.sync_posted(conn, org_id)
        since = rules.local_date(now, rhythm.timezone) - timedelta(days=2)
        threads = [t for t in await standup_threads.recent_threads(conn, org_id, since) if t.status == "posted"]
        for thread in threads:
            user_ids = await standup_plan.people_with_plan(conn, org_id, thread.thread_date)
            people = [p for p in await user_repo.users_by_ids(conn, org_id, user_ids) if p.active]
            out = await ooo.out_on(conn, org_id, [p.id for p in people], thread.thread_date)
            sent = await existing_keys(conn, org_id, [checkin_key(org_id, p.id, thread.thread_date) for p in people])
            for p in people:
                key = checkin_key(org_id, p.id, thread.thread_date)
                if p.id in out or key in sent:
                    continue
                day = rules.personal_day(thread.thread_date, thread.started_at, rhythm, p.timezone)
                if not day.checkin_due(now):
                    continue
                held = await quiet_hours_end(conn, org_id, p.slack_id, now)
                if held is not None and held >= day.close_at:
                    counts["quiet"] += 1
                    continue
                items = [i for i in await standup_plan.plan_of(conn, org_id, p.id, thread.thread_date) if i.closed_at is None]
                if not items:
                    continue
                text, blocks = render.eod_checkin(thread.thread_date, items)
                if await notify(conn, organization_id=org_id, kind="standup.eod_checkin", dedupe_key=key, text=text,
                                blocks=blocks, targets=[Target.dm(p.slack_id)], now=now, user_id=p.id):
                    counts["checkins"] += 1
    return counts


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, checkins_for_org)
