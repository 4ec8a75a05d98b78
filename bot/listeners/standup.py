"""The daily rhythm in Slack (F4, F5): `/steward standup` settings, the end-of-day check-in, and App Home's
"Today". The day's updates (replies in the morning thread, DMs and channel posts) are in :mod:`bot.listeners.updates`."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import standup as render
from bot.deps import Deps
from bot.errors import InvalidInput, InvalidPayload
from bot.listeners import help as help_listener
from bot.listeners import home
from bot.listeners.workspace import who
from bot.log import get_logger
from bot.services import mood as mood_service
from bot.services import ooo as ooo_service
from bot.services import rhythm as rules
from bot.services import security, standup_plan, standup_settings, standup_threads
from bot.services import tasks as task_service
from db.repos import users as users_repo
from db.rows import User

log = get_logger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    help_listener.subcommands(deps)["standup"] = standup_subcommand
    app.view("standup_settings")(partial(on_settings_submit, deps=deps))
    app.action("standup_settings_open")(partial(on_settings_open, deps=deps))
    app.action("eod_toggle")(partial(on_eod_toggle, deps=deps))
    app.action("eod_all_done")(partial(on_eod_all_done, deps=deps))
    app.action("eod_drop_open")(partial(on_eod_drop_open, deps=deps))
    app.view("eod_drop")(partial(on_eod_drop_submit, deps=deps))
    hooks = deps.extras.setdefault("ack_hooks", {})
    hooks["standup_settings"] = validate_settings
    hooks["eod_drop"] = validate_drop
    home.sections(deps).append(("Today", today_section))




# ---------------------------------------------------------------- settings

async def standup_subcommand(ack: Any, respond: Any, command: dict[str, Any], args: str, deps: Deps, context: Any = None,
                             client: Any = None, **_: Any) -> None:
    await ack()
    org, user = who(context)
    words = args.strip()
    async with deps.pool.connection() as conn:
        current = await standup_settings.rhythm_of(conn, org.id)
        if words.lower() in ("show", "status", "settings", "help", "?"):
            await respond(text=render.settings_text(current) + "\n\n" + standup_settings.SETTINGS_USAGE, response_type="ephemeral")
            return
        if not user.is_admin:
            raise await security.deny(conn, organization_id=org.id, actor=user, action="standup.settings",
                                      message="Sorry, only Steward admins can change the standup settings. "
                                              "`/steward standup show` shows them.")
        if not words:
            await client.views_open(trigger_id=payload.trigger_of(command, what="command"), view=render.settings_modal(current))
            return
        changes = standup_settings.parse_settings_words(words, current)
        updated = await standup_settings.update_rhythm(conn, org.id, user, changes)
    await respond(text=":white_check_mark: Saved.\n" + render.settings_text(updated), response_type="ephemeral")


async def on_settings_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        if not user.is_admin:
            raise await security.deny(conn, organization_id=org.id, actor=user, action="standup.settings",
                                      message="Sorry, only Steward admins can change the standup settings.")
        current = await standup_settings.rhythm_of(conn, org.id)
    await client.views_open(trigger_id=payload.trigger_of(body), view=render.settings_modal(current))


WEEKDAY_VALUES = {str(d): d for d in range(1, 8)}  # the workday checkboxes' values (render.settings_modal)


def settings_changes(values: payload.Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The modal's values as column changes, and per-field errors. Raises InvalidPayload for values the
    form cannot have sent (a list where it has a text input, a workday that is none of its checkboxes)."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def attempt(block: str, fn: Any) -> None:
        try:
            fn()
        except InvalidInput as exc:
            errors[block] = str(exc)[:150]

    if values.choice("channel"):
        changes["standup_channel_id"] = values.choice("channel")
    for block in ("morning_time", "end_of_day_time", "mood_checkin_time"):
        chosen = values.choice(block)
        if chosen:
            attempt(block, lambda b=block, t=chosen: changes.__setitem__(b, standup_settings.parse_time(t)))
    tz = values.text("timezone").strip()
    if tz and not rules.valid_timezone(tz):
        errors["timezone"] = "Use a timezone name like America/New_York or Europe/Berlin."
    elif tz:
        changes["timezone"] = tz
    if "workdays" in values:
        ticked = values.choices("workdays")
        if any(d not in WEEKDAY_VALUES for d in ticked):
            raise InvalidPayload("a workday that is none of the form's", surface="form")
        days = [WEEKDAY_VALUES[d] for d in ticked]
        if not days:
            errors["workdays"] = "Pick at least one workday."
        changes["workdays"] = sorted(set(days))
    holidays = values.text("holidays")
    attempt("holidays", lambda: changes.__setitem__("holidays", standup_settings.parse_dates(holidays)))
    for block, what in (("nudge_delay_minutes", "nudges"), ("manager_summary_delay_minutes", "the manager summary")):
        typed = values.text(block)
        if typed:
            attempt(block, lambda b=block, w=what, t=typed: changes.__setitem__(b, standup_settings.parse_minutes(t, w)))
    changes["mood_checkin_enabled"] = "on" in values.choices("mood_checkin_enabled")
    changes["use_member_local_time"] = "on" in values.choices("use_member_local_time")
    return changes, errors


def validate_settings(body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time, so a mistake shows next to its field."""
    changes, errors = settings_changes(payload.form_of(body.get("view") or {}))
    merged = standup_settings.merge(rules.Rhythm(), changes)
    if {"end_of_day_time", "morning_time"} <= changes.keys() and merged.end_of_day_time <= merged.morning_time:
        errors.setdefault("end_of_day_time", "The end of day must come after the morning thread.")
    if ({"manager_summary_delay_minutes", "nudge_delay_minutes"} <= changes.keys()
            and merged.manager_summary_delay_minutes < merged.nudge_delay_minutes):
        errors.setdefault("manager_summary_delay_minutes", "Send the summary after the nudges.")
    return {"response_action": "errors", "errors": errors} if errors else None


