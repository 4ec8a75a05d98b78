"""Who is asking: a global middleware puts the organization and the Steward user in the
context of every request; team_join / user_change keep people current."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot.deps import Deps
from bot.errors import InvalidInput, NotFound
from bot.log import bind_context
from bot.services import workspace
from db.rows import Organization, User


def register(app: AsyncApp, deps: Deps) -> None:
    app.middleware(partial(resolve_org_and_user, deps=deps))
    app.event("team_join")(partial(on_member_changed, deps=deps))
    app.event("user_change")(partial(on_member_changed, deps=deps))


async def mentioned_user(conn: Any, org: Organization, text: str, *,
                         unknown: str = "I don't know that person yet.") -> User | None:
    """The Steward user of the first <@U…> in ``text``; None without a mention, NotFound for a stranger."""
    people = markup.read(text).users
    if not people:
        return None
    found = await workspace.user_by_slack_id(conn, org.id, people[0])
    if found is None:
        raise NotFound(unknown)
    return found


def who(context: Any) -> tuple[Organization, User]:
    """The organization and the Steward user behind a request (put there by the middleware below)."""
    org, user = context.get("org"), context.get("steward_user")
    if org is None or user is None:
        raise InvalidInput("I don't know you yet; give me a moment to sync the workspace and try again.")
    return org, user


async def submitter(conn: Any, body: dict[str, Any]) -> tuple[Organization | None, User | None]:
    """Who submitted a view, read at ack time (an ack hook, bot/inbox.py) from what Steward already holds: the
    organization of the payload's team and its Steward user (either None when unknown; nothing is synced or
    asked of Slack, the submit handler does that)."""
    team_id, slack_user = _team_id(body), _slack_user(body)
    org = await workspace.org_by_team(conn, team_id) if isinstance(team_id, str) and team_id else None
    user = await workspace.user_by_slack_id(conn, org.id, slack_user) if org is not None and slack_user else None
    return org, user


def _team_id(body: dict[str, Any]) -> str | None:
    team = body.get("team_id") or body.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    if not team and isinstance(body.get("user"), dict):
        team = body["user"].get("team_id")
    return team


def _slack_user(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("user"), dict):
        return body["user"].get("id")
    if body.get("user_id"):
        return body["user_id"]
    event = body.get("event") or {}
    user = event.get("user")
    return user if isinstance(user, str) else None


async def resolve_org_and_user(context: Any, body: dict[str, Any], client: Any, next: Any, deps: Deps) -> Any:  # noqa: A002
    team_id = _team_id(body) or context.get("team_id")
    slack_user = _slack_user(body)
    if team_id:
        now = deps.now()
        async with deps.pool.connection() as conn:
            org = await workspace.org_by_team(conn, team_id)
            if org is None:
                auth = await client.auth_test()
                await workspace.ensure_org(conn, team_id=team_id, name=auth.get("team") or team_id, now=now,
                                           bot_user_id=auth.get("user_id"), bot_id=auth.get("bot_id"))
                org = await workspace.org_by_team(conn, team_id)
            context["org"] = org
            if org is not None and slack_user and slack_user != org.bot_user_id:
                user = await workspace.ensure_user(conn, client, org, slack_user, admins=deps.settings.admins, now=now)
                context["steward_user"] = user
        bind_context(organization_id=getattr(context.get("org"), "id", None), slack_user=slack_user)
    return await next()


async def on_member_changed(event: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    org = context.get("org")
    member = event.get("user")
    if org is None or not isinstance(member, dict) or not member.get("id"):
        return
    if event.get("type") == "team_join" and "locale" not in member:
        # a newcomer's locale (their date order) comes only from users.info with include_locale
        member = {**member, "locale": await workspace.member_locale(client, member["id"])}
    async with deps.pool.connection() as conn:
        try:
            await workspace.upsert_member(conn, org.id, org.team_id, member, now=deps.now())
        except workspace._Raced:
            pass
