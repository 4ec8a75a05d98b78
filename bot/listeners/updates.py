"""The day's update, wherever it is written (SPEC F4): replies in the morning thread, a DM or a post in
the standup channel that reads like an update; their edits and deletions; Undo and Edit on Steward's answer.

What counts as a person's update for a day (the README's "What counts as the day's update"):
  * every reply in a morning thread, except talk to someone else ("@Maya nice work!");
  * a DM or a top-level post in the standup channel that reads like an update
    (:func:`bot.parsing.standup_reply.reads_like_update`: standup headers, or work framed as today's or in
    progress) while a standup day is open for the person (:func:`bot.services.standup_replies.update_day`).
    A DM update is shown in the thread on the person's behalf ("Priya Nair (by DM): …"); a channel post is
    answered under it. Anything else in a DM keeps its usual meaning ("I'll fix the login bug by Friday"
    is a draft task; "done with T-3" offers to mark T-3 done).
The day a message is for is decided when it is first recorded: the thread's day until it closes for the
person, then their new day ("Today: deploy…" at 04:20 in yesterday's thread is today's update, and nobody
is nudged for a day they have answered). An edit keeps that day and changes only what the edit changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import standup as render
from bot.blocks import tasks as task_blocks
from bot.deps import Deps
from bot.errors import InvalidInput, InvalidPayload, NotFound, PermissionDenied
from bot.listeners import dm, recognition
from bot.listeners.workspace import who
from bot.log import get_logger
from bot.parsing import standup_reply
from bot.services import (
    absences,
    drafts,
    ooo,
    ratelimit,
    security,
    standup_plan,
    standup_replies,
    standup_settings,
    standup_threads,
    workspace,
)
from bot.services import rhythm as rules
from bot.services import tasks as task_service
from bot.services.standup_replies import VIA_CHANNEL, VIA_DM, VIA_THREAD
from bot.services.workspace import date_order_of
from db.rows import User

log = get_logger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    app.message(matchers=[partial(is_standup_reply, deps=deps)])(partial(on_thread_reply, deps=deps))
    app.message(matchers=[partial(is_channel_update, deps=deps)])(partial(on_channel_update, deps=deps))
    app.event({"type": "message", "subtype": "message_changed"}, matchers=[partial(is_update_edit, deps=deps)])(
        partial(on_update_edited, deps=deps))
    app.event({"type": "message", "subtype": "message_deleted"}, matchers=[partial(is_update_delete, deps=deps)])(
        partial(on_update_deleted, deps=deps))
    app.action("standup_undo")(partial(on_undo, deps=deps))
    app.action("standup_edit")(partial(on_edit_open, deps=deps))
    app.view("standup_reply_edit")(partial(on_edit_submit, deps=deps))
    app.action("draft_as_update")(partial(on_draft_as_update, deps=deps))
    deps.extras.setdefault("ack_hooks", {})["standup_reply_edit"] = validate_reply_edit
    # Before absences (30), questions (40) and drafts (100): "Today: deploy the staging build. I'm out
    # Friday" is an update that also records Friday; a DM that does not read like one goes on to them.
    dm.add_route(deps, "standup_update", partial(_reads_like_update, deps), update_from_dm, priority=25)
    # A mention of Steward in a standup reply or in an update posted in the channel is part of the update,
    # so it does not also become a draft (after "remember …", before questions and drafts).
    routes = deps.extras.setdefault("mention_routes", [])
    routes.append((16, "standup_update", lambda _text: True, update_from_mention))
    routes.sort(key=lambda r: r[0])


def _reads_like_update(deps: Deps, text: str) -> bool:
    return standup_reply.reads_like_update(text, now=deps.now(), tz="UTC")


@dataclass(frozen=True)
class Written:
    """Where a message of an update was written: ``via`` the thread, a DM or the channel; its ts."""

    via: str
    channel_id: str
    ts: str


# ---------------------------------------------------------------- which messages

def _reply_event(event: dict[str, Any]) -> bool:
    ts, thread_ts = event.get("ts"), event.get("thread_ts")
    return (bool(thread_ts) and thread_ts != ts and event.get("channel_type") != "im" and not event.get("bot_id")
            and event.get("subtype") in (None, "thread_broadcast", "file_share"))


async def _find_thread(deps: Deps, context: Any, channel: str | None, thread_ts: str | None) -> bool:
    org = context.get("org")
    if org is None or not channel or not thread_ts:
        return False
    async with deps.pool.connection() as conn:
        thread = await standup_threads.thread_by_ts(conn, org.id, channel, thread_ts)
    if thread is None:
        return False
    context["morning_thread"] = thread
    return True


async def is_standup_reply(body: dict[str, Any], context: Any, deps: Deps) -> bool:
    event = body.get("event") or {}
    return _reply_event(event) and await _find_thread(deps, context, event.get("channel"), event.get("thread_ts"))


async def is_channel_update(body: dict[str, Any], context: Any, deps: Deps) -> bool:
    """A top-level post in the channel of the day's standup thread that reads like an update, while a
    standup day is open for its author. Posts that mention Steward are left to the mention listener."""
    event = body.get("event") or {}
    org, user = context.get("org"), context.get("steward_user")
    if (org is None or user is None or event.get("channel_type") not in ("channel", "group") or event.get("bot_id")
            or event.get("subtype") not in (None, "file_share") or event.get("thread_ts") not in (None, event.get("ts"))):
        return False
    text = event.get("text") or ""
    if (org.bot_user_id and f"<@{org.bot_user_id}" in text) or standup_reply.is_conversation(text, org.bot_user_id):
        return False
    now = deps.now()
    if not standup_reply.reads_like_update(text, now=now, tz=user.timezone or "UTC"):
        return False
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        day = await standup_replies.update_day(conn, org.id, user, rhythm, now)
    if day is None or day.thread.channel_id != event.get("channel"):
        return False
    context["update_day"] = day
    return True


async def _user_of(deps: Deps, org: Any, slack_id: str | None) -> User | None:
    if org is None or not slack_id or slack_id == org.bot_user_id:
        return None
    async with deps.pool.connection() as conn:
        return await workspace.user_by_slack_id(conn, org.id, slack_id)


async def _recorded(deps: Deps, context: Any, message: dict[str, Any], channel: str | None) -> bool:
    """The message is part of an update on record (written where the event says): remember it in the context."""
    org = context.get("org")
    user = await _user_of(deps, org, message.get("user"))
    if user is None or not message.get("ts"):
        return False
    async with deps.pool.connection() as conn:
        recorded = await standup_replies.recorded_message(conn, org.id, user.id, message["ts"])
        if recorded is None or recorded.channel_id not in (None, channel):
            return False
        thread = await standup_threads.thread_by_id(conn, org.id, recorded.thread_id)
    if thread is None or (recorded.channel_id is None and thread.channel_id != channel):
        return False
    context.update(morning_thread=thread, recorded=recorded, update_author=user)
    return True


async def is_update_edit(body: dict[str, Any], context: Any, deps: Deps) -> bool:
    event = body.get("event") or {}
    message = event.get("message") or {}
    if message.get("bot_id"):
        return False
    if await _recorded(deps, context, message, event.get("channel")):
        return True
    # A reply in a morning thread that was not recorded before ("@Maya nice" edited into a plan).
    if not message.get("thread_ts") or message.get("thread_ts") == message.get("ts") or event.get("channel_type") == "im":
        return False
    return await _find_thread(deps, context, event.get("channel"), message.get("thread_ts"))


async def is_update_delete(body: dict[str, Any], context: Any, deps: Deps) -> bool:
    event = body.get("event") or {}
    previous = event.get("previous_message") or {}
    return not previous.get("bot_id") and await _recorded(deps, context, previous, event.get("channel"))


# ---------------------------------------------------------------- new, edited and deleted messages

async def on_thread_reply(message: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    org, user = context.get("org"), context.get("steward_user")
    text = message.get("text") or ""
    if org is None or user is None or standup_reply.is_conversation(text, org.bot_user_id):
        return
    await handle_update(deps, client, org, context["morning_thread"], user, Written(VIA_THREAD, message["channel"], message["ts"]), text)
    await recognition.offer_thanks(deps, client, org, user, channel=message["channel"], ts=message["ts"], text=text,
                                   thread_ts=message.get("thread_ts"))


async def on_channel_update(message: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    org, user = who(context)
    day: standup_replies.UpdateDay = context["update_day"]
    await _rate_limited(deps, org, user)
    await handle_update(deps, client, org, day.thread, user, Written(VIA_CHANNEL, message["channel"], message["ts"]),
                        message.get("text") or "", plan_date=day.plan_date)
    await recognition.offer_thanks(deps, client, org, user, channel=message["channel"], ts=message["ts"],
                                   text=message.get("text") or "", thread_ts=message["ts"])


async def update_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> Any:
    """A DM that reads like an update, while a standup day is open for its author: their update for that
    day (shown in the thread). With no day open, the DM goes on to the next route (a draft, usually)."""
    org, user = who(context)
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        day = await standup_replies.update_day(conn, org.id, user, rhythm, deps.now())
    if day is None:
        return dm.PASS
    parts = standup_reply.split_reply(message.get("text") or "", now=deps.now(), tz=user.timezone)
    if parts.ooo and not (parts.task_lines or parts.plan_refs or parts.done_refs or parts.blockers or parts.done_titles):
        return dm.PASS  # only an absence: the out-of-office route records and answers it
    await _rate_limited(deps, org, user)
    await handle_update(deps, client, org, day.thread, user, Written(VIA_DM, message["channel"], message["ts"]),
                        message.get("text") or "", plan_date=day.plan_date)
    await recognition.offer_thanks(deps, client, org, user, channel=message["channel"], ts=message["ts"],
                                   text=message.get("text") or "", thread_ts=None)
    return None


async def update_from_mention(event: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> Any:
    """"@Steward fix the login bug" in a morning thread is a reply, recorded by the thread listener from the
    same message: nothing more to do here. "@Steward Today: deploy the staging build" posted in the standup
    channel while a day is open is the author's update. Anything else (a question, a task elsewhere) goes
    on to the other mention routes."""
    org, user = context.get("org"), context.get("steward_user")
    original = event.get("text") or ""
    if org is None or user is None:
        return dm.PASS
    thread_ts, channel = event.get("thread_ts"), event.get("channel")
    if thread_ts and thread_ts != event.get("ts"):
        async with deps.pool.connection() as conn:
            thread = await standup_threads.thread_by_ts(conn, org.id, channel, thread_ts) if channel else None
        if thread is None:
            return dm.PASS
        # The thread listener saw the full message (with the mention); a question to Steward is answered.
        return dm.PASS if standup_reply.is_conversation(f"<@{org.bot_user_id}> {original}", org.bot_user_id) else None
    now = deps.now()
    if not standup_reply.reads_like_update(original, now=now, tz=user.timezone or "UTC"):
        return dm.PASS
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        day = await standup_replies.update_day(conn, org.id, user, rhythm, now)
    if day is None or day.thread.channel_id != channel:
        return dm.PASS
    await _rate_limited(deps, org, user)
    await handle_update(deps, client, org, day.thread, user, Written(VIA_CHANNEL, channel, event["ts"]), original,
                        plan_date=day.plan_date)
    return None


async def _rate_limited(deps: Deps, org: Any, user: User) -> None:
    """Updates outside the thread are read by the model like drafts are, under the same per-person limit."""
    async with deps.pool.connection() as conn:
        await ratelimit.check(conn, organization_id=org.id, user_id=user.id, slack_id=user.slack_id, action="llm.parse",
                              now=deps.now())


async def on_update_edited(event: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    org = context.get("org")
    message = event.get("message") or {}
    user = context.get("update_author") or await _user_of(deps, org, message.get("user"))
    if user is None:
        return
    previous = (event.get("previous_message") or {}).get("text")
    if previous is not None and previous == message.get("text"):
        return  # an unfurl or a reaction, not an edit of the words
    recorded: standup_replies.Recorded | None = context.get("recorded")
    via = recorded.via if recorded is not None else VIA_THREAD
    await handle_update(deps, client, org, context["morning_thread"], user, Written(via, event["channel"], message["ts"]),
                        message.get("text") or "")


async def on_update_deleted(event: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    org, recorded, user = context.get("org"), context["recorded"], context["update_author"]
    thread = context["morning_thread"]
    async with deps.pool.connection() as conn:
        try:
            undone = await standup_replies.undo_reply(conn, org.id, user, recorded.submission_id, recorded_ts(event), deps.now())
        except (NotFound, InvalidInput):
            return  # already taken back (Undo, or a redelivered deletion)
    await _show_undone(client, thread, user, undone, why="Reply deleted" if recorded.via == VIA_THREAD else "Message deleted",
                       answer=(recorded.reply_channel_id or thread.channel_id, recorded.reply_ts))


def recorded_ts(event: dict[str, Any]) -> str:
    return str((event.get("previous_message") or {}).get("ts") or event.get("deleted_ts"))


async def _show_undone(client: Any, thread: standup_threads.MorningThread, user: User, undone: standup_replies.Undone, *,
                       why: str, answer: tuple[str, str | None]) -> None:
    if answer[1]:
        text, blocks = render.reply_undone(user, undone.removed, why=why, day=undone.plan_date, reopened=undone.reopened)
        await client.chat_update(channel=answer[0], ts=answer[1], text=text, blocks=blocks)
    mirror = undone.entry.get("mirror_ts")
    if mirror:
        try:
            await client.chat_delete(channel=thread.channel_id, ts=mirror)
        except SlackApiError as exc:
            if (exc.response or {}).get("error") != "message_not_found":
                raise
            # someone already removed the post from the thread: nothing left to take back there


async def handle_update(deps: Deps, client: Any, org: Any, thread: standup_threads.MorningThread, user: User, written: Written,
                        text: str, *, plan_date: date | None = None,
                        answer_in: tuple[str, str] | None = None) -> standup_replies.ReplyOutcome:
    """Read one message of ``user``'s update (new, edited or redelivered) and record it; answer it where it
    was written (under the reply, under the channel post, in the DM), or update the earlier answer.

    ``plan_date`` (a date) is the day a new message is for (default: the thread's day until it closes for
    the person, then their new day); a message already on record keeps its day and is read as of when it
    was written. A DM update is also shown in ``thread`` when that is its day's thread."""
    now = deps.now()
    async with deps.pool.connection() as conn:
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        types = await task_service.task_types(conn, org.id)
        clients, projects = await task_service.clients_and_projects(conn, org.id)
        recorded = await standup_replies.recorded_message(conn, org.id, user.id, written.ts)
        domain = await standup_threads.team_domain(conn, org.id)
    if recorded is not None:
        plan_date, written_at = recorded.plan_date, recorded.written_at or thread.started_at
    else:
        plan_date, written_at = plan_date or standup_replies.day_of_reply(thread, rhythm, user, now), now
    day = rules.personal_day(thread.thread_date, thread.started_at, rhythm, user.timezone)
    is_late = plan_date == thread.thread_date and day.is_late(written_at)
    closed = standup_replies.day_closed(thread, rhythm, user, plan_date, now)
    # "@Steward fix the login bug": the bot's own name is not part of the plan. Words are read as of
    # when they were written, so an edit's "tomorrow" is the day it meant then.
    parts = standup_reply.split_reply(markup.without_user(text, org.bot_user_id), now=written_at, tz=user.timezone)
    tasks: list[Any] = []
    source, note, threat = "offline", None, None
    if parts.task_lines:
        result = await deps.ai.parse_tasks(parts.task_text, now=written_at, tz=user.timezone, task_types=types,
                                           clients=list(clients), projects=list(projects), date_order=date_order_of(user))
        tasks, source, threat = list(result.value), result.source, result.threat
        if result.source == "offline" and result.fallback_reason and not deps.settings.offline_ai:
            note = f"Parsed offline ({result.fallback_reason}): check the tasks, and use Edit if I got one wrong."
    found_ooo, unread = [], []
    country: str | None = None
    if parts.ooo:
        async with deps.pool.connection() as conn:
            country = await absences.country_for_names(conn, org.id, user)
    for sentence in parts.ooo:
        parsed = await deps.ai.parse_ooo(sentence, now=written_at, tz=user.timezone, date_order=date_order_of(user),
                                         country=country)
        threat = threat or parsed.threat
        if parsed.value is not None:
            found_ooo.append(parsed.value)
            if (read := ooo.other_order_note(sentence, now=written_at, tz=user.timezone, date_order=date_order_of(user),
                                             country=country, undo="send `/ooo cancel`")) is not None:
                unread.append(read)
        else:  # never silently: say which days could not be read ("over Thanksgiving" with no such holiday)
            said = ooo.unknown_holiday_said(sentence, now=written_at, tz=user.timezone, country=country)
            unread.append(said or f"I couldn't tell which days \u201c{markup.plain_text(sentence)[:120]}\u201d means, so I "
                                  "haven't marked anything: `/ooo` with the dates does.")
    reply = standup_replies.ParsedReply(parts=parts, tasks=tasks, ooo=found_ooo, parser=source, clients=clients, projects=projects)
    async with deps.pool.connection() as conn:
        if threat is not None:
            await security.record(conn, organization_id=org.id, event_type="prompt_injection", threat_level=threat[0],
                                  description=threat[1], user_id=user.id, slack_user_id=user.slack_id,
                                  details={"source": f"standup_{written.via}", "text": text[:500]})
        outcome = await standup_replies.apply_reply(
            conn, org_id=org.id, thread=thread, user=user, message_ts=written.ts, text=text, parsed=reply, is_late=is_late,
            plan_date=plan_date, now=now, written_at=written_at, day_closed=closed, via=written.via, channel_id=written.channel_id)
        outcome.notes.extend(unread)
        plan = await standup_plan.plan_of(conn, org.id, user.id, outcome.plan_date)
    if outcome.chatter or (outcome.replayed and outcome.reply_ts):
        return outcome  # "thanks!" after their update, or a redelivery of a message already answered

    # A DM update is shown in its day's thread, on the person's behalf.
    mirror_ts = recorded.mirror_ts if recorded is not None else None
    if written.via == VIA_DM and outcome.plan_date == thread.thread_date and thread.thread_ts:
        post_text, post_blocks = render.dm_update_post(user, text, outcome)
        if mirror_ts:
            await client.chat_update(channel=thread.channel_id, ts=mirror_ts, text=post_text, blocks=post_blocks)
        else:
            posted = await client.chat_postMessage(channel=thread.channel_id, thread_ts=thread.thread_ts, text=post_text,
                                                   blocks=post_blocks)
            mirror_ts = posted["ts"]
            async with deps.pool.connection() as conn:  # at once: a redelivery updates this post, never posts twice
                await standup_replies.set_answer(conn, org.id, outcome.submission_id, written.ts, mirror_ts=mirror_ts)
    link = standup_threads.permalink(domain, thread.channel_id, mirror_ts or thread.thread_ts)
    summary_text, blocks = render.reply_summary(user, outcome, plan, message_ts=written.ts, note=note,
                                                thread_date=thread.thread_date, thread_link=link)
    previous_answer = (recorded.reply_channel_id or thread.channel_id, recorded.reply_ts) if recorded is not None else None
    where = answer_in or previous_answer
    if where is not None and where[1]:
        await client.chat_update(channel=where[0], ts=where[1], text=summary_text, blocks=blocks)
        return outcome
    if written.via == VIA_DM:
        posted = await client.chat_postMessage(channel=written.channel_id, text=summary_text, blocks=blocks)
    elif written.via == VIA_CHANNEL:
        posted = await client.chat_postMessage(channel=written.channel_id, thread_ts=written.ts, text=summary_text, blocks=blocks)
    else:
        posted = await client.chat_postMessage(channel=thread.channel_id, thread_ts=thread.thread_ts, text=summary_text, blocks=blocks)
    async with deps.pool.connection() as conn:
        await standup_replies.set_answer(conn, org.id, outcome.submission_id, written.ts, reply_ts=posted["ts"],
                                         reply_channel=written.channel_id if written.via != VIA_THREAD else None)
    outcome.reply_ts = posted["ts"]
    return outcome