async def on_settings_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    changes, errors = settings_changes(payload.form_of(view))
    if errors:
        return  # the ack showed them
    async with deps.pool.connection() as conn:
        updated = await standup_settings.update_rhythm(conn, org.id, user, changes)
    await client.chat_postMessage(channel=user.slack_id, text=":white_check_mark: Standup settings saved.\n" + render.settings_text(updated))


# ---------------------------------------------------------------- end of day

def _eod_day(value: str, *, what: str = "button") -> date:
    """The day of a check-in, as its buttons and form carry it ("2026-03-06", "2026-03-06:…")."""
    return payload.parse_day(value.split(":")[0], what=what)


async def _refresh_checkin(client: Any, body: dict[str, Any], day: date, items: list[standup_plan.PlanItem]) -> None:
    channel, ts = payload.message_of(body)
    text, blocks = render.eod_checkin(day, items)
    await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


async def _closed_checkin(client: Any, body: dict[str, Any], deps: Deps, org: Any, user: User, day: date) -> None:
    async with deps.pool.connection() as conn:
        items = await standup_plan.plan_of(conn, org.id, user.id, day)
    channel, ts = payload.message_of(body)
    await client.chat_update(channel=channel, ts=ts, text="This day is closed.", blocks=render.eod_closed(day, items))


