"""When each job runs. The only module that imports APScheduler.

Every process builds the same scheduler. A job that talks to Slack (``JobSpec.needs_slack``) works per
organization: a process runs it for the organizations whose leadership it holds (jobs/leader.py: only
organizations it holds a bot token for), each (job, scheduled minute, organization) claimed once in
``job_runs``. The other jobs (retention, the context pipeline) run in the one process holding the global
lock, each (job, scheduled minute) claimed once. So a trigger runs once per organization even during a
leadership hand-over, and no process runs an organization's jobs without that organization's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from psycopg.types.json import Jsonb

from bot.deps import Deps
from bot.log import get_logger, is_idle, run_isolated
from bot.worker import cancel_and_wait
from db.queries import Q
from jobs import registry
from jobs.leader import Leadership
from jobs.runs import RunReport, run_and_deliver

log = get_logger(__name__)

MISFIRE_GRACE_SECONDS = 300
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # job_runs.worker: who ran it

# name -> (trigger kind, trigger fields, human description). Cron times are UTC; jobs that
# work per organization tick every minute and decide per organization what is due.
SCHEDULE: dict[str, tuple[str, dict[str, Any], str]] = {
    "retention-daily": ("cron", {"hour": 2, "minute": 0}, "daily at 02:00 UTC"),
    "retention-monthly": ("cron", {"day": 1, "hour": 2, "minute": 30}, "monthly, the 1st at 02:30 UTC"),
    "workspace-sync": ("cron", {"hour": 3, "minute": 15}, "daily at 03:15 UTC (and at start)"),
    "reminders": ("interval", {"seconds": 30}, "every 30 s (plus a timer per reminder)"),
    # The daily rhythm: each tick decides per organization, in its timezone, what is due.
    "morning-thread": ("cron", {"minute": "*"}, "every minute (posts at each organization's morning time)"),
    "nudges": ("cron", {"minute": "*"}, "every minute (after each thread's nudge and summary delays)"),
    "end-of-day": ("cron", {"minute": "*"}, "every minute (at each organization's end-of-day time)"),
    "day-close": ("cron", {"minute": "*"}, "every minute (closes days at their midnight)"),
    "mood-checkin": ("cron", {"minute": "*"}, "every minute (at the mood check-in time, where on)"),
    "escalations": ("cron", {"minute": "*"}, "every minute (blockers due for their next rung, in working time)"),
    "checklists": ("cron", {"minute": "*"}, "every minute (each person's checklists at their own time; "
                   "incomplete ones recorded after their day ends)"),
    "cards": ("cron", {"minute": "4,19,34,49"}, "every 15 minutes (cards for the days that have closed)"),
    # Issue 14's "daily, after cards": every 15 minutes, each tick 5 minutes after a cards tick (CARDS_LEAD), so a
    # closed day's recognition follows that day's cards; each told once (tests/unit/test_rules.py checks the order).
    "reinforcement": ("cron", {"minute": "9,24,39,54"},
                      "every 15 minutes, 5 minutes after each cards run (each closed day's streaks and milestones, "
                      "once per person; a re-run sends nothing twice)"),
    # Reports: each tick decides per organization, on its clock, whether a period's report is due.
    "daily-report": ("cron", {"minute": "14,44"}, "every 30 minutes (each day's reports an hour after its close)"),
    "weekly-report": ("cron", {"minute": "*/5"}, "every 5 minutes (at each organization's report day and time)"),
    "monthly-report": ("cron", {"minute": "*/5"}, "every 5 minutes (the first workday of the month, morning time)"),
    "kpi-snapshot": ("cron", {"minute": "2,17,32,47"},
                     "every 15 minutes (each organization's last week once, from Monday 05:00 on its clock)"),
    "deploy-reminders": ("cron", {"minute": "*"}, "every minute (reminders 24 h and 1 h before each deploy, working "
                         "hours permitting; the SOP record at the deploy's time; each once)"),
    # Context memory: the pipeline every 2 minutes; backfills resumed every minute.
    "context": ("cron", {"minute": "*/2"}, "every 2 minutes (messages -> observations -> summaries)"),
    "context-backfill": ("cron", {"minute": "*"}, "every minute (resumes unfinished history backfills)"),
}


CARDS_LEAD = 5
"""Minutes between a `cards` tick and the `reinforcement` tick that follows it (issue 14: reinforcement after cards)."""


def describe_schedule() -> dict[str, str]:
    return {name: text for name, (_, _, text) in SCHEDULE.items()}


def _trigger(kind: str, fields: dict[str, Any]) -> Any:
    if kind == "cron":
        return CronTrigger(timezone="UTC", **fields)
    if kind == "interval":
        return IntervalTrigger(**fields)
    raise ValueError(kind)


def trigger_slot(name: str, now: datetime) -> datetime:
    """The trigger a run at ``now`` belongs to: its minute, or its interval for faster jobs.
    Every process computes the same slot, so ``job_runs`` lets exactly one of them run it."""
    kind, fields, _ = SCHEDULE.get(name, ("cron", {}, ""))
    seconds = 60
    if kind == "interval":
        seconds = int(fields.get("seconds", 0) + 60 * fields.get("minutes", 0) + 3600 * fields.get("hours", 0)) or 60
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


class Scheduler:
    def __init__(self, deps: Deps, leadership: Leadership) -> None:
        self.deps = deps
        self.leadership = leadership
        self._runs: set[asyncio.Task[Any]] = set()  # job runs in progress in this process
        self.aps = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )

    def start(self) -> None:
        jobs = registry.all_jobs()
        for name, (kind, fields, _) in SCHEDULE.items():
            if name in jobs:
                self.aps.add_job(self.run_claimed, _trigger(kind, fields), args=[name], id=name, name=name,
                                 replace_existing=True)
        self.aps.start()

    def shutdown(self) -> None:
        """Stop firing triggers (runs in progress go on; see :meth:`stop`)."""
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def stop(self) -> None:
        """Stop firing triggers and cancel the runs in progress (each is recorded as failed, interrupted), waiting
        for them within bot.worker.UNWIND_SECONDS."""
        self.shutdown()
        await cancel_and_wait(list(self._runs), what="job runs")

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """While a run is in progress, its task is one :meth:`stop` cancels."""
        task = asyncio.current_task()
        if task is not None:
            self._runs.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._runs.discard(task)

    def add_date_job(self, job_id: str, at: datetime, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """One-off jobs (reminders). They still run only in the leader."""
        self.aps.add_job(self._leader_only, DateTrigger(run_date=at), args=[fn, *args], id=job_id,
                         replace_existing=True, misfire_grace_time=None)

    def remove_job(self, job_id: str) -> None:
        if self.aps.get_job(job_id):
            self.aps.remove_job(job_id)

    async def _leader_only(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        if self.leadership.is_leader or self.leadership.led_organizations:
            with self._running():
                await run_isolated(fn, *args, job=getattr(fn, "__name__", "job"))

    async def run_claimed(self, name: str, scheduled_for: datetime | None = None) -> Any:
        """Run job ``name`` for this trigger if we lead (the organizations it works for, for a job that talks
        to Slack) and nobody ran it yet. None when there was nothing of it for this process to run.

        The run logs in its own context (``job=name``), whoever called it: never with the bound
        context of a request that happened to schedule or trigger it."""
        if not self._leads(name):
            return None
        with self._running():
            return await run_isolated(self._claim_and_run, name, scheduled_for, job=name)

    async def run_as_of(self, name: str, now: datetime) -> RunReport | None:
        """Run job ``name`` as if the clock read ``now`` (aware) and send at once what it decided to send
        then (the sandbox's "Run now"; see jobs/runs.py). Claimed like a tick, for the slot ``now``: None
        when we do not lead or that slot already ran. Raises KeyError for an unknown job."""
        registry.get(name)
        if not self._leads(name):
            return None
        with self._running():
            return await run_isolated(self._claim_run_and_deliver, name, now, job=name)

    def _leads(self, name: str) -> bool:
        if registry.get(name).needs_slack:
            return bool(self.leadership.led_organizations)
        return self.leadership.is_leader

    async def _claim_run_and_deliver(self, name: str, now: datetime) -> RunReport | None:
        claimed = await self._claim(name, now, now)
        if claimed is None:
            return None
        return await run_and_deliver(self.deps, name, now, lambda: self._run(name, claimed, now))

    async def _claim_and_run(self, name: str, scheduled_for: datetime | None) -> Any:
        now = self.deps.now()
        claimed = await self._claim(name, scheduled_for or trigger_slot(name, now), now)
        return None if claimed is None else await self._run(name, claimed, now)

    async def _claim(self, name: str, slot: datetime, now: datetime) -> dict[int | None, int] | None:
        """Claim (job, slot) in ``job_runs``, per led organization for a job that talks to Slack: {organization
        id (None for a job of no one organization): run id}, or None when some process already has them all."""
        organizations: list[int | None] = (
            list(sorted(self.leadership.led_organizations)) if registry.get(name).needs_slack else [None])
        claimed: dict[int | None, int] = {}
        async with self.deps.pool.connection() as conn:
            for org_id in organizations:
                claim = {"job_name": name, "scheduled_for": slot, "now": now, "organization_id": org_id,
                         "worker": WORKER}
                row = await (await conn.execute(Q["job_run_claim"], claim)).fetchone()
                if row is not None:
                    claimed[org_id] = int(row[0])
        return claimed or None

    async def _run(self, name: str, claimed: dict[int | None, int], now: datetime) -> Any:
        """Run the job once for what was claimed (limited to the claimed organizations) and record it on each claim."""
        spec = registry.get(name)
        metrics = self.deps.metrics
        status, summary = "succeeded", None
        organizations = [org_id for org_id in claimed if org_id is not None]
        deps = self.deps.scoped(organizations) if spec.needs_slack else self.deps
        try:
            summary = await spec.run(deps, now)
        except asyncio.CancelledError:
            status, summary = "failed", {"error": "interrupted: Steward was stopping"}
            log.warning("job_interrupted", job=name)
            raise
        except Exception as exc:
            status, summary = "failed", {"error": f"{type(exc).__name__}: {exc}"}
            log.exception("job_failed", job=name)
        finally:
            if metrics is not None:
                metrics.job_runs[name] = metrics.job_runs.get(name, 0) + 1
            async with self.deps.pool.connection() as conn:
                for run_id in claimed.values():
                    await conn.execute(Q["job_run_finish"], {
                        "id": run_id, "now": self.deps.now(), "status": status,
                        "summary": Jsonb(summary if isinstance(summary, dict | list) else {"result": str(summary)}),
                    })
        # Every tick of every job would be 220 INFO lines in 24 idle minutes: idle ticks log at DEBUG.
        level = log.debug if status == "succeeded" and is_idle(summary) else log.info
        level("job_ran", job=name, status=status, summary=summary)
        return summary
