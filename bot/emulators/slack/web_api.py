"""The Web API endpoint: parse any body Slack accepts, check the token, rate-limit, dispatch, record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.emulators.slack import scopes
from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.models import JsonDict, RecordedCall
from bot.emulators.slack.ratelimit import RateLimiter
from bot.emulators.slack.recorder import CallRecorder
from bot.emulators.slack.workspace import Workspace

Handler = Callable[[Workspace, Args], JsonDict]
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Tokens:
    bot: str
    app: str


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: JsonDict
    headers: dict[str, str]


def _ok(body: JsonDict) -> ApiAnswer:
    return ApiAnswer(200, {"ok": True, **body}, {})


def _error(error: SlackError) -> ApiAnswer:
    return ApiAnswer(200, error.to_response(), {})


async def read_arguments(request: web.Request) -> dict[str, Any]:
    """Query string, then a JSON or form body (file parts are left out)."""
    values: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return values
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        values.update(body)
    elif request.content_type in _FORM_TYPES:
        form = await request.post()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_error(method: str, token: str | None, tokens: Tokens) -> SlackError | None:
    if not token:
        return SlackError("not_authed")
    if token not in (tokens.bot, tokens.app):
        return SlackError("invalid_auth")
    wants_app = method in APP_TOKEN_METHODS
    if (token == tokens.app) != wants_app:
        return SlackError("not_allowed_token_type")
    return None


class WebApi:
    def __init__(
        self, workspace: Workspace, tokens: Tokens, limiter: RateLimiter, recorder: CallRecorder
    ) -> None:
        self.workspace = workspace
        self.tokens = tokens
        self.limiter = limiter
        self.recorder = recorder
        self.methods: dict[str, Handler] = {}
        self.refusals: dict[str, list[str]] = {}
        # The bot token's OAuth scopes (bot/emulators/slack/scopes.py): those of Steward's manifest unless set.
        self.scopes: frozenset[str] = scopes.manifest_scopes()

    def refuse_next(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}`` (HTTP 200),
        as Slack does when it refuses a request (a limit it tightened, a channel gone...)."""
        self.refusals.setdefault(method, []).extend([error] * times)

    def register(self, methods: dict[str, Handler]) -> None:
        self.methods.update(methods)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = RecordedCall(method=method, args={}, token=bearer_token(request), at=time.monotonic())
        call.http_method = request.method
        answer = await self._answer(request, call)
        call.status, call.response = answer.status, answer.body
        self.recorder.record(call)
        headers = dict(answer.headers)
        if call.token == self.tokens.bot:
            headers["x-oauth-scopes"] = ",".join(sorted(self.scopes))  # on every answer to a bot token, as Slack does
        return web.json_response(answer.body, status=answer.status, headers=headers)

    async def _answer(self, request: web.Request, call: RecordedCall) -> ApiAnswer:
        try:
            call.args = await read_arguments(request)
        except SlackError as error:
            return _error(error)
        body_token = call.args.pop("token", None)
        call.token = call.token or (str(body_token) if body_token else None)
        return self.dispatch(call.method, Args(call.args), call.token, call.at)

    def dispatch(self, method: str, args: Args, token: str | None, at: float) -> ApiAnswer:
        handler = self.methods.get(method)
        if handler is None:
            return _error(SlackError("unknown_method"))
        denied = token_error(method, token, self.tokens)
        if denied is not None:
            return _error(denied)
        if token == self.tokens.bot:
            missing = scopes.check(self.workspace, method, args, self.scopes)
            if missing is not None:
                return _error(missing)
        retry_after = self.limiter.check(method, at)
        if retry_after is not None:
            return ApiAnswer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        refusals = self.refusals.get(method)
        if refusals:
            return _error(SlackError(refusals.pop(0)))
        try:
            return _ok(handler(self.workspace, args))
        except SlackError as error:
            return _error(error)
