"""The recognition feed of a report (issue 14: "no leaderboard: the weekly report shows a recognition feed"; issue
15: "credited interventions and recognition").

A feed, not a ranking: what happened, oldest first, one line each, for the people a report is about: kudos (who gave
them and why), automatic recognitions (streaks, milestones) and confirmed help (who helped whom with what, and how
long). Nothing is counted per person or sorted by amount, so a loud role does not top a table; pending and declined
help is never shown (:func:`bot.services.interventions.credited_interventions`).

:func:`feed` reads the rows (one organization, a period of local dates in the organization's zone); :func:`lines` is
pure and gives the words, at most ``limit`` lines plus a closing "and N more"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from bot.services import calendar
from bot.services.interventions import credited_interventions, spent
from db.queries import Q
from db.repos.users import users_by_ids

FEED_LIMIT = 8  # lines in a report: the feed stays a one-minute read (issue 15)


@dataclass(frozen=True)
class Recognised:
    """One recognition as the feed reads it (sql/queries/recognition.sql ``recognition_feed``)."""

    kind: str  # kudos, streak, milestone
    user_id: int
    name: str
    from_name: str | None
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class Entry:
    """One line of the feed: when it happened (aware) and its words (Slack mrkdwn, names as plain text)."""

    at: datetime
    text: str


def _day(at: datetime, tz: str) -> str:
    d = calendar.local_date(at, tz)
    return f"{d:%a} {d.day} {d:%b}"


def entries(recognised: Sequence[Recognised], helped: Sequence[tuple[str, str | None, str, int | None, datetime]],
            tz: str) -> list[Entry]:
    """The feed's entries, oldest first. ``recognised``: kudos, streaks and milestones; ``helped``: confirmed help as
    (helper's name, helped person's name or None, what was done, minutes or None, when). Days are shown in ``tz``
    (IANA name)."""
    out: list[Entry] = []
    for r in recognised:
        when = _day(r.created_at, tz)
        if r.kind == "kudos":
            giver = r.from_name or "someone who has left"
            out.append(Entry(r.created_at, f":clap: {when}: {giver} to {r.name}: “{r.reason}”"))
        elif r.kind == "streak":
            out.append(Entry(r.created_at, f":fire: {when}: {r.name}, {r.reason}"))
        else:
            out.append(Entry(r.created_at, f":trophy: {when}: {r.name}, {r.reason}"))
    for helper, helped_name, what, minutes, at in helped:
        took = f" ({spent(minutes)})" if minutes else ""
        whom = f" {helped_name}" if helped_name else ""
        out.append(Entry(at, f":handshake: {_day(at, tz)}: {helper} helped{whom}: {what}{took}"))
    return sorted(out, key=lambda e: e.at)


def lines(feed: Sequence[Entry], *, limit: int = FEED_LIMIT) -> list[str]:
    """At most ``limit`` of the feed's newest entries, oldest first, then "…and N more" when some were left out."""
    if len(feed) <= limit:
        return [e.text for e in feed]
    return [e.text for e in feed[-limit:]] + [f"…and {len(feed) - limit} more in `/steward my-data` of each person."]


async def feed(conn: psycopg.AsyncConnection, org_id: int, user_ids: Sequence[int], first: date, last: date,
               tz: str) -> list[Entry]:
    """The recognition feed of ``user_ids`` for the local dates ``first``..``last`` (inclusive, in ``tz``): kudos and
    automatic recognitions they received, and confirmed help they gave (credited to the helper). Oldest first."""
    since, until = calendar.at_local(first, calendar.MIDNIGHT, tz), calendar.end_of_local_day(last, tz)
    cur = conn.cursor(row_factory=class_row(Recognised))
    await cur.execute(Q["recognition_feed"], {"organization_id": org_id, "user_ids": list(user_ids),
                                              "since": since, "until": until})
    recognised = list(await cur.fetchall())
    credited = [c for c in await credited_interventions(conn, org_id, since, until) if c.user_id in set(user_ids)]
    ids = {c.user_id for c in credited} | {c.helped_user_id for c in credited if c.helped_user_id is not None}
    names = {u.id: u.display_name for u in await users_by_ids(conn, org_id, sorted(ids))} if ids else {}
    helped = [(names.get(c.user_id, "someone"), names.get(c.helped_user_id) if c.helped_user_id else None,
               c.description, c.minutes, c.occurred_at) for c in credited]
    return entries(recognised, helped, tz)
