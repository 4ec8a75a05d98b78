"""Tasks from words (F2), task commands, the board (F3) and App Home's "My tasks"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import effects
from bot import slack_markup as markup
from bot import slack_payloads as payload
from bot.blocks import kit
from bot.blocks import tasks as render
from bot.deps import Deps
from bot.errors import InvalidInput, InvalidPayload, NotFound, PermissionDenied, StewardError
from bot.listeners import dm, home
from bot.listeners.workspace import mentioned_user, submitter, who
from bot.parsing import standup_reply
from bot.services import clients as client_service
from bot.services import completions, drafts, ratelimit, security, standup_replies, standup_settings
from bot.services import tasks as task_service
from bot.services.rhythm import local_date
from bot.services.workspace import date_order_of
from bot.slack_limits import slack_refusal
from db.repos import users as users_repo
from db.rows import Task, User

# Open tasks read for a list, a board or App Home; counts and "…and N more" notes are exact up to it.
LIST_LIMIT = 2000
TASK_USAGE = ("Usage: `/task add <what, by when>` \u00b7 `/task done T-12` \u00b7 `/task drop T-12 <reason>` \u00b7 "
              "`/task reopen T-12` \u00b7 `/task move T-12 <stage>` \u00b7 `/task edit T-12 [due <date> | size m | client <name> | "
              "project <name> | title <text>]` \u00b7 `/task assign T-12 @someone` \u00b7 `/tasks [@user] [client]`")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/task")(partial(task_command, deps=deps))
    app.command("/tasks")(partial(tasks_command, deps=deps))
    app.command("/board")(partial(board_command, deps=deps))
    app.action("draft_confirm")(partial(on_draft_confirm, deps=deps))
    app.action("draft_cancel")(partial(on_draft_cancel, deps=deps))
    app.action("draft_edit")(partial(on_draft_edit, deps=deps))
    app.view("draft_edit")(partial(on_draft_edit_submit, deps=deps))
    app.view("task_edit")(partial(on_task_edit_submit, deps=deps))
    app.action("home_task_done")(partial(on_home_done, deps=deps))
    app.action("home_task_move")(partial(on_home_move, deps=deps))
    app.event("app_mention")(partial(on_mention, deps=deps))
    # "done with T-3", "I finished the login bug": offer to mark the task done rather than draft a new one.
    # After the day's update (25: "Today: … Done: T-2" is an update) and before absences and questions.
    dm.add_route(deps, "done", _reports_done, done_from_dm, priority=27)
    app.action("task_mark_done")(partial(on_mark_done, deps=deps))
    dm.add_route(deps, "draft", lambda _text: True, partial(draft_from_dm, source="dm"), priority=100)
    dm.add_edit_route(deps, "draft", draft_from_edit)
    home.sections(deps).append(("My tasks", my_tasks_section))
    home.sections(deps).append(("My board", my_board_section))
    deps.extras.setdefault("ack_hooks", {})["draft_edit"] = partial(validate_form, deps)
    deps.extras["ack_hooks"]["task_edit"] = partial(validate_form, deps)


def _today(user: User | None, now: datetime) -> date:
    return local_date(now, user.timezone if user else "UTC")



# ---------------------------------------------------------------- drafts

async def read_tasks(deps: Deps, org: Any, user: User, text: str, *, source: str) -> tuple[list[dict[str, Any]], str, str | None]:
    """The tasks in ``text`` as draft items (rate-limited per person; suspected injections recorded):
    (items, parser, note for the preview)."""
    now = deps.now()
    async with deps.pool.connection() as conn:
        await ratelimit.check(conn, organization_id=org.id, user_id=user.id, slack_id=user.slack_id, action="llm.parse", now=now)
        types = await task_service.task_types(conn, org.id)
        clients, projects = await task_service.clients_and_projects(conn, org.id)
    result = await deps.ai.parse_tasks(text, now=now, tz=user.timezone, task_types=types, clients=list(clients), projects=list(projects),
                                       date_order=date_order_of(user))
    items = [drafts.item_from_parsed(p, clients, projects) for p in result.value]
    note = None
    if result.source == "offline" and result.fallback_reason:
        note = f"Parsed offline: {result.fallback_reason}. Check the dates before confirming."
    if result.threat is not None:
        async with deps.pool.connection() as conn:
            level, reason = result.threat
            await security.record(conn, organization_id=org.id, event_type="prompt_injection", threat_level=level,
                                  description=reason, user_id=user.id, slack_user_id=user.slack_id,
                                  details={"source": source, "text": text[:500]})
    return items, result.source, note


async def make_draft(deps: Deps, org: Any, user: User, text: str, *, source: str, channel: str | None, ts: str | None) -> tuple[Any, str | None]:
    items, parser, note = await read_tasks(deps, org, user, text, source=source)
    if not items:
        return None, note
    async with deps.pool.connection() as conn, effects.once(conn, "draft") as step:
        if step.done:  # this message's draft was made by an earlier attempt (bot/effects.py)
            return await drafts.get(conn, org.id, step.result), note
        # A DM while the person's standup day is open and unanswered may be their update: the preview offers it.
        day = None
        if source == "dm":
            day = await standup_replies.unanswered_day(conn, org.id, user, await standup_settings.rhythm_of(conn, org.id), deps.now())
        draft = await drafts.create(conn, org.id, user, text, items, parser=parser, now=deps.now(), source=source, note=note,
                                    source_channel_id=channel, source_ts=ts, update_day=day.plan_date if day else None)
        step.result = draft.id
    return draft, note


async def draft_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, source: str = "dm", **_: Any) -> None:
    org, user = who(context)
    draft, _note = await make_draft(deps, org, user, message.get("text") or "", source=source,
                                    channel=message.get("channel"), ts=message.get("ts"))
    if draft is None:
        await say(text="I couldn't find a task in that. Try something like \u201cI'll send the Acme report by Friday\u201d, or type `help`.")
        return
    await post_preview(client, deps, org, user, draft, channel=message.get("channel") or user.slack_id,
                       text=f"Draft: {len(draft.items)} task(s). Confirm?",
                       thread_ts=message.get("thread_ts") if source == "mention" else None)


def _reports_done(text: str) -> bool:
    return bool(standup_reply.completions(text)[0])


async def done_from_dm(message: dict[str, Any], say: Any, deps: Deps, context: Any, client: Any, **_: Any) -> None:
    """Work reported done: a *Mark done* button for the task each report means (or why there is none).
    The message's other sentences ("… and I'll write the release notes by Friday") become a draft as usual."""
    org, user = who(context)
    reports, rest = standup_reply.completions(message.get("text") or "")
    async with deps.pool.connection() as conn:
        offers = await completions.offers_for(conn, org.id, user, reports)
    text, blocks = render.done_offer(offers)
    await client.chat_postMessage(channel=message.get("channel") or user.slack_id, text=text, blocks=blocks)
    remainder = "\n".join(rest)
    if dm.has_words(remainder):
        await draft_from_dm({**message, "text": remainder}, say, deps, context, client)


