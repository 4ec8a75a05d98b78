"""Context memory (SPEC F15): what Steward remembers from channels, and answers from it.

* Ingestion: channel messages (never DMs) become channel_messages; edits and deletions are applied
  (and the observations taken from the old text go); bot messages, joins and other noise are skipped;
  a channel whose memory an admin switched off stores nothing, and switching it off forgets it.
* Pipeline: unprocessed messages are claimed in batches (lease + SKIP LOCKED), turned into
  observations through the AI interface (offline: one per substantive sentence), tied to the client or
  project the channel belongs to, or the one named in the fact, or the channel itself; embedded in
  one call per batch; written; marked processed.
* Summaries: an entity's summary is regenerated when enough new observations arrived.
* Answers: only from the channels the asker is a member of (a cached conversations.members), with
  the source messages' permalinks; "I don't know" when nothing passes. Ranked, dated and cited by
  the rules in bot.services.answers (questions and commands to Steward are never facts).
* Conversation sessions (30 idle minutes) and explicit user memory ("remember that ...").
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from pgvector import Vector
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from bot import slack_markup as markup
from bot.ai import AIUnavailable, Observation
from bot.ai.offline import rank_facts as offline_rank
from bot.log import get_logger
from bot.services import answers, rhythm, search, security
from bot.services import clients as client_service
from bot.services.search import Entity, Hit
from db.queries import Q

log = get_logger(__name__)

Conn = psycopg.AsyncConnection[Any]

KEEP_SUBTYPES = (None, "thread_broadcast", "file_share", "me_message")
MEMBERS_TTL = timedelta(minutes=15)
SESSION_IDLE = timedelta(minutes=30)
SESSION_KEEP = 12  # messages kept in a session
LEASE = timedelta(minutes=5)
PIPELINE_BATCH = 200
SUMMARY_MIN_FIRST = 2  # observations before an entity gets its first summary
SUMMARY_MIN_NEW = 3  # new observations before a summary is regenerated
SUMMARY_WINDOW = timedelta(days=30)
SUMMARY_INPUTS = 60
ANSWER_FACTS = 8  # facts a model is given for a topical question (a status gets answers.STATUS_LIMIT)
REEMBED_BATCH = 256
_TS = re.compile(r"^\d+(\.\d+)?$")


def ts_time(ts: str | None) -> datetime | None:
    if not ts or not _TS.match(ts):
        return None
    return datetime.fromtimestamp(float(ts), UTC)


def normalise_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"\s+", " ", text).strip()[:200]


# ============================================================================== ingestion


def message_row(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored fields of a Slack message, or None for noise: bots (Steward included), joins,
    topic changes and other subtypes, Slackbot, messages without text."""
    subtype = message.get("subtype")
    if subtype not in KEEP_SUBTYPES or message.get("hidden"):
        return None
    if message.get("bot_id") or message.get("bot_profile") or message.get("app_id"):
        return None
    user, text, ts = message.get("user"), message.get("text"), message.get("ts")
    if not isinstance(user, str) or not user or user == "USLACKBOT":
        return None
    if not isinstance(text, str) or not text.strip() or not isinstance(ts, str) or not _TS.match(ts):
        return None
    thread_ts = message.get("thread_ts")
    edited = message.get("edited") if isinstance(message.get("edited"), dict) else None
    return {
        "ts": ts,
        "thread_ts": thread_ts if isinstance(thread_ts, str) and _TS.match(thread_ts) else None,
        "user_id": user,
        "subtype": subtype,
        "text": text,  # verbatim
        "edited_at": ts_time(edited.get("ts")) if edited else None,
    }


async def ensure_channel(conn: Conn, org_id: int, channel_id: str, *, is_private: bool | None = None,
                         name: str | None = None) -> None:
    await conn.execute(Q["context_channel_ensure"], {"organization_id": org_id, "channel_id": channel_id,
                                                     "is_private": is_private, "name": name})


