"""Who manages whom (SPEC F1, F17; issue 13): managers and roles set by admins from Slack, or imported from a
custom profile field at workspace sync.

Every manager summary, team recap, mood aggregate and escalation goes to ``users.manager_id``; this module is
the only writer of it (besides the sandbox's seed). The rules:

  * Admins set managers (`/steward manager @maya for @priya @daniel`, App Home's Team modal) and clear them
    (`/steward manager @priya none`); ``users.manager_source`` records ``admin``.
  * At workspace sync, a custom profile field labelled like "Manager" or "Reports to" holding a person (Slack's
    ``team.profile.get`` lists the fields; each person's value comes from ``users.profile.get``) is imported
    for everyone whose manager an admin did not set by hand (``manager_source`` ``slack_profile``).
  * Nobody manages themselves and the reporting line has no loop (Maya cannot report to Priya if Priya reports
    to Maya, directly or through others).
  * A person is a manager when someone reports to them: a member given reports becomes a ``manager``; a person
    with reports cannot be made a ``member`` until they are moved. Admins set roles
    (`/steward role @maya manager|admin|member`); the last admin cannot demote themselves.
  * Every change is audit-logged (``user.manager_changed``, ``user.role_changed``, actor NULL for an import).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from slack_sdk.errors import SlackApiError

from bot import slack_markup as markup
from bot.errors import InvalidInput, PermissionDenied
from bot.log import get_logger
from bot.services import security
from db.queries import Q
from db.repos.users import users_of_org
from db.rows import User

log = get_logger(__name__)

ROLES = ("admin", "manager", "member")
# A custom profile field that names someone's manager: "Manager", "Line manager", "Reports to", "Supervisor".
MANAGER_FIELD = re.compile(r"\b(?:manager|reports?\s+to|reporting\s+to|supervisor|team\s+lead|boss)\b", re.IGNORECASE)
# Slack's own type for a profile field holding people (team.profile.get, "type": "user").
USER_FIELD_TYPE = "user"
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class ManagerChange:
    """One person's manager before and after (None: no manager)."""

    person: User
    before: User | None
    after: User | None


@dataclass
class TeamResult:
    """What :func:`set_manager` did: the changes, who already had that manager, and whether the manager's role
    went from member to manager."""

    manager: User | None
    changes: list[ManagerChange] = field(default_factory=list)
    unchanged: list[User] = field(default_factory=list)
    promoted: bool = False


@dataclass
class ImportResult:
    """What :func:`import_profile_managers` did: the field it read (None: the workspace has none), how many
    managers it set or cleared, and why it read nothing (``skipped``, e.g. a missing scope)."""

    field_label: str | None = None
    set: int = 0
    cleared: int = 0
    kept_admin_choice: int = 0
    skipped: str | None = None


def name(user: User | None) -> str:
    """How Steward names a person in an answer: their mention, or "nobody"."""
    return user.mention if user is not None else "nobody"


def _chain_up(by_id: dict[int, User], start: User | None) -> list[int]:
    """The ids of ``start`` and everyone above them (their manager, the manager's manager, …)."""
    seen: list[int] = []
    current = start
    while current is not None and current.id not in seen:
        seen.append(current.id)
        current = by_id.get(current.manager_id) if current.manager_id is not None else None
    return seen


def check_line(by_id: dict[int, User], manager: User, reports: Iterable[User]) -> None:
    """Raise InvalidInput when ``manager`` would manage themselves or someone above them (a loop)."""
    above = _chain_up(by_id, manager)
    for person in reports:
        if person.id == manager.id:
            raise InvalidInput(f"{manager.mention} can't be their own manager.")
        if person.id in above:
            raise InvalidInput(f"{person.mention} already manages {manager.mention} (directly or through someone), "
                               f"so {manager.mention} can't be {person.mention}'s manager: that would make a loop.")


async def check_change(conn: psycopg.AsyncConnection, org_id: int, manager: User | None,
                       reports: Sequence[User]) -> dict[int, User]:
    """Whether ``manager`` (None: nobody) can be set for ``reports``, as :func:`set_manager` checks it before
    writing anything (a form checks it at ack time too): InvalidInput for nobody to change, someone who has left the
    workspace, or a loop (:func:`check_line`). Returns the organization's people by id."""
    if not reports:
        raise InvalidInput("Say whose manager to set: `/steward manager @maya for @priya @daniel`.")
    everyone = {u.id: u for u in await users_of_org(conn, org_id)}
    gone = [p for p in [*reports, *([manager] if manager else [])] if not p.active]
    if gone:
        raise InvalidInput(f"{gone[0].mention} has left the workspace, so I can't change their team.")
    if manager is not None:
        check_line(everyone, manager, reports)
    return everyone


