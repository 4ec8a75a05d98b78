"""The day's close (SPEC F5): exactly one task_statuses row per planned task; carried tasks count up
and join the next thread. What a close recorded is read back as each person's recap of the day
(:class:`DayRecap`), which the day-close job sends them and their manager (jobs/day_close.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from bot.services import rhythm as rules
from bot.services import tasks as task_service
from bot.services.standup_plan import plan_of, seed_carried
from bot.services.standup_threads import MorningThread, next_thread_after
from db.queries import Q


@dataclass
class CloseResult:
    done: int = 0
    carried: int = 0
    dropped: int = 0


async def close_day(conn: psycopg.AsyncConnection, org_id: int, user_id: int, day: date, now: datetime, *,
                    carry_into: Callable[[MorningThread], bool]) -> CloseResult:
    """Exactly one task_statuses row per planned task for ``day``; carried tasks count up. Idempotent.

    When a later thread is already up and ``carry_into(thread)`` says the person is expected on it (the
    people calendar's answer), the carried tasks join that thread's plan at once."""
    result = CloseResult()
    async with conn.transaction():
        for item in await plan_of(conn, org_id, user_id, day):
            if item.closed_at is not None:
                continue
            status = rules.close_status(item.status, item.answer)
            inserted = await (await conn.execute(Q["task_status_insert"], {
                "organization_id": org_id, "task_id": item.task_id, "user_id": user_id, "status_date": day, "status": status,
                "reason": item.answer_reason if status == "dropped" else None,
                "answered": item.answered_at is not None or status != "carry_forward"})).fetchone()
            await conn.execute(Q["plan_close_item"], {"organization_id": org_id, "id": item.id, "now": now})
            if inserted is None:
                continue
            if status == "carry_forward":
                await conn.execute(Q["task_carry_forward"], {"organization_id": org_id, "id": item.task_id})
                await task_service.log_change(conn, item.task_id, org_id, None, "carried_forward", None,
                                              {"date": day.isoformat(), "count": item.carry_forward_count + 1})
                result.carried += 1
            elif status == "done":
                result.done += 1
            else:
                result.dropped += 1
        # A later thread already up (someone far from the organization's clock): carry into it now.
        nxt = await next_thread_after(conn, org_id, day)
        if result.carried and nxt is not None and carry_into(nxt):
            await seed_carried(conn, org_id, nxt.thread_date, [user_id])
    return result


async def open_days(conn: psycopg.AsyncConnection, org_id: int) -> list[tuple[int, date]]:
    return [(r[0], r[1]) for r in await (await conn.execute(Q["plan_open_days"], {"organization_id": org_id})).fetchall()]


@dataclass(frozen=True)
class ClosedTask:
    """One task as a day's close recorded it (a task_statuses row): ``status`` is ``done``, ``carry_forward``
    or ``dropped``; ``reason`` why it was dropped (Slack markup as stored); ``carried`` how many times it had
    been carried forward by the end of that day, this close included."""

    user_id: int
    status_date: date
    display_id: str
    title: str
    status: str
    reason: str | None
    carried: int


@dataclass(frozen=True)
class DayRecap:
    """What one person's day closed with: their tasks of ``day`` (a thread date), in T-number order."""

    user_id: int
    day: date
    tasks: tuple[ClosedTask, ...]

    @property
    def done(self) -> list[ClosedTask]:
        return [t for t in self.tasks if t.status == "done"]

    @property
    def carried(self) -> list[ClosedTask]:
        return [t for t in self.tasks if t.status == "carry_forward"]

    @property
    def dropped(self) -> list[ClosedTask]:
        return [t for t in self.tasks if t.status == "dropped"]

    @property
    def flagged(self) -> list[ClosedTask]:
        """Carried tasks that have now been carried :data:`bot.services.rhythm.CARRY_WARNING` times or more."""
        return [t for t in self.carried if t.carried >= rules.CARRY_WARNING]


async def recaps(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int],
                 days: Sequence[date]) -> dict[tuple[int, date], DayRecap]:
    """(person, thread date) -> their :class:`DayRecap`, for each of ``user_ids`` on each of ``days`` whose close
    recorded anything (a day still open, or with no plan, is absent). Read from task_statuses, so it is what
    the close decided, whatever happened to the tasks since (a later carry is not counted)."""
    if not user_ids or not days:
        return {}
    cur = conn.cursor(row_factory=class_row(ClosedTask))
    await cur.execute(Q["day_recap_tasks"], {"organization_id": org_id, "user_ids": list(user_ids), "days": list(days)})
    found: dict[tuple[int, date], list[ClosedTask]] = {}
    for task in await cur.fetchall():
        found.setdefault((task.user_id, task.status_date), []).append(task)
    return {(u, d): DayRecap(u, d, tuple(tasks)) for (u, d), tasks in found.items()}


@dataclass(frozen=True)
class PlanState:
    """A person's plan for one date: how many of its tasks are still open, and when its last task was closed."""

    user_id: int
    plan_date: date
    still_open: int
    closed_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.still_open == 0


async def plan_states(conn: psycopg.AsyncConnection, org_id: int, days: Sequence[date]) -> dict[tuple[int, date], PlanState]:
    """(person, date) -> :class:`PlanState` for everyone with a plan on any of ``days``."""
    if not days:
        return {}
    cur = conn.cursor(row_factory=class_row(PlanState))
    await cur.execute(Q["plan_close_state"], {"organization_id": org_id, "plan_dates": list(days)})
    return {(s.user_id, s.plan_date): s for s in await cur.fetchall()}
