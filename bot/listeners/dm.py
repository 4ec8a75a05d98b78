"""Direct messages: routed to the first feature that recognises them, else a polite pointer.

Features add routes (``add_route``) at registration: a matcher on the text and a handler.
The catch-all (drafts, once registered) comes last. Registered as the last message listener,
because Bolt runs only the first matching listener.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot.deps import Deps

MAX_TEXT = 4000
Matcher = Callable[[str], bool]
Handler = Callable[..., Awaitable[Any]]
# A handler returns PASS when, having looked closer (at the database, say), the message is not its after
# all: the next route whose matcher accepts it gets it ("Today I'm …" with no standup day open is a draft).
PASS = object()


def add_route(deps: Deps, name: str, matcher: Matcher, handler: Handler, *, priority: int = 50) -> None:
    routes = deps.extras.setdefault("dm_routes", [])
    routes.append((priority, name, matcher, handler))
    routes.sort(key=lambda r: r[0])


def register(app: AsyncApp, deps: Deps) -> None:
    app.message()(partial(on_message, deps=deps))


def has_words(text: str) -> bool:
    """True when the message says something in words: not only mentions, links or emoji."""
    return markup.read(text).has_words


async def on_message(message: dict[str, Any], say: Any, context: Any, client: Any, deps: Deps) -> None:
    # Bolt injects only the arguments a listener names, so the route handlers get them passed on.
    kwargs = {"context": context, "client": client}
    if message.get("channel_type") != "im" or message.get("subtype"):
        return
    text = message.get("text") or ""
    if len(text) > MAX_TEXT:
        await say(text=f"That's a long message ({len(text):,} characters); I read up to {MAX_TEXT:,}. "
                       "Could you send me the part you want me to act on?")
        return
    if not has_words(text):
        await say(text="\U0001F44B Got it! If you want me to do something, tell me in words, or type `help`.")
        return
    for _priority, _name, matcher, handler in deps.extras.get("dm_routes", []):
        if matcher(text) and await handler(message=message, say=say, deps=deps, **kwargs) is not PASS:
            return
    await say(text="I'm not sure what to do with that yet. Type `help` to see what I can do.")
