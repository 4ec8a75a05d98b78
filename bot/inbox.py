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
import contextlib
import contextvars
import hashlib
import inspect
import json
import math
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import slack_markup as markup
from bot import slack_payloads
from bot.effects import CURRENT as JOURNAL
from bot.effects import Journal, JournaledRespond
from bot.errors import InvalidPayload, StewardError
from bot.lanes import CURRENT_SLOT, Lanes, Slot
from bot.log import bound_context, get_logger
from bot.slack_limits import slack_refusal
from bot.worker import PollingWorker, cancel_and_wait, claim_or_hand_back
from db.queries import Q

log = get_logger(__name__)

MAX_ATTEMPTS = 5
# On stop, events being processed get this long to finish (half of docker's 10 s grace before SIGKILL); the
# rest are cancelled, and retried from the inbox after their lease.
STOP_GRACE_SECONDS = 5.0
# Slack shows the person an error when a slash command or an interaction is not acknowledged within 3 s
# (slack-platform-facts.md): Steward stops waiting for the database at ACK_SECONDS, leaving the ack's trip.
ACK_SECONDS = 2.5
ACK_BOUND = ("slash_commands", "interactive")
# A claimed row is Steward's for LEASE_SECONDS; its worker renews the lease every HEARTBEAT_SECONDS while
# it handles the row, so only a dead worker's rows are claimed again (within LEASE_SECONDS of its death).
LEASE_SECONDS = 6.0
HEARTBEAT_SECONDS = 1.5
# How long a stopping worker spends handing back the rows it will not finish (so the next worker need not wait
# out their lease); within the bound its stop waits for its loop (bot.worker.UNWIND_SECONDS).
RELEASE_SECONDS = 2.0
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
# validation errors): callback_id -> function(payload) -> ack payload or None, or an awaitable of one (a check
# that reads the database, given ACK_HOOK_SECONDS). A submission acked with response_action "errors" is not
# stored: the form stays open, and its next submission is a new envelope.
AckHook = Callable[[dict[str, Any]], dict[str, Any] | None | Awaitable[dict[str, Any] | None]]
# How long an awaitable ack hook may take; the rest of ACK_SECONDS is for storing the envelope.
ACK_HOOK_SECONDS = 1.0


@dataclass
class Metrics:
    events_received: int = 0
    events_duplicate: int = 0
    events_processed: int = 0
    events_failed: int = 0
    events_dead: int = 0
    commands_not_stored: int = 0  # slash commands and interactions not stored within ACK_SECONDS (never run)
    notifications_sent: int = 0
    notifications_failed: int = 0
    notifications_looked_up: int = 0  # deliveries looked for in Slack before posting again
    notifications_recovered: int = 0  # ...and found there (recorded, not posted twice)
    job_runs: dict[str, int] = field(default_factory=dict)
    ack_latencies_ms: list[float] = field(default_factory=list)