async def store_messages(conn: Conn, org_id: int, channel_id: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert new messages (one statement); returns how many were new. Memory off: none."""
    if not rows:
        return 0
    cur = await conn.execute(Q["messages_insert"], {
        "organization_id": org_id, "channel_id": channel_id,
        "ts": [r["ts"] for r in rows], "thread_ts": [r["thread_ts"] for r in rows],
        "user_id": [r["user_id"] for r in rows], "subtype": [r["subtype"] for r in rows],
        "text": [r["text"] for r in rows], "edited_at": [r["edited_at"] for r in rows],
    })
    return cur.rowcount


async def unattribute(conn: Conn, org_id: int, slack_user_id: str) -> int:
    """Remove a person's Slack user id from the facts they said (the facts stay, unattributed);
    returns how many facts changed. Used when an admin erases the person."""
    cur = await conn.execute(Q["observations_unattribute"], {"organization_id": org_id, "slack_user_id": slack_user_id})
    return cur.rowcount


async def forget_messages(conn: Conn, org_id: int, channel_id: str, ts: Sequence[str]) -> None:
    """Observations taken from these messages go (or lose the link, when other messages support them)."""
    params = {"organization_id": org_id, "channel_id": channel_id, "ts": list(ts)}
    await conn.execute(Q["observations_delete_sourced_only_by"], params)
    await conn.execute(Q["observations_unlink_messages"], params)


async def apply_edit(conn: Conn, org_id: int, channel_id: str, message: Mapping[str, Any], now: datetime) -> bool:
    """message_changed: True when the stored text changed (the message is then processed again)."""
    if message.get("subtype") == "tombstone":  # a thread parent deleted under its replies
        ts = message.get("ts")
        return await apply_delete(conn, org_id, channel_id, ts, now) if isinstance(ts, str) else False
    row = message_row(message)
    if row is None:
        return False
    async with conn.transaction():
        changed = await (await conn.execute(Q["message_edit"], {"organization_id": org_id, "channel_id": channel_id,
                                                                **row})).fetchone()
        if changed is not None:
            await forget_messages(conn, org_id, channel_id, [row["ts"]])
    return changed is not None


async def apply_delete(conn: Conn, org_id: int, channel_id: str, ts: str, now: datetime) -> bool:
    if not _TS.match(ts or ""):
        return False
    async with conn.transaction():
        gone = await (await conn.execute(Q["message_delete"], {"organization_id": org_id, "channel_id": channel_id,
                                                               "ts": ts, "now": now})).fetchone()
        await forget_messages(conn, org_id, channel_id, [ts])
    return gone is not None


# ============================================================================== channels and members


@dataclass(frozen=True)
class ChannelMemory:
    channel_id: str
    name: str | None
    is_private: bool
    memory_enabled: bool
    memory_changed_at: datetime | None


async def channel_memory(conn: Conn, org_id: int, channel_id: str) -> ChannelMemory:
    row = await (await conn.execute(Q["context_channel_get"], {"organization_id": org_id, "channel_id": channel_id})).fetchone()
    if row is None:
        return ChannelMemory(channel_id, None, False, True, None)
    return ChannelMemory(row[0], row[1], row[2], row[3], row[4])


async def set_memory(conn: Conn, org_id: int, channel_id: str, enabled: bool, *, actor: Any, now: datetime) -> dict[str, int]:
    """Switch a channel's memory on or off; off forgets its messages, observations, summaries and
    backfill. Audit-logged. Returns what was deleted."""
    deleted: dict[str, int] = {}
    params = {"organization_id": org_id, "channel_id": channel_id}
    async with conn.transaction():
        await conn.execute(Q["context_channel_set_memory"], {**params, "enabled": enabled, "now": now})
        if not enabled:
            for what in ("messages", "observations", "summaries", "backfill"):
                cur = await conn.execute(Q[f"channel_forget_{what}"], params)
                deleted[what] = cur.rowcount
        await security.audit(conn, organization_id=org_id, actor=actor,
                             action="context.memory_on" if enabled else "context.memory_off",
                             entity_type="channel", entity_id=channel_id, details=deleted)
    search.forget_stats(org_id)
    return deleted


async def member_joined(conn: Conn, org_id: int, channel_id: str, slack_user_id: str) -> None:
    await conn.execute(Q["context_channel_add_member"], {"organization_id": org_id, "channel_id": channel_id,
                                                         "slack_user_id": slack_user_id})


async def member_left(conn: Conn, org_id: int, channel_id: str, slack_user_id: str) -> None:
    await conn.execute(Q["context_channel_remove_member"], {"organization_id": org_id, "channel_id": channel_id,
                                                            "slack_user_id": slack_user_id})


async def _all_members(client: Any, channel_id: str) -> list[str]:
    members: list[str] = []
    cursor = None
    while True:
        response = await client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
        members.extend(m for m in response.get("members") or [] if isinstance(m, str))
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


async def sync_members(conn: Conn, client: Any, org_id: int, now: datetime, *, ttl: timedelta = MEMBERS_TTL) -> int:
    """Refresh the member lists that are missing or older than ``ttl`` (conversations.info and
    conversations.members); returns how many channels were refreshed."""
    from slack_sdk.errors import SlackApiError

    rows = await (await conn.execute(Q["context_channels_needing_members"],
                                     {"organization_id": org_id, "stale_before": now - ttl})).fetchall()
    for (channel_id,) in rows:
        name, is_private = None, None
        try:
            info = (await client.conversations_info(channel=channel_id)).get("channel") or {}
            name, is_private = info.get("name"), bool(info.get("is_private"))
            members = await _all_members(client, channel_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else str(exc)
            if error not in ("channel_not_found", "not_in_channel", "is_archived", "missing_scope"):
                raise
            log.warning("context_members_unavailable", channel=channel_id, error=error)
            members = []  # nobody can be shown what we cannot check
        await conn.execute(Q["context_channel_set_members"], {
            "organization_id": org_id, "channel_id": channel_id, "member_ids": members, "now": now,
            "name": name, "is_private": is_private})
    return len(rows)


async def visible_channels(conn: Conn, client: Any, org_id: int, slack_user_id: str, now: datetime, *,
                           shown_in: str | None = None) -> list[str]:
    """The remembered channels ``slack_user_id`` is a member of. ``shown_in``: the answer will be
    visible to everyone in that channel, so other private channels are left out."""
    await sync_members(conn, client, org_id, now)
    rows = await (await conn.execute(Q["context_channels_of_member"],
                                     {"organization_id": org_id, "slack_user_id": slack_user_id})).fetchall()
    return sorted(c for c, private in rows if shown_in is None or not private or c == shown_in)


async def channel_names(conn: Conn, org_id: int, channel_ids: Iterable[str]) -> dict[str, str]:
    rows = await (await conn.execute(Q["context_channel_names"],
                                     {"organization_id": org_id, "channel_ids": sorted(set(channel_ids))})).fetchall()
    return {r[0]: r[1] for r in rows if r[1]}


# ============================================================================== entities


_GENERIC = frozenset("the a an inc llc ltd co corp company group team project client app site web new".split())


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """The full name, or its first distinctive word ("Acme" for "Acme Corp"), as a whole word."""
    words = [w for w in re.findall(r"[^\W_]+", name.casefold()) if w]
    if not words:
        return None
    options = [re.escape(name.casefold().strip())]
    first = next((w for w in words if w not in _GENERIC and len(w) >= 3), None)
    if first and len(words) > 1:
        options.append(re.escape(first))
    return re.compile(r"(?<![\w-])(?:" + "|".join(options) + r")(?![\w-])")


@dataclass
class Known:
    """An organization's clients, projects and people, for tying facts to entities."""

    entities: list[tuple[str, int, str, str | None]] = field(default_factory=list)  # type, id, name, channel
    bot_user_id: str | None = None  # Steward's own Slack user: messages mentioning it talk to Steward
    _patterns: dict[int, re.Pattern[str] | None] = field(default_factory=dict)
    aliases: list[tuple[int, str]] = field(default_factory=list)  # (client id, alias): another name of a client
    member_clients: dict[str, list[int]] = field(default_factory=dict)  # Slack user id -> clients they're assigned to
    _alias_patterns: dict[int, re.Pattern[str] | None] = field(default_factory=dict)

    def client(self, client_id: int) -> Entity | None:
        """The client entity (its own name, whichever name found it)."""
        for kind, ident, name, _ in self.entities:
            if kind == "client" and ident == client_id:
                return Entity(kind, normalise_key(name), name, ident)
        return None

    def _by_alias(self, text: str | None, *, whole: bool) -> Entity | None:
        """The client one of whose aliases is ``text`` (``whole``) or occurs in it as whole words."""
        if not text:
            return None
        folded = text.casefold()
        for i, (client_id, alias) in enumerate(self.aliases):
            if whole:
                hit = normalise_key(alias) == normalise_key(text)
            else:
                if i not in self._alias_patterns:
                    words = alias.casefold().strip()
                    self._alias_patterns[i] = re.compile(r"(?<![\w-])" + re.escape(words) + r"(?![\w-])") if words else None
                pattern = self._alias_patterns[i]
                hit = pattern is not None and pattern.search(folded) is not None
            if hit:
                return self.client(client_id)
        return None

    def by_author(self, authors: Sequence[str]) -> Entity | None:
        """The client every author of a fact is assigned to, when that is one client (issue 16)."""
        found = {tuple(self.member_clients.get(a, ())) for a in authors}
        if len(found) != 1:
            return None
        (clients,) = found
        return self.client(clients[0]) if len(clients) == 1 else None

    def home_channel(self, entity: Entity | None) -> str | None:
        """The channel an entity's own facts are said in: a client's or project's slack_channel_id, or
        the channel itself for a channel entity; None for people and topics."""
        if entity is None:
            return None
        if entity.type == "channel":
            return entity.key
        for kind, ident, name, channel in self.entities:
            if kind == entity.type and kind in ("client", "project") and channel and (
                    ident == entity.id or normalise_key(name) == entity.key):
                return channel
        return None

    def channel_entity(self, channel_id: str | None) -> Entity | None:
        for kind, ident, name, channel in self.entities:
            if channel and channel == channel_id and kind in ("client", "project"):
                return Entity(kind, normalise_key(name), name, ident)
        return None

    def hint(self, channel_id: str | None) -> str | None:
        entity = self.channel_entity(channel_id)
        return f"{entity.type}:{entity.name}" if entity else None

    def names(self) -> list[str]:
        return [name for kind, _, name, _ in self.entities if kind in ("client", "project")] + [a for _, a in self.aliases]

    def by_name(self, kind: str | None, name: str | None) -> Entity | None:
        if not name:
            return None
        wanted = normalise_key(name)
        for k, ident, known, _ in self.entities:
            if kind not in (None, k):
                continue
            key = normalise_key(known)
            if key == wanted or key.split(" ")[0] == wanted or wanted.startswith(key + " "):
                return Entity(k, key, known, ident)
        return self._by_alias(name, whole=True) if kind in (None, "client") else None

    def named_in(self, text: str, kinds: Sequence[str] = ("client", "project")) -> Entity | None:
        folded = text.casefold()
        for i, (kind, ident, name, _) in enumerate(self.entities):
            if kind not in kinds:
                continue
            if i not in self._patterns:
                self._patterns[i] = _name_pattern(name)
            pattern = self._patterns[i]
            if pattern is not None and pattern.search(folded):
                return Entity(kind, normalise_key(name), name, ident)
        return self._by_alias(text, whole=False) if "client" in kinds else None

    def person(self, user_id: int) -> Entity | None:
        for kind, ident, name, _ in self.entities:
            if kind == "person" and ident == user_id:
                return Entity(kind, normalise_key(name), name, ident)
        return None

    def resolve(self, obs: Observation, channel_id: str, authors: Sequence[str] = ()) -> Entity:
        """What a fact is about: the entity the extraction named (matched to a known client, project
        or person, or a client's alias), else the channel's client or project, else one named in the fact (or a
        client's alias), else the one client all its ``authors`` (Slack user ids) are assigned to (not for a fact
        about a person or the team), else the channel."""
        kind = {"client": "client", "project": "project", "person": "person"}.get(obs.entity_type)
        named = self.by_name(kind, obs.entity_name)
        if named is None and obs.entity_name and obs.entity_type == "other":
            named = self.by_name(None, obs.entity_name)
        if named is not None:
            return named
        channel_entity = self.channel_entity(channel_id)
        if channel_entity is not None:
            return channel_entity
        mentioned = self.named_in(obs.content)
        if mentioned is not None:
            return mentioned
        if obs.entity_type not in ("person", "team"):
            assigned = self.by_author(authors)
            if assigned is not None:
                return assigned
        if obs.entity_name and obs.entity_type in ("client", "project", "person", "team", "other"):
            name = obs.entity_name if obs.entity_type != "team" else "team"
            return Entity("topic", normalise_key(name), name)
        return Entity("channel", channel_id, channel_id)


async def load_known(conn: Conn, org_id: int) -> Known:
    rows = await (await conn.execute(Q["context_known_entities"], {"organization_id": org_id})).fetchall()
    aliases = [(c.id, a) for c in await client_service.list_clients(conn, org_id) for a in c.aliases]
    return Known([(r[0], r[1], r[2], r[3]) for r in rows], bot_user_id=await bot_user_id(conn, org_id), aliases=aliases,
                 member_clients=await client_service.member_clients(conn, org_id))


async def bot_user_id(conn: Conn, org_id: int) -> str | None:
    """Steward's Slack user id in the organization (None before the first workspace sync)."""
    row = await (await conn.execute(Q["context_bot_user"], {"organization_id": org_id})).fetchone()
    return row[0] if row else None


# ============================================================================== pipeline


@dataclass
class PipelineRun:
    messages: int = 0
    observations: int = 0
    batches: int = 0
    embed_calls: int = 0
    reembedded: int = 0
    deferred: int = 0  # messages left for later (AI embeddings unavailable)
    extraction: str = ""  # "llm" / "offline"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


Found = tuple[Entity, Observation, datetime | None, list[str]]  # about, the fact, said at, its authors


async def _extract(conn: Conn, ai: Any, org_id: int, channel_id: str, rows: Sequence[Any], known: Known,
                   run: PipelineRun) -> list[Found]:
    """Observations from one channel's claimed rows. Messages that talk to Steward (questions and
    commands, see answers.addressed_to_steward) are not read; observations that are questions or
    address Steward are not kept, whoever extracted them (model or offline)."""
    rows = [r for r in rows if not answers.addressed_to_steward(r[6], known.bot_user_id)]
    if not rows:
        return []
    messages = [{"ts": r[3], "user": r[5], "channel": channel_id, "text": r[6]} for r in rows]
    posted = {r[3]: r[7] for r in rows}
    authors = {r[3]: r[5] for r in rows}
    result = await ai.extract_observations(messages, entity_hint=known.hint(channel_id), entities=known.names())
    run.extraction = result.source
    if result.threat is not None:
        level, reason = result.threat
        await security.record(conn, organization_id=org_id, event_type="prompt_injection", threat_level=level,
                              description=f"in channel messages: {reason}",
                              details={"channel_id": channel_id, "source": "context_pipeline"})
    out: list[Found] = []
    for obs in result.value:
        sources = [ts for ts in obs.source_ts if ts in posted]
        if not sources or not answers.usable_fact(obs.content, known.bot_user_id):
            continue
        observed = max((posted[ts] for ts in sources if posted[ts] is not None), default=None)
        out.append((known.resolve(obs, channel_id, [authors[ts] for ts in sources if authors[ts]]), Observation(obs.content, obs.entity_type, obs.entity_name, sources),
                    observed, [authors[ts] for ts in sources]))
    return out


async def process_batch(pool: AsyncConnectionPool, ai: Any, now: datetime, *, limit: int = PIPELINE_BATCH) -> PipelineRun:
    """Claim up to ``limit`` messages, extract, embed (one call), write, mark processed."""
    run = PipelineRun()
    lease_until = now + LEASE
    async with pool.connection() as conn:
        rows = await (await conn.execute(Q["messages_claim"], {"now": now, "lease_until": lease_until, "limit": limit})).fetchall()
    if not rows:
        return run
    run.batches = 1
    lease = rows[0][8]
    ids = [r[0] for r in rows]
    groups: dict[tuple[int, str], list[Any]] = {}
    for r in rows:
        groups.setdefault((r[1], r[2]), []).append(r)
    found: dict[tuple[int, str], list[Found]] = {}
    known_by_org: dict[int, Known] = {}
    try:
        async with pool.connection() as conn:
            for (org_id, channel_id), group in groups.items():
                if org_id not in known_by_org:
                    known_by_org[org_id] = await load_known(conn, org_id)
                found[(org_id, channel_id)] = await _extract(conn, ai, org_id, channel_id, group, known_by_org[org_id], run)
        texts = [obs.content for items in found.values() for _, obs, _, _ in items]
        vectors = await ai.embed(texts) if texts else []
        run.embed_calls += 1 if texts else 0
    except AIUnavailable as exc:
        async with pool.connection() as conn:
            await conn.execute(Q["messages_release"], {"ids": ids, "lease_until": lease})
        log.warning("context_pipeline_deferred", reason=exc.reason, messages=len(ids))
        run.deferred = len(ids)
        run.batches = 0
        return run
    space = ai.embedding_space
    position = 0
    async with pool.connection() as conn, conn.transaction():
        for (org_id, channel_id), items in found.items():
            if not items:
                continue
            chunk = vectors[position:position + len(items)]
            position += len(items)
            cur = await conn.execute(Q["observations_insert"], {
                "organization_id": org_id, "channel_id": channel_id, "embedding_model": space, "now": now,
                "entity_type": [e.type for e, _, _, _ in items], "entity_key": [e.key for e, _, _, _ in items],
                "entity_id": [e.id for e, _, _, _ in items], "source_ts": [" ".join(o.source_ts) for _, o, _, _ in items],
                "source_users": [" ".join(users) for _, _, _, users in items],
                "content": [o.content for _, o, _, _ in items], "observed_at": [t for _, _, t, _ in items],
                "embedding": [Vector(v) for v in chunk],
            })
            run.observations += cur.rowcount
        await conn.execute(Q["messages_mark_processed"], {"ids": ids, "lease_until": lease, "now": now})
    run.messages = len(ids)
    return run


async def reembed(pool: AsyncConnectionPool, ai: Any, *, limit: int = REEMBED_BATCH) -> int:
    """Observations embedded in another vector space (the model changed) get new vectors, a batch
    per run; until then the vector side of search simply does not see them (full text still does)."""
    space = ai.embedding_space
    async with pool.connection() as conn, conn.transaction():
        rows = await (await conn.execute(Q["observations_to_reembed"], {"embedding_model": space, "limit": limit})).fetchall()
        if not rows:
            return 0
        vectors = await ai.embed([r[1] for r in rows])
        cur = conn.cursor()
        await cur.executemany(Q["observation_set_embedding"],
                              [{"id": r[0], "embedding": Vector(v), "embedding_model": space} for r, v in zip(rows, vectors, strict=True)])
    return len(rows)


# ============================================================================== summaries


async def regenerate_summaries(pool: AsyncConnectionPool, ai: Any, now: datetime, *, limit: int = 20) -> int:
    async with pool.connection() as conn:
        await conn.execute(Q["summaries_orphaned"])
        due = await (await conn.execute(Q["summaries_due"], {
            "since": now - SUMMARY_WINDOW, "min_first": SUMMARY_MIN_FIRST, "min_new": SUMMARY_MIN_NEW, "limit": limit,
        })).fetchall()
        if not due:
            return 0
        prepared = []
        known_by_org: dict[int, Known] = {}
        for org_id, kind, key, entity_id, _fresh in due:
            params = {"organization_id": org_id, "entity_type": kind, "entity_key": key}
            observations = await (await conn.execute(Q["entity_observations"], {**params, "limit": SUMMARY_INPUTS})).fetchall()
            count, channels = await (await conn.execute(Q["entity_observation_count"], params)).fetchone()  # type: ignore[misc]
            if org_id not in known_by_org:
                known_by_org[org_id] = await load_known(conn, org_id)
            name = await _display_name(conn, known_by_org[org_id], org_id, kind, key, entity_id)
            bot = known_by_org[org_id].bot_user_id  # facts stored before questions to Steward were kept out: skipped
            prepared.append((params, entity_id, name, [o[1] for o in observations if answers.usable_fact(o[1], bot)],
                             count, channels))
    texts = []
    for _params, _eid, name, observations, _count, _channels in prepared:
        result = await ai.summarize(name, observations)
        texts.append(result.value)
    vectors = await ai.embed(texts)
    async with pool.connection() as conn:
        for (params, entity_id, name, _obs, count, channels), text, vector in zip(prepared, texts, vectors, strict=True):
            await conn.execute(Q["summary_upsert"], {
                **params, "entity_id": entity_id, "display_name": name, "summary": text, "embedding": Vector(vector),
                "embedding_model": ai.embedding_space, "observation_count": count, "source_channel_ids": list(channels),
                "now": now,
            })
    return len(prepared)


async def _display_name(conn: Conn, known: Known, org_id: int, kind: str, key: str, entity_id: int | None) -> str:
    for k, ident, name, _ in known.entities:
        if k == kind and (ident == entity_id or normalise_key(name) == key):
            return name
    if kind == "channel":
        names = await channel_names(conn, org_id, [key])
        return "#" + names[key] if key in names else "this channel"
    return key


# ============================================================================== answers


@dataclass(frozen=True)
class SourceLink:
    """A message an answer cites as [number]: where it is, its permalink (None when Slack has none any
    more), and the day it was said in the asker's timezone."""

    number: int
    channel_id: str
    ts: str
    permalink: str | None
    channel_name: str | None
    said_on: date | None = None


@dataclass
class Answer:
    text: str
    knew: bool
    hits: list[Hit] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)
    entity: Entity | None = None
    source: str = "offline"  # llm | offline
    note: str | None = None
    today: date | None = None  # the asker's local date when answered (how dates are shown)


