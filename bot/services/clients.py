"""Clients and projects (SPEC F12): what tasks and memory are about. Admins manage them.

Issue 16 adds a client's aliases (``client_aliases``), its assigned members (``client_members``: set by admins, and by
managers assigned to the client), its context notes, and the client matching every feature shares
(:func:`client_for_context`): a task or a fact names its client by name or alias; failing that, the client whose
channel it was said in; failing that, the only client its owner (or author) is assigned to."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import psycopg

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.log import get_logger
from bot.services import security
from db.queries import Q
from db.repos.users import users_by_ids, users_by_slack_ids
from db.rows import User

log = get_logger(__name__)

# An alias, like a client's name, is at most this long (sql/migrations/0020_client_aliases.sql checks it too).
MAX_ALIAS = 120
# The context notes modal's field: Slack's plain_text_input allows up to 3000 characters.
MAX_NOTES = 3000


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    slack_channel_id: str | None
    description: str | None
    open_tasks: int
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The client's name, then its aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    client_name: str | None
    slack_channel_id: str | None
    open_tasks: int


def _name(raw: str, what: str) -> str:
    name = " ".join(raw.split()).strip(" \"'")[:120]
    if not name:
        raise InvalidInput(f"The {what} needs a name.")
    return name


async def list_clients(conn: psycopg.AsyncConnection, org_id: int) -> list[Client]:
    """The organization's active clients by name (any case), each with its open task count and aliases."""
    rows = await (await conn.execute(Q["clients_with_open_counts"], {"organization_id": org_id})).fetchall()
    aliases: dict[int, list[str]] = {}
    for client_id, alias in await (await conn.execute(Q["client_aliases_of_org"], {"organization_id": org_id})).fetchall():
        aliases.setdefault(int(client_id), []).append(alias)
    return [Client(int(r[0]), r[1], r[2], r[3], int(r[4]), tuple(aliases.get(int(r[0]), ()))) for r in rows]


async def list_projects(conn: psycopg.AsyncConnection, org_id: int) -> list[Project]:
    rows = await (await conn.execute(Q["projects_with_open_counts"], {"organization_id": org_id})).fetchall()
    return [Project(*r) for r in rows]


def _find(items: list, name: str, what: str):  # type: ignore[no-untyped-def,type-arg]
    wanted = name.strip().lower()
    exact = [i for i in items if i.name.lower() == wanted]
    if exact:
        return exact[0]
    loose = [i for i in items if i.name.lower().startswith(wanted)]
    if len(loose) == 1:
        return loose[0]
    known = ", ".join(i.name for i in items) or "none yet"
    raise NotFound(f"I don't know a {what} called `{markup.escape(name.strip()[:60])}`. {what.title()}s: {known}.")


_QUOTES = " \"'\u201c\u201d\u2018\u2019"


def plain_name(name: str) -> str:
    """A name as typed in Slack, as stored: Slack's entities decoded (``Smith &amp; Jones`` is ``Smith & Jones``:
    Slack escapes ``&``, ``<`` and ``>`` in what it sends), spaces collapsed, quotes around it dropped (tester16 #5)."""
    return " ".join(markup.read(name or "").plain.split()).strip(_QUOTES)


def find_client(clients: list[Client], name: str) -> Client:
    """The client called ``name`` or having it as an alias (any case), or the only one whose name starts with it.
    ``name`` as Slack sends it (entities decoded, quotes dropped: :func:`plain_name`). Raises NotFound listing the
    known clients."""
    plain = plain_name(name)
    wanted = plain.lower()
    by_alias = [c for c in clients if any(a.lower() == wanted for a in c.aliases)]
    if by_alias and not any(c.name.lower() == wanted for c in clients):
        return by_alias[0]
    found: Client = _find(clients, plain, "client")
    return found


def find_project(projects: list[Project], name: str) -> Project:
    """The active project called ``name`` (any case), or the only one whose name starts with it.
    Raises NotFound listing the known projects (how an admin adds one when there are none)."""
    if not projects:
        raise NotFound(f"I don't know a project called `{markup.escape(name.strip()[:60])}`: there are no projects yet "
                       "(an admin adds one with `/steward project add <name>`).")
    found: Project = _find(projects, name, "project")
    return found


