"""morning-thread (F4): on workdays at the organization's morning time, post the day's thread.

Ticks every minute. Per organization: due only on a workday (not a holiday) between the morning
time and the end of day in the organization's timezone (the people calendar's thread_due), so a
restart at 09:07 still posts the 09:00 thread and nothing is posted at 18:00. People whose day for
the thread is covered by an absence (their own date for it, with local time on) are listed as out. One thread per organization, channel and date: the
morning_threads row is claimed (unique) in the same transaction that queues the post, so two
processes, a re-run or `steward jobs run morning-thread` never post twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks import standup as render
from bot.deps import Deps
from bot.log import get_logger
from bot.services import calendar, ooo, standup_plan, standup_settings, standup_threads
from bot.services.notifications import Target, notify
from db.repos import users as user_repo
from jobs import day_close
from jobs.common import channel_members, for_each_org

log = get_logger(__name__)


async def _sandbox_channel(deps: Deps, org_id: int) -> bool:
    """In the sandbox, the demo's #standup is the standup channel until an admin picks another."""
    if not deps.extras.get("sandbox"):
        return False
    page = await deps.slack_for(org_id).conversations_list(types="public_channel", exclude_archived=True, limit=200)
    channel = next((c["id"] for c in page.get("channels") or [] if c.get("name") == "standup"), None)
    if channel is None:
        return False
    async with deps.pool.connection() as conn:
        return await standup_settings.set_default_channel(conn, org_id, channel)


async def post_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
    channel = rhythm.standup_channel_id
    if channel is None and await _sandbox_channel(deps, org_id):
        async with deps.pool.connection() as conn:
            rhythm = await standup_settings.rhythm_of(conn, org_id)
        channel = rhythm.standup_channel_id
    if not channel:
        return {"skipped": "no standup channel: an admin can set one with `/steward standup channel #name`"}
    day = calendar.thread_due(now, rhythm)
    if day is None:
        local = calendar.local_date(now, rhythm.timezone)
        nxt = calendar.next_thread_at(now, rhythm)
        why = ("holiday" if local in rhythm.holidays else "not a workday" if not calendar.is_workday(local, rhythm)
               else "outside the morning window")
        return {"skipped": why, "next": nxt.isoformat() if nxt else None}
    async with deps.pool.connection() as conn:
        await standup_threads.sync_posted(conn, org_id)
        if await standup_threads.thread_exists(conn, org_id, channel, day):
            return {"skipped": "already posted", "date": day.isoformat()}
    # Close any day whose time has come first, so the listing never shows stale carry counts.
    await day_close.close_for_org(deps, org_id, now, rhythm=rhythm)
    try:
        members = await channel_members(deps, org_id, channel)
    except SlackApiError as exc:
        error = (exc.response or {}).get("error") if exc.response is not None else str(exc)
        log.error("standup_channel_unreadable", organization_id=org_id, channel=channel, error=error)
        return {"skipped": f"can't read the standup channel's members ({error}); invite me to <#{channel}>"}
    async with deps.pool.connection() as conn, conn.transaction():
        people = await user_repo.users_by_slack_ids(conn, org_id, members)
        known = await ooo.people(conn, org_id, people, day)
        their_days = {p.id: calendar.day_for(rhythm, known[p.id], day, now) for p in people}
        out = {pid: d.absence for pid, d in their_days.items() if not d.expected}  # who is away today, and why
        out_ids = set(out)
        thread_id = await standup_threads.create_thread(conn, org_id, channel, day, [p.id for p in people], now)
        if thread_id is None:
            return {"skipped": "already posted", "date": day.isoformat()}
        present = [p for p in people if p.id not in out_ids]
        await standup_plan.seed_carried(conn, org_id, day, [p.id for p in present])
        open_tasks = await standup_plan.open_tasks_of(conn, org_id, [p.id for p in present])
        text, blocks = render.thread_message(day, [(p, open_tasks.get(p.id, [])) for p in present],
                                             [(p, out[p.id]) for p in people if p.id in out_ids])
        await notify(conn, organization_id=org_id, kind=standup_threads.THREAD_KIND, dedupe_key=standup_threads.thread_dedupe_key(org_id, channel, day),
                     text=text, blocks=blocks, targets=[Target.channel(channel)], now=now)
    log.info("morning_thread_queued", organization_id=org_id, date=day.isoformat(), participants=len(people), out=len(out_ids))
    return {"thread": day.isoformat(), "thread_id": thread_id, "participants": len(people), "out_of_office": len(out_ids)}


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, post_for_org)
