"""day-close (F5): when a person's day is over, every task on that day's plan gets exactly one
task_statuses row (done, carry_forward, dropped); carried tasks count up and come back on the
next thread. Unanswered tasks carry forward. Then the day's recaps tell people what was closed.

Ticks every minute. A person's day closes at the midnight that ends it on their clock, or later when
their end-of-day check-in reached them (held by quiet hours, their weekend or leave) less than the answer
window before that (see calendar.PersonalDay.close_after). A day whose check-in was never queued (its
minute missed: Steward was down, or a run came later) stays open until end-of-day has queued it (it does
at its next run, jobs/end_of_day.py), so nobody's tasks are carried without their having been asked; the
run says whom it waits for ("waiting_for_checkin"). Only a day end-of-day will not ask about is closed
unasked, and said ("unasked": the person cannot be reached within calendar.REACH_HORIZON, or the day is
older than end-of-day looks back). Catching up is automatic: every unclosed day whose close has passed is
closed, and closing twice inserts nothing.

Recaps (README, "The day with Steward"):
  * **A person's recap.** When a day with a plan closes, its owner gets one DM recap of it ("Monday 9 March
    closed: 2 done (T-3, T-5), 1 carried forward to Tuesday (T-4, carried 2×), 1 dropped (T-6: client
    cancelled)."), queued in the same transaction as the close (a close never goes without its recap, and
    is never recapped twice: dedupe key per organization, person and day) and held until the person can
    first be reached (calendar.reachable_from: not in their quiet hours, not on their weekend, a holiday or
    their leave). Nobody gets a recap of a day they had no plan for.
  * **A manager's team recap**, one per thread date, goes once every report on that thread has had their
    day closed: a report with a plan when it closed, one without at the midnight ending their day for the
    thread (they could still have posted until then). It is held until the manager can first be reached,
    like a person's recap. It gives each report's done / carried / dropped counts, calls out tasks carried
    :data:`bot.services.rhythm.CARRY_WARNING` times or more, and names who had no plan and who was out. A
    manager out on that day gets none.
  * **Stale recaps.** Neither is queued more than :data:`RECAP_WINDOW` after the close it tells of was due (a
    Steward that was down for days, just installed, or whose clock jumped, does not send a pile of old recaps);
    the run names the person recaps it skipped ("stale_recaps"), and the team recaps it skipped as their last
    close happened ("stale_team_recaps").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from bot.blocks import standup as render
from bot.deps import Deps
from bot.services import calendar, standup_close, standup_settings, standup_threads
from bot.services.calendar import Rhythm
from bot.services.notifications import Target, existing_keys, notify, reached_at
from bot.services.standup_close import PlanState
from bot.services.standup_threads import MorningThread
from jobs.common import LOOKBACK_DAYS, Team, for_each_org, load_team, since
from jobs.end_of_day import UNQUEUED_UNREACHABLE, asks, checkin_key

RECAP_KIND = "standup.day_recap"
TEAM_RECAP_KIND = "standup.team_recap"
RECAP_WINDOW = timedelta(hours=24)
"""How long after a day's close was due a recap of it may still be queued (a person's recap: their close; a team
recap: the last of its reports' closes). A Steward that was down for days, or whose clock jumped, closes the
old days but sends no pile of stale recaps: the run says which it skipped."""
NEXT_DAY_SEARCH = 31
"""Thread dates searched for the one a person's carried tasks come back on (past a long leave: "your next day")."""


def recap_key(org_id: int, user_id: int, day: date) -> str:
    return f"standup.recap:{org_id}:{user_id}:{day.isoformat()}"


def team_recap_key(org_id: int, manager_id: int, day: date) -> str:
    return f"standup.team_recap:{org_id}:{manager_id}:{day.isoformat()}"