def client_for_channel(clients: list[Client], channel_id: str) -> Client | None:
    """The client whose channel ``channel_id`` is (a channel belongs to at most one client)."""
    return next((c for c in clients if c.slack_channel_id == channel_id), None)


async def add_client(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str, channel_id: str | None,
                     description: str | None = None,
                     on_restore: Callable[[int], Awaitable[object]] | None = None) -> tuple[Client, bool]:
    """`/steward client add <name> [#channel] [— description]` (admins): (the client, whether it was an archived
    client of that name brought back, with its members, aliases and notes: tester16 #10). ``name`` as Slack sends it
    (:func:`plain_name`). Raises PermissionDenied (logged), InvalidInput for an empty name or an active client of
    that name (any case) or alias. ``on_restore(client_id)``, when given, runs inside the same transaction when an
    archived client comes back (the listener catches up its deploy schedules: deploys.resume_after_restore)."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="client.add")
    name = _name(plain_name(name), "client")
    existing = await list_clients(conn, org_id)
    taken = next((c for c in existing if any(n.lower() == name.lower() for n in c.names())), None)
    if taken is not None:
        said = "" if taken.name.lower() == name.lower() else f" ({markup.mrkdwn(taken.name)} goes by that name)"
        raise InvalidInput(f"There's already a client called {markup.mrkdwn(name)}{said}.")
    async with conn.transaction():
        row = await (await conn.execute(Q["client_insert"], {"organization_id": org_id, "name": name,
                                                              "channel_id": channel_id, "description": description})).fetchone()
        assert row is not None  # no active client has the name (checked above; the upsert skips only active ones)
        await security.audit(conn, organization_id=org_id, actor=actor,
                             action="client.restored" if row[1] else "client.added", entity_type="client",
                             entity_id=int(row[0]), details={"name": name, "channel": channel_id})
        if row[1] and on_restore is not None:
            await on_restore(int(row[0]))
    return next(c for c in await list_clients(conn, org_id) if c.id == int(row[0])), bool(row[1])


async def add_project(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str, client_name: str | None,
                      channel_id: str | None) -> Project:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="project.add")
    name = _name(name, "project")
    client = find_client(await list_clients(conn, org_id), client_name) if client_name else None
    if any(p.name.lower() == name.lower() for p in await list_projects(conn, org_id)):
        raise InvalidInput(f"There's already a project called {name}.")
    async with conn.transaction():
        await conn.execute(Q["project_insert"], {"organization_id": org_id, "name": name, "client_id": client.id if client else None,
                                                 "channel_id": channel_id, "owner_id": actor.id})
        await security.audit(conn, organization_id=org_id, actor=actor, action="project.added", entity_type="project",
                             entity_id=name, details={"client": client.name if client else None, "channel": channel_id})
    return _find(await list_projects(conn, org_id), name, "project")


async def remove_client(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str) -> Client:
    """Archive (not delete): past tasks and memory keep their client."""
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="client.remove")
    client = find_client(await list_clients(conn, org_id), name)
    async with conn.transaction():
        await conn.execute(Q["client_archive"], {"organization_id": org_id, "id": client.id})
        await security.audit(conn, organization_id=org_id, actor=actor, action="client.archived", entity_type="client",
                             entity_id=client.id, details={"name": client.name})
    return client


async def remove_project(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str, now: object) -> Project:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="project.remove")
    project = _find(await list_projects(conn, org_id), name, "project")
    async with conn.transaction():
        await conn.execute(Q["project_archive"], {"organization_id": org_id, "id": project.id, "now": now})
        await security.audit(conn, organization_id=org_id, actor=actor, action="project.archived", entity_type="project",
                             entity_id=project.id, details={"name": project.name})
    return project


# ---------------------------------------------------------------- who may manage a client (issue 16)

async def refused(conn: psycopg.AsyncConnection, org_id: int, actor: User | None, action: str, message: str,
                  **details: object) -> InvalidInput:
    """Log a refused request (bad input: ``security_audit_logs`` event ``<action>.refused``, threat level none, as
    kudos does) and return the InvalidInput to raise; nothing was written."""
    await security.record(conn, organization_id=org_id, event_type=f"{action}.refused", threat_level="none",
                          description=message[:500], user_id=getattr(actor, "id", None),
                          slack_user_id=getattr(actor, "slack_id", None), details={k: str(v)[:200] for k, v in details.items()})
    log.info("client_request_refused", action=action, organization_id=org_id)
    return InvalidInput(message)


async def may_manage(conn: psycopg.AsyncConnection, org_id: int, actor: User, client: Client) -> bool:
    """Admins manage every client; a manager manages the clients they are assigned to (``client_members``)."""
    if actor.is_admin:
        return True
    if actor.role != "manager":
        return False
    row = await (await conn.execute(Q["client_is_member"], {"organization_id": org_id, "client_id": client.id,
                                                             "user_id": actor.id})).fetchone()
    return bool(row and row[0])


async def require_manager_of(conn: psycopg.AsyncConnection, org_id: int, actor: User, client: Client, action: str,
                             what: str) -> None:
    """Raise PermissionDenied (logged in ``security_audit_logs``) unless ``actor`` may manage ``client``
    (:func:`may_manage`); ``what`` names the change in the answer ("set its members")."""
    if not await may_manage(conn, org_id, actor, client):
        raise await security.deny(conn, organization_id=org_id, actor=actor, action=action, details={"client": client.name},
                                  message=f"Sorry, only admins, and managers assigned to {markup.mrkdwn(client.name)}, can "
                                          f"{what}. Nothing changed.")


# ---------------------------------------------------------------- aliases

_QUOTED = re.compile(r'"([^"]*)"|\u201c([^\u201d]*)\u201d|(\S+)')


def parse_aliases(text: str) -> list[str]:
    """`"Acme Corp" ACME` -> ["Acme Corp", "ACME"]: quoted phrases whole, other words one by one (straight or curly
    quotes, as Slack clients send either). Duplicates (any case) kept once, in order."""
    found: list[str] = []
    for m in _QUOTED.finditer(markup.read(text).plain):
        alias = " ".join((m.group(1) or m.group(2) or m.group(3) or "").split())
        if alias and alias.lower() not in (a.lower() for a in found):
            found.append(alias)
    return found


async def add_aliases(conn: psycopg.AsyncConnection, org_id: int, actor: User, client: Client, text: str) -> list[str]:
    """Store each alias of ``text`` (:func:`parse_aliases`) for ``client`` in one transaction (all or none) and return
    the new ones (aliases it already had are skipped). Admins and the client's assigned managers only
    (PermissionDenied, logged). Raises InvalidInput (logged as ``client.alias.refused``) for no alias, one longer than
    :data:`MAX_ALIAS`, or one that is another client's name or alias (unique per organization, any case)."""
    await require_manager_of(conn, org_id, actor, client, "client.alias", "add its aliases")
    aliases = parse_aliases(text)
    if not aliases:
        raise await refused(conn, org_id, actor, "client.alias", "Which aliases? Say them after `alias`, quoting names "
                            f'of several words: `/steward client {client.name} alias "{client.name} Inc" ACME`.')
    for alias in aliases:
        if len(alias) > MAX_ALIAS:
            raise await refused(conn, org_id, actor, "client.alias", f"An alias is at most {MAX_ALIAS} characters; "
                                f"`{markup.escape(alias[:40])}…` is longer. Nothing was added.", alias=alias)
        for query, key in (("client_name_owner", "name"), ("client_alias_owner", "alias")):
            row = await (await conn.execute(Q[query], {"organization_id": org_id, key: alias})).fetchone()
            if row is not None and int(row[0]) != client.id:
                raise await refused(conn, org_id, actor, "client.alias", f"`{markup.escape(alias)}` already names "
                                    f"{markup.mrkdwn(row[1])}" + (" (its name)" if key == "name" else
                                                                  f" (its alias `{markup.escape(row[2])}`)")
                                    + ", so it can't also be an alias of " + f"{markup.mrkdwn(client.name)}. Nothing was added.",
                                    alias=alias)
    added: list[str] = []
    async with conn.transaction():
        for alias in aliases:
            if alias.lower() == client.name.lower():
                continue
            row = await (await conn.execute(Q["client_alias_insert"], {"organization_id": org_id, "client_id": client.id,
                                                                       "alias": alias, "created_by": actor.id})).fetchone()
            if row is not None:
                added.append(alias)
        if added:
            await security.audit(conn, organization_id=org_id, actor=actor, action="client.aliases_added",
                                 entity_type="client", entity_id=client.id, details={"aliases": added})
    return added


