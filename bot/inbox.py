"""The durable inbox: store every envelope, ack it, then process it from the table.

Live path (``InboxSocketModeHandler.handle``): the envelope is inserted (unique on its event
key) and committed, *then* acked. A duplicate or a Slack retry of an event already stored
is acked and dropped. Processing happens in :class:`InboxWorker`, which claims rows with
``FOR UPDATE SKIP LOCKED`` (so several processes share the work), replays each payload
through the Bolt app (``process_before_response=True``: the listener has finished when
dispatch returns), and marks it done, retries it with backoff, or dead-letters it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import slack_payloads
from bot.errors import InvalidPayload, StewardError
from bot.log import bound_context, get_logger
from bot.slack_limits import slack_refusal
from bot.worker import PollingWorker
from db.queries import Q

log = get_logger(__name__)

MAX_ATTEMPTS = 5
LEASE_SECONDS = 120
KINDS = slack_payloads.KINDS


def event_key(kind: str, payload: dict[str, Any], envelope_id: str | None = None) -> str:
    """The identity of an envelope's content, stable across Slack's redeliveries. Any payload has one:
    fields of unexpected types fall back to a hash of the whole content."""
    event_id = payload.get("event_id")
    if kind == "events_api" and isinstance(event_id, str) and event_id:
        return f"ev:{event_id}"
    trigger = payload.get("trigger_id")
    actions = payload.get("actions") or [{}]
    if isinstance(trigger, str) and trigger and isinstance(actions, list) and isinstance(actions[0], dict):
        # A slash command or an interaction is unique by its trigger; a button on a view
        # or message carries the action_ts as well, for good measure.
        return f"{kind[:3]}:{trigger}:{actions[0].get('action_ts', '')}"
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return f"{kind[:3]}:sha256:{hashlib.sha256(canonical.encode('utf-8', 'surrogatepass')).hexdigest()}"


def team_of(payload: dict[str, Any]) -> str | None:
    """The Slack team id a payload belongs to (None when it names none as a string)."""
    team = payload.get("team_id") or payload.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    if team is None and isinstance(payload.get("user"), dict):
        team = payload["user"].get("team_id")
    return team if isinstance(team, str) else None


def storable(value: Any) -> Any:
    """What PostgreSQL's text and jsonb cannot hold, made storable; everything else is kept: NUL characters
    and lone surrogates (JSON's "\\ud800") become U+FFFD, and NaN and the infinities (which Python's JSON
    reader accepts and jsonb refuses) become null."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _no_surrogates(value)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _no_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


async def store(pool: AsyncConnectionPool, kind: str, payload: dict[str, Any], key: str) -> int | None:
    """Insert the envelope; return its id, or None when it was already stored."""
    kind = kind if kind in KINDS else "other"
    payload = storable(payload)
    async with pool.connection() as conn:
        cur = await conn.execute(
            Q["inbox_store"], {"event_key": key, "kind": kind, "team_id": team_of(payload), "payload": Jsonb(payload)}
        )
        row = await cur.fetchone()
    return row[0] if row else None


# Ack payloads that must be computed at ack time (for example a view submission's
# validation errors): callback_id -> function(payload) -> ack payload or None.
AckHook = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass
class Metrics:
    events_received: int = 0
    events_duplicate: int = 0
    events_processed: int = 0
    events_failed: int = 0
    events_dead: int = 0
    notifications_sent: int = 0
    notifications_failed: int = 0
    job_runs: dict[str, int] = field(default_factory=dict)
    ack_latencies_ms: list[float] = field(default_factory=list)


