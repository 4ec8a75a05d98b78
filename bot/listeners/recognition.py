"""Recognition and invisible labour (SPEC F7, F14; issue 14): `/kudos @person <why>`, `/steward kudos [channel #x|off]`,
`/helped @person <what> [time]` with the person helped's Confirm / Not me, and the one-click offer after "thanks @sam
for …" in a standup update (:func:`offer_thanks`, called by bot/listeners/updates.py once the update is answered).
The rules live in bot/services/kudos.py and bot/services/interventions.py; the words in bot/blocks/recognition.py."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import recognition as render
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners.channel_check import can_post
from bot.listeners.help import subcommands
from bot.listeners.pressed import mark_pressed
from bot.listeners.workspace import who
from bot.log import get_logger
from bot.parsing.thanks import find_thanks
from bot.services import interventions, kudos
from db.repos.users import user_by_slack_id
from db.rows import User
from jobs.common import wake_dispatcher

log = get_logger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/kudos")(partial(kudos_command, deps=deps))
    app.command("/helped")(partial(helped_command, deps=deps))
    subcommands(deps)["kudos"] = kudos_settings
    for action_id in ("helped_confirm", "helped_decline"):
        app.action(action_id)(partial(on_helped_button, deps=deps))
    for action_id in ("thanks_record", "thanks_dismiss"):
        app.action(action_id)(partial(on_thanks_button, deps=deps))


async def _bot_ids(client: Any, deps: Deps, org: Any, text: str) -> set[str]:
    """The Slack ids among the first person mentioned in ``text`` that are bots: Steward itself, or (for someone
    Steward doesn't know as a person) whoever Slack's users.info says is a bot or an app."""
    mentioned = markup.read(text or "").users
    if not mentioned:
        return set()
    first = mentioned[0]
    if first == org.bot_user_id:
        return {first}
    async with deps.pool.connection() as conn:
        if await user_by_slack_id(conn, org.id, first) is not None:
            return set()
    try:
        found = (await client.users_info(user=first)).get("user") or {}
    except SlackApiError:
        return set()  # not a user Slack knows either: the service says it doesn't know them
    return {first} if found.get("is_bot") or found.get("is_app_user") else set()


async def kudos_command(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    text = command.get("text") or ""
    bots = await _bot_ids(client, deps, org, text)
    async with deps.pool.connection() as conn:
        given = await kudos.give(conn, org.id, user, text, deps.now(), bot_ids=bots)
    wake_dispatcher(deps)
    await respond(text=render.kudos_given(given), response_type="ephemeral")


async def kudos_settings(ack: Any, respond: Any, args: str, deps: Deps, context: Any, client: Any, **_: Any) -> None:
    """`/steward kudos` (where kudos go) and `/steward kudos channel #wins|off` (admins)."""
    await ack()
    org, user = who(context)
    word, _sep, words = args.strip().partition(" ")
    async with deps.pool.connection() as conn:
        if not word:
            await respond(text=render.kudos_channel_text(await kudos.kudos_channel(conn, org.id), changed=False),
                          response_type="ephemeral")
            return
        if word.lower() != "channel":
            raise InvalidInput("`/steward kudos` shows where kudos go; admins change it with "
                               "`/steward kudos channel #wins` (or `off` for DMs).")
        channel = await kudos.set_kudos_channel(conn, org.id, user, words, partial(can_post, client, what="kudos"))
    await respond(text=render.kudos_channel_text(channel, changed=True), response_type="ephemeral")


async def helped_command(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    text = command.get("text") or ""
    bots = await _bot_ids(client, deps, org, text)
    source = command.get("trigger_id") or f"{command.get('channel_id')}:{deps.now().timestamp()}"
    async with deps.pool.connection() as conn:
        found, new, reach = await interventions.log_helped(conn, org.id, user, text, deps.now(), source_key=str(source),
                                                           bot_ids=bots)
    wake_dispatcher(deps)
    await respond(text=render.helped_logged(found, new, reach_at=reach, viewer_tz=user.timezone or "UTC"),
                  response_type="ephemeral")


async def on_helped_button(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    """Confirm / Not me in the DM to the person helped: decided once, the buttons become what was decided."""
    await ack()
    org, user = who(context)
    decision: interventions.Decision = "confirmed" if payload.action(body)["action_id"] == "helped_confirm" else "declined"
    async with deps.pool.connection() as conn:
        found = await interventions.decide(conn, org.id, user, payload.action_id_value(body), decision, deps.now())
    wake_dispatcher(deps)
    await mark_pressed(client, body, render.helped_decided(found), pool=deps.pool)


async def on_thanks_button(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    """Record it / No thanks on the offer after a "thanks @sam for …": the author (the person helped) decides."""
    await ack()
    org, user = who(context)
    decision: interventions.Decision = "confirmed" if payload.action(body)["action_id"] == "thanks_record" else "declined"
    async with deps.pool.connection() as conn:
        found = await interventions.decide(conn, org.id, user, payload.action_id_value(body), decision, deps.now())
    wake_dispatcher(deps)
    await respond(text=render.thanks_decided(found), replace_original=True, response_type="ephemeral")


async def offer_thanks(deps: Deps, client: Any, org: Any, author: User, *, channel: str, ts: str, text: str,
                       thread_ts: str | None) -> None:
    """After a standup update is answered: for each teammate its author thanked for something ("thanks @sam for
    reviewing the migration"), an ephemeral offer, to the author only, to record it as help with one click.
    Cheap when there is no thanks (a regular expression, no query), so the update's answer is never held up."""
    found = find_thanks(text, author=author.slack_id, bot_user_id=org.bot_user_id)
    if not found:
        return
    now = deps.now()
    for thanks in found:
        async with deps.pool.connection() as conn:
            offered = await interventions.offer_thanks(conn, org.id, author, thanks, source=f"{channel}:{ts}", now=now)
        if offered is None:
            continue
        text_, blocks = render.thanks_offer(offered)
        await client.chat_postEphemeral(channel=channel, user=author.slack_id, text=text_, blocks=blocks,
                                        **({"thread_ts": thread_ts} if thread_ts else {}))