# ---------------------------------------------------------------- assigned members

@dataclass(frozen=True)
class Member:
    user: User
    role: str  # client_members.role: 'lead' or 'member'


async def members_of(conn: psycopg.AsyncConnection, org_id: int, client_id: int) -> list[Member]:
    """The client's assigned members (``client_members``), leads first, then by name."""
    rows = await (await conn.execute(Q["client_members_of"], {"organization_id": org_id, "client_id": client_id})).fetchall()
    users = {u.id: u for u in await users_by_ids(conn, org_id, [int(r[0]) for r in rows])}
    return [Member(users[int(r[0])], r[1]) for r in rows if int(r[0]) in users]


@dataclass(frozen=True)
class MembersSet:
    """What `members @a @b` did: the members now (each once, in the order mentioned), those it removed, those
    mentioned more than once (kept once), and whether the actor, a manager who is not an admin, removed themselves
    (and so can no longer manage the client: tester16 F16)."""

    people: list[User]
    removed: list[User]
    repeated: list[User]
    lost_own_say: bool


async def set_members(conn: psycopg.AsyncConnection, org_id: int, actor: User, client: Client, text: str, *,
                      bot_ids: Sequence[str] = ()) -> MembersSet:
    """`members @a @b`: the client's assigned members become exactly the people mentioned in ``text`` (Slack user
    mentions; one mentioned twice counts once), in one transaction; someone who stays keeps their role. Returns
    what changed (:class:`MembersSet`: who was removed is said, not silent). Admins and the client's assigned managers only
    (PermissionDenied, logged). Raises InvalidInput (logged as ``client.members.refused``, nothing written) when no
    one is mentioned, when words are not mentions (``@nobody``), or naming every mention that is not an active
    person of this workspace (a bot, a guest Steward doesn't know, someone who left, another workspace's user)."""
    await require_manager_of(conn, org_id, actor, client, "client.members", "set its members")
    written = markup.read(text)
    wanted = list(written.users)
    loose = [w for w in written.without("user").split() if w.strip(",;")]
    if loose:
        raise await refused(conn, org_id, actor, "client.members", "I can only assign people picked with @ (Slack "
                            f"mentions); I don't know anyone called `{markup.escape(' '.join(loose)[:60])}` here. "
                            "Nothing changed.", words=" ".join(loose))
    if not wanted:
        raise await refused(conn, org_id, actor, "client.members", "Who? Mention the members: "
                            f"`/steward client {client.name} members @a @b`. Nothing changed.")
    known = {u.slack_id: u for u in await users_by_slack_ids(conn, org_id, wanted) if u.active}
    strangers = [s for s in wanted if s not in known or s in bot_ids]
    if strangers:
        names = ", ".join(f"<@{s}>" for s in strangers)
        raise await refused(conn, org_id, actor, "client.members", f"{names} {'is' if len(strangers) == 1 else 'are'} not "
                            "a member of this workspace I know (a bot, a guest, someone who left or from another "
                            "workspace), so nobody was assigned. Nothing changed.", strangers=",".join(strangers))
    people = [known[s] for s in dict.fromkeys(wanted)]  # each once, in the order mentioned
    mentions = [r.target for r in written.refs if r.kind == "user"]
    repeated = [known[s] for s in dict.fromkeys(s for s in mentions if mentions.count(s) > 1)]
    before = await members_of(conn, org_id, client.id)
    removed = [m.user for m in before if m.user.id not in {u.id for u in people}]
    async with conn.transaction():
        await conn.execute(Q["client_members_delete_others"], {"organization_id": org_id, "client_id": client.id,
                                                                 "user_ids": [u.id for u in people]})
        for person in people:
            await conn.execute(Q["client_member_insert"], {"organization_id": org_id, "client_id": client.id,
                                                            "user_id": person.id})
        await security.audit(conn, organization_id=org_id, actor=actor, action="client.members_set", entity_type="client",
                             entity_id=client.id, details={"members": [u.slack_id for u in people],
                                                           "removed": [u.slack_id for u in removed]})
    lost = not actor.is_admin and any(u.id == actor.id for u in removed)
    return MembersSet(people, removed, repeated, lost)


