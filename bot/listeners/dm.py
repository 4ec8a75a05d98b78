"""Direct messages nobody else claimed: a polite pointer to what Steward understands.

Registered last: Bolt runs the first matching message listener, so feature listeners
(drafts, reminders, questions...) registered before this one take what they recognise.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps

MAX_TEXT = 4000


def register(app: AsyncApp, deps: Deps) -> None:
    app.message()(partial(fallback, deps=deps))


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


async def fallback(message: dict[str, Any], say: Any, deps: Deps, **_: Any) -> None:
    if message.get("channel_type") != "im":
        return
    text = message.get("text") or ""
    handler = deps.extras.get("dm_handler")
    if handler is not None and _has_words(text) and len(text) <= MAX_TEXT:
        await handler(message=message, say=say, deps=deps, **_)
        return
    if len(text) > MAX_TEXT:
        await say(text=f"That's a long message ({len(text):,} characters); I read up to {MAX_TEXT:,}. "
                       "Could you send me the part you want me to act on?")
    elif not _has_words(text):
        await say(text="\U0001F44B Got it! If you want me to do something, tell me in words, or type `help`.")
    else:
        await say(text="I'm not sure what to do with that yet. Type `help` to see what I can do.")
