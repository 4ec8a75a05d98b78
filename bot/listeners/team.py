"""Who manages whom (issue 13): `/steward manager`, `/steward team`, `/steward role`, and App Home's Team
modal for admins. The rules live in bot/services/team.py."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import team as render
from bot.deps import Deps
from bot.errors import InvalidInput, NotFound
from bot.listeners import home
from bot.listeners.help import subcommands
from bot.listeners.workspace import submitter, who
from bot.services import security, team, workspace
from db.rows import Organization, User

_FOR = re.compile(r"\s+for(?:\s+|$)", re.IGNORECASE)
# "@nobody": a name typed with @ that Slack did not turn into a mention (nobody it knows by that name).
_TYPED_NAME = re.compile(r"(?<![<\w])@[\w.\-]+")
_NOBODY = re.compile(r"(?<![\w@])(?:none|nobody|no\s+one|no-one|no\s+manager|clear)(?![\w])", re.IGNORECASE)
MANAGER_USAGE = ("Say `/steward manager @maya for @priya @daniel` to set who manages them, "
                 "`/steward manager @priya none` to clear it, or `/steward manager @priya` to see it.")


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["manager"] = manager_command
    subcommands(deps)["managers"] = manager_command
    subcommands(deps)["team"] = team_command
    subcommands(deps)["role"] = role_command
    app.action("team_modal_open")(partial(on_team_modal_open, deps=deps))
    app.view("team_managers")(partial(on_team_modal_submit, deps=deps))
    deps.extras.setdefault("ack_hooks", {})["team_managers"] = partial(check_team_modal, deps)
    home.sections(deps).append(("Who manages whom", team_section))


async def people(conn: Any, org: Organization, slack_ids: tuple[str, ...] | list[str]) -> list[User]:
    """The Steward users of these Slack ids, in order; NotFound naming the first one Steward doesn't know."""
    found = []
    for slack_id in dict.fromkeys(slack_ids):
        user = await workspace.user_by_slack_id(conn, org.id, slack_id)
        if user is None:
            raise NotFound(f"I don't know <@{slack_id}> (a bot, a guest, or someone who just joined: try again in a "
                           "minute).")
        found.append(user)
    return found


async def manager_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = args.strip()
    split = _FOR.split(text, maxsplit=1)
    async with deps.pool.connection() as conn:
        if len(split) == 2:
            head, tail = split
            managers, reports = markup.read(head).users, markup.read(tail).users
            _refuse_typed_names(head if not managers else markup.read(head).without("user"))
            if len(managers) != 1:
                raise InvalidInput("Name one manager before `for`: " + MANAGER_USAGE)
            if not reports:
                _refuse_typed_names(tail)
                raise InvalidInput(f"Who does <@{managers[0]}> manage? Name them after `for` with @: " + MANAGER_USAGE)
            _refuse_typed_names(markup.read(tail).without("user"))
            manager = (await people(conn, org, managers))[0]
            result = await team.set_manager(conn, org.id, user, manager, await people(conn, org, reports))
        else:
            mentioned = markup.read(text).users
            if not mentioned:
                _refuse_typed_names(text)
                raise InvalidInput(MANAGER_USAGE)
            targets = await people(conn, org, mentioned)
            if not _NOBODY.search(markup.read(text).without("user")):
                if len(targets) > 1:
                    raise InvalidInput("Say `for` between the manager and their people: " + MANAGER_USAGE)
                person = targets[0]
                current = await workspace.user_by_id(conn, org.id, person.manager_id) if person.manager_id else None
                await respond(text=f"{person.mention}'s manager is {team.name(current)}. {MANAGER_USAGE}",
                              response_type="ephemeral")
                return
            result = await team.set_manager(conn, org.id, user, None, targets)
    await respond(text=render.manager_result_text(result), response_type="ephemeral")


def _refuse_typed_names(words: str) -> None:
    """NotFound for a typed "@name" that Slack did not turn into a mention: nobody Steward (or Slack) knows."""
    typed = _TYPED_NAME.search(words or "")
    if typed is not None:
        raise NotFound(f"I don't know `{markup.escape(typed.group(0))[:40]}` here. Pick people from the list as you "
                       "type `@`.")


