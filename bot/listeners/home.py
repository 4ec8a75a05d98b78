"""App Home: published on app_home_opened, with sections features fill in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.blocks import home as render
from bot.blocks import kit
from bot.deps import Deps
from bot.log import get_logger
from bot.slack_limits import slack_refusal

log = get_logger(__name__)

# (title, builder) — a builder returns blocks for (deps, org, user) or None to hide itself.
HomeSection = Callable[[Deps, Any, Any], Awaitable[list[dict[str, Any]] | None]]


def sections(deps: Deps) -> list[tuple[str, HomeSection]]:
    return deps.extras.setdefault("home_sections", [])


def register(app: AsyncApp, deps: Deps) -> None:
    app.event("app_home_opened")(partial(on_home_opened, deps=deps))


async def publish_home(client: Any, deps: Deps, org: Any, user: Any) -> None:
    parts: list[tuple[str, list[dict[str, Any]]]] = []
    for title, builder in sections(deps):
        blocks = await builder(deps, org, user)
        if blocks is not None:
            parts.append((title, blocks))
    view = render.home_view(user, parts, offline_ai=deps.settings.offline_ai, sandbox=bool(deps.extras.get("sandbox")))
    try:
        await client.views_publish(user_id=user.slack_id, view=view)
    except SlackApiError as exc:
        if slack_refusal(exc) is None:
            raise
        # Never leave someone on "Opening your Home…": a plain Home that says so, and the reason in the log.
        log.error("home_refused", error=slack_refusal(exc), messages=(exc.response.get("response_metadata") or {}).get("messages"))
        await client.views_publish(user_id=user.slack_id, view=render.home_view(user, [("Home", [kit.section(
            ":warning: Part of your Home didn't fit what Slack allows, so I'm showing this short version; the admins "
            "can see why in Steward's log. `/tasks`, `/board` and `/steward help` work as usual.")])],
            offline_ai=deps.settings.offline_ai, sandbox=bool(deps.extras.get("sandbox"))))


async def on_home_opened(event: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    org, user = context.get("org"), context.get("steward_user")
    if org is None or user is None:
        return
    await publish_home(client, deps, org, user)
