"""Reports and action items (SPEC F14; issue 15): `/report [daily|weekly|monthly] [@person|team] [YYYY-MM-DD] [csv]`,
`/actions`, `/steward reports channel #x`, and the action items' Done / Dismiss (a reason, in a form) / Reassign.
Rules in bot/services/reports.py and bot/services/action_items.py; words in bot/blocks/reports.py."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import reports as render
from bot.blocks.blockers import short
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.channel_check import can_post
from bot.listeners.help import subcommands
from bot.listeners.pressed import mark_later, mark_pressed
from bot.listeners.workspace import who
from bot.log import get_logger
from bot.services import action_items, calendar, channel_setting, reports, standup_settings
from db.repos.users import user_by_id

log = get_logger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/report")(partial(report_command, deps=deps))
    app.command("/actions")(partial(actions_command, deps=deps))
    subcommands(deps)["reports"] = reports_settings
    app.action(render.ACTION_DONE)(partial(on_done, deps=deps))
    app.action(render.ACTION_DISMISS)(partial(on_dismiss_open, deps=deps))
    app.action(render.ACTION_REASSIGN)(partial(on_reassign, deps=deps))
    app.view(render.DISMISS_VIEW)(partial(on_dismiss_submit, deps=deps))
    deps.extras.setdefault("ack_hooks", {})[render.DISMISS_VIEW] = validate_dismiss


async def report_command(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any,
                         deps: Deps) -> None:
    """`/report …`: the report as an ephemeral message; with `csv`, the per-person CSV uploaded to the asker's DM."""
    await ack()
    org, user = who(context)
    text = command.get("text") or ""
    request = reports.parse_request(text, markup.read(text).users)
    async with deps.pool.connection() as conn:
        report = await reports.on_demand(conn, org.id, user, request, now=deps.now(), ai=deps.ai)
    fallback, blocks = render.report(report)
    await respond(text=fallback, blocks=blocks, response_type="ephemeral")
    if request.csv:
        channel = (await client.conversations_open(users=user.slack_id))["channel"]["id"]
        name = f"report-{report.period.kind}-{report.period.start.isoformat()}.csv"
        await client.files_upload_v2(channel=channel, content=reports.to_csv(report).encode(), filename=name,
                                     title=f"{report.title} (per person)")


async def actions_command(ack: Any, respond: Any, context: Any, deps: Deps) -> None:
    """`/actions`: the asker's open action items with Done / Dismiss / Reassign."""
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        items = await action_items.open_items(conn, org.id, [user.id])
        rhythm = await standup_settings.rhythm_of(conn, org.id)
    text, blocks = render.actions_list(items, today=calendar.local_date(deps.now(), rhythm.timezone))
    await respond(text=text, blocks=blocks, response_type="ephemeral")


async def reports_settings(ack: Any, respond: Any, args: str, deps: Deps, context: Any, client: Any,
                           **_: Any) -> None:
    """`/steward reports` (where organization-wide reports go) and `/steward reports channel #x|off` (admins)."""
    await ack()
    org, user = who(context)
    word, _sep, words = args.strip().partition(" ")
    async with deps.pool.connection() as conn:
        if word.lower() == "channel":
            channel = channel_setting.pick(words, usage="Pick the channel with a mention, like `/steward reports "
                                                        "channel #leads`, or `/steward reports channel off` to send "
                                                        "them to admins by DM.")
            await reports.set_reports_channel(conn, org.id, user, channel, now=deps.now(),
                                              can_post=partial(can_post, client, what="reports", internal=True))
        elif word:
            raise InvalidInput("`/steward reports` shows where organization reports go; admins change it with "
                               "`/steward reports channel #leads` (or `off` for admins' DMs).")
        else:
            channel = await reports.reports_channel(conn, org.id)
    where = f"<#{channel}>" if channel else "each admin by DM"
    await respond(text=f"Organization-wide reports go to {where}.", response_type="ephemeral")


async def _after_press(client: Any, body: dict[str, Any], respond: Any, line: str, deps: Deps) -> None:
    """The pressed item shows what happened: in a report DM its buttons become ``line``; in `/actions` (an
    ephemeral message) the message is replaced by ``line``."""
    if (body.get("container") or {}).get("is_ephemeral"):
        await respond(text=line, replace_original=True, response_type="ephemeral")
        return
    await mark_pressed(client, body, line, pool=deps.pool)


