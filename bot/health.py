"""`/healthz`, `/metrics` and the manager dashboard (`/dashboard/`, bot/dashboard/web.py) on PORT (aiohttp)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.inbox import Metrics
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class HealthServer:
    def __init__(self, pool: Any, metrics: Metrics, *, socket_connected: Callable[[], bool],
                 is_leader: Callable[[], bool], mode: str, clock: Callable[[], datetime] | None = None,
                 dashboard: Any = None) -> None:
        self.pool = pool
        self.clock = clock or (lambda: datetime.now(UTC))
        self.metrics = metrics
        self.socket_connected = socket_connected
        self.is_leader = is_leader
        self.mode = mode
        self.dashboard = dashboard  # bot.dashboard.web.Dashboard, mounted at /dashboard/ when given
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_view)
        if self.dashboard is not None:
            self.dashboard.mount(app)
        return app

    async def start(self, host: str, port: int) -> int:
        # A scrape in progress gets a second to finish on stop (aiohttp's default waits a minute).
        self.runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    async def _inbox_depth(self) -> tuple[int, int] | None:
        try:
            async with self.pool.connection(timeout=2) as conn:
                row = await (await conn.execute(Q["inbox_depth"])).fetchone()
            return (int(row[0]), int(row[1])) if row else (0, 0)
        except Exception:
            return None

    async def healthz(self, _request: web.Request) -> web.Response:
        depth = await self._inbox_depth()
        checks = {
            "database": depth is not None,
            "slack_socket": self.socket_connected(),
            "scheduler_leader": self.is_leader(),
        }
        healthy = checks["database"] and checks["slack_socket"]
        body = {"status": "ok" if healthy else "degraded", "mode": self.mode, "checks": checks,
                "inbox": {"waiting": depth[0], "dead": depth[1]} if depth else None}
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_view(self, _request: web.Request) -> web.Response:
        """Prometheus text exposition (prometheus_client) of this process's counters and the database's
        gauges (:func:`database_gauges`); the database part is left out, not faked, when it is unreachable."""
        registry = CollectorRegistry(auto_describe=False)
        families = process_families(self.metrics)
        try:
            async with self.pool.connection(timeout=2) as conn:
                families += await database_gauges(conn, self.clock())
            up = 1.0
        except Exception:
            log.warning("metrics_database_unreachable", exc_info=True)
            up = 0.0
        families.append(GaugeMetricFamily("steward_database_up", "1 when /metrics could read the database.", value=up))
        registry.register(_Snapshot(families))
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Snapshot(Collector):
    """The families gathered for one scrape (prometheus_client collects synchronously; our reads are async)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def process_families(m: Metrics) -> list[Metric]:
    """This process's own counters since it started (they reset on restart, as Prometheus counters may)."""
    counters = [
        ("steward_events_received", "Slack envelopes received over Socket Mode.", m.events_received),
        ("steward_events_duplicate", "Envelopes dropped as duplicates or Slack retries.", m.events_duplicate),
        ("steward_events_processed", "Inbox events processed.", m.events_processed),
        ("steward_events_failed", "Inbox processing attempts that failed (each is retried or dead-lettered).", m.events_failed),
        ("steward_events_dead", "Inbox events dead-lettered by this process.", m.events_dead),
        ("steward_commands_not_stored", "Slash commands and interactions not stored within Slack's 3 s "
                                        "(never run; their people are told).", m.commands_not_stored),
        ("steward_notifications_sent", "Notification deliveries handed to Slack.", m.notifications_sent),
        ("steward_notifications_failed", "Notification delivery attempts Slack refused or that failed.", m.notifications_failed),
        ("steward_notifications_looked_up", "Deliveries looked for in Slack before being posted again (a claim "
         "that may have reached Slack).", m.notifications_looked_up),
        ("steward_notifications_recovered", "Deliveries found already in Slack: recorded with their ts, not re-sent.",
         m.notifications_recovered),
    ]
    families: list[Metric] = [CounterMetricFamily(name, doc, value=value) for name, doc, value in counters]
    runs = CounterMetricFamily("steward_job_runs", "Scheduled job runs started by this process, by job.", labels=["job"])
    for name, count in sorted(m.job_runs.items()):
        runs.add_metric([name], count)
    latency = GaugeMetricFamily("steward_ack_latency_ms", "Ack latency of recent envelopes (milliseconds).",
                                labels=["quantile"])
    for q in (0.5, 0.99):
        latency.add_metric([str(q)], _percentile(m.ack_latencies_ms, q))
    return [*families, runs, latency]


