"""Automatic recognition (SPEC F7; issue 14, "Recognition"): the job `reinforcement` notices, from data Steward
already has, what deserves a word of thanks, and tells the person once, by a short DM.

  * **Streaks**: an update on every workday the person was asked, for :data:`STREAKS` (5, 10, 20) such days in a
    row. "Asked" is :mod:`bot.services.attendance`'s (the thread was posted, they were on it, they were working):
    a holiday, their leave, their weekend or a day Steward posted no thread neither counts nor breaks a streak; an
    asked day without their update breaks it. Only closed days are read (their day's midnight has passed).
  * **Milestones**: their 10th, 50th and 100th task done (:data:`TASK_MILESTONES`); a week (Monday to Sunday, the
    team's dates) in which every task they planned closed done or dropped, none carried forward, with at least one
    done, once all its days have closed; a blocker they resolved for someone else.

Each recognition is one ``reinforcements`` row (kind ``streak`` or ``milestone``, ``from_user_id`` NULL) under a
dedupe key, and its DM goes through the one notification path (:func:`bot.services.notifications.notify`) in the
same transaction: exactly once, held through quiet hours, and until the person can next be reached (their
weekend, a holiday, their leave: :func:`bot.services.calendar.reachable_from`). When several thresholds of one kind
were passed since the last run (a streak of 12 read for the first time), only the highest is said. Recognition of
something more than :data:`FRESH` old is not sent (a Steward that was down for a week sends no pile of old praise);
the run counts what it skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.services import attendance, calendar, standup_settings
from bot.services.attendance import DayRecord
from bot.services.notifications import Target, notify
from db.queries import Q
from db.repos.users import active_users
from db.rows import User

STREAKS = (5, 10, 20)
"""Days in a row with an update, on every day the person was asked, that are recognised (issue 14)."""
TASK_MILESTONES = (10, 50, 100)
"""Tasks done that are recognised: the 10th, 50th and 100th (issue 14)."""
FRESH = timedelta(days=3)
"""How old a streak's or milestone's moment may be and still be told: past that, it is skipped (and counted)."""
LOOKBACK = timedelta(days=70)
"""Team dates read for streaks: ten weeks hold 20 asked days even around a fortnight's leave. A streak that runs
unbroken past the window's start (with threads before it) is not told: its start is unknown, and it was told when
it was reached."""
KIND_STREAK = "recognition.streak"
KIND_MILESTONE = "recognition.milestone"


@dataclass(frozen=True)
class Streak:
    """A person's current streak: ``days`` (the asked days with an update, oldest first, ending at their latest
    closed asked day) and whether it is ``complete`` (broken by a miss, or starting where their history starts)."""

    days: tuple[date, ...]
    complete: bool

    def reached(self) -> tuple[int, date] | None:
        """The highest of :data:`STREAKS` this streak reached and the day it did, or None."""
        passed = [n for n in STREAKS if len(self.days) >= n]
        return (passed[-1], self.days[passed[-1] - 1]) if passed else None


def streak_of(records: Sequence[DayRecord], now: datetime, *, asked_from: date | None = None) -> Streak:
    """Pure: one person's streak as of ``now`` (aware) from their attendance records (date order). Days not yet
    closed are left out; days they were not asked neither count nor break it; an asked day without an update
    breaks it. ``asked_from``: the first date anyone was asked (the first thread), if known. ``complete`` is False
    when the streak runs unbroken to the first record and the records start after ``asked_from`` (it may have
    started before them)."""
    days: list[date] = []
    for record in reversed(records):
        if record.closes_at > now or not record.asked:
            continue
        if not record.updated:
            return Streak(tuple(reversed(days)), True)
        days.append(record.day)
    whole = asked_from is not None and bool(records) and asked_from >= records[0].day
    return Streak(tuple(reversed(days)), whole)


def task_milestone(done: int) -> int | None:
    """The highest of :data:`TASK_MILESTONES` that ``done`` tasks reached, or None."""
    passed = [n for n in TASK_MILESTONES if done >= n]
    return passed[-1] if passed else None


@dataclass
class _Run:
    """What one organization's run did (the job's result)."""

    org_id: int
    now: datetime
    rhythm: calendar.Rhythm
    people: dict[int, calendar.Person]
    result: dict[str, int]

    async def fresh(self, conn: psycopg.AsyncConnection, when: datetime, key: str) -> bool:
        """Whether a recognition earned at ``when`` may still be told; one too old counts as ``stale`` only when
        it was never told (its ``key`` unused): one told before is not a recognition skipped."""
        if when >= self.now - FRESH:
            return True
        told = await (await conn.execute(Q["reinforcement_keys"], {"organization_id": self.org_id,
                                                                   "keys": [key]})).fetchone()
        if told is None:
            self.result["stale"] += 1
        return False


async def _recognise(conn: psycopg.AsyncConnection, run: _Run, person: User, *, kind: str, key: str, reason: str,
                     details: dict[str, Any]) -> bool:
    """One recognition, once per ``key``: its row and its DM (held until they can be reached). False when it was
    told before, or the person cannot be reached in the people calendar's horizon (counted, nothing written)."""
    from bot.blocks import recognition as render

    calendar_person = run.people.get(person.id) or calendar.Person(timezone=person.timezone)
    reach = calendar.reachable_from(run.rhythm, calendar_person, run.now)
    if reach is None:
        run.result["unreachable"] += 1
        return False
    text = render.reinforcement_text(kind, details)
    async with conn.transaction():
        row = await (await conn.execute(Q["reinforcement_insert"], {
            "organization_id": run.org_id, "user_id": person.id, "from_user_id": None, "kind": kind, "reason": reason,
            "details": Jsonb(details), "dedupe_key": key, "channel_id": None, "now": run.now})).fetchone()
        if row is None:
            return False
        await notify(conn, organization_id=run.org_id, kind=KIND_STREAK if kind == "streak" else KIND_MILESTONE,
                     dedupe_key=f"reinforcement:{run.org_id}:{key}", text=text, targets=[Target.dm(person.slack_id)],
                     now=run.now, user_id=person.id, hold_until=reach,
                     blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    run.result["streaks" if kind == "streak" else "milestones"] += 1
    return True


async def recognise_for_org(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> dict[str, int]:
    """One organization's run at ``now`` (aware): streaks, tasks-done milestones, clean weeks and blockers resolved
    for others, each told once (module doc). Returns counts: ``streaks``, ``milestones`` told, ``stale`` skipped
    as too old and never told, ``unreachable`` people who cannot be reached."""
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    people = [u for u in await active_users(conn, org_id)]
    result = {"streaks": 0, "milestones": 0, "stale": 0, "unreachable": 0}
    if not people:
        return result
    ids = [u.id for u in people]
    today = calendar.local_date(now, rhythm.timezone)
    calendar_people = await attendance.people(conn, org_id, ids, today, today + calendar.REACH_HORIZON)
    run = _Run(org_id, now, rhythm, calendar_people, result)
    by_id = {u.id: u for u in people}

    first = await (await conn.execute(Q["reinforcement_first_thread"], {"organization_id": org_id})).fetchone()
    asked_from = first[0] if first else None
    records = await attendance.asked_days(conn, org_id, ids, today - LOOKBACK, today, rhythm=rhythm)
    for user_id, days in records.items():
        streak = streak_of(days, now, asked_from=asked_from)
        reached = streak.reached() if streak.complete else None
        if reached is None:
            continue
        n, day = reached
        closed = next(r.closes_at for r in days if r.day == day)
        key = f"streak:{user_id}:{n}:{day.isoformat()}"
        if await run.fresh(conn, closed, key):
            await _recognise(conn, run, by_id[user_id], kind="streak", key=key,
                             reason=f"{n} workdays in a row with an update",
                             details={"what": "streak", "days": n, "since": streak.days[0].isoformat(),
                                      "until": day.isoformat()})

    for user_id, done, *done_at in await (await conn.execute(Q["reinforcement_tasks_done"], {
            "organization_id": org_id, "user_ids": ids})).fetchall():
        n_done = task_milestone(int(done))
        when = dict(zip(TASK_MILESTONES, done_at, strict=True)).get(n_done or 0)
        key = f"tasks_done:{user_id}:{n_done}"
        if n_done is not None and int(user_id) in by_id and when is not None and await run.fresh(conn, when, key):
            await _recognise(conn, run, by_id[int(user_id)], kind="milestone", key=key,
                             reason=f"{n_done} tasks done", details={"what": "tasks_done", "count": n_done})

    monday = today - timedelta(days=today.weekday() + 7)  # the last complete week (Monday to Sunday)
    sunday = monday + timedelta(days=6)
    for user_id, closed_n, carried, done_n, still_open in await (await conn.execute(Q["reinforcement_week"], {
            "organization_id": org_id, "user_ids": ids, "monday": monday, "sunday": sunday})).fetchall():
        if closed_n and not carried and done_n and not still_open and int(user_id) in by_id:
            await _recognise(conn, run, by_id[int(user_id)], kind="milestone",
                             key=f"clean_week:{user_id}:{monday.isoformat()}", reason="a week with nothing carried over",
                             details={"what": "clean_week", "week": monday.isoformat(), "done": int(done_n)})

    for blocker_id, resolver, _blocked, blocked_slack, task, description in await (await conn.execute(
            Q["reinforcement_blockers_resolved"], {"organization_id": org_id, "since": now - FRESH, "until": now})).fetchall():
        if int(resolver) in by_id:
            await _recognise(conn, run, by_id[int(resolver)], kind="milestone", key=f"unblocked:{blocker_id}",
                             reason="resolved a blocker for someone else",
                             details={"what": "blocker_resolved", "blocker": int(blocker_id), "for": blocked_slack,
                                      "task": task, "description": description[:300]})
    return result
