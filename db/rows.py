"""Typed rows (psycopg ``class_row``) for the tables services read most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
    locale: str | None = None  # Slack's locale ("en-GB"), from users.info with include_locale
    date_order: str | None = None  # the person's own choice ("DMY"/"MDY"); None: from the locale

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    @property
    def mention(self) -> str:
        return f"<@{self.slack_id}>"


@dataclass(frozen=True)
class Task:
    id: int
    organization_id: int
    display_id: str
    title: str
    status: str
    priority: str
    user_id: int | None
    stage_id: int | None
    client_id: int | None
    project_id: int | None
    draft_id: int | None
    due_date: date | None
    due_at: datetime | None
    task_type: str | None
    size: str | None
    weight: int
    carry_forward_count: int
    source: str
    client_name: str | None
    project_name: str | None
    stage_name: str | None
    owner_slack_id: str | None
    completed_at: datetime | None = None
    dropped_at: datetime | None = None
    dropped_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in ("done", "dropped")


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    slug: str
    color: str
    position: int
    wip_limit: int | None
    is_done_stage: bool
    open_count: int
