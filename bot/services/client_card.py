"""The client card (issue 16): `/steward client <name>` shows a client's channel, assigned members, projects, open and
overdue tasks, next deploy, the last deploy with its SOP result, context notes (only for admins, managers and its
assigned members: :func:`may_read_notes`), and what Steward's memory holds about it, each fact with its source
(a permalink to the message it came from). Memory is read only from the channels the asker is in
(bot/services/context.py ``visible_channels``), as answers are."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import psycopg

from bot.blocks.clients import CARD_FACTS, Card, CardFact, CardTask, LastDeploy
from bot.services import calendar, context, deploys, search
from bot.services import clients as client_service
from bot.services.standup_settings import rhythm_of
from db.queries import Q
from db.rows import User


async def build(conn: psycopg.AsyncConnection, slack: Any, org_id: int, asker: User, client: client_service.Client,
                now: datetime) -> Card:
    """The card of ``client`` for ``asker`` as of ``now`` (aware). Overdue: due before today in the organization's
    zone. ``slack``: the Web API client (channel membership and permalinks)."""
    rhythm = await rhythm_of(conn, org_id)
    today = calendar.local_date(now, rhythm.timezone)
    members = await client_service.members_of(conn, org_id, client.id)
    projects = [r[0] for r in await (await conn.execute(Q["client_card_projects"], {"organization_id": org_id,
                                                                                      "client_id": client.id})).fetchall()]
    tasks = [CardTask(r[0], r[1], f"{r[2]:%a %d %b}" if r[2] else None, r[3], bool(r[4])) for r in await (await conn.execute(
        Q["client_card_open_tasks"], {"organization_id": org_id, "client_id": client.id, "today": today})).fetchall()]
    upcoming = await deploys.upcoming(conn, org_id, client_id=client.id)
    next_deploy = (upcoming[0].at, upcoming[0].recurrence.timezone, upcoming[0].checklist_name) if upcoming else None
    last = await (await conn.execute(Q["client_card_last_deploy"], {"organization_id": org_id, "client_id": client.id,
                                                                     "now": now})).fetchone()
    last_deploy = LastDeploy(last[0], last[1], last[2], last[3], last[4]) if last else None
    notes = await client_service.notes_of(conn, org_id, client)
    notes_hidden = bool(notes) and not may_read_notes(asker, [m.user.id for m in members])
    if notes_hidden:
        notes = None
    channels = await context.visible_channels(conn, slack, org_id, asker.slack_id, now)
    entity = search.Entity("client", context.normalise_key(client.name), client.name, client.id)
    hits = await search.recent_of_entity(conn, org_id, entity, limit=CARD_FACTS, channels=channels,
                                         home_channel=client.slack_channel_id) if channels else []
    links = await asyncio.gather(*(context.permalink(slack, h.channel_id, h.source_message_ts[0])
                                   for h in hits if h.channel_id and h.source_message_ts))
    linked = iter(links)
    facts = [CardFact(h.content, next(linked) if h.channel_id and h.source_message_ts else None,
                      f"{h.observed_at.astimezone(calendar.zone(asker.timezone)):%d %b}" if h.observed_at else None)
             for h in hits]
    return Card(client.name, client.aliases, client.slack_channel_id, client.description,
                [(m.user.slack_id, m.role) for m in members], projects, tasks, next_deploy, notes, facts,
                last_deploy=last_deploy, notes_hidden=notes_hidden)


def may_read_notes(asker: User, member_ids: list[int]) -> bool:
    """Who reads a client's context notes on its card (rates, contacts, terms: tester16 F16): admins, managers (the
    Steward role), and the client's assigned members. Anyone else sees that notes exist, not their text."""
    return asker.is_admin or asker.role == "manager" or asker.id in member_ids