def next_expected_day(team: Team, user_id: int, day: date) -> date | None:
    """The first thread date after ``day`` on which the person is expected (their carried tasks join its plan),
    within :data:`NEXT_DAY_SEARCH` workdays; None past that."""
    d = day
    for _ in range(NEXT_DAY_SEARCH):
        nxt = calendar.next_workday(d, team.rhythm)
        if nxt is None:
            return None
        if team.day(user_id, nxt).expected:
            return nxt
        d = nxt
    return None


@dataclass(frozen=True)
class TeamDay:
    """One manager's reports on one thread, as their team recap sees them: whose plan closed, who had no plan
    though expected, who was out, when the last of their days closed (None: one is still open), and when the
    last of those closes was due (the recap's age counts from it)."""

    closed: list[int]
    no_plan: list[int]
    out: list[int]
    ready_at: datetime | None
    due_at: datetime | None = None


def team_day(team: Team, manager_id: int, thread: MorningThread, states: dict[tuple[int, date], PlanState],
             reached: dict[int, datetime] | None = None) -> TeamDay | None:
    """The manager's active reports on ``thread`` (its participants, and any with a plan for its date) and when
    their team recap becomes due (see the module notes); None when they have no report there. ``reached``: when
    each report's check-in for the day reached them (their close was due four hours after). Pure."""
    day = thread.thread_date
    reports = sorted(u.id for u in team.users.values() if u.manager_id == manager_id and u.active
                     and (u.id in thread.participant_ids or (u.id, day) in states))
    if not reports:
        return None
    closed: list[int] = []
    no_plan: list[int] = []
    out: list[int] = []
    closes: list[datetime] = []
    dues: list[datetime] = []
    still_open = False
    for r in reports:
        state = states.get((r, day))
        personal = team.day_of(r, thread)
        if state is not None:
            still_open = still_open or not state.closed or state.closed_at is None
            closed.append(r)
            if state.closed_at is not None:
                closes.append(state.closed_at)
            dues.append(personal.close_after((reached or {}).get(r)))
            continue
        closes.append(personal.close_at)
        dues.append(personal.close_at)
        (no_plan if personal.expected else out).append(r)
    return TeamDay(closed, no_plan, out, None if still_open else max(closes), max(dues))


