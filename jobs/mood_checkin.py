"""mood-checkin (F8): when the organization turned it on, a DM with five mood buttons at the mood
check-in time on workdays (the organization's clock, or each person's with local time on), as the
people calendar places it (calendar.mood_day: moved before their quiet hours like a check-in, sent once
they can be reached, and only until that day's midnight: a mood for a past day is not asked).

Ticks every minute; once per person and day (dedupe key); not to people out of office that day
or who already answered (`/mood`). Who gets it: the people of the latest morning thread, or every
active person when there is no standup yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks import mood as render
from bot.deps import Deps
from bot.services import calendar, mood, ooo, standup_settings, standup_threads
from bot.services.notifications import Target, existing_keys, notify
from db.repos import users as user_repo
from jobs.common import for_each_org


def checkin_key(org_id: int, user_id: int, day: Any) -> str:
    return f"mood.checkin:{org_id}:{user_id}:{day.isoformat()}"


async def checkins_for_org(deps: Deps, org_id: int, now: datetime) -> dict[str, Any]:
    counts = {"checkins": 0}
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org_id)
        if not rhythm.mood_checkin_enabled:
            return {"skipped": "mood check-in is off (`/steward standup mood on`)"}
        today = calendar.local_date(now, rhythm.timezone)
        threads = await standup_threads.recent_threads(conn, org_id, today.replace(day=1))
        if threads:
            people = [p for p in await user_repo.users_by_ids(conn, org_id, threads[-1].participant_ids) if p.active]
        else:
            people = await user_repo.active_users(conn, org_id)
        # Absences only ever take a day away: read them for those whose mood time has come.
        people = [p for p in people if calendar.mood_day(rhythm, calendar.Person(p.timezone), now) is not None]
        known = await ooo.people(conn, org_id, people, today) if people else {}
        due = {p.id: calendar.mood_day(rhythm, known[p.id], now) for p in people}
        people = [p for p in people if due[p.id] is not None]
        sent = await existing_keys(conn, org_id, [checkin_key(org_id, p.id, due[p.id]) for p in people])
        for p in people:
            day = due[p.id]
            assert day is not None
            key = checkin_key(org_id, p.id, day)
            if key in sent or await mood.of_day(conn, org_id, p.id, day):
                continue
            text, blocks = render.checkin(day)
            if await notify(conn, organization_id=org_id, kind="mood.checkin", dedupe_key=key, text=text, blocks=blocks,
                            targets=[Target.dm(p.slack_id)], now=now, user_id=p.id):
                counts["checkins"] += 1
    return counts


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, checkins_for_org)
