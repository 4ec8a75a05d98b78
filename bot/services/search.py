"""Search over context memory: vector nearest neighbours fused with full-text matches.

One function, :func:`search`. Inside one organization (always) and, when given, only the channels
the asker may see:

* **Vector side.** The query plan is chosen per organization from how many observations it has
  (counted per channel, cached for a minute). An organization holding a large share of the table
  (>= ``HNSW_MIN_SHARE`` and >= ``HNSW_MIN_ROWS`` rows in the asker's channels) is searched through
  the HNSW index with ``hnsw.iterative_scan = relaxed_order`` and ``hnsw.ef_search = 100``; every
  other one by an exact scan of its own rows, which is complete and, with vectors stored inline, fast
  (a filtered HNSW scan would starve there: ef_search candidates, most of them another tenant's).
  The settings are ``SET LOCAL`` inside the search's transaction, with ``plan_cache_mode =
  force_custom_plan`` and unprepared statements, so a generic plan never swaps the path. The top-k
  is a MATERIALIZED CTE and the distance threshold (0.3 for model embeddings) is applied outside it,
  so the threshold never turns into a filter the index scan has to satisfy.
* **Text side.** PostgreSQL full-text search on the generated ``tsv`` column (GIN index): each term
  of the question is a phrase (``T-42`` is ``'t' <-> '-42'``), rows matching more terms first.
  Vectors blur names, ids and numbers; this side finds them exactly, and carries offline mode, where
  the hashed embedding's distances mean little.
* **Fusion.** Reciprocal rank fusion (k = 60) of the two rankings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from pgvector import Vector

from bot import slack_markup as markup
from bot.embedding import OFFLINE_EMBEDDING_MODEL
from db.queries import Q, numbered

MAX_DISTANCE = 0.3  # cosine distance for model embeddings (SPEC 3)
# The hashed offline embedding only says "shares words"; unrelated texts sit at 0.9-1.0, texts
# sharing a topic word at 0.5-0.75.
SPACE_MAX_DISTANCE = {OFFLINE_EMBEDDING_MODEL: 0.8}

EF_SEARCH = 100  # >= the candidates we ask for; recall@10 0.99 on the big tenant of the bench
MAX_SCAN_TUPLES = 20_000  # iterative scan's bound on work for one query
HNSW_MIN_ROWS = 10_000  # below this an exact scan is cheap (about 1.5 ms per 1,000 rows)
HNSW_MIN_SHARE = 0.2  # ...and a filtered HNSW scan is only reliable for a big share of the table
STATS_TTL_SECONDS = 60.0
RRF_K = 60

_STOPWORDS = frozenset(
    """a an the and or but nor of to in on at by for with from into about as than then so if is are was
    were be been being am do does did doing have has had having will would shall should can could may
    might must it its this that these those there here i me my we us our you your he him his she her they
    them their what whats what's who whom whose which when where why how any anything some something
    status update updates latest news new tell know say said says going happening happened up with
    please pls thanks hey hi steward again also just still yet now today there's is there's""".split()
)
_TERM = re.compile(r"[^\s]+")
_TRIM = ".,;:!?\"'()[]{}<>*_`~"


@dataclass(frozen=True)
class Hit:
    id: int
    content: str
    entity_type: str
    entity_key: str
    entity_id: int | None
    channel_id: str | None
    source_message_ts: list[str]
    observed_at: datetime | None
    distance: float | None = None  # None: found by the text side only
    text_matched: int = 0
    score: float = 0.0


@dataclass(frozen=True)
class Entity:
    type: str
    key: str
    name: str
    id: int | None = None


def max_distance_for(space: str) -> float:
    return SPACE_MAX_DISTANCE.get(space, MAX_DISTANCE)


def terms_of(text: str, *, drop: Sequence[str] = ()) -> list[str]:
    """The searchable terms of a question: words and ids, lower-cased, without question words."""
    dropped = {d.casefold() for d in drop}
    out: list[str] = []
    # Mentions of people, channels and groups are not search terms; a link counts by its label.
    for raw in _TERM.findall(markup.read(text).without("user", "channel", "special", "usergroup")):
        term = raw.strip(_TRIM).casefold()
        term = re.sub(r"['’]s$", "", term)
        if len(term) < 2 and not term.isdigit():
            continue
        if term in _STOPWORDS or term in dropped or term in out:
            continue
        out.append(term)
    return out[:24]


# ------------------------------------------------------------------------------ plan choice


@dataclass
class _Stats:
    per_channel: dict[str | None, int]  # observations in the current vector space
    other_space: int  # observations embedded in another space (a model change not re-embedded yet)
    table_rows: int
    expires: float


_STATS: dict[tuple[int, str], _Stats] = {}


async def _stats(conn: psycopg.AsyncConnection[Any], org_id: int, space: str) -> _Stats:
    now = time.monotonic()
    cached = _STATS.get((org_id, space))
    if cached is not None and cached.expires > now:
        return cached
    rows = await (await conn.execute(Q["search_plan_stats"], {"organization_id": org_id, "embedding_model": space})).fetchall()
    total_row = await (await conn.execute(Q["search_table_rows"])).fetchone()
    per_channel: dict[str | None, int] = {}
    other = 0
    for channel, same_space, count in rows:
        if same_space:
            per_channel[channel] = int(count)
        else:
            other += int(count)
    table_rows = max(int(total_row[0]) if total_row else 0, sum(per_channel.values()) + other)
    stats = _Stats(per_channel, other, table_rows, now + STATS_TTL_SECONDS)
    if len(_STATS) > 10_000:
        _STATS.clear()
    _STATS[(org_id, space)] = stats
    return stats


def forget_stats(org_id: int | None = None) -> None:
    """Drop cached counts (after bulk deletions, and in tests)."""
    if org_id is None:
        _STATS.clear()
        return
    for key in [k for k in _STATS if k[0] == org_id]:
        _STATS.pop(key, None)


def choose_plan(rows: int, table_rows: int) -> str:
    """"hnsw" when the rows to search are many and a big share of the table, else "exact"."""
    if rows >= HNSW_MIN_ROWS and table_rows > 0 and rows / table_rows >= HNSW_MIN_SHARE:
        return "hnsw"
    return "exact"


@dataclass(frozen=True)
class Plan:
    path: str  # "hnsw" | "exact"
    filter_space: bool  # some of the organization's rows are in another vector space


async def plan_for(conn: psycopg.AsyncConnection[Any], org_id: int, space: str,
                   channels: Sequence[str] | None = None, entity: Entity | None = None) -> Plan:
    stats = await _stats(conn, org_id, space)
    if entity is not None:  # one entity's rows: few, and a filter the HNSW index cannot apply
        return Plan("exact", stats.other_space > 0)
    rows = sum(stats.per_channel.values()) if channels is None else sum(stats.per_channel.get(c, 0) for c in channels)
    return Plan(choose_plan(rows, stats.table_rows), stats.other_space > 0)


# ------------------------------------------------------------------------------ the two sides


async def _set_local(conn: psycopg.AsyncConnection[Any]) -> None:
    """The HNSW path's settings, for this transaction only."""
    await conn.execute(Q["search_hnsw_settings"], {"ef_search": str(EF_SEARCH), "max_scan_tuples": str(MAX_SCAN_TUPLES)})


