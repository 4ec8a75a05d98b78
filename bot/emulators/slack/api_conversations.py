"""conversations.* Web API methods, with Slack's cursor pagination."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulators.slack.api_chat import public_message
from bot.emulators.slack.args import Args
from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.ids import decode_cursor, encode_cursor, ts_key
from bot.emulators.slack.messages import first_index, in_channel_view, take_page
from bot.emulators.slack.models import Channel, JsonDict
from bot.emulators.slack.workspace import Workspace

Handler = Callable[[Workspace, Args], JsonDict]
MembershipHook = Callable[[Channel, str], None]


def _limit(args: Args, default: int, maximum: int) -> int:
    limit = args.get_int("limit", default)
    return default if limit <= 0 else min(limit, maximum)


def _metadata(next_cursor: str | None) -> JsonDict:
    return {"response_metadata": {"next_cursor": next_cursor or ""}}


def page_by_id(items: list[str], args: Args, kind: str, default_limit: int) -> tuple[list[str], JsonDict]:
    """Ids sorted ascending; the cursor names the first id of the next page."""
    ordered = sorted(items)
    cursor = args.get_str("cursor")
    first_id = decode_cursor(cursor, kind) if cursor else ""
    start = first_index(ordered, lambda item: item >= first_id)
    page, following = take_page(ordered, start, _limit(args, default_limit, 1000))
    return page, _metadata(encode_cursor(kind, following) if following else None)


def _in_range(ts: str, args: Args) -> bool:
    inclusive = args.get_bool("inclusive")
    key = ts_key(ts)
    oldest = ts_key(args.get_str("oldest") or "0")
    latest_arg = args.get_str("latest")
    above = key >= oldest if inclusive else key > oldest
    if latest_arg is None:
        return above
    latest = ts_key(latest_arg)
    return above and (key <= latest if inclusive else key < latest)


def _page_messages(messages: list[JsonDict], args: Args, newer_first: bool, default_limit: int) -> JsonDict:
    cursor = args.get_str("cursor")
    start = 0
    if cursor:
        boundary = ts_key(decode_cursor(cursor, "next_ts"))
        if newer_first:
            start = first_index(messages, lambda m: ts_key(m["ts"]) <= boundary)
        else:
            start = first_index(messages, lambda m: ts_key(m["ts"]) >= boundary)
    page, following = take_page(messages, start, _limit(args, default_limit, 999 if newer_first else 1000))
    include_all_metadata = args.get_bool("include_all_metadata")
    return {
        "messages": [public_message(m, include_all_metadata) for m in page],
        "has_more": following is not None,
        **_metadata(encode_cursor("next_ts", following["ts"]) if following else None),
    }


def history(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    ws.require_readable(channel)
    log = ws.store.log(channel.id).all()
    messages = [m for m in reversed(log) if in_channel_view(m) and _in_range(m["ts"], args)]
    return {"pin_count": 0, **_page_messages(messages, args, newer_first=True, default_limit=100)}


def replies(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    ws.require_readable(channel)
    root = ws.thread_root(channel.id, args.required("ts"))
    parent = ws.store.find(channel.id, root or "")
    if parent is None:
        raise SlackError("thread_not_found")
    thread = [parent, *ws.store.log(channel.id).replies(parent["ts"])]
    messages = [m for m in thread if m is parent or _in_range(m["ts"], args)]
    return _page_messages(messages, args, newer_first=False, default_limit=1000)


def info(ws: Workspace, args: Args) -> JsonDict:
    return {"channel": ws.visible_channel(args.get_str("channel")).to_api()}


def _kind(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


def _listing(ws: Workspace, args: Args, member_id: str | None) -> JsonDict:
    """Public channels, plus the private ones the bot is in; only `member_id`'s when given."""
    types = set(args.get_list("types") or ["public_channel"])
    exclude_archived = args.get_bool("exclude_archived")

    def included(channel: Channel) -> bool:
        visible = _kind(channel) == "public_channel" or ws.bot_is_member(channel)
        if member_id is not None and not channel.has_member(member_id):
            return False
        return _kind(channel) in types and visible and not (exclude_archived and channel.is_archived)

    page, metadata = page_by_id([c.id for c in ws.channels.values() if included(c)], args, "id", 100)
    return {"channels": [ws.channels[i].to_api() for i in page], **metadata}


def list_conversations(ws: Workspace, args: Args) -> JsonDict:
    return _listing(ws, args, member_id=None)


def users_conversations(ws: Workspace, args: Args) -> JsonDict:
    user_id = args.get_str("user") or ws.identity.bot_user_id
    ws.user(user_id)
    return _listing(ws, args, member_id=user_id)


def members(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.visible_channel(args.get_str("channel"))
    page, metadata = page_by_id(list(channel.members), args, "user", 100)
    return {"members": page, **metadata}


def open_conversation(ws: Workspace, args: Args) -> JsonDict:
    if args.has("channel"):
        channel = ws.visible_channel(args.get_str("channel"))
    else:
        user_ids = args.get_list("users")
        if not user_ids:
            raise SlackError("users_list_not_supplied")
        for user_id in user_ids:
            ws.user(user_id)
        channel = ws.dm_channel(user_ids[0]) if len(user_ids) == 1 else ws.mpim_channel(user_ids)
    if args.get_bool("return_im"):
        return {"channel": channel.to_api()}
    return {"channel": {"id": channel.id}}


def make_join(on_join: MembershipHook) -> Handler:
    def join(ws: Workspace, args: Args) -> JsonDict:
        channel = ws.channel(args.get_str("channel"))
        if channel.is_im or channel.is_mpim or channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        bot = ws.identity.bot_user_id
        if channel.has_member(bot):
            warning = "already_in_channel"
            return {
                "channel": channel.to_api(),
                "warning": warning,
                "response_metadata": {"warnings": [warning]},
            }
        channel.members.append(bot)
        on_join(channel, bot)
        return {"channel": channel.to_api()}

    return join


def methods(on_join: MembershipHook) -> dict[str, Handler]:
    return {
        "conversations.history": history,
        "conversations.replies": replies,
        "conversations.info": info,
        "conversations.list": list_conversations,
        "conversations.members": members,
        "conversations.open": open_conversation,
        "conversations.join": make_join(on_join),
        "users.conversations": users_conversations,
    }