async def close_for_org(deps: Deps, org_id: int, now: datetime, *, rhythm: Rhythm | None = None) -> dict[str, Any]:
    """Close every person's day whose close (see the module notes) is at or before ``now`` (aware), queue their
    recaps and the team recaps that became due; returns this run's counts: {"people", "done", "carried",
    "dropped"} (closes), {"recaps", "team_recaps"} (queued) and "unreachable" (recaps not queued: their owner
    cannot be reached within calendar.REACH_HORIZON). ``rhythm``: the organization's, if already read."""
    totals: dict[str, Any] = dict.fromkeys(("people", "done", "carried", "dropped", "recaps", "team_recaps", "unreachable"), 0)
    waiting: list[dict[str, str]] = []  # days kept open until end-of-day queues their check-in
    unasked: list[dict[str, str]] = []  # days closed though their owner was never asked
    stale: list[dict[str, str]] = []  # recaps not queued: their close was due more than RECAP_WINDOW ago
    async with deps.pool.connection() as conn:
        rhythm = rhythm or await standup_settings.rhythm_of(conn, org_id)
        open_days = await standup_close.open_days(conn, org_id)
        recent_since = since(now, rhythm)
        # The latest posted thread of each date: when it went up (a person's times count from there), who was on it.
        threads: dict[date, MorningThread] = {}
        for thread in await standup_threads.recent_threads(conn, org_id, min([recent_since, *(d for _, d in open_days)])):
            if thread.thread_ts:
                threads[thread.thread_date] = thread
        recent = [t for d, t in threads.items() if d >= recent_since]
        if not open_days and not recent:
            await standup_threads.close_threads_before(conn, org_id, calendar.local_date(now, rhythm.timezone), now)
            return totals
        people = {u for u, _ in open_days} | {u for t in recent for u in t.participant_ids}
        team = await load_team(conn, org_id, rhythm, people, now, with_managers=True)
        keys = [checkin_key(org_id, u, d) for u, d in open_days]
        reached = await reached_at(conn, org_id, keys)
        queued = await existing_keys(conn, org_id, keys)  # queued at all (a failed one reaches nobody)
    still_open: list[date] = []
    for user_id, day in open_days:
        posted = threads.get(day)
        personal = team.day(user_id, day, posted.started_at if posted else None)
        checkin = reached.get(checkin_key(org_id, user_id, day))
        if now < personal.close_after(checkin):
            still_open.append(day)
            continue
        user = team.users.get(user_id)
        if checkin is None and user is not None:
            reaches, why = asks(rhythm, team.person(user_id), personal, user.active, now)
            who = {"to": f"<@{user.slack_id}>", "day": day.isoformat()}
            if checkin_key(org_id, user_id, day) in queued:
                unasked.append({**who, "why": "its check-in could not be sent"})
            elif reaches is not None and day >= recent_since:
                waiting.append(who)  # end-of-day asks them at its next run (it looks back as far)
                still_open.append(day)
                continue
            elif reaches is not None:
                unasked.append({**who, "why": f"its check-in was due more than {LOOKBACK_DAYS} days ago"})
            elif why == UNQUEUED_UNREACHABLE.format(days=calendar.REACH_HORIZON.days):
                unasked.append({**who, "why": why})  # out that day or inactive: nothing to ask

        def expected(thread: MorningThread, user_id: int = user_id) -> bool:
            return team.day_of(user_id, thread).expected

        async with deps.pool.connection() as conn, conn.transaction():
            result = await standup_close.close_day(conn, org_id, user_id, day, now, carry_into=expected)
            recap = await _queue_recap(conn, org_id, team, user_id, day, now, due=personal.close_after(checkin))
        totals["people"] += 1
        totals["done"] += result.done
        totals["carried"] += result.carried
        totals["dropped"] += result.dropped
        if recap == "stale" and user is not None:
            stale.append({"to": f"<@{user.slack_id}>", "day": day.isoformat(),
                          "why": f"{render.day_label(day)} closed {_late(now, personal.close_after(checkin))}"})
        elif recap:
            totals[recap] += 1
    if waiting:
        totals["waiting_for_checkin"] = waiting
    if unasked:
        totals["unasked"] = unasked
    if stale:
        totals["stale_recaps"] = stale
    totals["team_recaps"], stale_teams = await _queue_team_recaps(deps, org_id, team, recent, now)
    if stale_teams:
        totals["stale_team_recaps"] = stale_teams
    before = min([*still_open, calendar.local_date(now, rhythm.timezone)])
    async with deps.pool.connection() as conn:
        await standup_threads.close_threads_before(conn, org_id, before, now)
    return totals