def _row_hit(row: Any, *, distance: float | None = None, matched: int = 0) -> Hit:
    return Hit(id=row[0], content=row[1], entity_type=row[2], entity_key=row[3], entity_id=row[4], channel_id=row[5],
               source_message_ts=list(row[6] or []), observed_at=row[7], distance=distance, text_matched=matched)


async def vector_search(conn: psycopg.AsyncConnection[Any], org_id: int, vector: Sequence[float], *, space: str,
                        limit: int, channels: Sequence[str] | None = None, entity: Entity | None = None,
                        max_distance: float | None = None, plan: Plan | None = None) -> list[Hit]:
    """Nearest observations (distance < threshold) in one organization."""
    plan = plan or await plan_for(conn, org_id, space, channels, entity)
    params = {
        "organization_id": org_id, "query": Vector(list(vector)), "limit": limit,
        "embedding_model": space if plan.filter_space else None,
        "channels": list(channels) if channels is not None else None,
        "entity_type": entity.type if entity else None, "entity_key": entity.key if entity else None,
        "max_distance": max_distance if max_distance is not None else max_distance_for(space),
    }
    # prepare=False: never a server-side prepared statement, so never a generic plan (the unnamed
    # statement is planned with these values; the NULL filters fold away).
    if plan.path == "exact":
        rows = await (await conn.execute(Q["search_vector_exact"], params, prepare=False)).fetchall()
    else:  # BEGIN, the SET LOCALs, the query and COMMIT in one round trip
        async with conn.pipeline(), conn.transaction():
            await _set_local(conn)
            cur = await conn.execute(Q["search_vector_hnsw"], params, prepare=False)
        rows = await cur.fetchall()
    return [_row_hit(r, distance=float(r[8])) for r in rows]


