"""The things every listener, service call and job needs, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from bot.clock import Clock
from bot.settings import Settings


@dataclass
class Deps:
    settings: Settings
    pool: AsyncConnectionPool
    clock: Clock = field(default_factory=Clock)
    slack: Any = None  # slack_sdk AsyncWebClient once the Slack side is up
    ai: Any = None
    metrics: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()
