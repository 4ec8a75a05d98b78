"""The year sweep (issue 10, "Done when"): a team over New York, London, Berlin and Kolkata lives through its
days in both modes (team time, `local on`) through the real jobs (morning-thread, nudges, end-of-day,
day-close, mood-checkin), the real notification dispatcher, the real reply path (the listener's
handle_update) and the real check-in answers, against a real PostgreSQL and the Slack emulator.

The clock is a parameter: every job runs every hour on the half hour, UTC (the scheduler's minute ticks are
a superset), the dispatcher delivers what is due at each tick, and nobody sleeps. People reply on time,
late or not at all, take leave, and answer or ignore their check-ins, by a fixed pseudo-random draw.

Checked at the end from what Steward stored and what reached Slack, not from the people calendar:
  * one thread per team workday, none on weekends or holidays;
  * no DM (nudge, manager summary, check-in, mood) reaches anyone in their quiet hours (20:00-08:00 in their
    own zone), on their weekend, on an organization holiday or on their leave (their own dates), and nobody
    is nudged for a thread they had replied to;
  * each manager gets at most one summary per thread, names nobody who had replied, and every report who
    never replied to a thread they were expected on is named to their manager exactly once;
  * every planned task is closed exactly once, never before its check-in reached its owner, and a check-in
    answered within half an hour always counts;
  * every person gets exactly one recap of each closed day they had a plan for (its counts those of the
    close), none of a day without one; every manager at most one team recap per day, exactly one when a
    report had a plan and the manager was not on leave, queued only after every report's day closed, naming
    only their reports (the rule above on bad moments covers recaps too).

CI walks two windows around the DST changes (US 8 March and 1 November, EU 29 March and 25 October; Good
Friday a holiday), eight weeks; STEWARD_SWEEP_FULL=1 walks the whole year, 5 January 2026 to 3 January 2027:
    STEWARD_SWEEP_FULL=1 python -m pytest -q -p no:cacheprovider tests/jobs/test_year_sweep.py
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time as wallclock
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.ai import AI
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.emulators.slack import SlackEmulator
from bot.listeners.updates import Written, handle_update
from bot.services import calendar, ooo, standup_plan, standup_threads, workspace
from bot.services.notifications import Dispatcher
from bot.settings import Settings
from db.pool import open_pool
from db.repos import users as user_repo
from jobs import day_close, end_of_day, mood_checkin, morning_thread, nudges
from tests.conftest import create_database, drop_database

FULL = os.environ.get("STEWARD_SWEEP_FULL") == "1"
# (first Monday, last day) of each window; the jobs keep ticking TAIL days after it so held notices land (with local
# time on, a Kolkata teammate's day for New York's Thursday thread before Good Friday is their Monday, and its recap
# reaches them on Tuesday morning).
WINDOWS = [(date(2026, 1, 5), date(2027, 1, 3))] if FULL else [(date(2026, 3, 2), date(2026, 4, 5)), (date(2026, 10, 19), date(2026, 11, 8))]
TAIL = timedelta(days=2)
HOLIDAYS = [date(2026, 1, 19), date(2026, 4, 3), date(2026, 5, 25), date(2026, 7, 3), date(2026, 9, 7), date(2026, 11, 26),
            date(2026, 12, 25), date(2027, 1, 1)]
TEAM, CHANNEL = "T0SWEEP", "C0STANDUP"


@dataclass(frozen=True)
class Member:
    slack_id: str
    name: str
    tz: str
    manager: str | None
    leave: tuple[tuple[date, date], ...] = ()


def _d(month: int, day: int) -> date:
    return date(2026, month, day)


PEOPLE = [
    Member("U0MAYA", "Maya", "America/New_York", "U0GRETA", ((_d(3, 16), _d(3, 20)), (_d(8, 10), _d(8, 21)), (_d(11, 2), _d(11, 3)))),
    Member("U0DIEGO", "Diego", "America/New_York", "U0MAYA", ((_d(3, 2), _d(3, 2)), (_d(7, 6), _d(7, 10)), (_d(12, 28), _d(12, 31)))),
    Member("U0SAM", "Sam", "Europe/London", "U0MAYA", ((_d(3, 9), _d(3, 13)), (_d(5, 26), _d(5, 29)), (_d(10, 26), _d(10, 30)))),
    Member("U0PRIYA", "Priya", "Asia/Kolkata", "U0MAYA", ((_d(3, 23), _d(3, 27)), (_d(9, 14), _d(9, 18)), (_d(11, 9), _d(11, 9)))),
    Member("U0GRETA", "Greta", "Europe/Berlin", None, ((_d(3, 30), _d(4, 2)), (_d(6, 1), _d(6, 12)), (_d(12, 21), _d(12, 24)))),
    Member("U0ARJUN", "Arjun", "Asia/Kolkata", "U0GRETA", ((_d(3, 6), _d(3, 6)), (_d(10, 23), _d(10, 23)), (_d(12, 31), date(2027, 1, 1)))),
]
BY_SLACK = {m.slack_id: m for m in PEOPLE}


def on_leave(member: Member, day: date) -> bool:
    return any(a <= day <= b for a, b in member.leave)


def draw(*key: Any) -> float:
    return random.Random("|".join(map(str, key))).random()


@dataclass
class World:
    """The running sweep: the Steward side (deps, dispatcher), the people, and what they did."""

    deps: Deps
    emulator: SlackEmulator
    dispatcher: Dispatcher
    clock: FrozenClock
    org: Any
    users: dict[str, Any]  # slack id -> User
    rhythm: calendar.Rhythm
    replied: dict[tuple[str, int], datetime] = field(default_factory=dict)  # (slack id, thread id) -> when
    agenda: list[tuple[datetime, str, tuple[Any, ...]]] = field(default_factory=list)
    seen_threads: set[int] = field(default_factory=set)
    seen_checkins: set[int] = field(default_factory=set)
    answered: list[tuple[str, date, datetime]] = field(default_factory=list)
    counter: int = 0

    def person(self, member: Member) -> calendar.Person:
        return calendar.Person(member.tz, tuple(calendar.Absence(a, b) for a, b in member.leave))


def new_emulator() -> SlackEmulator:
    emu = SlackEmulator(team_id=TEAM, team_name="Sweep Agency", ack_timeout=3.0)
    for m in PEOPLE:
        emu.add_user(m.slack_id, m.name.lower(), f"{m.name} Example", email=f"{m.name.lower()}@sweep.test", tz=m.tz,
                     is_owner=m.slack_id == "U0GRETA")
    emu.add_channel(CHANNEL, "standup", members=[*(m.slack_id for m in PEOPLE), emu.bot_user_id])
    return emu


@asynccontextmanager
async def running_world(pg: Any, tmp_path: Path, local: bool) -> AsyncIterator[World]:
    """A fresh database (from the migrated template), its pool, a Slack emulator and the World on them."""
    name = create_database(pg)
    pool = await open_pool(pg.dsn(name), min_size=1, max_size=4, name=f"sweep-{local}")
    emulator = new_emulator()
    await emulator.start()
    try:
        yield await make_world(emulator, pool, tmp_path, local)
    finally:
        await emulator.stop()
        await pool.close()
        drop_database(pg, name)


async def make_world(emulator: SlackEmulator, pool: Any, tmp_path: Path, local: bool) -> World:
    """Steward's side on ``pool`` (workspace synced from the emulator, the rhythm set, managers, leave) and the
    people; ``local``: `local on`."""
    settings = Settings.from_env({"SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_APP_TOKEN": emulator.app_token,
                                  "SLACK_API_URL": emulator.api_url, "STEWARD_DATA_DIR": str(tmp_path)})
    clock = FrozenClock(at=datetime.combine(WINDOWS[0][0] - timedelta(days=1), time(12), tzinfo=UTC))
    client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    deps = Deps(settings=settings, pool=pool, clock=clock, slack=client, ai=AI.from_settings(settings))
    async with pool.connection() as conn:
        await workspace.sync_workspace(conn, client, admins=(), now=clock.now())
        org = await user_repo.org_by_team(conn, TEAM)
        assert org is not None
        await conn.execute(
            "UPDATE org_settings SET standup_channel_id = %s, timezone = 'America/New_York', morning_time = '09:00', "
            "end_of_day_time = '17:30', nudge_delay_minutes = 60, manager_summary_delay_minutes = 120, workdays = '{1,2,3,4,5}', "
            "holidays = %s, use_member_local_time = %s, mood_checkin_enabled = true, mood_checkin_time = '16:30' "
            "WHERE organization_id = %s", (CHANNEL, HOLIDAYS, local, org.id))
        users = {m.slack_id: await user_repo.user_by_slack_id(conn, org.id, m.slack_id) for m in PEOPLE}
        for m in PEOPLE:
            if m.manager:
                await conn.execute("UPDATE users SET manager_id = %s WHERE id = %s", (users[m.manager].id, users[m.slack_id].id))
            for a, b in m.leave:
                await ooo.record(conn, org.id, users[m.slack_id], a, b, "vacation", source="manual", now=clock.now())
        users = {m.slack_id: await user_repo.user_by_slack_id(conn, org.id, m.slack_id) for m in PEOPLE}
        rhythm = await standup_settings_of(conn, org.id)
    return World(deps, emulator, Dispatcher(pool, client, clock), clock, org, users, rhythm)


async def standup_settings_of(conn: Any, org_id: int) -> calendar.Rhythm:
    from bot.services import standup_settings

    return await standup_settings.rhythm_of(conn, org_id)


# ---------------------------------------------------------------- people

async def people_react(world: World) -> None:
    """After a tick: new threads get replies scheduled, newly delivered check-ins get answers scheduled."""
    now = world.clock.now()
    async with world.deps.pool.connection() as conn:
        await standup_threads.sync_posted(conn, world.org.id)  # the dispatcher just posted it
        threads = await standup_threads.recent_threads(conn, world.org.id, now.date() - timedelta(days=3))
        fresh = [t for t in threads if t.thread_ts and t.id not in world.seen_threads]
        checkins = await (await conn.execute(
            "SELECT d.id, n.dedupe_key, d.sent_at FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id "
            "WHERE n.kind = 'standup.eod_checkin' AND d.status = 'sent' AND d.sent_at > %s", (now - timedelta(days=1),))).fetchall()
    for thread in fresh:
        world.seen_threads.add(thread.id)
        for member in PEOPLE:
            user = world.users[member.slack_id]
            if user.id not in thread.participant_ids:
                continue
            day = calendar.day_for(world.rhythm, world.person(member), thread.thread_date, thread.started_at)
            roll = draw("reply", member.slack_id, thread.thread_date)
            if not day.expected or roll >= 0.8:
                continue  # out, or never replies
            at = day.start + timedelta(minutes=25) if roll < 0.65 else day.nudge_at + timedelta(minutes=100)
            assert at >= world.clock.now(), (member.name, thread.thread_date, at)
            if at < day.end_of_day:
                world.agenda.append((at, "reply", (member.slack_id, thread.id)))
    for delivery_id, key, sent_at in checkins:
        if delivery_id in world.seen_checkins:
            continue
        world.seen_checkins.add(delivery_id)
        _, _, user_id, day = key.split(":")
        member = next(m for m in PEOPLE if world.users[m.slack_id].id == int(user_id))
        if draw("answer", member.slack_id, day) < 0.6:
            world.agenda.append((sent_at + timedelta(minutes=30), "answer", (member.slack_id, date.fromisoformat(day))))
    world.agenda.sort(key=lambda e: e[0])


async def act(world: World, at: datetime, what: str, args: tuple[Any, ...]) -> None:
    world.clock.at = at
    slack_id = args[0]
    user = world.users[slack_id]
    if what == "reply":
        async with world.deps.pool.connection() as conn:
            thread = await standup_threads.thread_by_id(conn, world.org.id, args[1])
        assert thread is not None
        world.counter += 1
        ts = f"{int(at.timestamp())}.{world.counter:06d}"
        await handle_update(world.deps, world.deps.slack, world.org, thread, user, Written("thread", thread.channel_id, ts),
                            f"Today: write the {thread.thread_date:%d %B} notes for {BY_SLACK[slack_id].name}")
        world.replied[(slack_id, thread.id)] = at
    else:
        day = args[1]
        async with world.deps.pool.connection() as conn:
            items = await standup_plan.plan_of(conn, world.org.id, user.id, day)
            await standup_plan.mark_done(conn, world.org.id, user, day, {i.task_id for i in items}, at)  # raises DayClosed
        world.answered.append((slack_id, day, at))


JOBS = [("morning-thread", morning_thread.run), ("nudges", nudges.run), ("end-of-day", end_of_day.run),
        ("day-close", day_close.run), ("mood-checkin", mood_checkin.run)]


async def tick(world: World, at: datetime, *, threads: bool) -> None:
    while world.agenda and world.agenda[0][0] <= at:
        when, what, args = world.agenda.pop(0)
        await act(world, when, what, args)
    world.clock.at = at
    for name, run in JOBS:
        if name == "morning-thread" and not threads:
            continue
        result = await run(world.deps, at)
        assert all("error" not in r for r in result.values()), (name, at, result)
    while await world.dispatcher.run_once():
        pass
    await people_react(world)


# ---------------------------------------------------------------- the checks

def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(calendar.zone(tz))


def reachable(member: Member, at: datetime) -> str | None:
    """Why ``at`` is a bad moment to ping ``member`` (from the rules as people state them), or None."""
    t = local(at, member.tz)
    if t.time() >= time(20) or t.time() < time(8):
        return f"quiet hours ({t:%a %d %b %H:%M} {member.tz})"
    if t.isoweekday() > 5:
        return f"their weekend ({t:%a %d %b %H:%M})"
    if t.date() in HOLIDAYS:
        return f"a holiday ({t:%d %b})"
    if on_leave(member, t.date()):
        return f"their leave ({t:%d %b})"
    return None


async def check(world: World, windows: list[tuple[date, date]], mode: str) -> dict[str, int]:
    async with world.deps.pool.connection() as conn:
        threads = {t.id: t for t in await standup_threads.recent_threads(conn, world.org.id, date(2000, 1, 1))}
        dms = await (await conn.execute(
            "SELECT n.kind, n.dedupe_key, d.target_id, d.next_attempt_at, d.sent_at, d.status, n.payload "
            "FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id WHERE d.target_type = 'dm' "
            "ORDER BY d.id")).fetchall()
        plan = await (await conn.execute(
            "SELECT p.user_id, p.plan_date, p.task_id, p.closed_at, p.answer, "
            "(SELECT count(*) FROM task_statuses s WHERE s.task_id = p.task_id AND s.status_date = p.plan_date), "
            "(SELECT s.status FROM task_statuses s WHERE s.task_id = p.task_id AND s.status_date = p.plan_date) "
            "FROM day_plan_items p")).fetchall()
    by_id = {u.id: s for s, u in world.users.items()}
    end = datetime.combine(max(b for _, b in windows) + TAIL, time(23, 30), tzinfo=UTC)  # the last tick
    problems: list[str] = []

    # One thread per team workday.
    workdays = {d for a, b in windows for d in (a + timedelta(n) for n in range((b - a).days + 1))
                if d.isoweekday() <= 5 and d not in HOLIDAYS}
    dates = Counter(t.thread_date for t in threads.values())
    if set(dates) != workdays or any(c != 1 for c in dates.values()):
        problems.append(f"threads: missing {sorted(workdays - set(dates))[:5]}, extra {sorted(set(dates) - workdays)[:5]}, "
                        f"doubled {[d for d, c in dates.items() if c > 1][:5]}")

    # No DM at a bad moment; no nudge after a reply.
    for kind, key, target, due, sent, status, _ in dms:
        member = BY_SLACK[target]
        for label, at in (("due", due), ("sent", sent)):
            why = reachable(member, at) if at is not None else None
            if why:
                problems.append(f"{kind} to {member.name} {label} in {why}: {key}")
        if kind == "standup.nudge":
            thread_id = int(key.split(":")[2])
            replied = world.replied.get((target, thread_id))
            if replied is not None and replied <= due:
                problems.append(f"nudge to {member.name} at {due} after their reply at {replied}: {key}")
        if status not in ("sent",) and not (status == "held" and kind in RECAP_KINDS and due > end):
            problems.append(f"{kind} to {member.name} never delivered ({status}): {key}")

    # Manager summaries: one per thread, never naming someone who had replied, every miss named once.
    labels = {f"{t.thread_date:%A} {t.thread_date.day} {t.thread_date:%B}": t for t in threads.values()}
    named: Counter[tuple[str, str, int]] = Counter()
    per_thread: Counter[tuple[str, int]] = Counter()
    for kind, key, target, due, _sent, _status, payload in dms:
        if kind != "standup.manager_summary":
            continue
        per_thread[(target, int(key.split(":")[2]))] += 1
        text = payload["blocks"][0]["text"]["text"]
        for line in text.splitlines():
            m = re.match(r"Standup (\w+ \d+ \w+): ", line)
            if not m:
                continue
            thread = labels[m.group(1)]
            for report in re.findall(r"<@(U\w+)>", line):
                named[(target, report, thread.id)] += 1
                replied = world.replied.get((report, thread.id))
                if replied is not None and replied <= due:
                    problems.append(f"summary to {BY_SLACK[target].name} names {BY_SLACK[report].name} for "
                                    f"{thread.thread_date}, who replied at {replied}")
    problems += [f"{BY_SLACK[m].name} got {n} summaries for thread {t}" for (m, t), n in per_thread.items() if n > 1]
    ends = [b for _, b in windows]
    for thread in threads.values():
        if not any(a <= thread.thread_date <= b - timedelta(days=6) for a, b in windows):
            continue
        for member in PEOPLE:
            if member.manager is None or world.users[member.slack_id].id not in thread.participant_ids:
                continue
            span = [thread.thread_date + timedelta(n) for n in range(-1, 5)]
            if (member.slack_id, thread.id) in world.replied or any(on_leave(member, d) for d in span):
                continue
            if any(on_leave(BY_SLACK[member.manager], d) for d in [*span, *(d + timedelta(2) for d in span)]):
                continue
            n = named[(member.manager, member.slack_id, thread.id)]
            if n != 1:
                problems.append(f"{member.name} missed {thread.thread_date} and was named {n}x to {BY_SLACK[member.manager].name}")
    problems += [f"{BY_SLACK[r].name} named {n}x for thread {t}" for (_, r, t), n in named.items() if n > 1]

    # Every planned task closed once, never before its check-in reached its owner.
    reached = {(int(key.split(":")[2]), date.fromisoformat(key.split(":")[3])): sent
               for kind, key, _, _, sent, _, _ in dms if kind == "standup.eod_checkin"}
    done = {(world.users[s].id, d) for s, d, _ in world.answered}
    for user_id, day, task_id, closed_at, _answer, statuses, status in plan:
        if not any(a <= day <= b for a, b in windows) or day > max(ends) - timedelta(days=4):
            continue
        who = BY_SLACK[by_id[user_id]].name
        if closed_at is None or statuses != 1:
            problems.append(f"{who}'s T{task_id} of {day}: closed {closed_at}, {statuses} statuses")
        asked = reached.get((user_id, day))
        if asked is not None and closed_at is not None and closed_at < asked:
            problems.append(f"{who}'s {day} closed at {closed_at}, before the check-in reached them at {asked}")
        if (user_id, day) in done and status != "done":
            problems.append(f"{who} answered {day}'s check-in but T{task_id} closed {status}")
    problems += recap_problems(world, windows, dms, plan)
    assert not problems, f"{mode}: {len(problems)} problems, first 15:\n" + "\n".join(problems[:15])
    return {"threads": len(threads), "dms": len(dms), "summaries": sum(per_thread.values()), "planned": len(plan),
            "recaps": sum(1 for d in dms if d[0] == day_close.RECAP_KIND),
            "team recaps": sum(1 for d in dms if d[0] == day_close.TEAM_RECAP_KIND),
            "replies": len(world.replied), "answers": len(world.answered), "misses named": sum(named.values())}


RECAP_KINDS = (day_close.RECAP_KIND, day_close.TEAM_RECAP_KIND)
COUNT_WORDS = {"done": "done", "carry_forward": "carried forward", "dropped": "dropped"}


def recap_problems(world: World, windows: list[tuple[date, date]], dms: list[Any], plan: list[Any]) -> list[str]:
    """The recaps' rules (module notes), from the DMs queued and the plans closed."""
    problems: list[str] = []
    org = world.org.id
    by_id = {u.id: s for s, u in world.users.items()}
    last = max(b for _, b in windows) - timedelta(days=4)  # days whose close may fall after the sweep
    statuses: dict[tuple[int, date], Counter[str]] = {}
    closes: dict[tuple[int, date], datetime] = {}
    for user_id, day, _task, closed_at, _answer, _n, status in plan:
        statuses.setdefault((user_id, day), Counter())[status] += 1
        if closed_at is not None:
            closes[(user_id, day)] = max(closed_at, closes.get((user_id, day), closed_at))
    recaps = Counter(key for kind, key, *_ in dms if kind == day_close.RECAP_KIND)
    texts = {key: (target, payload["text"]) for kind, key, target, _, _, _, payload in dms if kind == day_close.RECAP_KIND}
    for (user_id, day), counts in statuses.items():
        key = day_close.recap_key(org, user_id, day)
        who = BY_SLACK[by_id[user_id]]
        if day > last or None in counts:
            continue  # still open at the end, or closed after it
        if recaps[key] != 1:
            problems.append(f"{who.name} got {recaps[key]} recaps of {day}")
            continue
        target, text = texts[key]
        said = {s: int(m[1]) for s, w in COUNT_WORDS.items() if (m := re.search(rf"(\d+) {w}\b", text))}
        if target != who.slack_id or not text.startswith(f"{day:%A} {day.day} {day:%B} closed: ") or said != dict(counts):
            problems.append(f"{who.name}'s recap of {day} to {target} reads {text!r}; the close recorded {dict(counts)}")
    problems += [f"a recap of a day without a plan: {key}" for key in recaps
                 if (int(key.split(":")[2]), date.fromisoformat(key.split(":")[3])) not in statuses]

    team: Counter[tuple[str, date]] = Counter()
    for kind, key, target, due, _sent, _status, payload in dms:
        if kind != day_close.TEAM_RECAP_KIND:
            continue
        day = date.fromisoformat(key.split(":")[3])
        manager = BY_SLACK[target]
        team[(target, day)] += 1
        reports = [m for m in PEOPLE if m.manager == target]
        if on_leave(manager, day):
            problems.append(f"a team recap of {day} to {manager.name}, on leave that day")
        named = set(re.findall(r"<@(U\w+)>", "\n".join(b["text"]["text"] for b in payload["blocks"] if "text" in b)))
        if not named <= {m.slack_id for m in reports}:
            problems.append(f"{manager.name}'s team recap of {day} names {sorted(named)}, not all theirs")
        late = [m.name for m in reports if closes.get((world.users[m.slack_id].id, day), due) > due]
        if late:
            problems.append(f"{manager.name}'s team recap of {day} went at {due}, before {late}'s day closed")
    problems += [f"{BY_SLACK[m].name} got {n} team recaps of {d}" for (m, d), n in team.items() if n > 1]
    for manager in {m.manager for m in PEOPLE if m.manager}:
        for user_id, day in statuses:
            member = BY_SLACK[by_id[user_id]]
            if member.manager != manager or day > last or on_leave(BY_SLACK[manager], day):
                continue
            if any(a <= day <= b for a, b in windows) and team[(manager, day)] != 1:
                problems.append(f"{BY_SLACK[manager].name} got {team[(manager, day)]} team recaps of {day}, "
                                f"when {member.name} had a plan")
    return problems


async def sweep(pg: Any, tmp_path: Path, local: bool) -> str:
    mode = "local time" if local else "team time"
    async with running_world(pg, tmp_path / mode.replace(" ", "-"), local) as world:
        started = wallclock.perf_counter()
        days = 0
        for first, last in WINDOWS:
            day = first
            while day <= last + TAIL:
                for hour in range(24):
                    await tick(world, datetime.combine(day, time(hour, 30), tzinfo=UTC), threads=day <= last)
                day += timedelta(days=1)
                days += 1
        figures = await check(world, WINDOWS, mode)
        return f"sweep ({mode}): {days} days in {wallclock.perf_counter() - started:.1f} s; {figures}"


@pytest.mark.timeout(1800 if FULL else 240)
async def test_a_year_of_days_for_a_team_over_four_zones(pg: Any, template_dsn: str, tmp_path: Path) -> None:
    # Both modes at once, each on its own database and emulator: their database round trips overlap.
    for line in await asyncio.gather(sweep(pg, tmp_path, local=False), sweep(pg, tmp_path, local=True)):
        print(f"\n{line}")
