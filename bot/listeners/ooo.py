"""Out of office (F4): `/ooo <dates> [reason]`, `/ooo list`, `/ooo cancel`, and "I'm out Monday to
Wednesday" in a DM (standup thread replies are handled with the rest of the reply)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot.blocks import standup as render
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import dm
from bot.listeners.workspace import who
from bot.parsing import parse_ooo as detect_ooo
from bot.parsing.text import lines_of, sentences_of
from bot.services import ooo, security
from bot.services import rhythm as rules
from bot.services.workspace import date_order_of
from db.rows import User

USAGE = ("Usage: `/ooo Monday to Wednesday vacation` \u00b7 `/ooo tomorrow sick` \u00b7 `/ooo Dec 22-Jan 2` \u00b7 "
         "`/ooo list` \u00b7 `/ooo cancel`")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/ooo")(partial(ooo_command, deps=deps))
    app.action("ooo_undo")(partial(on_undo, deps=deps))
    dm.add_route(deps, "ooo", partial(_states_absence, deps), ooo_from_dm, priority=30)


def _states_absence(deps: Deps, text: str) -> bool:
    return detect_ooo(markup.plain_text(text), now=deps.now(), tz="UTC") is not None



async def record_from_text(deps: Deps, org: Any, user: User, text: str, *, source: str, channel: str | None = None,
                           ts: str | None = None) -> tuple[int, Any, str | None]:
    """Parse an absence (through the AI interface) and record it; returns (id, parsed, reason)."""
    now = deps.now()
    result = await deps.ai.parse_ooo(text, now=now, tz=user.timezone, date_order=date_order_of(user))
    parsed = result.value
    if parsed is None:
        raise InvalidInput(f"Which days? {USAGE}")
    ooo.check_range(parsed.start_date, parsed.end_date, rules.local_date(now, user.timezone))
    reason = parsed.reason
    async with deps.pool.connection() as conn:
        if result.threat is not None:
            await security.record(conn, organization_id=org.id, event_type="prompt_injection", threat_level=result.threat[0],
                                  description=result.threat[1], user_id=user.id, slack_user_id=user.slack_id,
                                  details={"source": f"ooo_{source}", "text": text[:500]})
        ooo_id = await ooo.record(conn, org.id, user, parsed.start_date, parsed.end_date, reason, source=source,
                                  channel_id=channel, ts=ts)
    return ooo_id, parsed, reason


async def ooo_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = " ".join((command.get("text") or "").split())
    verb = text.split(" ")[0].lower() if text else ""
    today = rules.local_date(deps.now(), user.timezone)
    if verb in ("", "help"):
        await respond(text=USAGE, response_type="ephemeral")
        return
    if verb in ("list", "ls", "show"):
        async with deps.pool.connection() as conn:
            records = await ooo.upcoming(conn, org.id, user.id, today)
        reply, blocks = render.ooo_list(records)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    if verb in ("cancel", "remove", "delete", "back"):
        async with deps.pool.connection() as conn:
            records = await ooo.upcoming(conn, org.id, user.id, today)
            if len(records) == 1:
                done = await ooo.cancel(conn, org.id, user, records[0].id, deps.now())
                await respond(text=f":white_check_mark: Cancelled your time off {ooo.describe(done.start_date, done.end_date)}.",
                              response_type="ephemeral")
                return
        reply, blocks = render.ooo_list(records)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    ooo_id, parsed, reason = await record_from_text(deps, org, user, ooo.as_statement(text), source="manual",
                                                    channel=command.get("channel_id"))
    reply, blocks = render.ooo_saved(parsed.start_date, parsed.end_date, reason, ooo_id)
    await respond(text=reply, blocks=blocks, response_type="ephemeral")


async def ooo_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, **kwargs: Any) -> None:
    """"I'm out Monday to Wednesday" in a DM; the rest of the message (if any) goes on to the task drafts."""
    org, user = who(context)
    text = message.get("text") or ""
    now = deps.now()
    absence: list[str] = []
    rest: list[str] = []
    written = markup.read(text)
    for line in lines_of(written.plain):
        for sentence in sentences_of(line):
            stored = written.stored(sentence)  # the rest may become tasks: its people and links stay markup
            (absence if detect_ooo(sentence, now=now, tz=user.timezone) is not None else rest).append(stored)
    ooo_id, parsed, reason = await record_from_text(deps, org, user, " ".join(absence) or text, source="parsed",
                                                    channel=message.get("channel"), ts=message.get("ts"))
    reply, blocks = render.ooo_saved(parsed.start_date, parsed.end_date, reason, ooo_id)
    await say(text=reply, blocks=blocks)
    remainder = " ".join(rest).strip()
    if remainder and dm.has_words(remainder):
        for _p, name, _matcher, handler in deps.extras.get("dm_routes", []):
            if name == "draft":
                await handler(message={**message, "text": remainder}, say=say, deps=deps, context=context, **kwargs)
                break


async def on_undo(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    value = (body.get("actions") or [{}])[0].get("value") or ""
    if not value.isdigit():
        raise InvalidInput("That button is broken; `/ooo list` shows your days off.")
    async with deps.pool.connection() as conn:
        done = await ooo.cancel(conn, org.id, user, int(value), deps.now())
    await respond(text=f":leftwards_arrow_with_hook: Cancelled: you're not out {ooo.describe(done.start_date, done.end_date)} after all.",
                  replace_original=True)
