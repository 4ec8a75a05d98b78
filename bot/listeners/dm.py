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
from bot.services import workspace

MAX_TEXT = 4000
FILE_ALONE = (":paperclip: I got your file, but I only read words, not what's inside files. Tell me in a message what "
              "you'd like me to do (\u201cremind me to review the contract tomorrow\u201d), or type `help`.")
Matcher = Callable[[str], bool]
Handler = Callable[..., Awaitable[Any]]
# A handler returns PASS when, having looked closer (at the database, say), the message is not its after
# all: the next route whose matcher accepts it gets it ("Today I'm …" with no standup day open is a draft).
PASS = object()


def add_route(deps: Deps, name: str, matcher: Matcher, handler: Handler, *, priority: int = 50) -> None:
    routes = deps.extras.setdefault("dm_routes", [])
    routes.append((priority, name, matcher, handler))
    routes.sort(key=lambda r: r[0])


def add_edit_route(deps: Deps, name: str, handler: Handler, *, priority: int = 50) -> None:
    """A feature that follows edits of what it made from a DM: ``handler(message=…, deps=…, context=…,
    client=…)`` returns True when the edited message was its (it has answered), else False."""
    routes = deps.extras.setdefault("dm_edit_routes", [])
    routes.append((priority, name, handler))
    routes.sort(key=lambda r: r[0])


def register(app: AsyncApp, deps: Deps) -> None:
    app.event({"type": "message", "subtype": "message_changed"}, matchers=[is_dm_edit])(partial(on_edited, deps=deps))
    app.message()(partial(on_message, deps=deps))
    # Bolt's message listeners skip a message without text (AsyncMessageListenerMatches): a file sent alone
    # comes to this one instead, so it is answered too.
    app.event("message", matchers=[is_wordless_dm])(partial(on_message, deps=deps))


async def is_wordless_dm(body: dict[str, Any]) -> bool:
    """A person's DM with no text at all (a file alone, say), which ``app.message`` never sees."""
    event = body.get("event") or {}
    return (event.get("channel_type") == "im" and event.get("subtype") in (None, "file_share") and not event.get("bot_id")
            and not event.get("text"))


def has_words(text: str) -> bool:
    """True when the message says something in words: not only mentions, links or emoji."""
    return markup.read(text).has_words


async def on_message(message: dict[str, Any], say: Any, context: Any, client: Any, deps: Deps) -> None:
    # Bolt injects only the arguments a listener names, so the route handlers get them passed on.
    kwargs = {"context": context, "client": client}
    if message.get("channel_type") != "im" or message.get("subtype") not in (None, "file_share"):
        return
    text = message.get("text") or ""
    if message.get("subtype") == "file_share" and not has_words(text):
        await say(text=FILE_ALONE)
        return
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


async def route_again(message: dict[str, Any], say: Any, deps: Deps, *, skip: str, **kwargs: Any) -> None:
    """Handle ``message`` (a person's DM, as Slack's message event carries it) by the routes other than ``skip``,
    as :func:`on_message` would have: for a message held back to ask the person what it was (an inquiry's reply?)
    that they say is something else. ``kwargs``: the ``context`` and ``client`` the handlers take."""
    text = message.get("text") or ""
    for _priority, name, matcher, handler in deps.extras.get("dm_routes", []):
        if name != skip and matcher(text) and await handler(message=message, say=say, deps=deps, **kwargs) is not PASS:
            return
    await say(text="I'm not sure what to do with that yet. Type `help` to see what I can do.")


# ---------------------------------------------------------------- edits

async def is_dm_edit(body: dict[str, Any]) -> bool:
    """A person's DM to Steward whose words changed (not an unfurl or Steward's own message)."""
    event = body.get("event") or {}
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    return (event.get("channel_type") == "im" and not message.get("bot_id") and bool(message.get("user"))
            and message.get("text") != previous.get("text"))


async def on_edited(event: dict[str, Any], context: Any, client: Any, deps: Deps) -> None:
    """An edited DM: the feature that made something from it follows the edit; when none did, the person
    is told that the edit changed nothing (never silently)."""
    org = context.get("org")
    message = {**(event.get("message") or {}), "channel": event.get("channel")}
    if org is None or message.get("user") == org.bot_user_id:
        return
    if context.get("steward_user") is None:
        async with deps.pool.connection() as conn:
            context["steward_user"] = await workspace.user_by_slack_id(conn, org.id, message["user"])
    if context.get("steward_user") is None:
        return
    for _priority, _name, handler in deps.extras.get("dm_edit_routes", []):
        if await handler(message=message, deps=deps, context=context, client=client):
            return
    await client.chat_postMessage(channel=event.get("channel"), text=(
        ":information_source: I saw you edited a message. Edits change drafts and standup updates, not what I've already "
        "done with other messages, so nothing changed: send the new words as a new message if you'd like me to act on them."))
