"""Effects done once per source event (issue 11, part 2).

The inbox worker may handle one inbox row more than once: after a retry (an error), or after its
process died mid-way (``kill -9``: the row's lease runs out and another attempt begins). Whatever the
earlier attempt already did must not be done again. Each attempt keeps a :class:`Journal` of the
row's effects in ``inbox_effects`` (``sql/migrations/0010_inbox_effects.sql``):

* a database effect runs inside :func:`once`, which records it in the same transaction as the writes
  (so it is either done and recorded, or neither), and on a later attempt hands back what the first
  one recorded (a draft's id, say) instead of doing it again;
* a Slack post (``chat.postMessage``, ``chat.postEphemeral``, ``views.open``, a ``response_url``
  answer, …; :data:`ONCE_METHODS`) made while a row is handled is recorded once Slack accepted it
  (its channel and ``ts``), and a later attempt gets that answer back without posting. Every
  ``chat.postMessage`` carries Slack message ``metadata`` naming its row and effect
  (:data:`METADATA_EVENT_TYPE`), so when an attempt may have died between the post and its record
  (``uncertain``), the next one looks for the message in the conversation
  (``conversations.history`` / ``conversations.replies`` with ``include_all_metadata``) before posting.
  An ephemeral message cannot be looked up: in that one window it may be shown twice rather than never.

Effects are named by kind and by their order in the handling (``draft#1``; a post by method and
channel, ``slack:chat.postMessage:D0PRIYA#1``): an attempt that replays the earlier one's effects
takes the same path, so the n-th effect of a kind is the same effect. Outside inbox handling (jobs,
the CLI, tests calling services) nothing is journaled and everything runs as written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.webhook_response import WebhookResponse

from bot.errors import StewardError
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

# Web API methods that make something people see, once per call: journaled. Updates (chat.update,
# views.update, views.publish) are not: doing them again shows the same thing.
ONCE_METHODS = frozenset({
    "chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "chat.meMessage", "views.open", "views.push",
    "reactions.add", "files.upload", "files.completeUploadExternal",
})
# The metadata every journaled chat.postMessage carries (Slack: "Message metadata", event_type is
# snake_case, event_payload a flat object): how a later attempt recognises its own post.
METADATA_EVENT_TYPE = "steward_reply"
# What Bolt's say() in a DM thread puts on a reply (its AI-assistant thread context): replaced by the reply's own.
ASSISTANT_CONTEXT = "assistant_thread_context"
# How far back a later attempt reads a conversation for its post (the newest messages first).
LOOKUP_MESSAGES = 200


@dataclass
class Journal:
    """The effects of handling one inbox row (``inbox_id``, ``event_key``), this attempt and earlier ones.

    ``done``: effect name -> recorded result, as loaded when the attempt began and added to since.
    ``uncertain``: an earlier attempt may have stopped between a Slack post and its record.
    ``unrecorded`` (set during this attempt): a post whose outcome or record is unknown, so the next
    attempt must be uncertain too."""

    pool: AsyncConnectionPool
    inbox_id: int
    event_key: str
    uncertain: bool = False
    done: dict[str, Any] = field(default_factory=dict)
    unrecorded: bool = False
    open: bool = True
    _counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def begin(cls, pool: AsyncConnectionPool, inbox_id: int, event_key: str, *, attempt: int,
                    uncertain: bool) -> Journal:
        """The journal for attempt number ``attempt`` (1 = the first) at inbox row ``inbox_id``; from the
        second attempt on, what the earlier ones recorded is read back (one query)."""
        journal = cls(pool, inbox_id, event_key, uncertain=uncertain)
        if attempt > 1:
            async with pool.connection() as conn:
                rows = await (await conn.execute(Q["inbox_effects_of"], {"inbox_id": inbox_id})).fetchall()
            journal.done = {effect: result for effect, result in rows}
        return journal

    def name(self, kind: str) -> str:
        """The next effect of ``kind`` in this handling: ``kind#1``, ``kind#2``, …"""
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        return f"{kind}#{n}"[:300]

    async def posted(self, effect: str, result: dict[str, Any]) -> None:
        """Record that Slack accepted ``effect``. When the record cannot be written (the database is
        down), the row is marked so that its next attempt looks in Slack before posting again."""
        self.done[effect] = result
        try:
            async with self.pool.connection() as conn:
                await conn.execute(Q["inbox_effect_posted"], {"inbox_id": self.inbox_id, "effect": effect,
                                                              "result": Jsonb(result)})
        except Exception as exc:
            self.unrecorded = True
            log.warning("inbox_effect_not_recorded", effect=effect, error=f"{type(exc).__name__}: {exc}")


CURRENT: ContextVar[Journal | None] = ContextVar("steward_inbox_journal", default=None)


def current() -> Journal | None:
    """The journal of the inbox row being handled in this context, or None (not inbox work, or done)."""
    journal = CURRENT.get()
    return journal if journal is not None and journal.open else None


@dataclass
class Step:
    """One database effect inside :func:`once`: ``done`` when an earlier attempt did it (``result`` is
    what it recorded); otherwise the caller does it and sets ``result`` (JSON: ids, small values)."""

    done: bool
    result: Any = None


