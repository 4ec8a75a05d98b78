"""/metrics is Prometheus text from prometheus_client: this process's counters and the database's gauges an
operator alerts on (inbox depth and age, dead letters, delivery statuses and failures by Slack error, job
run durations and failures, escalations due, embedding backlog), each reading what the tables hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import psycopg
from prometheus_client.parser import text_string_to_metric_families

from bot.health import HealthServer
from bot.inbox import Metrics
from tests.helpers import make_org, make_user

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(pool, metrics: Metrics) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    server = HealthServer(pool, metrics, socket_connected=lambda: True, is_leader=lambda: True, mode="slack",
                          clock=lambda: NOW)
    port = await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            return resp.headers["Content-Type"], await resp.text()
    finally:
        await server.stop()


async def seed(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    user = await make_user(conn, org, "sam")
    for status, received, attempts in [("pending", NOW - timedelta(seconds=90), 0), ("processing", NOW - timedelta(seconds=30), 1),
                                       ("pending", NOW - timedelta(seconds=5), 2), ("dead", NOW - timedelta(hours=2), 5),
                                       ("done", NOW - timedelta(hours=3), 1)]:
        await conn.execute("INSERT INTO event_inbox (event_key, kind, payload, status, attempts, received_at) "
                           "VALUES (gen_random_uuid()::text, 'events_api', '{}', %s, %s, %s)", (status, attempts, received))
    note = (await (await conn.execute("INSERT INTO notifications (organization_id, kind, payload) VALUES (%s, 'test.note', "
                                      "'{\"text\": \"x\"}') RETURNING id", (org,))).fetchone())[0]  # type: ignore[index]
    for n, (status, attempts, error) in enumerate([("pending", 0, None), ("pending", 2, "ratelimited"), ("held", 0, None),
                                                   ("failed", 1, "channel_not_found"), ("failed", 1, "channel_not_found"),
                                                   ("failed", 6, "TimeoutError: read timed out")]):
        await conn.execute("INSERT INTO notification_deliveries (organization_id, notification_id, target_type, target_id, "
                           "status, attempts, last_error, updated_at) VALUES (%s, %s, 'dm', %s, %s, %s, %s, %s)",
                           (org, note, f"U{n}", status, attempts, error, NOW - timedelta(hours=1)))
    for job, start, minutes, status in [("nudges", NOW - timedelta(hours=1), 2, "succeeded"),
                                        ("nudges", NOW - timedelta(minutes=30), 1, "failed"),
                                        ("nudges", NOW - timedelta(days=2), 1, "failed")]:
        await conn.execute("INSERT INTO job_runs (job_name, scheduled_for, status, started_at, finished_at) VALUES (%s, %s, %s, %s, %s)",
                           (job, start, status, start, start + timedelta(minutes=minutes)))
    for due in (NOW - timedelta(minutes=1), NOW + timedelta(hours=1)):
        await conn.execute("INSERT INTO blockers (organization_id, user_id, description, next_escalation_at) VALUES (%s, %s, 'stuck', %s)",
                           (org, user, due))
    for embedded in (False, False, True):
        await conn.execute("INSERT INTO context_observations (organization_id, entity_type, entity_key, content, embedding) "
                           "VALUES (%s, 'client', 'acme', 'said something', %s)", (org, "[" + ",".join(["0.1"] * 1536) + "]" if embedded else None))


async def test_metrics_read_the_tables(conn: psycopg.AsyncConnection, pool) -> None:  # type: ignore[no-untyped-def]
    await seed(conn)
    metrics = Metrics(events_received=7, events_processed=5, notifications_failed=3, job_runs={"nudges": 2})
    content_type, text = await scrape(pool, metrics)
    assert content_type.startswith("text/plain; version=")
    got = samples(text)
    assert got[("steward_events_received_total", ())] == 7
    assert got[("steward_events_processed_total", ())] == 5
    assert got[("steward_job_runs_total", (("job", "nudges"),))] == 2
    assert got[("steward_database_up", ())] == 1
    assert got[("steward_inbox_depth", ())] == 3
    assert got[("steward_inbox_oldest_age_seconds", ())] == 90
    assert got[("steward_inbox_dead", ())] == 1
    assert got[("steward_inbox_retrying", ())] == 1
    assert got[("steward_deliveries", (("status", "pending"),))] == 2
    assert got[("steward_deliveries", (("status", "held"),))] == 1
    assert got[("steward_deliveries_retried", (("status", "pending"),))] == 1
    assert got[("steward_delivery_failures_24h", (("error", "channel_not_found"),))] == 2
    assert got[("steward_delivery_failures_24h", (("error", "TimeoutError"),))] == 1
    assert got[("steward_job_runs_24h", (("job", "nudges"),))] == 2
    assert got[("steward_job_failures_24h", (("job", "nudges"),))] == 1
    assert got[("steward_job_last_duration_seconds", (("job", "nudges"),))] == 60
    assert got[("steward_job_last_success_timestamp_seconds", (("job", "nudges"),))] == (NOW - timedelta(minutes=58)).timestamp()
    assert got[("steward_escalations_due", ())] == 1
    assert got[("steward_embedding_backlog", ())] == 2


async def test_metrics_without_the_database_say_so(pool) -> None:  # type: ignore[no-untyped-def]
    await pool.close()
    _, text = await scrape(pool, Metrics(events_received=1))
    got = samples(text)
    assert got[("steward_database_up", ())] == 0
    assert got[("steward_events_received_total", ())] == 1
    assert ("steward_inbox_depth", ()) not in got
