"""Running a job as if the clock read T: `steward jobs run NAME --now T` and the sandbox's "Run now".

Simulated time is simulation, not scheduling (README "The day with Steward"). The job decides
everything as if the clock read T; what it decided to send at T is sent now, through the one
dispatcher code path (:meth:`Dispatcher.deliver_due` as of T: pending deliveries due by T, and held
ones whose quiet hours ended by T); what quiet hours hold past T stays held until a later run, or the
real clock, passes its time. The :class:`RunReport` then reads each delivery back from the database,
so a summary says "sent" or "posted" only for what Slack accepted (with its ``ts``), says what is
waiting and until when, and what failed and why.

A running bot's own dispatcher may claim some of the same deliveries first (``FOR UPDATE SKIP
LOCKED`` makes each go once): the report waits for those to be settled, up to ``SETTLE_SECONDS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.deps import Deps
from bot.services.notifications import DeliveryState, Dispatcher, delivery_states, recording

SETTLE_SECONDS = 10.0
"""How long a report waits for deliveries another dispatcher claimed to be sent or given up. A claimed
send makes at most three attempts with at most 2 s between them (Dispatcher._deliver)."""
SETTLE_POLL_SECONDS = 0.05
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
        states = await _settled(deps, queued, released)
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


async def _settled(deps: Deps, queued: Sequence[int], released: Sequence[int]) -> list[DeliveryState]:
    """The deliveries' states once none is being sent by another dispatcher (or SETTLE_SECONDS passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while True:
        async with deps.pool.connection() as conn:
            states = await delivery_states(conn, queued, released)
        if not any(d.status == "sending" for d in states) or loop.time() > deadline:
            return states
        await asyncio.sleep(SETTLE_POLL_SECONDS)