async def set_manager(conn: psycopg.AsyncConnection, org_id: int, actor: User | None, manager: User | None,
                      reports: Sequence[User], *, source: str = "admin") -> TeamResult:
    """Make ``manager`` (None: nobody) the manager of each of ``reports``.

    ``source`` ``admin`` (``actor`` must be an admin: PermissionDenied, logged) or ``slack_profile`` (an import
    at sync; ``actor`` None). Raises InvalidInput for nobody to change, someone who has left the workspace, or a
    loop (:func:`check_line`); nothing is written then. A member who gets reports becomes a manager. Each change
    is audit-logged with the manager before and after."""
    if source == "admin":
        await security.require_admin(conn, organization_id=org_id, actor=actor, action="team.set_manager")
    everyone = await check_change(conn, org_id, manager, reports)
    result = TeamResult(manager=manager)
    async with conn.transaction():
        for person in dict((p.id, p) for p in reports).values():
            current = everyone.get(person.id, person)
            before = everyone.get(current.manager_id) if current.manager_id is not None else None
            after_id = manager.id if manager is not None else None
            if current.manager_id == after_id:
                result.unchanged.append(person)
                if source == "admin" and after_id is not None:
                    await conn.execute(Q["user_set_manager"], {"organization_id": org_id, "user_id": person.id,
                                                               "manager_id": after_id, "source": "admin"})
                continue
            await conn.execute(Q["user_set_manager"], {"organization_id": org_id, "user_id": person.id,
                                                       "manager_id": after_id, "source": source if after_id else None})
            await security.audit(conn, organization_id=org_id, actor=actor, action="user.manager_changed",
                                 entity_type="user", entity_id=person.id, details={
                                     "person": person.slack_id, "from": before.slack_id if before else None,
                                     "to": manager.slack_id if manager else None, "source": source})
            result.changes.append(ManagerChange(person, before, manager))
        if manager is not None and manager.role == "member":
            await conn.execute(Q["user_set_role"], {"organization_id": org_id, "user_id": manager.id, "role": "manager",
                                                    "source": None})
            await security.audit(conn, organization_id=org_id, actor=actor, action="user.role_changed", entity_type="user",
                                 entity_id=manager.id, details={"person": manager.slack_id, "from": "member",
                                                                "to": "manager", "why": "has reports", "source": source})
            result.promoted = True
    return result


async def set_role(conn: psycopg.AsyncConnection, org_id: int, actor: User, target: User, role_word: str) -> tuple[str, str]:
    """Set ``target``'s role (admin, manager or member); returns (role before, role after). Admins only
    (PermissionDenied, logged). Raises InvalidInput for another word, for making someone with reports a member,
    and PermissionDenied for the last admin demoting themselves. Audit-logged. The role is recorded as set by hand
    (``users.role_source``), so workspace sync keeps it (only ``STEWARD_ADMINS`` makes someone an admin again)."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="team.set_role")
    role = role_word.strip().lower().rstrip(".")
    if role not in ROLES:
        raise InvalidInput(f"`{role_word.strip()[:20]}` isn't a role. Say `admin`, `manager` or `member`: "
                           "`/steward role @maya manager`.")
    if not target.active:
        raise InvalidInput(f"{target.mention} has left the workspace.")
    before = target.role
    if before == role:
        return before, role
    if before == "admin" and role != "admin":
        admins = (await (await conn.execute(Q["org_admin_count"], {"organization_id": org_id})).fetchone() or [0])[0]
        if admins <= 1:
            raise PermissionDenied(f"{target.mention} is the last admin, so they stay an admin: make someone else an "
                                   "admin first (`/steward role @someone admin`).")
    if role == "member":
        reports = await reports_of(conn, org_id, target.id)
        if reports:
            names = ", ".join(r.mention for r in reports[:5]) + (f" and {len(reports) - 5} more" if len(reports) > 5 else "")
            # In a code span a mention shows as raw markup, so the commands name people as they type them.
            typed = " ".join(f"@{markup.escape(r.display_name)}" for r in reports[:5])
            raise InvalidInput(f"{target.mention} manages {names}, and a person with reports is a manager. Give them "
                               f"another manager first (`/steward manager @someone for {typed}`), or "
                               f"`/steward manager {typed} none`.")
    async with conn.transaction():
        await conn.execute(Q["user_set_role"], {"organization_id": org_id, "user_id": target.id, "role": role,
                                                "source": "admin"})
        await security.audit(conn, organization_id=org_id, actor=actor, action="user.role_changed", entity_type="user",
                             entity_id=target.id, details={"person": target.slack_id, "from": before, "to": role})
    return before, role


async def reports_of(conn: psycopg.AsyncConnection, org_id: int, manager_id: int) -> list[User]:
    """The active people whose manager is ``manager_id``, by name."""
    return sorted((u for u in await users_of_org(conn, org_id) if u.manager_id == manager_id and u.active),
                  key=lambda u: (u.display_name.lower(), u.id))


@dataclass(frozen=True)
class OrgChart:
    """The organization's reporting lines: each manager (by name) with their reports, and who has no manager."""

    managers: list[tuple[User, list[User]]]
    without_manager: list[User]
    people: dict[int, User]


