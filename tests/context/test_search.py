"""Search on a real PostgreSQL with pgvector: complete results for a small tenant, the HNSW index for
the big one (also under a generic plan), scoping to channels, organizations and vector spaces."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from pgvector import Vector

from bot.services import search

SPACE = "openai:text-embedding-3-small"
Conn = psycopg.AsyncConnection[Any]


async def _orgs(conn: Conn, *names: str) -> list[int]:
    out = []
    for name in names:
        row = await (await conn.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (name,))).fetchone()
        out.append(row[0])
    return out


async def _load(conn: Conn, sizes: dict[int, int]) -> None:
    """Clustered unit vectors (30 centres + weighted noise), loaded without the HNSW index, which is
    then built, as a bulk load would."""
    await conn.execute("SELECT setseed(0.17)")
    await conn.execute("CREATE TEMP TABLE centres AS SELECT g AS c, l2_normalize(array(SELECT random() - 0.5 "
                       "FROM generate_series(1, 1536) WHERE g >= 0)::vector) AS v FROM generate_series(0, 29) g")
    await conn.execute("CREATE TEMP TABLE noise AS SELECT g AS n, l2_normalize(array(SELECT random() - 0.5 "
                       "FROM generate_series(1, 1536) WHERE g >= 0)::vector) AS v FROM generate_series(0, 199) g")
    await conn.execute("DROP INDEX context_observations_embedding_idx")
    for org, count in sizes.items():
        await conn.execute(
            "INSERT INTO context_observations (organization_id, entity_type, entity_key, channel_id, content, embedding, "
            "embedding_model) "
            "SELECT %s, 'topic', 't' || (i %% 5), 'C' || (i %% 3), 'note ' || i, "
            "l2_normalize(c.v + n.v * array_fill((0.2 + (i %% 7) * 0.08)::real, ARRAY[1536])::vector), %s "
            "FROM generate_series(1, %s) i JOIN centres c ON c.c = (i * 7 + %s) %% 30 JOIN noise n ON n.n = (i * 13) %% 200",
            (org, SPACE, count, org))
    await conn.execute("CREATE INDEX context_observations_embedding_idx ON context_observations "
                       "USING hnsw (embedding vector_cosine_ops)")
    await conn.execute("ANALYZE context_observations")


async def _queries(conn: Conn, n: int) -> list[list[float]]:
    rows = await (await conn.execute(
        "SELECT l2_normalize(c.v + n.v * array_fill(0.3::real, ARRAY[1536])::vector) FROM generate_series(1, %s) g "
        "JOIN centres c ON c.c = (g * 11) %% 30 JOIN noise n ON n.n = (g * 17 + 5) %% 200", (n,))).fetchall()
    return [r[0].to_list() for r in rows]


async def _exact(conn: Conn, org: int, q: list[float], k: int) -> list[tuple[int, float]]:
    rows = await (await conn.execute(
        "SELECT id, embedding <=> %s FROM context_observations WHERE organization_id = %s "
        "ORDER BY (embedding <=> %s) + 0 LIMIT %s", (Vector(q), org, Vector(q), k))).fetchall()
    return [(r[0], float(r[1])) for r in rows]


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production cut-offs scaled down with the data (3,000 rows instead of 100,000)."""
    monkeypatch.setattr(search, "HNSW_MIN_ROWS", 1_000)
    search.forget_stats()


