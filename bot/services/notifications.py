"""Notifications (SPEC F11): every proactive message Steward sends goes through here.

``notify`` records a notification (unique on its dedupe key) and one delivery per target.
The :class:`Dispatcher`, running in every process, claims due deliveries with
``FOR UPDATE SKIP LOCKED``, sends them, and records Slack's ``ts``. Non-urgent DMs wait
out the recipient's quiet hours (in their own timezone).

A crash never loses a delivery nor sends it twice: a claim is a lease of seconds (LEASE), renewed while the
post is in flight; every post carries its delivery id as Slack message metadata (bot/slack_metadata.py); a
delivery whose lease ran out, or whose post got no answer, is looked for in its conversation before it is
posted again.

A job run as if at another instant (``steward jobs run NAME --now T``, the sandbox's "Run now")
records what it queued (:func:`recording`), has the dispatcher send what is due by ``T`` at once
(:meth:`Dispatcher.deliver_due`), and reports each delivery's real outcome (:func:`delivery_states`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.log import get_logger
from bot.message_edit import replace_item
from bot.services.calendar import quiet_until as quiet_until
from bot.slack_limits import PERMANENT_ERRORS, slack_refusal
from bot.slack_metadata import delivery_metadata, find_message, is_delivery
from bot.tenants import NotServed, Tenants
from bot.worker import PollingWorker, claim_or_hand_back
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


@dataclass(frozen=True)
class Edit:
    """A message Slack already has (its ``ts``, in the channel of the notification's target) whose block
    ``block_id`` is to be replaced by the notification's text (:func:`notify`'s ``edit``)."""

    ts: str
    block_id: str


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
    edit: Edit | None = None,
    files: list[dict[str, Any]] | None = None,
) -> int | None:
    """Queue a notification. Returns its id, or None when ``dedupe_key`` was already used.

    A non-urgent DM is held (status ``held``) until the recipient's quiet hours end, and until
    ``hold_until`` when that is later (the people calendar's "first instant they can be reached":
    after their weekend or leave). ``not_before`` delays any target without holding it.

    With ``edit``, nothing new is posted: the message Slack already has at ``edit.ts`` in the channel of the
    (one, ``channel``) target gets its block ``edit.block_id`` replaced by ``text`` as a context line (an item's
    buttons become what happened to it elsewhere); the other blocks stay as they are in Slack.

    ``files``: what to upload into the conversation once the message is posted, threaded under it (the files
    API), each ``{"source": "report_chart", "report_id": id, "filename": ..., "title": ...}`` (the bytes are read
    when it is sent: :func:`bot.services.attachments.load`). Each file is one of the delivery's effects, done once:
    the delivery stays ``sending`` until its files are done, so a sender that dies between the post and an upload
    leaves it to the next claim, which posts nothing again and uploads what is missing (looking first in the thread
    for a file whose upload may have completed). An upload Slack refuses is logged and the message stays sent."""
    payload: dict[str, Any] = {"text": text, "blocks": blocks}
    if edit is not None:
        payload["edit"] = {"ts": edit.ts, "block_id": edit.block_id}
    if files:
        payload["files"] = files
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


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery Slack refused for good (``error``: Slack's error string), as a failure handler gets it."""

    delivery_id: int
    organization_id: int
    kind: str
    target_type: str
    target_id: str
    error: str


FailureHandler = Callable[[psycopg.AsyncConnection, FailedDelivery, datetime], Awaitable[None]]
_on_failure: dict[str, FailureHandler] = {}


def on_failure(kind: str, handler: FailureHandler) -> None:
    """Have ``handler(conn, failed, now)`` called, in its own transaction, when a delivery of a notification of
    ``kind`` fails for good (a permanent Slack error such as ``not_in_channel``, or too many attempts): a feature
    whose message did not arrive can fall back and tell the truth. One handler per kind (the last registered)."""
    _on_failure[kind] = handler


