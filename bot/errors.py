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


class InvalidPayload(InvalidInput):
    """A payload that does not match what Slack sends or what Steward put on its buttons and forms (a forged
    view state, a malformed button value, a str where an object was expected): refused at once, never
    retried, and logged as ``invalid_payload`` (see bot/slack_payloads.py).

    ``problem`` says what was wrong (for the log, never shown); ``surface`` what the person used: "button",
    "form", "command" or "message" (for the words they are shown); ``details`` go into the audit log."""

    _SAY = {
        "button": "Sorry, that button didn't carry what I put on it, so I did nothing. Please use a fresh "
                  "message of mine (type `help` if you're not sure where to start).",
        "form": "Sorry, that form came back in a shape I didn't send, so I saved nothing. Please open the form "
                "again and fill it in afresh.",
        "command": "Sorry, that command reached me garbled, so I did nothing. Please type it again.",
        "message": "Sorry, that message reached me garbled, so I did nothing with it. Please send it again.",
    }

    def __init__(self, problem: str, *, surface: str = "button", details: dict[str, object] | None = None) -> None:
        super().__init__(self._SAY.get(surface, self._SAY["message"]))
        self.problem = problem
        self.surface = surface
        self.details = dict(details or {})
