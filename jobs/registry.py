"""Every named job Steward can run, by name. The schedule (when they run) lives in jobs/schedule.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.deps import Deps

JobFn = Callable[[Deps, datetime], Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: JobFn
    description: str
    # Talks to Slack: reads from it, or sends what it decides (a run with --now sends what is due then at
    # once, so `steward jobs run` needs the bot token; see jobs/runs.py).
    needs_slack: bool = False


def _jobs() -> dict[str, JobSpec]:
    from jobs import (
        backfill,
        cards,
        checklists,
        context_pipeline,
        day_close,
        deploy_reminders,
        end_of_day,
        escalations,
        kpi_snapshot,
        mood_checkin,
        morning_thread,
        nudges,
        reinforcement,
        reminders,
        reports,
        retention,
        workspace_sync,
    )

    specs = [
        JobSpec("retention", retention.run, "all retention rules at once (drafts, raw messages, audit logs)"),
        JobSpec("retention-daily", retention.run_daily, "drafts and raw channel messages past retention"),
        JobSpec("retention-monthly", retention.run_monthly, "security audit logs and rate-limit events > 90 days"),
        JobSpec("reminders", reminders.run, "fire reminders that are due (missed ones fire late, once)",
                needs_slack=True),
        JobSpec("workspace-sync", workspace_sync.run, "Slack people into users (deactivated become inactive)",
                needs_slack=True),
        JobSpec("morning-thread", morning_thread.run, "post each organization's standup thread when its morning is due",
                needs_slack=True),
        JobSpec("nudges", nudges.run, "DM people who haven't replied, then managers who's missing (each once)",
                needs_slack=True),
        JobSpec("end-of-day", end_of_day.run, "DM the end-of-day check-in with the day's planned tasks",
                needs_slack=True),
        JobSpec("day-close", day_close.run, "close finished days: one task status per planned task, carry the rest",
                needs_slack=True),
        JobSpec("mood-checkin", mood_checkin.run, "DM the daily mood check-in where it is on",
                needs_slack=True),
        JobSpec("escalations", escalations.run, "blockers climb their ladder (owner, manager, channel, flag), each rung once",
                needs_slack=True),
        JobSpec("context", context_pipeline.run, "channel messages -> observations (+ embeddings) -> summaries"),
        JobSpec("context-summaries", context_pipeline.run_summaries, "regenerate summaries with enough new observations"),
        JobSpec("context-backfill", backfill.run, "resume channel history backfills (pending, or whose process died)",
                needs_slack=True),
        JobSpec("cards", cards.run, "after each day's close: yellow and red cards, one per rule breach; expire old ones",
                needs_slack=True),
        JobSpec("checklists", checklists.run, "send each role checklist at its time on each person's own clock "
                "(workdays, never on leave), once; record those not finished by the end of the day as incomplete",
                needs_slack=True),
        JobSpec("reinforcement", reinforcement.run, "5 minutes after each cards run: each closed day's streaks and milestones, each told once by a short DM",
                needs_slack=True),
        JobSpec("daily-report", reports.run_daily, "after each day's close: each manager's team report and the "
                "organization's, once", needs_slack=True),
        JobSpec("weekly-report", reports.run_weekly, "on the report day and time: last week's reports (teams, "
                "organization) with the chart and action items, once", needs_slack=True),
        JobSpec("monthly-report", reports.run_monthly, "on the first workday of the month: last month's reports, "
                "once", needs_slack=True),
        JobSpec("deploy-reminders", deploy_reminders.run, "24 h and 1 h before each client deploy: its checklist to the "
                "assigned members; at deploy time the SOP record, managers told of a missed checklist once",
                needs_slack=True),
        JobSpec("kpi-snapshot", kpi_snapshot.run, "weekly: one KPI snapshot per organization and person for the week "
                "before (missing weeks of the last 12 filled in)"),
    ]
    return {s.name: s for s in specs}


def all_jobs() -> dict[str, JobSpec]:
    return _jobs()


def get(name: str) -> JobSpec:
    jobs = _jobs()
    if name not in jobs:
        raise KeyError(name)
    return jobs[name]
