"""Out of office (F4): `/ooo <dates> [reason]`, `/ooo list`, `/ooo cancel`, `/ooo country <code>`, and
"I'm out Monday to Wednesday" in a DM (standup thread replies are handled with the rest of the reply)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import effects
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import standup as render
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import dm
from bot.listeners.workspace import who
from bot.parsing.ooo import continues_absence, says_absence
from bot.parsing.text import lines_of, sentences_of
from bot.services import absences, calendar, ooo, security, standup_settings
from bot.services import rhythm as rules
from bot.services.workspace import date_order_of
from db.rows import User

USAGE = ("Usage: `/ooo Monday to Wednesday vacation` \u00b7 `/ooo tomorrow sick` \u00b7 `/ooo Dec 22-Jan 2` \u00b7 "
         "`/ooo list` \u00b7 `/ooo cancel` \u00b7 `/ooo country DE-BY` (your public holidays; `team`: the team's, `none`)")
# How far ahead `/ooo list` shows public holidays and a Slack status that says away.
LIST_AHEAD_DAYS = 60


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/ooo")(partial(ooo_command, deps=deps))
    app.action("ooo_undo")(partial(on_undo, deps=deps))
    dm.add_route(deps, "ooo", partial(_states_absence, deps), ooo_from_dm, priority=30)


def _states_absence(deps: Deps, text: str) -> bool:
    return says_absence(markup.plain_text(text), now=deps.now(), tz="UTC")



async def record_from_text(deps: Deps, org: Any, user: User, text: str, *, source: str, channel: str | None = None,
                           ts: str | None = None) -> tuple[int, str | None, str | None, absences.Span]:
    """Parse an absence (through the AI interface) and record it; returns (id, a note for the answer: how
    ambiguous dates were read, or None; reason; its workdays).

    Raises InvalidInput when no days are said, when they are all past, or when they hold no workday
    ("out sat-sun"): nothing is recorded then."""
    now = deps.now()
    async with deps.pool.connection() as conn:
        country = await absences.country_for_names(conn, org.id, user)
    result = await deps.ai.parse_ooo(text, now=now, tz=user.timezone, date_order=date_order_of(user), country=country)
    parsed = result.value
    if parsed is None:
        said = ooo.unknown_holiday_said(text, now=now, tz=user.timezone, country=country)
        raise InvalidInput(f"{said or 'Which days?'} {USAGE}")
    today = rules.local_date(now, user.timezone)
    ooo.check_range(parsed.start_date, parsed.end_date, today)
    reason = parsed.reason
    async with deps.pool.connection() as conn, effects.once(conn, "absence") as step:
        if not step.done:  # else recorded by an earlier attempt at this message (bot/effects.py)
            if result.threat is not None:
                await security.record(conn, organization_id=org.id, event_type="prompt_injection", threat_level=result.threat[0],
                                      description=result.threat[1], user_id=user.id, slack_user_id=user.slack_id,
                                      details={"source": f"ooo_{source}", "text": text[:500]})
        span = await ooo.check_workdays(conn, org.id, user.id, parsed.start_date, parsed.end_date, today)
        if not step.done:
            step.result = await ooo.record(conn, org.id, user, parsed.start_date, parsed.end_date, reason, source=source,
                                           now=now, channel_id=channel, ts=ts)
        ooo_id = step.result
    note = ooo.other_order_note(text, now=now, tz=user.timezone, date_order=date_order_of(user), country=country)
    return ooo_id, note, reason, span


async def list_absences(deps: Deps, org: Any, user: User) -> tuple[str, list[dict[str, Any]]]:
    """`/ooo list`: out-of-office entries with their workdays, other absences coming up, whose holidays apply."""
    today = rules.local_date(deps.now(), user.timezone)
    async with deps.pool.connection() as conn:
        records = await ooo.upcoming(conn, org.id, user.id, today)
        spans = [(r, await ooo.span_of(conn, org.id, user.id, r.start_date, r.end_date)) for r in records]
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        # out-of-office entries are listed above; a holiday on a day off is no news
        others = [a for a in await absences.absences(conn, org.id, [user.id], today, today + timedelta(days=LIST_AHEAD_DAYS))
                  if a.source != absences.SOURCE_OOO
                  and not (a.source == absences.SOURCE_HOLIDAY and not calendar.is_workday(a.first, rhythm))]
        countries = await absences.countries(conn, org.id, user.id)
    return render.ooo_list(spans, others, countries, today)


async def country_command(deps: Deps, org: Any, user: User, words: str) -> str:
    """`/ooo country DE-BY` (yours), `/ooo country team` (the team's), `/ooo country none`, `/ooo country` (show)."""
    async with deps.pool.connection() as conn:
        if words:
            await absences.set_own_country(conn, org.id, user, words)
        team, own = await absences.countries(conn, org.id, user.id)
        today = rules.local_date(deps.now(), user.timezone)
        coming = absences.public_holidays(team if own is None else own, today, today + timedelta(days=LIST_AHEAD_DAYS))
    nxt = f" Next: {ooo.describe(coming[0][0], coming[0][0])}, {markup.escape(coming[0][1])}." if coming else ""
    if own == absences.NO_COUNTRY:
        return ":white_check_mark: No public holidays for you: I'll expect you on every team workday. `/ooo country team` follows the team's again."
    if own:
        return f":white_check_mark: Your public holidays are `{own}`'s: I won't expect you on them.{nxt}"
    if team:
        return f":white_check_mark: You follow the team's public holidays, `{team}`.{nxt} Set your own with `/ooo country DE-BY`."
    return ("You have no public holidays set, and neither has the team. Set yours with `/ooo country GB` "
            "(a two-letter country code, with a region if holidays differ there: `DE-BY`, `US-CA`, `GB-SCT`).")


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
        reply, blocks = await list_absences(deps, org, user)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    if verb in ("country", "holidays", "region"):
        await respond(text=await country_command(deps, org, user, text[len(verb):].strip()), response_type="ephemeral")
        return
    if verb in ("cancel", "remove", "delete", "back"):
        async with deps.pool.connection() as conn:
            records = await ooo.upcoming(conn, org.id, user.id, today)
            if len(records) == 1:
                done = await ooo.cancel(conn, org.id, user, records[0].id, deps.now())
                await respond(text=f":white_check_mark: Cancelled your time off {ooo.describe(done.start_date, done.end_date)}.",
                              response_type="ephemeral")
                return
        reply, blocks = await list_absences(deps, org, user)
        await respond(text=reply, blocks=blocks, response_type="ephemeral")
        return
    ooo_id, note, reason, span = await record_from_text(deps, org, user, ooo.as_statement(text), source="manual",
                                                        channel=command.get("channel_id"))
    reply, blocks = render.ooo_saved(span, reason, ooo_id, today, note=note)
    await respond(text=reply, blocks=blocks, response_type="ephemeral")


async def ooo_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, **kwargs: Any) -> None:
    """"I'm out Monday to Wednesday" in a DM; the rest of the message (if any) goes on to the task drafts."""
    org, user = who(context)
    text = message.get("text") or ""
    now = deps.now()
    absence: list[str] = []
    rest: list[str] = []
    written = markup.read(text)
    after_absence = False  # dates or a return right after an absence belong to it, never to a task
    for line in lines_of(written.plain):
        for sentence in sentences_of(line):
            stored = written.stored(sentence)  # the rest may become tasks: its people and links stay markup
            if after_absence and continues_absence(sentence, now=now, tz=user.timezone):
                absence.append(stored)
                continue
            after_absence = says_absence(sentence, now=now, tz=user.timezone)
            (absence if after_absence else rest).append(stored)
    ooo_id, note, reason, span = await record_from_text(deps, org, user, " ".join(absence) or text, source="parsed",
                                                        channel=message.get("channel"), ts=message.get("ts"))
    reply, blocks = render.ooo_saved(span, reason, ooo_id, rules.local_date(now, user.timezone), note=note)
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
    payload.responds(body)
    ooo_id = payload.action_id_value(body)
    async with deps.pool.connection() as conn:
        done = await ooo.cancel(conn, org.id, user, ooo_id, deps.now())
    await respond(text=f":leftwards_arrow_with_hook: Cancelled: you're not out {ooo.describe(done.start_date, done.end_date)} after all.",
                  replace_original=True)