def _late(now: datetime, due: datetime) -> str:
    """"2 days late", "30 hours late": how long after ``due`` a close happened at ``now``."""
    hours = int((now - due).total_seconds() // 3600)
    return f"{hours // 24} days late" if hours >= 48 else f"{hours} hours late"


async def _queue_recap(conn: psycopg.AsyncConnection, org_id: int, team: Team, user_id: int, day: date,
                       now: datetime, *, due: datetime) -> str | None:
    """Queue the person's recap of ``day`` (just closed; its close was ``due`` then), held until they can be
    reached. Returns the count it adds to ("recaps", or "unreachable" when they cannot be reached within
    calendar.REACH_HORIZON), "stale" when the close came more than :data:`RECAP_WINDOW` after it was due (not
    queued), or None: queued before, nothing recorded for the day, or the person is inactive."""
    user = team.users.get(user_id)
    if user is None or not user.active:
        return None
    recap = (await standup_close.recaps(conn, org_id, [user_id], [day])).get((user_id, day))
    if recap is None:
        return None
    if now - due > RECAP_WINDOW:
        return "stale"
    reach = calendar.reachable_from(team.rhythm, team.person(user_id), now)
    if reach is None:
        return "unreachable"
    text, blocks = render.day_recap(recap, next_expected_day(team, user_id, day))
    queued = await notify(conn, organization_id=org_id, kind=RECAP_KIND, dedupe_key=recap_key(org_id, user_id, day), text=text,
                          blocks=blocks, targets=[Target.dm(user.slack_id)], now=now, user_id=user_id, hold_until=reach)
    return "recaps" if queued else None


async def _queue_team_recaps(deps: Deps, org_id: int, team: Team, threads: list[MorningThread],
                             now: datetime) -> tuple[int, list[dict[str, str]]]:
    """Queue each manager's team recap of the ``threads`` whose recap became due by ``now`` (see the module
    notes); returns how many were queued, and the team recaps skipped as stale by this run's closes."""
    managers = sorted({u.manager_id for u in team.users.values() if u.manager_id is not None and u.active})
    keys = {(m, t.thread_date): team_recap_key(org_id, m, t.thread_date) for m in managers for t in threads}
    stale: list[dict[str, str]] = []
    if not keys:
        return 0, stale
    async with deps.pool.connection() as conn:
        queued_before = await existing_keys(conn, org_id, list(keys.values()))
        pending = [(m, t) for m in managers for t in threads if keys[(m, t.thread_date)] not in queued_before]
        if not pending:
            return 0, stale
        states = await standup_close.plan_states(conn, org_id, sorted({t.thread_date for _, t in pending}))
        missing = {u for u, _ in states} - set(team.users)
        if missing:  # planned by someone not on the thread (rare): the calendar needs them too
            team = await load_team(conn, org_id, team.rhythm, set(team.users) | missing, now)
        checkins = await reached_at(conn, org_id, [checkin_key(org_id, u, d) for u, d in states])
        due: list[tuple[int, MorningThread, TeamDay]] = []
        for manager_id, thread in pending:
            manager = team.users.get(manager_id)
            reached = {u: at for (u, d) in states if d == thread.thread_date
                       and (at := checkins.get(checkin_key(org_id, u, d))) is not None}
            reports = team_day(team, manager_id, thread, states, reached)
            if manager is None or not manager.active or reports is None or reports.ready_at is None:
                continue
            if not reports.closed and not reports.no_plan:
                continue  # every report was out: nothing to tell
            if reports.ready_at > now or not team.day_of(manager_id, thread).expected:
                continue  # not every report's day has closed; or the manager was out that day
            assert reports.due_at is not None
            if now - reports.due_at > RECAP_WINDOW:
                if reports.ready_at == now:  # said once: by the run whose close made it due
                    stale.append({"to": f"<@{manager.slack_id}>", "day": thread.thread_date.isoformat(),
                                  "why": f"{render.day_label(thread.thread_date)} closed {_late(now, reports.due_at)}"})
                continue
            due.append((manager_id, thread, reports))
        if not due:
            return 0, stale
        recaps = await standup_close.recaps(conn, org_id, sorted({r for _, _, t in due for r in t.closed}),
                                            sorted({th.thread_date for _, th, _ in due}))
        count = 0
        for manager_id, thread, reports in due:
            manager = team.users[manager_id]
            reach = calendar.reachable_from(team.rhythm, team.person(manager_id), now)
            if reach is None:
                continue  # on a leave longer than the calendar looks ahead: as if out that day
            day = thread.thread_date
            closed = [(team.users[r], recaps[(r, day)]) for r in reports.closed if (r, day) in recaps]
            text, blocks = render.team_recap(day, closed, [team.users[r] for r in reports.no_plan],
                                             [team.users[r] for r in reports.out])
            if await notify(conn, organization_id=org_id, kind=TEAM_RECAP_KIND, dedupe_key=keys[(manager_id, day)], text=text,
                            blocks=blocks, targets=[Target.dm(manager.slack_id)], now=now, user_id=manager_id, hold_until=reach):
                count += 1
    return count, stale


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    return await for_each_org(deps, now, close_for_org)
