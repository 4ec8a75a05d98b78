"""Running a job as if the clock read T: `steward jobs run NAME --now T` and the sandbox's "Run now".

Simulated time is simulation, not scheduling (README "The day with Steward"). The job decides
everything as if the clock read T; what it decided to send at T is sent now, through the one
dispatcher code path (:meth:`Dispatcher.deliver_due` as of T: pending deliveries due by T, and held
ones whose quiet hours ended by T); what quiet hours hold past T stays held until a later run, or the
real clock, passes its time. The :class:`RunReport` then reads each delivery back from the database,
so a summary says "sent" or "posted" only for what Slack accepted (with its ``ts``), says what is
waiting and until when, and what failed and why.

A running bot's own dispatcher may claim some of the same deliveries first (``FOR UPDATE SKIP
LOCKED`` makes each go once): woken by the job, it claims them while the run's own pass skips them, and
until its claim commits a plain read still sees them "pending". So the report reads deliveries with
``FOR SHARE`` (it waits for a claim in flight, then sees "sending"), waits until none of what the run
should have sent is left "pending" or "sending" (sending itself what a rolled-back claim left behind),
and gives up waiting after ``SETTLE_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from bot.deps import Deps
from bot.log import get_logger
from bot.services.notifications import DeliveryState, Dispatcher, delivery_states, recording
from db.queries import Q

log = get_logger(__name__)

SETTLE_TIMEOUT_SECONDS = 10.0
"""The longest a report waits for deliveries another dispatcher claimed to be sent or given up. A claimed
send makes at most three attempts with at most 2 s between them (Dispatcher._deliver)."""
SETTLE_POLL_SECONDS = 0.05
"""How often a report looks again at a delivery another dispatcher is sending (its Slack call holds no lock
to wait on)."""
RETRY_WAIT_SECONDS = 120.0
"""How long a run waits, on the real clock, for Slack's ``Retry-After`` on what it decided to send
before reporting the rest as waiting (the running bot's dispatcher retries them)."""

WAITING = ("pending", "held", "sending")
FAILED = ("failed", "cancelled")


@dataclass(frozen=True)
class RunReport:
    """What one run did. ``result`` is the job's own summary (what it decided, jobs/*.py); ``deliveries``
    what became of every message it queued (``queued``: their notification ids, in order), then of
    messages queued earlier that this run's dispatch sent (held ones whose hold ended by ``as_of``).
    ``can_send`` is False where no Slack client was at hand, so nothing could be sent here."""

    job: str
    as_of: datetime
    result: Any
    deliveries: tuple[DeliveryState, ...] = ()
    queued: tuple[int, ...] = ()
    can_send: bool = True

    def earlier(self, delivery: DeliveryState) -> bool:
        """Whether ``delivery`` was queued before this run (a held message this run's dispatch released)."""
        return delivery.notification_id not in self.queued

    def outcome(self, delivery: DeliveryState) -> str:
        """``sent``, ``waiting`` or ``failed``."""
        if delivery.status == "sent":
            return "sent"
        return "failed" if delivery.status in FAILED else "waiting"

    def why_waiting(self, delivery: DeliveryState) -> str:
        """Why ``delivery`` (still waiting) was not sent now, in a few words."""
        if delivery.status == "held":
            return "quiet hours" if delivery.held_for_quiet_hours else "held until they can next be reached"
        if delivery.status == "sending":
            return "another Steward process is sending it"
        if delivery.attempts > 0:
            return f"Slack answered {delivery.last_error or 'an error'}; it is retried then"
        if delivery.next_attempt_at > self.as_of:
            return "due then"
        return "no Slack client here to send it; the running bot sends it" if not self.can_send else "not sent yet"

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data: {"job", "as_of", "result", "sent": [...], "waiting": [...],
        "failed": [...]}; each delivery {"kind", "to", "name"?, "ts"/"until"+"why"/"error", "queued_earlier"?}.
        ``until`` is in the recipient's timezone (DMs) with its offset."""
        groups: dict[str, list[dict[str, Any]]] = {"sent": [], "waiting": [], "failed": []}
        for d in self.deliveries:
            item: dict[str, Any] = {"kind": d.kind, "to": target_markup(d)}
            if d.recipient_name:
                item["name"] = d.recipient_name
            outcome = self.outcome(d)
            if outcome == "sent":
                item["ts"] = d.slack_ts
            elif outcome == "waiting":
                item["until"] = local_time(d).isoformat()
                item["why"] = self.why_waiting(d)
            else:
                item["error"] = d.last_error or d.status
            if self.earlier(d):
                item["queued_earlier"] = True
            groups[outcome].append(item)
        return {"job": self.job, "as_of": self.as_of.isoformat(), "result": self.result, **groups}


def target_markup(delivery: DeliveryState) -> str:
    """Where a delivery goes, as Slack markup: ``<@U…>`` for a DM, ``<#C…>`` for a channel or a thread in it."""
    return f"<@{delivery.target_id}>" if delivery.target_type == "dm" else f"<#{delivery.target_id}>"


def local_time(delivery: DeliveryState) -> datetime:
    """When a waiting delivery is due, on its recipient's clock (their zone; the organization's for channels)."""
    try:
        zone = ZoneInfo(delivery.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return delivery.next_attempt_at.astimezone(zone)


async def run_and_deliver(deps: Deps, job: str, now: datetime, run: Callable[[], Awaitable[Any]]) -> RunReport:
    """Await ``run()`` (the job, deciding as if at ``now``), recording what it queues; then send what is due
    by ``now`` with ``deps.extras["dispatcher"]`` and report. With no dispatcher (no Slack client) nothing
    is sent and the report says so. Exceptions from ``run()`` propagate."""
    with recording() as queued:
        result = await run()
    return await deliver(deps, job, now, result, queued)


async def deliver(deps: Deps, job: str, now: datetime, result: Any, queued: Sequence[int]) -> RunReport:
    """Send what is due by ``now`` (aware) and report on ``queued`` (notification ids) and on what was sent."""
    dispatcher: Dispatcher | None = deps.extras.get("dispatcher")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RETRY_WAIT_SECONDS
    released: list[int] = []
    while True:
        if dispatcher is not None:
            released.extend(await dispatcher.deliver_due(now))
        states = await _settled(deps, dispatcher, now, queued, released)
        if dispatcher is None:
            break
        retries = [d.next_attempt_at for d in states if d.status == "pending" and d.attempts > 0]
        if not retries:
            break
        before = dispatcher.clock.now()
        wait = (min(retries) - before).total_seconds()
        if loop.time() + wait > deadline:
            break
        await asyncio.sleep(max(wait, 0.0))
        if dispatcher.clock.now() == before:
            break  # a stopped clock (tests) never reaches the retry: report it as waiting
    mine = set(queued)
    ordered = [d for d in states if d.notification_id in mine] + [d for d in states if d.notification_id not in mine]
    return RunReport(job, now, result, tuple(ordered), tuple(queued), can_send=dispatcher is not None)


def _still_leaving(delivery: DeliveryState, as_of: datetime, can_send: bool) -> bool:
    """Whether a run as of ``as_of`` should yet see ``delivery`` leave: a dispatcher is sending it, or it is due
    by then, never tried, and unclaimed (what a claim rolled back leaves; sent by this run when it can send)."""
    if delivery.status == "sending":
        return True
    return can_send and delivery.status in ("pending", "held") and delivery.attempts == 0 and delivery.next_attempt_at <= as_of


async def _settled(deps: Deps, dispatcher: Dispatcher | None, as_of: datetime, queued: Sequence[int],
                   released: list[int]) -> list[DeliveryState]:
    """The deliveries' states once none of them is still leaving (:func:`_still_leaving`): each read waits
    for a claim another dispatcher has not committed; what nobody claimed is sent here (its ids added to
    ``released``); what another dispatcher is sending is looked at again until it is sent or given up.
    Returns as things stand after SETTLE_TIMEOUT_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT_SECONDS
    while True:
        states = await _read_after_claims(deps, queued, released, max(deadline - loop.time(), 0.0))
        leaving = [d for d in states if _still_leaving(d, as_of, dispatcher is not None)]
        if not leaving or loop.time() >= deadline:
            return states
        if dispatcher is not None and any(d.status != "sending" for d in leaving):
            claimed = await dispatcher.deliver_due(as_of)
            released.extend(claimed)
            if claimed:
                continue
            if all(d.status != "sending" for d in leaving):
                return states  # due, unclaimed and still not claimable here: report it as it stands
        await asyncio.sleep(SETTLE_POLL_SECONDS)


async def _read_after_claims(deps: Deps, queued: Sequence[int], released: Sequence[int],
                             timeout: float) -> list[DeliveryState]:  # noqa: ASYNC109 (a lock timeout, not a sleep)
    """``delivery_states``, once any claim of them another dispatcher has not committed is over (waited for
    with ``FOR SHARE``, at most ``timeout`` seconds, PostgreSQL's ``lock_timeout``; then read as they stand)."""
    ids = {"notification_ids": list(queued), "delivery_ids": list(released)}
    async with deps.pool.connection() as conn:
        try:
            async with conn.transaction():
                await conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(int(timeout * 1000), 1)}ms",))
                await conn.execute(Q["run_wait_for_claims"], ids)
                return await delivery_states(conn, queued, released)
        except psycopg.errors.LockNotAvailable:
            log.warning("run_readback_lock_timeout", deliveries=len(queued) + len(released))
        return await delivery_states(conn, queued, released)
