"""Reminders from words (F10): "remind me to …" in a DM, `/reminder`, `/reminders`.

`/remind` is one of Slack's built-in commands (Slackbot's own reminders): a workspace keeps it, so an
app's `/remind` is never reached. Steward's command is `/reminder`; `/reminders` lists them."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import effects
from bot import slack_limits as L
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import kit
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import dm
from bot.listeners.workspace import who
from bot.parsing.reminders import starts_with_trigger
from bot.services import ratelimit, reminders
from bot.services.workspace import date_order_of
from jobs import reminders as reminder_jobs


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/reminder")(partial(remind_command, deps=deps))
    app.command("/reminders")(partial(reminders_command, deps=deps))
    app.action("reminder_cancel")(partial(on_cancel, deps=deps))
    dm.add_route(deps, "reminder", starts_with_trigger, partial(remind_from_dm), priority=20)



def _cancel_button(reminder: reminders.Reminder) -> dict[str, Any]:
    return {"type": "button", "action_id": "reminder_cancel", "text": {"type": "plain_text", "text": "Cancel"},
            "value": str(reminder.id), "style": "danger"}


async def create_from_text(deps: Deps, org: Any, user: Any, text: str) -> tuple[reminders.Reminder, str]:
    now = deps.now()
    if not starts_with_trigger(text):
        text = "remind me " + text.removeprefix("me ").strip()
    async with deps.pool.connection() as conn:
        await ratelimit.check(conn, organization_id=org.id, user_id=user.id, slack_id=user.slack_id, action="llm.parse", now=now)
    result = await deps.ai.parse_reminder(text, now=now, tz=user.timezone, date_order=date_order_of(user))
    parsed = result.value
    if parsed is None:
        raise InvalidInput("When should I remind you? Try \u201cremind me to send the invoice tomorrow at 3pm\u201d "
                           "or \u201cremind me every Monday at 9 to plan the week\u201d.")
    async with deps.pool.connection() as conn, effects.once(conn, "reminder") as step:
        if step.done:  # made by an earlier attempt at this message (bot/effects.py)
            reminder = await reminders.get(conn, org.id, step.result)
        else:
            reminder = await reminders.create(conn, org.id, user, parsed.what, parsed.fire_at, recurrence=parsed.recurrence,
                                              source_text=text, now=now)
            step.result = reminder.id
    reminder_jobs.schedule(deps, reminder)
    when = reminders.when_text(reminder.fire_at, reminder.timezone, now)
    repeat = f" ({reminders.describe(reminder.recurrence)})" if reminder.recurrence else ""
    default_time = "" if getattr(parsed, "has_time", True) else " (you didn't say a time, so I picked 09:00)"
    return reminder, f":alarm_clock: OK, I'll remind you to *{markup.mrkdwn(reminder.text)}* {when} your time{repeat}{default_time}."


async def remind_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, **_: Any) -> None:
    org, user = who(context)
    reminder, text = await create_from_text(deps, org, user, message.get("text") or "")
    await say(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}, "accessory": _cancel_button(reminder)}])


async def remind_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    if not text:
        raise InvalidInput("Usage: `/reminder me to send the invoice tomorrow at 3pm` (or DM me \u201cremind me to \u2026\u201d).")
    reminder, reply = await create_from_text(deps, org, user, text)
    await respond(text=reply, response_type="ephemeral",
                  blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": reply}, "accessory": _cancel_button(reminder)}])


REMINDERS_WITH_BUTTONS = 30


def list_blocks(items: list[reminders.Reminder], now: Any) -> list[dict[str, Any]]:
    if not items:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "You have no reminders. Try \u201cremind me to \u2026 tomorrow at 3pm\u201d."}}]
    blocks: list[dict[str, Any]] = [kit.section(f"*Your reminders* ({len(items)})")]
    # The first ones each get a section with a Cancel button; the rest are listed as lines, packed.
    with_buttons = items[: REMINDERS_WITH_BUTTONS]
    for r in with_buttons:
        repeat = f" \u00b7 {reminders.describe(r.recurrence)}" if r.recurrence else ""
        blocks.append(kit.section(f"{markup.mrkdwn(r.text)}\n_{reminders.when_text(r.fire_at, r.timezone, now)}{repeat}_",
                                  accessory=_cancel_button(r)))
    rest = items[len(with_buttons):]
    if rest:
        lines = [f"*Later* ({len(rest)}; cancel these once the ones above are done or cancelled)"] + [
            f"\u2022 {markup.mrkdwn(r.text)} \u2014 _{reminders.when_text(r.fire_at, r.timezone, now)}_" for r in rest]
        blocks.extend(kit.pack_sections(lines, L.MESSAGE_BLOCKS - len(blocks))[0])
    return blocks


async def reminders_command(ack: Any, respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        items = await reminders.pending_for(conn, org.id, user.id)
    await respond(text="Your reminders", blocks=list_blocks(items, deps.now()), response_type="ephemeral")


async def on_cancel(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    reminder_id = payload.action_id_value(body)
    async with deps.pool.connection() as conn:
        reminder = await reminders.cancel(conn, org.id, user, reminder_id, deps.now())
        remaining = await reminders.pending_for(conn, org.id, user.id)
    scheduler = deps.extras.get("scheduler")
    if scheduler is not None:
        scheduler.remove_job(f"reminder:{reminder.id}")
    blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": f":x: Cancelled: {markup.mrkdwn(reminder.text)}"}]}] + list_blocks(remaining, deps.now())
    if body.get("response_url"):
        await respond(text=f"Cancelled: {markup.mrkdwn(reminder.text)}", blocks=blocks, replace_original=True)