class InboxSocketModeHandler(AsyncSocketModeHandler):  # type: ignore[misc]
    """Socket Mode handler that writes the envelope to the inbox before acking it.

    A slash command or an interaction (ACK_BOUND) must be acknowledged within Slack's 3 s, or the person
    sees an error and may try again: when it cannot be stored within ACK_SECONDS (the database is down or
    slow) Steward gives up on it, leaves it unacknowledged, and hands it to ``late`` (:class:`LateCommands`),
    which makes sure it never runs later and tells its person once the database answers again. An
    event (Events API) is stored however long the database takes: Slack retries it until it is acked."""

    def __init__(self, app: AsyncApp, app_token: str, *, pool: AsyncConnectionPool, worker: InboxWorker,
                 metrics: Metrics, ack_hooks: dict[str, AckHook] | None = None, late: LateCommands | None = None,
                 **kwargs: Any) -> None:
        super().__init__(app, app_token, **kwargs)
        self.pool = pool
        self.worker = worker
        self.metrics = metrics
        self.ack_hooks = ack_hooks or {}
        self.late = late
        self.stopping = False
        self._storing: set[asyncio.Task[Any]] = set()
        self.client.message_listeners.append(self.ack_unreadable)

    async def close_async(self) -> None:
        """Stop taking envelopes, then close the socket (Slack sends what follows to the other connections).
        Those being stored are acknowledged first (within ACK_SECONDS): after the close no ack could be sent,
        and a command stored but never acknowledged would run while its person is shown an error. One arriving
        from now on is neither stored nor acknowledged: Slack sends an event again, to another connection; a
        command shows its person an error and never runs."""
        self.stopping = True
        storing = [t for t in self._storing if not t.done()]
        if storing:
            await asyncio.wait(storing, timeout=ACK_SECONDS)
        await super().close_async()

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        if self.stopping:
            log.info("inbox_envelope_not_taken_stopping", kind=str(req.type)[:50])
            return
        task = asyncio.current_task()
        if task is not None:
            self._storing.add(task)
        try:
            await self._store_and_ack(client, req)
        finally:
            self._storing.discard(task)  # type: ignore[arg-type]

    async def _store_and_ack(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        # Whatever the envelope holds, it is stored and acked: a payload Steward cannot use is refused when
        # processed (bot/slack_payloads.py), never left for Slack to redeliver.
        kind = req.type if isinstance(req.type, str) and req.type in KINDS else "other"
        payload = storable(req.payload if isinstance(req.payload, dict) else {"raw": req.payload})
        key = event_key(kind, payload, req.envelope_id)
        self.metrics.events_received += 1
        bound = req.type in ACK_BOUND
        refusal = await self._ack_payload(kind, payload)
        if refusal is not None and refusal.get("response_action") == "errors":
            # The form stays open with the errors under their fields (Slack's response_action "errors"); the
            # person fixes them and submits again (a new envelope), so this one has nothing left to process.
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=refusal))
            self.metrics.ack_latencies_ms.append((loop.time() - started) * 1000)
            log.info("view_submission_refused_at_ack", event_key=key, fields=sorted(refusal.get("errors") or {})[:10])
            return
        try:
            async with asyncio.timeout(max(0.1, ACK_SECONDS - (loop.time() - started)) if bound else None):
                row_id = await store(self.pool, kind, payload, key)
        except Exception as exc:
            # No durable write, no ack: Slack will redeliver an event; a command or an interaction shows the
            # person an error, and must not run later (LateCommands settles it).
            log.error("inbox_store_failed", event_key=key, kind=req.type, error=f"{type(exc).__name__}: {exc}")
            if bound:
                self.metrics.commands_not_stored += 1
                if self.late is not None:
                    self.late.add(req.type, payload, key)
            return
        ack_payload = refusal if row_id is not None else None
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

    async def _ack_payload(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The ack payload a view submission's hook computes (None: a bare ack). A hook that reads the database
        (an awaitable) gets :data:`ACK_HOOK_SECONDS`; past that, or when it fails, the ack is bare and the
        listener answers when the envelope is processed (by DM), as it would without the hook."""
        if kind == "interactive" and payload.get("type") == "view_submission" and isinstance(payload.get("view"), dict):
            callback = payload["view"].get("callback_id")
            hook = self.ack_hooks.get(callback) if isinstance(callback, str) else None
            if hook is not None:
                try:
                    result = hook(payload)
                    if inspect.isawaitable(result):
                        async with asyncio.timeout(ACK_HOOK_SECONDS):
                            result = await result
                    return result
                except InvalidPayload:
                    return None  # refused when processed, with the person told why
                except TimeoutError:
                    log.warning("ack_hook_timed_out", callback_id=callback, seconds=ACK_HOOK_SECONDS)
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
    """Claims inbox rows and handles them, up to ``concurrency`` at once (rows waiting on the language
    model step out of their slot: :mod:`bot.lanes`). With ``teams``, only rows of those Slack teams (and
    rows that name no team, which no workspace's token is needed for) are claimed: another team's rows wait
    for a process that holds its token.

    A claimed row is leased for ``lease_seconds`` and the lease is renewed every ``heartbeat_seconds``
    while the row is handled, so a row whose process died (``kill -9``) is claimed again within
    ``lease_seconds`` of the death (by this process after a restart, or by any other), not minutes later.
    Each handling keeps the row's journal (:mod:`bot.effects`): what an earlier attempt did is not done twice."""

    name = "inbox-worker"

    def __init__(self, app: AsyncApp, pool: AsyncConnectionPool, metrics: Metrics, *, concurrency: int = 8,
                 batch: int = 20, poll_seconds: float = 1.0, on_dead_letter: DeadLetterHook | None = None,
                 backoff_base: float = 1.0, max_attempts: int = MAX_ATTEMPTS, teams: TeamScope | None = None,
                 lease_seconds: float = LEASE_SECONDS, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 max_model_waiting: int | None = None, dsn: str | None = None,
                 on_invalid_payload: InvalidPayloadHook | None = None) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.teams = teams
        self.dsn = dsn
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts
        self.app = app
        self.pool = pool
        self.metrics = metrics
        self.concurrency = concurrency
        self.batch = batch
        self.on_dead_letter = on_dead_letter
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.lanes = Lanes(concurrency, max_model_waiting if max_model_waiting is not None else 4 * concurrency,
                           on_free=self.wake)
        self.on_invalid_payload = on_invalid_payload  # logs and answers a payload refused before dispatch
        self._running: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        self._heartbeat: asyncio.Task[None] | None = None

    def start(self) -> None:
        super().start()
        self._heartbeat = asyncio.create_task(self._renew_leases(), name=f"{self.name}-heartbeat",
                                              context=contextvars.Context())

    async def stop(self) -> None:
        """Stop claiming (a claim in progress is finished and handed back); let the events being processed
        finish within STOP_GRACE_SECONDS, then cancel them and hand their rows back (due at once, looked for in
        Slack before anything is posted again): no row this worker claimed waits out its lease."""
        await super().stop()
        if self._running:
            _, unfinished = await asyncio.wait(set(self._running), timeout=STOP_GRACE_SECONDS)
            if unfinished:
                cut = list(self._in_flight)
                log.warning("inbox_stop_cancelled_events", events=len(unfinished), grace_seconds=STOP_GRACE_SECONDS)
                await cancel_and_wait(unfinished, what="inbox events")
                await self._hand_back(cut, started=True)
        if self._heartbeat is not None:
            await cancel_and_wait([self._heartbeat], what="inbox lease heartbeat")
            self._heartbeat = None

    async def _renew_leases(self) -> None:
        """Every ``heartbeat_seconds``: the rows this worker is handling keep their lease. On a connection of
        its own when the worker has a ``dsn`` (a busy pool must not starve it into losing its rows)."""
        conn: psycopg.AsyncConnection | None = None
        try:
            while True:
                await asyncio.sleep(self.heartbeat_seconds)
                if not self._in_flight:
                    continue
                try:
                    if self.dsn is None:
                        async with self.pool.connection() as pooled:
                            await pooled.execute(Q["inbox_heartbeat"], {"ids": list(self._in_flight)})
                        continue
                    if conn is None or conn.closed:
                        conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True, connect_timeout=5)
                    await conn.execute(Q["inbox_heartbeat"], {"ids": list(self._in_flight)})
                except Exception as exc:  # the database is away: the next beat tries again, on a new connection
                    log.warning("inbox_heartbeat_failed", rows=len(self._in_flight), error=f"{type(exc).__name__}: {exc}")
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            await conn.close()
                    conn = None
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    async def run_once(self) -> int:
        """Claim one batch and start processing it; return how many rows were claimed."""
        free = max(1, min(self.batch, self.lanes.free))
        teams = sorted(await self.teams()) if self.teams is not None else None
        claim = {"limit": free, "lease_seconds": self.lease_seconds, "team_ids": teams, "mine": list(self._in_flight)}

        async def hand_back(rows: list[Any], within: float) -> None:
            await self._hand_back([r[0] for r in rows], started=False, within=within)

        rows = await claim_or_hand_back(self._claim(claim), hand_back, within=RELEASE_SECONDS)
        self._in_flight.update(row[0] for row in rows)
        for n, row in enumerate(rows):
            try:
                slot = await self.lanes.acquire()
            except asyncio.CancelledError:  # stopping: the rows not started yet go back
                await self._hand_back([r[0] for r in rows[n:]], started=False)
                raise
            task = asyncio.create_task(self._process_row(slot, *row))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(rows)

    async def _claim(self, params: dict[str, Any]) -> list[Any]:
        async with self.pool.connection() as conn:
            return await (await conn.execute(Q["inbox_claim"], params)).fetchall()

    async def _hand_back(self, ids: list[int], *, started: bool, within: float = RELEASE_SECONDS) -> None:
        """Give rows this worker holds back without finishing them (it is stopping), within ``within`` seconds:
        due at once; ``started``: their handling began (so the next attempt looks in Slack before posting).
        When the database does not answer in time, their lease lapses instead."""
        if not ids:
            return
        try:
            async with asyncio.timeout(within):
                async with self.pool.connection() as conn:
                    await conn.execute(Q["inbox_release"], {"ids": ids, "started": started,
                                                            "error": "interrupted (Steward stopping)"})
            log.info("inbox_rows_handed_back", rows=len(ids), started=started)
        except (TimeoutError, psycopg.Error) as exc:
            log.warning("inbox_rows_not_handed_back", rows=len(ids), error=f"{type(exc).__name__}: {exc}")
        finally:
            self._in_flight.difference_update(ids)

    async def _refuse(self, key: str, payload: dict[str, Any], error: InvalidPayload) -> None:
        if self.on_invalid_payload is None:
            return
        try:
            await self.on_invalid_payload(payload, error)
        except Exception:  # the row is done all the same: the refusal is in the log
            log.exception("invalid_payload_notice_failed", event_key=key)

    @staticmethod
    def request(kind: str, payload: dict[str, Any], context: dict[str, Any]) -> AsyncBoltRequest:
        """The Bolt request for an inbox row, once its payload's shape is checked (bot/slack_payloads.py).
        Raises InvalidPayload for a payload that neither Steward nor Bolt can read."""
        slack_payloads.check(kind, payload)
        try:
            return AsyncBoltRequest(body=payload, mode="socket_mode", context=context)
        except Exception as exc:  # a shape check() let through but Bolt's reader trips on: the same answer
            raise slack_payloads.invalid(kind, payload, f"Bolt could not read it ({type(exc).__name__}: {exc})") from exc

    async def _process_row(self, slot: Slot, row_id: int, key: str, kind: str, team_id: str | None,
                           payload: dict[str, Any], attempts: int, uncertain: bool) -> None:
        slot.task = asyncio.current_task()
        token = CURRENT_SLOT.set(slot)
        try:
            await self.process(row_id, key, kind, payload, attempts, uncertain=uncertain)
        finally:
            CURRENT_SLOT.reset(token)
            slot.release()
            self._in_flight.discard(row_id)

    async def process(self, row_id: int, key: str, kind: str, payload: dict[str, Any], attempts: int, *,
                      uncertain: bool = False) -> None:
        """Handle inbox row ``row_id`` (attempt number ``attempts``, 1 = the first; ``uncertain``: an earlier
        attempt may have died between a Slack post and its record) and mark it done, retry it or dead-letter it."""
        outcome = Outcome()
        token = CURRENT_OUTCOME.set(outcome)
        journal: Journal | None = None
        journal_token = None
        try:
            with bound_context(event_key=key, inbox_id=row_id):
                context: dict[str, Any] = {"inbox_id": row_id, "attempt": attempts, "event_key": key}
                if isinstance(payload.get("response_url"), str):
                    context["respond"] = JournaledRespond(response_url=payload["response_url"])
                try:
                    request = self.request(kind, payload, context)
                    journal = await Journal.begin(self.pool, row_id, key, attempt=attempts, uncertain=uncertain)
                    journal_token = JOURNAL.set(journal)
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
            if journal is not None:
                journal.open = False
            if journal_token is not None:
                JOURNAL.reset(journal_token)
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
            await conn.execute(Q["inbox_retry"], {"id": row_id, "error": message[:2000], "delay_seconds": delay,
                                                  "uncertain": journal is not None and journal.unrecorded})
        log.warning("inbox_retry_scheduled", event_key=key, attempts=attempts, delay_seconds=delay, error=message[:500])


@dataclass
class _Late:
    kind: str
    payload: dict[str, Any]
    key: str
    at: float


class LateCommands:
    """Slash commands and interactions Steward could not store within Slack's 3 s (:data:`ACK_SECONDS`).

    Each is settled once the database answers again: a copy committed in that last moment is marked
    ``expired`` before any worker takes it (``inbox_settle_late``), so it never runs, and its person is
    told in a DM that nothing was done and to try again; if a worker took it first, they are told it went
    through after all. Kept in memory (a restart forgets them: they were never acknowledged, and Slack
    already showed their people an error), at most ``limit`` of them, each for ``keep_seconds``."""

    def __init__(self, pool: AsyncConnectionPool, tenants: Any, *, poll_seconds: float = 1.0, limit: int = 1000,
                 keep_seconds: float = 3600.0) -> None:
        """``tenants``: bot.tenants.Tenants (the notice goes out with the payload's own workspace's client)."""
        self.pool = pool
        self.tenants = tenants
        self.poll_seconds = poll_seconds
        self.limit = limit
        self.keep_seconds = keep_seconds
        self._waiting: dict[str, _Late] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, kind: str, payload: dict[str, Any], key: str) -> None:
        """Remember ``payload`` (an envelope of ``kind`` with inbox key ``key``) until it is settled."""
        if len(self._waiting) >= self.limit:
            log.error("late_command_dropped", event_key=key, waiting=len(self._waiting))
            return
        self._waiting.setdefault(key, _Late(kind, payload, key, asyncio.get_running_loop().time()))

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="late-commands", context=contextvars.Context())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task], what="late commands")
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            if self._waiting:
                await self.settle()

    async def settle(self) -> int:
        """Settle what can be settled now; how many were. The rest wait for the next round."""
        settled = 0
        now = asyncio.get_running_loop().time()
        for late in list(self._waiting.values()):
            if now - late.at > self.keep_seconds:
                self._waiting.pop(late.key, None)
                log.warning("late_command_forgotten", event_key=late.key)
                continue
            try:
                async with self.pool.connection() as conn:
                    row = await (await conn.execute(Q["inbox_settle_late"], {
                        "event_key": late.key, "error": "not stored within Slack's 3 s: never run"})).fetchone()
            except Exception as exc:  # the database is still away
                log.info("late_command_waiting", event_key=late.key, error=f"{type(exc).__name__}: {exc}")
                return settled
            status = row[0] if row else None
            ran = status is not None and status != "expired"
            user = _person(late.payload)
            tenant = self.tenants.for_team(team_of(late.payload))
            if user is not None and tenant is not None:
                try:
                    await tenant.client.chat_postMessage(channel=user, text=late_notice(late.kind, late.payload, ran=ran))
                except Exception as exc:  # Slack trouble: try again next round (the settle is idempotent)
                    log.warning("late_command_notice_failed", event_key=late.key, error=f"{type(exc).__name__}: {exc}")
                    continue
            log.info("late_command_settled", event_key=late.key, ran=ran)
            self._waiting.pop(late.key, None)
            settled += 1
        return settled


def _person(payload: dict[str, Any]) -> str | None:
    user = payload.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    user = user if isinstance(user, str) else payload.get("user_id")
    return user if isinstance(user, str) and user else None


def late_notice(kind: str, payload: dict[str, Any], *, ran: bool) -> str:
    """The DM to the person behind a slash command or interaction Steward could not store in time:
    whether it ``ran`` after all (a worker took a copy committed in the last moment) or not."""
    if kind == "slash_commands":
        said = " ".join(str(payload.get(k) or "") for k in ("command", "text")).strip()
        what = f"`{markup.plain_text(said)[:120]}`" if said else "your command"
    elif payload.get("type") == "view_submission":
        what = "the form you submitted"
    else:
        what = "your click"
    if ran:
        return (f":information_source: {what[0].upper()}{what[1:]} went through after all: I was slow to answer, so "
                "Slack may have shown you an error. No need to do it again.")
    return (f":warning: Sorry, I couldn't take {what} just now: I couldn't record it within the 3 seconds Slack "
            "gives me, so I didn't do anything with it. Please try it again.")
