"""Channel history backfill (F15): conversations.history page by page, with thread replies.

Resumable: each page's messages and the next cursor are written in one transaction, so a crash
resumes at the page it was on (and a page fetched twice inserts nothing twice: messages are unique
per organization, channel and ts). A process runs a channel's backfill only while it holds the
channel's advisory lock on a dedicated connection: two processes never fetch the same channel, and
one that dies (even killed -9) releases the lock with its connection, so the next run resumes at
once. Slack's 429s are obeyed (the client retries twice after Retry-After; then this module waits
and retries too).

Started when Steward joins a channel (member_joined_channel for the bot itself), by
`steward backfill <channel>|--all [--days N]`, and resumed by the scheduled `context-backfill` job.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.log import get_logger
from bot.services import answers
from bot.services import context as memory
from db.queries import Q

log = get_logger(__name__)

DEFAULT_DAYS = 30
PAGE_LIMIT = 200
MAX_RATE_LIMIT_WAITS = 8
MAX_RETRY_AFTER = 120.0
PERMANENT_ERRORS = frozenset({"channel_not_found", "not_in_channel", "missing_scope", "is_archived", "invalid_auth",
                              "account_inactive", "token_revoked", "not_authed"})


@dataclass
class Progress:
    channel_id: str
    status: str
    messages: int
    replies: int
    pages: int
    fraction: float


ProgressHook = Callable[[Progress], Awaitable[None] | None]


async def request(pool: AsyncConnectionPool, org_id: int, channel_id: str, *, days: int | None, now: datetime) -> bool:
    """Ask for a backfill of the last ``days`` days (None: all history). False when one is already
    pending or running for the channel (it keeps its window and cursor)."""
    oldest = f"{(now - timedelta(days=days)).timestamp():.6f}" if days else None
    async with pool.connection() as conn:
        await memory.ensure_channel(conn, org_id, channel_id)
        row = await (await conn.execute(Q["backfill_request"], {
            "organization_id": org_id, "channel_id": channel_id, "days": days, "oldest_ts": oldest,
            "latest_ts": f"{now.timestamp():.6f}"})).fetchone()
    return row is not None


async def request_unseen(deps: Deps, org_id: int) -> list[str]:
    """Backfill channels Steward was invited to before it first ran (no backfill yet, memory not off).
    The minute job then reads them; returns the channel ids asked for."""
    if not await deps.in_scope([org_id]):
        return []
    channels = await _resolve(deps.slack_for(org_id), [], True)
    async with deps.pool.connection() as conn:
        rows = await (await conn.execute(Q["backfill_channels_known"], {"organization_id": org_id})).fetchall()
    seen = {r[0] for r in rows}
    asked = []
    for channel_id, _name in channels:
        if channel_id not in seen and await request(deps.pool, org_id, channel_id, days=DEFAULT_DAYS, now=deps.now()):
            asked.append(channel_id)
    return asked


async def _slack(call: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
    """One Web API call, waiting out rate limits (Retry-After) beyond the client's own retries."""
    for attempt in range(MAX_RATE_LIMIT_WAITS + 1):
        try:
            return await call(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            if response is None or response.status_code != 429 or attempt == MAX_RATE_LIMIT_WAITS:
                raise
            try:
                wait = float(response.headers.get("Retry-After") or response.headers.get("retry-after") or 1)
            except (TypeError, ValueError):
                wait = 1.0
            log.info("backfill_rate_limited", retry_after=wait, attempt=attempt + 1)
            await asyncio.sleep(min(max(wait, 0.5), MAX_RETRY_AFTER))
    raise AssertionError("unreachable")


async def _thread_replies(client: Any, channel_id: str, parent_ts: str) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await _slack(client.conversations_replies, channel=channel_id, ts=parent_ts, cursor=cursor,
                                limit=PAGE_LIMIT)
        replies.extend(m for m in response.get("messages") or [] if m.get("ts") != parent_ts)
        cursor = (response.get("response_metadata") or {}).get("next_cursor") if response.get("has_more") else None
        if not cursor:
            return replies


def fraction(oldest_ts: str | None, latest_ts: str | None, reached_ts: str | None) -> float:
    from bot.blocks.context import backfill_fraction

    return backfill_fraction("running", oldest_ts, latest_ts, reached_ts)


async def save_page(pool: AsyncConnectionPool, org_id: int, channel_id: str, state_id: int, rows: list[dict[str, Any]],
                    *, cursor: str | None, reached_ts: str | None, messages: int, replies: int) -> tuple[int, int, int]:
    """The page's messages and the cursor of the next page, atomically."""
    async with pool.connection() as conn, conn.transaction():
        await memory.store_messages(conn, org_id, channel_id, rows)
        row = await (await conn.execute(Q["backfill_page_done"], {
            "id": state_id, "cursor": cursor, "reached_ts": reached_ts, "messages": messages, "replies": replies,
        })).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


async def _finish(pool: AsyncConnectionPool, state_id: int, status: str, error: str | None, now: datetime) -> None:
    async with pool.connection() as conn:
        await conn.execute(Q["backfill_finish"], {"id": state_id, "status": status, "error": error, "now": now})


async def backfill_channel(pool: AsyncConnectionPool, client: Any, org_id: int, channel_id: str, now: datetime, *,
                           on_progress: ProgressHook | None = None, page_limit: int = PAGE_LIMIT) -> Progress | None:
    """Run (or resume) the channel's backfill to the end. None when there is none to run (not
    requested, finished, or running in another live process)."""
    params = {"organization_id": org_id, "channel_id": channel_id}
    async with pool.connection() as lock_conn:
        row = await (await lock_conn.execute(Q["backfill_lock"], params)).fetchone()
        if not (row and row[0]):
            return None
        try:
            return await _run(pool, client, org_id, channel_id, now, on_progress=on_progress, page_limit=page_limit)
        finally:
            try:
                await asyncio.shield(lock_conn.execute(Q["backfill_unlock"], params))
            except BaseException:  # never hand a connection still holding the lock back to the pool
                await lock_conn.close()
                raise


async def _report(on_progress: ProgressHook | None, progress: Progress) -> None:
    if on_progress is not None:
        result = on_progress(progress)
        if asyncio.iscoroutine(result):
            await result


async def _run(pool: AsyncConnectionPool, client: Any, org_id: int, channel_id: str, now: datetime, *,
               on_progress: ProgressHook | None, page_limit: int) -> Progress | None:
    async with pool.connection() as conn:
        claimed = await (await conn.execute(Q["backfill_claim"], {
            "organization_id": org_id, "channel_id": channel_id, "now": now})).fetchone()
    if claimed is None:
        return None
    state_id, cursor, oldest_ts, latest_ts, reached_ts, messages, replies, pages = claimed
    async with pool.connection() as conn:
        bot_user = await memory.bot_user_id(conn, org_id)

    def kept(message: dict[str, Any]) -> dict[str, Any] | None:
        """A person's message about the work: not noise, not a question or command for Steward."""
        row = memory.message_row(message)
        return None if row is None or answers.addressed_to_steward(row["text"], bot_user) else row

    log.info("backfill_started", channel=channel_id, resumed=cursor is not None, pages=pages)
    progress = Progress(channel_id, "running", messages, replies, pages, fraction(oldest_ts, latest_ts, reached_ts))
    try:
        while True:
            response = await _slack(client.conversations_history, channel=channel_id, cursor=cursor, limit=page_limit,
                                    oldest=oldest_ts or "0", latest=latest_ts, inclusive=True)
            page = response.get("messages") or []
            rows = [r for r in (kept(m) for m in page) if r is not None]
            reply_rows: list[dict[str, Any]] = []
            for m in page:
                if m.get("reply_count") and m.get("thread_ts") == m.get("ts"):
                    for reply in await _thread_replies(client, channel_id, m["ts"]):
                        row = kept(reply)
                        if row is not None:
                            reply_rows.append(row)
            next_cursor = (response.get("response_metadata") or {}).get("next_cursor") if response.get("has_more") else None
            oldest_on_page = min((m["ts"] for m in page if isinstance(m.get("ts"), str)), key=float, default=None)
            messages, replies, pages = await save_page(
                pool, org_id, channel_id, state_id, rows + reply_rows, cursor=next_cursor or None,
                reached_ts=oldest_on_page, messages=len(rows), replies=len(reply_rows))
            reached_ts = oldest_on_page or reached_ts
            progress = Progress(channel_id, "running", messages, replies, pages, fraction(oldest_ts, latest_ts, reached_ts))
            await _report(on_progress, progress)
            if not next_cursor:
                break
            cursor = next_cursor
    except asyncio.CancelledError:
        # Shutting down: the next process resumes from the saved cursor.
        await asyncio.shield(_finish(pool, state_id, "pending", "interrupted (shutdown)", now))
        raise
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response is not None else exc)
        permanent = error in PERMANENT_ERRORS
        await _finish(pool, state_id, "failed" if permanent else "pending", f"Slack: {error}", now)
        log.warning("backfill_stopped", channel=channel_id, error=error, will_resume=not permanent)
        return Progress(channel_id, "failed" if permanent else "pending", messages, replies, pages, progress.fraction)
    except Exception as exc:
        await _finish(pool, state_id, "pending", f"{type(exc).__name__}: {exc}"[:500], now)
        log.exception("backfill_interrupted", channel=channel_id, pages=pages)
        raise
    await _finish(pool, state_id, "complete", None, now)
    log.info("backfill_complete", channel=channel_id, messages=messages, replies=replies, pages=pages)
    progress = Progress(channel_id, "complete", messages, replies, pages, 1.0)
    await _report(on_progress, progress)
    return progress


