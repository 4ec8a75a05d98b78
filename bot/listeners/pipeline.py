"""Admin commands for the board: `/steward stage …` and `/steward tasktype …`."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_limits as L
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import kit
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.services import pipeline
from bot.services import tasks as task_service

STAGE_USAGE = ("`/steward stage list` \u00b7 `/steward stage add <name> [limit N] [color #RRGGBB]` \u00b7 "
               "`/steward stage rename <stage> to <name>` \u00b7 `/steward stage limit <stage> <N|none>` \u00b7 "
               "`/steward stage reorder <stage> <position>` \u00b7 `/steward stage remove <stage> [into <stage>]`")


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["stage"] = stage_command
    subcommands(deps)["tasktype"] = tasktype_command
    app.action("stage_remove_into")(partial(on_remove_into, deps=deps))



def _stage_list(stages: list[Any]) -> str:
    return "\n".join(f"{i + 1}. *{markup.mrkdwn(s.name)}* (`{s.slug}`) \u2014 {s.open_count} open" + (f" / WIP {s.wip_limit}" if s.wip_limit else "")
                     + (" \u2714 done stage" if s.is_done_stage else "") for i, s in enumerate(stages))


async def stage_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    async with deps.pool.connection() as conn:
        if verb in ("", "list"):
            await respond(text="Stages:\n" + _stage_list(await task_service.stages(conn, org.id)) + "\n" + STAGE_USAGE, response_type="ephemeral")
            return
        if verb == "add":
            limit = re.search(r"\blimit\s+(\d+)", rest)
            color = re.search(r"\bcolou?r\s+(#[0-9A-Fa-f]{6})", rest)
            name = re.sub(r"\b(limit\s+\d+|colou?r\s+#[0-9A-Fa-f]{6})", "", rest).strip()
            stage = await pipeline.add_stage(conn, org.id, user, name, wip_limit=int(limit.group(1)) if limit else None,
                                             color=color.group(1) if color else None)
            message = f"Added stage *{markup.mrkdwn(stage.name)}*."
        elif verb == "rename":
            old, sep, new = rest.partition(" to ")
            if not sep:
                raise InvalidInput("Usage: `/steward stage rename <stage> to <new name>`")
            stage = await pipeline.rename_stage(conn, org.id, user, old, new)
            message = f"Renamed to *{markup.mrkdwn(stage.name)}*."
        elif verb == "limit":
            name, _sep, value = rest.rpartition(" ")
            stage = await pipeline.set_limit(conn, org.id, user, name, value)
            message = f"*{markup.mrkdwn(stage.name)}* WIP limit: {stage.wip_limit or 'none'}."
        elif verb == "reorder":
            name, _sep, value = rest.rpartition(" ")
            await pipeline.reorder(conn, org.id, user, name, value)
            message = "Reordered."
        elif verb == "remove":
            name, sep, into = rest.partition(" into ")
            try:
                stage = await pipeline.remove_stage(conn, org.id, user, name, into if sep else None)
            except pipeline.StageNotEmpty as exc:
                buttons = [{"type": "button", "action_id": "stage_remove_into", "text": kit.plain(f"Move to {markup.plain_text(s.name)}", L.BUTTON_TEXT),
                            "value": f"{exc.stage.id}:{s.id}"} for s in exc.others[:5]]
                await respond(text=str(exc), response_type="ephemeral", blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {exc}"}},
                    {"type": "actions", "block_id": "stage_remove_into", "elements": buttons}])
                return
            message = f"Removed stage *{markup.mrkdwn(stage.name)}*."
        else:
            raise InvalidInput(STAGE_USAGE)
        stages = await task_service.stages(conn, org.id)
    await respond(text=f"{message}\n{_stage_list(stages)}", response_type="ephemeral")


async def on_remove_into(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    payload.responds(body)
    stage_id, target_id = (payload.parse_id(v) for v in payload.split(payload.action_value(body), 2))
    async with deps.pool.connection() as conn:
        stages = {s.id: s for s in await task_service.stages(conn, org.id)}
        if stage_id not in stages or target_id not in stages:
            raise InvalidInput("Those stages changed in the meantime; run the command again.")
        removed = await pipeline.remove_stage(conn, org.id, user, stages[stage_id].slug, stages[target_id].slug)
    await respond(text=f"Removed stage *{markup.mrkdwn(removed.name)}*; its tasks moved to *{markup.mrkdwn(stages[target_id].name)}*.", replace_original=True)


async def tasktype_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb, _sep, rest = args.strip().partition(" ")
    async with deps.pool.connection() as conn:
        if verb.lower() == "add":
            keyword, task_type, size, weight = await pipeline.add_task_type(conn, org.id, user, rest)
            await respond(text=f"Tasks mentioning \u201c{keyword}\u201d are now *{task_type}*, size {size.upper()}, weight {weight}.",
                          response_type="ephemeral")
            return
        rules = await task_service.task_types(conn, org.id)
    lines = "\n".join(f"\u2022 \u201c{r.keyword}\u201d \u2192 {r.task_type}, {r.size.upper()}, weight {r.weight}" for r in rules[:60])
    await respond(text=f"*Task types* (first matching keyword wins)\n{lines}\n`/steward tasktype add <keyword> <type> <size> <weight>`",
                  response_type="ephemeral")