async def team_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, _user = who(context)
    mentioned = markup.read(args).users
    if args.strip() and not mentioned:
        raise InvalidInput("Say `/steward team` for everyone, or `/steward team @maya` for one manager's team.")
    async with deps.pool.connection() as conn:
        chart = await team.org_chart(conn, org.id)
        manager = (await people(conn, org, mentioned[:1]))[0] if mentioned else None
    await respond(text=render.team_text(chart, manager), response_type="ephemeral")


async def role_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    written = markup.read(args)
    words = written.without("user").split()
    if len(written.users) != 1 or len(words) != 1:
        raise InvalidInput("Say `/steward role @maya manager` (or `admin`, `member`): one person, one role.")
    async with deps.pool.connection() as conn:
        target = (await people(conn, org, written.users))[0]
        before, after = await team.set_role(conn, org.id, user, target, words[0])
    configured = {a.lower() for a in deps.settings.admins}
    await respond(text=render.role_text(target, before, after, configured_admin=target.slack_id.lower() in configured
                                        or (target.email or "").lower() in configured), response_type="ephemeral")


# ---------------------------------------------------------------- App Home's Team modal (admins)

async def team_section(deps: Deps, org: Organization, user: User) -> list[dict[str, Any]] | None:
    if not user.is_admin:
        return None
    async with deps.pool.connection() as conn:
        return render.team_home_section(await team.org_chart(conn, org.id))


async def on_team_modal_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        if not user.is_admin:
            raise await security.deny(conn, organization_id=org.id, actor=user, action="team.set_manager",
                                      message="Sorry, only Steward admins can set who manages whom.")
        chart = await team.org_chart(conn, org.id)
    await client.views_open(trigger_id=payload.trigger_of(body), view=render.team_modal(chart))


def validate_team_modal(body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time: someone picked as their own manager shows next to the field."""
    values = payload.form_of(body.get("view") or {})
    manager, reports = values.choice("manager"), values.choices("reports")
    if manager and manager in reports:
        return {"response_action": "errors", "errors": {"reports": "Someone can't be their own manager: take them out."}}
    if not reports:
        return {"response_action": "errors", "errors": {"reports": "Pick at least one person."}}
    return None


async def check_team_modal(deps: Deps, body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time (bot/inbox.py): :func:`validate_team_modal`, then what saving would refuse (someone Steward
    doesn't know, such as a bot; someone who left; a reporting loop), under the field it is about, in plain
    words (a field's error shows no mentions)."""
    errors = validate_team_modal(body)
    if errors is not None:
        return errors
    values = payload.form_of(body.get("view") or {})
    chosen, reports = values.choice("manager"), values.choices("reports")
    async with deps.pool.connection() as conn:
        org, _user = await submitter(conn, body)
        if org is None:
            return None
        try:
            manager = (await people(conn, org, [chosen]))[0] if chosen else None
        except NotFound:
            return _field_error("manager", "I don't know that person (a bot, a guest, or someone who just joined): "
                                           "pick someone else.")
        try:
            picked = await people(conn, org, reports)
        except NotFound:
            return _field_error("reports", "I don't know one of the people picked (a bot, a guest, or someone who "
                                           "just joined): take them out.")
        try:
            await team.check_change(conn, org.id, manager, picked)
        except InvalidInput as exc:
            names = {u.slack_id: u.display_name for u in [*picked, *([manager] if manager else [])]}
            return _field_error("manager" if manager is not None else "reports",
                                markup.plain_text(markup.with_names(str(exc), names)))
    return None


def _field_error(block_id: str, message: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {block_id: message[:300]}}


async def on_team_modal_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    values = payload.form_of(view)
    if validate_team_modal({"view": view}) is not None:
        return  # the ack showed why
    chosen, reports = values.choice("manager"), values.choices("reports")
    try:
        async with deps.pool.connection() as conn:
            manager = (await people(conn, org, [chosen]))[0] if chosen else None
            result = await team.set_manager(conn, org.id, user, manager, await people(conn, org, reports))
            text = render.manager_result_text(result)
    except (InvalidInput, NotFound) as exc:
        text = f"Nothing was changed: {exc}"
    await client.chat_postMessage(channel=user.slack_id, text=text)
    await home.publish_home(client, deps, org, user)