I_DONT_KNOW = ("I don't know: nothing I've seen in your channels answers that yet. "
               "(I only use channels you're a member of.)")
# Candidates ranked before an answer keeps its best few: enough that an entity's dated facts are
# not crowded out by its newest chatter (each costs a date scan of its text, ~0.1 ms).
STATUS_CANDIDATES = 100
TOPIC_CANDIDATES = 24


async def entity_in_question(conn: Conn, org_id: int, known: Known, question: str) -> Entity | None:
    """The client, project, person or channel the question is about, if it names one."""
    found = known.named_in(question)
    if found is not None:
        return found
    read = markup.read(question)
    channel = next((r for r in read.refs if r.kind == "channel"), None)
    if channel is not None and known.channel_entity(channel.target) is not None:
        return known.channel_entity(channel.target)  # a client's (or project's) channel names it
    if channel is not None:
        name = channel.label or (await channel_names(conn, org_id, [channel.target])).get(channel.target)
        return Entity("channel", channel.target, "#" + name if name else "that channel")
    for person in read.users:
        if person == known.bot_user_id:
            continue  # "@steward, what did @priya say?" is about Priya
        row = await (await conn.execute(Q["user_id_by_external_id"], {"organization_id": org_id, "external_id": person})).fetchone()
        if row is not None:
            return known.person(row[0])
    return known.named_in(question, kinds=("person",))


