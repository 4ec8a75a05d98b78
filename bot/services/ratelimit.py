"""Per-person rate limits on LLM-backed actions (SPEC F17), recorded in rate_limit_events."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from bot.errors import RateLimited

# action -> (window, allowed events in it). Generous for people, tight for scripts.
LIMITS: dict[str, tuple[timedelta, int]] = {
    "llm.parse": (timedelta(minutes=1), 20),
    "llm.ask": (timedelta(minutes=1), 10),
}
HOURLY_CAP = 300


async def check(conn: psycopg.AsyncConnection, *, organization_id: int, user_id: int, slack_id: str | None,
                action: str, now: datetime) -> None:
    """Record one attempt; raise RateLimited (and record the refusal) when over the limit."""
    window, allowed = LIMITS.get(action, (timedelta(minutes=1), 20))
    row = await (await conn.execute(
        "SELECT count(*) FILTER (WHERE created_at > %s), count(*) FILTER (WHERE created_at > %s) "
        "FROM rate_limit_events WHERE organization_id = %s AND user_id = %s AND action = %s AND allowed "
        "AND created_at > %s",
        (now - window, now - timedelta(hours=1), organization_id, user_id, action, now - timedelta(hours=1)),
    )).fetchone()
    in_window, in_hour = (row or (0, 0))
    ok = in_window < allowed and in_hour < HOURLY_CAP
    await conn.execute(
        "INSERT INTO rate_limit_events (organization_id, user_id, external_user_id, action, allowed, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s)", (organization_id, user_id, slack_id, action, ok, now))
    if not ok:
        wait = "a minute" if in_window >= allowed else "a while"
        raise RateLimited(f"You're going a bit fast for me: please try again in {wait}. (Nothing you sent was lost; "
                          "just send it again.)")
