"""Which channel a setting command names (`/steward kudos channel #wins`, `/steward reports channel #leads`): one
channel mention, or ``off`` for DMs. Pure. Whether Steward can post there is the listener's check
(bot/listeners/channel_check.py), since it asks Slack."""

from __future__ import annotations

from bot import slack_markup as markup
from bot.errors import InvalidInput

OFF_WORDS = ("off", "none", "dm", "dms")


def pick(words: str, *, usage: str) -> str | None:
    """The channel id ``words`` name (a ``<#C…>`` mention and nothing else), or None for ``off``/``none``/``dm``.
    Raises InvalidInput: for ``#name`` that Slack did not turn into a mention (no such channel, or one Steward
    cannot see) "I don't know a channel called #name", else ``usage``."""
    written = (words or "").strip()
    if written.lower() in OFF_WORDS:
        return None
    named = markup.read(written)
    if len(named.channels) == 1 and not named.without("channel").strip():
        return named.channels[0]
    if written.startswith("#") and len(written.split()) == 1:
        shown = written if len(written) <= 80 else written[:79] + "\u2026"
        raise InvalidInput(f"I don't know a channel called {markup.escape(shown)} here (or I can't see it: invite me "
                           f"first if it's private). {usage}")
    raise InvalidInput(usage)