# A claimed delivery is this dispatcher's for LEASE seconds, renewed every RENEW_EVERY while it is being sent
# (a Slack call can wait out a Retry-After or a 15 s client timeout). Two renewals may fail (a slow database
# moment) before the lease lapses; when the process dies, another dispatcher (or the restarted one) claims
# the delivery again within LEASE plus one poll, and first looks for it in Slack (unconfirmed_since).
LEASE = timedelta(seconds=15)
RENEW_EVERY = timedelta(seconds=5)
# How long a stopping dispatcher spends handing its claims back (so a restart need not wait out the lease);
# within the bound its stop waits (bot.worker.UNWIND_SECONDS).
RELEASE_SECONDS = 2.0
# Attempts after which a delivery Slack keeps refusing (other than 429) is given up.
MAX_ATTEMPTS = 6


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500
    return isinstance(exc, (OSError, asyncio.TimeoutError))


def _maybe_posted(exc: BaseException) -> bool:
    """Whether a chat.postMessage that raised ``exc`` may still have reached Slack: no answer came (network
    trouble, a timeout) or Slack failed while handling it (5xx). A refusal (HTTP 200 ``ok: false``, a 4xx,
    a 429) posted nothing."""
    if isinstance(exc, SlackApiError):
        return getattr(exc.response, "status_code", 200) >= 500
    return True


def _scope_missing(exc: SlackApiError) -> str | None:
    """``missing_scope`` (an install without im:history / channels:history / groups:history), which no retry fixes."""
    code = exc.response.get("error") if exc.response is not None else None
    return "missing_scope" if code == "missing_scope" else None


@dataclass(frozen=True)
class Claim:
    """One delivery this dispatcher claimed (``delivery_claim``): what to post where, and the claim itself.
    ``claimed_at`` is the claim's instant on the dispatcher's clock; ``unconfirmed_since`` (aware, or None) the
    earliest claim that may have reached Slack without Steward learning its ts: look before posting."""

    id: int
    target_type: str
    target_id: str
    thread_ts: str | None
    attempts: int
    payload: dict[str, Any]
    kind: str
    organization_id: int
    unconfirmed_since: datetime | None
    token: uuid.UUID
    claimed_at: datetime
    # A delivery with files whose message an earlier claim posted: where it is, how many files are done, and
    # whether the next one's upload may have completed unrecorded (``delivery_posted``, ``delivery_file_*``).
    slack_ts: str | None = None
    slack_channel: str | None = None
    files_sent: int = 0
    file_unconfirmed: bool = False


@dataclass
class _Progress:
    """What one delivery's sending has learnt so far: since when Slack may hold it unbeknown to us."""

    unconfirmed_since: datetime | None


