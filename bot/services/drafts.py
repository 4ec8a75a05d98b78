"""Drafts (SPEC F2): words become a draft, the person confirms, the draft becomes tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.services import tasks as task_service
from db.queries import Q
from db.rows import Task, User

DRAFT_TTL = timedelta(hours=24)


@dataclass
class Draft:
    id: int
    organization_id: int
    user_id: int
    raw_text: str
    parsed: dict[str, Any]
    parser: str | None
    status: str
    expires_at: datetime | None
    preview_channel_id: str | None
    preview_ts: str | None
    source_channel_id: str | None = None  # where the words were written (a DM, a channel)
    source_ts: str | None = None

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.parsed.get("tasks") or [])

    @property
    def update_day(self) -> date | None:
        """The standup day (a date) whose update these words may be, when the preview offers that."""
        raw = self.parsed.get("update_day")
        return date.fromisoformat(raw) if isinstance(raw, str) else None


def item_from_parsed(p: Any, clients: dict[str, int], projects: dict[str, int]) -> dict[str, Any]:
    """A ParsedTask as the JSON a draft keeps (ids resolved against this organization)."""
    return {
        "title": p.title,
        "due_date": p.due_date.isoformat() if p.due_date else None,
        "due_at": p.due_at.isoformat() if p.due_at and p.has_time else None,
        "task_type": p.task_type, "size": p.size, "weight": p.weight,
        "priority": {"normal": "medium"}.get(p.priority, p.priority),
        "client": p.client, "client_id": clients.get(p.client) if p.client else None,
        "project": p.project, "project_id": projects.get(p.project) if p.project else None,
        "no_rush": bool(getattr(p, "no_rush", False)),
    }


async def create(conn: psycopg.AsyncConnection, org_id: int, user: User, raw_text: str, items: list[dict[str, Any]], *,
                 parser: str, now: datetime, source: str = "dm", note: str | None = None,
                 source_channel_id: str | None = None, source_ts: str | None = None, update_day: date | None = None) -> Draft:
    """A pending draft of ``items`` (expires after DRAFT_TTL). ``update_day``: the standup day these words
    may instead be the person's update for (the preview then offers that; see ``Draft.update_day``)."""
    parsed: dict[str, Any] = {"tasks": items, "note": note}
    if update_day is not None:
        parsed["update_day"] = update_day.isoformat()
    row = await (await conn.execute(Q["draft_insert"], {
        "organization_id": org_id, "user_id": user.id, "raw_text": raw_text, "parsed": Jsonb(parsed), "parser": parser,
        "source": source, "source_channel_id": source_channel_id, "source_ts": source_ts, "expires_at": now + DRAFT_TTL,
    })).fetchone()
    return await get(conn, org_id, row[0])  # type: ignore[index]


async def get(conn: psycopg.AsyncConnection, org_id: int, draft_id: int, *, for_update: bool = False) -> Draft:
    query = Q["draft_get_for_update"] if for_update else Q["draft_get"]
    row = await (await conn.execute(query, {"organization_id": org_id, "id": draft_id})).fetchone()
    if row is None:
        raise NotFound("That draft is gone (drafts are cleaned up after a while). Just tell me again.")
    return Draft(*row)


async def discard(conn: psycopg.AsyncConnection, org_id: int, draft_id: int) -> None:
    """Delete a pending draft that was never shown (its preview could not be posted)."""
    await conn.execute(Q["draft_discard_pending"], {"organization_id": org_id, "id": draft_id})


async def set_preview(conn: psycopg.AsyncConnection, draft: Draft, channel: str, ts: str) -> None:
    await conn.execute(Q["draft_set_preview"], {"organization_id": draft.organization_id, "id": draft.id, "channel_id": channel,
                                                "ts": ts})


def check_open(draft: Draft, actor: User, now: datetime) -> None:
    if draft.user_id != actor.id:
        raise PermissionDenied("That draft belongs to someone else.")
    if draft.status == "confirmed":
        raise InvalidInput("This draft is already confirmed. \u2705")
    if draft.status == "rejected":
        raise InvalidInput("This draft was cancelled.")
    if draft.status == "expired" or (draft.expires_at is not None and draft.expires_at <= now):
        raise DraftExpired("This draft expired (drafts last 24 hours). Tell me again and I'll make a fresh one.")


