"""The day's plan (SPEC F5): what each person set out to do on a day, carried tasks seeded into it, and
the end-of-day check-in's answers (done, dropped) until the day closes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import tasks as task_service
from db.queries import Q
from db.rows import User


@dataclass(frozen=True)
class OpenTask:
    id: int
    user_id: int
    display_id: str
    title: str
    carry_forward_count: int
    due_date: date | None
    status: str


async def open_tasks_of(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int]) -> dict[int, list[OpenTask]]:
    cur = conn.cursor(row_factory=class_row(OpenTask))
    await cur.execute(Q["open_tasks_of_users"], {"organization_id": org_id, "user_ids": list(user_ids)})
    out: dict[int, list[OpenTask]] = {}
    for t in await cur.fetchall():
        out.setdefault(t.user_id, []).append(t)
    return out


async def seed_carried(conn: psycopg.AsyncConnection, org_id: int, day: date, user_ids: Sequence[int]) -> int:
    cur = await conn.execute(Q["plan_seed_carried"], {"organization_id": org_id, "plan_date": day, "user_ids": list(user_ids)})
    return cur.rowcount


async def people_with_plan(conn: psycopg.AsyncConnection, org_id: int, day: date) -> list[int]:
    rows = await (await conn.execute(Q["plan_people_for_date"], {"organization_id": org_id, "plan_date": day})).fetchall()
    return [r[0] for r in rows]


async def open_plans_on(conn: psycopg.AsyncConnection, org_id: int, days: Sequence[date]) -> list[tuple[int, date]]:
    """(person, date) for each of ``days`` on which the person's plan still has an open (unclosed) task."""
    rows = await (await conn.execute(Q["plan_open_people_for_dates"], {"organization_id": org_id, "plan_dates": list(days)})).fetchall()
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True)
class PlanItem:
    id: int
    task_id: int
    display_id: str
    title: str
    status: str
    carry_forward_count: int
    source: str
    answer: str | None
    answer_reason: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    plan_date: date
    reopen_status: str | None
    reopen_stage_id: int | None

    @property
    def is_done(self) -> bool:
        return self.status == "done" or self.answer == "done"

    @property
    def is_dropped(self) -> bool:
        return self.status == "dropped" or self.answer == "dropped"


async def plan_of(conn: psycopg.AsyncConnection, org_id: int, user_id: int, day: date) -> list[PlanItem]:
    cur = conn.cursor(row_factory=class_row(PlanItem))
    await cur.execute(Q["plan_of_user"], {"organization_id": org_id, "user_id": user_id, "plan_date": day})
    return await cur.fetchall()


class DayClosed(InvalidInput):
    default_message = ("That day is closed: its tasks were recorded at the end of the day. "
                       "Use `/task done T-12` for anything you finished since.")


async def mark_done(conn: psycopg.AsyncConnection, org_id: int, user: User, day: date, selected_task_ids: set[int],
                    now: datetime, *, only: set[int] | None = None) -> list[PlanItem]:
    """The check-in's boxes: ticked tasks are done now, unticked ones that were ticked here are reopened.

    ``only`` limits the change to those tasks (a checkbox group shows part of the plan). Raises DayClosed,
    and TaskDropped (nothing changed) when a ticked task was dropped since the check-in was sent."""
    async with conn.transaction():
        items = await plan_of(conn, org_id, user.id, day)
        if items and all(i.closed_at is not None for i in items):
            raise DayClosed()
        stages = await task_service.stages(conn, org_id)
        done_stage = next((s.id for s in stages if s.is_done_stage), None)
        for item in items:
            if item.closed_at is not None or (only is not None and item.task_id not in only):
                continue
            if item.task_id in selected_task_ids and item.status != "done":  # a dropped one: complete() refuses, politely
                task = await task_service.get(conn, org_id, item.task_id)
                await conn.execute(Q["plan_set_answer"], {
                    "organization_id": org_id, "id": item.id, "answer": "done", "reason": None, "now": now,
                    "reopen_status": task.status, "reopen_stage_id": task.stage_id if task.stage_id != done_stage else None})
                await task_service.complete(conn, user, task, now)
            elif item.task_id not in selected_task_ids and item.answer == "done" and item.status == "done":
                await conn.execute(Q["task_reopen"], {"organization_id": org_id, "id": item.task_id,
                                                      "status": item.reopen_status or "pending", "stage_id": item.reopen_stage_id})
                await task_service.log_change(conn, item.task_id, org_id, user, "status_changed", "done",
                                              item.reopen_status or "pending", "unticked in the end-of-day check-in")
                await conn.execute(Q["plan_set_answer"], {"organization_id": org_id, "id": item.id, "answer": None, "reason": None,
                                                          "now": now, "reopen_status": None, "reopen_stage_id": None})
        await conn.execute(Q["plan_mark_answered"], {"organization_id": org_id, "user_id": user.id, "plan_date": day, "now": now})
        return await plan_of(conn, org_id, user.id, day)


async def drop_planned(conn: psycopg.AsyncConnection, org_id: int, user: User, day: date, task_id: int, reason: str,
                       now: datetime) -> list[PlanItem]:
    async with conn.transaction():
        items = await plan_of(conn, org_id, user.id, day)
        item = next((i for i in items if i.task_id == task_id), None)
        if item is None:
            raise NotFound("That task isn't on that day's plan.")
        if item.closed_at is not None:
            raise DayClosed()
        task = await task_service.get(conn, org_id, task_id)
        if task.status != "dropped":
            await task_service.drop(conn, user, task, reason, now)
        await conn.execute(Q["plan_set_answer"], {"organization_id": org_id, "id": item.id, "answer": "dropped",
                                                  "reason": markup.store(reason.strip(), limit=500), "now": now, "reopen_status": None,
                                                  "reopen_stage_id": None})
        await conn.execute(Q["plan_mark_answered"], {"organization_id": org_id, "user_id": user.id, "plan_date": day, "now": now})
        return await plan_of(conn, org_id, user.id, day)
