"""Flags and private inquiries (SPEC F9; issue 13): `/flag @person <reason>`, `/flags`, a flag card's buttons
Open inquiry / Resolve / Dismiss, and the relay of an inquiry's two DM threads. The rules live in
bot/services/flags.py and bot/services/inquiries.py; the words in bot/blocks/flags.py.

The relay posts each message into the other person's thread itself (it answers a message someone just wrote, as
``say`` would, and must land in a thread whose ts it knows): the message is stored first, then posted, then the
copy's ts recorded, so Slack delivering the message again neither stores nor relays it twice, and a relay Slack
refused is tried again on the next delivery."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import message_edit
from bot import slack_limits as L
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import flags as render
from bot.blocks.kit import context as kit_context
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import dm, home
from bot.listeners.pressed import mark_pressed
from bot.listeners.workspace import who
from bot.services import flags, inquiries
from db.repos.users import user_by_id, users_by_ids
from jobs.common import wake_dispatcher

BUTTONS = ("flag_inquiry", "flag_resolve", "flag_dismiss")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/flag")(partial(flag_command, deps=deps))
    app.command("/flags")(partial(flags_command, deps=deps))
    app.action("flag_inquiry")(partial(on_open_inquiry, deps=deps))
    for action_id in ("flag_resolve", "flag_dismiss"):
        app.action(action_id)(partial(on_close, deps=deps))
    app.message(matchers=[partial(is_inquiry_message, deps=deps)])(partial(on_inquiry_message, deps=deps))
    # A reply written in the DM itself, not in the conversation's thread: asked about before anything else reads it.
    dm.add_route(deps, INQUIRY_ROUTE, lambda _text: True, ask_if_inquiry_reply, priority=5)
    app.action(re.compile(rf"^{render.REPLY_SEND}:\d+$"))(partial(on_reply_send, deps=deps))
    app.action(render.REPLY_OTHER)(partial(on_reply_other, deps=deps))


async def flag_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    now = deps.now()
    async with deps.pool.connection() as conn:
        raised = await flags.raise_manual(conn, org.id, user, command.get("text") or "", now)
        person = await user_by_id(conn, org.id, raised.flag.user_id)
    assert person is not None
    wake_dispatcher(deps)
    await respond(text=render.raised_text(raised, person, user), response_type="ephemeral")


async def flags_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    if (command.get("text") or "").strip():
        raise InvalidInput("`/flags` takes no words: it lists the flags you can see (about your reports, or everyone's "
                           "for admins). " + flags.USAGE)
    async with deps.pool.connection() as conn:
        found = await flags.visible(conn, org.id, user, deps.now())
        counts = {f.inquiry_id: await inquiries.count_messages(conn, org.id, f.inquiry_id) for f in found if f.inquiry_id}
        raisers = {u.id: u for u in await users_by_ids(conn, org.id, sorted({f.raised_by for f in found if f.raised_by}))}
    text, blocks = render.flags_list(found, user, counts, raisers)
    await respond(text=text, blocks=blocks, response_type="ephemeral")


def _flag_id(body: dict[str, Any]) -> int:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not value.isdigit():
        raise InvalidInput("That flag button is broken; `/flags` lists the flags you can see.")
    return int(value)


async def _after_press(client: Any, body: dict[str, Any], deps: Deps, org: Any, user: Any, line: str) -> None:
    """What a pressed flag button leaves behind: the card's buttons become what happened, or App Home is redrawn."""
    if (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home":
        await home.publish_home(client, deps, org, user)
        return
    await mark_pressed(client, body, line, pool=deps.pool)


async def on_close(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    await ack()
    org, user = who(context)
    action = ((body.get("actions") or [{}])[0]).get("action_id")
    status: flags.Closing = "resolved" if action == "flag_resolve" else "dismissed"
    async with deps.pool.connection() as conn:
        closed = await flags.close(conn, org.id, user, _flag_id(body), deps.now(), status)
    wake_dispatcher(deps)
    told = " The conversation with them is closed and they've been told." if closed.inquiry_id else ""
    await _after_press(client, body, deps, org, user, f":white_check_mark: Flag `{closed.flag.ref}` {status} by you.{told}")


async def on_open_inquiry(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    """Open inquiry: the inquiry is recorded, then each side's thread is started in their DM with Steward (a side
    whose thread is already there, after a retry or a second press, is left as it is)."""
    await ack()
    org, user = who(context)
    now = deps.now()
    async with deps.pool.connection() as conn:
        opened = await inquiries.open_for_flag(conn, org.id, user, _flag_id(body), now)
        inquiry, flag = opened.inquiry, opened.flag
        person = await user_by_id(conn, org.id, inquiry.user_id)
        opener = await user_by_id(conn, org.id, inquiry.opened_by) if inquiry.opened_by else None
    assert person is not None
    if opener is None or opener.id != user.id:
        raise InvalidInput(f"{opener.mention if opener else 'Someone'} already has a private conversation open about "
                           f"flag `{flag.ref}`; only the two of them can read it.")
    manager_side = subject_side = None
    if inquiry.manager_thread_ts is None:
        channel = (await client.conversations_open(users=user.slack_id))["channel"]["id"]
        text, blocks = render.manager_root(flag, person, user)
        posted = await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        manager_side = (channel, str(posted["ts"]))
    if inquiry.user_thread_ts is None:
        channel = (await client.conversations_open(users=person.slack_id))["channel"]["id"]
        posted = await client.chat_postMessage(channel=channel, text=render.person_root(user))
        subject_side = (channel, str(posted["ts"]))
    if manager_side or subject_side:
        async with deps.pool.connection() as conn:
            await inquiries.set_threads(conn, org.id, inquiry.id, manager=manager_side, subject=subject_side)
    line = (f":lock: Private inquiry with {person.mention} opened: write to them in its thread in our DM."
            if opened.created else f":lock: Your private inquiry with {person.mention} is already open: its thread is in our DM.")
    await _after_press(client, body, deps, org, user, line)


# ---------------------------------------------------------------- the relay

async def is_inquiry_message(body: dict[str, Any], context: Any, deps: Deps) -> bool:
    """A person's reply in a DM thread that belongs to an inquiry (either side)."""
    event = body.get("event") or {}
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not thread_ts or thread_ts == ts:
        return False
    org = context.get("org")
    if org is None:
        return False
    async with deps.pool.connection() as conn:
        found = await inquiries.by_thread(conn, org.id, event.get("channel") or "", thread_ts)
    if found is None:
        return False
    context["inquiry"] = found
    return True


async def on_inquiry_message(message: dict[str, Any], say: Any, client: Any, context: Any, deps: Deps) -> None:
    org, user = who(context)
    inquiry, side = context["inquiry"]
    thread_ts = message.get("thread_ts")
    try:
        async with deps.pool.connection() as conn:
            relay = await inquiries.record(conn, org.id, inquiry, side, user, message.get("text") or "",
                                           str(message.get("ts")), deps.now())
    except InvalidInput as refused:
        await say(text=refused.user_message, thread_ts=thread_ts)
        return
    if relay is None:
        return  # stored and relayed before: Slack delivered it twice
    posted = await client.chat_postMessage(channel=relay.channel_id, thread_ts=relay.thread_ts,
                                           text=render.relayed(user, side, relay.body))
    async with deps.pool.connection() as conn:
        await inquiries.relayed(conn, org.id, relay.message_id, posted.get("ts"))


# ---------------------------------------------------------------- a reply written outside the inquiry's thread

INQUIRY_ROUTE = "inquiry_reply"


async def ask_if_inquiry_reply(message: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any,
                               **_: Any) -> Any:
    """A person writes in the DM itself (not in a thread) while a manager's private conversation with them waits for
    a reply (:func:`bot.services.inquiries.awaiting_reply`): Steward asks whether it is for that conversation (Send
    to <name>, one per conversation) or something else, and does nothing with it until they choose, so private words
    never become a task draft and nothing reaches a manager by a guess. Other messages pass to the next route."""
    if message.get("thread_ts") and message.get("thread_ts") != message.get("ts"):
        return dm.PASS
    org, user = who(context)
    async with deps.pool.connection() as conn:
        waiting = await inquiries.awaiting_reply(conn, org.id, user, deps.now())
    if not waiting:
        return dm.PASS
    text, blocks = render.reply_where(waiting, str(message.get("ts")))
    await client.chat_postMessage(channel=message.get("channel") or user.slack_id, text=text, blocks=blocks)
    return None


async def _held_message(client: Any, channel: str, ts: str, user: Any) -> dict[str, Any]:
    """The person's DM a *Send to* / *It's something else* button is about, as Slack holds it now (an edit included)."""
    found = await message_edit.current(client, channel, ts, strict=True)
    if found is None or found.get("user") != user.slack_id:
        raise InvalidInput("I can't find that message any more, so I did nothing with it.")
    return {**found, "channel": channel, "channel_type": "im"}


async def on_reply_send(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps) -> None:
    """*Send to <name>*: the held message is relayed like a reply in the conversation's thread, and a copy is put in
    the person's own thread so the conversation reads in one place."""
    await ack()
    org, user = who(context)
    inquiry_text, ts = payload.split(payload.action_value(body), 2)
    channel, prompt_ts = payload.message_of(body)
    message = await _held_message(client, channel, ts, user)
    async with deps.pool.connection() as conn:
        inquiry = await inquiries.get(conn, org.id, payload.parse_id(inquiry_text))
        relay = await inquiries.record(conn, org.id, inquiry, "subject", user, message.get("text") or "", ts, deps.now())
        opener = await user_by_id(conn, org.id, inquiry.opened_by) if inquiry.opened_by else None
    if relay is not None:
        posted = await client.chat_postMessage(channel=relay.channel_id, thread_ts=relay.thread_ts,
                                               text=render.relayed(user, "subject", relay.body))
        async with deps.pool.connection() as conn:
            await inquiries.relayed(conn, org.id, relay.message_id, posted.get("ts"))
        if inquiry.user_channel_id and inquiry.user_thread_ts:
            await client.chat_postMessage(channel=inquiry.user_channel_id, thread_ts=inquiry.user_thread_ts,
                                          text=L.fit_text(f"*You wrote:* {markup.mrkdwn(relay.body)}", L.MESSAGE_TEXT))
    name = markup.escape(opener.display_name) if opener else "them"
    line = f":lock: Sent to {name} in your private conversation (its thread has it too)."
    await client.chat_update(channel=channel, ts=prompt_ts, text=line, blocks=[kit_context(line)])


async def on_reply_other(ack: Any, body: dict[str, Any], say: Any, client: Any, context: Any, deps: Deps) -> None:
    """*It's something else*: the held message is read as any other DM would have been (a task, a question, …)."""
    await ack()
    _org, user = who(context)
    channel, prompt_ts = payload.message_of(body)
    message = await _held_message(client, channel, payload.action_value(body), user)
    line = ":ok_hand: Not for the private conversation: I read it as a usual message."
    await client.chat_update(channel=channel, ts=prompt_ts, text=line, blocks=[kit_context(line)])
    await dm.route_again(message, say, deps, skip=INQUIRY_ROUTE, context=context, client=client)
