"""`/steward dashboard`: a manager or an admin is sent a sign-in link to the web dashboard (issue 17) by DM, with a
one-time password the first time (and again while the last one is unused). Members are refused politely (logged).

The DM is posted with the request's own client, not through ``notify()``: a one-time password must never be stored,
and a notification row keeps its text. The rules live in bot/services/dashboard_auth.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot.deps import Deps
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import dashboard_auth, security

REFUSAL = ("The dashboard is for managers and admins, so I can't send you a sign-in link. Your own tasks, mood and "
           "journal are yours here in Slack: `/tasks`, App Home and `/steward my-data` show them.")


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["dashboard"] = steward_dashboard


def sign_in_link(base: str, login: str, team_id: str) -> str:
    """The sign-in page's address for ``login`` in workspace ``team_id`` (both only fill the form in)."""
    return f"{base}login?" + urlencode({"login": login, "team": team_id})


def link_message(link: str, password: str | None) -> str:
    """The DM: the link, and the one-time password when one was just set (shown this once)."""
    text = f"Here's your sign-in link for the Steward dashboard: <{markup.escape(link)}|open the dashboard>."
    if password is not None:
        return (text + f"\nYour one-time password: `{password}`\nIt signs in once, within 24 hours: when you sign in, "
                "you'll choose your own password before anything else is shown. Nobody else has seen it, and I don't keep it.")
    return (text + "\nSign in with the password you chose. Forgot it? Ask an admin to run "
            "`steward admin password <your email>` for a new one-time password.")


async def steward_dashboard(ack: Any, respond: Any, client: Any, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    if not user.is_manager:
        async with deps.pool.connection() as conn:
            await security.deny(conn, organization_id=org.id, actor=user, action="dashboard.link", message=REFUSAL)
        await respond(text=REFUSAL, response_type="ephemeral")
        return
    async with deps.pool.connection() as conn:
        has, one_time = await dashboard_auth.has_password(conn, user)
        password = None
        if not has or one_time:  # first use, or a one-time password never used: a fresh one (the last is gone)
            password = await dashboard_auth.set_one_time_password(conn, user, deps.now(), actor=user, via="slack")
    base = deps.extras.get("dashboard_url") or deps.settings.dashboard_url()
    link = sign_in_link(base, user.email or user.slack_id, org.team_id)
    dm = (await client.conversations_open(users=user.slack_id))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text=link_message(link, password))
    await respond(text="I sent you a sign-in link for the dashboard in our DM"
                       + (", with a one-time password." if password else "."), response_type="ephemeral")
