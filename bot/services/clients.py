"""Clients and projects (SPEC F12): what tasks and memory are about. Admins manage them."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound
from bot.services import security
from db.queries import Q
from db.rows import User


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    slack_channel_id: str | None
    description: str | None
    open_tasks: int


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
    rows = await (await conn.execute(Q["clients_with_open_counts"], {"organization_id": org_id})).fetchall()
    return [Client(*r) for r in rows]


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


def find_client(clients: list[Client], name: str) -> Client:
    """The client called ``name`` (any case), or the only one whose name starts with it.
    Raises NotFound listing the known clients."""
    found: Client = _find(clients, name, "client")
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
                     description: str | None = None) -> Client:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="client.add")
    name = _name(name, "client")
    existing = await list_clients(conn, org_id)
    if any(c.name.lower() == name.lower() for c in existing):
        raise InvalidInput(f"There's already a client called {name}.")
    async with conn.transaction():
        await conn.execute(Q["client_insert"], {"organization_id": org_id, "name": name, "channel_id": channel_id,
                                                "description": description})
        await security.audit(conn, organization_id=org_id, actor=actor, action="client.added", entity_type="client",
                             entity_id=name, details={"channel": channel_id})
    return _find(await list_clients(conn, org_id), name, "client")


async def add_project(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str, client_name: str | None,
                      channel_id: str | None) -> Project:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="project.add")
    name = _name(name, "project")
    client = _find(await list_clients(conn, org_id), client_name, "client") if client_name else None
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
    client = _find(await list_clients(conn, org_id), name, "client")
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
