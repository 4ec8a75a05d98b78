"""The sandbox: a demo Slack workspace on loopback, the bot connected to it, and a web page to act in it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from bot.clock import Clock, utcnow
from bot.emulators.slack import CommandNotDelivered, NoSocketConnected, SlackEmulator, SlackError, snapshot
from bot.emulators.slack.ids import TsClock
from bot.emulators.slack.mentions import plain_mentions
from bot.manifest import MANIFEST_PATH
from bot.sandbox import jobs, state
from bot.sandbox.composer import compose
from bot.sandbox.emoji_table import shortcodes
from bot.sandbox.persistence import OrgMarker, SavedSandbox, StateFile
from bot.sandbox.seed import DEMO_TEAM_ID, DEMO_TEAM_NAME, Demo, demo, seed_demo
from jobs.summaries import summarise

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
MANIFEST = MANIFEST_PATH
"""Steward's Slack app manifest: should_escape per command."""
AUTOSAVE_SECONDS = 1.0
JsonDict = dict[str, Any]
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
_PERMALINK = re.compile(r"^/archives/([CDG][A-Z0-9]+)/p(\d{7,})$")


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str = "") -> None:
        super().__init__(message or error)
        self.status = status
        self.error = error
        self.message = message or error


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=str))


class Sandbox:
    """A local Slack workspace (the emulator, seeded with a demo team) plus the sandbox web page.

    `start()` it, point the bot at `bot_token`/`app_token`/`api_url`, `attach(bot)` to let the page
    run jobs, and open `web_url`.
    """

    def __init__(self, web_port: int | None = None, host: str = "127.0.0.1", *, state_file: StateFile | None = None,
                 saved: SavedSandbox | None = None, notice: str | None = None, manifest: Path | None = MANIFEST) -> None:
        """`state_file`: where the workspace is kept between runs (None: nothing is kept); `saved`: what to
        restore instead of seeding the demo; `notice`: shown on the page (e.g. why the sandbox was reset)."""
        self.host = host
        self.web_port = web_port
        self.state_file = state_file
        self.saved = saved
        self.notice = notice
        self.manifest = manifest
        self.organization: OrgMarker | None = saved.organization if saved else None
        self._autosave: asyncio.Task[None] | None = None
        self.clock = Clock()
        self.emulator = SlackEmulator(
            team_id=DEMO_TEAM_ID,
            team_name=DEMO_TEAM_NAME,
            bot_token="xoxb-sandbox-" + secrets.token_hex(12),
            app_token="xapp-sandbox-" + secrets.token_hex(12),
            bot_name="steward",
        )
        self.emulator.workspace.clock = TsClock(self.clock.now)
        self.demo: Demo | None = None
        self.bot: Any = None
        self._runner: web.AppRunner | None = None
        self.web_url = ""

    # ---------------------------------------------------------------- lifecycle

    @property
    def bot_token(self) -> str:
        return self.emulator.bot_token

    @property
    def app_token(self) -> str:
        return self.emulator.app_token

    @property
    def api_url(self) -> str:
        return self.emulator.api_url

    def attach(self, bot: Any) -> None:
        """The running Steward runtime: the page runs named jobs through `bot.scheduler`."""
        self.bot = bot

    async def start(self) -> Sandbox:
        if self.manifest is not None:
            self.emulator.load_manifest(self.manifest)
        await self.emulator.start(self.host, 0)
        if self.saved is not None:
            self.clock.offset = timedelta(seconds=self.saved.clock_offset_seconds)
            snapshot.restore(self.emulator.workspace, self.saved.workspace)
            self.demo = demo()
        else:
            self.demo = seed_demo(self.emulator, now=self.clock.now())
        app = web.Application(middlewares=[self._guard], client_max_size=2 * 1024 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, append_version=False)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/emoji", self._emoji)
        app.router.add_get("/api/permalink", self._permalink)
        app.router.add_get("/api/jobs", self._jobs)
        app.router.add_post("/api/jobs/{name}", self._run_job)
        app.router.add_post("/api/message", self._message)
        app.router.add_post("/api/command", self._command)
        app.router.add_post("/api/action", self._action)
        app.router.add_post("/api/view_submit", self._view_submit)
        app.router.add_post("/api/view_close", self._view_close)
        app.router.add_post("/api/home", self._home)
        app.router.add_post("/api/ephemeral/dismiss", self._dismiss)
        app.router.add_post("/api/clock", self._clock)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.web_port or 0).start()
        except OSError as exc:
            await self.stop()
            raise OSError(exc.errno, f"the sandbox page cannot listen on {self.host}:{self.web_port}: {exc.strerror}") from exc
        port = self._runner.addresses[0][1]
        self.web_port = port
        shown_host = f"[{self.host}]" if ":" in self.host else self.host
        self.web_url = f"http://{shown_host}:{port}/"
        log.info("sandbox page on %s (emulated Slack on %s)", self.web_url, self.api_url)
        if self.state_file is not None:
            self.save()
            self._autosave = asyncio.create_task(self._autosave_loop())
        return self

    async def stop(self) -> None:
        if self._autosave is not None:
            self._autosave.cancel()
            await asyncio.gather(self._autosave, return_exceptions=True)
            self._autosave = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.save()
        await self.emulator.stop()

    # ---------------------------------------------------------------- keeping the workspace between runs

    def bind_organization(self, marker: OrgMarker | None) -> None:
        """Tie the saved workspace to Steward's demo organization (see bot/sandbox/persistence.py)."""
        self.organization = marker
        self.save()

    def save(self) -> bool:
        """Write the workspace, clock and organization to the state file now (False: nothing changed)."""
        if self.state_file is None:
            return False
        saved = SavedSandbox(snapshot.dump(self.emulator.workspace), self.clock.offset.total_seconds(),
                             self.organization)
        return self.state_file.write(saved)

    async def _autosave_loop(self) -> None:
        while True:
            await asyncio.sleep(AUTOSAVE_SECONDS)
            try:
                self.save()
            except OSError:
                log.exception("sandbox state not saved")

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- plumbing

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        host = _hostname(request.host or "")
        if host not in _LOOPBACK_HOSTS and host != self.host:
            return web.Response(status=421, text="the sandbox answers on loopback only")
        if request.method == "POST" and request.content_type != "application/json":
            return _json({"ok": False, "error": "json_required", "message": "send application/json"}, 415)
        try:
            response = await handler(request)
        except ApiError as exc:
            return _json({"ok": False, "error": exc.error, "message": exc.message}, exc.status)
        except SlackError as exc:
            return _json({"ok": False, "error": exc.code, "message": exc.code.replace("_", " ")}, 400)
        except NoSocketConnected:
            return _json({"ok": False, "error": "not_connected",
                          "message": "Steward is not connected to the sandbox yet; try again in a moment."}, 503)
        if request.path == "/" or request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    async def _body(self, request: web.Request) -> JsonDict:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, "invalid_json") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json")
        return body

    def _person(self, user_id: Any) -> str:
        if not isinstance(user_id, str) or not user_id:
            raise ApiError(400, "missing_as", "say who you are with `as` (a user id)")
        user = self.emulator.workspace.users.get(user_id)
        if user is None or user.is_bot or user.id == "USLACKBOT":
            raise ApiError(404, "user_not_found", f"no person {user_id!r} in the sandbox")
        return user.id

    def _visible_channel(self, user_id: str, channel_id: Any) -> str:
        if not isinstance(channel_id, str) or not channel_id:
            raise ApiError(400, "missing_channel")
        try:
            channel = self.emulator.workspace.post_target(channel_id)
        except SlackError as exc:
            raise ApiError(404, "channel_not_found") from exc
        if not state.can_see(channel, user_id):
            raise ApiError(404, "channel_not_found")
        return channel.id

    def _default_person(self) -> str:
        if self.demo is not None:
            return self.demo.manager
        people = state.humans(self.emulator)
        if not people:
            raise ApiError(404, "no_people")
        return people[0].id

    # ---------------------------------------------------------------- pages and state

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, request: web.Request) -> web.Response:
        user_id = self._person(request.query.get("as") or self._default_person())
        ws = self.emulator.workspace
        dm = ws.dm_channel(user_id)
        channel_id = request.query.get("channel") or dm.id
        try:
            channel_id = self._visible_channel(user_id, channel_id)
        except ApiError:
            channel_id = dm.id
        convo = state.conversation(self.emulator, user_id, channel_id, request.query.get("thread") or None)
        now = self.clock.now()
        return _json({
            "ok": True,
            "team": {"id": self.emulator.team_id, "name": self.emulator.identity.team_name,
                     "domain": self.emulator.identity.domain},
            "notice": self.notice,
            "bot": {"id": self.emulator.bot_user_id, "name": "Steward"},
            "as": user_id,
            "people": state.people(self.emulator),
            "channels": state.channels_for(self.emulator, user_id),
            "dm": dm.id,
            **convo,
            "home": state.home_view(self.emulator, user_id),
            "modal": state.open_modal(self.emulator, user_id),
            "now": now.isoformat(),
            "clock_offset_minutes": round(self.clock.offset.total_seconds() / 60, 2),
            "connected": self.emulator.connections > 0,
            "bot_attached": self.bot is not None,
        })

    # ---------------------------------------------------------------- people act

    async def _message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        channel_id = self._visible_channel(user_id, body.get("channel"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "no_text", "type a message first")
        thread_ts = body.get("thread_ts") or None
        picked = _picked(body)
        if text.lstrip().startswith("/") and body.get("commands", True):
            return await self._run_command(user_id, channel_id, text, picked, thread_ts)
        sent = compose(self.emulator.workspace, user_id, text, picked)
        ts = await self.emulator.user_message(user_id, channel_id, sent, thread_ts)
        return _json({"ok": True, "ts": ts, "channel": channel_id, "text": sent})

    async def _command(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        channel_id = self._visible_channel(user_id, body.get("channel") or self.emulator.workspace.dm_channel(user_id).id)
        command = str(body.get("command") or "")
        text = str(body.get("text") or "")
        line = f"{command} {text}".strip() if command else text
        picked = _picked(body)
        return await self._run_command(user_id, channel_id, line, picked, body.get("thread_ts") or None)

    async def _run_command(self, user_id: str, channel_id: str, line: str, picked: list[Any],
                           thread_ts: str | None) -> web.Response:
        line = line.strip()
        if not line.startswith("/") or len(line) < 2:
            raise ApiError(400, "not_a_command", "a slash command starts with /, e.g. /steward help")
        command, _, text = line.partition(" ")
        sent = compose(self.emulator.workspace, user_id, text.strip(), picked, command=True)
        try:
            result = await self.emulator.slash_command(user_id, command, sent, channel_id, thread_ts=thread_ts)
        except CommandNotDelivered as refused:
            # Slack answered itself (a Slackbot note is in the conversation); a thread refusal keeps the text.
            if refused.reason == "not_in_thread":
                return _json({"ok": False, "error": "not_supported_in_threads", "message": refused.message})
            return _json({"ok": True, "slack": refused.message, "reason": refused.reason, "channel": channel_id})
        if result.timed_out:
            return _json({"ok": False, "error": "operation_timeout",
                          "message": f"{command} failed: Steward did not answer in time."})
        return _json({"ok": True, "ack": result.ack, "channel": channel_id})

    async def _action(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        action_id = body.get("action_id")
        if not isinstance(action_id, str) or not action_id:
            raise ApiError(400, "missing_action_id")
        value = body.get("value")
        block_id = body.get("block_id") or None
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else None
        view_id = body.get("view_id")
        if view_id:
            if view_id not in self.emulator.workspace.views.views:
                raise ApiError(404, "view_not_found")
            result = await self._click(user_id, action_id=action_id, value=value, block_id=block_id,
                                       view_id=view_id, fields=fields)
        elif body.get("ephemeral_ts"):
            channel_id = self._visible_channel(user_id, body.get("channel"))
            return await self._ephemeral_click(user_id, channel_id, str(body["ephemeral_ts"]), action_id,
                                               value, block_id, fields)
        else:
            channel_id = self._visible_channel(user_id, body.get("channel"))
            ts = body.get("message_ts")
            if not isinstance(ts, str) or self.emulator.message(channel_id, ts) is None:
                raise ApiError(404, "message_not_found")
            result = await self._click(user_id, ts, channel_id, action_id, value, block_id, fields=fields)
        if result.timed_out:
            return _json({"ok": False, "error": "operation_timeout",
                          "message": "Steward did not answer that click in time."})
        return _json({"ok": True})

    async def _click(self, *args: Any, **kwargs: Any) -> Any:
        """A click the page asked for; a button the message or view no longer shows (the page had not caught up with
        a chat.update) is a 409 the page reports, as Slack delivers no such click."""
        try:
            return await self.emulator.click_button(*args, **kwargs)
        except ValueError as exc:
            raise ApiError(409, "element_gone", "That button is gone: the message changed since. Look at it again.") from exc

    async def _ephemeral_click(self, user_id: str, channel_id: str, ts: str, action_id: str, value: Any,
                               block_id: str | None, fields: JsonDict | None) -> web.Response:
        """A click on an ephemeral message (Slack's container says is_ephemeral and carries no message)."""
        try:
            result = await self.emulator.click_ephemeral_button(user_id, channel_id, ts, action_id,
                                                                value if isinstance(value, str) else None, block_id,
                                                                fields=fields)
        except SlackError as exc:
            raise ApiError(404, str(exc)) from exc
        except ValueError as exc:
            raise ApiError(409, "element_gone", "That button is gone: the message changed since. Look at it again.") from exc
        if not result.acked:
            return _json({"ok": False, "error": "operation_timeout",
                          "message": "Steward did not answer that click in time."})
        return _json({"ok": True})

    async def _view_submit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        view_id = body.get("view_id")
        if not isinstance(view_id, str) or view_id not in self.emulator.workspace.views.views:
            raise ApiError(404, "view_not_found")
        values = body.get("values") if isinstance(body.get("values"), dict) else {}
        ack = await self.emulator.submit_view(user_id, view_id, values)
        if ack is None:
            return _json({"ok": False, "error": "operation_timeout",
                          "message": "Steward did not answer in time; the form is still open."})
        if ack.get("response_action") == "errors":
            return _json({"ok": True, "errors": ack.get("errors") or {}})
        return _json({"ok": True, "response_action": ack.get("response_action")})

    async def _view_close(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        view_id = body.get("view_id")
        if not isinstance(view_id, str) or view_id not in self.emulator.workspace.views.views:
            raise ApiError(404, "view_not_found")
        await self.emulator.close_view(user_id, view_id)
        return _json({"ok": True})

    async def _home(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        envelope_id = await self.emulator.open_app_home(user_id)
        return _json({"ok": True, "delivered": envelope_id is not None})

    async def _dismiss(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._person(body.get("as"))
        ws = self.emulator.workspace
        ws.ephemerals[:] = [e for e in ws.ephemerals if not (e.user == user_id and e.ts == body.get("ts"))]
        return _json({"ok": True})

    # ---------------------------------------------------------------- time and jobs

    async def _clock(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if body.get("reset"):
            self.clock.offset = timedelta()
        elif "advance_minutes" in body:
            try:
                minutes = float(body["advance_minutes"])
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "invalid_minutes") from exc
            self.clock.advance(timedelta(minutes=minutes))
        elif "set" in body:
            self.clock.offset = self._parse_when(body.get("set"), body.get("tz")) - utcnow()
        else:
            raise ApiError(400, "nothing_to_do", 'send {"advance_minutes": n} or {"set": "2026-03-02T09:00"}')
        now = self.clock.now()
        dispatcher = getattr(self.bot, "dispatcher", None)
        if dispatcher is not None:
            # The clock passing a message's time sends it (a check-in held for quiet hours) before the page
            # answers, as Steward's dispatcher would within its next poll: the page never shows a stale state.
            await dispatcher.deliver_due(now)
        return _json({"ok": True, "now": now.isoformat(),
                      "clock_offset_minutes": round(self.clock.offset.total_seconds() / 60, 2)})

    @staticmethod
    def _parse_when(raw: Any, tz: Any) -> datetime:
        try:
            when = datetime.fromisoformat(str(raw))
        except ValueError as exc:
            raise ApiError(400, "invalid_time", "use an ISO date-time such as 2026-03-02T09:00") from exc
        if when.tzinfo is None:
            try:
                zone = ZoneInfo(str(tz)) if tz else UTC
            except (ZoneInfoNotFoundError, ValueError):
                zone = UTC
            when = when.replace(tzinfo=zone)
        return when.astimezone(UTC)

    async def _jobs(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "jobs": jobs.job_menu(), "bot_attached": self.bot is not None})

    async def _run_job(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self.bot is None:
            raise ApiError(409, "no_bot", "no bot is attached to the sandbox")
        known = {j["name"] for j in jobs.job_menu()}
        if known and name not in known:
            raise ApiError(404, "unknown_job", f"no job named {name!r}")
        try:
            # As if at the sandbox's clock: what the job decides to send then is sent before the answer,
            # and the summary says what really happened to each message (jobs/runs.py).
            report = await self.bot.scheduler.run_as_of(name, self.clock.now())
        except KeyError as exc:
            raise ApiError(404, "unknown_job", f"no job named {name!r}") from exc
        result = report.result if report is not None else None
        summary = summarise(name, result, lambda text: plain_mentions(self.emulator.workspace, text), report)
        return _json({"ok": True, "job": name, "result": result, "summary": summary,
                      "report": report.to_json() if report is not None else None})

    # ---------------------------------------------------------------- emoji and permalinks

    async def _emoji(self, request: web.Request) -> web.Response:
        # Raw UTF-8 rather than \u escapes: the table is 6,600 names, and escaped it is half as large again.
        response = web.json_response({"ok": True, "emoji": shortcodes()},
                                     dumps=lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")))
        response.headers["Cache-Control"] = "max-age=86400"
        return response

    async def _permalink(self, request: web.Request) -> web.Response:
        """Where a permalink Steward cited points: {channel, ts, thread_ts} if this person can see it."""
        user_id = self._person(request.query.get("as"))
        url = urlparse(request.query.get("url") or "")
        found = _PERMALINK.match(url.path)
        if url.hostname != f"{self.emulator.identity.domain}.slack.com" or found is None:
            raise ApiError(400, "not_a_permalink", "that is not a link to a message in this workspace")
        channel_id, digits = found.groups()
        ts = f"{digits[:-6]}.{digits[-6:]}"
        channel_id = self._visible_channel(user_id, channel_id)
        message = self.emulator.message(channel_id, ts)
        if message is None:
            raise ApiError(404, "message_not_found", "that message is no longer there")
        thread_ts = next(iter(parse_qs(url.query).get("thread_ts", [])), None) or message.get("thread_ts")
        if thread_ts == ts:
            thread_ts = None  # a thread's parent shows in the channel itself
        return _json({"ok": True, "channel": channel_id, "ts": ts, "thread_ts": thread_ts})


def _picked(body: JsonDict) -> list[Any]:
    """The people and channels picked from the composer's autocomplete: [{"label", "id"}, …]."""
    picked = body.get("picked")
    return picked if isinstance(picked, list) else []


def _hostname(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header.split("]")[0] + "]"
    return host_header.rsplit(":", 1)[0]