@dataclass(frozen=True)
class Gathered:
    """The candidate facts of an answer: ``status`` when the question only names an entity ("what's
    going on with Acme?"), so its facts are ranked as a status; otherwise in relevance order."""

    hits: list[Hit]
    entity: Entity | None
    status: bool


async def gather(conn: Conn, org_id: int, question: str, *, vector: list[float] | None, space: str,
                 channels: list[str], entity: Entity | None, previous: Entity | None,
                 home_channel: str | None = None) -> Gathered:
    """The candidate facts an answer is built from, and the entity they are about. ``home_channel``:
    the named entity's own channel, whose facts are fetched first."""
    drop = entity.name.split() if entity else ()
    topic = search.terms_of(question, drop=drop)
    if entity is not None and not topic:  # "what's the status with Acme?": its facts, its own channel's first
        hits = await search.recent_of_entity(conn, org_id, entity, limit=STATUS_CANDIDATES, channels=channels,
                                             home_channel=home_channel)
        return Gathered(hits, entity, True)
    for scope in ([entity] if entity else []) + ([previous] if previous and not entity else []):
        hits = await search.search(conn, org_id, question, TOPIC_CANDIDATES, scope, vector=vector, space=space,
                                   channels=channels)
        if hits:
            return Gathered(hits, scope, False)
    hits = await search.search(conn, org_id, question, TOPIC_CANDIDATES, vector=vector, space=space, channels=channels)
    return Gathered(hits, entity, False)


