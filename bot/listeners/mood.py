"""Mood and journals (F8): the daily check-in's buttons, `/mood 1-5 [note]`, `/mood team`,
`/journal <text>`, `/journal list`. Privacy rules live in bot/services/mood.py."""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import effects
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import mood as render
from bot.deps import Deps
from bot.errors import NotFound
from bot.listeners.workspace import mentioned_user, who
from bot.services import flags, mood
from bot.services import rhythm as rules
from db.rows import User

MOOD_USAGE = "Usage: `/mood 4` or `/mood 2 long day, too many meetings` (1 rough \u2026 5 great) \u00b7 `/mood team` (managers)"
JOURNAL_USAGE = "Usage: `/journal <text>` to write (only you can read it) \u00b7 `/journal list` to read yours"


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/mood")(partial(mood_command, deps=deps))
    app.command("/journal")(partial(journal_command, deps=deps))
    app.action(re.compile(r"^mood_[1-5]$"))(partial(on_mood_pick, deps=deps))
    app.action("mood_note_open")(partial(on_note_open, deps=deps))
    app.view("mood_note")(partial(on_note_submit, deps=deps))



async def record_and_flag(deps: Deps, org: Any, user: User, score: int, note: str | None, day: date) -> mood.Recorded:
    """Record a score; a low run raises a private flag whose card (Open inquiry / Resolve / Dismiss) goes to the
    manager, once (bot/services/flags.py)."""
    now = deps.now()
    async with deps.pool.connection() as conn, conn.transaction():
        recorded = await mood.record(conn, org.id, user, score, note, now=now, local_date=day)
        if recorded.flag_id is not None:
            await flags.send_card(conn, org.id, recorded.flag_id, now)
    if recorded.flag_id is not None and deps.extras.get("dispatcher") is not None:
        deps.extras["dispatcher"].wake()
    return recorded


async def mood_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    today = rules.local_date(deps.now(), user.timezone)
    if text.lower() in ("team", "team mood"):
        async with deps.pool.connection() as conn:
            team = await mood.team_mood(conn, org.id, user, today=today)
        await respond(text=render.team(team), response_type="ephemeral")
        return
    if not text or text.lower() == "help":
        reply, blocks = render.checkin(today)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    score, note = mood.parse_score(text)
    await record_and_flag(deps, org, user, score, note, today)
    reply, blocks = render.picked(today, score, note)
    await respond(text=reply, blocks=blocks, response_type="ephemeral")


async def on_mood_pick(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    payload.responds(body)
    score = int(payload.action(body)["action_id"].removeprefix("mood_"))  # the listener's pattern: mood_1 … mood_5
    value = payload.action_value(body)
    day = payload.parse_day(value) if value else rules.local_date(deps.now(), user.timezone)
    await record_and_flag(deps, org, user, score, None, day)
    async with deps.pool.connection() as conn:
        saved = await mood.of_day(conn, org.id, user.id, day)
    reply, blocks = render.picked(day, score, saved[1] if saved else None)
    await respond(text=reply, blocks=blocks, replace_original=True)


async def on_note_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    day = payload.parse_day(payload.action_value(body))
    trigger = payload.trigger_of(body)
    async with deps.pool.connection() as conn:
        saved = await mood.of_day(conn, org.id, user.id, day)
    if saved is None:
        raise NotFound("Pick a score first, then add a note.")
    container = body.get("container") or {}
    metadata = "|".join([day.isoformat(), container.get("channel_id") or "", container.get("message_ts") or ""])
    await client.views_open(trigger_id=trigger, view=render.note_modal(day, saved[1], metadata))


async def on_note_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    day_text, channel, ts = payload.metadata(view, 3)
    day = payload.parse_day(day_text, what="form", field="private_metadata")
    note = payload.form_of(view).text("note")
    async with deps.pool.connection() as conn:
        await mood.set_note(conn, org.id, user, day, note)
        saved = await mood.of_day(conn, org.id, user.id, day)
    if saved and channel and ts:
        reply, blocks = render.picked(day, saved[0], saved[1])
        await client.chat_update(channel=channel, ts=ts, text=reply, blocks=blocks)


async def journal_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    verb = text.partition(" ")[0]
    if not text or verb.lower() == "help":
        await respond(text=JOURNAL_USAGE, response_type="ephemeral")
        return
    written = markup.read(text)
    if verb.lower() in ("list", "read", "show") or (written.users and not written.without("user").strip(" ,.:")):
        async with deps.pool.connection() as conn:
            author = await mentioned_user(conn, org, text, unknown="I don't know that person.")
            entries = await mood.read_journal(conn, org.id, user, author)
        reply, blocks = render.journal_list(entries)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    async with deps.pool.connection() as conn, effects.once(conn, "journal_entry") as step:
        if not step.done:  # else written by an earlier attempt at this command (bot/effects.py)
            step.result = await mood.write_journal(conn, org.id, user, text, local_date=rules.local_date(deps.now(), user.timezone))
    await respond(text=":lock: Saved to your journal. Only you can read it (`/journal list`).", response_type="ephemeral")
