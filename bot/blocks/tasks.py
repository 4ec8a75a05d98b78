"""Block Kit for drafts, tasks and the board. Pure functions: data in, blocks out.

What people wrote (titles, client, project and stage names) goes through :func:`bot.slack_markup.mrkdwn`,
Steward's own labels through :func:`bot.slack_markup.escape`: links and mentions render, nothing pings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, option, pack_sections, plain, section
from bot.slack_limits import fit_text
from db.rows import Stage, Task

SIZES = ("xs", "s", "m", "l", "xl")
SIZE_LABEL = {"xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL"}


def short_date(day: date) -> str:
    """A date spelled out so a misread shows: "Mon 9 Mar"."""
    return f"{day:%a} {day.day} {day:%b}"


def due_label(due: date | str | None, today: date | None = None, due_at: datetime | str | None = None,
              tz: str | None = None) -> str:
    """When a task is due, for a line that already says it is a due date: "Fri 6 Mar", "tomorrow 17:30",
    "Mon 2 Mar (overdue)", or "no due date". ``today`` (the reader's local date) turns near dates into
    words; ``due_at`` adds the time of day, shown in ``tz`` (an IANA zone) when given."""
    if due is None:
        return "no due date"
    d = date.fromisoformat(due) if isinstance(due, str) else due
    when = short_date(d)
    if today is not None:
        delta = (d - today).days
        when = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(delta, when)
        if delta < -1:
            when = f"{when} (overdue)"
    if due_at:
        at = datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at
        if tz and at.tzinfo is not None:
            at = at.astimezone(ZoneInfo(tz))
        when += at.strftime(" %H:%M")
    return when


def due_phrase(due: date | str | None, today: date | None = None, due_at: datetime | str | None = None,
               tz: str | None = None) -> str:
    """The due date as words of their own: "due Fri 6 Mar", "due tomorrow 17:30" or "no due date" (never
    "due no due date"); arguments as :func:`due_label`."""
    return "no due date" if due is None else f"due {due_label(due, today, due_at, tz)}"


def draft_item_line(item: dict[str, Any], today: date | None) -> str:
    # the time too, when one was said ("due today 17:30"): a misread clock time shows before confirming
    bits = [due_phrase(item.get('due_date'), today, item.get('due_at'))]
    if item.get("size"):
        bits.append(f"size {SIZE_LABEL.get(item['size'], item['size'])}")
    if item.get("client"):
        bits.append(f"client {markup.mrkdwn(item['client'])}")
    if item.get("project"):
        bits.append(f"project {markup.mrkdwn(item['project'])}")
    if item.get("priority") in ("high", "urgent"):
        bits.append(f"*{item['priority']}*")
    return f"*{markup.mrkdwn(item['title'])}*\n" + " \u00b7 ".join(bits)


# A draft shows each task in its own section with an Edit button up to this many tasks; a longer
# draft lists them compactly (numbered lines in as few sections as fit) with one "Edit a task…"
# select, so that any draft fits in one message (Slack: 50 blocks, 3,000 characters a section).
DETAILED_DRAFT_ITEMS = 15


def draft_preview(draft: Any, today: date | None, *, fallback_reason: str | None = None,
                  names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The draft's preview message: what was understood, Confirm / Cancel, and a way to edit each task.

    ``draft`` has ``id``, ``items`` (the parsed task dicts) and ``parsed``; ``today`` is the person's
    local date (for "due tomorrow"); ``names`` (Slack user id -> name) lets plain-text fields say
    "@Priya". Always within Slack's message limits (``bot/slack_limits.py``).
    """
    items = draft.items
    count = len(items)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text":
        f"Here's what I understood: *{count} task{'s' if count != 1 else ''}*. Confirm to add {'them' if count != 1 else 'it'} to your list."}}]
    buttons: list[dict[str, Any]] = []
    if count <= DETAILED_DRAFT_ITEMS:
        for i, item in enumerate(items):
            blocks.append({"type": "section", "block_id": f"draft_item_{i}",
                           "text": {"type": "mrkdwn", "text": fit_text(draft_item_line(item, today), L.SECTION_TEXT)},
                           "accessory": {"type": "button", "action_id": "draft_edit", "text": {"type": "plain_text", "text": "Edit"},
                                         "value": f"{draft.id}:{i}"}})
    else:
        lines = [f"{i + 1}. " + draft_item_line(item, today).replace("\n", " \u2014 ", 1) for i, item in enumerate(items)]
        blocks.extend(pack_sections(lines, L.MESSAGE_BLOCKS - 4)[0])
        editable = items[: L.SELECT_OPTIONS]
        buttons.append({"type": "static_select", "action_id": "draft_edit", "placeholder": plain("Edit a task\u2026", L.PLACEHOLDER),
                        "options": [option(f"{i + 1}. {markup.editable(item['title'], names or {})}", f"{draft.id}:{i}") for i, item in enumerate(editable)]})
        if count > len(editable):
            blocks.append(context(f"The list to edit from shows the first {len(editable)}; change the others after confirming "
                                   "with `/task edit T-n`."))
    note = fallback_reason or (draft.parsed.get("note") if isinstance(draft.parsed, dict) else None)
    if note:
        blocks.append(context(f":information_source: {markup.escape(note)}"))
    day = getattr(draft, "update_day", None)
    if day is not None:
        # Words sent while the person's standup day is open and unanswered may be that update.
        buttons.append({"type": "button", "action_id": "draft_as_update", "value": str(draft.id),
                        "text": plain(f"It's my standup update for {day:%a} {day.day} {day:%b}", L.BUTTON_TEXT)})
    blocks.append({"type": "actions", "block_id": "draft_actions", "elements": [
        {"type": "button", "action_id": "draft_confirm", "style": "primary", "text": {"type": "plain_text", "text": "Confirm"}, "value": str(draft.id)},
        {"type": "button", "action_id": "draft_cancel", "style": "danger", "text": {"type": "plain_text", "text": "Cancel"}, "value": str(draft.id)},
        *buttons,
    ]})
    return blocks