async def database_gauges(conn: Any, now: datetime) -> list[Metric]:
    """What an operator alerts on, read from the database across organizations (counts only):
    inbox depth, oldest waiting age (seconds before ``now``), dead letters and retries; deliveries by status
    and retried, failures of the last 24 hours by Slack error; per job the runs and failures of the last 24
    hours, the last duration and last success (Unix seconds); escalations due by ``now``; the embedding
    backlog. ``now``: aware datetime (the process's clock). Raises psycopg errors as they come."""
    def gauge(name: str, doc: str, value: float | None = None, labels: list[str] | None = None) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, value=value, labels=labels)

    params = {"now": now}
    waiting, oldest, dead, retrying = await (await conn.execute(Q["metrics_inbox"], params)).fetchone()
    families: list[Metric] = [
        gauge("steward_inbox_depth", "Inbox events waiting to be processed (pending or processing).", waiting),
        gauge("steward_inbox_oldest_age_seconds", "Age of the oldest waiting inbox event (0 when none).", float(oldest)),
        gauge("steward_inbox_dead", "Inbox events in the dead-letter state.", dead),
        gauge("steward_inbox_retrying", "Inbox events waiting for a retry after a failure.", retrying),
    ]
    by_status = gauge("steward_deliveries", "Notification deliveries by status (pending, held, sending; sent, "
                      "failed and cancelled of the last 24 hours).", labels=["status"])
    retried = gauge("steward_deliveries_retried", "Deliveries by status that needed more than one attempt.",
                    labels=["status"])
    for status, count, retried_count in await (await conn.execute(Q["metrics_deliveries"], params)).fetchall():
        by_status.add_metric([status], count)
        retried.add_metric([status], retried_count)
    failures = gauge("steward_delivery_failures_24h", "Deliveries that failed in the last 24 hours, by Slack error.",
                     labels=["error"])
    for error, count in await (await conn.execute(Q["metrics_delivery_failures"], params)).fetchall():
        failures.add_metric([error], count)
    job_runs = gauge("steward_job_runs_24h", "Job runs started in the last 24 hours, by job.", labels=["job"])
    job_failures = gauge("steward_job_failures_24h", "Job runs that failed in the last 24 hours, by job.", labels=["job"])
    duration = gauge("steward_job_last_duration_seconds", "Duration of each job's last finished run.", labels=["job"])
    success = gauge("steward_job_last_success_timestamp_seconds", "When each job last succeeded (Unix time).",
                    labels=["job"])
    for job, runs, failed, last_duration, last_success in await (await conn.execute(Q["metrics_job_runs"], params)).fetchall():
        job_runs.add_metric([job], runs)
        job_failures.add_metric([job], failed)
        if last_duration is not None:
            duration.add_metric([job], float(last_duration))
        if last_success is not None:
            success.add_metric([job], float(last_success))
    escalations_due, embedding_backlog = await (await conn.execute(Q["metrics_backlogs"], params)).fetchone()
    families += [
        by_status, retried, failures, job_runs, job_failures, duration, success,
        gauge("steward_escalations_due", "Open blockers whose next escalation is due.", escalations_due),
        gauge("steward_embedding_backlog", "Context observations waiting for their embedding.", embedding_backlog),
    ]
    return families