async def _facts(conn: Conn, org_id: int, known: Known, gathered: Gathered, reader_tz: str) -> list[answers.Fact]:
    """The usable candidates (see answers.usable_fact: observations stored before questions to Steward
    were kept out are skipped here) with their authors, channels and resolved dates."""
    hits = [h for h in gathered.hits if answers.usable_fact(h.content, known.bot_user_id)]
    if not hits:
        return []
    rows = await (await conn.execute(Q["observation_authors"], {"organization_id": org_id,
                                                                "ids": [h.id for h in hits]})).fetchall()
    authors = {r[0]: (r[2], r[3]) for r in rows}
    names = await channel_names(conn, org_id, [h.channel_id for h in hits if h.channel_id])
    home = known.home_channel(gathered.entity)
    reader = rhythm.zone(reader_tz)
    facts = []
    for h in hits:
        author, author_tz = authors.get(h.id, (None, None))
        facts.append(answers.Fact(
            hit=h, home=bool(home) and h.channel_id == home,
            on=answers.fact_date(h.content, h.observed_at, author_tz or reader_tz),
            said_at=h.observed_at.astimezone(reader) if h.observed_at else None,
            author=author, channel_name=names.get(h.channel_id or "")))
    return facts


async def answer(pool: AsyncConnectionPool, ai: Any, client: Any, org_id: int, asker: Any, question: str, now: datetime, *,
                 shown_in: str | None = None, previous: Entity | None = None, memory: Sequence[str] = ()) -> Answer:
    """Answer ``question`` for ``asker`` (a User) from what Steward remembers of the channels they
    are in, with numbered sources (see bot.services.answers for the ranking and citation rules).
    ``shown_in``: the channel the answer is posted in (None: privately). ``now``: aware; dates are
    shown in the asker's timezone."""
    async with pool.connection() as conn:
        channels = await visible_channels(conn, client, org_id, asker.slack_id, now, shown_in=shown_in)
        known = await load_known(conn, org_id)
        entity = await entity_in_question(conn, org_id, known, question)
    if not channels:
        return Answer(I_DONT_KNOW, knew=False, entity=entity)
    try:
        vector: list[float] | None = (await ai.embed([question]))[0]
    except AIUnavailable as exc:  # the full-text side still answers
        log.warning("context_question_not_embedded", reason=exc.reason)
        vector = None
    reader_tz = getattr(asker, "timezone", None) or "UTC"
    today = rhythm.local_date(now, reader_tz)
    async with pool.connection() as conn:
        gathered = await gather(conn, org_id, question, vector=vector, space=ai.embedding_space, channels=channels,
                                entity=entity, previous=previous, home_channel=known.home_channel(entity))
        entity = gathered.entity
        facts = await _facts(conn, org_id, known, gathered, reader_tz)
        summary = None
        if entity is not None:
            row = await (await conn.execute(Q["summary_of_entity"], {
                "organization_id": org_id, "entity_type": entity.type, "entity_key": entity.key, "channels": channels,
            })).fetchone()
            summary = row[3] if row else None
    if not facts and (summary is None or ai.offline):
        return Answer(I_DONT_KNOW, knew=False, entity=entity)
    if gathered.status:
        told = offline_told = answers.rank_status(facts, today)
    else:
        told = answers.rank_topic(facts, range(len(facts)), limit=ANSWER_FACTS)
        texts = [f.hit.content for f in facts]
        asked = " ".join(search.terms_of(question, drop=entity.name.split() if entity else ())) or question
        relevance = offline_rank(asked, texts, limit=len(texts)) or list(range(min(3, len(facts))))
        offline_told = answers.rank_topic(facts, relevance)
    prompt = [answers.prompt_line(f, today) for f in told]
    if summary and not ai.offline:
        prompt.append(f"Summary of what is known about {entity.name if entity else 'this'}: {summary}")
    result = await ai.answer(question, prompt, memory=memory)
    if result.threat is not None:
        level, reason = result.threat
        async with pool.connection() as conn:
            await security.record(conn, organization_id=org_id, event_type="prompt_injection", threat_level=level,
                                  description=f"in a question: {reason}", user_id=asker.id, slack_user_id=asker.slack_id,
                                  details={"question": question[:500]})
    if result.source == "offline":  # offline mode, or the model failed: Steward's own composition
        told = offline_told
        if not told:
            return Answer(I_DONT_KNOW, knew=False, entity=entity)
        body = answers.compose(told, today=today, entity_name=entity.name if entity else None, status=gathered.status)
    else:
        body = result.value
    # Whoever wrote it, the citations are renumbered by source message: 1, 2, 3 in order of first use.
    text, cited = answers.number_sources(body, [f.source for f in told])
    said = {}
    for f in told:
        if f.source is not None and f.source not in said and f.said_at is not None:
            said[f.source] = f.said_at.date()
    names = {f.hit.channel_id: f.channel_name for f in told}
    links = await asyncio.gather(*(permalink(client, channel, ts) for channel, ts in cited))
    sources = [SourceLink(n, channel, ts, link, names.get(channel), said.get((channel, ts)))
               for n, ((channel, ts), link) in enumerate(zip(cited, links, strict=True), 1)]
    note = f"Answered offline: {result.fallback_reason}." if result.source == "offline" and not ai.offline else None
    return Answer(text, knew=bool(sources), hits=[f.hit for f in told], sources=sources, entity=entity,
                  source=result.source, note=note, today=today)


