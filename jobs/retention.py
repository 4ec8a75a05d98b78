"""Retention (SPEC F16): daily at 02:00 the drafts and raw channel messages, monthly the
security audit logs and rate-limit events. Returns how many rows each rule deleted."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

DAILY_RULES = (
    "delete_expired_drafts",
    "delete_old_confirmed_drafts",
    "delete_abandoned_drafts",
    "delete_old_channel_messages",
    "delete_processed_inbox_events",
    "delete_old_job_runs",
    "delete_old_dashboard_sessions",
    "delete_old_dashboard_login_attempts",
)
MONTHLY_RULES = ("delete_old_security_audit_logs", "delete_old_rate_limit_events", "delete_old_dead_letters")


async def _apply(deps: Deps, now: datetime, rules: tuple[str, ...]) -> dict[str, int]:
    params = {"now": now, "days": deps.settings.context_raw_retention_days}
    deleted: dict[str, int] = {}
    async with deps.pool.connection() as conn, conn.transaction():
        for rule in rules:
            cur = await conn.execute(Q[rule], params)
            deleted[rule.removeprefix("delete_")] = cur.rowcount
    log.info("retention_done", now=now.isoformat(), **deleted)
    return deleted


async def run_daily(deps: Deps, now: datetime) -> dict[str, int]:
    return await _apply(deps, now, DAILY_RULES)


async def run_monthly(deps: Deps, now: datetime) -> dict[str, int]:
    return await _apply(deps, now, MONTHLY_RULES)


async def run(deps: Deps, now: datetime) -> dict[str, int]:
    """Every rule at once (what `steward jobs run retention` does)."""
    return await _apply(deps, now, DAILY_RULES + MONTHLY_RULES)