class InboxSocketModeHandler(AsyncSocketModeHandler):  # type: ignore[misc]
    """Socket Mode handler that writes the envelope to the inbox before acking it."""

    def __init__(self, app: AsyncApp, app_token: str, *, pool: AsyncConnectionPool, worker: InboxWorker,
                 metrics: Metrics, ack_hooks: dict[str, AckHook] | None = None, **kwargs: Any) -> None:
        super().__init__(app, app_token, **kwargs)
        self.pool = pool
        self.worker = worker
        self.metrics = metrics
        self.ack_hooks = ack_hooks or {}
        self.client.message_listeners.append(self.ack_unreadable)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        started = loop.time()
        # Whatever the envelope holds, it is stored and acked: a payload Steward cannot use is refused when
        # processed (bot/slack_payloads.py), never left for Slack to redeliver.
        kind = req.type if isinstance(req.type, str) and req.type in KINDS else "other"
        payload = storable(req.payload if isinstance(req.payload, dict) else {"raw": req.payload})
        key = event_key(kind, payload, req.envelope_id)
        self.metrics.events_received += 1
        try:
            row_id = await store(self.pool, kind, payload, key)
        except Exception:
            # No durable write, no ack: Slack will redeliver the event (and a command shows the user an error).
            log.exception("inbox_store_failed", event_key=key)
            return
        ack_payload = self._ack_payload(kind, payload) if row_id is not None else None
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=ack_payload))
        self.metrics.ack_latencies_ms.append((loop.time() - started) * 1000)
        if len(self.metrics.ack_latencies_ms) > 10_000:
            del self.metrics.ack_latencies_ms[:5_000]
        if row_id is None:
            self.metrics.events_duplicate += 1
            log.info("inbox_duplicate_ignored", event_key=key, retry_attempt=req.retry_attempt)
            return
        self.worker.wake()

    async def ack_unreadable(self, client: AsyncBaseSocketModeClient, message: dict[str, Any], raw_message: str | None) -> None:
        """A message listener for what the SDK drops before :meth:`handle` (an envelope without a type or a
        payload, or whose payload is not an object): acked all the same, since no redelivery could make it
        readable (Slack would retry it three times), and logged."""
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if envelope_id is None or _becomes_request(message):
            return
        # Taken care of: without its payload the SDK skips it, instead of failing to build a request from a
        # payload of a type it does not support (and logging that as an error).
        message.pop("payload", None)
        await client.send_socket_mode_response({"envelope_id": envelope_id})
        log.warning("inbox_unreadable_envelope_acked", envelope_id=str(envelope_id)[:100],
                    type=str(message.get("type"))[:50], payload_type=type(message.get("payload")).__name__)

    def _ack_payload(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if kind == "interactive" and payload.get("type") == "view_submission" and isinstance(payload.get("view"), dict):
            callback = payload["view"].get("callback_id")
            hook = self.ack_hooks.get(callback) if isinstance(callback, str) else None
            if hook is not None:
                try:
                    return hook(payload)
                except InvalidPayload:
                    return None  # refused when processed, with the person told why
                except Exception:  # a validator bug must not block the ack
                    log.exception("ack_hook_failed", callback_id=callback)
        return None


def _becomes_request(message: dict[str, Any]) -> bool:
    """True when slack_sdk turns this message into a SocketModeRequest for :meth:`InboxSocketModeHandler.handle`
    (slack_sdk/socket_mode/request.py: type, envelope_id and payload present, the payload an object or a string)."""
    return all(k in message for k in ("type", "envelope_id", "payload")) and isinstance(message["payload"], dict | str)


@dataclass
class Outcome:
    """What the listener run for one inbox row came to; filled by the app's error handler."""

    error: BaseException | None = None


CURRENT_OUTCOME: ContextVar[Outcome | None] = ContextVar("steward_inbox_outcome", default=None)

DeadLetterHook = Callable[[dict[str, Any], str], Awaitable[None]]
InvalidPayloadHook = Callable[[dict[str, Any], InvalidPayload], Awaitable[None]]


# The Slack teams whose rows a worker may claim (the workspaces its process holds a bot token for).
TeamScope = Callable[[], Awaitable[Collection[str]]]


class InboxWorker(PollingWorker):
    """Claims and processes inbox rows. With ``teams``, only rows of those Slack teams (and rows that name no
    team, which no workspace's token is needed for) are claimed: another team's rows wait for a process
    that holds its token."""

    name = "inbox-worker"

    def __init__(self, app: AsyncApp, pool: AsyncConnectionPool, metrics: Metrics, *, concurrency: int = 8,
                 batch: int = 20, poll_seconds: float = 1.0, on_dead_letter: DeadLetterHook | None = None,
                 backoff_base: float = 1.0, max_attempts: int = MAX_ATTEMPTS, teams: TeamScope | None = None,
                 on_invalid_payload: InvalidPayloadHook | None = None) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.teams = teams
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts
        self.app = app
        self.pool = pool
        self.metrics = metrics
        self.concurrency = concurrency
        self.batch = batch
        self.on_dead_letter = on_dead_letter
        self.on_invalid_payload = on_invalid_payload  # logs and answers a payload refused before dispatch
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    async def stop(self) -> None:
        await super().stop()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch and start processing it; return how many rows were claimed."""
        free = max(1, min(self.batch, self._free_slots()))
        teams = sorted(await self.teams()) if self.teams is not None else None
        claim = {"limit": free, "lease_seconds": LEASE_SECONDS, "team_ids": teams}
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(Q["inbox_claim"], claim)).fetchall()
        for row in rows:
            await self._slots.acquire()
            task = asyncio.create_task(self._process_row(*row))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(rows)

    async def _refuse(self, key: str, payload: dict[str, Any], error: InvalidPayload) -> None:
        if self.on_invalid_payload is None:
            return
        try:
            await self.on_invalid_payload(payload, error)
        except Exception:  # the row is done all the same: the refusal is in the log
            log.exception("invalid_payload_notice_failed", event_key=key)

    @staticmethod
    def request(row_id: int, kind: str, payload: dict[str, Any], attempts: int) -> AsyncBoltRequest:
        """The Bolt request for an inbox row, once its payload's shape is checked (bot/slack_payloads.py).
        Raises InvalidPayload for a payload that neither Steward nor Bolt can read."""
        slack_payloads.check(kind, payload)
        try:
            return AsyncBoltRequest(body=payload, mode="socket_mode", context={"inbox_id": row_id, "attempt": attempts})
        except Exception as exc:  # a shape check() let through but Bolt's reader trips on: the same answer
            raise slack_payloads.invalid(kind, payload, f"Bolt could not read it ({type(exc).__name__}: {exc})") from exc

    def _free_slots(self) -> int:
        return self.concurrency - len(self._running)

    async def _process_row(self, row_id: int, key: str, kind: str, team_id: str | None, payload: dict[str, Any],
                           attempts: int) -> None:
        try:
            await self.process(row_id, key, kind, payload, attempts)
        finally:
            self._slots.release()

    async def process(self, row_id: int, key: str, kind: str, payload: dict[str, Any], attempts: int) -> None:
        outcome = Outcome()
        token = CURRENT_OUTCOME.set(outcome)
        try:
            with bound_context(event_key=key, inbox_id=row_id):
                try:
                    request = self.request(row_id, kind, payload, attempts)
                    response = await self.app.async_dispatch(request)
                    status = response.status
                except InvalidPayload as exc:  # refused before any listener ran: at once, no retry
                    outcome.error = exc
                    status = 400
                    await self._refuse(key, payload, exc)
                except Exception as exc:  # dispatch itself failed
                    outcome.error = exc
                    status = 500
        finally:
            CURRENT_OUTCOME.reset(token)
        error = outcome.error
        refused = slack_refusal(error) if error is not None else None
        if status < 500 or isinstance(error, StewardError) or refused is not None:
            # Handled: done. 404 means no listener wanted it (bot's own messages, noise). A permanent
            # Slack refusal is done too (the person was told; a retry would be refused the same way),
            # with Slack's answer kept in last_error for the operator, as is what was wrong with a payload.
            note = (f"slack refused: {refused}" if refused else
                    f"invalid payload: {error.problem}"[:2000] if isinstance(error, InvalidPayload) else None)
            async with self.pool.connection() as conn:
                await conn.execute(Q["inbox_done"], {"id": row_id, "error": note})
            self.metrics.events_processed += 1
            return
        message = f"{type(error).__name__}: {error}" if error else f"dispatch returned {status}"
        self.metrics.events_failed += 1
        if attempts >= self.max_attempts:
            async with self.pool.connection() as conn:
                await conn.execute(Q["inbox_dead"], {"id": row_id, "error": message[:2000]})
            self.metrics.events_dead += 1
            log.error("inbox_dead_letter", event_key=key, attempts=attempts, error=message[:500])
            if self.on_dead_letter is not None:
                try:
                    await self.on_dead_letter(payload, message)
                except Exception:
                    log.exception("dead_letter_notice_failed", event_key=key)
            return
        delay = min(300.0, self.backoff_base * 2 ** attempts)
        async with self.pool.connection() as conn:
            await conn.execute(Q["inbox_retry"], {"id": row_id, "error": message[:2000], "delay_seconds": delay})
        log.warning("inbox_retry_scheduled", event_key=key, attempts=attempts, delay_seconds=delay, error=message[:500])