async def permalink(client: Any, channel_id: str, ts: str) -> str | None:
    from slack_sdk.errors import SlackApiError

    try:
        response = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
    except SlackApiError as exc:  # deleted since, or the channel is gone: the fact stands without a link
        log.info("context_permalink_unavailable", channel=channel_id, ts=ts,
                 error=exc.response.get("error") if exc.response is not None else str(exc))
        return None
    link = response.get("permalink")
    return link if isinstance(link, str) else None


# ============================================================================== sessions


@dataclass
class Session:
    organization_id: int
    user_id: int
    channel_id: str
    thread_ts: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entity(self) -> Entity | None:
        for m in reversed(self.messages):
            e = m.get("entity")
            if m.get("role") == "assistant" and isinstance(e, dict) and e.get("type") and e.get("key"):
                return Entity(e["type"], e["key"], e.get("name") or e["key"], e.get("id"))
        return None

    def memory(self, limit: int = 6) -> list[str]:
        """The last turns, for the model's continuity."""
        return [f"{'Person' if m.get('role') == 'user' else 'Steward'}: {m.get('text', '')}" for m in self.messages[-limit:]]

    def add(self, role: str, text: str, now: datetime, entity: Entity | None = None) -> None:
        item: dict[str, Any] = {"role": role, "text": text[:1500], "at": now.isoformat()}
        if entity is not None:
            item["entity"] = {"type": entity.type, "key": entity.key, "name": entity.name, "id": entity.id}
        self.messages = (self.messages + [item])[-SESSION_KEEP:]


