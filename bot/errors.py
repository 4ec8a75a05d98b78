"""Expected failures, rendered to the person as polite ephemeral messages."""

from __future__ import annotations


class StewardError(Exception):
    """Base for failures that are the user's to fix, not bugs. The message is shown as is."""

    default_message = "Sorry, I couldn't do that."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def user_message(self) -> str:
        return str(self)


class PermissionDenied(StewardError):
    default_message = "Sorry, you don't have permission to do that."


class NotFound(StewardError):
    default_message = "I couldn't find that."


class InvalidInput(StewardError):
    default_message = "I didn't understand that."


class RateLimited(StewardError):
    default_message = "You're going a bit fast; please try again in a minute."
