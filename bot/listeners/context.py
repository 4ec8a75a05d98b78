"""Context memory (F15): channel messages in, questions answered, `/steward memory`, `/ask`.

Channel events are observed by a global middleware rather than a message listener: Bolt runs only
the first matching listener, and other features (the standup thread) listen to the same channel
messages, edits and deletions. The middleware stores what it sees and always calls ``next()``.
DMs are never stored. ``register_last`` adds no-op listeners, after every feature's, for the
channel events nobody else handles (so Bolt does not log them as unhandled).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import effects
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import context as render
from bot.blocks.kit import counted
from bot.deps import Deps
from bot.errors import InvalidInput
from bot.listeners import dm, help, home
from bot.listeners.workspace import who
from bot.log import get_logger
from bot.services import answers, ratelimit, security
from bot.services import context as memory
from db.repos import users as users_repo

log = get_logger(__name__)

_QUESTION = re.compile(
    r"^\s*(?:(?:and|so|also|ok|okay|hey|but)[,\s]+)?(?:what|what's|whats|who|who's|when|where|why|how|status|"
    r"any\s+updates?|anything\s+new)\b",
    re.IGNORECASE,
)
MAX_QUESTION = 2000


def is_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION.match(text))


def is_remember(text: str) -> bool:
    return memory.remembered_text(text) is not None


def register(app: AsyncApp, deps: Deps) -> None:
    app.middleware(partial(observe_channels, deps=deps))
    app.command("/ask")(partial(ask_command, deps=deps))
    app.action("memory_delete")(partial(on_memory_delete, deps=deps))
    app.action("memory_delete_all")(partial(on_memory_delete_all, deps=deps))
    help.subcommands(deps)["memory"] = memory_command
    dm.add_route(deps, "remember", is_remember, remember_from_dm, priority=15)
    dm.add_route(deps, "question", is_question, question_from_dm, priority=40)
    routes = deps.extras.setdefault("mention_routes", [])
    routes.append((15, "remember", is_remember, remember_from_mention))
    routes.append((40, "question", is_question, question_from_mention))
    routes.sort(key=lambda r: r[0])
    home.sections(deps).append(("Memory", memory_section))


def register_last(app: AsyncApp, deps: Deps) -> None:
    for subtype in ("message_changed", "message_deleted"):
        app.event({"type": "message", "subtype": subtype})(_observed)
    app.event("member_joined_channel")(_observed)
    app.event("member_left_channel")(_observed)
    app.event("message")(_observed)  # joins, topic changes and other subtypes: nothing to do


async def _observed(**_: Any) -> None:
    return None





# ============================================================================== channel events


async def observe_channels(body: dict[str, Any], context: Any, next: Any, deps: Deps) -> Any:  # noqa: A002
    event = body.get("event") if body.get("type") == "event_callback" else None
    org = context.get("org")
    if isinstance(event, dict) and org is not None:
        kind = event.get("type")
        if kind == "message" and event.get("channel_type") in ("channel", "group"):
            await _ingest(deps, org, event)
        elif kind in ("member_joined_channel", "member_left_channel") and isinstance(event.get("channel"), str):
            await _membership(deps, org, event, joined=kind == "member_joined_channel")
    return await next()


async def _ingest(deps: Deps, org: Any, event: dict[str, Any]) -> None:
    channel = event.get("channel")
    if not isinstance(channel, str):
        return
    subtype = event.get("subtype")
    now = deps.now()
    async with deps.pool.connection() as conn:
        if subtype == "message_changed" and isinstance(event.get("message"), dict):
            await memory.apply_edit(conn, org.id, channel, event["message"], now)
        elif subtype == "message_deleted" and isinstance(event.get("deleted_ts"), str):
            await memory.apply_delete(conn, org.id, channel, event["deleted_ts"], now)
        else:
            row = memory.message_row(event)
            if row is None or answers.addressed_to_steward(row["text"], org.bot_user_id):
                return  # noise, or a question or command for Steward rather than something said in the channel
            await memory.ensure_channel(conn, org.id, channel, is_private=event.get("channel_type") == "group")
            await memory.store_messages(conn, org.id, channel, [row])


async def _membership(deps: Deps, org: Any, event: dict[str, Any], *, joined: bool) -> None:
    from jobs import backfill

    channel, who = event["channel"], event.get("user")
    if not isinstance(who, str):
        return
    async with deps.pool.connection() as conn:
        if who == org.bot_user_id:
            if joined:
                await memory.ensure_channel(conn, org.id, channel, is_private=event.get("channel_type") == "G")
        elif joined:
            await memory.member_joined(conn, org.id, channel, who)
        else:
            await memory.member_left(conn, org.id, channel, who)
    if who == org.bot_user_id and joined:
        async with deps.pool.connection() as conn:
            enabled = (await memory.channel_memory(conn, org.id, channel)).memory_enabled
        if enabled and await backfill.request(deps.pool, org.id, channel, days=backfill.DEFAULT_DAYS, now=deps.now()):
            backfill.start_in_background(deps, org.id, channel)


# ============================================================================== questions


async def _answer(deps: Deps, org: Any, user: Any, question: str, *, channel_id: str, thread_ts: str | None,
                  shown_in: str | None, client: Any) -> memory.Answer:
    question = question.strip()
    if len(question) > MAX_QUESTION:
        raise InvalidInput(f"That's a long question ({len(question):,} characters); could you ask it in under {MAX_QUESTION:,}?")
    now = deps.now()
    async with deps.pool.connection() as conn:
        await ratelimit.check(conn, organization_id=org.id, user_id=user.id, slack_id=user.slack_id, action="llm.ask", now=now)
        session = await memory.load_session(conn, org.id, user.id, channel_id, now, thread_ts)
        remembered = await memory.memories_of(conn, org.id, user.id, limit=12)
    context_lines = session.memory() + [f"The person asking told Steward to remember: {m.value}" for m in remembered]
    result = await memory.answer(deps.pool, deps.ai, client, org.id, user, question, now, shown_in=shown_in,
                                 previous=session.entity, memory=context_lines)
    session.add("user", question, now)
    session.add("assistant", result.text, now, entity=result.entity)
    async with deps.pool.connection() as conn, effects.once(conn, "session") as step:
        if not step.done:  # else this exchange was saved by an earlier attempt (bot/effects.py)
            await memory.save_session(conn, session, deps.now())
    return result


async def question_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> None:
    org, user = who(context)
    result = await _answer(deps, org, user, message.get("text") or "", channel_id=message["channel"], thread_ts=None,
                           shown_in=None, client=client)
    await say(text=render.answer_text(result), blocks=render.answer_blocks(result), unfurl_links=False)


async def question_from_mention(event: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> None:
    org, user = who(context)
    thread = event.get("thread_ts") or event.get("ts")
    channel = str(event.get("channel") or user.slack_id)
    result = await _answer(deps, org, user, event.get("text") or "", channel_id=channel, thread_ts=thread,
                           shown_in=channel, client=client)
    # In a channel, the people a fact mentions are shown by name: the answer must not ping them again.
    async with deps.pool.connection() as conn:
        names = await users_repo.names_by_slack_ids(conn, org.id, markup.read(result.text).users, full=True)
    await say(text=render.answer_text(result, names), blocks=render.answer_blocks(result, names), thread_ts=thread,
              unfurl_links=False)


async def ask_command(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    question = (command.get("text") or "").strip()
    if not dm.has_words(question):
        await respond(text="Ask me about a client, a project or anything said in your channels: "
                           "`/ask what's the status with Acme?`", response_type="ephemeral")
        return
    result = await _answer(deps, org, user, question, channel_id=command.get("channel_id") or user.slack_id,
                           thread_ts=None, shown_in=None, client=client)
    await respond(text=render.answer_text(result), blocks=render.answer_blocks(result), response_type="ephemeral")


# ============================================================================== user memory


async def _remember(deps: Deps, org: Any, user: Any, text: str) -> str:
    value = memory.remembered_text(text)
    if value is None:
        raise InvalidInput("What should I remember? Try \u201cremember that I prefer afternoon reminders\u201d.")
    async with deps.pool.connection() as conn, effects.once(conn, "remember") as step:
        if not step.done:  # else remembered by an earlier attempt at this message (bot/effects.py): same answer
            mine, known = await memory.remember(conn, org.id, user.id, value)
            lead = "I already knew" if known else "Got it, I'll remember"
            step.result = (f":brain: {lead} that {memory.second_person(mine.value)}. "
                           "`/steward memory` shows what I remember about you, with Delete buttons.")
    return str(step.result)


async def remember_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, **_: Any) -> None:
    org, user = who(context)
    await say(text=await _remember(deps, org, user, message.get("text") or ""))


async def remember_from_mention(event: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> None:
    org, user = who(context)
    text = await _remember(deps, org, user, event.get("text") or "")
    await client.chat_postEphemeral(channel=event["channel"], user=user.slack_id, text=text)


def _channel_line(state: memory.ChannelMemory | None, channel_id: str | None) -> str | None:
    if state is None or not channel_id or channel_id[0] not in "CG":
        return None
    if state.memory_enabled:
        return (f"Memory is *on* in <#{channel_id}>: I learn from its messages and answer from them "
                "(only to its members). Admins: `/steward memory off` here to stop and forget it.")
    return f"Memory is *off* in <#{channel_id}>. Admins: `/steward memory on` here to turn it back on."


async def memory_command(ack: Any, respond: Any, command: dict[str, Any], args: str, context: Any, deps: Deps,
                         **_: Any) -> None:
    await ack()
    org, user = who(context)
    verb = args.strip().lower()
    channel_id = command.get("channel_id")
    now = deps.now()
    if verb in ("off", "on"):
        if not channel_id or channel_id[0] not in "CG":
            raise InvalidInput(f"Run `/steward memory {verb}` in the channel you mean.")
        async with deps.pool.connection() as conn:
            await security.require_admin(conn, organization_id=org.id, actor=user, action=f"context.memory_{verb}")
            deleted = await memory.set_memory(conn, org.id, channel_id, verb == "on", actor=user, now=now)
        if verb == "off":
            messages, facts = deleted.get("messages", 0), deleted.get("observations", 0)
            await respond(text=f":no_entry_sign: Memory is off in <#{channel_id}>. I forgot {counted(messages, 'message')} and "
                               f"{counted(facts, 'fact')} from it, and I won't read it any more. "
                               "`/steward memory on` turns it back on.", response_type="ephemeral")
            return
        from jobs import backfill

        if await backfill.request(deps.pool, org.id, channel_id, days=backfill.DEFAULT_DAYS, now=now):
            backfill.start_in_background(deps, org.id, channel_id)
        await respond(text=f":brain: Memory is on in <#{channel_id}>. I'm reading the last {backfill.DEFAULT_DAYS} days "
                           "of history now (App Home shows the progress).", response_type="ephemeral")
        return
    if verb in ("forget all", "forget-all", "clear", "delete all"):
        async with deps.pool.connection() as conn:
            count = await memory.forget_all_memories(conn, org.id, user.id)
        await respond(text=f":wastebasket: Forgot {count} thing{'s' if count != 1 else ''} you asked me to remember.",
                      response_type="ephemeral")
        return
    if verb not in ("", "list", "show", "status"):
        raise InvalidInput("Usage: `/steward memory` (what I remember about you) \u00b7 `/steward memory forget all` \u00b7 "
                           "admins, in a channel: `/steward memory off` / `on`")
    async with deps.pool.connection() as conn:
        mine = await memory.memories_of(conn, org.id, user.id)
        state = await memory.channel_memory(conn, org.id, channel_id) if channel_id and channel_id[0] in "CG" else None
    await respond(text=render.memories_text(mine), blocks=render.memories_blocks(mine, channel_line=_channel_line(state, channel_id)),
                  response_type="ephemeral")


async def _refresh_memories(respond: Any, deps: Deps, org: Any, user: Any, note: str) -> None:
    async with deps.pool.connection() as conn:
        mine = await memory.memories_of(conn, org.id, user.id)
    blocks = render.memories_blocks(mine)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    await respond(text=render.memories_text(mine), blocks=blocks, replace_original=True, response_type="ephemeral")


async def on_memory_delete(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    payload.responds(body)
    memory_id = payload.action_id_value(body)
    async with deps.pool.connection() as conn:
        value = await memory.forget_memory(conn, org.id, user.id, memory_id)
    note = f":wastebasket: Forgot \u201c{value}\u201d." if value else "That one was already gone."
    await _refresh_memories(respond, deps, org, user, note)


async def on_memory_delete_all(ack: Any, body: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    payload.responds(body)
    async with deps.pool.connection() as conn:
        count = await memory.forget_all_memories(conn, org.id, user.id)
    await _refresh_memories(respond, deps, org, user, f":wastebasket: Forgot {count} thing{'s' if count != 1 else ''}.")


# ============================================================================== App Home


async def memory_section(deps: Deps, org: Any, user: Any) -> list[dict[str, Any]] | None:
    async with deps.pool.connection() as conn:
        row = await (await conn.execute(memory.Q["user_memory_count"], {"organization_id": org.id, "user_id": user.id})).fetchone()
        mine = render.home_memory_member(row[0] if row else 0)
        if not getattr(user, "is_admin", False):
            return mine
        cur = await conn.execute(memory.Q["context_memory_overview"], {"organization_id": org.id})
        names = [c.name for c in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]
    return render.home_memory_admin(rows, offline=bool(getattr(deps.ai, "offline", True))) + mine