async def on_eod_toggle(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    action = payload.action(body)
    block_id = action.get("block_id") or ""
    day = _eod_day(block_id.removeprefix("eod:"))
    selected = {payload.parse_id(o["value"]) for o in action.get("selected_options") or []}
    payload.message_of(body)  # a tick is answered by updating its message: it must say which
    # The group's own options: ticks in one group never touch another group's tasks.
    shown: set[int] = set()
    for block in (body.get("message") or {}).get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            shown |= _option_ids(block)
    try:
        async with deps.pool.connection() as conn:
            items = await standup_plan.mark_done(conn, org.id, user, day, selected, deps.now(), only=shown or None)
    except standup_plan.DayClosed:
        await _closed_checkin(client, body, deps, org, user, day)
        raise
    except task_service.TaskDropped:  # ticked on a check-in sent before the task was dropped: show it as it is
        async with deps.pool.connection() as conn:
            await _refresh_checkin(client, body, day, await standup_plan.plan_of(conn, org.id, user.id, day))
        raise
    await _refresh_checkin(client, body, day, items)


def _option_ids(block: dict[str, Any]) -> set[int]:
    """The task ids of a check-in group's checkboxes, as Steward rendered them (the message Slack sends back)."""
    elements = block.get("elements")
    options: list[Any] = []
    for element in elements if isinstance(elements, list) else []:
        if isinstance(element, dict) and isinstance(element.get("options"), list):
            options.extend(element["options"])
    return {payload.parse_id(o.get("value") if isinstance(o, dict) else o) for o in options}


async def on_eod_all_done(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    day = _eod_day(payload.action_value(body))
    payload.message_of(body)
    try:
        async with deps.pool.connection() as conn:
            items = await standup_plan.plan_of(conn, org.id, user.id, day)
            everything = {i.task_id for i in items if not i.is_dropped}
            items = await standup_plan.mark_done(conn, org.id, user, day, everything, deps.now())
    except standup_plan.DayClosed:
        await _closed_checkin(client, body, deps, org, user, day)
        raise
    await _refresh_checkin(client, body, day, items)


async def on_eod_drop_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    day = _eod_day(payload.action_value(body))
    channel, ts = payload.message_of(body)
    trigger = payload.trigger_of(body)
    async with deps.pool.connection() as conn:
        items = await standup_plan.plan_of(conn, org.id, user.id, day)
        names = await users_repo.names_by_slack_ids(conn, org.id, [u for i in items for u in markup.read(i.title).users])
    if items and all(i.closed_at is not None for i in items):
        await _closed_checkin(client, body, deps, org, user, day)
        raise standup_plan.DayClosed()
    if not any(not i.is_done and not i.is_dropped for i in items):
        raise InvalidInput("There's nothing left to drop on that day's plan.")
    metadata = "|".join([day.isoformat(), channel, ts])
    await client.views_open(trigger_id=trigger, view=render.drop_modal(day, items, metadata, names))


def validate_drop(body: dict[str, Any]) -> dict[str, Any] | None:
    values = payload.form_of(body.get("view") or {})
    errors = {}
    if values.choice("task") in (None, "", "0"):  # "0": the placeholder option of a plan with nothing left
        errors["task"] = "Pick the task to drop."
    if not values.text("reason").strip():
        errors["reason"] = "Say why, so the team knows (e.g. \u201cthe client cancelled it\u201d)."
    return {"response_action": "errors", "errors": errors} if errors else None


async def on_eod_drop_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    values = payload.form_of(view)
    if validate_drop({"view": view}) is not None:
        return
    day_text, channel, ts = payload.metadata(view, 3)
    day = _eod_day(day_text, what="form")
    task_id = values.id("task")
    async with deps.pool.connection() as conn:
        items = await standup_plan.drop_planned(conn, org.id, user, day, task_id, values.text("reason"), deps.now())
    if channel and ts:
        text, blocks = render.eod_checkin(day, items)
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


# ---------------------------------------------------------------- App Home: Today

async def today_section(deps: Deps, org: Any, user: User) -> list[dict[str, Any]]:
    now = deps.now()
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        today = rules.local_date(now, rhythm.person_tz(user.timezone))
        org_today = rules.local_date(now, rhythm.timezone)
        thread = await standup_threads.posted_thread_for(conn, org.id, org_today)
        plan = await standup_plan.plan_of(conn, org.id, user.id, thread.thread_date if thread else org_today)
        out = [r for r in await ooo_service.upcoming(conn, org.id, user.id, today) if r.start_date <= today <= r.end_date]
        submitted = bool(thread and user.id in await standup_threads.submitter_ids(conn, thread))
        domain = await standup_threads.team_domain(conn, org.id)
        mood_today = await mood_service.of_day(conn, org.id, user.id, today)
        team = await mood_service.team_mood(conn, org.id, user, today=today) if user.is_manager else None
    link = standup_threads.permalink(domain, thread.channel_id, thread.thread_ts) if thread else None
    mood_bits = []
    if mood_today:
        mood_bits.append(f"Your mood today: {mood_service.emoji(mood_today[0])} {mood_today[0]}/5 (only you see this)")
    if team is not None:
        mood_bits.append(f"Team mood, last 7 days: {mood_service.describe_average(team.average)} from {team.people} people"
                         if team.enough else "Team mood, last 7 days: not enough responses yet (I show it from 3 people up).")
    settings_line = None
    if user.is_admin:
        channel = f"<#{rhythm.standup_channel_id}>" if rhythm.standup_channel_id else "no channel yet"
        settings_line = (f"Standup: {channel} at {rhythm.morning_time:%H:%M} {rhythm.timezone}, "
                         f"{rules.describe_days(rhythm.workdays)}; end of day {rhythm.end_of_day_time:%H:%M}.")
    return render.today_section(thread.thread_date if thread else org_today, plan, thread_link=link, submitted=submitted,
                                out=ooo_service.describe(out[0].start_date, out[0].end_date) if out else None,
                                mood_line="\n".join(mood_bits) or None, settings_line=settings_line, is_admin=user.is_admin)

