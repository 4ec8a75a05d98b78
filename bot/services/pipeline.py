"""Admin management of pipeline stages and task types (SPEC F3)."""

from __future__ import annotations

import re

import psycopg

from bot.errors import InvalidInput
from bot.services import security
from bot.services import tasks as task_service
from db.queries import Q
from db.rows import Stage, User

SIZES = ("xs", "s", "m", "l", "xl")


async def add_stage(conn: psycopg.AsyncConnection, org_id: int, actor: User, name: str, *, wip_limit: int | None = None,
                    color: str | None = None) -> Stage:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="stage.add")
    name = " ".join(name.split())[:60]
    if not name:
        raise InvalidInput("Usage: `/steward stage add <name> [limit N] [color #RRGGBB]`")
    existing = await task_service.stages(conn, org_id)
    slug = task_service.slugify(name)
    if any(s.slug == slug for s in existing):
        raise InvalidInput(f"There's already a stage called {name}.")
    if color and not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
        raise InvalidInput("Colours look like `#4CAF50`.")
    # New stages go before the done stage.
    done = next((s for s in existing if s.is_done_stage), None)
    position = done.position if done else len(existing)
    async with conn.transaction():
        if done:
            await conn.execute(Q["stages_shift_from"], {"organization_id": org_id, "position": position})
        await conn.execute(Q["stage_insert"], {"organization_id": org_id, "name": name, "slug": slug, "color": color or "#607D8B",
                                               "position": position, "wip_limit": wip_limit, "is_done_stage": False})
        await security.audit(conn, organization_id=org_id, actor=actor, action="stage.added", entity_type="stage", entity_id=slug,
                             details={"name": name, "wip_limit": wip_limit})
    return task_service.find_stage(await task_service.stages(conn, org_id), slug)


async def rename_stage(conn: psycopg.AsyncConnection, org_id: int, actor: User, stage_text: str, new_name: str) -> Stage:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="stage.rename")
    stage = task_service.find_stage(await task_service.stages(conn, org_id), stage_text)
    new_name = " ".join(new_name.split())[:60]
    if not new_name:
        raise InvalidInput("Usage: `/steward stage rename <stage> to <new name>`")
    async with conn.transaction():
        await conn.execute(Q["stage_rename"], {"organization_id": org_id, "id": stage.id, "name": new_name,
                                               "slug": task_service.slugify(new_name)})
        await security.audit(conn, organization_id=org_id, actor=actor, action="stage.renamed", entity_type="stage",
                             entity_id=stage.id, details={"from": stage.name, "to": new_name})
    return task_service.find_stage(await task_service.stages(conn, org_id), new_name)


async def set_limit(conn: psycopg.AsyncConnection, org_id: int, actor: User, stage_text: str, limit_text: str) -> Stage:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="stage.limit")
    stage = task_service.find_stage(await task_service.stages(conn, org_id), stage_text)
    if limit_text.strip().lower() in ("none", "off", "0", "no"):
        limit = None
    elif limit_text.strip().isdecimal() and 0 < int(limit_text) <= 999:
        limit = int(limit_text)
    else:
        raise InvalidInput("Usage: `/steward stage limit <stage> <number|none>`")
    async with conn.transaction():
        await conn.execute(Q["stage_set_wip_limit"], {"organization_id": org_id, "id": stage.id, "wip_limit": limit})
        await security.audit(conn, organization_id=org_id, actor=actor, action="stage.limit_set", entity_type="stage",
                             entity_id=stage.id, details={"from": stage.wip_limit, "to": limit})
    return task_service.find_stage(await task_service.stages(conn, org_id), stage.slug)


async def reorder(conn: psycopg.AsyncConnection, org_id: int, actor: User, stage_text: str, position_text: str) -> list[Stage]:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="stage.reorder")
    all_stages = await task_service.stages(conn, org_id)
    stage = task_service.find_stage(all_stages, stage_text)
    if not position_text.strip().isdecimal() or not 1 <= int(position_text) <= len(all_stages):
        raise InvalidInput(f"Position must be between 1 and {len(all_stages)}.")
    ordered = [s for s in all_stages if s.id != stage.id]
    ordered.insert(int(position_text) - 1, stage)
    async with conn.transaction():
        for i, s in enumerate(ordered):
            await conn.execute(Q["stage_set_position"], {"organization_id": org_id, "id": s.id, "position": i})
        await security.audit(conn, organization_id=org_id, actor=actor, action="stage.reordered", entity_type="stage",
                             entity_id=stage.id, details={"position": int(position_text)})
    return await task_service.stages(conn, org_id)


class StageNotEmpty(InvalidInput):
    def __init__(self, stage: Stage, others: list[Stage], count: int) -> None:
        super().__init__(f"{stage.name} still holds {count} task(s). Where should they go?")
        self.stage, self.others, self.count = stage, others, count


async def remove_stage(conn: psycopg.AsyncConnection, org_id: int, actor: User, stage_text: str, move_to: str | None = None) -> Stage:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="stage.remove")
    all_stages = await task_service.stages(conn, org_id)
    stage = task_service.find_stage(all_stages, stage_text)
    if len(all_stages) <= 2:
        raise InvalidInput("A board needs at least two stages.")
    count = (await (await conn.execute(Q["stage_task_count"], {"organization_id": org_id, "stage_id": stage.id})).fetchone())[0]  # type: ignore[index]
    others = [s for s in all_stages if s.id != stage.id]
    target = task_service.find_stage(others, move_to) if move_to else None
    if count and target is None:
        raise StageNotEmpty(stage, others, count)
    async with conn.transaction():
        if target is not None:
            await conn.execute(Q["stage_move_tasks"], {"organization_id": org_id, "from_stage_id": stage.id, "to_stage_id": target.id})
        await conn.execute(Q["stage_delete"], {"organization_id": org_id, "id": stage.id})
        await security.audit(conn, organization_id=org_id, actor=actor, action="stage.removed", entity_type="stage",
                             entity_id=stage.id, details={"name": stage.name, "tasks_moved_to": target.name if target else None, "tasks": count})
    return stage


async def add_task_type(conn: psycopg.AsyncConnection, org_id: int, actor: User, args: str) -> tuple[str, str, str, int]:
    await security.require_admin(conn, organization_id=org_id, actor=actor, action="tasktype.add")
    parts = args.split()
    if len(parts) < 4:
        raise InvalidInput("Usage: `/steward tasktype add <keyword> <type> <size xs|s|m|l|xl> <weight>` "
                           "(a keyword of several words goes in quotes: \"landing page\")")
    weight_text, size, task_type = parts[-1], parts[-2].lower(), parts[-3].lower()
    keyword = " ".join(parts[:-3]).strip("\"'").lower()
    if size not in SIZES:
        raise InvalidInput("Size must be one of xs, s, m, l, xl.")
    if not weight_text.isdecimal() or int(weight_text) > 100:
        raise InvalidInput("Weight must be a whole number from 0 to 100.")
    if not keyword:
        raise InvalidInput("The keyword can't be empty.")
    async with conn.transaction():
        await conn.execute(Q["task_type_insert"], {"organization_id": org_id, "keyword": keyword, "task_type": task_type, "size": size,
                                                   "weight": int(weight_text)})
        await security.audit(conn, organization_id=org_id, actor=actor, action="tasktype.set", entity_type="task_type",
                             entity_id=keyword, details={"type": task_type, "size": size, "weight": int(weight_text)})
    return keyword, task_type, size, int(weight_text)