class Dispatcher(PollingWorker):
    """Sends due deliveries. Each of ``concurrency`` slots claims one delivery at a time, when it can send it at
    once, under a lease of LEASE renewed while it is sent (``FOR UPDATE SKIP LOCKED``: every process may run one
    and each delivery goes once). Every post carries Slack message metadata with its delivery id; a delivery
    whose sender died, or whose post got no answer, is looked for in its conversation before it is posted
    again (:func:`bot.slack_metadata.find_message`). Transient errors are retried, Slack's ``Retry-After``
    reschedules.

    ``slack``: the workspaces this process serves (bot/tenants.py), or one Web API client (then it serves that
    client's workspace). Only deliveries of organizations it holds a token for are claimed, and each is sent
    with its own organization's token; the others wait for a process that holds theirs."""

    name = "notification-dispatcher"

    def __init__(self, pool: Any, slack: Any, clock: Any, metrics: Any = None, *, poll_seconds: float = 1.0,
                 concurrency: int = 4, renew_every: timedelta = RENEW_EVERY) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.pool = pool
        self.tenants = slack if isinstance(slack, Tenants) else Tenants(pool, environment=slack)
        self.client = self.tenants.environment  # the environment token's client (None: stored tokens only)
        self.clock = clock
        self.metrics = metrics
        self.concurrency = concurrency
        self.renew_every = renew_every
        self._posting: dict[int, tuple[Any, Any]] = {}  # organization -> (its client, that client minus resends)

    async def run_once(self) -> int:
        return len(await self._dispatch(self.clock.now()))

    async def deliver_due(self, as_of: datetime) -> list[int]:
        """Send now everything due by ``as_of`` (aware): what a job run as if the clock read ``as_of`` decided
        to send. A pending delivery due by then goes, and a held one whose hold (quiet hours) ended by then;
        one held past ``as_of`` stays held. Retries keep their backoff and Slack's ``Retry-After`` on this
        dispatcher's own clock: a simulated instant never makes Steward call Slack sooner than Slack asked.

        Returns the ids of the deliveries this call claimed (each now ``sent``, ``failed`` or rescheduled),
        in the order claimed. Deliveries another process claimed first are not among them."""
        return await self._dispatch(as_of)

    async def _dispatch(self, as_of: datetime) -> list[int]:
        """Send everything due by ``as_of``, ``concurrency`` at a time; the ids claimed, in claim order."""
        handled: list[int] = []
        held: dict[int, uuid.UUID] = {}

        async def slot() -> None:
            while (claim := await self._claim_or_hand_back(as_of)) is not None:
                handled.append(claim.id)
                held[claim.id] = claim.token
                try:
                    await self._deliver(claim, as_of)
                finally:
                    held.pop(claim.id, None)

        renewing = asyncio.create_task(self._renew(held), name=f"{self.name}-leases")
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(slot())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        return handled

    async def _claim(self, as_of: datetime) -> Claim | None:
        now = self.clock.now()
        await self.tenants.ensure_loaded()
        served = sorted(self.tenants.organization_ids)
        if not served:
            return None
        token = uuid.uuid4()
        async with self.pool.connection() as conn:
            row = await (await conn.execute(Q["delivery_claim"], {
                "now": now, "as_of": as_of, "limit": 1, "lease_until": now + LEASE, "token": token,
                "organization_ids": served})).fetchone()
        if row is None:
            return None
        (delivery_id, target_type, target_id, thread_ts, attempts, payload, kind, organization_id, unconfirmed,
         slack_ts, slack_channel, files_sent, file_unconfirmed) = row
        return Claim(delivery_id, target_type, target_id, thread_ts, attempts, payload, kind, organization_id,
                     unconfirmed, token, now, slack_ts, slack_channel, files_sent, file_unconfirmed)

    async def _claim_or_hand_back(self, as_of: datetime) -> Claim | None:
        """:meth:`_claim`, which a stop cannot cut in half: cancelled while the claim runs, the dispatcher lets it
        finish (within RELEASE_SECONDS) and hands back what it claimed, so no claim outlives a graceful stop."""

        async def hand_back(claim: Claim | None, within: float) -> None:
            if claim is not None:
                await self._release(claim, unconfirmed=claim.unconfirmed_since is not None, within=within)

        return await claim_or_hand_back(self._claim(as_of), hand_back, within=RELEASE_SECONDS)

    def _clients(self, organization_id: int) -> tuple[Any, Any]:
        """(the organization's client, a copy of it for posting that does not resend a call whose connection
        broke: such a post may have reached Slack, and is looked for before it is posted again; 429s are still
        retried). Raises NotServed when this process holds no token for the organization."""
        client = self.tenants.client_for(organization_id)
        known = self._posting.get(organization_id)
        if known is None or known[0] is not client:
            handlers = [h for h in (client.retry_handlers or []) if not isinstance(h, AsyncConnectionErrorRetryHandler)]
            posting = AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                     retry_handlers=handlers)
            known = self._posting[organization_id] = (client, posting)
        return known

    async def _renew(self, held: dict[int, uuid.UUID]) -> None:
        """Every ``renew_every``, extend the leases of the claims in ``held`` (delivery id -> claim token)."""
        while True:
            await asyncio.sleep(self.renew_every.total_seconds())
            if not held:
                continue
            ids, tokens = list(held), list(held.values())
            try:
                kept = await self._extend(ids, tokens)
            except psycopg.Error as exc:  # the database is away: the leases may lapse, and the deliveries be looked for
                log.warning("notification_lease_not_renewed", error=str(exc), deliveries=len(ids))
                continue
            except Exception:  # a bug must not end the renewals while the posts go on
                log.exception("notification_lease_renewal_failed", deliveries=len(ids))
                continue
            for lost in set(ids) - kept:
                log.warning("notification_claim_lost", delivery_id=lost)

    async def _extend(self, ids: list[int], tokens: list[uuid.UUID]) -> set[int]:
        """Renew these claims now; the ids of those still held."""
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(Q["delivery_renew"], {
                "ids": ids, "tokens": tokens, "lease_until": self.clock.now() + LEASE})).fetchall()
        return {r[0] for r in rows}

    async def _deliver(self, claim: Claim, as_of: datetime) -> None:
        """Send one claimed delivery: look for it first when an earlier claim may have reached Slack, else post
        it (with its metadata); record the outcome. Cancelled (Steward stopping): the claim is handed back."""
        progress = _Progress(claim.unconfirmed_since)
        try:
            await self._attempt(claim, progress, as_of)
        except asyncio.CancelledError:
            await self._release(claim, unconfirmed=progress.unconfirmed_since is not None)
            raise

    async def _attempt(self, claim: Claim, progress: _Progress, as_of: datetime) -> None:
        args: dict[str, Any] = {"channel": claim.target_id, "text": claim.payload.get("text") or " ",
                                "metadata": delivery_metadata(claim.id)}
        if claim.payload.get("blocks"):
            args["blocks"] = claim.payload["blocks"]
        if claim.target_type == "thread" and claim.thread_ts:
            args["thread_ts"] = claim.thread_ts
        try:
            client, posting = self._clients(claim.organization_id)
        except NotServed:  # its token was dropped after the claim: leave it to a process that holds one
            await self._reschedule(claim, "no token for its workspace in this process", 1.0,
                                   unconfirmed=progress.unconfirmed_since is not None)
            return
        edit = claim.payload.get("edit")
        if claim.slack_ts is not None and claim.payload.get("files"):  # an earlier claim posted it: its files remain
            await self._finish(client, claim, {"channel": claim.slack_channel, "ts": claim.slack_ts}, as_of)
            return
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient), stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.2, max=2), reraise=True,
            ):
                with attempt:
                    if edit:  # an edit is the same whether it ran once or twice: nothing to look for
                        await self._edit(client, posting, claim, edit)
                        continue
                    if progress.unconfirmed_since is not None:
                        found = await self._look_for(client, claim, progress.unconfirmed_since)
                        if found is not None:
                            await self._finish(client, claim, found, as_of, recovered=True)
                            return
                        if not await self._extend([claim.id], [claim.token]):
                            log.warning("notification_claim_lost", delivery_id=claim.id)
                            return
                    earlier = progress.unconfirmed_since
                    progress.unconfirmed_since = earlier or claim.claimed_at  # from here on it may reach Slack
                    try:
                        response = await posting.chat_postMessage(**args)
                    except Exception as exc:
                        if not _maybe_posted(exc):
                            progress.unconfirmed_since = earlier
                        raise
        except SlackApiError as exc:
            await self._failed(claim, exc, unconfirmed=progress.unconfirmed_since is not None)
            return
        except Exception as exc:  # network trouble after tenacity gave up
            await self._reschedule(claim, f"{type(exc).__name__}: {exc}", None,
                                   unconfirmed=progress.unconfirmed_since is not None)
            return
        if edit:
            await self._sent(claim, {"channel": claim.target_id, "ts": edit["ts"]}, as_of)
            return
        await self._finish(client, claim, {"channel": response.get("channel"), "ts": response.get("ts")}, as_of)

    async def _finish(self, client: Any, claim: Claim, where: dict[str, Any], as_of: datetime, *,
                      recovered: bool = False) -> None:
        """The message is in Slack at ``where`` (channel, ts): upload the delivery's files that are not done yet,
        each once, recording each as it goes, then record the delivery sent. The claim lost meanwhile (another
        dispatcher took the delivery over): stop, and leave the rest to it."""
        files = claim.payload.get("files") or []
        if not files:
            await self._sent(claim, where, as_of, recovered=recovered)
            return
        from bot.services import attachments

        async with self.pool.connection() as conn:
            await conn.execute(Q["delivery_posted"], {"id": claim.id, "slack_ts": where.get("ts"),
                                                      "channel": where.get("channel")})
        channel, ts = str(where.get("channel")), str(where.get("ts"))
        for index in range(claim.files_sent, len(files)):
            spec = files[index]
            if index == claim.files_sent and claim.file_unconfirmed and await attachments.in_thread(
                    client, spec, channel=channel, thread_ts=ts):
                log.info("notification_file_found", delivery_id=claim.id, file=attachments.filename_of(spec))
            else:
                if not await self._progress("delivery_file_started", claim):
                    return
                await attachments.upload(self.pool, client, claim.organization_id, spec, channel=channel, thread_ts=ts)
            if not await self._progress("delivery_file_done", claim, files_sent=index + 1):
                return
        await self._sent(claim, where, as_of, recovered=recovered)

    async def _progress(self, query: str, claim: Claim, **values: Any) -> bool:
        """Record a step of a claimed delivery's files (``query``); False when the claim was lost."""
        async with self.pool.connection() as conn:
            row = await (await conn.execute(Q[query], {"id": claim.id, "token": claim.token, **values})).fetchone()
        if row is None:
            log.warning("notification_claim_lost", delivery_id=claim.id)
        return row is not None

    async def _edit(self, client: Any, posting: Any, claim: Claim, edit: dict[str, Any]) -> None:
        """A delivery with an ``edit`` (:class:`Edit`): read the message at its ts (conversations.history, the one
        message) and replace its block by the text as a context line (chat.update), under the message's lock
        (bot/message_edit.py: a press on the same message at that moment keeps its change too). A message that is
        gone, or no longer has that block (pressed meanwhile), is left as it is."""
        await replace_item(client, claim.target_id, edit["ts"], edit["block_id"], claim.payload.get("text") or " ",
                           pool=self.pool, writer=posting, strict=True)

    async def _look_for(self, client: Any, claim: Claim, since: datetime) -> dict[str, Any] | None:
        """The message of this delivery if Slack already has it (posted since ``since``), else None.
        Slack refusing to show the conversation (``not_in_channel``, a scope missing) cannot be retried
        away: logged, and the delivery is posted. Other Slack errors propagate (retried, or rescheduled)."""
        if self.metrics is not None:
            self.metrics.notifications_looked_up += 1
        try:
            channel = claim.target_id
            if claim.target_type == "dm":
                channel = (await client.conversations_open(users=claim.target_id))["channel"]["id"]
            found = await find_message(client, channel=channel, since=since,
                                       thread_ts=claim.thread_ts if claim.target_type == "thread" else None,
                                       match=lambda m: is_delivery(m, claim.id))
        except SlackApiError as exc:
            code = slack_refusal(exc) or _scope_missing(exc)
            if code is None:
                raise
            log.warning("notification_not_looked_up", delivery_id=claim.id, error=code)
            return None
        log.info("notification_looked_up", delivery_id=claim.id, found=found is not None)
        return None if found is None else {"channel": channel, "ts": found.get("ts")}

    async def _sent(self, claim: Claim, where: dict[str, Any], as_of: datetime, *, recovered: bool = False) -> None:
        # Sent when handed to Slack; in a run as if at a later instant, at that instant (its world's clock).
        sent_at = max(self.clock.now(), as_of)
        async with self.pool.connection() as conn:
            row = await (await conn.execute(Q["delivery_sent"], {
                "id": claim.id, "slack_ts": where.get("ts"), "channel": where.get("channel"), "now": sent_at,
            })).fetchone()
        if row is None:
            log.warning("notification_already_recorded", delivery_id=claim.id, slack_ts=where.get("ts"))
            return
        if self.metrics is not None:
            self.metrics.notifications_sent += 1
            if recovered:
                self.metrics.notifications_recovered += 1

    async def _failed(self, claim: Claim, exc: SlackApiError, *, unconfirmed: bool) -> None:
        response = exc.response
        error = response.get("error") if response is not None else str(exc)
        if self.metrics is not None:
            self.metrics.notifications_failed += 1
        if response is not None and response.status_code == 429:
            # At least a second: a slot claims again at once whatever is due, and "Retry-After: 0" would spin.
            retry_after = max(1.0, float(response.headers.get("retry-after", response.headers.get("Retry-After", 1)) or 1))
            log.info("notification_rate_limited", delivery_id=claim.id, retry_after=retry_after)
            await self._reschedule(claim, "ratelimited", retry_after, unconfirmed=unconfirmed)
            return
        if error in PERMANENT_ERRORS or claim.attempts >= MAX_ATTEMPTS:
            log.error("notification_failed", delivery_id=claim.id, kind=claim.kind, error=error)
            async with self.pool.connection() as conn:
                await conn.execute(Q["delivery_failed"], {"id": claim.id, "token": claim.token,
                                                          "error": str(error)[:500]})
                handler = _on_failure.get(claim.kind)
                if handler is not None:
                    failed = FailedDelivery(claim.id, claim.organization_id, claim.kind, claim.target_type,
                                            claim.target_id, str(error))
                    async with conn.transaction():
                        await handler(conn, failed, self.clock.now())
            return
        await self._reschedule(claim, str(error), None, unconfirmed=unconfirmed)

    async def _reschedule(self, claim: Claim, error: str, after_seconds: float | None, *, unconfirmed: bool) -> None:
        delay = after_seconds if after_seconds is not None else min(600.0, 2.0 ** claim.attempts)
        async with self.pool.connection() as conn:
            await conn.execute(Q["delivery_reschedule"], {
                "id": claim.id, "token": claim.token, "error": error[:500], "unconfirmed": unconfirmed,
                "next_attempt_at": self.clock.now() + timedelta(seconds=delay)})
        if after_seconds is not None:
            # Wake up when it is due rather than at the next poll.
            asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _release(self, claim: Claim, *, unconfirmed: bool, within: float = RELEASE_SECONDS) -> None:
        """Give a claim back at once (this dispatcher is stopping), within ``within`` seconds: due now, looked for
        first when its post may have started. When the database does not answer in time, the lease lapses."""
        try:
            async with asyncio.timeout(within):
                async with self.pool.connection() as conn:
                    await conn.execute(Q["delivery_reschedule"], {
                        "id": claim.id, "token": claim.token, "error": "interrupted (Steward stopping)",
                        "unconfirmed": unconfirmed, "next_attempt_at": self.clock.now()})
        except (TimeoutError, psycopg.Error) as exc:
            log.warning("notification_not_released", delivery_id=claim.id, error=f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class DeliveryState:
    """One delivery as the database holds it now (``delivery_states``): what a job run's report reads.

    ``status``: ``pending`` (due at ``next_attempt_at``; a retry when ``attempts`` > 0), ``held`` (quiet
    hours: until ``next_attempt_at``), ``sending`` (claimed by a dispatcher, under its lease), ``sent`` (handed to Slack:
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
