"""Morning threads as stored (SPEC F4): claimed once per organization, channel and day, posted by the
dispatcher, found again by their ts, marked when nudged and summarised, closed with their day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)

THREAD_KIND = "standup.thread"


def thread_dedupe_key(org_id: int, channel_id: str, day: date) -> str:
    """Must match threads_sync_posted in sql/queries/standup.sql."""
    return f"{THREAD_KIND}:{org_id}:{channel_id}:{day.isoformat()}"


@dataclass(frozen=True)
class MorningThread:
    id: int
    organization_id: int
    channel_id: str
    thread_date: date
    thread_ts: str | None
    status: str
    posted_at: datetime | None
    participant_ids: list[int]
    created_at: datetime  # when the job queued it (its clock): the day's times count from here

    @property
    def started_at(self) -> datetime:
        return self.created_at


async def _thread(conn: psycopg.AsyncConnection, query: str, params: dict[str, Any]) -> MorningThread | None:
    cur = conn.cursor(row_factory=class_row(MorningThread))
    await cur.execute(Q[query], params)
    return await cur.fetchone()


async def sync_posted(conn: psycopg.AsyncConnection, org_id: int | None = None) -> int:
    """Copy the ts of threads the dispatcher has posted; mark those it could not post."""
    posted = await (await conn.execute(Q["threads_sync_posted"], {"organization_id": org_id})).fetchall()
    failed = await (await conn.execute(Q["threads_mark_failed"], {"organization_id": org_id})).fetchall()
    for (thread_id,) in failed:
        log.error("morning_thread_not_posted", thread_id=thread_id)
    return len(posted)


class ThreadNotReady(Exception):
    """A reply arrived under a thread whose post has not been recorded yet: retried from the inbox."""


async def thread_by_ts(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, thread_ts: str) -> MorningThread | None:
    """The morning thread ``thread_ts`` in ``channel_id``, or None for any other thread.

    A reply can beat the dispatcher's record of the post it answers (by milliseconds): while a
    thread in that channel is still being posted, ThreadNotReady makes the inbox try again shortly
    rather than lose the reply."""
    params = {"organization_id": org_id, "channel_id": channel_id, "thread_ts": thread_ts}
    found = await _thread(conn, "thread_by_ts", params)
    if found is None:
        await sync_posted(conn, org_id)  # possibly a no-op because another process just did it
        found = await _thread(conn, "thread_by_ts", params)
    if found is None:
        pending = await (await conn.execute(Q["thread_pending_in_channel"], {"organization_id": org_id, "channel_id": channel_id})).fetchone()
        if pending is not None:
            raise ThreadNotReady(f"morning thread {pending[0]} in {channel_id} is still being posted")
    return found


async def thread_by_id(conn: psycopg.AsyncConnection, org_id: int, thread_id: int) -> MorningThread | None:
    return await _thread(conn, "thread_by_id", {"organization_id": org_id, "id": thread_id})


async def recent_threads(conn: psycopg.AsyncConnection, org_id: int, since: date) -> list[MorningThread]:
    cur = conn.cursor(row_factory=class_row(MorningThread))
    await cur.execute(Q["threads_recent"], {"organization_id": org_id, "since": since})
    return await cur.fetchall()


async def posted_thread_for(conn: psycopg.AsyncConnection, org_id: int, day: date) -> MorningThread | None:
    return await _thread(conn, "thread_latest_posted_for_date", {"organization_id": org_id, "thread_date": day})


async def create_thread(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, day: date, participant_ids: Sequence[int],
                        now: datetime) -> int | None:
    """Claim the (organization, channel, day) thread; None when it already exists."""
    row = await (await conn.execute(Q["thread_insert"], {
        "organization_id": org_id, "channel_id": channel_id, "thread_date": day, "participant_ids": list(participant_ids),
        "now": now})).fetchone()
    return row[0] if row else None


async def thread_exists(conn: psycopg.AsyncConnection, org_id: int, channel_id: str, day: date) -> bool:
    row = await (await conn.execute(Q["thread_exists"], {"organization_id": org_id, "channel_id": channel_id, "thread_date": day})).fetchone()
    return row is not None


async def mark_nudged(conn: psycopg.AsyncConnection, thread: MorningThread, now: datetime) -> None:
    await conn.execute(Q["thread_mark_nudged"], {"organization_id": thread.organization_id, "id": thread.id, "now": now})


async def mark_summarised(conn: psycopg.AsyncConnection, thread: MorningThread, now: datetime) -> None:
    await conn.execute(Q["thread_mark_summarised"], {"organization_id": thread.organization_id, "id": thread.id, "now": now})


async def submitter_ids(conn: psycopg.AsyncConnection, thread: MorningThread) -> set[int]:
    """Who has posted their update for the thread's day: in the thread, or elsewhere for that date (an
    update written before the thread was up, a DM, a post in the channel; see ``update_dates``)."""
    rows = await (await conn.execute(Q["thread_submitter_ids"], {"organization_id": thread.organization_id,
                                                                 "thread_date": thread.thread_date})).fetchall()
    return {r[0] for r in rows}


async def submitters_of(conn: psycopg.AsyncConnection, org_id: int, thread_ids: Sequence[int]) -> dict[int, set[int]]:
    """thread id -> the ids of everyone who replied to it, for each of ``thread_ids`` (one query)."""
    out: dict[int, set[int]] = {t: set() for t in thread_ids}
    rows = await (await conn.execute(Q["threads_submitter_ids"], {"organization_id": org_id, "thread_ids": list(thread_ids)})).fetchall()
    for thread_id, user_id in rows:
        out[thread_id].add(user_id)
    return out


async def next_thread_after(conn: psycopg.AsyncConnection, org_id: int, day: date) -> MorningThread | None:
    """The first thread of the organization dated after ``day``, if one is up already."""
    return await _thread(conn, "thread_next_after", {"organization_id": org_id, "thread_date": day})


async def close_threads_before(conn: psycopg.AsyncConnection, org_id: int, before: date, now: datetime) -> None:
    await conn.execute(Q["threads_close_through"], {"organization_id": org_id, "before": before, "now": now})


async def team_domain(conn: psycopg.AsyncConnection, org_id: int) -> str | None:
    row = await (await conn.execute(Q["team_domain_of_org"], {"organization_id": org_id})).fetchone()
    return row[0] if row else None


def permalink(domain: str | None, channel_id: str, ts: str | None) -> str | None:
    if not domain or not ts:
        return None
    return f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
