"""views.open / push / update / publish."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulators.slack.args import Args
from bot.emulators.slack.models import JsonDict
from bot.emulators.slack.views import ViewOwner
from bot.emulators.slack.workspace import Workspace

Handler = Callable[[Workspace, Args], JsonDict]


def owner(ws: Workspace) -> ViewOwner:
    return ViewOwner(ws.identity.team_id, ws.identity.app_id, ws.identity.bot_id)


def views_open(ws: Workspace, args: Args) -> JsonDict:
    return {"view": ws.views.open_modal(args.get_str("trigger_id"), args.get_json("view"), owner(ws))}


def views_push(ws: Workspace, args: Args) -> JsonDict:
    return {"view": ws.views.push_modal(args.get_str("trigger_id"), args.get_json("view"), owner(ws))}


def views_update(ws: Workspace, args: Args) -> JsonDict:
    view = ws.views.get(args.get_str("view_id"), args.get_str("external_id"))
    return {"view": ws.views.update(view, args.get_json("view"), args.get_str("hash"))}


def views_publish(ws: Workspace, args: Args) -> JsonDict:
    user = ws.user(args.get_str("user_id"))
    return {"view": ws.views.publish_home(user.id, args.get_json("view"), args.get_str("hash"), owner(ws))}


METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
