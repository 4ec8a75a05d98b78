"""Notifications (SPEC F11): every proactive message Steward sends goes through here.

``notify`` records a notification (unique on its dedupe key) and one delivery per target.
The :class:`Dispatcher`, running in every process, claims due deliveries with
``FOR UPDATE SKIP LOCKED``, sends them, and records Slack's ``ts``. Non-urgent DMs wait
out the recipient's quiet hours (in their own timezone).

A job run as if at another instant (``steward jobs run NAME --now T``, the sandbox's "Run now")
records what it queued (:func:`recording`), has the dispatcher send what is due by ``T`` at once
(:meth:`Dispatcher.deliver_due`), and reports each delivery's real outcome (:func:`delivery_states`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from slack_sdk.errors import SlackApiError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.log import get_logger
from bot.services.calendar import quiet_until as quiet_until
from bot.slack_limits import PERMANENT_ERRORS
from bot.tenants import NotServed, Tenants
from bot.worker import PollingWorker
from db.queries import Q

log = get_logger(__name__)

TargetType = Literal["dm", "channel", "thread"]


@dataclass(frozen=True)
class Target:
    type: TargetType
    id: str  # a Slack user id for "dm"; a channel id for "channel" and "thread"
    thread_ts: str | None = None

    @staticmethod
    def dm(user: str) -> Target:
        return Target("dm", user)

    @staticmethod
    def channel(channel: str) -> Target:
        return Target("channel", channel)

    @staticmethod
    def thread(channel: str, ts: str) -> Target:
        return Target("thread", channel, ts)


_queued: ContextVar[list[int] | None] = ContextVar("steward_queued_notifications", default=None)


@contextmanager
def recording() -> Iterator[list[int]]:
    """Collect the id of every notification :func:`notify` queues inside this block, in order (in this
    task and in the tasks it starts): how a job run knows what it decided to send without each job
    returning ids. A notification whose dedupe key was already used is not queued and not collected.
    Blocks nest: what an inner block collects is also the outer block's."""
    collected: list[int] = []
    token = _queued.set(collected)
    try:
        yield collected
    finally:
        _queued.reset(token)
        outer = _queued.get()
        if outer is not None:
            outer.extend(collected)


async def quiet_hours_end(conn: psycopg.AsyncConnection, organization_id: int, slack_user_id: str,
                          now: datetime) -> datetime | None:
    """When the person's quiet hours (their organization's, in their timezone) end, if ``now`` is in them."""
    row = await (await conn.execute(Q["recipient_quiet_hours"], {
        "organization_id": organization_id, "slack_user_id": slack_user_id})).fetchone()
    if row is None or row[1] is None:
        return None
    return quiet_until(now, row[0], row[1], row[2])


async def notify(
    conn: psycopg.AsyncConnection,
    *,
    organization_id: int,
    kind: str,
    dedupe_key: str,
    text: str,
    targets: list[Target],
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
    urgent: bool = False,
    user_id: int | None = None,
    not_before: datetime | None = None,
    hold_until: datetime | None = None,
) -> int | None:
    """Queue a notification. Returns its id, or None when ``dedupe_key`` was already used.

    A non-urgent DM is held (status ``held``) until the recipient's quiet hours end, and until
    ``hold_until`` when that is later (the people calendar's "first instant they can be reached":
    after their weekend or leave). ``not_before`` delays any target without holding it."""
    payload = {"text": text, "blocks": blocks}
    async with conn.transaction():
        row = await (await conn.execute(Q["notification_insert"], {
            "organization_id": organization_id, "recipient_id": user_id, "kind": kind, "urgent": urgent,
            "dedupe_key": dedupe_key, "payload": Jsonb(payload),
        })).fetchone()
        if row is None:
            return None
        notification_id = row[0]
        for target in targets:
            due = max(not_before or now, now)
            status = "pending"
            if target.type == "dm" and not urgent:
                if hold_until is not None and hold_until > due:
                    due, status = hold_until, "held"
                held = await quiet_hours_end(conn, organization_id, target.id, due)
                if held is not None:
                    due, status = held, "held"
            await conn.execute(Q["delivery_insert"], {
                "organization_id": organization_id, "notification_id": notification_id, "target_type": target.type,
                "target_id": target.id, "thread_ts": target.thread_ts, "status": status,
                "next_attempt_at": due, "not_before": due if status == "held" else not_before,
            })
    collected = _queued.get()
    if collected is not None:
        collected.append(notification_id)
    return notification_id


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500
    return isinstance(exc, (OSError, asyncio.TimeoutError))