def start_in_background(deps: Deps, org_id: int, channel_id: str) -> asyncio.Task[Any] | None:
    """Run a backfill in this process without holding up the event that asked for it. The task is
    kept in deps.extras["background_tasks"] (cancelled on stop; the backfill then resumes later). None when
    this process holds no bot token for the organization (the `context-backfill` job runs it where one is)."""
    tenants = deps.tenants
    if tenants is None or not tenants.serves(org_id):
        return None
    client = tenants.client_for(org_id)
    tasks: set[asyncio.Task[Any]] = deps.extras.setdefault("background_tasks", set())

    async def run() -> None:
        try:
            await backfill_channel(deps.pool, client, org_id, channel_id, deps.now())
        except asyncio.CancelledError:
            raise
        except Exception:  # already recorded on the backfill (pending, resumed by the job)
            log.warning("backfill_task_failed", channel=channel_id)

    task = asyncio.create_task(run(), name=f"backfill-{channel_id}")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


async def run(deps: Deps, now: datetime, *, limit: int = 20) -> dict[str, Any]:
    """The scheduled job: resume every pending backfill, and those whose process died, of the organizations
    this run may work on (:meth:`Deps.in_scope`), each with its own workspace's token."""
    if deps.tenants is None:
        return {"skipped": "no Slack bot token"}
    await deps.tenants.ensure_loaded()
    organizations = await deps.in_scope(sorted(deps.tenants.organization_ids))
    async with deps.pool.connection() as conn:
        rows = await (await conn.execute(Q["backfills_resumable"], {"limit": limit,
                                                                     "organization_ids": organizations})).fetchall()
    done: dict[str, Any] = {}
    for org_id, channel_id in rows:
        progress = await backfill_channel(deps.pool, deps.slack_for(org_id), org_id, channel_id, now)
        if progress is not None:
            done[channel_id] = {"status": progress.status, "messages": progress.messages, "replies": progress.replies,
                                "pages": progress.pages}
    return {"backfills": done}


