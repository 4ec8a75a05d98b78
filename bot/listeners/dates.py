"""`/steward dates [day-first|month-first|auto]`: how Steward reads a person's numeric dates.

The order comes from the person's Slack locale (en-GB, de-DE, fr-FR ... day-first; en-US
month-first) unless they choose one here.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.listeners.help import subcommands
from bot.listeners.workspace import who
from bot.parsing.models import DateOrder
from bot.services import workspace

_READS = {"DMY": "3/4 as *3 April* (day first)", "MDY": "3/4 as *4 March* (month first)"}
_CHANGE = "Change it with `/steward dates day-first`, `/steward dates month-first` or `/steward dates auto`."


def register(app: AsyncApp, deps: Deps) -> None:
    subcommands(deps)["dates"] = dates_command


def reads(order: DateOrder) -> str:
    return _READS[order]


async def dates_command(ack: Any, respond: Any, args: str, deps: Deps, context: Any, **_: Any) -> None:
    await ack()
    org, user = who(context)
    if not args.strip():
        source = "your choice" if user.date_order else f"your Slack language and region ({user.locale or 'not set'})"
        text = f"I read {reads(workspace.date_order_of(user))}, from {source}. {_CHANGE}"
        await respond(text=text, response_type="ephemeral")
        return
    async with deps.pool.connection() as conn:
        order = await workspace.set_date_order(conn, org.id, user, args)
    how = "following your Slack language and region" if args.strip().lower() == "auto" else "as you asked"
    await respond(text=f"Got it: I'll read {reads(order)}, {how}. Dates I confirm are always spelled out "
                       "(\u201cFri 3 Apr\u201d), so a misread shows.", response_type="ephemeral")
