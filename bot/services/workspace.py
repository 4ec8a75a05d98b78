"""Workspace sync (SPEC F1): the Slack team becomes an organization, its people users.

Deactivated Slack users become inactive, never deleted. ``STEWARD_ADMINS`` (Slack ids or
emails) are made admins; with none configured, the workspace's owners are. A person first
seen in an event is created on the spot from ``users.info``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb
from slack_sdk.errors import SlackApiError

from bot.errors import InvalidInput
from bot.log import get_logger
from bot.parsing.locales import DATE_ORDER_CHOICES, effective_date_order
from bot.parsing.models import DateOrder
from bot.services import security
from bot.services import team as team_service
from db.queries import Q
from db.repos.users import org_by_team, user_by_id, user_by_slack_id, users_of_org
from db.rows import Organization, User

log = get_logger(__name__)

# Data access lives in db/repos; these names stay here for the services that use them.
__all__ = ["org_by_team", "user_by_id", "user_by_slack_id", "users_of_org"]

# Called inside the creating transaction when an organization is first created (features
# add their defaults here: pipeline stages, task types...).
OrgCreatedHook = Callable[[psycopg.AsyncConnection, int], Awaitable[None]]
ORG_CREATED_HOOKS: list[OrgCreatedHook] = []


@dataclass
class SyncResult:
    organization_id: int
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped_bots: int = 0
    admins: int = 0
    managers_imported: int = 0  # managers set or cleared from the Slack profile's "Manager" field


def _valid_tz(tz: str | None) -> str:
    if not tz:
        return "UTC"
    try:
        ZoneInfo(tz)
        return tz
    except Exception:
        return "UTC"


def _valid_locale(locale: object) -> str | None:
    """Slack's ``locale`` ("en-GB"), present only when asked for with include_locale; None otherwise."""
    if isinstance(locale, str) and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}", locale):
        return locale
    return None


async def member_locale(client: Any, slack_id: str) -> str | None:
    """A member's Slack locale from ``users.info`` with include_locale; None when Slack does not say."""
    try:
        member = (await client.users_info(user=slack_id, include_locale=True)).get("user") or {}
    except SlackApiError:
        log.warning("users_info_failed", slack_id=slack_id)
        return None
    return _valid_locale(member.get("locale"))


def date_order_of(user: User) -> DateOrder:
    """How ``user`` writes numeric dates: their own choice (`/steward dates`) or their Slack locale's order."""
    return effective_date_order(user.locale, user.date_order)


async def set_date_order(conn: psycopg.AsyncConnection, org_id: int, user: User, choice: str) -> DateOrder:
    """Record ``user``'s date order: "day-first", "month-first" or "auto" (follow the Slack locale).

    Returns the order now in effect. Raises InvalidInput for another word.
    """
    word = choice.strip().lower()
    if word not in DATE_ORDER_CHOICES:
        raise InvalidInput("Say `/steward dates day-first` (3/4 is 3 April), `/steward dates month-first` "
                           "(3/4 is 4 March) or `/steward dates auto` (follow your Slack language and region).")
    stored = DATE_ORDER_CHOICES[word]
    await conn.execute(Q["user_set_date_order"], {"organization_id": org_id, "user_id": user.id, "date_order": stored})
    return effective_date_order(user.locale, stored)


def _is_person(member: dict[str, Any]) -> bool:
    return not (member.get("is_bot") or member.get("is_app_user") or member.get("id") == "USLACKBOT")