class Dispatcher(PollingWorker):
    """Sends due deliveries: claimed with ``FOR UPDATE SKIP LOCKED`` (so every process may run one and
    each delivery goes once), retried on transient errors, rescheduled on Slack's ``Retry-After``.

    ``slack``: the workspaces this process serves (bot/tenants.py), or one Web API client (then it serves that
    client's workspace). Only deliveries of organizations it holds a token for are claimed, and each is sent
    with its own organization's token; the others wait for a process that holds theirs."""

    name = "notification-dispatcher"

    def __init__(self, pool: Any, slack: Any, clock: Any, metrics: Any = None, *, batch: int = 50,
                 poll_seconds: float = 1.0, concurrency: int = 4) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.pool = pool
        self.tenants = slack if isinstance(slack, Tenants) else Tenants(pool, environment=slack)
        self.client = self.tenants.environment  # the environment token's client (None: stored tokens only)
        self.clock = clock
        self.metrics = metrics
        self.batch = batch
        self.concurrency = concurrency

    async def run_once(self) -> int:
        return len(await self._dispatch(self.clock.now()))

    async def deliver_due(self, as_of: datetime) -> list[int]:
        """Send now everything due by ``as_of`` (aware): what a job run as if the clock read ``as_of`` decided
        to send. A pending delivery due by then goes, and a held one whose hold (quiet hours) ended by then;
        one held past ``as_of`` stays held. Retries keep their backoff and Slack's ``Retry-After`` on this
        dispatcher's own clock: a simulated instant never makes Steward call Slack sooner than Slack asked.

        Returns the ids of the deliveries this call claimed (each now ``sent``, ``failed`` or rescheduled),
        in the order claimed. Deliveries another process claimed first are not among them."""
        handled: list[int] = []
        while batch := await self._dispatch(as_of):
            handled.extend(batch)
        return handled

    async def _dispatch(self, as_of: datetime) -> list[int]:
        """Claim and send one batch of what is due by ``as_of``; the ids claimed."""
        now = self.clock.now()
        await self.tenants.ensure_loaded()
        served = sorted(self.tenants.organization_ids)
        if not served:
            return []
        async with self.pool.connection() as conn:
            abandon = {"now": now, "organization_ids": served}
            for (delivery_id,) in await (await conn.execute(Q["delivery_abandon_interrupted"], abandon)).fetchall():
                log.error("notification_interrupted", delivery_id=delivery_id)
            claim = {"now": now, "as_of": as_of, "limit": self.batch, "organization_ids": served}
            rows = await (await conn.execute(Q["delivery_claim"], claim)).fetchall()
        if not rows:
            return []
        slots = asyncio.Semaphore(self.concurrency)

        async def one(row: tuple[Any, ...]) -> None:
            async with slots:
                await self._deliver(*row, as_of=as_of)

        await asyncio.gather(*(one(r) for r in rows))
        return [r[0] for r in rows]

    async def _deliver(self, delivery_id: int, target_type: str, target_id: str, thread_ts: str | None,
                       attempts: int, payload: dict[str, Any], kind: str, organization_id: int, *,
                       as_of: datetime) -> None:
        args: dict[str, Any] = {"channel": target_id, "text": payload.get("text") or " "}
        if payload.get("blocks"):
            args["blocks"] = payload["blocks"]
        if target_type == "thread" and thread_ts:
            args["thread_ts"] = thread_ts
        try:
            client = self.tenants.client_for(organization_id)
        except NotServed:  # its token was dropped after the claim: leave it to a process that holds one
            await self._reschedule(delivery_id, attempts - 1, "no token for its workspace in this process", 1.0)
            return
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient), stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.2, max=2), reraise=True,
            ):
                with attempt:
                    response = await client.chat_postMessage(**args)
        except SlackApiError as exc:
            await self._failed(delivery_id, attempts, exc, kind)
            return
        except Exception as exc:  # network trouble after tenacity gave up
            await self._reschedule(delivery_id, attempts, f"{type(exc).__name__}: {exc}", None)
            return
        # Sent when handed to Slack; in a run as if at a later instant, at that instant (its world's clock).
        sent_at = max(self.clock.now(), as_of)
        async with self.pool.connection() as conn:
            await conn.execute(Q["delivery_sent"], {"id": delivery_id, "slack_ts": response.get("ts"), "now": sent_at})
        if self.metrics is not None:
            self.metrics.notifications_sent += 1

    async def _failed(self, delivery_id: int, attempts: int, exc: SlackApiError, kind: str) -> None:
        response = exc.response
        error = response.get("error") if response is not None else str(exc)
        if self.metrics is not None:
            self.metrics.notifications_failed += 1
        if response is not None and response.status_code == 429:
            retry_after = float(response.headers.get("retry-after", response.headers.get("Retry-After", 1)) or 1)
            log.info("notification_rate_limited", delivery_id=delivery_id, retry_after=retry_after)
            await self._reschedule(delivery_id, attempts, "ratelimited", retry_after)
            return
        if error in PERMANENT_ERRORS or attempts >= 6:
            log.error("notification_failed", delivery_id=delivery_id, kind=kind, error=error)
            async with self.pool.connection() as conn:
                await conn.execute(Q["delivery_failed"], {"id": delivery_id, "error": str(error)[:500]})
            return
        await self._reschedule(delivery_id, attempts, str(error), None)

    async def _reschedule(self, delivery_id: int, attempts: int, error: str, after_seconds: float | None) -> None:
        delay = after_seconds if after_seconds is not None else min(600.0, 2.0 ** attempts)
        async with self.pool.connection() as conn:
            await conn.execute(Q["delivery_reschedule"], {
                "id": delivery_id, "error": error[:500], "next_attempt_at": self.clock.now() + timedelta(seconds=delay)})
        if after_seconds is not None:
            # Wake up when it is due rather than at the next poll.
            asyncio.get_running_loop().call_later(delay, self._wake.set)


