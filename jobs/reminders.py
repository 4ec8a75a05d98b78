"""Reminders: fire what is due (a sweep every minute, and one-off timers for punctuality)."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.log import get_logger
from bot.services import reminders
from jobs.common import wake_dispatcher

log = get_logger(__name__)


async def run(deps: Deps, now: datetime) -> dict[str, int]:
    """Fire every due reminder of the organizations this run may work on (:meth:`Deps.in_scope`)."""
    fired = 0
    async with deps.pool.connection() as conn:
        for reminder in await reminders.due(conn, now):
            if await deps.in_scope([reminder.organization_id]):
                fired += await reminders.fire(conn, reminder, now)
    if fired:
        wake_dispatcher(deps)
    return {"fired": fired}


async def fire_one(deps: Deps, reminder_id: int) -> None:
    """The date-job callback: fire this reminder if it is (still) due, then time its next occurrence."""
    now = deps.now()
    async with deps.pool.connection() as conn:
        reminder = await reminders.due_one(conn, reminder_id, now)
        if reminder is None or not await deps.in_scope([reminder.organization_id]):
            log.debug("reminder_not_due", reminder_id=reminder_id)
            return
        await reminders.fire(conn, reminder, now)
        if reminder.recurrence:
            schedule(deps, await reminders.get(conn, reminder.organization_id, reminder.id))
    wake_dispatcher(deps)


def schedule(deps: Deps, reminder: reminders.Reminder) -> None:
    """A punctual timer for the next occurrence (the minute sweep is the safety net)."""
    scheduler = deps.extras.get("scheduler")
    if scheduler is not None and reminder.status == "pending":
        scheduler.add_date_job(f"reminder:{reminder.id}", reminder.fire_at, fire_one, deps, reminder.id)


async def restore(deps: Deps) -> dict[str, int]:
    """At start: timers for future reminders; those missed while we were down fire now, late."""
    now = deps.now()
    late = 0
    async with deps.pool.connection() as conn:
        pending = await reminders.all_pending(conn)
    served = set(await deps.in_scope({r.organization_id for r in pending}))
    pending = [r for r in pending if r.organization_id in served]
    for reminder in pending:
        if reminder.fire_at <= now:
            late += 1
        else:
            schedule(deps, reminder)
    if late:
        await run(deps, now)
    return {"scheduled": len(pending) - late, "fired_late": late}
