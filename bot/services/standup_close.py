"""The day's close (SPEC F5): exactly one task_statuses row per planned task; carried tasks count up
and join the next thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import psycopg

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
