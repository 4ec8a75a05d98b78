"""SlackEmulator: a loopback Slack workspace (Web API + Socket Mode) that keeps state and records calls."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from aiohttp import web

from bot.emulators.slack import (
    api_chat,
    api_conversations,
    api_files,
    api_people,
    api_views,
    commands,
    payloads,
)
from bot.emulators.slack.args import Args
from bot.emulators.slack.commands import CommandNotDelivered
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.ids import IdFactory
from bot.emulators.slack.mentions import link_typed, plain_mentions
from bot.emulators.slack.models import (
    Channel,
    EnvelopeRecord,
    InteractionResult,
    JsonDict,
    RecordedCall,
    ResponsePost,
    User,
)
from bot.emulators.slack.ratelimit import RateLimiter
from bot.emulators.slack.recorder import CallPredicate, CallRecorder
from bot.emulators.slack.responses import MAX_USES, apply_response
from bot.emulators.slack.socket_hub import SocketHub
from bot.emulators.slack.web_api import Gate, Pause, Tokens, WebApi, bearer_token, read_arguments
from bot.emulators.slack.workspace import Ephemeral, Identity, ResponseTarget, Workspace, rich_text_blocks

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024


def _domain(team_name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", team_name.lower().replace(" ", "-")) or "workspace"


class SlackEmulator:
    """One Slack workspace with one installed app (the bot) on loopback.

    Seed it (`add_user`, `add_channel`, `add_message`), `start()` it, point
    `AsyncWebClient(base_url=emu.api_url)` at it, and drive the bot as people would
    (`user_message`, `slash_command`, `click_button`, `submit_view`…).

    One server can host several workspaces, as slack.com does (`add_workspace`): each has its own
    people, conversations, app install, tokens and Socket Mode connections, and the token of a Web API
    call selects the workspace it acts in, so a call with workspace A's token naming B's channel or
    person gets `channel_not_found` / `user_not_found`, exactly as Slack answers.
    """

    def __init__(
        self,
        team_id: str = "T1",
        team_name: str = "Demo",
        bot_token: str = "xoxb-emulator-bot-token",
        app_token: str = "xapp-emulator-app-token",
        rate_limit_per_minute: int | None = None,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "B1",
        app_id: str = "A1",
        bot_name: str = "steward",
        ack_timeout: float = 3.0,
        echo_own_events: bool = False,
        command_escaping: Mapping[str, bool] | None = None,
        ids: IdFactory | None = None,
    ) -> None:
        identity = Identity(team_id, team_name, _domain(team_name), bot_user_id, bot_id, app_id, bot_name)
        self.workspace = Workspace(identity, ids=ids or IdFactory())
        self.workspace.add_user(
            User(bot_user_id, team_id, bot_name, real_name=bot_name.title(), is_bot=True, bot_id=bot_id)
        )
        self.workspace.add_user(User("USLACKBOT", team_id, "slackbot", real_name="Slackbot"))
        self.tokens = Tokens(bot_token, app_token)
        self.limiter = RateLimiter(rate_limit_per_minute)
        self.recorder = CallRecorder()
        self.hub = SocketHub(app_id, self.workspace.ids, ack_timeout)
        self.api = WebApi(self.workspace, self.tokens, self.limiter, self.recorder)
        self.api.register(api_chat.METHODS)
        self.api.register(api_conversations.methods(on_join=self._on_bot_join))
        self.api.register(api_people.METHODS)
        self.api.register(api_views.METHODS)
        self.api.register(api_files.METHODS)
        self.api.register({"apps.connections.open": self._connections_open})
        self.echo_own_events = echo_own_events
        self.workspace.bot_message_hooks.append(self._echo_bot_message)
        self.response_posts: list[ResponsePost] = []
        self.refused_responses: list[tuple[ResponsePost, str]] = []  # posts Slack answered with an error code
        self.undelivered_events: list[JsonDict] = []
        self.command_escaping: dict[str, bool] = {}
        self.configure_commands(command_escaping or {})
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        # Other workspaces served by this emulator's server (add_workspace), and, for one of them, its host.
        self.guests: list[SlackEmulator] = []
        self.host: SlackEmulator | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackEmulator:
        if self.host is not None:
            raise RuntimeError("a workspace added with add_workspace() is served by its host emulator's server")
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/api/{method}", self._route_api)
        app.router.add_get("/link", self._route_websocket)
        app.router.add_get("/link/", self._route_websocket)
        app.router.add_post("/response/{response_id}", self._route_response_post)
        app.router.add_post("/upload/v1/{file_id}", self._route_upload)
        app.router.add_get("/files/{file_id}/{name}", self._route_download)
        app.router.add_get("/files/{file_id}/download/{name}", self._route_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        for served in self.served():
            served._bind(f"http://{host}:{bound_port}")
        return self

    def _bind(self, base_url: str) -> None:
        self.base_url = base_url
        self.workspace.base_url = base_url

    async def stop(self) -> None:
        for served in self.served():
            await served.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ several workspaces on one server

    def add_workspace(
        self,
        team_id: str,
        team_name: str,
        *,
        bot_token: str,
        app_token: str,
        bot_user_id: str = "UBOT",
        bot_id: str = "B1",
        app_id: str = "A1",
        **options: object,
    ) -> SlackEmulator:
        """Another workspace on this emulator's server, with the same app installed in it (as an agency with
        two workspaces, or two workspaces of an Enterprise Grid organization, have): its own people,
        conversations, bot user, tokens and Socket Mode connections. Seed and drive the returned emulator
        like this one; its ``api_url`` is this server's. Ids never repeat across the server's workspaces.

        Raises ValueError when a token or the team id is already used on this server."""
        if self.host is not None:
            return self.host.add_workspace(team_id, team_name, bot_token=bot_token, app_token=app_token,
                                           bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id, **options)
        for served in self.served():
            if served.team_id == team_id or {bot_token, app_token} & {served.bot_token, served.app_token}:
                raise ValueError(f"team {team_id} or its tokens are already used on this server")
        guest = SlackEmulator(team_id, team_name, bot_token, app_token, bot_user_id=bot_user_id, bot_id=bot_id,
                              app_id=app_id, ids=self.workspace.ids, **options)  # type: ignore[arg-type]
        guest.host = self
        self.guests.append(guest)
        if self.base_url:
            guest._bind(self.base_url)
        return guest

    def served(self) -> list[SlackEmulator]:
        """Every workspace on this server: the host's first, then those added with add_workspace."""
        host = self.host or self
        return [host, *host.guests]

    def _by_token(self, token: str | None) -> SlackEmulator:
        """The workspace a token belongs to (the host, which refuses it, for an unknown or missing token)."""
        return next((e for e in self.served() if token in (e.tokens.bot, e.tokens.app)), self)

    async def _route_api(self, request: web.Request) -> web.Response:
        token = bearer_token(request)
        if token is None:
            try:  # a token in the body (aiohttp keeps the body, so the chosen workspace reads it again)
                token = str((await read_arguments(request)).get("token") or "") or None
            except SlackError:
                token = None
        return await self._by_token(token).api.handle(request)

    async def _route_websocket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        owner = next((e for e in self.served() if ticket in e.hub.tickets), self)
        return await owner.hub.handle_websocket(request)

    async def _route_response_post(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        owner = next((e for e in self.served() if response_id in e.workspace.response_targets), self)
        return await owner._on_response_post(request)

    async def _route_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        owner = next((e for e in self.served() if file_id in e.workspace.files.files), self)
        return await owner._upload(request)

    async def _route_download(self, request: web.Request) -> web.Response:
        return await self._by_token(bearer_token(request))._download(request)

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ identity and settings

    @property
    def identity(self) -> Identity:
        return self.workspace.identity

    @property
    def team_id(self) -> str:
        return self.identity.team_id

    @property
    def bot_user_id(self) -> str:
        return self.identity.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.identity.bot_id

    @property
    def app_id(self) -> str:
        return self.identity.app_id

    @property
    def bot_token(self) -> str:
        return self.tokens.bot

    @bot_token.setter
    def bot_token(self, token: str) -> None:
        """Changing it makes the old token answer invalid_auth (a revoked install)."""
        self.tokens.bot = token

    @property
    def app_token(self) -> str:
        return self.tokens.app

    @property
    def ack_timeout(self) -> float:
        return self.hub.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, seconds: float) -> None:
        self.hub.ack_timeout = seconds

    @property
    def connect_wait(self) -> float:
        """How long sending an envelope waits for a socket to be connected before NoSocketConnected."""
        return self.hub.connect_wait

    @connect_wait.setter
    def connect_wait(self, seconds: float) -> None:
        self.hub.connect_wait = seconds

    @property
    def trigger_ttl(self) -> float:
        return self.workspace.views.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.workspace.views.trigger_ttl = seconds

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self.limiter.per_minute

    @rate_limit_per_minute.setter
    def rate_limit_per_minute(self, limit: int | None) -> None:
        self.limiter.per_minute = limit

    def configure_commands(self, escaping: Mapping[str, bool]) -> None:
        """Say, per slash command ("/task"), whether the app's manifest has should_escape: true.

        Commands not named here are escaped (`commands.DEFAULT_SHOULD_ESCAPE`).
        """
        self.command_escaping.update({commands.normalise(name): bool(flag) for name, flag in escaping.items()})

    def load_manifest(self, path: Path | str) -> dict[str, bool]:
        """Read should_escape per command from a Slack app manifest (manifest.yaml); absent file: nothing.

        Returns what was read. Raises ValueError for a file that is not a manifest.
        """
        found = commands.load_manifest_escaping(Path(path))
        self.configure_commands(found)
        return found

    def should_escape(self, command: str) -> bool:
        return self.command_escaping.get(commands.normalise(command), commands.DEFAULT_SHOULD_ESCAPE)

    def set_rate_limit(self, method: str = "*", times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` ("*" for any) answer HTTP 429 with Retry-After."""
        self.limiter.inject(method, times, retry_after)

    def pause(self, method: str, *, after_handling: bool = False, times: int | None = None) -> Pause:
        """Hold every call of ``method`` from now on (or only the next ``times``), before it is handled (or,
        ``after_handling``, once handled and before its answer goes back), until the returned pause is resumed
        or abandoned (see ``Pause``)."""
        return self.api.pause(method, after_handling=after_handling, times=times)

    def set_latency(self, method: str, *, before: float = 0.0, after: float = 0.0) -> None:
        """Every call of ``method`` waits ``before`` seconds before Slack handles it and ``after`` seconds
        (the message exists by then) before its answer goes back, as the network and Slack take time."""
        self.api.latency[method] = (before, after)

    def refuse_next(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are refused with Slack error code ``error``."""
        self.api.refuse_next(method, error, times)

    def add_gate(self, gate: Gate, *, after: bool = False) -> Callable[[], None]:
        """Tests: ``await gate(method, args)`` runs before each Web API call is answered, and before a
        ``response_url`` post is taken (method ``"response_url"``, args its body). It may wait (a slow or
        hanging Slack) or raise SlackError (a refusal; a response_url post then gets HTTP 500). With
        ``after``, it runs once the Web API call was done, before its answer goes back (args then carry the
        answer as ``"_answer"``): a wait there is a Slack slow to answer what it already did. Returns the
        function that removes the gate."""
        gates = self.api.after_gates if after else self.api.gates
        gates.append(gate)
        return lambda: gates.remove(gate)

    # ------------------------------------------------------------------ seeding

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str = "",
        email: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        deleted: bool = False,
        is_bot: bool = False,
        *,
        is_owner: bool = False,
        display_name: str = "",
        locale: str = "en-US",
        status_text: str = "",
        status_emoji: str = "",
        status_expiration: int = 0,
    ) -> User:
        user = User(
            user_id,
            self.team_id,
            name,
            real_name=real_name or name,
            email=email,
            tz=tz,
            is_admin=is_admin,
            is_owner=is_owner,
            deleted=deleted,
            is_bot=is_bot,
            display_name=display_name,
            locale=locale,
            status_text=status_text,
            status_emoji=status_emoji,
            status_expiration=status_expiration,
        )
        return self.workspace.add_user(user)

    def add_profile_field(self, label: str, type: str = "user", *, field_id: str | None = None, hint: str = "",  # noqa: A002
                          is_hidden: bool = False) -> str:
        """A custom profile field of the team (what team.profile.get lists; Slack's types: text, date, link,
        options_list, user, ...). Returns its id (``Xf…``)."""
        fields = self.workspace.profile_fields
        fid = field_id or f"Xf{len(fields) + 1:08d}"
        entry: JsonDict = {"id": fid, "ordering": len(fields), "label": label, "hint": hint, "type": type,
                           "possible_values": None, "options": None, "is_hidden": is_hidden, "section_id": ""}
        fields.append(entry)
        return fid

    def set_profile_field(self, user: str, field_id: str, value: str) -> None:
        """Set a person's value for a custom profile field (for a ``user`` field: Slack user ids, comma-separated);
        "" clears it. Slack sends no event for this; workspace sync reads it."""
        self.workspace.user(user).fields[field_id] = value

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_private: bool = False,
        members: list[str] | None = None,
        *,
        is_archived: bool = False,
        topic: str = "",
        purpose: str = "",
        is_ext_shared: bool = False,
    ) -> Channel:
        channel = Channel(
            channel_id,
            name,
            self.bot_user_id,
            is_private=is_private,
            members=list(dict.fromkeys(members or [])),
            is_archived=is_archived,
            topic=topic,
            purpose=purpose,
            is_ext_shared=is_ext_shared,
        )
        return self.workspace.add_channel(channel)

    def add_message(
        self,
        channel: str,
        text: str,
        user: str | None = None,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[JsonDict] | None = None,
    ) -> JsonDict:
        """Store a message without sending any event (history to backfill); no user means the bot."""
        target = self.workspace.post_target(channel)
        extra: JsonDict = {"ts": ts} if ts is not None else {}
        if user is None or user == self.bot_user_id:
            return self.workspace.bot_message(target, text, blocks=blocks, thread_ts=thread_ts, **extra)
        if blocks is not None:
            extra["blocks"] = blocks
        return self.workspace.user_message(self.workspace.user(user).id, target, text, thread_ts, **extra)

    async def dm_channel(self, user: str) -> str:
        """The id of the im ("D…") between this person and the bot."""
        return self.workspace.dm_channel(user).id

    # ------------------------------------------------------------------ state views

    def messages(self, channel: str, include_replies: bool = True) -> list[JsonDict]:
        """Copies of the stored messages, oldest first (thread replies included unless asked not to)."""
        log_ = self.workspace.store.log(self.workspace.post_target(channel).id).all()
        return [copy.deepcopy(m) for m in log_ if include_replies or m.get("thread_ts") in (None, m["ts"])]

    def thread(self, channel: str, ts: str) -> list[JsonDict]:
        """Copies of the replies under a parent message (the parent itself excluded)."""
        channel_id = self.workspace.post_target(channel).id
        return [copy.deepcopy(m) for m in self.workspace.store.log(channel_id).replies(ts)]

    def message(self, channel: str, ts: str) -> JsonDict | None:
        found = self.workspace.store.find(self.workspace.post_target(channel).id, ts)
        return copy.deepcopy(found) if found is not None else None

    @property
    def ephemerals(self) -> list[Ephemeral]:
        return self.workspace.ephemerals

    def ephemerals_for(self, user: str) -> list[Ephemeral]:
        return [e for e in self.workspace.ephemerals if e.user == user]

    @property
    def home_views(self) -> dict[str, JsonDict]:
        return self.workspace.views.home_views

    @property
    def open_views(self) -> dict[str, JsonDict]:
        return self.workspace.views.open_views

    def issue_trigger_id(self, user: str, issued_at: float | None = None) -> str:
        """A trigger_id as an interaction would carry (issued_at is time.monotonic())."""
        return self.workspace.views.issue_trigger(self.workspace.user(user).id, issued_at)

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[RecordedCall]:
        return self.recorder.calls

    def calls_to(self, method: str) -> list[RecordedCall]:
        return self.recorder.calls_to(method)

    async def wait_for_call(
        self,
        method: str,
        predicate: CallPredicate | None = None,
        timeout: float = 10,  # noqa: ASYNC109 (the documented test API)
        since: int = 0,
    ) -> RecordedCall:
        """The first matching call no earlier wait_for_call returned (from index `since`), waiting if needed."""
        return await self.recorder.wait_for(method, predicate, timeout, since)

    # ------------------------------------------------------------------ sockets and envelopes

    @property
    def connections(self) -> int:
        return len(self.hub.live)

    @property
    def envelopes(self) -> list[EnvelopeRecord]:
        return self.hub.envelopes

    @property
    def acked_envelopes(self) -> list[EnvelopeRecord]:
        return [e for e in self.hub.envelopes if e.acked]

    @property
    def unacked_envelopes(self) -> list[EnvelopeRecord]:
        return [e for e in self.hub.envelopes if not e.acked]

    @property
    def timed_out_interactions(self) -> list[EnvelopeRecord]:
        return self.hub.timed_out

    def envelopes_for_event(self, event_id: str) -> list[EnvelopeRecord]:
        delivery = self.hub.deliveries.get(event_id)
        return list(delivery.attempts) if delivery is not None else []

    async def wait_for_connections(self, count: int = 1, timeout: float = 10) -> None:  # noqa: ASYNC109 (the documented test API)
        await self.hub.wait_for_connections(count, timeout)

    def drop_sockets(self, close_frame: bool = True) -> asyncio.Task[None]:
        """Close every socket (close frame, or a TCP reset); await the result to wait for the closes."""
        return self.hub.drop(close_frame)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        await self.hub.send_disconnect(reason)

    async def send_raw_envelope(self, raw: JsonDict | str) -> str | None:
        return await self.hub.send_raw(raw)

    # ------------------------------------------------------------------ events people cause

    async def _deliver(self, channel: Channel | None, event: JsonDict) -> EnvelopeRecord | None:
        """Send an events_api envelope, unless the bot is not in the channel (Slack sends nothing)."""
        if channel is not None and not self.workspace.bot_is_member(channel):
            log.warning("bot is not in %s: %s event not delivered", channel.id, event.get("type"))
            self.undelivered_events.append(event)
            return None
        payload = payloads.event_callback(self.identity, event, self.workspace.ids.new("Ev"))
        return await self.hub.send_event(payload)

    def _join_if_needed(self, channel: Channel, user_id: str) -> None:
        if not channel.is_im and not channel.has_member(user_id):
            channel.members.append(user_id)

    async def user_message(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> str:
        """A person posts; the bot gets `message` (and `app_mention` when mentioned outside a DM)."""
        person = self.workspace.user(user)
        target = self.workspace.post_target(channel)
        self._join_if_needed(target, person.id)
        message = self.workspace.user_message(person.id, target, text, thread_ts)
        parent_user = self._parent_user(target, message)
        await self._deliver(target, payloads.message_event(target, message, parent_user))
        if f"<@{self.bot_user_id}>" in text and not target.is_im:
            await self._deliver(target, payloads.app_mention_event(target, message))
        return str(message["ts"])

    async def user_file(self, user: str, channel: str, name: str, content: bytes, text: str = "",
                        thread_ts: str | None = None) -> str:
        """A person uploads a file (with an optional comment, ``text``): Slack stores it and sends a ``message``
        event with subtype ``file_share``, the file in ``files`` and ``upload: true``. Returns the message's ts."""
        person = self.workspace.user(user)
        target = self.workspace.post_target(channel)
        self._join_if_needed(target, person.id)
        stored = self.workspace.files.reserve(name, len(content), person.id)
        self.workspace.files.receive(stored.id, content)
        self.workspace.files.complete(stored.id, None)
        message = self.workspace.user_message(person.id, target, text, thread_ts, subtype="file_share", upload=True,
                                              display_as_bot=False, files=[stored.to_api(self.base_url)])
        if not text:
            message.pop("blocks", None)  # a file alone carries no rich text
        stored.shares.setdefault(target.id, []).append(str(message["ts"]))
        await self._deliver(target, payloads.message_event(target, message, self._parent_user(target, message)))
        return str(message["ts"])

    def _parent_user(self, channel: Channel, message: JsonDict) -> str | None:
        thread_ts = message.get("thread_ts")
        if thread_ts is None or thread_ts == message["ts"]:
            return None
        parent = self.workspace.store.find(channel.id, thread_ts)
        return str(parent.get("user")) if parent is not None else None

    async def edit_message(self, channel: str, ts: str, new_text: str) -> str | None:
        target = self.workspace.post_target(channel)
        message = self.workspace.find_message(target.id, ts)
        previous = copy.deepcopy(message)
        event_ts = self.workspace.clock.next_ts()
        message["text"] = new_text
        if "client_msg_id" in message:
            message["blocks"] = rich_text_blocks(new_text)
        message["edited"] = {"user": message.get("user"), "ts": event_ts}
        record = await self._deliver(
            target, payloads.message_changed_event(target, previous, message, event_ts)
        )
        return record.envelope_id if record else None

    async def delete_message(self, channel: str, ts: str) -> str | None:
        target = self.workspace.post_target(channel)
        previous = self.workspace.delete_message(target.id, ts)
        event = payloads.message_deleted_event(target, previous, self.workspace.clock.next_ts())
        record = await self._deliver(target, event)
        return record.envelope_id if record else None

    async def open_app_home(self, user: str) -> str | None:
        person = self.workspace.user(user)
        dm = self.workspace.dm_channel(person.id)
        view = self.home_views.get(person.id)
        record = await self._deliver(None, payloads.app_home_opened_event(person.id, dm.id, view))
        return record.envelope_id if record else None

    async def team_join(self, user: str) -> str | None:
        """A new member joins the workspace (add them with ``add_user`` first): Slack's ``team_join``,
        whose user object, like ``users.list`` without include_locale, carries no ``locale``."""
        person = self.workspace.user(user)
        record = await self._deliver(None, {"type": "team_join", "user": person.to_api(), "event_ts": f"{time.time():.6f}"})
        return record.envelope_id if record else None

    async def set_status(self, user: str, text: str = "", emoji: str = "", expiration: int = 0) -> str | None:
        """A person sets (or clears, with no arguments) their status: Slack's ``user_change`` event, whose
        user object carries the new ``status_text``, ``status_emoji`` and ``status_expiration`` (epoch
        seconds, 0 = never) in its profile, as users.list and users.profile.get then also do."""
        person = self.workspace.user(user)
        person.status_text, person.status_emoji, person.status_expiration = text, emoji, int(expiration)
        record = await self._deliver(None, {"type": "user_change", "user": person.to_api(),
                                            "cache_ts": int(time.time()), "event_ts": f"{time.time():.6f}"})
        return record.envelope_id if record else None

    async def member_joined(self, user: str, channel: str, inviter: str | None = None) -> str | None:
        """Someone (or the bot itself) joins; the bot hears it if it is in the channel afterwards."""
        person = self.workspace.user(user)
        target = self.workspace.channel(channel)
        self._join_if_needed(target, person.id)
        record = await self._deliver(
            target, payloads.member_joined_event(self.identity, person.id, target, inviter)
        )
        return record.envelope_id if record else None

    async def react(self, user: str, channel: str, ts: str, name: str) -> str | None:
        person = self.workspace.user(user)
        target = self.workspace.post_target(channel)
        message = self.workspace.find_message(target.id, ts)
        reactions: list[JsonDict] = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if person.id not in reaction["users"]:
            reaction["users"].append(person.id)
            reaction["count"] = len(reaction["users"])
        record = await self._deliver(
            target, payloads.reaction_added_event(person.id, name, target.id, message)
        )
        return record.envelope_id if record else None

    # ------------------------------------------------------------------ interactions

    def _response_target(
        self, channel_id: str | None, user_id: str, message_ts: str | None
    ) -> ResponseTarget:
        response_id = secrets.token_hex(12)
        target = ResponseTarget(response_id, channel_id, user_id, message_ts)
        self.workspace.response_targets[response_id] = target
        return target

    def _response_url_for(self, response_id: str) -> str:
        return f"{self.base_url}/response/{response_id}"

    async def _interact(
        self,
        kind: str,
        payload: JsonDict,
        trigger_id: str,
        target: ResponseTarget | None,
        on_ack: Callable[[EnvelopeRecord], None] | None = None,
        after_post: Callable[[JsonDict], None] | None = None,
    ) -> InteractionResult:
        accepts_payload = kind == "slash_commands" or payload.get("type") == "view_submission"
        url = self._response_url_for(target.response_id) if target is not None else None
        result: InteractionResult | None = None
        early: list[JsonDict] = []  # responses that arrive before the result exists
        if target is not None:
            def on_post(body: JsonDict) -> None:
                if result is None:
                    early.append(body)
                else:
                    result.add_response(ResponsePost(target.response_id, body))
                if after_post is not None:
                    after_post(body)

            target.on_post = on_post
        record = await self.hub.send_interactive(kind, payload, accepts_payload, on_ack)
        result = InteractionResult(record, url, trigger_id)
        for body in early:
            result.add_response(ResponsePost(target.response_id if target else "", body))
        await self.hub.await_ack(record)
        return result

    async def slash_command(
        self, user: str, command: str, text: str = "", channel: str | None = None, thread_ts: str | None = None
    ) -> InteractionResult:
        """Run a slash command; returns once acked (or timed out) with the ack and later respond()s.

        `text` is what Slack's client sends; with should_escape (see `configure_commands`) typed
        `@name`/`#channel`/links become `<@U…|name>`/`<#C…|name>`/`<…>`, without it markup becomes
        plain `@name`/`#channel`. Raises `CommandNotDelivered` (no envelope is sent, and Slackbot tells
        the person, as an ephemeral) for Slack's built-in commands (`/invite` is acted out), another
        app's command, or an app's command typed in a thread (`thread_ts`).
        """
        person = self.workspace.user(user)
        target_channel = (
            self.workspace.post_target(channel) if channel else self.workspace.dm_channel(person.id)
        )
        refused = commands.refusal(command, thread_ts)
        if refused is not None:
            joined = False
            if refused.command == "/invite":
                refused, joined = await self._invite(person.id, target_channel, text)
            if not joined:  # a join shows as its own channel message instead
                self._slackbot_says(person.id, target_channel.id, refused.message, thread_ts)
            raise refused
        command = commands.normalise(command)
        if self.should_escape(command):
            text = link_typed(self.workspace, person.id, text, user_labels=True)
        else:
            text = plain_mentions(self.workspace, text)
        trigger_id = self.issue_trigger_id(person.id)
        target = self._response_target(target_channel.id, person.id, None)
        payload = payloads.slash_command(
            self.identity,
            person,
            target_channel,
            command,
            text,
            self._response_url_for(target.response_id),
            trigger_id,
        )
        return await self._interact(
            "slash_commands",
            payload,
            trigger_id,
            target,
            lambda record: self._show_command_ack(target, record),
        )

    def response_url(self, user: str, channel: str | None = None) -> str:
        """A live response_url for ``user`` (in ``channel``), as an interaction would carry: what the bot
        POSTs to it is recorded in ``response_posts`` and shown to the person."""
        channel_id = self.workspace.post_target(channel).id if channel else None
        target = self._response_target(channel_id, self.workspace.user(user).id, None)
        return self._response_url_for(target.response_id)

    async def send_payload(self, kind: str, payload: JsonDict, *, user: str | None = None,
                           channel: str | None = None) -> InteractionResult:
        """Send a hand-made ``slash_commands`` or ``interactive`` payload (forged or malformed, for hostile-input
        tests) as Slack would deliver it, and wait for the ack as for any interaction.

        With ``user``, the payload's ``response_url`` and ``trigger_id`` are replaced by live ones for that
        person (in ``channel``, when given), so what the bot answers through them is recorded; the rest of
        the payload is sent exactly as given."""
        target = None
        trigger_id = ""
        if user is not None:
            person = self.workspace.user(user)
            channel_id = self.workspace.post_target(channel).id if channel else None
            target = self._response_target(channel_id, person.id, None)
            trigger_id = self.issue_trigger_id(person.id)
            payload = {**payload, "response_url": self._response_url_for(target.response_id), "trigger_id": trigger_id}
        return await self._interact(kind, payload, trigger_id, target)

    def _slackbot_says(self, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> None:
        """A message from Slack itself, seen only by this person (as Slackbot's ephemerals are)."""
        self.workspace.post_ephemeral(Ephemeral(channel_id, user_id, text, None, self.workspace.clock.next_ts(),
                                                thread_ts, source="slackbot"))

    async def _invite(self, inviter: str, channel: Channel, text: str) -> tuple[CommandNotDelivered, bool]:
        """Slack's /invite @person [#channel]: add the people, tell the bot (member_joined_channel)."""
        escaped = link_typed(self.workspace, inviter, text, user_labels=True)
        named = re.search(r"<#([CG][A-Z0-9]+)", escaped)
        try:
            where = self.workspace.channel(named.group(1)) if named else channel
        except SlackError:  # a channel that does not exist (or that the person cannot see)
            return CommandNotDelivered("built_in", "/invite", "That channel doesn't exist, or you can't see it."), False
        people = list(dict.fromkeys(re.findall(r"<@([UW][A-Z0-9]+)", escaped)))
        if where.is_im or where.is_mpim:
            return CommandNotDelivered("built_in", "/invite", "You can't add people to a direct message."), False
        if not people:
            return CommandNotDelivered("built_in", "/invite", "Who should join? Type /invite @name."), False
        added = [p for p in people if p in self.workspace.users and not where.has_member(p)]
        for user_id in added:
            self.workspace.store_message(where, {"type": "message", "subtype": "channel_join", "user": user_id,
                                                 "inviter": inviter, "text": f"<@{user_id}> has joined the channel"})
            await self.member_joined(user_id, where.id, inviter)
        names = ", ".join("@" + self.workspace.user(p).name for p in added)
        message = f"Added {names} to #{where.name}." if added else f"They are already in #{where.name}."
        return CommandNotDelivered("built_in", "/invite", message), bool(added)

    def _show_command_ack(self, target: ResponseTarget, record: EnvelopeRecord) -> None:
        """Text or blocks in a command's ack reach the user like a response_url message."""
        ack = record.ack_payload or {}
        if ack.get("text") or ack.get("blocks"):
            apply_response(self.workspace, target, ack)

    def _action(
        self,
        blocks: list[JsonDict],
        action_id: str,
        value: str | None,
        block_id: str | None,
        fields: JsonDict | None,
    ) -> JsonDict:
        found_block_id, element = payloads.find_element(blocks, action_id, value=value, block_id=block_id)
        if element is None:
            # Slack only delivers clicks on elements it shows: a button a chat.update removed cannot be pressed.
            shown = f" with value {value!r}" if value is not None else ""
            raise ValueError(f"no element with action_id {action_id!r}{shown} is shown there: nobody can click it")
        chosen_block_id = found_block_id or block_id or secrets.token_hex(3)
        return payloads.action(action_id, chosen_block_id, element, value, fields or {})

    async def click_button(
        self,
        user: str,
        message_ts: str | None = None,
        channel: str | None = None,
        action_id: str = "",
        value: str | None = None,
        block_id: str | None = None,
        *,
        view_id: str | None = None,
        fields: JsonDict | None = None,
        seen: JsonDict | None = None,
    ) -> InteractionResult:
        """A block_actions click on a message button (message_ts + channel) or a view's (view_id).

        `fields` adds action fields for other elements (e.g. {"selected_option": {...}}).
        Like Slack, only an element the message or view shows can be clicked (ValueError otherwise): a button a
        chat.update or views.publish removed is gone. `seen` is the message or view as the user's client still
        showed it (a double click, a client that had not refreshed): the element is looked up there instead.
        """
        if not action_id:
            raise ValueError("action_id is required")
        person = self.workspace.user(user)
        trigger_id = self.issue_trigger_id(person.id)
        if view_id is not None:
            view = self.workspace.views.views[view_id]
            act = self._action((seen or view).get("blocks", []), action_id, value, block_id, fields)
            payload = payloads.block_actions_on_view(self.identity, person, view, [act], trigger_id)
            return await self._interact("interactive", payload, trigger_id, None)
        target_channel = self.workspace.post_target(channel)
        message = self.workspace.find_message(target_channel.id, message_ts)
        act = self._action((seen or message).get("blocks", []), action_id, value, block_id, fields)
        target = self._response_target(target_channel.id, person.id, message["ts"])
        url = self._response_url_for(target.response_id)
        payload = payloads.block_actions_on_message(
            self.identity, person, target_channel, message, [act], url, trigger_id
        )
        return await self._interact("interactive", payload, trigger_id, target)

    async def click_ephemeral_button(
        self,
        user: str,
        channel: str,
        ephemeral_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        *,
        fields: JsonDict | None = None,
    ) -> InteractionResult:
        """A click on an ephemeral message: Slack's container says is_ephemeral and carries no message.
        A response_url POST that replaces or deletes the original removes the ephemeral."""
        ws = self.workspace
        ephemeral = next((e for e in self.ephemerals_for(user) if e.channel == channel and e.ts == ephemeral_ts), None)
        if ephemeral is None:
            raise SlackError("message_not_found")
        person = ws.user(user)
        target_channel = ws.channel(channel)
        act = self._action(ephemeral.blocks or [], action_id, value, block_id, fields)
        target = self._response_target(target_channel.id, person.id, None)
        trigger_id = self.issue_trigger_id(person.id)
        fake: JsonDict = {"type": "message", "ts": ephemeral.ts, "text": ephemeral.text, "blocks": ephemeral.blocks or []}
        if ephemeral.thread_ts:
            fake["thread_ts"] = ephemeral.thread_ts
        payload = payloads.block_actions_on_message(
            self.identity, person, target_channel, fake, [act], self._response_url_for(target.response_id), trigger_id)
        payload["container"]["is_ephemeral"] = True
        payload.pop("message", None)

        def drop_replaced(body: JsonDict) -> None:
            if (body.get("replace_original") or body.get("delete_original")) and ephemeral in ws.ephemerals:
                ws.ephemerals.remove(ephemeral)

        return await self._interact("interactive", payload, trigger_id, target, after_post=drop_replaced)

    async def submit_view(
        self, user: str, view_id: str, values: dict[str, dict[str, JsonDict]] | None = None
    ) -> JsonDict | None:
        """Submit an open modal; returns the ack payload ({} for a bare ack, None when not acked in time)."""
        person = self.workspace.user(user)
        view = self.open_views.get(view_id)
        if view is None:
            raise ValueError(f"view {view_id} is not open")
        view["state"] = {"values": copy.deepcopy(values or {})}
        trigger_id = self.issue_trigger_id(person.id)
        payload = payloads.view_submission(self.identity, person, view, trigger_id)
        result = await self._interact("interactive", payload, trigger_id, None)
        if result.timed_out:
            return None
        ack = result.ack or {}
        self.workspace.views.apply_submission_ack(view_id, ack, api_views.owner(self.workspace))
        return ack

    async def close_view(self, user: str, view_id: str, is_cleared: bool = False) -> InteractionResult | None:
        """The person closes a modal; view_closed is sent only when the view asked (notify_on_close)."""
        person = self.workspace.user(user)
        view = self.workspace.views.views[view_id]
        self.workspace.views.close(view_id, clear=is_cleared)
        if not view.get("notify_on_close"):
            return None
        payload = payloads.view_closed(self.identity, person, view, is_cleared)
        return await self._interact("interactive", payload, "", None)

    async def shortcut(self, user: str, callback_id: str) -> InteractionResult:
        person = self.workspace.user(user)
        trigger_id = self.issue_trigger_id(person.id)
        payload = payloads.global_shortcut(self.identity, person, callback_id, trigger_id)
        return await self._interact("interactive", payload, trigger_id, None)

    async def message_shortcut(
        self, user: str, callback_id: str, channel: str, message_ts: str
    ) -> InteractionResult:
        person = self.workspace.user(user)
        target_channel = self.workspace.post_target(channel)
        message = self.workspace.find_message(target_channel.id, message_ts)
        trigger_id = self.issue_trigger_id(person.id)
        target = self._response_target(target_channel.id, person.id, message["ts"])
        payload = payloads.message_shortcut(
            self.identity,
            person,
            callback_id,
            target_channel,
            message,
            self._response_url_for(target.response_id),
            trigger_id,
        )
        return await self._interact("interactive", payload, trigger_id, target)

    # ------------------------------------------------------------------ HTTP endpoints besides /api

    def _connections_open(self, workspace: Workspace, args: Args) -> JsonDict:
        ticket = self.hub.issue_ticket()
        ws_base = "ws" + self.base_url.removeprefix("http")
        return {"url": f"{ws_base}/link/?ticket={ticket}&app_id={self.app_id}"}

    async def _on_response_post(self, request: web.Request) -> web.Response:
        target = self.workspace.response_targets.get(request.match_info["response_id"])
        if target is None:
            return web.Response(status=404, text="invalid_url")
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        try:
            for gate in list(self.api.gates):
                await gate("response_url", body)
        except SlackError as error:
            return web.Response(status=500, text=error.code)
        target.uses += 1
        if target.uses > MAX_USES:
            return web.Response(status=404, text="used_url")
        post = ResponsePost(target.response_id, body)
        self.response_posts.append(post)
        if target.on_post is not None:
            target.on_post(body)
        try:
            apply_response(self.workspace, target, body)
        except SlackError as error:
            self.refused_responses.append((post, error.code))
            return web.Response(status=400, text=error.code)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            stored = self.workspace.files.receive(request.match_info["file_id"], await request.read())
        except SlackError as error:  # not the declared length: the upload fails, the file is never completed
            return web.Response(status=400, text=error.code, content_type="text/plain")
        if stored is None:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        return web.Response(text=f"OK - {len(stored.content or b'')}", content_type="text/plain")

    async def _download(self, request: web.Request) -> web.Response:
        if bearer_token(request) != self.tokens.bot:
            return web.Response(status=403, text="forbidden")
        try:
            stored = self.workspace.files.get(request.match_info["file_id"])
        except SlackError:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=stored.content or b"", content_type=stored.mimetype)

    # ------------------------------------------------------------------ the bot's own echoes

    def _echo_bot_message(self, channel: Channel, message: JsonDict) -> None:
        if self.echo_own_events and self.hub.live and self.workspace.bot_is_member(channel):
            event = payloads.message_event(channel, message, self._parent_user(channel, message))
            self.hub.spawn(self._deliver_quietly(channel, event))

    def _on_bot_join(self, channel: Channel, user_id: str) -> None:
        if self.echo_own_events and self.hub.live:
            event = payloads.member_joined_event(self.identity, user_id, channel, None)
            self.hub.spawn(self._deliver_quietly(channel, event))

    async def _deliver_quietly(self, channel: Channel, event: JsonDict) -> None:
        await self._deliver(channel, event)
