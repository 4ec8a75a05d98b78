"""The workspace state: identity, people, conversations and messages, with Slack's visibility rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.files import FileStore
from bot.emulators.slack.ids import IdFactory, TsClock
from bot.emulators.slack.messages import MessageStore, is_reply
from bot.emulators.slack.models import Channel, JsonDict, User
from bot.emulators.slack.views import ViewRegistry

BotMessageHook = Callable[[Channel, JsonDict], None]


@dataclass(frozen=True)
class Identity:
    team_id: str
    team_name: str
    domain: str
    bot_user_id: str
    bot_id: str
    app_id: str
    bot_name: str


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[JsonDict] | None
    ts: str
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"


@dataclass
class ResponseTarget:
    """Where a response_url POST lands: the channel, the user and the message it came from."""

    response_id: str
    channel_id: str | None
    user_id: str
    message_ts: str | None
    on_post: Callable[[JsonDict], None] | None = None
    uses: int = 0


@dataclass
class Workspace:
    identity: Identity
    base_url: str = ""
    ids: IdFactory = field(default_factory=IdFactory)
    clock: TsClock = field(default_factory=TsClock)
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    store: MessageStore = field(default_factory=MessageStore)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    deleted_messages: list[JsonDict] = field(default_factory=list)
    views: ViewRegistry = field(default_factory=ViewRegistry)
    files: FileStore = field(default_factory=FileStore)
    response_targets: dict[str, ResponseTarget] = field(default_factory=dict)
    bot_message_hooks: list[BotMessageHook] = field(default_factory=list)
    # The team's custom profile fields, as team.profile.get lists them (id, label, type, hint, ordering...).
    profile_fields: list[JsonDict] = field(default_factory=list)
    # Whether the bot token may post in public channels it is not a member of (the chat:write.public scope, which
    # Steward's manifest does not ask for); the Web API keeps it in step with the token's scopes.
    post_public_without_joining: bool = False

    def __post_init__(self) -> None:
        self.views.ids = self.ids
        self.files.ids = self.ids

    # ---- people

    def add_user(self, user: User) -> User:
        self.ids.reserve(user.id)
        self.users[user.id] = user
        return user

    def user(self, user_id: str | None) -> User:
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        return user

    @property
    def bot_user(self) -> User:
        return self.users[self.identity.bot_user_id]

    # ---- conversations

    def add_channel(self, channel: Channel) -> Channel:
        self.ids.reserve(channel.id)
        self.channels[channel.id] = channel
        return channel

    def channel(self, ref: str | None) -> Channel:
        channel = self.channels.get(ref or "")
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def post_target(self, ref: str | None) -> Channel:
        """What chat.postMessage accepts: an id, "#name"/name, or a user id meaning the DM with them."""
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref.startswith(("U", "W")) and ref in self.users:
            return self.dm_channel(ref)
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        raise SlackError("channel_not_found")

    def dm_channel(self, user_id: str) -> Channel:
        """The im between a person and the bot, created on first use."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        channel_id = self.ids.new("D")
        bot = self.identity.bot_user_id
        members = [user_id] if user_id == bot else [user_id, bot]
        return self.add_channel(
            Channel(
                id=channel_id, name=channel_id, bot_user_id=bot, is_im=True, im_user=user_id, members=members
            )
        )

    def mpim_channel(self, user_ids: list[str]) -> Channel:
        members = sorted({*user_ids, self.identity.bot_user_id})
        for channel in self.channels.values():
            if channel.is_mpim and sorted(channel.members) == members:
                return channel
        names = [self.user(u).name for u in members]
        return self.add_channel(
            Channel(
                id=self.ids.new("C"),
                name="mpdm-" + "--".join(names) + "-1",
                bot_user_id=self.identity.bot_user_id,
                is_private=True,
                is_mpim=True,
                members=members,
            )
        )

    def visible_channel(self, ref: str | None) -> Channel:
        """Private conversations the bot is not in look like they do not exist."""
        channel = self.channel(ref)
        if (channel.is_private or channel.is_im) and not self.bot_is_member(channel):
            raise SlackError("channel_not_found")
        return channel

    def bot_is_member(self, channel: Channel) -> bool:
        return channel.has_member(self.identity.bot_user_id)

    def require_readable(self, channel: Channel) -> None:
        if not self.bot_is_member(channel):
            raise SlackError("not_in_channel")

    def require_postable(self, channel: Channel) -> None:
        """As chat.postMessage answers a bot: a private conversation it is not in does not exist for it
        (``channel_not_found``); an archived one is ``is_archived``; a public channel it is not a member of is
        ``not_in_channel`` unless the token has chat:write.public (Slack's chat.postMessage reference, errors)."""
        member = self.bot_is_member(channel)
        if (channel.is_private or channel.is_im) and not member:
            raise SlackError("channel_not_found")
        if channel.is_archived:
            raise SlackError("is_archived")
        if not member and not self.post_public_without_joining:
            raise SlackError("not_in_channel")

    # ---- messages

    def find_message(self, channel_id: str, ts: str | None) -> JsonDict:
        message = self.store.find(channel_id, ts or "")
        if message is None:
            raise SlackError("message_not_found")
        return message

    def thread_root(self, channel_id: str, thread_ts: str | None) -> str | None:
        """Replying to a reply threads under its parent, as Slack does."""
        if thread_ts is None:
            return None
        target = self.store.find(channel_id, thread_ts)
        if target is not None and is_reply(target):
            return str(target["thread_ts"])
        return thread_ts

    def store_message(self, channel: Channel, message: JsonDict) -> JsonDict:
        if "ts" not in message:
            message["ts"] = self.clock.next_ts()
        else:
            self.clock.observe(message["ts"])
        self.store.log(channel.id).add(message)
        return message

    def user_message(
        self, user_id: str, channel: Channel, text: str, thread_ts: str | None = None, **extra: Any
    ) -> JsonDict:
        message: JsonDict = {
            "type": "message",
            "user": user_id,
            "text": text,
            "team": self.identity.team_id,
            "client_msg_id": str(uuid.uuid4()),
            "blocks": rich_text_blocks(text),
            **extra,
        }
        root = self.thread_root(channel.id, thread_ts)
        if root is not None:
            message["thread_ts"] = root
        return self.store_message(channel, message)

    def bot_message(
        self,
        channel: Channel,
        text: str,
        *,
        blocks: list[JsonDict] | None = None,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> JsonDict:
        identity = self.identity
        message: JsonDict = {
            "type": "message",
            "user": identity.bot_user_id,
            "bot_id": identity.bot_id,
            "app_id": identity.app_id,
            "text": text,
            "team": identity.team_id,
            "bot_profile": {"id": identity.bot_id, "app_id": identity.app_id, "name": identity.bot_name},
            **{k: v for k, v in extra.items() if v is not None},
        }
        if blocks is not None:
            message["blocks"] = blocks
        root = self.thread_root(channel.id, thread_ts)
        if root is not None:
            message["thread_ts"] = root
        self.store_message(channel, message)
        for hook in self.bot_message_hooks:
            hook(channel, message)
        return message

    def delete_message(self, channel_id: str, ts: str) -> JsonDict:
        message = self.store.log(channel_id).remove(ts)
        if message is None:
            raise SlackError("message_not_found")
        self.deleted_messages.append({"channel": channel_id, **message})
        return message

    def post_ephemeral(self, ephemeral: Ephemeral) -> Ephemeral:
        self.ephemerals.append(ephemeral)
        return ephemeral

    def permalink(self, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
        link = f"https://{self.identity.domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return link


def rich_text_blocks(text: str) -> list[JsonDict]:
    """The rich_text block the Slack client attaches to a typed message."""
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]
