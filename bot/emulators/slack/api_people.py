"""auth.test, users.*, team.info."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.emulators.slack.api_conversations import page_by_id
from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.models import JsonDict
from bot.emulators.slack.workspace import Workspace

Handler = Callable[[Workspace, Args], JsonDict]


def auth_test(ws: Workspace, args: Args) -> JsonDict:
    identity = ws.identity
    return {
        "url": f"https://{identity.domain}.slack.com/",
        "team": identity.team_name,
        "user": ws.bot_user.name,
        "team_id": identity.team_id,
        "user_id": identity.bot_user_id,
        "bot_id": identity.bot_id,
        "is_enterprise_install": False,
    }


def users_list(ws: Workspace, args: Args) -> JsonDict:
    page, metadata = page_by_id(list(ws.users), args, "user", 1000)
    locale = args.get_bool("include_locale")
    return {"members": [ws.users[u].to_api(locale) for u in page], "cache_ts": int(time.time()), **metadata}


def users_info(ws: Workspace, args: Args) -> JsonDict:
    return {"user": ws.user(args.get_str("user")).to_api(args.get_bool("include_locale"))}


def users_profile_get(ws: Workspace, args: Args) -> JsonDict:
    """A person's profile (status_text, status_emoji, status_expiration …) with their custom profile fields
    (``fields``: field id -> {"value", "alt"}, and "label" with include_labels); without ``user``, the caller's
    (the bot's, for a bot token), as Slack does. Only this method returns custom fields."""
    user_id = args.get_str("user") or ws.identity.bot_user_id
    user = ws.user(user_id)
    labels = {f["id"]: f.get("label", "") for f in ws.profile_fields}
    with_labels = args.get_bool("include_labels")
    fields = {fid: {"value": value, "alt": "", **({"label": labels.get(fid, "")} if with_labels else {})}
              for fid, value in user.fields.items() if fid in labels and value}
    return {"profile": {**user.profile(), "fields": fields}}


_VISIBILITY = {"all": None, "visible": False, "hidden": True}


def team_profile_get(ws: Workspace, args: Args) -> JsonDict:
    """The team's custom profile field definitions (``profile.fields``), filtered by ``visibility``: ``all``
    (default), ``visible`` (``is_hidden`` missing or false) or ``hidden``; another value is invalid_arguments."""
    visibility = (args.get_str("visibility") or "all").lower()
    if visibility not in _VISIBILITY:
        raise SlackError("invalid_arguments")
    hidden = _VISIBILITY[visibility]
    fields = [dict(f) for f in ws.profile_fields if hidden is None or bool(f.get("is_hidden")) == hidden]
    return {"profile": {"fields": fields, "sections": []}}


def users_lookup_by_email(ws: Workspace, args: Args) -> JsonDict:
    email = args.required("email").lower()
    user = next((u for u in ws.users.values() if (u.email or "").lower() == email), None)
    if user is None:
        raise SlackError("users_not_found")
    return {"user": user.to_api()}


def team_info(ws: Workspace, args: Args) -> JsonDict:
    identity = ws.identity
    return {
        "team": {
            "id": identity.team_id,
            "name": identity.team_name,
            "domain": identity.domain,
            "email_domain": "",
            "icon": {"image_default": True},
        }
    }


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.list": users_list,
    "users.info": users_info,
    "users.profile.get": users_profile_get,
    "users.lookupByEmail": users_lookup_by_email,
    "team.info": team_info,
    "team.profile.get": team_profile_get,
}