def draft_done(draft: Any, created: list[Task], today: date | None) -> list[dict[str, Any]]:
    """The preview once confirmed: every task created, with its id (packed to fit one message)."""
    head = f":white_check_mark: Added {len(created)} task{'s' if len(created) != 1 else ''}:"
    lines = [f"\u2022 `{t.display_id}` {markup.mrkdwn(t.title)} \u2014 {due_phrase(t.due_date, today)}" for t in created]
    listed, _left = pack_sections([head, *lines], L.MESSAGE_BLOCKS - 1)
    return [*listed, context("`/tasks` lists them; `/task done T-n` when finished.")]


def draft_closed(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def edit_modal(draft_id: int, index: int, item: dict[str, Any], clients: list[str],
               names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Edit task modal; the title is shown as a person reads it ("with @Priya"), see markup.editable."""
    size = item.get("size") if item.get("size") in SIZES else None
    size_el: dict[str, Any] = {"type": "static_select", "action_id": "size",
                               "options": [{"text": {"type": "plain_text", "text": SIZE_LABEL[s]}, "value": s} for s in SIZES]}
    if size:
        size_el["initial_option"] = {"text": {"type": "plain_text", "text": SIZE_LABEL[size]}, "value": size}
    date_el: dict[str, Any] = {"type": "datepicker", "action_id": "due_date"}
    if item.get("due_date"):
        date_el["initial_date"] = item["due_date"]
    return {
        "type": "modal", "callback_id": "draft_edit", "private_metadata": f"{draft_id}:{index}",
        "title": {"type": "plain_text", "text": "Edit task"}, "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
             "element": {"type": "plain_text_input", "action_id": "title", "initial_value": markup.editable(item.get("title"), names or {}),
                         "max_length": 200}},
            {"type": "input", "block_id": "due_date", "optional": True, "label": {"type": "plain_text", "text": "Due date"}, "element": date_el},
            {"type": "input", "block_id": "client", "optional": True, "label": {"type": "plain_text", "text": "Client"},
             "hint": {"type": "plain_text", "text": ("Known clients: " + ", ".join(clients))[:150] if clients else "No clients set up yet"},
             "element": {"type": "plain_text_input", "action_id": "client", "initial_value": item.get("client") or ""}},
            {"type": "input", "block_id": "project", "optional": True, "label": {"type": "plain_text", "text": "Project"},
             "element": {"type": "plain_text_input", "action_id": "project", "initial_value": item.get("project") or ""}},
            {"type": "input", "block_id": "size", "optional": True, "label": {"type": "plain_text", "text": "Size"}, "element": size_el},
        ],
    }


def done_phrase(completed_at: datetime | None, today: date | None) -> str:
    """When a done task was done: "done today", "done yesterday", "done Mon 9 Mar" (its UTC date, never read
    as later than ``today``), or "done"."""
    if completed_at is None:
        return "done"
    day = completed_at.astimezone(UTC).date()
    if today is None:
        return f"done {short_date(day)}"
    day = min(day, today)
    return "done " + {0: "today", 1: "yesterday"}.get((today - day).days, short_date(day))


def task_line(task: Task, today: date | None, *, show_owner: bool = False) -> str:
    """"`T-3` title — due Fri 6 Mar · In progress · Acme · carried 2×"; a done task says when it was done
    instead of when it was due ("done yesterday"), and no carry count."""
    bits = [f"`{task.display_id}` {markup.mrkdwn(task.title)}"]
    done = task.status == "done"
    meta = [done_phrase(task.completed_at, today) if done else due_phrase(task.due_date, today)]
    if task.stage_name and not done:
        meta.append(markup.mrkdwn(task.stage_name))
    if task.client_name:
        meta.append(markup.mrkdwn(task.client_name))
    if task.carry_forward_count and not done:
        meta.append(f"carried {task.carry_forward_count}\u00d7" + (" :warning:" if task.carry_forward_count >= 3 else ""))
    if show_owner and task.owner_slack_id:
        meta.append(f"<@{task.owner_slack_id}>")
    return " ".join(bits) + " \u2014 " + " \u00b7 ".join(meta)


HOME_TASKS = 15  # App Home shows this many tasks with buttons; `/tasks` lists them all
BOARD_TASKS_PER_STAGE = 10


def task_list(title: str, tasks: list[Task], today: date | None, *, show_owner: bool = False) -> list[dict[str, Any]]:
    """``/tasks``: a header line and one line per task, packed into as few sections as fit one message;
    past that, a note says how many more there are and how to narrow the list."""
    if not tasks:
        return [section(f"*{markup.escape(title)}*\nNothing open. :sparkles:")]
    lines = [f"*{markup.escape(title)}* ({len(tasks)})", *(f"\u2022 {task_line(t, today, show_owner=show_owner)}" for t in tasks)]
    packed, _left = pack_sections(lines, L.MESSAGE_BLOCKS, more="\u2026and {n} more: narrow the list with `/tasks <client>`.")
    return packed


def home_task_rows(tasks: list[Task], today: date | None) -> list[dict[str, Any]]:
    """App Home's "My tasks": the first ``HOME_TASKS`` with Done / Start buttons, then a pointer to the rest."""
    if not tasks:
        return [section("No open tasks. Tell me in a DM what you're working on.")]
    rows: list[dict[str, Any]] = []
    for task in tasks[:HOME_TASKS]:
        rows.append(section(task_line(task, today)))
        rows.append({"type": "actions", "block_id": f"home_task_{task.id}", "elements": [
            {"type": "button", "action_id": "home_task_done", "text": plain("Done", L.BUTTON_TEXT), "style": "primary", "value": str(task.id)},
            {"type": "button", "action_id": "home_task_move", "text": plain("Start" if task.status == "pending" else "To review", L.BUTTON_TEXT),
             "value": f"{task.id}:{'in-progress' if task.status == 'pending' else 'review'}"},
        ]})
    if len(tasks) > HOME_TASKS:
        rows.append(context(f"\u2026and {len(tasks) - HOME_TASKS} more: `/tasks` lists them all."))
    return rows


def _stage_head(stage: Stage, shown: int, *, whole_team: bool, done_days: int | None) -> str:
    """A stage's heading on the board: the number of tasks the board shows in it and, on a person's or a
    client's board, the team's figure against a WIP limit, labelled as the team's."""
    name = f"*{markup.mrkdwn(stage.name)}*"
    if stage.is_done_stage:
        recent = f" _(done in the last {done_days} days)_" if done_days else ""
        return f"{name} \u2014 {shown}{recent}"
    over = " :rotating_light: over WIP limit" if stage.wip_limit and stage.open_count > stage.wip_limit else ""
    if whole_team:
        return f"{name} \u2014 {shown}" + (f" / {stage.wip_limit}" if stage.wip_limit else "") + over
    team = f" \u00b7 _team: {stage.open_count} / {stage.wip_limit} WIP_" if stage.wip_limit else ""
    return f"{name} \u2014 {shown}{team}{over}"


def board(stages: list[Stage], tasks: list[Task], today: date | None, *, title: str, whole_team: bool = True,
          done_days: int | None = None) -> list[dict[str, Any]]:
    """``/board``: each stage (how many tasks it shows, its WIP limit, its first tasks) within one message: a
    section per stage, or, with more stages than a message has blocks, stages packed together; a stage with
    more tasks than it shows says how many more and where to see them.

    ``tasks`` are the board's tasks (the team's, or one person's or client's): open ones in their stage,
    done ones (read for the last ``done_days`` days) in the done stage, most recent first. The count beside
    a stage is of what the board shows; on a board that is not ``whole_team`` the team's WIP figure is
    shown beside it, labelled as the team's."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(markup.plain_text(title), L.HEADER_TEXT)}]
    by_stage: dict[int | None, list[Task]] = {}
    done_stage = next((s.id for s in stages if s.is_done_stage), None)
    done = sorted((t for t in tasks if t.status == "done"), key=lambda t: t.completed_at or datetime.min.replace(tzinfo=UTC),
                  reverse=True)
    for t in tasks:
        if t.status != "done":
            by_stage.setdefault(t.stage_id, []).append(t)
    if done_stage is not None:
        by_stage[done_stage] = [*by_stage.get(done_stage, []), *done]
    texts = []
    for stage in stages:
        in_stage = by_stage.get(stage.id, [])
        head = _stage_head(stage, len(in_stage), whole_team=whole_team, done_days=done_days)
        lines = [f"\u2022 {task_line(t, today, show_owner=True)}" for t in in_stage[:BOARD_TASKS_PER_STAGE]] or ["_empty_"]
        packed, _left = pack_sections([head, *lines], 1, not_listed=max(0, len(in_stage) - BOARD_TASKS_PER_STAGE),
                                      more="\u2026and {n} more (`/tasks` lists them all)")
        texts.append(packed[0]["text"]["text"])
    room = L.MESSAGE_BLOCKS - len(blocks)
    if len(texts) <= room:
        blocks.extend(section(text) for text in texts)
    else:
        blocks.extend(pack_sections(texts, room, more="\u2026and {n} more stages: `/steward stage list` shows them all")[0])
    return blocks


def edit_summary(result: Any, tz: str | None = None) -> str:
    """What an edit changed, each with what it was: "T-1: due Mon 9 Mar (was no due date)", or "T-1: nothing
    changed". ``result`` is a :class:`bot.services.tasks.EditResult`; times of day are shown in ``tz``."""
    task, before = result.task, result.before
    if not result.changed:
        return f":pencil2: {task.display_id}: nothing changed."
    bits = []
    for what in result.changed:
        if what == "title":
            bits.append(f"title \u201c{markup.mrkdwn(task.title)}\u201d (was \u201c{markup.mrkdwn(before.title)}\u201d)")
        elif what == "due":
            bits.append(f"{due_phrase(task.due_date, None, task.due_at, tz)} "
                        f"(was {due_phrase(before.due_date, None, before.due_at, tz)})")
        elif what == "size":
            bits.append(f"size {SIZE_LABEL.get(task.size or '', 'not set')} (was {SIZE_LABEL.get(before.size or '', 'not set')})")
        elif what == "client":
            now_client = f"client {markup.mrkdwn(task.client_name)}" if task.client_name else "no client"
            bits.append(f"{now_client} (was {markup.mrkdwn(before.client_name) if before.client_name else 'no client'})")
        elif what == "project":
            now_project = f"project {markup.mrkdwn(task.project_name)}" if task.project_name else "no project"
            bits.append(f"{now_project} (was {markup.mrkdwn(before.project_name) if before.project_name else 'no project'})")
    return f":pencil2: {task.display_id}: " + " \u00b7 ".join(bits)


def closed_by_other_notice(task: Task, actor: Any, status: str, reason: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The DM telling a task's owner that someone else marked it done (``status`` "done") or dropped it, with the
    reason given (stored form)."""
    if status == "done":
        text = f":white_check_mark: <@{actor.slack_id}> marked your `{task.display_id}` {markup.mrkdwn(task.title)} done."
    else:
        why = f": \u201c{markup.mrkdwn(reason)}\u201d" if reason else "."
        text = f":wastebasket: <@{actor.slack_id}> dropped your `{task.display_id}` {markup.mrkdwn(task.title)}{why}"
    return text, [section(fit_text(text, L.SECTION_TEXT)),
                  context(f"If that's not right, `/task reopen {task.display_id}` brings it back.")]


def assigned_notice(task: Task, assigner: Any, tz: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The DM telling someone a task was assigned to them: who assigned what, and when it is due (a date,
    not "tomorrow": quiet hours may hold it overnight; a time of day in the recipient's ``tz``)."""
    text = (f":bust_in_silhouette: <@{assigner.slack_id}> assigned you `{task.display_id}` {markup.mrkdwn(task.title)}"
            f" \u2014 {due_phrase(task.due_date, None, task.due_at, tz)}.")
    return text, [section(fit_text(text, L.SECTION_TEXT)),
                  context(f"`/task done {task.display_id}` when it's finished \u00b7 `/tasks` lists yours \u00b7 "
                          "My App Home shows them too.")]


# ---------------------------------------------------------------- work reported done in a DM

DONE_OFFER_BLOCK = "done_offer:"  # + task id: one section per offered task, its button beside it


def done_offer(offers: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """The answer to "done with T-3" / "I finished the login bug": each report with a *Mark done* button
    per task it may mean (several when unsure), or why there is none. Nothing is marked until a button is
    pressed. ``offers``: :class:`bot.services.completions.DoneOffer`."""
    blocks: list[dict[str, Any]] = []
    buttons = 0
    for offer in offers:
        if offer.note:
            blocks.append(section(f":information_source: {offer.note}"))
            continue
        if len(offer.tasks) > 1:
            blocks.append(section(f"\u201c{markup.mrkdwn(offer.said)}\u201d: which one is it?"))
        for task in offer.tasks:
            buttons += 1
            blocks.append(section(f"`{task.display_id}` {markup.mrkdwn(task.title)}", block_id=f"{DONE_OFFER_BLOCK}{task.id}",
                                  accessory={"type": "button", "action_id": "task_mark_done", "style": "primary",
                                             "text": plain("Mark done", L.BUTTON_TEXT), "value": str(task.id)}))
    blocks = blocks[: L.MESSAGE_BLOCKS - 1]
    if buttons:
        blocks.append(context("Tap *Mark done* for what you finished; nothing changes until you do."))
        text = "Shall I mark it done?" if buttons == 1 else "Shall I mark these done?"
    else:
        text = "Nothing was marked done."
    return text, blocks


def done_marked(blocks: list[dict[str, Any]], task: Task) -> list[dict[str, Any]]:
    """The offer's blocks once ``task`` is marked done: its section says so, without the button."""
    out = []
    for block in blocks:
        if block.get("block_id") == f"{DONE_OFFER_BLOCK}{task.id}":
            block = section(f":white_check_mark: `{task.display_id}` {markup.mrkdwn(task.title)} is done. Nice work!",
                            block_id=block["block_id"])
        out.append(block)
    if not any(b.get("type") == "section" and b.get("accessory", {}).get("action_id") == "task_mark_done" for b in out):
        out = [b for b in out if b.get("type") != "context"]
    return out
