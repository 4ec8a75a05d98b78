"""What every job shares: running once per organization, waking the dispatcher after queueing, and the
people calendar's view of a team (their rhythm, people and absences)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from bot.deps import Deps
from bot.log import get_logger
from bot.services import calendar, ooo, standup_settings
from bot.services.calendar import Person, PersonalDay, Rhythm
from bot.services.standup_threads import MorningThread
from db.repos import users as user_repo
from db.rows import User

log = get_logger(__name__)

OrgJob = Callable[[Deps, int, datetime], Awaitable[Any]]
# The daily jobs look back this far for threads whose pings are still due: a check-in or summary held
# over a weekend and a holiday, or a far-east teammate's day after the team's.
LOOKBACK_DAYS = 10


def wake_dispatcher(deps: Deps) -> None:
    """Let the notification dispatcher (``deps.extras["dispatcher"]``, absent in one-off CLI runs) deliver
    what a job just queued without waiting for its next poll."""
    dispatcher = deps.extras.get("dispatcher")
    if dispatcher is not None:
        dispatcher.wake()


async def for_each_org(deps: Deps, now: datetime, fn: OrgJob) -> dict[str, Any]:
    """Run ``fn(deps, org_id, now)`` for every organization with settings that this run may work on
    (:meth:`Deps.in_scope`: the scheduler's claim, and only organizations whose bot token this process
    holds); one failing does not stop the others.

    Returns ``{str(org_id): fn's result}``, or ``{"error": "<type>: <message>"}`` (at most 300 characters)
    for an organization whose run raised; the dispatcher is woken once at the end."""
    async with deps.pool.connection() as conn:
        org_ids = await deps.in_scope(await standup_settings.organizations(conn))
    results: dict[str, Any] = {}
    for org_id in org_ids:
        try:
            results[str(org_id)] = await fn(deps, org_id, now)
        except Exception as exc:
            log.exception("rhythm_job_failed_for_org", organization_id=org_id, job=getattr(fn, "__module__", "?"))
            results[str(org_id)] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    wake_dispatcher(deps)
    return results


async def channel_members(deps: Deps, org_id: int, channel_id: str) -> list[str]:
    """Every member's Slack user id in ``channel_id`` of organization ``org_id``'s workspace (asked with its own
    token), following ``conversations.members``' cursor pages (1,000 a page, Slack's documented maximum).
    Raises ``slack_sdk.errors.SlackApiError`` as Slack answers, ``bot.tenants.NotServed`` without its token."""
    client = deps.slack_for(org_id)
    members: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_members(channel=channel_id, limit=1000, **({"cursor": cursor} if cursor else {}))
        members.extend(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


@dataclass(frozen=True)
class Team:
    """One organization's rhythm and the people calendar's view of the given users (their timezones and
    absences), for the daily jobs."""

    rhythm: Rhythm
    users: dict[int, User]
    people: dict[int, Person]

    def person(self, user_id: int) -> Person:
        return self.people.get(user_id) or Person(timezone=None)

    def day(self, user_id: int, thread_date: date, started_at: datetime | None = None) -> PersonalDay:
        """The user's day for the thread of ``thread_date`` (see bot/services/calendar.py)."""
        return calendar.day_for(self.rhythm, self.person(user_id), thread_date, started_at)

    def day_of(self, user_id: int, thread: MorningThread) -> PersonalDay:
        return self.day(user_id, thread.thread_date, thread.started_at)


async def load_team(conn: psycopg.AsyncConnection, org_id: int, rhythm: Rhythm, user_ids: Iterable[int], now: datetime, *,
                    with_managers: bool = False) -> Team:
    """The Team view of ``user_ids`` (inactive people included: callers decide) with absences around ``now``;
    ``with_managers`` adds each one's manager."""
    users = {u.id: u for u in await user_repo.users_by_ids(conn, org_id, sorted(set(user_ids)))}
    managers = {u.manager_id for u in users.values() if u.manager_id is not None} - set(users) if with_managers else set()
    if managers:
        users.update({u.id: u for u in await user_repo.users_by_ids(conn, org_id, sorted(managers))})
    today = calendar.local_date(now, rhythm.timezone)
    people = await ooo.people(conn, org_id, list(users.values()), today)
    return Team(rhythm, users, people)


def since(now: datetime, rhythm: Rhythm) -> date:
    """The first thread date the daily jobs still look at (LOOKBACK_DAYS before the team's today)."""
    return calendar.local_date(now, rhythm.timezone) - timedelta(days=LOOKBACK_DAYS)