# ---------------------------------------------------------------- context notes

async def notes_of(conn: psycopg.AsyncConnection, org_id: int, client: Client) -> str | None:
    row = await (await conn.execute(Q["client_notes_of"], {"organization_id": org_id, "id": client.id})).fetchone()
    return row[0] if row else None


async def set_notes(conn: psycopg.AsyncConnection, org_id: int, actor: User, client_id: int, notes: str) -> Client:
    """Save the client's context notes (the notes modal's submission; empty clears them). The permission is checked
    again here (a modal can be submitted after a role changed). Raises NotFound for an archived client,
    PermissionDenied (logged), InvalidInput for notes over :data:`MAX_NOTES` characters."""
    client = next((c for c in await list_clients(conn, org_id) if c.id == client_id), None)
    if client is None:
        raise NotFound("That client has been archived, so its notes can't be changed.")
    await require_manager_of(conn, org_id, actor, client, "client.notes", "change its notes")
    cleaned = (notes or "").strip()
    if len(cleaned) > MAX_NOTES:
        raise await refused(conn, org_id, actor, "client.notes", f"Notes are at most {MAX_NOTES} characters.")
    async with conn.transaction():
        await conn.execute(Q["client_notes_set"], {"organization_id": org_id, "id": client.id, "notes": cleaned or None})
        await security.audit(conn, organization_id=org_id, actor=actor, action="client.notes_set", entity_type="client",
                             entity_id=client.id, details={"length": len(cleaned)})
    return client


