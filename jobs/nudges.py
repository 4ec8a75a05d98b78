"""nudges (F4): a DM to each participant who has not replied by their nudge time, then one DM per thread to
each manager naming their reports who are still missing.

Ticks every minute over the recent threads; every time comes from the people calendar
(bot/services/calendar.py). A person is nudged for a thread once, at the first instant from their nudge
time at which they can be reached (not in their quiet hours, not on their weekend, a holiday or leave),
when that comes before their check-in; otherwise not at all. A manager's summary goes at their summary
instant for the thread (in their own day: see calendar.summary_at) once they can be reached, and names
every report whose own summary instant has passed since the manager's previous summary and who has not
replied: each missing report is named once, in one summary. People out on their day are neither nudged
nor counted missing; a manager out on theirs gets no summary. Each nudge and summary is a notification
with a dedupe key (thread and person), so it goes out once whatever runs the job, however often.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import calendar, standup_settings, standup_threads
from bot.services.notifications import Target, existing_keys, notify
from bot.services.standup_threads import MorningThread
from db.rows import User
from jobs.common import Team, for_each_org, load_team, since


def nudge_key(org_id: int, thread_id: int, user_id: int) -> str:
    return f"standup.nudge:{org_id}:{thread_id}:{user_id}"


def summary_key(org_id: int, thread_id: int, manager_id: int) -> str:
    return f"standup.summary:{org_id}:{thread_id}:{manager_id}"


@dataclass
class _Slot:
    """One manager's summary for one thread: when it goes, and which (report, thread) pairs it names."""

    thread: MorningThread
    at: datetime
    pairs: list[tuple[int, MorningThread]] = field(default_factory=list)


def summary_slots(team: Team, manager_id: int, reports: list[int], threads: list[MorningThread]) -> list[_Slot]:
    """The manager's summaries over ``threads`` (date order) and what each names (see calendar.summary_at
    and calendar.summary_slot). Pure given the team."""
    slots: list[_Slot] = []
    dues: list[tuple[int, MorningThread, datetime]] = []
    for thread in threads:
        mine = []
        for r in reports:
            if r in thread.participant_ids:
                day = team.day_of(r, thread)
                if day.expected:
                    mine.append((r, thread, day.summary_at))
        dues += mine
        slots.append(_Slot(thread, calendar.summary_at(team.day_of(manager_id, thread), [d for _, _, d in mine])))
    times = [(s.thread.thread_date, s.at) for s in slots]
    by_date = {s.thread.thread_date: s for s in slots}
    for r, thread, due in dues:
        slot = calendar.summary_slot(times, thread.thread_date, due)
        if slot is not None:
            by_date[slot].pairs.append((r, thread))
    return slots


async def nudge_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    """Queue the nudges and manager summaries due at ``now`` (aware) for one organization's recent threads;
    returns {"nudges": n, "summaries": n} (what was queued by this run)."""
    counts = {"nudges": 0, "summaries": 0}
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        await standup_threads.sync_posted(conn, org_id)
        threads = [t for t in await standup_threads.recent_threads(conn, org_id, since(now, rhythm)) if t.thread_ts]
        if not threads:
            return counts
        team = await load_team(conn, org_id, rhythm, {u for t in threads for u in t.participant_ids}, now, with_managers=True)
        managers = {u.manager_id for u in team.users.values() if u.manager_id is not None and u.active}
        submitted = await standup_threads.submitters_of(conn, org_id, [t.id for t in threads])
        domain = await standup_threads.team_domain(conn, org_id)
        keys = [nudge_key(org_id, t.id, u) for t in threads for u in t.participant_ids]
        keys += [summary_key(org_id, t.id, m) for t in threads for m in managers]
        sent = await existing_keys(conn, org_id, keys)

        for thread in threads:
            link = standup_threads.permalink(domain, thread.channel_id, thread.thread_ts)
            nudged = 0
            for user_id in thread.participant_ids:
                user = team.users.get(user_id)
                key = nudge_key(org_id, thread.id, user_id)
                if user is None or not user.active or key in sent or user_id in submitted[thread.id]:
                    continue
                day = team.day_of(user_id, thread)
                at = calendar.nudge_time(rhythm, team.person(user_id), day)
                if at is None or not at <= now < day.checkin_at:
                    continue
                text, blocks = render.nudge(user, thread.channel_id, link, thread.thread_date, day.day)
                if await notify(conn, organization_id=org_id, kind="standup.nudge", dedupe_key=key, text=text, blocks=blocks,
                                targets=[Target.dm(user.slack_id)], now=now, user_id=user.id):
                    nudged += 1
            if nudged:
                await standup_threads.mark_nudged(conn, thread, now)
            counts["nudges"] += nudged

        for manager_id in sorted(managers):
            manager = team.users.get(manager_id)
            if manager is None or not manager.active:
                continue
            reports = sorted(u.id for u in team.users.values() if u.manager_id == manager_id and u.active)
            for slot in summary_slots(team, manager_id, reports, threads):
                key = summary_key(org_id, slot.thread.id, manager_id)
                if key in sent or not slot.pairs:
                    continue
                if await _summarise(conn, org_id, team, manager, slot, submitted, now, key):
                    await standup_threads.mark_summarised(conn, slot.thread, now)
                    counts["summaries"] += 1
    return counts


async def _summarise(conn: Any, org_id: int, team: Team, manager: User, slot: _Slot, submitted: dict[int, set[int]],
                     now: datetime, key: str) -> bool:
    """Queue one manager summary when it is due now and someone it names is still missing."""
    mday = team.day_of(manager.id, slot.thread)
    if not mday.expected:
        return False
    at = calendar.reachable_from(team.rhythm, team.person(manager.id), slot.at, before=mday.next_start)
    if at is None or not at <= now < mday.next_start:
        return False
    missing = [(r, t) for r, t in slot.pairs if r not in submitted.get(t.id, set())]
    if not missing:
        return False
    reports = [u for u in team.users.values() if u.manager_id == manager.id and u.active and u.id in slot.thread.participant_ids]
    out = [u for u in reports if not team.day_of(u.id, slot.thread).expected]
    today = [team.users[r] for r, t in missing if t.id == slot.thread.id]
    earlier: dict[date, list[User]] = {}
    for r, t in missing:
        if t.id != slot.thread.id:
            earlier.setdefault(t.thread_date, []).append(team.users[r])
    # Counted here: the reports this summary is for (their summary instant came by it). Those whose day for
    # the thread comes later (far east, `local on`) are counted, or named, in the manager's next summary.
    counted = {r for r, t in slot.pairs if t.id == slot.thread.id}
    replied = sum(1 for r in counted if r in submitted.get(slot.thread.id, set()))
    later = [u for u in reports if u not in out and u.id not in counted]
    text, blocks = render.manager_summary(today, out, replied, len(counted), slot.thread.thread_date, slot.thread.channel_id,
                                          earlier=sorted(earlier.items()), later=later)
    return bool(await notify(conn, organization_id=org_id, kind="standup.manager_summary", dedupe_key=key, text=text,
                             blocks=blocks, targets=[Target.dm(manager.slack_id)], now=now, user_id=manager.id))


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, nudge_for_org)
