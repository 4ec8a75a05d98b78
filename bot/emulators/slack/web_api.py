"""The Web API endpoint: parse any body Slack accepts, check the token, rate-limit, dispatch, record."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
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
# A test's hook run before a Web API call (or a response_url post: method "response_url") is answered:
# ``await gate(method, args)`` may wait, or raise SlackError to refuse the call.
Gate = Callable[[str, JsonDict], Awaitable[None]]
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


class Pause:
    """Calls of one Web API method (every one, or the next ``times``) held until the test lets them go: before
    Slack handles them (``after_handling=False``: nothing happened yet) or after (the message exists, the
    answer is held), as a slow or cut network would hold them. ``resume()`` lets them (and later calls)
    through; ``abandon()`` answers the held calls HTTP 503 and ``cut()`` closes their connections with no answer
    at all (a call held before handling is then never handled)."""

    def __init__(self, method: str, after_handling: bool, times: int | None = None) -> None:
        self.method = method
        self.after_handling = after_handling
        self.times = times  # how many calls it holds at most (None: every call until resumed)
        self.held = 0
        self.caught = 0
        self._released = asyncio.Event()
        self._arrived = asyncio.Event()
        self._outcome = "go"

    def catches_another(self) -> bool:
        return self.times is None or self.caught < self.times

    async def hold(self) -> str:
        """Wait here until released: "go" on, or "abandon" / "cut" the call."""
        self.caught += 1
        self.held += 1
        self._arrived.set()
        try:
            await self._released.wait()
        finally:
            self.held -= 1
        return self._outcome

    async def wait_for_calls(self, count: int = 1, timeout: float = 10) -> None:  # noqa: ASYNC109 (test API)
        """Until ``count`` calls are held (TimeoutError after ``timeout`` seconds)."""
        async with asyncio.timeout(timeout):
            while self.held < count:
                self._arrived.clear()
                await self._arrived.wait()

    def resume(self) -> None:
        self._released.set()

    def abandon(self) -> None:
        self._outcome = "abandon"
        self._released.set()

    def cut(self) -> None:
        self._outcome = "cut"
        self._released.set()


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
        self.gates: list[Gate] = []
        self.after_gates: list[Gate] = []
        # The bot token's OAuth scopes (bot/emulators/slack/scopes.py): those of Steward's manifest unless set.
        self.scopes: frozenset[str] = scopes.manifest_scopes()
        self.pauses: dict[str, Pause] = {}
        self.latency: dict[str, tuple[float, float]] = {}

    def pause(self, method: str, *, after_handling: bool = False, times: int | None = None) -> Pause:
        """Hold the calls of ``method`` from now on, or only the next ``times`` of them (see :class:`Pause`), until
        the pause is resumed or abandoned."""
        pause = Pause(method, after_handling, times)
        self.pauses[method] = pause
        return pause

    async def _held(self, method: str, after_handling: bool) -> str:
        """Wait at the method's pause, if it has one at this stage: what to do with the call (see Pause.hold)."""
        pause = self.pauses.get(method)
        if pause is None or pause.after_handling != after_handling or not pause.catches_another():
            return "go"
        outcome = await pause.hold()
        if self.pauses.get(method) is pause:
            del self.pauses[method]
        return outcome

    @staticmethod
    def _unanswered(request: web.Request, outcome: str) -> web.Response:
        if outcome == "cut" and request.transport is not None:
            request.transport.close()  # the connection drops with no answer, as a reset would drop it
        return web.Response(status=503, text="service unavailable")

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
        before, after = self.latency.get(method, (0.0, 0.0))
        if before:
            await asyncio.sleep(before)
        if (outcome := await self._held(method, after_handling=False)) != "go":
            return self._unanswered(request, outcome)
        answer = await self._answer(request, call)
        call.status, call.response = answer.status, answer.body
        self.recorder.record(call)
        if after:
            await asyncio.sleep(after)
        if (outcome := await self._held(method, after_handling=True)) != "go":
            return self._unanswered(request, outcome)
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
        try:
            for gate in list(self.gates):
                await gate(call.method, call.args)
        except SlackError as error:
            return _error(error)
        answer = self.dispatch(call.method, Args(call.args), call.token, call.at)
        for gate in list(self.after_gates):
            await gate(call.method, {**call.args, "_answer": answer.body})
        return answer

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
        self.workspace.post_public_without_joining = "chat:write.public" in self.scopes
        try:
            return _ok(handler(self.workspace, args))
        except SlackError as error:
            return _error(error)