# ---------------------------------------------------------------- client matching

async def names_of_org(conn: psycopg.AsyncConnection, org_id: int) -> dict[str, int]:
    """Every active client's name and alias -> its id (what task parsing matches words against: an alias names its
    client as the name does)."""
    out: dict[str, int] = {}
    for client in await list_clients(conn, org_id):
        for name in client.names():
            out.setdefault(name, client.id)
    return out


async def client_for_context(conn: psycopg.AsyncConnection, org_id: int, *, channel_id: str | None,
                             user_id: int | None) -> int | None:
    """The client of something that named none (a task, a fact): the active client whose channel ``channel_id`` is,
    else the only active client ``user_id`` is assigned to (none or several: None)."""
    if channel_id:
        row = await (await conn.execute(Q["client_channel_owner"], {"organization_id": org_id, "channel_id": channel_id})).fetchone()
        if row is not None:
            return int(row[0])
    if user_id is not None:
        rows = await (await conn.execute(Q["clients_of_member"], {"organization_id": org_id, "user_id": user_id})).fetchall()
        if len(rows) == 1:
            return int(rows[0][0])
    return None


async def member_clients(conn: psycopg.AsyncConnection, org_id: int) -> dict[str, list[int]]:
    """Slack user id -> the active clients they are assigned to."""
    out: dict[str, list[int]] = {}
    for slack_id, client_id in await (await conn.execute(Q["client_members_by_slack_id"], {"organization_id": org_id})).fetchall():
        out.setdefault(slack_id, []).append(int(client_id))
    return out