async def _closed_line(conn: Any, org_id: int, item: action_items.Item, actor: Any, newly: bool) -> str:
    """What a closed item's copies say: who closed it, and (pressed again) when, on the team's clock."""
    closer = actor if newly or item.closed_by == actor.id else (
        await user_by_id(conn, org_id, item.closed_by) if item.closed_by else None)
    by = closer.mention if closer is not None else "someone"
    rhythm = await standup_settings.rhythm_of(conn, org_id)
    when = short(item.completed_at, rhythm.timezone) if item.completed_at else ""
    return render.item_closed(item, by=by, newly=newly, when=when)


async def _update_copies(client: Any, copies: list[tuple[str, str]], item_id: int, line: str,
                         pressed: tuple[str | None, str | None], deps: Deps) -> None:
    """Every other report message listing the item (``copies``: :func:`action_items.copies`) loses its buttons too
    (a team and an org report share items)."""
    for channel, ts in copies:
        if (channel, ts) != pressed:
            await mark_later(client, channel, ts, f"action_item_buttons:{item_id}", line, pool=deps.pool)


async def on_done(ack: Any, body: dict[str, Any], client: Any, respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    container = body.get("container") or {}
    async with deps.pool.connection() as conn:
        item, newly = await action_items.close(conn, org.id, user, payload.action_id_value(body), done=True,
                                               reason=None, now=deps.now())
        line = await _closed_line(conn, org.id, item, user, newly)
        others = await action_items.copies(conn, org.id, item.id) if newly else []
    # The messages are changed with no connection held: each change takes its message's lock from the pool.
    await _after_press(client, body, respond, line, deps)
    await _update_copies(client, others, item.id, line, (container.get("channel_id"), container.get("message_ts")),
                         deps)
    if not container.get("is_ephemeral"):
        await respond(text=render.item_confirmed(item) if newly else line, response_type="ephemeral",
                      replace_original=False)


async def on_dismiss_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    """Dismiss: a form asks why (the reason is required), remembering where the button was."""
    await ack()
    org, user = who(context)
    async with deps.pool.connection() as conn:
        item = await action_items.get(conn, org.id, payload.action_id_value(body))
    if item.status not in ("open", "in_progress"):
        raise InvalidInput("That item is already closed.")
    view = render.dismiss_view(item)
    container = body.get("container") or {}
    block = ((body.get("actions") or [{}])[0]).get("block_id") or ""
    view["private_metadata"] = "|".join([str(item.id), str(container.get("channel_id") or ""),
                                         str(container.get("message_ts") or ""), str(block)])
    await client.views_open(trigger_id=payload.trigger_of(body), view=view)


def validate_dismiss(payload_: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time: a reason is given."""
    reason = payload.form_of(payload_.get("view") or {}).get(render.REASON_BLOCK)
    if not (isinstance(reason, str) and reason.strip()):
        return {"response_action": "errors", "errors": {render.REASON_BLOCK: "Say why, in a few words."}}
    return None


async def on_dismiss_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    item_id, channel, ts, block = payload.metadata(view, 4)
    reason = payload.form_of(view).get(render.REASON_BLOCK)
    async with deps.pool.connection() as conn:
        item, newly = await action_items.close(conn, org.id, user, payload.parse_id(item_id, what="form"), done=False,
                                               reason=reason if isinstance(reason, str) else None, now=deps.now())
        line = await _closed_line(conn, org.id, item, user, newly)
        others = await action_items.copies(conn, org.id, item.id) if newly else []
    await mark_later(client, channel or None, ts or None, block or None, line, pool=deps.pool)
    await _update_copies(client, others, item.id, line, (channel or None, ts or None), deps)


async def on_reassign(ack: Any, body: dict[str, Any], client: Any, respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    first = payload.action(body)
    to = first.get("selected_user")
    if not isinstance(to, str) or not to:
        raise InvalidInput("Pick the person to give it to.")
    block = str(first.get("block_id") or "")
    item_id = payload.parse_id(block.rpartition(":")[2], field="block_id")
    async with deps.pool.connection() as conn:
        item, person = await action_items.reassign(conn, org.id, user, item_id, to, now=deps.now())
    await _after_press(client, body, respond, render.item_reassigned(item, person.slack_id), deps)