@asynccontextmanager
async def once(conn: psycopg.AsyncConnection, kind: str) -> AsyncIterator[Step]:
    """A database effect of kind ``kind`` (a word: ``"draft"``), done at most once per inbox row.

    Runs the block in one transaction on ``conn`` (a savepoint inside an open one). When handling the
    current inbox row already did this effect, the step says so (``step.done``, ``step.result``) and the
    block must not do it again; otherwise the block does it, sets ``step.result``, and the effect is
    recorded in the same transaction. An unexpected exception rolls both back (the inbox retries the
    row); a :class:`~bot.errors.StewardError` (a refusal the person is told about) keeps what the block
    wrote before it, a permission denial's audit row say, as it would be without this wrapper, and
    records nothing. Outside inbox handling the block simply runs in a transaction. A second worker
    recording the same effect at the same moment fails with psycopg's UniqueViolation (its writes roll
    back; the inbox retries it, and it replays)."""
    journal = current()
    refused: StewardError | None = None
    effect = journal.name(kind) if journal is not None else None
    step = Step(done=False)
    if journal is not None and effect in journal.done:
        step = Step(done=True, result=journal.done[effect])
    async with conn.transaction():
        try:
            yield step
        except StewardError as exc:
            refused = exc
        else:
            if journal is not None and not step.done:
                await conn.execute(Q["inbox_effect_record"], {"inbox_id": journal.inbox_id, "effect": effect,
                                                              "result": Jsonb(step.result)})
    if refused is not None:
        raise refused
    if journal is not None and effect is not None:
        journal.done[effect] = step.result


def _kept(data: dict[str, Any]) -> dict[str, Any]:
    """What of a Web API answer a replay needs (not the whole message or view)."""
    kept = {k: v for k, v in data.items() if k not in ("message", "view", "response_metadata", "warning")}
    view = data.get("view")
    if isinstance(view, dict):
        kept["view"] = {k: view.get(k) for k in ("id", "hash", "callback_id")}
    return kept


class JournaledWebClient(AsyncWebClient):  # type: ignore[misc]
    """Steward's Slack Web API client: while an inbox row is handled, posts (:data:`ONCE_METHODS`) go
    through the row's journal; everything else, and everything outside inbox handling, is plain."""

    async def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict[str, Any] | None = None,
                       data: Any = None, params: dict[str, Any] | None = None, json: dict[str, Any] | None = None,
                       headers: dict[str, Any] | None = None, auth: dict[str, Any] | None = None) -> AsyncSlackResponse:
        journal = current()
        if journal is None or api_method not in ONCE_METHODS:
            return await super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params,
                                          json=json, headers=headers, auth=auth)
        args = json if json is not None else (data if isinstance(data, dict) else params or {})
        effect = journal.name(f"slack:{api_method}:{args.get('channel') or ''}")
        if effect in journal.done:
            log.info("inbox_effect_replayed", effect=effect)
            return self._replayed(api_method, journal.done[effect])
        if api_method == "chat.postMessage" and json is not None:
            if json.get("metadata") is None or (json["metadata"] or {}).get("event_type") == ASSISTANT_CONTEXT:
                # say() passes none; in a DM thread Bolt's say() an empty AI-assistant context (NoAssistantThreads)
                json = {**json, "metadata": {"event_type": METADATA_EVENT_TYPE,
                                             "event_payload": {"event_key": journal.event_key, "effect": effect}}}
            if journal.uncertain:
                found = await self._find_posted(json, journal.event_key, effect)
                if found is not None:
                    log.info("inbox_effect_found_in_slack", effect=effect, ts=found.get("ts"))
                    await journal.posted(effect, found)
                    return self._replayed(api_method, found)
        try:
            response = await super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params,
                                              json=json, headers=headers, auth=auth)
        except SlackApiError:
            raise  # Slack said no: nothing was posted
        except BaseException:
            journal.unrecorded = True  # a timeout or a cut connection: Slack may have it
            raise
        await journal.posted(effect, _kept(response.data if isinstance(response.data, dict) else {}))
        return response

    def _replayed(self, api_method: str, data: dict[str, Any]) -> AsyncSlackResponse:
        return AsyncSlackResponse(client=self, http_verb="POST", api_url=f"{self.base_url}{api_method}", req_args={},
                                  data=dict(data), headers={}, status_code=200)

    async def _find_posted(self, args: dict[str, Any], event_key: str, effect: str) -> dict[str, Any] | None:
        """The message an earlier attempt posted as ``effect`` (found by its metadata), or None. A lookup
        Slack refuses (a missing scope, say) counts as not found: the post is made, at least once."""
        channel = str(args.get("channel") or "")
        thread = args.get("thread_ts")
        try:
            if channel[:1] in ("U", "W"):  # a DM addressed to the person: its conversation's id
                channel = (await self.conversations_open(users=channel))["channel"]["id"]
            if thread:
                page = await self.conversations_replies(channel=channel, ts=thread, include_all_metadata=True,
                                                        limit=LOOKUP_MESSAGES)
            else:
                page = await self.conversations_history(channel=channel, include_all_metadata=True, limit=LOOKUP_MESSAGES)
        except Exception as exc:
            log.warning("inbox_effect_lookup_failed", effect=effect, error=f"{type(exc).__name__}: {exc}")
            return None
        for message in page.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("event_key") == event_key and payload.get("effect") == effect:
                return {"ok": True, "channel": channel, "ts": message.get("ts")}
        return None


class JournaledRespond(AsyncRespond):  # type: ignore[misc]
    """Bolt's ``respond`` (an answer through the payload's ``response_url``), journaled like a post."""

    async def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        journal = current()
        if journal is None:
            return await super().__call__(*args, **kwargs)
        effect = journal.name("response_url")
        if effect in journal.done:
            log.info("inbox_effect_replayed", effect=effect)
            return WebhookResponse(url=self.response_url or "", status_code=200, body="ok", headers={})
        try:
            response = await super().__call__(*args, **kwargs)
        except BaseException:
            journal.unrecorded = True
            raise
        if 200 <= response.status_code < 300:
            await journal.posted(effect, {"status": response.status_code})
        return response
