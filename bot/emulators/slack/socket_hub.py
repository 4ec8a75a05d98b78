"""Socket Mode: tickets, websocket connections, round-robin envelopes, acks and Slack's retries."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.emulators.slack.errors import NoSocketConnected
from bot.emulators.slack.ids import IdFactory
from bot.emulators.slack.models import Delivery, EnvelopeRecord, JsonDict

log = logging.getLogger(__name__)

MAX_EVENT_RETRIES = 3
CLOSE_TIMEOUT = 2.0


@dataclass(eq=False)
class Connection:
    id: int
    ws: web.WebSocketResponse
    request: web.Request
    opened_at: float = field(default_factory=time.monotonic)
    closed_at: float | None = None
    closing: bool = False
    frames_sent: int = 0
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, text: str) -> None:
        async with self.send_lock:
            await self.ws.send_str(text)
        self.frames_sent += 1


def hello_frame(app_id: str, num_connections: int) -> JsonDict:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": "emulator", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": app_id},
    }


async def _acked_within(event: asyncio.Event, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):  # not wait_for: see bot/worker.py
            await event.wait()
    except TimeoutError:
        return False
    return True


class SocketHub:
    def __init__(
        self, app_id: str, ids: IdFactory, ack_timeout: float = 3.0, connect_wait: float = 5.0
    ) -> None:
        self.app_id = app_id
        self.ids = ids
        self.ack_timeout = ack_timeout
        self.connect_wait = connect_wait
        self.tickets: set[str] = set()
        self.live: list[Connection] = []
        self.history: list[Connection] = []
        self.envelopes: list[EnvelopeRecord] = []
        self.deliveries: dict[str, Delivery] = {}
        self.timed_out: list[EnvelopeRecord] = []
        self.unknown_acks: list[JsonDict] = []
        self.bad_frames: list[str] = []
        self._by_id: dict[str, EnvelopeRecord] = {}
        self._round_robin = 0
        self._has_live = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- connections

    def issue_ticket(self) -> str:
        ticket = self.ids.envelope_id()
        self.tickets.add(ticket)
        return ticket

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid_ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        connection = Connection(id=len(self.history) + 1, ws=ws, request=request)
        self._open(connection)
        try:
            await connection.send(json.dumps(hello_frame(self.app_id, len(self.live))))
            async for message in ws:
                self._on_frame(message.type, message.data)
        except ConnectionError:
            log.debug("socket %s ended abruptly", connection.id)
        finally:
            self._close(connection)
        return ws

    def _open(self, connection: Connection) -> None:
        self.history.append(connection)
        self.live.append(connection)
        self._has_live.set()

    def _close(self, connection: Connection) -> None:
        connection.closed_at = time.monotonic()
        self._retire(connection)

    def _retire(self, connection: Connection) -> None:
        connection.closing = True
        if connection in self.live:
            self.live.remove(connection)
        if not self.live:
            self._has_live.clear()

    async def wait_for_connections(self, count: int = 1, timeout: float = 10) -> None:  # noqa: ASYNC109 (the documented test API)
        deadline = time.monotonic() + timeout
        while len(self.live) < count:
            if time.monotonic() >= deadline:
                raise NoSocketConnected(f"{len(self.live)} of {count} sockets connected after {timeout}s")
            await asyncio.sleep(0.005)

    def drop(self, close_frame: bool = True) -> asyncio.Task[None]:
        """Close every live socket (with a close frame, or by resetting the TCP connection)."""
        dropped = list(self.live)
        for connection in dropped:
            self._retire(connection)
        return self._spawn(self._close_sockets(dropped, close_frame))

    async def _close_sockets(self, connections: list[Connection], close_frame: bool) -> None:
        for connection in connections:
            if close_frame:
                await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"refresh")
            elif connection.request.transport is not None:
                connection.request.transport.abort()

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message: the client opens a new connection and drops this one."""
        frame = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "emulator"}})
        for connection in list(self.live):
            self._retire(connection)
            await connection.send(frame)

    async def close_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_sockets(list(self.live), close_frame=True)
        for connection in list(self.live):
            self._retire(connection)

    # ---- sending

    async def _pick(self) -> Connection:
        if not self.live and not await _acked_within(self._has_live, self.connect_wait):
            raise NoSocketConnected(f"no Socket Mode client connected within {self.connect_wait}s")
        self._round_robin += 1
        return self.live[self._round_robin % len(self.live)]

    async def send_text(self, text: str) -> Connection:
        """Send one frame on the next socket in turn, moving on when a socket dies under us."""
        while True:
            connection = await self._pick()
            if connection.ws.closed:
                self._retire(connection)
                continue
            try:
                await connection.send(text)
            except (ConnectionError, RuntimeError):
                self._retire(connection)
                continue
            return connection

    def _register(self, record: EnvelopeRecord) -> EnvelopeRecord:
        self.envelopes.append(record)
        self._by_id[record.envelope_id] = record
        return record

    async def _send_record(self, record: EnvelopeRecord) -> EnvelopeRecord:
        self._register(record)
        connection = await self.send_text(json.dumps(record.frame()))
        record.connection_id = connection.id
        record.sent_at = time.monotonic()
        return record

    async def send_event(self, payload: JsonDict) -> EnvelopeRecord:
        """An events_api envelope, re-sent up to 3 times (same event_id) while nobody acks it."""
        delivery = Delivery(event_id=str(payload["event_id"]))
        self.deliveries[delivery.event_id] = delivery
        first = await self._send_attempt(delivery, payload, 0)
        self._spawn(self._retry_until_acked(delivery, payload))
        return first

    async def _send_attempt(self, delivery: Delivery, payload: JsonDict, attempt: int) -> EnvelopeRecord:
        record = EnvelopeRecord(
            envelope_id=self.ids.envelope_id(),
            type="events_api",
            payload=payload,
            retry_attempt=attempt,
            retry_reason="timeout" if attempt else "",
            delivery=delivery,
        )
        delivery.attempts.append(record)
        return await self._send_record(record)

    async def _retry_until_acked(self, delivery: Delivery, payload: JsonDict) -> None:
        for attempt in range(1, MAX_EVENT_RETRIES + 2):
            if await _acked_within(delivery.acked, self.ack_timeout):
                return
            delivery.attempts[-1].timed_out = True
            if attempt > MAX_EVENT_RETRIES:
                break
            try:
                await self._send_attempt(delivery, payload, attempt)
            except NoSocketConnected:
                break
        delivery.gave_up = True
        log.info("event %s was never acked; Slack gives up", delivery.event_id)

    async def send_interactive(
        self,
        kind: str,
        payload: JsonDict,
        accepts_response_payload: bool,
        on_ack: Callable[[EnvelopeRecord], None] | None = None,
    ) -> EnvelopeRecord:
        record = EnvelopeRecord(
            envelope_id=self.ids.envelope_id(),
            type=kind,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            on_ack=on_ack,
        )
        return await self._send_record(record)

    async def await_ack(self, record: EnvelopeRecord) -> bool:
        """Wait up to ack_timeout; a late ack leaves the record timed out, as the user saw an error."""
        if await _acked_within(record.ack_received, self.ack_timeout):
            return True
        record.timed_out = True
        self.timed_out.append(record)
        return False

    async def send_raw(self, raw: JsonDict | str) -> str | None:
        """Send any frame as is; a dict with an envelope_id is tracked so its ack is recorded."""
        envelope_id = None
        if isinstance(raw, dict) and isinstance(raw.get("envelope_id"), str):
            envelope_id = raw["envelope_id"]
            payload = raw.get("payload")
            self._register(
                EnvelopeRecord(
                    envelope_id, str(raw.get("type")), payload if isinstance(payload, dict) else {}
                )
            )
        await self.send_text(raw if isinstance(raw, str) else json.dumps(raw))
        return envelope_id

    # ---- receiving

    def _on_frame(self, kind: WSMsgType, data: Any) -> None:
        if kind != WSMsgType.TEXT:
            if kind == WSMsgType.BINARY:
                self.bad_frames.append(repr(data))
            return
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            self.bad_frames.append(data)
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("envelope_id"), str):
            self.bad_frames.append(data)
            return
        self._on_ack(frame)

    def _on_ack(self, frame: JsonDict) -> None:
        record = self._by_id.get(frame["envelope_id"])
        if record is None:
            self.unknown_acks.append(frame)
            return
        if record.acked:
            return
        payload = frame.get("payload")
        record.acked_at = time.monotonic()
        record.ack_payload = payload if isinstance(payload, dict) else None
        record.ack_received.set()
        if record.delivery is not None:
            record.delivery.acked.set()
        if record.on_ack is not None and not record.timed_out:
            record.on_ack(record)

    # ---- background work

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("socket hub task failed", exc_info=task.exception())

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return self._spawn(work)
