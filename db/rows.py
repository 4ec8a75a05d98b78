"""Typed rows (psycopg ``class_row``) for the tables services read most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    team_id: str
    bot_user_id: str | None


@dataclass(frozen=True)
class User:
    id: int
    organization_id: int
    slack_id: str
    display_name: str
    real_name: str | None
    email: str | None
    role: str
    manager_id: int | None
    timezone: str
    active: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    @property
    def mention(self) -> str:
        return f"<@{self.slack_id}>"