async def load_session(conn: Conn, org_id: int, user_id: int, channel_id: str, now: datetime,
                       thread_ts: str | None = None) -> Session:
    """The person's conversation here; an empty one when it was idle for more than 30 minutes."""
    row = await (await conn.execute(Q["session_get"], {"organization_id": org_id, "user_id": user_id,
                                                       "channel_id": channel_id, "thread_ts": thread_ts})).fetchone()
    session = Session(org_id, user_id, channel_id, thread_ts)
    if row is not None and (row[3] is None or row[3] > now):
        session.messages = list(row[1] or [])
    return session


async def save_session(conn: Conn, session: Session, now: datetime) -> None:
    await conn.execute(Q["session_save"], {
        "organization_id": session.organization_id, "user_id": session.user_id, "channel_id": session.channel_id,
        "thread_ts": session.thread_ts, "messages": Jsonb(session.messages), "now": now, "expires_at": now + SESSION_IDLE,
    })


# ============================================================================== user memory

REMEMBER = re.compile(r"^\s*(?:(?:please|pls|hey|steward)[,\s]+)*(?:remember|note)(?:\s+that|\s*:|\s*,)?\s+(?P<what>\S.*)$",
                      re.IGNORECASE | re.DOTALL)
MEMORY_MAX = 500
MEMORY_LIMIT = 50


