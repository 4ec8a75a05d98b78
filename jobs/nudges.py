"""nudges (F4): a DM to each participant who has not replied after the nudge delay, then one DM to
each manager naming their reports who are still missing after the summary delay.

Ticks every minute over the recent posted threads. Each nudge and summary is a notification with
a dedupe key (thread and person), so it goes out once whatever runs the job, however often.
People out of office that day are neither nudged nor counted missing. A nudge that quiet hours
would hold past the person's end of day is skipped (it would arrive after the point).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import ooo, standup_settings, standup_threads
from bot.services import rhythm as rules
from bot.services.notifications import Target, existing_keys, notify, quiet_hours_end
from bot.services.rhythm import Rhythm
from db.repos import users as user_repo
from db.rows import User
from jobs.common import for_each_org

LOOKBACK_DAYS = 3


def nudge_key(org_id: int, thread_id: int, user_id: int) -> str:
    return f"standup.nudge:{org_id}:{thread_id}:{user_id}"


def summary_key(org_id: int, thread_id: int, manager_id: int) -> str:
    return f"standup.summary:{org_id}:{thread_id}:{manager_id}"


async def nudge_thread(deps: Deps, org_id: int, rhythm: Rhythm, thread: standup_threads.MorningThread, now: datetime,
                       link: str | None) -> dict[str, int]:
    counts = {"nudges": 0, "summaries": 0, "quiet": 0}
    async with deps.pool.connection() as conn:
        people = [p for p in await user_repo.users_by_ids(conn, org_id, thread.participant_ids) if p.active]
        submitted = await standup_threads.submitter_ids(conn, thread)
        out = await ooo.out_on(conn, org_id, [p.id for p in people], thread.thread_date)
        expected = [p for p in people if p.id not in out]
        missing = [p for p in expected if p.id not in submitted]
        days = {p.id: rules.personal_day(thread.thread_date, thread.started_at, rhythm, p.timezone) for p in people}
        keys = [nudge_key(org_id, thread.id, p.id) for p in missing]
        by_manager: dict[int, list[User]] = {}
        for p in people:
            if p.manager_id is not None:
                by_manager.setdefault(p.manager_id, []).append(p)
        keys += [summary_key(org_id, thread.id, m) for m in by_manager]
        sent = await existing_keys(conn, org_id, keys)
        managers = {m.id: m for m in await user_repo.users_by_ids(conn, org_id, list(by_manager)) if m.active}

        for p in missing:
            key, day = nudge_key(org_id, thread.id, p.id), days[p.id]
            if key in sent or not day.nudge_due(now):
                continue
            held = await quiet_hours_end(conn, org_id, p.slack_id, now)
            if held is not None and held >= day.checkin_at:
                counts["quiet"] += 1
                continue
            text, blocks = render.nudge(p, thread.channel_id, link, thread.thread_date)
            if await notify(conn, organization_id=org_id, kind="standup.nudge", dedupe_key=key, text=text, blocks=blocks,
                            targets=[Target.dm(p.slack_id)], now=now, user_id=p.id):
                counts["nudges"] += 1

        for manager_id, reports in by_manager.items():
            manager = managers.get(manager_id)
            key = summary_key(org_id, thread.id, manager_id)
            if manager is None or key in sent:
                continue
            present = [r for r in reports if r.id not in out]
            absent = [r for r in present if r.id not in submitted]
            if not absent:
                continue
            due = max(days[r.id].summary_at for r in present)
            close = min(days[r.id].close_at for r in present)
            if not due <= now < close:
                continue
            held = await quiet_hours_end(conn, org_id, manager.slack_id, now)
            if held is not None and held >= close:
                counts["quiet"] += 1
                continue
            text, blocks = render.manager_summary(absent, [r for r in reports if r.id in out], len(present) - len(absent),
                                                  len(present), thread.thread_date, thread.channel_id)
            if await notify(conn, organization_id=org_id, kind="standup.manager_summary", dedupe_key=key, text=text,
                            blocks=blocks, targets=[Target.dm(manager.slack_id)], now=now, user_id=manager.id):
                counts["summaries"] += 1
        if counts["nudges"]:
            await standup_threads.mark_nudged(conn, thread, now)
        if counts["summaries"]:
            await standup_threads.mark_summarised(conn, thread, now)
    return counts


async def nudge_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        await standup_threads.sync_posted(conn, org_id)
        since = rules.local_date(now, rhythm.timezone) - timedelta(days=LOOKBACK_DAYS)
        threads = [t for t in await standup_threads.recent_threads(conn, org_id, since) if t.status == "posted"]
        domain = await standup_threads.team_domain(conn, org_id) if threads else None
    totals = {"nudges": 0, "summaries": 0, "quiet": 0}
    for thread in threads:
        counts = await nudge_thread(deps, org_id, rhythm, thread, now, standup_threads.permalink(domain, thread.channel_id, thread.thread_ts))
        for k, v in counts.items():
            totals[k] += v
    return totals


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, nudge_for_org)
