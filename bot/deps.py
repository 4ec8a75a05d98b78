"""The things every listener, service call and job needs, built once in the composition root."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
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
    slack: Any = None  # the environment token's AsyncWebClient (SLACK_BOT_TOKEN); per organization: slack_for()
    ai: Any = None
    metrics: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
    tenants: Any = None  # bot.tenants.Tenants: the workspaces this process holds a bot token for
    # The organizations a scheduled run may touch (the scheduler's claim); None: every organization served.
    organizations: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.tenants is None and self.slack is not None:
            from bot.tenants import Tenants

            self.tenants = Tenants(self.pool, environment=self.slack)

    def now(self) -> datetime:
        return self.clock.now()

    def slack_for(self, organization_id: int) -> Any:
        """The Web API client with ``organization_id``'s own bot token (bot/tenants.py): every Slack call for an
        organization goes through it. Raises ``bot.tenants.NotServed`` when this process holds no token for it."""
        if self.tenants is None:
            from bot.tenants import NotServed

            raise NotServed(f"organization {organization_id} (no Slack tokens are set here)")
        return self.tenants.client_for(organization_id)

    def scoped(self, organization_ids: Iterable[int]) -> Deps:
        """These deps for a run limited to ``organization_ids`` (what the scheduler claimed for it)."""
        return replace(self, organizations=frozenset(organization_ids))

    async def in_scope(self, organization_ids: Iterable[int]) -> list[int]:
        """Those of ``organization_ids`` a job may work on here, in the order given: the run's scope, and, where
        this process talks to Slack, only organizations it holds a token for (the others' work waits for a
        process that does). With no Slack at all (a CLI run of a job that never calls Slack) every one."""
        wanted = [o for o in organization_ids if self.organizations is None or o in self.organizations]
        if self.tenants is None:
            return wanted
        await self.tenants.ensure_loaded()
        return list(self.tenants.in_scope(wanted))
