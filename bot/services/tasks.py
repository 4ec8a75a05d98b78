"""Tasks, the pipeline and task types (SPEC F2, F3): the rules, with no Slack in sight."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.blocks import tasks as render
from bot.errors import InvalidInput, NotFound
from bot.parsing.models import DateOrder
from bot.parsing.task_edit import parse_edit_words
from bot.services import clients as client_service
from bot.services import security
from bot.services.notifications import Target, notify
from bot.services.rhythm import local_date
from db.queries import Q
from db.repos.tasks import get, id_by_number, list_tasks, stages  # noqa: F401 - callers use task_service.list_tasks
from db.repos.users import user_by_id
from db.rows import Stage, Task, User

# name, slug, colour, WIP limit, is the done stage
DEFAULT_STAGES: tuple[tuple[str, str, str, int | None, bool], ...] = (
    ("Backlog", "backlog", "#9E9E9E", None, False),
    ("To do", "to-do", "#2196F3", None, False),
    ("In progress", "in-progress", "#FF9800", 5, False),
    ("Review", "review", "#9C27B0", 3, False),
    ("Done", "done", "#4CAF50", None, True),
)
DEFAULT_STAGE_SLUG = "to-do"
IN_PROGRESS_SLUG = "in-progress"
_DISPLAY = re.compile(r"^\s*(?:t-?)?(\d{1,9})\s*$", re.IGNORECASE)
MAX_TITLE = 200
# The board's Done column shows the tasks done in this many days ("done recently"; older ones stay in /tasks history).
BOARD_DONE_DAYS = 7


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "stage"


async def create_defaults(conn: psycopg.AsyncConnection, org_id: int) -> None:
    """Default stages and task types for a new organization."""
    from bot.parsing import DEFAULT_TASK_TYPES

    for position, (name, slug, color, wip, done) in enumerate(DEFAULT_STAGES):
        await conn.execute(Q["stage_insert"], {"organization_id": org_id, "name": name, "slug": slug, "color": color,
                                               "position": position, "wip_limit": wip, "is_done_stage": done})
    for rule in DEFAULT_TASK_TYPES:
        await conn.execute(Q["task_type_insert"], {"organization_id": org_id, "keyword": rule.keyword.lower(),
                                                   "task_type": rule.task_type, "size": rule.size, "weight": rule.weight})


def parse_display_id(text: str) -> int:
    match = _DISPLAY.match(text or "")
    if not match:
        raise InvalidInput(f"`{(text or '').strip()[:30]}` isn't a task id. Task ids look like `T-12`.")
    return int(match.group(1))



async def by_display(conn: psycopg.AsyncConnection, org_id: int, text: str) -> Task:
    number = parse_display_id(text)
    task_id = await id_by_number(conn, org_id, number)
    if task_id is None:
        raise NotFound(f"There's no task T-{number} here.")
    return await get(conn, org_id, task_id)




def find_stage(all_stages: Sequence[Stage], text: str) -> Stage:
    wanted = slugify(text)
    for stage in all_stages:
        if stage.slug == wanted or stage.name.lower() == text.strip().lower():
            return stage
    for stage in all_stages:  # a unique prefix is enough ("prog", "rev")
        if stage.slug.startswith(wanted) or wanted in stage.slug:
            return stage
    names = ", ".join(f"`{s.name}`" for s in all_stages)
    raise InvalidInput(f"There's no stage called `{text.strip()[:40]}`. Stages: {names}.")


async def task_types(conn: psycopg.AsyncConnection, org_id: int) -> list[Any]:
    from bot.parsing import TaskTypeRule

    rows = await (await conn.execute(Q["task_types_of_org"], {"organization_id": org_id})).fetchall()
    return [TaskTypeRule(keyword=r[0], task_type=r[1], size=r[2], weight=r[3]) for r in rows]


async def clients_and_projects(conn: psycopg.AsyncConnection, org_id: int) -> tuple[dict[str, int], dict[str, int]]:
    clients = await client_service.names_of_org(conn, org_id)  # names and aliases (issue 16)
    projects = {r[1]: r[0] for r in await (await conn.execute(Q["projects_of_org"], {"organization_id": org_id})).fetchall()}
    return clients, projects


async def log_change(conn: psycopg.AsyncConnection, task: Task | int, org_id: int, actor: User | None, action: str,
                     from_value: Any = None, to_value: Any = None, note: str | None = None, *,
                     now: datetime | None = None) -> int:
    """Write one task_logs row (``actor`` None: Steward itself) and return its id. ``now`` (aware) is its
    ``created_at`` when given (a rule's clock: Time is a parameter), else the database's clock."""
    row = await (await conn.execute(Q["task_log_insert"], {
        "organization_id": org_id, "task_id": task if isinstance(task, int) else task.id,
        "actor_id": actor.id if actor else None, "action": action,
        "from_value": Jsonb(from_value) if from_value is not None else None,
        "to_value": Jsonb(to_value) if to_value is not None else None, "note": note, "now": now,
    })).fetchone()
    assert row is not None
    return int(row[0])


@dataclass(frozen=True)
class NewTask:
    title: str
    due_date: date | None = None
    due_at: datetime | None = None
    task_type: str | None = None
    size: str | None = None
    weight: int = 1
    priority: str = "medium"
    client_id: int | None = None
    project_id: int | None = None
    description: str | None = None


def clean_title(title: str) -> str:
    """A title as stored: one line, in the stored form of :mod:`bot.slack_markup` (people, channels and
    links as Slack markup, everything else decoded), at most ``MAX_TITLE`` characters, never cutting
    markup in half. Raises InvalidInput when nothing is left."""
    title = markup.store(" ".join((title or "").split()), limit=MAX_TITLE)
    if not title or not markup.read(title).plain.strip():
        raise InvalidInput("A task needs a title.")
    return title


async def create(conn: psycopg.AsyncConnection, org_id: int, actor: User | None, owner_id: int, new: NewTask, *,
                 source: str, draft_id: int | None = None, source_channel_id: str | None = None,
                 source_ts: str | None = None, stage_slug: str = DEFAULT_STAGE_SLUG, said_in: str | None = None) -> Task:
    """Insert a task (its T-n id comes from the per-organization counter) and log it. A task whose words named no
    client gets the client of the channel its words were said in (``said_in``, else ``source_channel_id``), else the
    owner's only assigned client (:func:`bot.services.clients.client_for_context`)."""
    if new.client_id is None:
        new = replace(new, client_id=await client_service.client_for_context(
            conn, org_id, channel_id=said_in or source_channel_id, user_id=owner_id))
    stage_id = next((s.id for s in await stages(conn, org_id) if s.slug == stage_slug), None)
    priority = new.priority if new.priority in ("low", "medium", "high", "urgent") else "medium"
    async with conn.transaction():
        row = await (await conn.execute(Q["task_insert"], {
            "organization_id": org_id, "title": clean_title(new.title), "description": new.description,
            "priority": priority, "user_id": owner_id, "created_by": actor.id if actor else None, "stage_id": stage_id,
            "project_id": new.project_id, "client_id": new.client_id, "draft_id": draft_id, "due_date": new.due_date,
            "due_at": new.due_at, "task_type": new.task_type, "size": new.size, "weight": max(0, int(new.weight)),
            "source": source, "source_channel_id": source_channel_id, "source_ts": source_ts,
        })).fetchone()
        task_id = row[0]  # type: ignore[index]
        await log_change(conn, task_id, org_id, actor, "created", None,
                         {"title": new.title, "due_date": new.due_date.isoformat() if new.due_date else None})
    return await get(conn, org_id, task_id)


async def owner_of(conn: psycopg.AsyncConnection, task: Task) -> User | None:
    return await user_by_id(conn, task.organization_id, task.user_id) if task.user_id else None


async def require_can_change(conn: psycopg.AsyncConnection, actor: User, task: Task, action: str) -> None:
    """Members change their own tasks; managers also their reports'; admins all."""
    if actor.is_admin or task.user_id == actor.id:
        return
    owner = await owner_of(conn, task)
    if actor.role == "manager" and owner is not None and owner.manager_id == actor.id:
        return
    raise await security.deny(conn, organization_id=task.organization_id, actor=actor, action=f"task.{action}",
                              message=f"Sorry, {task.display_id} isn't yours to change. You can change your own tasks"
                                      + (" and your reports'." if actor.role == "manager" else "; ask its owner or a manager."),
                              details={"task": task.display_id})


async def _set_status(conn: psycopg.AsyncConnection, actor: User, task: Task, status: str, now: datetime,
                      reason: str | None = None) -> Task:
    """``task`` done or dropped, logged; its owner is told when someone else did it (:func:`_tell_owner`). Only an
    open task changes: when another request closed it since ``task`` was read, the answer is the one that
    request's outcome calls for."""
    async with conn.transaction():
        if status == "done":
            done_stage = next((s.id for s in await stages(conn, task.organization_id) if s.is_done_stage), None)
            cur = await conn.execute(Q["task_set_done"], {"organization_id": task.organization_id, "id": task.id, "now": now,
                                                          "done_stage_id": done_stage})
        else:
            cur = await conn.execute(Q["task_set_dropped"], {"organization_id": task.organization_id, "id": task.id, "now": now,
                                                             "reason": reason})
        if cur.rowcount != 1:
            current = await get(conn, task.organization_id, task.id)
            if current.status == "dropped":
                raise await _refuse_dropped(conn, actor, current, "mark it done" if status == "done" else "drop it again")
            raise InvalidInput(f"{task.display_id} is already {current.status}.")
        log_id = await log_change(conn, task, task.organization_id, actor, "status_changed", task.status, status, reason)
        await _tell_owner(conn, actor, task, status, reason, now, log_id)
        # A done or dropped task blocks nobody: its open blockers are resolved, and whoever they reached hears it.
        from bot.services import blockers

        await blockers.resolve_for_task(conn, task.organization_id, task.id, actor, now, status)
        # Its overdue walk ends: the flags that walk raised close, and its escalation items lose their buttons.
        from bot.services import overdue

        await overdue.settle_task(conn, task.organization_id, task.id, actor, now, status)
    return await get(conn, task.organization_id, task.id)


CLOSED_BY_OTHER_KIND = "task.closed_by_other"


async def _tell_owner(conn: psycopg.AsyncConnection, actor: User, task: Task, status: str, reason: str | None,
                      now: datetime, log_id: int) -> None:
    """Someone else (their manager, an admin) marked ``task`` done or dropped it: its owner hears who, and why when
    dropped, by DM through :func:`notify` (their quiet hours hold it); one notice per change (dedupe key: the task
    and the change's task_logs id)."""
    if task.user_id is None or task.user_id == actor.id:
        return
    owner = await owner_of(conn, task)
    if owner is None or not owner.active:
        return
    text, blocks = render.closed_by_other_notice(task, actor, status, reason)
    await notify(conn, organization_id=task.organization_id, kind=CLOSED_BY_OTHER_KIND,
                 dedupe_key=f"{CLOSED_BY_OTHER_KIND}:{task.id}:{log_id}", text=text, blocks=blocks,
                 targets=[Target.dm(owner.slack_id)], now=now, user_id=owner.id)


class TaskDropped(InvalidInput):
    """A dropped task asked to be done or moved: dropped is final until someone reopens it."""


def first_open_stage(all_stages: Sequence[Stage]) -> Stage | None:
    """Where a reopened task goes: the first stage (by position) that is not the done stage."""
    return next((s for s in all_stages if not s.is_done_stage), None)


async def _refuse_dropped(conn: psycopg.AsyncConnection, actor: User, task: Task, doing: str) -> TaskDropped:
    """The polite refusal for ``doing`` (e.g. "mark it done") to a dropped task: when it was dropped (in the
    actor's timezone), why, and how to bring it back."""
    when = f" on {render.short_date(local_date(task.dropped_at, actor.timezone))}" if task.dropped_at else ""
    why = f" ({markup.mrkdwn(task.dropped_reason)})" if task.dropped_reason else ""
    stage = first_open_stage(await stages(conn, task.organization_id))
    back = f" back in {markup.mrkdwn(stage.name)}" if stage else " back"
    return TaskDropped(f"{task.display_id} {markup.mrkdwn(task.title)} was dropped{when}{why}, so I can't {doing}. "
                       f"If it's back on, `/task reopen {task.display_id}` puts it{back}; then {doing}.")


async def complete(conn: psycopg.AsyncConnection, actor: User, task: Task, now: datetime) -> Task:
    """Mark ``task`` done (and into the done stage), logged. Every path that completes a task comes here
    (`/task done`, a move to the done stage, App Home, the end-of-day check-in, standup replies).

    Raises PermissionDenied (not the actor's to change), InvalidInput (already done) and TaskDropped
    (dropped: `/task reopen` first)."""
    await require_can_change(conn, actor, task, "done")
    if task.status == "done":
        raise InvalidInput(f"{task.display_id} is already done. \u2705")
    if task.status == "dropped":
        raise await _refuse_dropped(conn, actor, task, "mark it done")
    return await _set_status(conn, actor, task, "done", now)


async def drop(conn: psycopg.AsyncConnection, actor: User, task: Task, reason: str, now: datetime) -> Task:
    """Drop ``task`` with a reason (stored as written, at most 500 characters), logged.

    Raises PermissionDenied, InvalidInput (no reason; already dropped; done: reopen it first)."""
    await require_can_change(conn, actor, task, "drop")
    if not reason.strip():
        raise InvalidInput(f"Please say why you're dropping {task.display_id}: `/task drop {task.display_id} <reason>`.")
    if task.status == "dropped":
        raise InvalidInput(f"{task.display_id} is already dropped.")
    if task.status == "done":
        raise InvalidInput(f"{task.display_id} is done, so there's nothing to drop. If it isn't finished after all, "
                           f"`/task reopen {task.display_id}` first.")
    return await _set_status(conn, actor, task, "dropped", now, markup.store(reason.strip(), limit=500))


async def reopen(conn: psycopg.AsyncConnection, actor: User, task: Task) -> Task:
    """A done or dropped task back to open (pending), in the first open stage (:func:`first_open_stage`),
    its done/dropped marks cleared, logged in task_logs ("reopened"). Answers given for it in an
    end-of-day check-in of a day not closed yet are cleared too, so the day's close sees it as open.

    Raises PermissionDenied, InvalidInput (the task is already open)."""
    await require_can_change(conn, actor, task, "reopen")
    if task.is_open:
        where = f" (in {markup.mrkdwn(task.stage_name)})" if task.stage_name else ""
        raise InvalidInput(f"{task.display_id} is already open{where}.")
    stage = first_open_stage(await stages(conn, task.organization_id))
    async with conn.transaction():
        await conn.execute(Q["task_set_open"], {"organization_id": task.organization_id, "id": task.id,
                                                "stage_id": stage.id if stage else None})
        await conn.execute(Q["plan_answers_clear_for_task"], {"organization_id": task.organization_id, "task_id": task.id})
        await log_change(conn, task, task.organization_id, actor, "reopened", task.status, "pending",
                         task.dropped_reason if task.status == "dropped" else None)
    return await get(conn, task.organization_id, task.id)


@dataclass(frozen=True)
class MoveResult:
    task: Task
    warning: str | None = None


async def move(conn: psycopg.AsyncConnection, actor: User, task: Task, stage_text: str, now: datetime) -> MoveResult:
    """Move ``task`` to the stage named by ``stage_text`` (a name, slug or unique prefix), logged; into the done
    stage it is :func:`complete`. Past a WIP limit: a warning, or a refusal when the organization's
    wip_mode is "block" (SPEC F3).

    Raises PermissionDenied, InvalidInput (unknown stage; already there; WIP limit in block mode),
    TaskDropped (a dropped task moves only after `/task reopen`)."""
    await require_can_change(conn, actor, task, "move")
    if task.status == "dropped":
        raise await _refuse_dropped(conn, actor, task, "move it")
    all_stages = await stages(conn, task.organization_id)
    target = find_stage(all_stages, stage_text)
    if target.id == task.stage_id:
        raise InvalidInput(f"{task.display_id} is already in {target.name}.")
    if target.is_done_stage:
        return MoveResult(await complete(conn, actor, task, now))
    warning = None
    if target.wip_limit is not None and target.open_count >= target.wip_limit:
        mode = (await (await conn.execute(Q["wip_mode_of_org"], {"organization_id": task.organization_id})).fetchone() or ["warn"])[0]
        over = f"{target.name} already holds {target.open_count} of its {target.wip_limit}-task WIP limit"
        if mode == "block":
            raise InvalidInput(f"{over}, so I can't move {task.display_id} there. Finish or move something out first.")
        warning = f"\u26a0\ufe0f Heads up: {over}; it's now over the limit."
    new_status = "in_progress" if target.slug == IN_PROGRESS_SLUG else ("pending" if task.status in ("done", "in_progress") else task.status)
    async with conn.transaction():
        await conn.execute(Q["task_move_to_stage"], {"organization_id": task.organization_id, "id": task.id, "stage_id": target.id,
                                                     "status": new_status})
        if task.status == "done":  # moved out of Done: open again, so a check-in's "done" for a day not closed no longer holds
            await conn.execute(Q["plan_answers_clear_for_task"], {"organization_id": task.organization_id, "task_id": task.id})
        await log_change(conn, task, task.organization_id, actor, "moved", task.stage_name, target.name, now=now)
        if task.status == "done":  # reopened by the move: its status change is logged as /task reopen's is
            await log_change(conn, task, task.organization_id, actor, "status_changed", "done", new_status, now=now)
    return MoveResult(await get(conn, task.organization_id, task.id), warning)


ASSIGNED_KIND = "task.assigned"


async def assign(conn: psycopg.AsyncConnection, actor: User, task: Task, new_owner: User, now: datetime) -> Task:
    """Give ``task`` to ``new_owner``, logged; the new owner is told by DM (through :func:`notify`, so quiet
    hours in their timezone hold it), saying who assigned what and when it is due, unless they assigned
    it to themselves or the task is no longer open. One notice per assignment (dedupe key: the task and
    its assignment's task_logs id).

    Raises PermissionDenied (not the actor's to give, or not to that person), InvalidInput (already theirs),
    TaskDropped (a dropped task is reopened first)."""
    await require_can_change(conn, actor, task, "assign")
    if not (actor.is_admin or actor.id == new_owner.id or (actor.role == "manager" and new_owner.manager_id == actor.id)
            or task.user_id == actor.id):
        raise await security.deny(conn, organization_id=task.organization_id, actor=actor, action="task.assign",
                                  message="Sorry, you can't assign tasks to that person.")
    if task.user_id == new_owner.id:
        whose = "yours" if new_owner.id == actor.id else f"{new_owner.mention}'s"
        raise InvalidInput(f"{task.display_id} is already {whose}.")
    if task.status == "dropped":
        raise await _refuse_dropped(conn, actor, task, "assign it")
    async with conn.transaction():
        await conn.execute(Q["task_assign"], {"organization_id": task.organization_id, "id": task.id, "user_id": new_owner.id})
        log_id = await log_change(conn, task, task.organization_id, actor, "assigned", task.owner_slack_id, new_owner.slack_id)
        assigned = await get(conn, task.organization_id, task.id)
        if new_owner.id != actor.id and assigned.is_open:
            text, blocks = render.assigned_notice(assigned, actor, new_owner.timezone)
            await notify(conn, organization_id=task.organization_id, kind=ASSIGNED_KIND,
                         dedupe_key=f"{ASSIGNED_KIND}:{task.id}:{log_id}", text=text, blocks=blocks,
                         targets=[Target.dm(new_owner.slack_id)], now=now, user_id=new_owner.id)
    return assigned


KEEP: Final = "keep"  # an edit argument left as it is


@dataclass(frozen=True)
class EditResult:
    """An edit's outcome: the task before and after, and which of "title", "due", "client", "project", "size"
    changed."""
    before: Task
    task: Task
    changed: tuple[str, ...]


async def edit(conn: psycopg.AsyncConnection, actor: User, task: Task, *, title: str | None = None,
               due_date: date | None | str = KEEP, due_at: datetime | None = None,
               client_id: int | None | str = KEEP, size: str | None = None,
               project_id: int | None | str = KEEP, now: datetime | None = None) -> EditResult:
    """Change what is given (``KEEP`` / None leaves a field as it is; ``due_date``, ``client_id`` or ``project_id``
    None clears it), logged once in task_logs ("edited") with the values before and after. ``due_at`` (aware) is
    the time of day of a new ``due_date``; a due date changed without one drops the old time. ``size`` is one of
    xs, s, m, l, xl. A task that joins a project with its own overdue ladder climbs that ladder from then on
    (sql/queries/tasks.sql ``task_edit``). A new due date ends the task's overdue walk for the old one as of
    ``now`` (aware; its flags close, its escalation items lose their buttons:
    :func:`bot.services.overdue.settle_task`).

    Raises PermissionDenied, InvalidInput (empty title, unknown size)."""
    await require_can_change(conn, actor, task, "edit")
    changes: dict[str, Any] = {}
    if title is not None and clean_title(title) != task.title:
        changes["title"] = clean_title(title)
    if due_date != KEEP and (due_date != task.due_date or (due_at is not None and due_at != task.due_at)):
        changes["due_date"] = due_date
        changes["due_at"] = due_at if due_date is not None else None
    if client_id != KEEP and client_id != task.client_id:
        changes["client_id"] = client_id
    if project_id != KEEP and project_id != task.project_id:
        changes["project_id"] = project_id
    if size and size != task.size:
        if size not in render.SIZES:
            raise InvalidInput("Size must be one of xs, s, m, l, xl.")
        changes["size"] = size
    if not changes:
        return EditResult(task, task, ())
    async with conn.transaction():
        await conn.execute(Q["task_edit"], {"title": None, "due_date": None, "due_at": None, "client_id": None, "size": None,
                                            "project_id": None, **changes, "changed": list(changes), "organization_id": task.organization_id,
                                            "id": task.id})
        before = {k: (getattr(task, k).isoformat() if hasattr(getattr(task, k), "isoformat") else getattr(task, k)) for k in changes}
        after = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in changes.items()}
        edited = await get(conn, task.organization_id, task.id)
        if "project_id" in changes:  # the names as people know them, beside the ids
            before["project"], after["project"] = task.project_name, edited.project_name
        await log_change(conn, task, task.organization_id, actor, "edited", before, after, now=now)
        if "due_date" in changes and now is not None:
            from bot.services import overdue

            await overdue.settle_task(conn, task.organization_id, task.id, actor, now, "new date")
    named = {"title": "title", "due_date": "due", "due_at": "due", "client_id": "client", "size": "size",
             "project_id": "project"}
    changed = tuple(dict.fromkeys(named[k] for k in changes))
    return EditResult(task, edited, changed)