@dataclass(frozen=True)
class DeliveryState:
    """One delivery as the database holds it now (``delivery_states``): what a job run's report reads.

    ``status``: ``pending`` (due at ``next_attempt_at``; a retry when ``attempts`` > 0), ``held`` (quiet
    hours: until ``next_attempt_at``), ``sending`` (claimed by a dispatcher), ``sent`` (handed to Slack:
    ``slack_ts``), ``failed`` (``last_error``) or ``cancelled``. Times are aware. For a DM,
    ``recipient_name`` and ``timezone`` are the recipient's (the organization's zone, or UTC, when unknown)
    and ``quiet_hours_start``/``quiet_hours_end`` their organization's (None: no quiet hours)."""

    id: int
    notification_id: int
    organization_id: int
    kind: str
    target_type: str
    target_id: str
    thread_ts: str | None
    status: str
    slack_ts: str | None
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    attempts: int
    recipient_name: str | None
    timezone: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None

    @property
    def held_for_quiet_hours(self) -> bool:
        """Whether it waits for the recipient's quiet hours to end (rather than for another reason)."""
        if self.status != "held" or self.quiet_hours_start is None or self.quiet_hours_end is None:
            return False
        just_before = self.next_attempt_at - timedelta(seconds=1)
        return quiet_until(just_before, self.timezone, self.quiet_hours_start, self.quiet_hours_end) is not None


async def delivery_states(conn: psycopg.AsyncConnection, notification_ids: Sequence[int],
                          delivery_ids: Sequence[int] = ()) -> list[DeliveryState]:
    """Every delivery of ``notification_ids``, and the deliveries ``delivery_ids``, as they stand now, in
    the order the notifications were queued. Ids that do not exist (a queue rolled back) are left out."""
    if not notification_ids and not delivery_ids:
        return []
    cur = conn.cursor(row_factory=class_row(DeliveryState))
    await cur.execute(Q["delivery_states"], {"notification_ids": list(notification_ids),
                                             "delivery_ids": list(delivery_ids)})
    return await cur.fetchall()


async def existing_keys(conn: psycopg.AsyncConnection, org_id: int, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = await (await conn.execute(Q["notifications_existing"], {"organization_id": org_id, "keys": list(keys)})).fetchall()
    return {r[0] for r in rows}


async def reached_at(conn: psycopg.AsyncConnection, org_id: int, keys: Sequence[str]) -> dict[str, datetime]:
    """dedupe key -> when that notice reached its recipient (sent), or is due to (held by quiet hours or the
    people calendar, or pending); notices never queued, failed or cancelled are absent."""
    if not keys:
        return {}
    rows = await (await conn.execute(Q["notifications_reach_by_keys"], {"organization_id": org_id, "keys": list(keys)})).fetchall()
    return {r[0]: r[1] for r in rows if r[1] is not None}