async def ensure_org(conn: psycopg.AsyncConnection, *, team_id: str, name: str, now: datetime,
                     team_domain: str | None = None, bot_user_id: str | None = None, bot_id: str | None = None,
                     app_id: str | None = None) -> int:
    """The organization of a Slack team, created (with its defaults) the first time."""
    async with conn.transaction():
        await conn.execute(Q["org_lock_team"], {"team_id": team_id})
        existing = await org_by_team(conn, team_id)
        if existing is None:
            org_id = (await (await conn.execute(Q["org_insert"], {"name": name or team_id})).fetchone())[0]  # type: ignore[index]
            from bot.services import tasks  # the defaults every organization starts with

            await tasks.create_defaults(conn, org_id)
            for hook in ORG_CREATED_HOOKS:
                await hook(conn, org_id)
            log.info("organization_created", organization_id=org_id, team_id=team_id)
        else:
            org_id = existing.id
            await conn.execute(Q["org_rename"], {"organization_id": org_id, "name": name or existing.name})
        await conn.execute(Q["connection_upsert"], {
            "organization_id": org_id, "team_id": team_id, "team_name": name, "team_domain": team_domain,
            "bot_user_id": bot_user_id, "bot_id": bot_id, "app_id": app_id, "now": now,
        })
    return org_id





def _wants_admin(member: dict[str, Any], admins: Iterable[str]) -> bool:
    email = ((member.get("profile") or {}).get("email") or "").lower()
    wanted = {a.lower() for a in admins}
    return member.get("id", "").lower() in wanted or (bool(email) and email in wanted)


def slack_status(profile: dict[str, Any]) -> dict[str, Any]:
    """A Slack profile's status as stored (users.slack_status_*): its text, emoji and expiry (Slack's
    ``status_expiration``, epoch seconds, 0 = none, as an aware UTC datetime or None), and whether the
    profile said anything about it (a profile without status keys leaves the stored status alone)."""
    known = any(k in profile for k in ("status_text", "status_emoji", "status_expiration"))
    text = " ".join(str(profile.get("status_text") or "").split())[:500] or None
    emoji = str(profile.get("status_emoji") or "").strip()[:200] or None
    try:
        expiration = int(profile.get("status_expiration") or 0)
    except (TypeError, ValueError):
        expiration = 0
    expires = datetime.fromtimestamp(expiration, UTC) if expiration > 0 else None
    return {"status_known": known, "status_text": text, "status_emoji": emoji, "status_expires_at": expires}


async def upsert_member(conn: psycopg.AsyncConnection, org_id: int, team_id: str, member: dict[str, Any], *,
                        now: datetime, make_admin: bool = False, configured_admin: bool = False) -> tuple[int, bool]:
    """Create or refresh one Slack member (their Slack status too, :func:`slack_status`) as of ``now`` (aware); returns
    (user id, created).

    ``make_admin``: they should be an admin (a workspace owner when STEWARD_ADMINS is unset, or listed in it:
    ``configured_admin``). An existing person whose role an admin set by hand (``users.role_source``) keeps it,
    unless they are listed in STEWARD_ADMINS, which always wins. A role changed here is audit-logged
    (``user.role_changed``, no actor, ``source`` ``workspace_sync``). When an existing member's status changed, their
    open blockers' and overdue tasks' next rungs are recomputed in the same transaction
    (:func:`bot.services.escalation_sweep.reschedule_person`): a status that says away pauses their ladders' clocks."""
    profile = member.get("profile") or {}
    values = {
        **slack_status(profile),
        "organization_id": org_id, "now": now,
        "email": profile.get("email") or None,
        "display_name": (profile.get("display_name") or member.get("name") or profile.get("real_name") or member["id"])[:200],
        "real_name": (profile.get("real_name") or member.get("real_name") or None),
        "timezone": _valid_tz(member.get("tz")),
        "locale": _valid_locale(member.get("locale")),
        "active": not member.get("deleted", False),
        "make_admin": make_admin, "configured_admin": configured_admin,
    }
    ident = {"username": member.get("name"), "profile": Jsonb({k: profile.get(k) for k in ("title", "image_72", "status_text") if profile.get(k)})}
    async with conn.transaction():
        existing = await user_by_slack_id(conn, org_id, member["id"])
        if existing is not None:
            row = await (await conn.execute(Q["user_update_from_slack"], {**values, "user_id": existing.id})).fetchone()
            role, status_changed = (row[0], bool(row[1])) if row is not None else (existing.role, False)
            await conn.execute(Q["identity_update"], {**ident, "organization_id": org_id, "user_id": existing.id})
            if role != existing.role:
                await security.audit(conn, organization_id=org_id, actor=None, action="user.role_changed",
                                     entity_type="user", entity_id=existing.id, details={
                                         "person": existing.slack_id, "from": existing.role, "to": role,
                                         "source": "workspace_sync",
                                         "why": "STEWARD_ADMINS" if configured_admin else "workspace owner"})
            if status_changed:
                # A status that says away (or no longer does) moves their ladders' due times, in this transaction;
                # only when it really changed, not at every sync of every member.
                from bot.services import escalation_sweep

                await escalation_sweep.reschedule_person(conn, org_id, existing.id, now)
            return existing.id, False
        user_id = (await (await conn.execute(Q["user_insert"], {**values, "role": "admin" if make_admin else "member"})).fetchone())[0]  # type: ignore[index]
        inserted = await (await conn.execute(Q["identity_insert"], {
            **ident, "organization_id": org_id, "user_id": user_id, "team_id": team_id, "slack_id": member["id"]})).fetchone()
        if inserted is None:
            # Another process created this person a moment ago: keep theirs, drop ours.
            raise _Raced()
    return user_id, True


