"""App Home: published on app_home_opened, with sections features fill in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import home as render
from bot.deps import Deps

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
    await client.views_publish(user_id=user.slack_id, view=view)


async def on_home_opened(event: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    org, user = context.get("org"), context.get("steward_user")
    if org is None or user is None:
        return
    await publish_home(client, deps, org, user)