def remembered_text(text: str) -> str | None:
    """ "remember that I prefer afternoon reminders" -> "I prefer afternoon reminders"."""
    match = REMEMBER.match(text or "")
    if not match:
        return None
    what = re.sub(r"\s+", " ", match.group("what")).strip().rstrip(".!")
    return what[:MEMORY_MAX] if len(re.findall(r"\w+", what)) >= 2 else None


def memory_key(value: str) -> str:
    words = [w for w in re.findall(r"[^\W_]+", value.casefold()) if w not in search._STOPWORDS]
    return "note:" + "-".join(words[:8])[:120] if words else "note:" + normalise_key(value)[:120]


def second_person(value: str) -> str:
    """For the confirmation: "I prefer my mornings" -> "you prefer your mornings"."""
    swaps = {"i": "you", "i'm": "you're", "im": "you're", "my": "your", "me": "you", "mine": "yours", "myself": "yourself",
             "i've": "you've", "i'll": "you'll", "i'd": "you'd", "am": "are"}
    return re.sub(r"\b(i'm|i've|i'll|i'd|im|i|my|me|mine|myself|am)\b",
                  lambda m: swaps[m.group(1).lower()], value, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Memory:
    id: int
    key: str
    value: str
    source: str
    created_at: datetime
    updated_at: datetime


async def remember(conn: Conn, org_id: int, user_id: int, value: str) -> tuple[Memory, bool]:
    """Store (or refresh) one thing a person asked Steward to remember. Returns (memory, was_known)."""
    key = memory_key(value)
    row = await (await conn.execute(Q["user_memory_upsert"], {"organization_id": org_id, "user_id": user_id,
                                                               "key": key, "value": value})).fetchone()
    assert row is not None
    mine = await memories_of(conn, org_id, user_id)
    memory = next(m for m in mine if m.id == row[0])
    return memory, bool(row[1])


async def memories_of(conn: Conn, org_id: int, user_id: int, limit: int = MEMORY_LIMIT) -> list[Memory]:
    rows = await (await conn.execute(Q["user_memory_list"], {"organization_id": org_id, "user_id": user_id,
                                                             "limit": limit})).fetchall()
    return [Memory(*r) for r in rows]


async def forget_memory(conn: Conn, org_id: int, user_id: int, memory_id: int) -> str | None:
    row = await (await conn.execute(Q["user_memory_delete"], {"organization_id": org_id, "user_id": user_id,
                                                               "id": memory_id})).fetchone()
    return row[0] if row else None


async def forget_all_memories(conn: Conn, org_id: int, user_id: int) -> int:
    cur = await conn.execute(Q["user_memory_delete_all"], {"organization_id": org_id, "user_id": user_id})
    return cur.rowcount
