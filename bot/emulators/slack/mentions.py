"""What a person types, as Slack sends it: `@name`, `#channel`, links and `& < >` in Slack's markup.

Slack's client sends a typed message with `&`, `<`, `>` escaped as `&amp;`, `&lt;`, `&gt;`; people and
channels it recognises as `<@U…>` and `<#C…|name>`; `@here`/`@channel`/`@everyone` as `<!here>`…; and
links as `<https://…>` (api.slack.com/reference/surfaces/formatting, "Escaping text" and "Mentioning
users"). A typed `@name` that matches exactly one member is converted even when it was not picked from
the autocomplete; an ambiguous or unknown one stays plain text. Slash commands get the same conversion
from Slack's servers when the command says `should_escape: true`, with the user's name as a label:
`<@U…|name>` (see commands.py).

Text inside backticks and existing `<…>` markup is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.emulators.slack.models import Channel, User
from bot.emulators.slack.workspace import Workspace

SPECIAL_MENTIONS = ("here", "channel", "everyone")
_PROTECTED = re.compile(r"```.*?```|`[^`\n]*`|<[^<>\n]*>", re.S)
_TRIGGER = re.compile(r"(?<![^\s(\[{\"'“‘,;:])([@#])(?=\w)")
_URL = re.compile(r"(?<![^\s(\[])(https?://[^\s<>]*[^\s<>.,;:!?)\]'\"])")
_CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*", re.I)
_MARKUP = re.compile(r"<([@#!])([A-Za-z0-9^]+)(?:\|([^>]*))?>")


def escape_typed(text: str) -> str:
    """`&`, `<`, `>` as Slack's client sends them (`&amp;`, `&lt;`, `&gt;`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _names(user: User) -> set[str]:
    forms = {user.name, user.display_name, user.real_name}
    first = (user.real_name or "").split(" ")[0]
    forms.add(first)
    return {f.strip().lower() for f in forms if f and f.strip()}


def _members(workspace: Workspace) -> list[User]:
    return [u for u in workspace.users.values() if not u.deleted and u.id != "USLACKBOT"]


def _visible_channels(workspace: Workspace, viewer: str | None) -> list[Channel]:
    return [c for c in workspace.channels.values()
            if not c.is_im and not c.is_mpim and (not c.is_private or (viewer is not None and c.has_member(viewer)))]


def _match_user(workspace: Workspace, rest: str) -> tuple[User | None, int]:
    """The one member whose longest matching name starts `rest`, and that name's length (0: none or ambiguous)."""
    lowered = rest.lower()
    best: dict[int, set[str]] = {}
    people: dict[str, User] = {}
    for user in _members(workspace):
        for form in _names(user):
            end = len(form)
            if lowered.startswith(form) and (end == len(rest) or not (rest[end].isalnum() or rest[end] in "_-")):
                best.setdefault(end, set()).add(user.id)
                people[user.id] = user
    if not best:
        return None, 0
    length = max(best)
    ids = best[length]
    return (people[next(iter(ids))], length) if len(ids) == 1 else (None, 0)


def _match_channel(channels: Iterable[Channel], rest: str) -> tuple[Channel | None, int]:
    typed = _CHANNEL_NAME.match(rest)
    if typed is None:
        return None, 0
    name = typed.group(0).lower().rstrip("-_")
    found = [c for c in channels if c.name.lower() == name]
    return (found[0], len(name)) if len(found) == 1 else (None, 0)


def _link_plain(workspace: Workspace, viewer: str | None, text: str, *, user_labels: bool) -> str:
    channels = _visible_channels(workspace, viewer)
    out: list[str] = []
    pos = 0
    for m in _TRIGGER.finditer(text):
        start = m.start()
        if start < pos:
            continue
        rest = text[start + 1:]
        if m.group(1) == "#":
            channel, length = _match_channel(channels, rest)
            if channel is None:
                continue
            out.append(text[pos:start] + f"<#{channel.id}|{channel.name}>")
        else:
            user, length = _match_user(workspace, rest)
            if user is not None:
                out.append(text[pos:start] + (f"<@{user.id}|{user.name}>" if user_labels else f"<@{user.id}>"))
            else:
                special = re.match(r"(here|channel|everyone)\b", rest, re.I)
                if special is None:
                    continue
                length = len(special.group(1))
                out.append(text[pos:start] + f"<!{special.group(1).lower()}>")
        pos = start + 1 + length
    out.append(text[pos:])
    return _URL.sub(lambda u: f"<{u.group(1)}>", "".join(out))


def link_typed(workspace: Workspace, viewer: str | None, text: str, *, user_labels: bool = False) -> str:
    """Convert typed `@name`, `#channel`, `@here` and bare links into Slack markup.

    `viewer` is the person typing (private channels they are not in are not matched); `user_labels`
    gives `<@U…|name>` as should_escape does for commands, else `<@U…>` as in messages. Existing markup
    and code spans are kept. Text is expected already escaped (`escape_typed`).
    """
    out: list[str] = []
    pos = 0
    for protected in _PROTECTED.finditer(text):
        out.append(_link_plain(workspace, viewer, text[pos:protected.start()], user_labels=user_labels))
        token = protected.group(0)
        out.append(_label_user(workspace, token) if user_labels else token)
        pos = protected.end()
    out.append(_link_plain(workspace, viewer, text[pos:], user_labels=user_labels))
    return "".join(out)


def _label_user(workspace: Workspace, token: str) -> str:
    """`<@U123>` as should_escape sends it: `<@U123|name>`."""
    m = _MARKUP.fullmatch(token)
    if m is None or m.group(1) != "@" or m.group(3) is not None:
        return token
    user = workspace.users.get(m.group(2))
    return f"<@{user.id}|{user.name}>" if user is not None else token


def plain_mentions(workspace: Workspace, text: str) -> str:
    """Markup back to what the person typed (`@name`, `#channel`, `@here`): a should_escape: false command."""

    def plain(m: re.Match[str]) -> str:
        kind, ref, label = m.group(1), m.group(2), m.group(3)
        if kind == "@":
            user = workspace.users.get(ref)
            return "@" + (user.name if user is not None else (label or ref))
        if kind == "#":
            channel = workspace.channels.get(ref)
            return "#" + (channel.name if channel is not None else (label or ref))
        return "@" + ref if ref in SPECIAL_MENTIONS else m.group(0)

    return _MARKUP.sub(plain, text)