# ---------------------------------------------------------------- Undo and Edit on the answer

def _reply_ref(body: dict[str, Any]) -> tuple[int, str]:
    """(submission id, the ts of the person's message) of Undo and Edit: "12:1772807230.000100"."""
    sub, _, ts = payload.action_value(body).partition(":")
    if not ts:
        raise InvalidPayload("the button names no message", surface="button")
    return payload.parse_id(sub), ts


async def on_undo(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    submission_id, message_ts = _reply_ref(body)
    async with deps.pool.connection() as conn:
        undone = await standup_replies.undo_reply(conn, org.id, user, submission_id, message_ts, deps.now())
        thread = await standup_threads.thread_by_id(conn, org.id, undone.thread_id)
    if thread is None:
        raise NotFound("That standup thread is gone.")
    await _show_undone(client, thread, user, undone, why="Undone", answer=payload.message_of(body))


async def on_edit_open(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    submission_id, message_ts = _reply_ref(body)
    channel, reply_ts = payload.message_of(body)
    trigger = payload.trigger_of(body)
    async with deps.pool.connection() as conn:
        sub, entry = await standup_replies.submission_entry(conn, org.id, submission_id, message_ts)
        if sub.user_id != user.id:
            raise await security.deny(conn, organization_id=org.id, actor=user, action="standup.edit",
                                      message="Only the person who wrote that reply can edit it.",
                                      details={"submission_id": submission_id})
    metadata = f"{submission_id}|{message_ts}|{channel}|{reply_ts}"
    day = standup_replies.entry_date(entry, sub.thread_date)
    await client.views_open(trigger_id=trigger, view=render.edit_reply_modal(entry.get("text") or "", metadata, day))


def validate_reply_edit(body: dict[str, Any]) -> dict[str, Any] | None:
    text = payload.form_of(body.get("view") or {}).text("text").strip()
    if not any(ch.isalnum() for ch in text):
        return {"response_action": "errors", "errors": {"text": "Write your plan, or use Undo to take the reply back."}}
    return None


async def on_edit_submit(ack: Any, view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = payload.form_of(view).text("text").strip()
    if not any(ch.isalnum() for ch in text):
        return
    sub_id, message_ts, channel, reply_ts = payload.metadata(view, 4)
    submission_id = payload.parse_id(sub_id, what="form", field="private_metadata")
    async with deps.pool.connection() as conn:
        sub, entry = await standup_replies.submission_entry(conn, org.id, submission_id, message_ts)
        if sub.user_id != user.id:
            raise PermissionDenied("Only the person who wrote that reply can edit it.")
        thread = await standup_threads.thread_by_id(conn, org.id, sub.thread_id)
    if thread is None:
        raise NotFound("That standup thread is gone.")
    written = Written(entry.get("via") or VIA_THREAD, entry.get("channel") or thread.channel_id, message_ts)
    await handle_update(deps, client, org, thread, user, written, text, answer_in=(channel, reply_ts))


# ---------------------------------------------------------------- a draft that was the update after all

async def on_draft_as_update(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    """"It's my standup update" on a draft's preview: the DM's words become the person's update for the
    day the preview offered (if it is still open), and the draft is cancelled (no tasks twice)."""
    await ack()
    org, user = who(context)
    draft_id = payload.action_id_value(body)
    now = deps.now()
    async with deps.pool.connection() as conn:
        draft = await drafts.get(conn, org.id, draft_id)
        drafts.check_open(draft, user, now)
        rhythm = await standup_settings.rhythm_of(conn, org.id)
        day = await standup_replies.update_day(conn, org.id, user, rhythm, now)
    if day is None or day.plan_date != draft.update_day or not (draft.source_channel_id and draft.source_ts):
        raise InvalidInput("That standup day has closed, so this stays a draft: Confirm adds its tasks to your list.")
    await handle_update(deps, client, org, day.thread, user, Written(VIA_DM, draft.source_channel_id, draft.source_ts),
                        draft.raw_text, plan_date=day.plan_date)
    async with deps.pool.connection() as conn:
        draft = await drafts.cancel(conn, org.id, user, draft.id, now)
    if draft.preview_channel_id and draft.preview_ts:
        await client.chat_update(channel=draft.preview_channel_id, ts=draft.preview_ts, text="Counted as your standup update.",
                                 blocks=task_blocks.draft_closed(":memo: Counted as your standup update instead of new tasks "
                                                                 "(my answer is below)."))