# ============================================================================== `steward backfill`


def _progress_line(name: str) -> ProgressHook:
    def show(p: Progress) -> None:
        bar = "#" * round(p.fraction * 30)
        line = (f"\r{name:<24} [{bar:<30}] {p.fraction:4.0%}  {p.messages:,} messages, {p.replies:,} replies, "
                f"{p.pages} pages")
        sys.stdout.write(line)
        sys.stdout.flush()
        if p.status == "complete":
            sys.stdout.write("\n")

    return show


async def _resolve(client: Any, wanted: list[str], all_channels: bool) -> list[tuple[str, str]]:
    """(id, name) of the channels to backfill: names or ids given, or every channel Steward is in."""
    known: dict[str, str] = {}
    cursor = None
    while True:
        response = await _slack(client.users_conversations, types="public_channel,private_channel", limit=200,
                                cursor=cursor, exclude_archived=True)
        for c in response.get("channels") or []:
            known[c["id"]] = c.get("name") or c["id"]
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    if all_channels:
        return sorted(known.items(), key=lambda kv: kv[1])
    out = []
    for raw in wanted:
        token = raw.strip().lstrip("#")
        if token.startswith("<#") and token.endswith(">"):
            token = token[2:-1].split("|")[0]
        match = next(((cid, name) for cid, name in known.items() if token in (cid, name)), None)
        if match is None:
            raise LookupError(f"Steward is not a member of a channel called {raw!r}: invite it first (/invite @Steward)")
        out.append(match)
    return out