async def org_chart(conn: psycopg.AsyncConnection, org_id: int) -> OrgChart:
    """Every active person placed under their manager; people with no manager listed apart."""
    people = {u.id: u for u in await users_of_org(conn, org_id) if u.active}
    by_manager: dict[int, list[User]] = {}
    for person in people.values():
        if person.manager_id is not None and person.manager_id in people:
            by_manager.setdefault(person.manager_id, []).append(person)

    def key(u: User) -> tuple[str, int]:
        return (u.display_name.lower(), u.id)

    managers = [(people[m], sorted(r, key=key)) for m, r in by_manager.items()]
    managers.sort(key=lambda item: key(item[0]))
    without = sorted((p for p in people.values() if p.manager_id is None or p.manager_id not in people), key=key)
    return OrgChart(managers, without, people)


# ---------------------------------------------------------------- the profile field, at workspace sync

def manager_field(fields: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The custom profile field (from ``team.profile.get``) that holds someone's manager: the first of Slack's
    ``user`` type whose label reads like "Manager" or "Reports to" (:data:`MANAGER_FIELD`); None if none."""
    for item in sorted(fields, key=lambda f: f.get("ordering") or 0):
        if item.get("type") == USER_FIELD_TYPE and MANAGER_FIELD.search(str(item.get("label") or "")):
            return item
    return None


def field_person(profile: dict[str, Any], field_id: str) -> str | None:
    """The Slack user id a person's profile holds in field ``field_id`` (``users.profile.get``'s
    ``profile.fields[id].value``; a user field holding several people holds them comma-separated: the first)."""
    value = str((((profile.get("fields") or {}).get(field_id)) or {}).get("value") or "")
    first = value.replace(" ", "").split(",")[0]
    return first if _SLACK_USER_ID.match(first) else None


async def import_profile_managers(conn: psycopg.AsyncConnection, client: Any, org_id: int) -> ImportResult:
    """Read the workspace's "Manager" profile field (:func:`manager_field`) and set each active person's manager
    from it, except where an admin set one by hand (``manager_source`` ``admin``); a field emptied in Slack clears
    a manager it had set. A value naming nobody Steward knows, the person themselves, or making a loop is skipped
    (and logged). Needs the ``users.profile:read`` scope: without it (or when Slack refuses) nothing is imported
    and ``skipped`` says why."""
    result = ImportResult()
    try:
        fields = ((await client.team_profile_get()).get("profile") or {}).get("fields") or []
    except SlackApiError as exc:
        result.skipped = str((exc.response or {}).get("error") or exc)
        log.warning("profile_fields_unreadable", organization_id=org_id, error=result.skipped)
        return result
    found = manager_field(fields)
    if found is None:
        return result
    result.field_label = str(found.get("label"))
    people = {u.id: u for u in await users_of_org(conn, org_id) if u.active}
    by_slack = {u.slack_id: u for u in people.values()}
    sources: dict[int, str] = dict(await (await conn.execute(Q["manager_sources"], {"organization_id": org_id})).fetchall())
    for person in sorted(people.values(), key=lambda u: u.id):
        if sources.get(person.id) == "admin":
            result.kept_admin_choice += 1
            continue
        try:
            profile = (await client.users_profile_get(user=person.slack_id)).get("profile") or {}
        except SlackApiError as exc:
            result.skipped = str((exc.response or {}).get("error") or exc)
            log.warning("profile_unreadable", organization_id=org_id, slack_id=person.slack_id, error=result.skipped)
            return result
        wanted_slack = field_person(profile, str(found.get("id")))
        current = people.get(person.id, person)
        if wanted_slack is None:
            if current.manager_id is not None and sources.get(person.id) == "slack_profile":
                await set_manager(conn, org_id, None, None, [current], source="slack_profile")
                result.cleared += 1
            continue
        manager = by_slack.get(wanted_slack)
        if manager is None or manager.id == current.manager_id:
            continue
        try:
            change = await set_manager(conn, org_id, None, manager, [current], source="slack_profile")
        except InvalidInput as exc:
            log.warning("profile_manager_skipped", organization_id=org_id, slack_id=person.slack_id, why=str(exc))
            continue
        result.set += len(change.changes)
        people = {u.id: u for u in await users_of_org(conn, org_id) if u.active}
    if result.set or result.cleared:
        await security.audit(conn, organization_id=org_id, actor=None, action="team.profile_imported",
                             entity_type="organization", entity_id=org_id,
                             details={"field": result.field_label, "set": result.set, "cleared": result.cleared})
    return result
