"""Overdue work (SPEC F6; issue 13): the overdue ladder's buttons Done / New date / Drop, in its DMs and in App
Home. The ladder is bot/services/overdue.py (run by the job ``escalations``); the changes themselves are the task
rules of bot/services/tasks.py (who may change a task, logging), so a new date, done or dropped stops the walk."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import overdue as render
from bot.blocks.views import view_values
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import home
from bot.listeners.pressed import mark_later, mark_pressed
from bot.listeners.workspace import submitter, who
from bot.services import calendar
from bot.services import tasks as task_service
from db.repos.tasks import get as get_task


def register(app: AsyncApp, deps: Deps) -> None:
    app.action("overdue_done")(partial(on_done, deps=deps))
    app.action("overdue_new_date")(partial(on_new_date_open, deps=deps))
    app.action("overdue_drop")(partial(on_drop_open, deps=deps))
    app.view(render.NEW_DATE_VIEW)(partial(on_new_date_submit, deps=deps))
    app.view(render.DROP_VIEW)(partial(on_drop_submit, deps=deps))
    hooks = deps.extras.setdefault("ack_hooks", {})
    hooks[render.NEW_DATE_VIEW] = partial(validate_new_date, deps)
    hooks[render.DROP_VIEW] = validate_drop


def _task_id(body: dict[str, Any]) -> int:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not value.isdigit():
        raise InvalidInput("That task button is broken; `/tasks` lists your tasks.")
    return int(value)


def _from_home(body: dict[str, Any]) -> bool:
    return (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home"


async def _after(client: Any, deps: Deps, org: Any, user: Any, meta: dict[str, Any], line: str) -> None:
    """The pressed item shows what happened (its DM), or App Home is redrawn."""
    if meta.get("home"):
        await home.publish_home(client, deps, org, user)
        return
    await mark_later(client, meta.get("channel"), meta.get("ts"), meta.get("block"), line, pool=deps.pool)


def _meta(body: dict[str, Any], task_id: int) -> dict[str, Any]:
    container = body.get("container") or {}
    return {"task": task_id, "channel": container.get("channel_id"), "ts": container.get("message_ts"),
            "block": ((body.get("actions") or [{}])[0]).get("block_id"), "home": _from_home(body)}


async def on_done(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        task = await task_service.complete(conn, user, await get_task(conn, org.id, _task_id(body)), deps.now())
    line = f":white_check_mark: {task.display_id} done. Thank you!"
    if _from_home(body):
        await home.publish_home(client, deps, org, user)
    else:
        await mark_pressed(client, body, line, pool=deps.pool)


async def on_new_date_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        task = await get_task(conn, org.id, _task_id(body))
        await task_service.require_can_change(conn, user, task, "edit")
    if not task.is_open:
        raise InvalidInput(f"{task.display_id} is already {task.status}.")
    today = calendar.local_date(deps.now(), user.timezone)
    await client.views_open(trigger_id=body["trigger_id"], view=render.new_date_modal(task, json.dumps(_meta(body, task.id)), today))


async def on_drop_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        task = await get_task(conn, org.id, _task_id(body))
        await task_service.require_can_change(conn, user, task, "drop")
    if not task.is_open:
        raise InvalidInput(f"{task.display_id} is already {task.status}.")
    await client.views_open(trigger_id=body["trigger_id"], view=render.drop_modal(task, json.dumps(_meta(body, task.id))))


def _picked(view: dict[str, Any]) -> date | None:
    return view_values(view).day("due_date")


async def validate_new_date(deps: Deps, payload: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time (bot/inbox.py): a date is picked, and it is not in the past on the asker's own calendar (their
    Slack timezone as Steward holds it). The form then keeps the error under the field and nothing else is said;
    only when the asker is not known yet is the rule "before yesterday in UTC" (past everywhere), the submit
    checking the rest."""
    view = payload.get("view") or {}
    picked = _picked(view)
    if picked is None:
        return {"response_action": "errors", "errors": {"due_date": "Pick the new due date."}}
    async with deps.pool.connection() as conn:
        _org, user = await submitter(conn, payload)
    today = (calendar.local_date(deps.now(), user.timezone) if user is not None
             else calendar.local_date(deps.now(), "UTC") - timedelta(days=1))
    if picked < today:
        return {"response_action": "errors", "errors": {"due_date": "That date has passed: pick today or later."}}
    return None


def validate_drop(payload: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time: a reason is given."""
    if not view_values(payload.get("view") or {}).text("reason").strip():
        return {"response_action": "errors", "errors": {"reason": "Say why it's dropped."}}
    return None


async def on_new_date_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    meta = json.loads(view.get("private_metadata") or "{}")
    picked = _picked(view)
    if picked is None:
        return  # the ack showed the error
    if picked < calendar.local_date(deps.now(), user.timezone):
        raise InvalidInput(f"{picked:%a} {picked.day} {picked:%b} has passed, so the date wasn't changed: pick today or later.")
    async with deps.pool.connection() as conn:
        result = await task_service.edit(conn, user, await get_task(conn, org.id, int(meta.get("task") or 0)), due_date=picked,
                                         now=deps.now())
    line = f":calendar: {result.task.display_id} is now due {picked:%a} {picked.day} {picked:%b}; the reminders start over from then."
    await _after(client, deps, org, user, meta, line)


async def on_drop_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    meta = json.loads(view.get("private_metadata") or "{}")
    reason = view_values(view).text("reason")
    async with deps.pool.connection() as conn:
        task = await task_service.drop(conn, user, await get_task(conn, org.id, int(meta.get("task") or 0)), reason, deps.now())
    await _after(client, deps, org, user, meta, f":wastebasket: {task.display_id} dropped.")