async def cli(settings: Any, channels: list[str], all_channels: bool, days: int | None) -> int:
    from bot.runtime import database
    from bot.services import workspace
    from bot.slack_app import build_client

    if settings.slack_bot_token is None:
        print("steward: backfill needs SLACK_BOT_TOKEN (and SLACK_API_URL for a non-Slack server)", file=sys.stderr)
        return 2
    client = build_client(settings.slack_bot_token.reveal(), settings.slack_api_url)
    try:
        auth = await client.auth_test()
        try:
            targets = await _resolve(client, channels, all_channels)
        except LookupError as exc:
            print(f"steward: {exc}", file=sys.stderr)
            return 1
        if not targets:
            print("Steward is not a member of any channel yet: nothing to backfill.")
            return 0
        from bot.clock import Clock

        now = Clock().now()
        async with database(settings) as db:
            assert db.pool is not None
            async with db.pool.connection() as conn:
                org = await workspace.org_by_team(conn, auth["team_id"])
                if org is None:
                    await workspace.ensure_org(conn, team_id=auth["team_id"], name=auth.get("team") or auth["team_id"],
                                               now=now, bot_user_id=auth.get("user_id"), bot_id=auth.get("bot_id"))
                    org = await workspace.org_by_team(conn, auth["team_id"])
            assert org is not None
            failed = 0
            for channel_id, name in targets:
                async with db.pool.connection() as conn:
                    state = await (await conn.execute(Q["backfill_get"], {"organization_id": org.id,
                                                                          "channel_id": channel_id})).fetchone()
                    memory_on = (await memory.channel_memory(conn, org.id, channel_id)).memory_enabled
                if not memory_on:
                    print(f"#{name}: memory is off in this channel (/steward memory on to allow it); skipped")
                    continue
                if state is None or state[0] in ("complete", "failed") or days is not None:
                    await request(db.pool, org.id, channel_id, days=days or DEFAULT_DAYS, now=now)
                result = await backfill_channel(db.pool, client, org.id, channel_id, now, on_progress=_progress_line("#" + name))
                if result is None:
                    print(f"#{name}: a backfill is already running in another Steward process; it will finish there")
                elif result.status != "complete":
                    failed += 1
                    print(f"\n#{name}: stopped ({result.status}); run the command again to resume")
        return 1 if failed else 0
    finally:
        session = getattr(client, "session", None)
        if session is not None:
            await session.close()
