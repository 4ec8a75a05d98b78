"""The Slack workspaces this process serves: one bot token per organization, and the client that uses it.

Several Steward processes may share one database while each holds the tokens of other workspaces (an
agency with two workspaces, the workspaces of an Enterprise Grid organization). Every Slack call for an
organization uses that organization's own token, through :meth:`Tenants.client_for`; a process claims only
the work (scheduled jobs, inbox rows, deliveries) of the organizations it holds a token for and leaves the
rest to a process that does.

A process holds:

- the token of the workspace in its environment (``SLACK_BOT_TOKEN``); ``auth.test`` says which team it is,
  and that team's organization is created when it does not exist yet;
- with ``STEWARD_TOKEN_KEY`` set, every token kept in ``platform_connections`` that the key decrypts (each
  process stores its own environment token there, encrypted, see bot/tokens.py). A stored token is served
  only after ``auth.test`` with it names the same team as its row, so a token stored against the wrong
  workspace is never used; a revoked one is dropped.

Without ``STEWARD_TOKEN_KEY`` no token is stored and only the environment's token serves. Tokens are never
logged: logs name an organization and, at most, a token's :func:`bot.tokens.fingerprint`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.log import get_logger
from bot.tokens import TokenBox, fingerprint
from db.queries import Q

log = get_logger(__name__)

ENVIRONMENT = "environment"
STORED = "stored"
# What a failed auth.test means for a token: these answers are for good (Slack's auth.test errors,
# https://docs.slack.dev/reference/methods/auth.test); anything else (network, 5xx) is tried again later.
REVOKED_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired",
                            "team_access_not_granted", "no_permission", "not_allowed_token_type"})
TRANSIENT = (SlackApiError, aiohttp.ClientError, OSError, asyncio.TimeoutError)


class NotServed(LookupError):
    """This process holds no bot token for the organization (or the team): its work is left to a process that does."""

    def __init__(self, what: str) -> None:
        super().__init__(f"this Steward process holds no Slack bot token for {what}")


@dataclass(frozen=True)
class Tenant:
    """One workspace this process serves: its organization, team, bot identity and a client with its token."""

    organization_id: int
    team_id: str
    bot_user_id: str | None
    bot_id: str | None
    client: AsyncWebClient
    source: str  # ENVIRONMENT or STORED
    token_fingerprint: str


def build_client(token: str | None, api_url: str) -> AsyncWebClient:
    """The one way Steward builds a Web API client: Slack's retries for connection errors and 429s (two each)."""
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
    )

    return AsyncWebClient(
        token=token,
        base_url=api_url,
        timeout=15,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


def _error_of(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            return str(response.get("error") or type(exc).__name__)
        except AttributeError:
            pass
    return type(exc).__name__


class Tenants:
    """The workspaces (organizations) this process holds a bot token for; see the module docstring.

    ``environment``: the client built from SLACK_BOT_TOKEN (None: no environment token, e.g. a CLI run with
    only stored tokens). ``box``: STEWARD_TOKEN_KEY's keys (None: tokens are neither stored nor read).
    ``api_url``: the Web API base for clients of stored tokens (the environment client's by default).
    Call :meth:`refresh` after the workspace sync and then periodically (bot/processes.py does)."""

    def __init__(self, pool: Any, *, environment: AsyncWebClient | None, box: TokenBox | None = None,
                 api_url: str | None = None) -> None:
        self.pool = pool
        self.environment = environment
        self.box = box
        self.api_url = api_url or (environment.base_url if environment is not None else "https://slack.com/api/")
        self._by_org: dict[int, Tenant] = {}
        self._env_auth: dict[str, Any] | None = None
        self._refused: dict[int, str] = {}  # organization -> fingerprint of the sealed text refused (logged once)
        self._lock = asyncio.Lock()
        self.loaded = False  # True once the environment token's organization is known (or there is none)

    # ------------------------------------------------------------------ what this process serves

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self._by_org)

    @property
    def team_ids(self) -> frozenset[str]:
        return frozenset(t.team_id for t in self._by_org.values())

    def tenants(self) -> list[Tenant]:
        return [self._by_org[o] for o in sorted(self._by_org)]

    def get(self, organization_id: int) -> Tenant | None:
        return self._by_org.get(organization_id)

    def for_team(self, team_id: str | None) -> Tenant | None:
        return next((t for t in self._by_org.values() if t.team_id == team_id), None) if team_id else None

    def client_for(self, organization_id: int) -> AsyncWebClient:
        """The Web API client with this organization's own bot token. Raises NotServed when this process holds none."""
        tenant = self._by_org.get(organization_id)
        if tenant is None:
            raise NotServed(f"organization {organization_id}")
        return tenant.client

    def serves(self, organization_id: int) -> bool:
        return organization_id in self._by_org

    def in_scope(self, organization_ids: Iterable[int]) -> list[int]:
        """Those of ``organization_ids`` this process serves, in the order given."""
        return [o for o in organization_ids if o in self._by_org]

    async def authorize(self, enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult | None:
        """Bolt's ``authorize``: the bot token of the request's team, so every listener's ``client`` (and
        ``say``, ``respond``) acts in that workspace; None (Bolt then answers for us) for a team we do not serve."""
        tenant = self.for_team(team_id)
        if tenant is None:
            log.warning("request_for_unserved_team", team_id=team_id)
            return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=tenant.team_id, bot_token=tenant.client.token,
                               bot_user_id=tenant.bot_user_id, bot_id=tenant.bot_id, user_id=user_id)

    # ------------------------------------------------------------------ loading tokens

    async def ensure_loaded(self) -> None:
        """Refresh once if the environment token's organization is not known yet (cheap afterwards)."""
        if not self.loaded:
            await self.refresh()

    async def refresh(self, now: datetime | None = None) -> None:
        """Learn the environment token's organization (creating it when new) and store its token (with a key);
        then, with a key, take up every stored token it decrypts and ``auth.test`` confirms for its team, and
        drop stored tokens that are gone, undecryptable or revoked. Slack or network trouble leaves what is
        held as it is, to be tried again at the next refresh. Never raises for Slack or network errors."""
        async with self._lock:
            now = now or datetime.now(UTC)
            if self.environment is not None:
                await self._adopt_environment(now)
            else:
                self.loaded = True
            if self.box is not None:
                await self._adopt_stored()

    async def _adopt_environment(self, now: datetime) -> None:
        assert self.environment is not None
        token = self.environment.token or ""
        if self._env_auth is None:
            try:
                self._env_auth = dict((await self.environment.auth_test()).data)  # type: ignore[arg-type]
            except TRANSIENT as exc:
                log.warning("environment_token_check_failed", error=_error_of(exc), token=fingerprint(token))
                return
        auth = self._env_auth
        team_id = str(auth["team_id"])
        from bot.services import workspace

        async with self.pool.connection() as conn:
            org = await workspace.org_by_team(conn, team_id)
            if org is None:
                await workspace.ensure_org(conn, team_id=team_id, name=auth.get("team") or team_id, now=now,
                                           bot_user_id=auth.get("user_id"), bot_id=auth.get("bot_id"))
                org = await workspace.org_by_team(conn, team_id)
            assert org is not None
            held = self._by_org.get(org.id)
            if held is None or held.source != ENVIRONMENT:
                if self.box is not None:
                    await conn.execute(Q["connection_seal_token"], {"sealed": self.box.seal(token), "now": now,
                                                                    "team_id": team_id})
                self._by_org[org.id] = Tenant(org.id, team_id, auth.get("user_id"), auth.get("bot_id"), self.environment,
                                              ENVIRONMENT, fingerprint(token))
                log.info("serving_workspace", organization_id=org.id, team_id=team_id, source=ENVIRONMENT,
                         token_stored=self.box is not None)
        self.loaded = True

    async def _adopt_stored(self) -> None:
        assert self.box is not None
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(Q["connections_sealed"])).fetchall()
        present: set[int] = set()
        for org_id, team_id, sealed in rows:
            present.add(org_id)
            held = self._by_org.get(org_id)
            if held is not None and held.source == ENVIRONMENT:
                continue  # this process's own token wins for its own workspace
            token = self.box.open(sealed)
            if token is None:
                self._drop(org_id, "stored token not readable with STEWARD_TOKEN_KEY", fingerprint(sealed))
                continue
            same = held is not None and held.token_fingerprint == fingerprint(token)
            # Checked again at every refresh: a token revoked since is dropped (its work goes to a process
            # holding the new one) rather than failing every delivery it claims.
            client = held.client if held is not None and same else build_client(token, self.api_url)
            try:
                auth = await client.auth_test()
            except SlackApiError as exc:
                if _error_of(exc) in REVOKED_ERRORS:
                    self._drop(org_id, f"stored token refused by Slack ({_error_of(exc)})", fingerprint(sealed))
                else:
                    log.warning("stored_token_check_failed", organization_id=org_id, error=_error_of(exc))
                continue
            except TRANSIENT as exc:
                log.warning("stored_token_check_failed", organization_id=org_id, error=_error_of(exc))
                continue
            if auth.get("team_id") != team_id:
                # Never serve one workspace's organization with another workspace's token.
                self._drop(org_id, f"stored token belongs to team {auth.get('team_id')}, not {team_id}", fingerprint(sealed))
                continue
            self._refused.pop(org_id, None)
            if same:
                continue
            self._by_org[org_id] = Tenant(org_id, team_id, auth.get("user_id"), auth.get("bot_id"), client, STORED,
                                          fingerprint(token))
            log.info("serving_workspace", organization_id=org_id, team_id=team_id, source=STORED)
        for org_id in [o for o, t in self._by_org.items() if t.source == STORED and o not in present]:
            self._drop(org_id, "stored token removed", "")

    def _drop(self, org_id: int, why: str, sealed_print: str) -> None:
        held = self._by_org.get(org_id)
        if held is not None and held.source == STORED:
            del self._by_org[org_id]
            log.warning("workspace_no_longer_served", organization_id=org_id, reason=why)
        elif self._refused.get(org_id) != sealed_print:
            log.warning("stored_token_not_used", organization_id=org_id, reason=why)
        self._refused[org_id] = sealed_print

    async def aclose(self) -> None:
        """Close the HTTP sessions of stored tokens' clients (the environment client is its owner's)."""
        for tenant in self._by_org.values():
            session = getattr(tenant.client, "session", None)
            if tenant.source == STORED and session is not None and not session.closed:
                await session.close()
