"""`/steward my-data` for everyone; `/steward export @person` and `/steward erase @person` for admins."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_payloads as payload
from bot.deps import Deps
from bot.errors import InvalidInput, NotFound
from bot.listeners.help import subcommands
from bot.listeners.workspace import mentioned_user, who
from bot.services import privacy, security, workspace


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["my-data"] = my_data
    subcommands(deps)["export"] = export_person
    subcommands(deps)["erase"] = erase_person
    app.action("privacy_erase_confirm")(partial(on_erase_confirm, deps=deps))



async def _person(conn: Any, org: Any, args: str) -> Any:
    person = await mentioned_user(conn, org, args, unknown="I don't hold anything about that person.")
    if person is None:
        raise InvalidInput("Who? Mention them: `/steward export @someone`.")
    return person


async def my_data(ack: Any, respond: Any, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        counts = await privacy.summary(conn, org.id, user)
    lines = "\n".join(f"\u2022 {label}: *{n}*" for label, n in counts.items())
    text = (f"*What I hold about you*\nProfile: {user.display_name}, {user.email or 'no email'}, role {user.role}, "
            f"timezone {user.timezone}.\n{lines}\n_Your journal and mood entries are visible to you only. "
            "An admin can export everything about you or erase it on your request._")
    await respond(text=text, response_type="ephemeral")


async def export_person(ack: Any, respond: Any, args: str, client: Any, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, admin = who(context)
    async with deps.pool.connection() as conn:
        person = await _person(conn, org, args)
        data = await privacy.export(conn, org.id, admin, person)
    dm = (await client.conversations_open(users=admin.slack_id))["channel"]["id"]
    await client.files_upload_v2(channel=dm, filename=f"steward-export-{person.slack_id}.json",
                                 content=json.dumps(data, indent=2, default=str),
                                 initial_comment=f"Everything Steward holds about <@{person.slack_id}>.")
    await respond(text=f"I sent you the export for <@{person.slack_id}> in our DM.", response_type="ephemeral")


async def erase_person(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, admin = who(context)
    async with deps.pool.connection() as conn:
        await security.require_admin(conn, organization_id=org.id, actor=admin, action="person.erase")
        person = await _person(conn, org, args)
        counts = await privacy.summary(conn, org.id, person)
    held = ", ".join(f"{n} {label}" for label, n in counts.items() if n) or "nothing beyond their profile"
    await respond(response_type="ephemeral", text=f"Erase <@{person.slack_id}>?", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: Erase everything about <@{person.slack_id}> ({held})? "
                                                              "Tasks they own stay with the team, unassigned. This cannot be undone."}},
        {"type": "actions", "block_id": "privacy_erase", "elements": [
            {"type": "button", "action_id": "privacy_erase_confirm", "style": "danger", "value": person.slack_id,
             "text": {"type": "plain_text", "text": "Erase permanently"}}]}])


async def on_erase_confirm(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, admin = who(context)
    payload.responds(body)
    slack_id = payload.action_value(body)
    async with deps.pool.connection() as conn:
        person = await workspace.user_by_slack_id(conn, org.id, slack_id)
        if person is None:
            raise NotFound("That person was already erased.")
        await privacy.erase(conn, org.id, admin, person, deps.now())
    await respond(text=f"Erased everything Steward held about <@{slack_id}>.", replace_original=True)