async def on_mark_done(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    task_id = payload.action_id_value(body)
    channel, ts = payload.message_of(body)
    async with deps.pool.connection() as conn:
        task = await task_service.get(conn, org.id, task_id)
        if task.status != "done":
            task = await task_service.complete(conn, user, task, deps.now())
    blocks = render.done_marked(list((body.get("message") or {}).get("blocks") or []), task)
    await client.chat_update(channel=channel, ts=ts, text=f"{task.display_id} is done.", blocks=blocks)


async def draft_from_edit(message: dict[str, Any], deps: Deps, context: Any, client: Any, **_: Any) -> bool:
    """A DM edited after Steward drafted tasks from it: a pending draft follows the edit (its preview is
    updated, and the person is told); a confirmed, cancelled or expired one does not, and the person is
    told so. False when no draft was made from the message."""
    org, user = who(context)
    channel, ts = message.get("channel") or user.slack_id, message.get("ts") or ""
    now = deps.now()
    async with deps.pool.connection() as conn:
        draft = await drafts.by_source(conn, org.id, user.id, channel, ts)
        made = await drafts.task_display_ids(conn, org.id, draft.id) if draft is not None and draft.status == "confirmed" else []
    if draft is None:
        return False
    if draft.status == "confirmed":
        listed = ", ".join(f"`{d}`" for d in made) or "its tasks"
        await client.chat_postMessage(channel=channel, text=(
            f":information_source: You'd already confirmed the draft from that message, so your edit didn't change {listed}. "
            f"`/task edit {made[0] if made else 'T-12'}` changes a task."))
        return True
    if draft.status == "rejected" or drafts.is_expired(draft, now):
        why = "cancelled" if draft.status == "rejected" else "expired (drafts last 24 hours)"
        await client.chat_postMessage(channel=channel, text=(
            f":information_source: The draft from that message was {why}, so your edit changed nothing. "
            "Send the new words as a new message and I'll draft them."))
        return True
    # What the done route answered stays with it: only the other sentences were drafted.
    words = "\n".join(standup_reply.completions(message.get("text") or "")[1])
    items, parser, note = await read_tasks(deps, org, user, words, source="dm") if dm.has_words(words) else ([], "offline", None)
    if not items:
        await client.chat_postMessage(channel=channel, text=(
            ":information_source: I couldn't find a task in your edited message, so the draft still shows what you first wrote. "
            "Cancel it there if you don't want it."))
        return True
    async with deps.pool.connection() as conn:
        draft = await drafts.replace_items(conn, org.id, user, draft.id, words, items, parser=parser, now=now, note=note)
        names = await _names(conn, org.id, [item["title"] for item in draft.items])
    await _update_preview(client, draft, render.draft_preview(draft, _today(user, now), names=names),
                          f"Draft: {len(draft.items)} task(s). Confirm?")
    await client.chat_postMessage(channel=channel, text=(
        f":pencil2: You edited your message, so I updated its draft to match: {len(draft.items)} task(s) now. "
        "Check it and press Confirm."))
    return True


async def on_mention(event: dict[str, Any], say: Any, context: Any, client: Any, deps: Deps, **_: Any) -> None:
    bot_user = getattr(context.get("org"), "bot_user_id", None) or context.get("bot_user_id")
    text = markup.without_user(event.get("text"), bot_user)  # the bot's own name out; other people stay
    if not dm.has_words(text):
        await say(text="Hi! Tell me what you'll do (\u201cI'll fix the login bug by Friday\u201d) or ask me something.",
                  thread_ts=event.get("thread_ts") or event.get("ts"))
        return
    for _p, _name, matcher, handler in deps.extras.get("mention_routes", []):
        if matcher(text) and await handler(event={**event, "text": text}, say=say, deps=deps, context=context,
                                           client=client) is not dm.PASS:
            return
    org, user = who(context)
    draft, _note = await make_draft(deps, org, user, text, source="mention", channel=event.get("channel"), ts=event.get("ts"))
    thread = event.get("thread_ts") or event.get("ts")
    if draft is None:
        await say(text="I couldn't find a task in that. Try \u201c@steward I'll send the report by Friday\u201d.", thread_ts=thread)
        return
    # The preview is private to its author, so it goes to their DM.
    await post_preview(client, deps, org, user, draft, channel=user.slack_id, text="Draft from your mention: confirm?")
    await client.chat_postEphemeral(channel=event["channel"], user=user.slack_id, text="I sent you a draft to confirm in our DM. :memo:")


async def post_preview(client: Any, deps: Deps, org: Any, user: User, draft: drafts.Draft, *, channel: str, text: str,
                       thread_ts: str | None = None) -> None:
    """Post the draft's preview and remember where it is. When Slack refuses the preview for good
    (``PERMANENT_ERRORS``), the draft is discarded (no orphan rows) and the person is told why."""
    async with deps.pool.connection() as conn:
        names = await _names(conn, org.id, [item["title"] for item in draft.items])
    blocks = render.draft_preview(draft, _today(user, deps.now()), names=names)
    try:
        posted = await client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
    except Exception as exc:
        code = slack_refusal(exc)
        if code is None:
            raise  # transient: the inbox retries the message, which shows this same draft (bot/effects.py)
        async with deps.pool.connection() as conn:
            await drafts.discard(conn, org.id, draft.id)
        raise InvalidInput(
            f"I read {len(draft.items)} task(s) in that, but Slack refused to show you the draft (`{code}`), so I "
            "saved nothing. Please send it again in smaller parts (say 20 tasks at a time)."
        ) from exc
    async with deps.pool.connection() as conn:
        await drafts.set_preview(conn, draft, posted["channel"], posted["ts"])


async def _update_preview(client: Any, draft: drafts.Draft, blocks: list[dict[str, Any]], text: str,
                          body: dict[str, Any] | None = None) -> None:
    """Show ``blocks`` in the draft's preview. A button pressed on the preview (``body``, Slack's block_actions
    payload) names its message: that one is updated even before the preview's ts was recorded (a click
    handled while the preview's post was still being saved)."""
    container = (body or {}).get("container") or {}
    channel = draft.preview_channel_id or (container.get("channel_id") if container.get("type") == "message" else None)
    ts = draft.preview_ts or (container.get("message_ts") if container.get("type") == "message" else None)
    if channel and ts:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def _draft_id(body: dict[str, Any]) -> int:
    return payload.parse_id(payload.action_value(body).split(":")[0])


async def _closed_preview(client: Any, deps: Deps, org: Any, user: User, draft_id: int, error: InvalidInput) -> None:
    """Expired or finished drafts: the buttons say so politely, and the preview stops offering them."""
    async with deps.pool.connection() as conn:
        try:
            draft = await drafts.get(conn, org.id, draft_id)
        except NotFound:
            raise error from None
    if draft.user_id == user.id:
        await _update_preview(client, draft, render.draft_closed(f":hourglass: {error}"), str(error))
    raise error


async def on_draft_confirm(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    draft_id = _draft_id(body)
    async with deps.pool.connection() as conn:
        expired: drafts.DraftExpired | None = None
        try:
            async with effects.once(conn, "draft_confirm") as step:
                if step.done:  # confirmed by an earlier attempt at this press (bot/effects.py)
                    draft = await drafts.get(conn, org.id, draft_id)
                    created = [await task_service.get(conn, org.id, task_id) for task_id in step.result]
                else:
                    draft, created = await drafts.confirm(conn, org.id, user, draft_id, deps.now())
                    step.result = [t.id for t in created]
        except drafts.DraftExpired as exc:
            draft, created, expired = None, [], exc
    if expired is not None:
        await _closed_preview(client, deps, org, user, draft_id, expired)
    assert draft is not None
    await _update_preview(client, draft, render.draft_done(draft, created, _today(user, deps.now())),
                          f"Added {len(created)} task(s): " + ", ".join(t.display_id for t in created), body)


async def on_draft_cancel(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    draft_id = _draft_id(body)
    async with deps.pool.connection() as conn:
        try:
            draft = await drafts.cancel(conn, org.id, user, draft_id, deps.now())
        except drafts.DraftExpired as exc:
            await _closed_preview(client, deps, org, user, draft_id, exc)
            return
    await _update_preview(client, draft, render.draft_closed(":wastebasket: Cancelled: nothing was added."), "Draft cancelled.",
                          body)


async def on_draft_edit(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    # The Edit button of one task, or the "Edit a task…" select of a long draft.
    draft_text, index_text = payload.split(payload.action_value(body), 2)
    draft_id, index = payload.parse_id(draft_text), payload.parse_index(index_text)
    trigger = payload.trigger_of(body)
    async with deps.pool.connection() as conn:
        draft = await drafts.get(conn, org.id, draft_id)
        if drafts.is_expired(draft, deps.now()) or draft.status != "pending":
            try:
                drafts.check_open(draft, user, deps.now())
            except drafts.DraftExpired as exc:
                await _closed_preview(client, deps, org, user, draft_id, exc)
        if draft.user_id != user.id:
            raise PermissionDenied("That draft belongs to someone else.")
        clients, _ = await task_service.clients_and_projects(conn, org.id)
        if not 0 <= index < len(draft.items):
            raise NotFound("That task isn't in the draft any more.")
        names = await _names(conn, org.id, [draft.items[index]["title"]])
    await client.views_open(trigger_id=trigger, view=render.edit_modal(draft_id, index, draft.items[index], list(clients), names))



def validate_edit(body: dict[str, Any]) -> dict[str, Any] | None:
    """Run at ack time so a bad title shows next to its field in the modal."""
    title = payload.form_of(body.get("view") or {}).text("title").strip()
    if not title:
        return {"response_action": "errors", "errors": {"title": "A task needs a title."}}
    if len(title) > 200:
        return {"response_action": "errors", "errors": {"title": "Keep the title under 200 characters."}}
    return None


async def validate_form(deps: Deps, body: dict[str, Any]) -> dict[str, Any] | None:
    """At ack time (bot/inbox.py), for the task and draft forms: the title's errors (:func:`validate_edit`), and
    a Project that names no active project, shown under its field with the projects there are. The
    organization is read from the payload's team; one unknown to Steward is left to the submit handler."""
    errors = validate_edit(body)
    if errors is not None:
        return errors
    written = payload.form_of(body.get("view") or {}).text("project").strip()
    if not written:
        return None
    async with deps.pool.connection() as conn:
        org, _user = await submitter(conn, body)
        if org is None:
            return None
        try:
            await _form_project(conn, org.id, written, None)
        except NotFound:
            projects = await client_service.list_projects(conn, org.id)
            known = ", ".join(p.name for p in projects[:12]) + (", …" if len(projects) > 12 else "")
            return {"response_action": "errors", "errors": {"project": (
                f"I don't know a project called “{written[:60]}”. " +
                (f"Projects: {known}." if projects else "There are no projects yet; leave this empty."))[:300]}}
    return None


async def _form_project(conn: Any, org_id: int, written: str, current: str | None) -> int | None | str:
    """The project a form's Project field names: its id, None when the field is empty (no project), ``KEEP``
    when it still shows the task's ``current`` project (which may have been archived since). Raises NotFound
    (listing the projects) for a name no active project has."""
    written = written.strip()
    if not written:
        return None
    if current is not None and written.lower() == current.lower():
        return task_service.KEEP
    return client_service.find_project(await client_service.list_projects(conn, org_id), written).id


async def on_draft_edit_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    draft_text, index_text = payload.metadata(view, 2, sep=":")
    draft_id, index = payload.parse_id(draft_text, what="form"), payload.parse_index(index_text, what="form")
    values = payload.form_of(view)
    title = values.text("title").strip()
    due, size = values.day("due_date"), values.choice("size")
    if size and size not in render.SIZES:
        raise InvalidPayload(f"size {size[:20]!r} is not one of the form's", surface="form")
    if not title:
        return  # the ack already showed the error
    async with deps.pool.connection() as conn:
        clients, projects = await task_service.clients_and_projects(conn, org.id)
        client_name = _match_name(values.text("client"), clients)
        project_id = await _form_project(conn, org.id, values.text("project"), None)
        project_name = next((name for name, pid in projects.items() if pid == project_id), None)
        before = await drafts.get(conn, org.id, draft_id)
        original = before.items[index]["title"] if 0 <= index < len(before.items) else ""
        title = markup.from_edit(original, title, await _names(conn, org.id, [original]))
        changes = {"title": task_service.clean_title(title), "due_date": due.isoformat() if due else None,
                   "client": client_name, "client_id": clients.get(client_name) if client_name else None,
                   "project": project_name, "project_id": project_id}
        if size:
            changes["size"] = size
        draft = await drafts.edit_item(conn, org.id, user, draft_id, index, changes, deps.now())
        names = await _names(conn, org.id, [item["title"] for item in draft.items])
    await _update_preview(client, draft, render.draft_preview(draft, _today(user, deps.now()), names=names), "Draft updated.")


async def _names(conn: Any, org_id: int, texts: list[str]) -> dict[str, str]:
    """The names of the people mentioned in ``texts`` (for plain-text fields: "@Priya", not "@U0PRIYA")."""
    return await users_repo.names_by_slack_ids(conn, org_id, [u for t in texts for u in markup.read(t).users])


def _match_name(raw: str | None, known: dict[str, int]) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    for name in known:
        if name.lower() == raw.lower() or name.lower().startswith(raw.lower()):
            return name
    return raw  # kept as written; no id


# ---------------------------------------------------------------- commands


async def task_command(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    verb, _sep, rest = text.partition(" ")
    verb, rest = verb.lower(), rest.strip()
    now = deps.now()
    if verb in ("", "help"):
        await respond(text=TASK_USAGE, response_type="ephemeral")
        return
    if verb == "add":
        if not dm.has_words(rest):
            raise InvalidInput("Tell me the task: `/task add redo the Acme landing page by Friday`.")
        draft, _note = await make_draft(deps, org, user, rest, source="slash", channel=command.get("channel_id"), ts=None)
        if draft is None:
            raise InvalidInput("I couldn't find a task in that. Try `/task add send the report by Friday`.")
        await post_preview(client, deps, org, user, draft, channel=user.slack_id, text="Draft: confirm?")
        await respond(text=f"I put a draft of {len(draft.items)} task(s) in our DM for you to confirm. :memo:", response_type="ephemeral")
        return
    if verb == "list":
        await tasks_command(ack=_noop, command={**command, "text": rest}, respond=respond, context=context, deps=deps)
        return
    ref, _sep, tail = rest.partition(" ")
    if not ref:
        raise InvalidInput(TASK_USAGE)
    if verb in TASK_CHANGES and (verb != "edit" or tail.strip()):
        async with deps.pool.connection() as conn, effects.once(conn, f"task_{verb}") as step:
            if not step.done:  # else an earlier attempt at this command made the change (bot/effects.py)
                step.result = await _change_task(conn, org, user, verb, ref, tail, now)
        await respond(text=step.result, response_type="ephemeral")
        return
    async with deps.pool.connection() as conn:
        task = await task_service.by_display(conn, org.id, ref)
        if verb == "edit":
            await task_service.require_can_change(conn, user, task, "edit")
            clients, _ = await task_service.clients_and_projects(conn, org.id)
            item = {"title": task.title, "due_date": task.due_date.isoformat() if task.due_date else None,
                    "client": task.client_name, "project": task.project_name, "size": task.size}
            modal = render.edit_modal(task.id, 0, item, list(clients), await _names(conn, org.id, [task.title]))
            modal["callback_id"] = "task_edit"
            modal["private_metadata"] = str(task.id)
            await client.views_open(trigger_id=payload.trigger_of(command, what="command"), view=modal)
        else:
            raise InvalidInput(f"I don't know `/task {verb[:20]}`. {TASK_USAGE}")


TASK_CHANGES = ("done", "reopen", "drop", "move", "assign", "edit")


async def _change_task(conn: Any, org: Any, user: User, verb: str, ref: str, tail: str, now: datetime) -> str:
    """`/task <verb> <ref> <tail>` for a verb of TASK_CHANGES: make the change; the answer to show."""
    task = await task_service.by_display(conn, org.id, ref)
    if verb == "done":
        task = await task_service.complete(conn, user, task, now)
        return f":white_check_mark: {task.display_id} {markup.mrkdwn(task.title)} is done. Nice work!"
    if verb == "reopen":
        task = await task_service.reopen(conn, user, task)
        where = f", in {markup.mrkdwn(task.stage_name)}" if task.stage_name else ""
        return f":leftwards_arrow_with_hook: {task.display_id} {markup.mrkdwn(task.title)} is open again{where}."
    if verb == "drop":
        task = await task_service.drop(conn, user, task, tail, now)
        return f":wastebasket: Dropped {task.display_id} ({markup.mrkdwn(markup.store(tail, limit=200))})."
    if verb == "move":
        if not tail.strip():
            raise InvalidInput(f"Where to? `/task move {task.display_id} <stage>`")
        result = await task_service.move(conn, user, task, tail, now)
        text = f":arrow_right: Moved {result.task.display_id} to {result.task.stage_name}."
        return text + (f"\n{result.warning}" if result.warning else "")
    if verb == "assign":
        new_owner = await mentioned_user(conn, org, tail)
        if new_owner is None:
            raise InvalidInput(f"Who to? `/task assign {task.display_id} @someone`")
        task = await task_service.assign(conn, user, task, new_owner, now)
        told = " I've let them know." if new_owner.id != user.id and task.is_open else ""
        return f":bust_in_silhouette: {task.display_id} is now <@{new_owner.slack_id}>'s.{told}"
    edited = await task_service.edit_by_words(conn, user, task, tail, now, date_order_of(user))
    return render.edit_summary(edited, user.timezone)


async def _noop(*_: Any, **__: Any) -> None:
    return None


async def on_task_edit_submit(ack: Any, view: dict[str, Any], context: Any, client: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    values = payload.form_of(view)
    task_id = payload.parse_id(view.get("private_metadata"), what="form", field="private_metadata")
    due, typed, size = values.day("due_date"), values.text("title"), values.choice("size")
    async with deps.pool.connection() as conn:
        task = await task_service.get(conn, org.id, task_id)
        clients, _ = await task_service.clients_and_projects(conn, org.id)
        client_name = _match_name(values.text("client"), clients)
        title = markup.from_edit(task.title, typed, await _names(conn, org.id, [task.title])) if typed else None
        project_id = await _form_project(conn, org.id, values.text("project"), task.project_name)
        result = await task_service.edit(conn, user, task, title=title, due_date=due,
                                         client_id=clients.get(client_name) if client_name else None, size=size,
                                         project_id=project_id, now=deps.now())
    await client.chat_postMessage(channel=user.slack_id, text=render.edit_summary(result, user.timezone))


async def _scope(conn: Any, org: Any, text: str, *, everyone_words: bool) -> tuple[User | None, int | None, str | None, bool]:
    """What `/tasks` and `/board` were asked about: (person, client id, client name, everyone).

    A mention picks a person; a channel (`#client-acme`) or a name picks a client; "all"/"everyone"
    (for `/tasks`) picks everyone. A typed "@name" that matched nobody and an unknown client or channel
    get a specific answer (InvalidInput / NotFound), never a guess."""
    read = markup.read(text)
    person = await mentioned_user(conn, org, text)
    rest = read.without("user", "channel")
    everyone = everyone_words and rest.lower() in ("all", "everyone")
    clients = {c.name: c for c in await client_service.list_clients(conn, org.id)}
    if read.channels:
        found = client_service.client_for_channel(list(clients.values()), read.channels[0])
        if found is None:
            raise NotFound(f"No client is linked to <#{read.channels[0]}> yet (an admin links one with "
                           f"`/steward client add <name> #channel`).")
        return person, found.id, found.name, everyone
    if rest.startswith("@"):
        raise NotFound(f"I don't know anyone called `{markup.escape(rest.split()[0])[:40]}` here. Pick them from the "
                       "list as you type `@`, or use `/tasks` for your own.")
    if rest and not everyone:
        name = _match_name(rest, {n: c.id for n, c in clients.items()})
        if name is None or name not in clients:
            raise InvalidInput(f"I don't know a client called `{markup.escape(rest)[:40]}`." +
                               (f" Clients: {', '.join(markup.escape(n) for n in clients)}." if clients else ""))
        return person, clients[name].id, name, everyone
    return person, None, None, everyone


async def tasks_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    async with deps.pool.connection() as conn:
        person, client_id, client_name, everyone = await _scope(conn, org, text, everyone_words=True)
        person = person or (None if everyone else user)
        items = await task_service.list_tasks(conn, org.id, user_id=person.id if person else None, client_id=client_id,
                                              limit=LIST_LIMIT)
    title = "Your open tasks" if person and person.id == user.id else (f"{person.display_name}'s open tasks" if person else "Everyone's open tasks")
    if client_name:
        title += f" for {client_name}"
    await respond(text=markup.escape(title), blocks=render.task_list(title, items, _today(user, deps.now()), show_owner=person is None), response_type="ephemeral")


async def board_command(ack: Any, command: dict[str, Any], respond: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    org, user = who(context)
    text = (command.get("text") or "").strip()
    async with deps.pool.connection() as conn:
        person, client_id, client_name, _everyone = await _scope(conn, org, text, everyone_words=False)
        title = f"Board for {client_name}" if client_name else (f"{person.display_name}'s board" if person else "Team board")
        all_stages = await task_service.stages(conn, org.id)
        items = await task_service.list_tasks(conn, org.id, user_id=person.id if person else None, client_id=client_id,
                                              done_since=_done_since(deps), limit=LIST_LIMIT)
    blocks = render.board(all_stages, items, _today(user, deps.now()), title=title, whole_team=person is None and client_id is None,
                          done_days=task_service.BOARD_DONE_DAYS)
    await respond(text=markup.escape(title), blocks=blocks, response_type="ephemeral")


def _done_since(deps: Deps) -> datetime:
    """Since when the board's Done column shows what was done."""
    return deps.now() - timedelta(days=task_service.BOARD_DONE_DAYS)


# ---------------------------------------------------------------- App Home

async def my_tasks_section(deps: Deps, org: Any, user: User) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        items = await task_service.list_tasks(conn, org.id, user_id=user.id, limit=LIST_LIMIT)
    return render.home_task_rows(items, _today(user, deps.now()))


async def my_board_section(deps: Deps, org: Any, user: User) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        all_stages = await task_service.stages(conn, org.id)
        items = await task_service.list_tasks(conn, org.id, user_id=user.id, done_since=_done_since(deps), limit=LIST_LIMIT)
    counts: dict[int | None, int] = {}
    for t in items:
        if t.status != "done":
            counts[t.stage_id] = counts.get(t.stage_id, 0) + 1
    done = sum(1 for t in items if t.status == "done")
    line = " \u00b7 ".join(f"{markup.mrkdwn(s.name)}: {counts.get(s.id, 0)}" + (f" (team {s.open_count}/{s.wip_limit})" if s.wip_limit else "")
                           if not s.is_done_stage else f"{markup.mrkdwn(s.name)} in the last {task_service.BOARD_DONE_DAYS} days: {done}"
                           for s in all_stages)
    return [kit.context(line or "No stages.")]


async def _home_change(body: dict[str, Any], client: Any, context: Any, deps: Deps, change: str) -> None:
    org, user = who(context)
    value = payload.action_value(body)
    task_text, *stage = value.split(":") if change == "done" else payload.split(value, 2)
    task_id = payload.parse_id(task_text)
    now = deps.now()
    try:
        async with deps.pool.connection() as conn:
            task: Task = await task_service.get(conn, org.id, task_id)
            if change == "done":
                await task_service.complete(conn, user, task, now)
                warning = None
            else:
                result = await task_service.move(conn, user, task, stage[0], now)
                warning = result.warning
    except StewardError:
        await home.publish_home(client, deps, org, user)  # the view was out of date: show what is true now
        raise
    await home.publish_home(client, deps, org, user)
    if warning:
        await client.chat_postMessage(channel=user.slack_id, text=warning)


async def on_home_done(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    await _home_change(body, client, context, deps, "done")


async def on_home_move(ack: Any, body: dict[str, Any], client: Any, context: Any, deps: Deps, **_: Any) -> None:
    await ack()
    await _home_change(body, client, context, deps, "move")