class _Raced(Exception):
    pass


async def sync_workspace(conn: psycopg.AsyncConnection, client: Any, *, admins: Iterable[str], now: datetime) -> SyncResult:
    auth = await client.auth_test()
    team_id = auth["team_id"]
    try:
        team = (await client.team_info()).get("team") or {}
    except Exception:
        team = {}
    org_id = await ensure_org(conn, team_id=team_id, name=team.get("name") or auth.get("team") or team_id, now=now,
                              team_domain=team.get("domain"), bot_user_id=auth.get("user_id"), bot_id=auth.get("bot_id"),
                              app_id=auth.get("app_id"))
    admins = tuple(admins)
    result = SyncResult(organization_id=org_id)
    members: list[dict[str, Any]] = []
    cursor = None
    while True:
        # include_locale: Slack returns each person's locale only when asked (their date order)
        args: dict[str, Any] = {"limit": 200, "include_locale": True}
        page = await client.users_list(**args, cursor=cursor) if cursor else await client.users_list(**args)
        members.extend(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    no_admin_configured = not admins
    for member in members:
        if not _is_person(member):
            result.skipped_bots += 1
            continue
        configured = _wants_admin(member, admins)
        make_admin = configured or (no_admin_configured and bool(member.get("is_owner") or member.get("is_primary_owner")))
        try:
            _, created = await upsert_member(conn, org_id, team_id, member, now=now, make_admin=make_admin,
                                             configured_admin=configured)
        except _Raced:
            _, created = await upsert_member(conn, org_id, team_id, member, now=now, make_admin=make_admin,
                                             configured_admin=configured)
        result.created += created
        result.updated += not created
        result.deactivated += bool(member.get("deleted"))
        result.admins += make_admin
    # who manages whom, from a "Manager" profile field (issue 13)
    imported = await team_service.import_profile_managers(conn, client, org_id)
    result.managers_imported = imported.set + imported.cleared
    log.info("workspace_synced", organization_id=org_id, created=result.created, updated=result.updated,
             deactivated=result.deactivated, managers_imported=result.managers_imported,
             manager_field=imported.field_label, manager_import_skipped=imported.skipped)
    return result


async def ensure_user(conn: psycopg.AsyncConnection, client: Any, org: Organization, slack_id: str, *,
                      admins: Iterable[str], now: datetime) -> User | None:
    """The Steward user for a Slack id, created on the spot when first seen."""
    user = await user_by_slack_id(conn, org.id, slack_id)
    if user is not None:
        return user
    try:
        member = (await client.users_info(user=slack_id, include_locale=True)).get("user")
    except Exception:
        log.warning("users_info_failed", slack_id=slack_id)
        member = None
    if not member or not _is_person(member):
        return None
    try:
        wanted = _wants_admin(member, admins)
        await upsert_member(conn, org.id, org.team_id, member, now=now, make_admin=wanted, configured_admin=wanted)
    except _Raced:
        pass
    return await user_by_slack_id(conn, org.id, slack_id)