async def explain(conn: psycopg.AsyncConnection[Any], org_id: int, vector: Sequence[float], *, space: str,
                  limit: int = 10, channels: Sequence[str] | None = None, entity: Entity | None = None,
                  generic: bool = False) -> tuple[Plan, Any]:
    """The plan :func:`vector_search` gets (``generic``: the plan a prepared statement would fall
    back to after many executions, from EXPLAIN (GENERIC_PLAN), PostgreSQL 16+)."""
    plan = await plan_for(conn, org_id, space, channels, entity)
    query = Q["search_vector_hnsw"] if plan.path == "hnsw" else Q["search_vector_exact"]
    params = {
        "organization_id": org_id, "query": Vector(list(vector)), "limit": limit,
        "embedding_model": space if plan.filter_space else None,
        "channels": list(channels) if channels is not None else None,
        "entity_type": entity.type if entity else None, "entity_key": entity.key if entity else None,
        "max_distance": max_distance_for(space),
    }
    async with conn.transaction():
        if plan.path == "hnsw":
            await _set_local(conn)
        if generic:
            row = await (await conn.execute("EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + numbered(query))).fetchone()
        else:
            row = await (await conn.execute("EXPLAIN (FORMAT JSON) " + query, params, prepare=False)).fetchone()
    assert row is not None
    return plan, row[0]


def plan_indexes(plan: Any) -> set[str]:
    """Index names anywhere in an EXPLAIN (FORMAT JSON) plan."""
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= plan_indexes(value)
    elif isinstance(plan, list):
        for item in plan:
            found |= plan_indexes(item)
    return found


async def text_search(conn: psycopg.AsyncConnection[Any], org_id: int, terms: Sequence[str], *, limit: int,
                      channels: Sequence[str] | None = None, entity: Entity | None = None) -> list[Hit]:
    if not terms:
        return []
    params = {
        "organization_id": org_id, "terms": list(terms), "limit": limit,
        "channels": list(channels) if channels is not None else None,
        "entity_type": entity.type if entity else None, "entity_key": entity.key if entity else None,
    }
    rows = await (await conn.execute(Q["search_text"], params, prepare=False)).fetchall()
    return [_row_hit(r, matched=int(r[8])) for r in rows]


def fuse(*rankings: Sequence[Hit], k: int) -> list[Hit]:
    """Reciprocal rank fusion: score = sum of 1 / (60 + rank) over the rankings a hit appears in."""
    scores: dict[int, float] = {}
    best: dict[int, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, 1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (RRF_K + rank)
            known = best.get(hit.id)
            if known is None:
                best[hit.id] = hit
            else:  # keep what each side knew
                best[hit.id] = Hit(**{**known.__dict__,
                                      "distance": known.distance if known.distance is not None else hit.distance,
                                      "text_matched": max(known.text_matched, hit.text_matched)})
    ordered = sorted(scores, key=lambda i: (-scores[i], best[i].distance if best[i].distance is not None else 9.0, -i))
    return [Hit(**{**best[i].__dict__, "score": round(scores[i], 6)}) for i in ordered[:k]]


async def search(conn: psycopg.AsyncConnection[Any], org: int, text: str, k: int = 8, entity: Entity | None = None, *,
                 vector: Sequence[float] | None, space: str, channels: Sequence[str] | None = None,
                 max_distance: float | None = None) -> list[Hit]:
    """The k best observations for ``text`` in organization ``org`` (hybrid, see the module doc).

    ``vector`` is the question's embedding in ``space`` (None: text side only, e.g. while the
    embeddings service is down). ``channels``: only observations from these channels (None: all).
    ``entity``: only observations about it. Nothing passes when neither side finds anything.
    """
    if channels is not None and not channels:
        return []
    candidates = max(2 * k, 20)
    vector_hits: list[Hit] = []
    if vector is not None:
        vector_hits = await vector_search(conn, org, vector, space=space, limit=candidates, channels=channels,
                                          entity=entity, max_distance=max_distance)
    drop = entity.name.split() if entity is not None else ()
    text_hits = await text_search(conn, org, terms_of(text, drop=drop), limit=candidates, channels=channels, entity=entity)
    return fuse(vector_hits, text_hits, k=k)


async def recent_of_entity(conn: psycopg.AsyncConnection[Any], org: int, entity: Entity, *, limit: int,
                           channels: Sequence[str] | None = None, home_channel: str | None = None) -> list[Hit]:
    """Up to ``limit`` of the entity's newest observations in organization ``org``, those from
    ``home_channel`` (the entity's own channel, if it has one) first; only from ``channels`` when given."""
    rows = await (await conn.execute(Q["entity_recent_observations"], {
        "organization_id": org, "entity_type": entity.type, "entity_key": entity.key, "limit": limit,
        "channels": list(channels) if channels is not None else None, "home_channel": home_channel,
    })).fetchall()
    return [_row_hit(r) for r in rows]
