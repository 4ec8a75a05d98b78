"""A Slack workspace emulator: Web API + Socket Mode on loopback, with state and a record of every call."""

from bot.emulators.slack.commands import CommandNotDelivered
from bot.emulators.slack.emulator import SlackEmulator
from bot.emulators.slack.errors import NoSocketConnected, SlackError
from bot.emulators.slack.models import (
    Channel,
    CommandResult,
    EnvelopeRecord,
    InteractionResult,
    RecordedCall,
    ResponsePost,
    User,
)
from bot.emulators.slack.workspace import Ephemeral

__all__ = [
    "Channel",
    "CommandNotDelivered",
    "CommandResult",
    "Ephemeral",
    "EnvelopeRecord",
    "InteractionResult",
    "NoSocketConnected",
    "RecordedCall",
    "ResponsePost",
    "SlackEmulator",
    "SlackError",
    "User",
]
