"""Typed access to Web API arguments that may arrive as query, form or JSON values."""

from __future__ import annotations

import json
from typing import Any

from bot.emulators.slack.errors import SlackError

_TRUE = {"1", "true", "True", "yes"}


class Args:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, dict | list)
            else str(value)
        )

    def required(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.get_str(name)
        if value is None:
            raise SlackError(error)
        return value

    def get_int(self, name: str, default: int) -> int:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        return str(value) in _TRUE

    def get_json(self, name: str) -> Any:
        """A structured argument: JSON objects arrive as-is, form values as JSON strings."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_arguments") from exc

    def get_list(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value in (None, ""):
            return []
        if isinstance(value, list):
            return [str(item) for item in value]
        return [part.strip() for part in str(value).split(",") if part.strip()]
