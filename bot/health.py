"""`/healthz` and `/metrics` on PORT (aiohttp)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

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
                 is_leader: Callable[[], bool], mode: str) -> None:
        self.pool = pool
        self.metrics = metrics
        self.socket_connected = socket_connected
        self.is_leader = is_leader
        self.mode = mode
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_view)
        return app

    async def start(self, host: str, port: int) -> int:
        self.runner = web.AppRunner(self.make_app(), access_log=None)
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
        m = self.metrics
        depth = await self._inbox_depth() or (0, 0)
        lines = [
            "# HELP steward_events_received_total Slack envelopes received over Socket Mode.",
            "# TYPE steward_events_received_total counter",
            f"steward_events_received_total {m.events_received}",
            "# HELP steward_events_duplicate_total Envelopes dropped as duplicates or Slack retries.",
            "# TYPE steward_events_duplicate_total counter",
            f"steward_events_duplicate_total {m.events_duplicate}",
            "# HELP steward_events_processed_total Inbox events processed.",
            "# TYPE steward_events_processed_total counter",
            f"steward_events_processed_total {m.events_processed}",
            "# HELP steward_events_failed_total Inbox processing attempts that failed.",
            "# TYPE steward_events_failed_total counter",
            f"steward_events_failed_total {m.events_failed}",
            "# HELP steward_events_dead_total Inbox events dead-lettered.",
            "# TYPE steward_events_dead_total counter",
            f"steward_events_dead_total {m.events_dead}",
            "# HELP steward_inbox_depth Inbox events waiting to be processed.",
            "# TYPE steward_inbox_depth gauge",
            f"steward_inbox_depth {depth[0]}",
            "# HELP steward_inbox_dead Inbox events in the dead-letter state.",
            "# TYPE steward_inbox_dead gauge",
            f"steward_inbox_dead {depth[1]}",
            "# HELP steward_notifications_sent_total Notification deliveries sent to Slack.",
            "# TYPE steward_notifications_sent_total counter",
            f"steward_notifications_sent_total {m.notifications_sent}",
            "# HELP steward_notifications_failed_total Notification delivery attempts that failed.",
            "# TYPE steward_notifications_failed_total counter",
            f"steward_notifications_failed_total {m.notifications_failed}",
            "# HELP steward_notifications_looked_up_total Deliveries looked for in Slack before being posted again.",
            "# TYPE steward_notifications_looked_up_total counter",
            f"steward_notifications_looked_up_total {m.notifications_looked_up}",
            "# HELP steward_notifications_recovered_total Deliveries found already in Slack (recorded, not re-sent).",
            "# TYPE steward_notifications_recovered_total counter",
            f"steward_notifications_recovered_total {m.notifications_recovered}",
            "# HELP steward_ack_latency_ms Ack latency of recent envelopes (milliseconds).",
            "# TYPE steward_ack_latency_ms summary",
            f'steward_ack_latency_ms{{quantile="0.5"}} {_percentile(m.ack_latencies_ms, 0.5):.3f}',
            f'steward_ack_latency_ms{{quantile="0.99"}} {_percentile(m.ack_latencies_ms, 0.99):.3f}',
            "# HELP steward_job_runs_total Scheduled job runs by job.",
            "# TYPE steward_job_runs_total counter",
        ]
        lines += [f'steward_job_runs_total{{job="{name}"}} {count}' for name, count in sorted(m.job_runs.items())]
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