async def test_a_small_tenant_gets_complete_exact_results(conn: Conn, small_thresholds: None) -> None:
    big, small = await _orgs(conn, "Big", "Small")
    await _load(conn, {big: 3000, small: 30})  # the small one has 1 % of the rows
    assert (await search.plan_for(conn, small, SPACE)).path == "exact"
    for q in await _queries(conn, 8):
        truth = await _exact(conn, small, q, 10)
        hits = await search.vector_search(conn, small, q, space=SPACE, limit=10, max_distance=2.0)
        assert [h.id for h in hits] == [i for i, _ in truth]  # k rows, the right ones, in order
        under = [i for i, d in truth if d < 0.3]
        hits = await search.vector_search(conn, small, q, space=SPACE, limit=10)  # the 0.3 threshold
        assert [h.id for h in hits] == under  # every row under the threshold (at most k)
    # What the plain filtered HNSW scan would have done: too few rows.
    q = (await _queries(conn, 1))[0]
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_sort = off")
        await conn.execute("SET LOCAL hnsw.ef_search = 20")
        naive = await (await conn.execute(
            "SELECT id FROM context_observations WHERE organization_id = %s ORDER BY embedding <=> %s LIMIT 10",
            (small, Vector(q)))).fetchall()
    assert len(naive) < 10
    _, plan = await search.explain(conn, small, q, space=SPACE)
    assert "context_observations_embedding_idx" not in search.plan_indexes(plan)


async def test_the_big_tenant_uses_the_hnsw_index_even_under_a_generic_plan(conn: Conn, small_thresholds: None) -> None:
    big, small = await _orgs(conn, "Big", "Small")
    await _load(conn, {big: 3000, small: 30})
    queries = await _queries(conn, 12)
    assert (await search.plan_for(conn, big, SPACE)).path == "hnsw"
    recall = []
    for q in queries:  # the same statement many times (psycopg would prepare it after 5)
        hits = await search.vector_search(conn, big, q, space=SPACE, limit=10, max_distance=2.0)
        truth = {i for i, _ in await _exact(conn, big, q, 10)}
        assert len(hits) == 10
        recall.append(len(truth & {h.id for h in hits}) / 10)
    assert sum(recall) / len(recall) >= 0.9
    for generic in (False, True):
        _, plan = await search.explain(conn, big, queries[0], space=SPACE, generic=generic)
        assert "context_observations_embedding_idx" in search.plan_indexes(plan), (generic, plan)
    # Prepared and executed repeatedly with a generic plan forced: still the HNSW index.
    params = {"organization_id": big, "query": Vector(queries[0]), "embedding_model": None, "limit": 10,
              "channels": None, "max_distance": 2.0}
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        for _ in range(8):
            rows = await (await conn.execute(search.Q["search_vector_hnsw"], params, prepare=True)).fetchall()
            assert len(rows) == 10
        generic_plans = await (await conn.execute(
            "SELECT max(generic_plans) FROM pg_prepared_statements WHERE statement LIKE '%%nearest AS MATERIALIZED%%'")).fetchone()
    assert generic_plans and generic_plans[0] >= 1


async def test_scoping_by_organization_channel_and_vector_space(conn: Conn, small_thresholds: None) -> None:
    a, b = await _orgs(conn, "A", "B")
    await _load(conn, {a: 300, b: 300})
    await conn.execute("UPDATE context_observations SET embedding_model = 'old-model' WHERE organization_id = %s AND id %% 10 = 0",
                       (a,))
    search.forget_stats()
    q = (await _queries(conn, 1))[0]
    plan = await search.plan_for(conn, a, SPACE)
    assert plan == search.Plan("exact", filter_space=True)
    hits = await search.vector_search(conn, a, q, space=SPACE, limit=50, channels=["C1"], max_distance=2.0)
    ids = [h.id for h in hits]
    rows = await (await conn.execute("SELECT organization_id, channel_id, embedding_model FROM context_observations "
                                     "WHERE id = ANY (%s)", (ids,))).fetchall()
    assert len(hits) == 50 and {r[0] for r in rows} == {a} and {r[1] for r in rows} == {"C1"}
    assert {r[2] for r in rows} == {SPACE}
    texts = await search.text_search(conn, b, ["note"], limit=50, channels=["C2"])
    assert texts and all(h.channel_id == "C2" for h in texts)
    assert await search.search(conn, a, "note", 5, vector=q, space=SPACE, channels=[]) == []
