"""The one exception type Web API handlers raise to answer `{"ok": false, "error": ...}`."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """A Slack Web API error code, with optional extra response fields (e.g. `errors`)."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def to_response(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


class NoSocketConnected(RuntimeError):
    """No Socket Mode client connected within the wait; the envelope was not sent."""
