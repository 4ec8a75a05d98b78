"""Per-person rate limits on LLM-backed actions (SPEC F17), recorded in rate_limit_events."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from bot.errors import RateLimited
from db.queries import Q

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
    row = await (await conn.execute(Q["rate_limit_counts"], {
        "organization_id": organization_id, "user_id": user_id, "action": action, "window_start": now - window,
        "hour_start": now - timedelta(hours=1),
    })).fetchone()
    in_window, in_hour = (row or (0, 0))
    ok = in_window < allowed and in_hour < HOURLY_CAP
    await conn.execute(Q["rate_limit_insert"], {"organization_id": organization_id, "user_id": user_id, "external_user_id": slack_id,
                                                "action": action, "allowed": ok, "now": now})
    if not ok:
        wait = "a minute" if in_window >= allowed else "a while"
        raise RateLimited(f"You're going a bit fast for me: please try again in {wait}. (Nothing you sent was lost; "
                          "just send it again.)")