class DraftExpired(InvalidInput):
    pass


async def confirm(conn: psycopg.AsyncConnection, org_id: int, actor: User, draft_id: int, now: datetime) -> tuple[Draft, list[Task]]:
    async with conn.transaction():
        draft = await get(conn, org_id, draft_id, for_update=True)
        try:
            check_open(draft, actor, now)
        except DraftExpired:
            await conn.execute(Q["draft_expire"], {"organization_id": org_id, "id": draft_id})
            raise
        if not draft.items:
            raise InvalidInput("There's nothing in this draft to confirm.")
        created = []
        for item in draft.items:
            new = task_service.NewTask(
                title=item["title"], due_date=date.fromisoformat(item["due_date"]) if item.get("due_date") else None,
                due_at=datetime.fromisoformat(item["due_at"]) if item.get("due_at") else None,
                task_type=item.get("task_type"), size=item.get("size"), weight=int(item.get("weight") or 1),
                priority=item.get("priority") or "medium", client_id=item.get("client_id"), project_id=item.get("project_id"),
            )
            created.append(await task_service.create(conn, org_id, actor, actor.id, new, source="dm", draft_id=draft.id,
                                                     said_in=draft.source_channel_id))
        await conn.execute(Q["draft_confirm"], {"organization_id": org_id, "id": draft_id, "now": now})
    return await get(conn, org_id, draft_id), created


async def cancel(conn: psycopg.AsyncConnection, org_id: int, actor: User, draft_id: int, now: datetime) -> Draft:
    async with conn.transaction():
        draft = await get(conn, org_id, draft_id, for_update=True)
        check_open(draft, actor, now)
        await conn.execute(Q["draft_reject"], {"organization_id": org_id, "id": draft_id, "now": now})
    return await get(conn, org_id, draft_id)


async def edit_item(conn: psycopg.AsyncConnection, org_id: int, actor: User, draft_id: int, index: int,
                    changes: dict[str, Any], now: datetime) -> Draft:
    async with conn.transaction():
        draft = await get(conn, org_id, draft_id, for_update=True)
        check_open(draft, actor, now)
        items = draft.items
        if not 0 <= index < len(items):
            raise NotFound("That task isn't in the draft any more.")
        items[index] = {**items[index], **changes}
        await conn.execute(Q["draft_set_parsed"], {"organization_id": org_id, "id": draft_id,
                                                   "parsed": Jsonb({**draft.parsed, "tasks": items})})
    return await get(conn, org_id, draft_id)


async def by_source(conn: psycopg.AsyncConnection, org_id: int, user_id: int, channel_id: str, ts: str) -> Draft | None:
    """The newest draft ``user_id`` made from the message ``ts`` in ``channel_id``, if any."""
    row = await (await conn.execute(Q["draft_by_source"], {"organization_id": org_id, "user_id": user_id, "channel_id": channel_id,
                                                           "ts": ts})).fetchone()
    return await get(conn, org_id, row[0]) if row else None


async def replace_items(conn: psycopg.AsyncConnection, org_id: int, actor: User, draft_id: int, raw_text: str,
                        items: list[dict[str, Any]], *, parser: str, now: datetime, note: str | None = None) -> Draft:
    """A pending draft re-read from its edited message: new words, new tasks (raises like Confirm when the
    draft is not the actor's or no longer pending)."""
    async with conn.transaction():
        draft = await get(conn, org_id, draft_id, for_update=True)
        check_open(draft, actor, now)
        await conn.execute(Q["draft_replace"], {"organization_id": org_id, "id": draft_id, "raw_text": raw_text, "parser": parser,
                                                "parsed": Jsonb({**draft.parsed, "tasks": items, "note": note})})
    return await get(conn, org_id, draft_id)


async def task_display_ids(conn: psycopg.AsyncConnection, org_id: int, draft_id: int) -> list[str]:
    """The tasks a confirmed draft made (``T-n``)."""
    rows = await (await conn.execute(Q["draft_task_display_ids"], {"organization_id": org_id, "id": draft_id})).fetchall()
    return [r[0] for r in rows]


def is_expired(draft: Draft, now: datetime) -> bool:
    return draft.status == "expired" or (draft.status == "pending" and draft.expires_at is not None and draft.expires_at <= now)
