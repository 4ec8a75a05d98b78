"""Whether Steward can post in a channel a setting names (the kudos channel, the reports channel): it is a member,
or joins a public one. Asks Slack (conversations.info, conversations.join), so it lives with the listeners."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.errors import InvalidInput


async def can_post(client: Any, channel: str, *, what: str, internal: bool = False) -> None:
    """Steward can post ``what`` ("kudos", "reports") in ``channel``: it is a member, or it joins (a public
    channel; the manifest's channels:join). Raises InvalidInput saying why not: a private channel it was not invited to (Slack answers
    channel_not_found for one), an archived one, a join Slack refused, or (``internal``: what names people and their
    figures) a channel shared with another organization (conversations.info's ``is_ext_shared``, Slack Connect)."""
    invite = f"Invite me there first (`/invite @Steward` in <#{channel}>), then set it again."
    try:
        found = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as exc:
        if (exc.response or {}).get("error") == "channel_not_found":
            raise InvalidInput(f"I can't see <#{channel}>: if it's a private channel, I'm not in it. {invite}") from exc
        raise
    if found.get("is_archived"):
        raise InvalidInput(f"<#{channel}> is archived, so nobody would see {what} there. Pick another channel.")
    if internal and (found.get("is_ext_shared") or found.get("is_shared")):
        raise InvalidInput(f"<#{channel}> is shared with another organization, and {what} name people and their "
                           "figures: pick a channel only your team is in.")
    if found.get("is_member"):
        return
    if found.get("is_private"):
        raise InvalidInput(f"I'm not a member of <#{channel}>. {invite}")
    try:
        await client.conversations_join(channel=channel)
    except SlackApiError as exc:
        error = (exc.response or {}).get("error")
        raise InvalidInput(f"I couldn't join <#{channel}> (Slack said `{error}`). {invite}") from exc
