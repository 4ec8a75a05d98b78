"""Context memory search: latency, recall and completeness per tenant, plus ingestion through the bot.

    python bench/context_search.py [--rows 100000] [--orgs 20] [--queries 100] [--messages 1000]
                                   [--skip-search] [--skip-ingest] [--data-dir DIR]

Search part. A scratch database (never the test template) on a fresh embedded PostgreSQL gets the
real migrations; ``--rows`` observations over ``--orgs`` organizations with a skewed split (one
with 40 %, five with 1 %, the rest sharing what is left) and clustered synthetic 1536-dimension
vectors (200 random unit centres plus two weighted unit noise vectors each) are written to a
staging table, then loaded into context_observations with binary COPY while its HNSW index is
dropped; the index is built afterwards. For the big tenant, a 1 % tenant and a mid-sized one it
reports, over ``--queries`` query vectors, the latency p50/p95 of Steward's vector search
(bot.services.search.vector_search, with its plan choice), recall@10 against an exact scan, and
completeness (rows returned / rows the exact scan finds under the 0.3 threshold, at most 10), next
to the naive alternatives; the plan of the big tenant's query after many executions (prepared,
generic plan) and of the reference query; and the full hybrid search (vector + full text).

Ingestion part. A real Steward (offline AI) on the Slack emulator: ``--messages`` channel messages
posted through Socket Mode -> stored rows per second; then the context pipeline job -> observations
per second and embedding calls per 1,000 messages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import machine, pct, running_steward

K = 10
THRESHOLD = 0.3
SCRATCH = "steward_bench_context_scratch"


def sizes(rows: int, orgs: int) -> list[int]:
    """40 % for the first organization, 1 % each for the next five, the rest split evenly."""
    big = int(rows * 0.40)
    smalls = [int(rows * 0.01)] * min(5, max(0, orgs - 2))
    rest_orgs = orgs - 1 - len(smalls)
    left = rows - big - sum(smalls)
    rest = [left // rest_orgs + (1 if i < left % rest_orgs else 0) for i in range(rest_orgs)]
    return [big, *smalls, *rest]


async def generate(conn: Any, rows: int, orgs: int) -> list[int]:
    """Staging rows computed inside PostgreSQL (pgvector arithmetic), deterministic by setseed."""
    counts = sizes(rows, orgs)
    await conn.execute("SELECT setseed(0.42)")
    await conn.execute("DROP TABLE IF EXISTS bench_centres, bench_noise, bench_staging, bench_queries")
    await conn.execute(
        "CREATE UNLOGGED TABLE bench_centres AS SELECT g AS c, "
        "l2_normalize(array(SELECT random() - 0.5 FROM generate_series(1, 1536) WHERE g >= 0)::vector) AS v "
        "FROM generate_series(0, 199) g")
    await conn.execute(
        "CREATE UNLOGGED TABLE bench_noise AS SELECT g AS n, "
        "l2_normalize(array(SELECT random() - 0.5 FROM generate_series(1, 1536) WHERE g >= 0)::vector) AS v "
        "FROM generate_series(0, 1999) g")
    org_ids = []
    for i, _ in enumerate(counts):
        row = await (await conn.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (f"bench-{i}",))).fetchone()
        org_ids.append(row[0])
    await conn.execute("CREATE UNLOGGED TABLE bench_staging (org bigint, c int, n1 int, n2 int, a1 real, a2 real, i int, "
                       "PRIMARY KEY (org, i))")
    for org, count in zip(org_ids, counts, strict=True):
        await conn.execute(
            "INSERT INTO bench_staging SELECT %s, (random() * 199)::int, (random() * 1999)::int, (random() * 1999)::int, "
            "0.3 + random() * 0.5, 0.3 + random() * 0.5, g FROM generate_series(1, %s) g", (org, count))
    await conn.execute(
        "CREATE UNLOGGED TABLE bench_rows AS SELECT s.org, s.i, s.c, "
        "l2_normalize(ce.v + n1.v * array_fill(s.a1, ARRAY[1536])::vector + n2.v * array_fill(s.a2, ARRAY[1536])::vector) AS v "
        "FROM bench_staging s JOIN bench_centres ce ON ce.c = s.c JOIN bench_noise n1 ON n1.n = s.n1 "
        "JOIN bench_noise n2 ON n2.n = s.n2")
    await conn.execute(
        "CREATE UNLOGGED TABLE bench_queries AS SELECT g AS q, "
        "l2_normalize(ce.v + n.v * array_fill((0.3 + random() * 0.3)::real, ARRAY[1536])::vector) AS v "
        "FROM generate_series(1, 1000) g JOIN bench_centres ce ON ce.c = (g * 7) % 200 "
        "JOIN bench_noise n ON n.n = (g * 13) % 2000")
    return org_ids


async def load(dsn: str, conn: Any) -> tuple[float, float]:
    """Binary COPY from the staging table into context_observations (index dropped), then the index."""
    import psycopg

    await conn.execute("DROP INDEX IF EXISTS context_observations_embedding_idx")
    cols = "organization_id, entity_type, entity_key, channel_id, content, embedding, embedding_model"
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as src:
        async with src.cursor().copy(
            "COPY (SELECT r.org, 'topic', 'topic-' || r.c, 'C' || lpad((r.i % 12)::text, 6, '0'), "
            "'Note ' || r.i || ': topic' || r.c || ' item' || s.n1 || ' ref' || s.n2, r.v, "
            "'openai:text-embedding-3-small' FROM bench_rows r JOIN bench_staging s ON s.org = r.org AND s.i = r.i) "
            "TO STDOUT (FORMAT BINARY)") as out, conn.cursor().copy(
                f"COPY context_observations ({cols}) FROM STDIN (FORMAT BINARY)") as into:
            async for chunk in out:
                await into.write(chunk)
    copy_seconds = time.perf_counter() - started
    await conn.execute("SET maintenance_work_mem = '1GB'")
    started = time.perf_counter()
    await conn.execute("CREATE INDEX context_observations_embedding_idx ON context_observations "
                       "USING hnsw (embedding vector_cosine_ops)")
    index_seconds = time.perf_counter() - started
    await conn.execute("VACUUM ANALYZE context_observations")
    return copy_seconds, index_seconds


async def exact(conn: Any, org: int, q: Any) -> list[tuple[int, float]]:
    rows = await (await conn.execute(
        "SELECT id, embedding <=> %s FROM context_observations WHERE organization_id = %s "
        "ORDER BY (embedding <=> %s) + 0 LIMIT %s", (q, org, q, K), prepare=False)).fetchall()
    return [(r[0], float(r[1])) for r in rows]


async def measure(label: str, queries: Sequence[Any], truth: Sequence[list[tuple[int, float]]],
                  run: Callable[[Any], Awaitable[list[tuple[int, float]]]]) -> dict[str, float]:
    for q in queries[:5]:  # warm-up
        await run(q)
    lat, recall, complete = [], [], []
    for q, t in zip(queries, truth, strict=True):
        started = time.perf_counter()
        got = await run(q)
        lat.append((time.perf_counter() - started) * 1000)
        want = {i for i, _ in t}
        recall.append(len(want & {i for i, _ in got}) / max(1, len(want)))
        under = [i for i, d in t if d < THRESHOLD]
        got_under = [i for i, d in got if d < THRESHOLD]
        complete.append(min(1.0, len(got_under) / len(under)) if under else 1.0)
    out = {"p50": statistics.median(lat), "p95": pct(lat, 0.95), "recall": statistics.mean(recall),
           "complete": statistics.mean(complete)}
    print(f"  {label:<58} p50 {out['p50']:7.2f} ms  p95 {out['p95']:7.2f} ms  recall@10 {out['recall']:.3f}  "
          f"complete {out['complete']:.3f}")
    return out


async def raw(conn: Any, sql: str, settings: Sequence[str], org: int, q: Any) -> list[tuple[int, float]]:
    async with conn.transaction():
        for s in settings:
            await conn.execute(s)
        rows = await (await conn.execute(sql, {"org": org, "q": q, "k": K}, prepare=False)).fetchall()
    return [(r[0], float(r[1])) for r in rows]


NAIVE = ("SELECT id, embedding <=> %(q)s FROM context_observations WHERE organization_id = %(org)s "
         "ORDER BY embedding <=> %(q)s LIMIT %(k)s")


async def search_part(rows: int, orgs: int, nqueries: int, data_dir: Path) -> None:
    import psycopg
    from pgvector.psycopg import register_vector_async
    from psycopg import sql

    from bot.services import search
    from db import migrate
    from db.embedded import start_embedded

    pg = start_embedded(data_dir, database="postgres")
    try:
        async with await psycopg.AsyncConnection.connect(pg.admin_dsn, autocommit=True) as admin:
            await admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH)))
            await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH)))
            settings = {}
            for name in ("shared_buffers", "work_mem", "max_parallel_maintenance_workers", "server_version"):
                settings[name] = (await (await admin.execute(f"SHOW {name}")).fetchone())[0]
            ext = await (await admin.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")).fetchone()
        dsn = pg.dsn(SCRATCH)
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await migrate.migrate(conn)
            await register_vector_async(conn)
            print(f"PostgreSQL {settings['server_version']}, pgvector {ext[0] if ext else '?'}, shared_buffers "
                  f"{settings['shared_buffers']}, work_mem {settings['work_mem']}, "
                  f"max_parallel_maintenance_workers {settings['max_parallel_maintenance_workers']}")
            started = time.perf_counter()
            org_ids = await generate(conn, rows, orgs)
            print(f"generated {rows:,} clustered vectors in PostgreSQL: {time.perf_counter() - started:.1f} s")
            copy_s, index_s = await load(dsn, conn)
            print(f"binary COPY into context_observations (no HNSW index): {rows / copy_s:,.0f} rows/s ({copy_s:.1f} s)")
            print(f"HNSW index build (m 16, ef_construction 64, maintenance_work_mem 1GB): {index_s:.1f} s "
                  f"({index_s * 100_000 / rows:.0f} s per 100k rows)")

            counts = dict(await (await conn.execute(
                "SELECT organization_id, count(*) FROM context_observations GROUP BY 1")).fetchall())
            tenants = [("big", org_ids[0]), ("small (1 %)", org_ids[1]), ("mid", org_ids[-1])]
            qvecs = [r[0] for r in await (await conn.execute("SELECT v FROM bench_queries ORDER BY q LIMIT %s", (nqueries,))).fetchall()]
            space = "openai:text-embedding-3-small"
            results: dict[str, dict[str, float]] = {}
            for label, org in tenants:
                share = counts[org] / rows
                search.forget_stats()
                plan = await search.plan_for(conn, org, space)
                print(f"\n{label} tenant: organization {org}, {counts[org]:,} rows ({share:.1%}); Steward's plan: {plan.path}")
                truth = [await exact(conn, org, q) for q in qvecs]

                async def steward(q: Any, org: int = org) -> list[tuple[int, float]]:
                    hits = await search.vector_search(conn, org, q.to_list(), space=space, limit=K, max_distance=2.0)
                    return [(h.id, h.distance or 0.0) for h in hits]

                results[label] = await measure(f"Steward ({plan.path})", qvecs, truth, steward)
                await measure("naive: reference query, HNSW ef_search 40", qvecs, truth,
                              lambda q, org=org: raw(conn, NAIVE, ["SET LOCAL enable_sort = off"], org, q))
                if plan.path == "exact":
                    await measure("alternative: HNSW iterative relaxed_order, ef_search 100", qvecs, truth,
                                  lambda q, org=org: raw(conn, NAIVE, [
                                      "SET LOCAL enable_sort = off", "SET LOCAL hnsw.ef_search = 100",
                                      "SET LOCAL hnsw.iterative_scan = relaxed_order"], org, q))
                else:
                    few = qvecs[: max(10, len(qvecs) // 5)]
                    await measure("alternative: exact scan of the tenant (20 % of the queries)", few, truth[: len(few)],
                                  lambda q, org=org: raw(conn, NAIVE.replace("ORDER BY embedding <=> %(q)s",
                                                                             "ORDER BY (embedding <=> %(q)s) + 0"), [], org, q))

                async def hybrid(q: Any, org: int = org) -> list[tuple[int, float]]:
                    hits = await search.search(conn, org, "what about topic7 and item42?", K, vector=q.to_list(), space=space)
                    return [(h.id, h.distance if h.distance is not None else 9.0) for h in hits]

                lat = []
                for q in qvecs[:50]:
                    started = time.perf_counter()
                    await hybrid(q)
                    lat.append((time.perf_counter() - started) * 1000)
                print(f"  {'hybrid search() (vector + full text + fusion), 50 queries':<58} p50 "
                      f"{statistics.median(lat):7.2f} ms  p95 {pct(lat, 0.95):7.2f} ms")

            # Generic plans: the same statement executed many times as a prepared statement.
            big = org_ids[0]
            q = qvecs[0]
            hnsw_sql = search.Q["search_vector_hnsw"]
            params = {"organization_id": big, "query": q, "embedding_model": space, "limit": K, "channels": None,
                      "max_distance": 2.0}
            async with conn.transaction():
                await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                await conn.execute("SET LOCAL hnsw.ef_search = 100")
                for _ in range(8):
                    await conn.execute(hnsw_sql, params, prepare=True)
                plan_rows = await (await conn.execute("EXPLAIN (FORMAT JSON) " + hnsw_sql, params)).fetchone()
            print(f"\nbig tenant, Steward's HNSW statement under a generic plan after 8 prepared executions: "
                  f"indexes {sorted(search.plan_indexes(plan_rows[0]))}")
            async with conn.transaction():
                await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                await conn.execute("SET LOCAL hnsw.ef_search = 100")
                plan_rows = await (await conn.execute(
                    "EXPLAIN (FORMAT JSON) " + NAIVE, {"org": big, "q": q, "k": K})).fetchone()
            print(f"big tenant, the reference query under a generic plan with ef_search 100: "
                  f"indexes {sorted(search.plan_indexes(plan_rows[0]))}")
            small = org_ids[1]
            plan_rows = await (await conn.execute("EXPLAIN (FORMAT JSON) " + search.Q["search_vector_exact"], {
                **params, "organization_id": small, "entity_type": None, "entity_key": None})).fetchone()
            print(f"small tenant, Steward's exact statement: indexes {sorted(search.plan_indexes(plan_rows[0]))}")
    finally:
        pg.stop()


# ------------------------------------------------------------------------------ ingestion

SENTENCES = [
    "The Acme SSO certificate must be renewed before the 3rd of March",
    "Deploy of the billing service moved to Thursday afternoon",
    "Client asked for a new quote for the mobile app redesign",
    "T-{n} is blocked until we get the staging credentials",
    "Priya will review the onboarding copy by Friday",
    "The weekly report now includes the churn numbers",
    "We agreed to freeze the API contract for version {n}",
    "Support ticket volume doubled after the last release",
]


def seed_ingest(emu: Any) -> None:
    people = [f"U{i:05d}" for i in range(10)]
    for p in people:
        emu.add_user(p, p.lower())
    emu.add_channel("CINGEST", "client-acme", members=[*people, emu.bot_user_id])


async def ingest_part(messages: int) -> None:
    import psycopg

    from jobs import context_pipeline

    async with running_steward(seed_ingest) as b:
        emu, bot = b.emulator, b.bot
        calls = {"embed": 0, "texts": 0}
        original = bot.deps.ai.embed

        async def counting(texts: Sequence[str]) -> list[list[float]]:
            calls["embed"] += 1
            calls["texts"] += len(texts)
            return await original(texts)

        bot.deps.ai.embed = counting  # type: ignore[method-assign]
        people = [f"U{i:05d}" for i in range(10)]
        gate = asyncio.Semaphore(50)
        started = time.perf_counter()

        async def send(i: int) -> None:
            async with gate:
                text = SENTENCES[i % len(SENTENCES)].format(n=i) + f" (note {i})."
                await emu.user_message(people[i % len(people)], "CINGEST", text)

        await asyncio.gather(*(send(i) for i in range(messages)))
        async with await psycopg.AsyncConnection.connect(b.dsn, autocommit=True) as conn:
            while True:
                row = await (await conn.execute("SELECT count(*) FROM channel_messages")).fetchone()
                if row and row[0] >= messages:
                    break
                await asyncio.sleep(0.02)
            stored = time.perf_counter() - started
            started = time.perf_counter()
            summary = await context_pipeline.run_pipeline(bot.deps, datetime.now(UTC))
            piped = time.perf_counter() - started
            observations = (await (await conn.execute("SELECT count(*) FROM context_observations")).fetchone())[0]
        print(f"\ningestion through the bot (Socket Mode -> inbox -> channel_messages, 50 in flight): "
              f"{messages / stored:,.0f} messages/s ({messages} in {stored:.2f} s)")
        print(f"pipeline (offline extraction + embedding + insert): {messages / piped:,.0f} messages/s, "
              f"{observations} observations in {piped:.2f} s; {summary}")
        print(f"embedding calls: {calls['embed']} for {calls['texts']} texts = "
              f"{calls['embed'] * 1000 / messages:.1f} calls per 1,000 messages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=None, help="embedded PostgreSQL data directory (default: a temporary one)")
    args = parser.parse_args()
    print(machine())
    started = time.perf_counter()
    if not args.skip_search:
        data = args.data_dir or Path(tempfile.mkdtemp(prefix="steward-bench-context-"))
        asyncio.run(search_part(args.rows, args.orgs, args.queries, data))
    if not args.skip_ingest:
        asyncio.run(ingest_part(args.messages))
    print(f"\ntotal {time.perf_counter() - started:.0f} s (pid {os.getpid()})")


if __name__ == "__main__":
    main()