async def edit_by_words(conn: psycopg.AsyncConnection, actor: User, task: Task, text: str, now: datetime,
                        date_order: DateOrder) -> EditResult:
    """`/task edit T-n <words>`: the words (see :mod:`bot.parsing.task_edit`) applied as an :func:`edit`. A due
    date is read in the actor's timezone and ``date_order``; a client by its name, or its channel
    (`#client-acme`); a project by its name. Raises InvalidInput for words that are not a change, NotFound for an
    unknown client or project,
    and what :func:`edit` raises."""
    words = parse_edit_words(text, display_id=task.display_id, now=now, tz=actor.timezone, date_order=date_order)
    client_id: int | None | str = KEEP
    if words.client_given:
        client_id = None
        if words.client is not None:
            clients = await client_service.list_clients(conn, task.organization_id)
            read = markup.read(words.client)
            by_channel = client_service.client_for_channel(clients, read.channels[0]) if read.channels else None
            client_id = (by_channel or client_service.find_client(clients, read.plain)).id
    project_id: int | None | str = KEEP
    if words.project_given:
        project_id = None
        if words.project is not None:
            project_id = client_service.find_project(await client_service.list_projects(conn, task.organization_id),
                                                     words.project).id
    return await edit(conn, actor, task, title=words.title, due_date=words.due_date if words.due_given else KEEP,
                      due_at=words.due_at, client_id=client_id, size=words.size, project_id=project_id, now=now)
