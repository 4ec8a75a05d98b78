"""Overdue work in Slack (pure): the overdue ladder's DMs (Done / New date / Drop), a project channel's grouped
post, the New date and Drop modals, and a task's line in App Home. Titles go through :mod:`bot.slack_markup`;
every message stays inside Slack's limits (:mod:`bot.slack_limits`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.blockers import short, span_words
from bot.blocks.kit import context, pack_sections, plain, section
from bot.services import calendar
from bot.services.escalations import People, Step, item_block_id
from bot.services.overdue import SUBJECT, OverdueTask, due_instant
from db.rows import Task, User

BUTTONS = (("Done", "overdue_done", "primary"), ("New date", "overdue_new_date", None), ("Drop", "overdue_drop", "danger"))
NEW_DATE_VIEW = "overdue_new_date"
DROP_VIEW = "overdue_drop"


def task_words(task: OverdueTask | Task) -> str:
    """`T-5` *Fix the checkout bug* (Website relaunch)."""
    project = f" ({markup.escape(task.project_name)})" if task.project_name else ""
    return f"`{task.display_id}` *{markup.mrkdwn(markup.store(task.title, limit=120))}*{project}"


def due_words(task: OverdueTask, people: People, tz: str) -> str:
    """When it was due, on the reader's clock: "Fri 6 Mar" or "Fri 6 Mar 15:00" when a time was given."""
    if task.due_at is not None:
        return short(task.due_at, tz)
    return f"{task.due_date:%a} {task.due_date.day} {task.due_date:%b}"


def late_by(task: OverdueTask, people: People, now: datetime) -> str:
    """How long past due in the owner's working time ("2 working days")."""
    person = people.person(task.user_id)
    spent = calendar.working_time(people.rhythm, person, due_instant(people.rhythm, person, task.due_date, task.due_at), now)
    return span_words(spent, calendar.workday_length(people.rhythm))


def buttons(task: OverdueTask, block_id: str) -> dict[str, Any]:
    elements = []
    for text, action_id, style in BUTTONS:
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text, L.BUTTON_TEXT),
                                  "value": str(task.id)}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": block_id[: L.BLOCK_ID], "elements": elements}


def item(step: Step, people: People, recipient: User, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """One overdue task's rung in an escalation DM (:func:`bot.blocks.escalations.escalation_dm`): (its fallback
    words, its blocks: a section, a context line saying why it came to ``recipient`` when it went elsewhere than the
    plain rule says, and Done / New date / Drop)."""
    task: OverdueTask = step.item
    tz = recipient.timezone
    due = due_words(task, people, tz)
    if recipient.id == task.user_id:
        line = f":hourglass: {task_words(task)} was due {due} and is still open. Done, a new date, or drop it?"
        fallback = f"{task.display_id} was due {due}"
    else:
        owner = people.users.get(task.user_id)
        who = owner.mention if owner is not None else "Someone"
        flag = ":triangular_flag_on_post: *Flag raised (high):* " if step.route.action == "flag" else ":hourglass: "
        line = f"{flag}{who}'s {task_words(task)} was due {due} and is {late_by(task, people, now)} overdue."
        fallback = f"{owner.display_name if owner else 'Someone'}'s {task.display_id} is overdue (due {due})"
    blocks: list[dict[str, Any]] = [section(line)]
    if step.route.reason:
        blocks.append(context(f":information_source: {step.route.reason[0].upper()}{step.route.reason[1:]}."))
    blocks.append(buttons(task, item_block_id(SUBJECT, task.id, step.level)))
    return fallback, blocks


_OUTCOME = {"done": ":white_check_mark: Done", "dropped": ":wastebasket: Dropped", "new date": ":calendar: New date set"}


def outcome_words(ref: str, what: str, actor: User | None) -> str:
    """What an escalation DM's item about an overdue task settled elsewhere says instead of its buttons (the day
    follows): ":white_check_mark: Done by @sam"."""
    return _OUTCOME.get(what, f"{ref} is {what}") + (f" by {actor.mention}" if actor is not None else "")


def flags_closed_text(closed: Sequence[Any], ref: str, what: str, actor: User | None) -> str:
    """What the person who got an overdue ladder's flag hears when its task is done, dropped or given a new date."""
    refs = ", ".join(f"`{f.ref}`" for f in closed)
    cause = f"{ref} is {what}" if what != "new date" else f"{ref} has a new date"
    by = f" ({actor.mention})" if actor is not None else ""
    return (f":white_check_mark: Flag {refs} about <@{closed[0].person_slack_id}> is resolved: {cause}{by}. "
            "Nothing more to do about it.")


def head(recipient: User, steps: Sequence[Step]) -> str:
    """The heading of a DM listing only overdue tasks: the recipient's own, or others'."""
    n = len(steps)
    if all(s.item.user_id == recipient.id for s in steps):
        return "A task of yours is overdue" if n == 1 else f"{n} tasks of yours are overdue"
    return "A task is overdue" if n == 1 else f"{n} tasks are overdue"


def _post_line(task: OverdueTask, people: People, tz: str, now: datetime) -> str:
    owner = people.users.get(task.user_id)
    who = owner.mention if owner is not None else "someone"
    return f"\u2022 {task_words(task)} \u2014 {who}, due {due_words(task, people, tz)}, {late_by(task, people, now)} overdue"


def channel_post(firing: Sequence[OverdueTask], others: Sequence[OverdueTask], people: People,
                 now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """One post in a channel: the tasks whose channel rung fires now, and every other overdue task of their
    projects, in one message (dates on the team's clock)."""
    tz = people.rhythm.timezone
    tasks = sorted([*firing, *others], key=lambda t: (t.due_date, t.id))
    projects = sorted({t.project_name for t in firing if t.project_name})
    what = f" in {', '.join(markup.escape(p) for p in projects)}" if projects else ""
    n = len(tasks)
    head = (f":hourglass: *{'A task is' if n == 1 else f'{n} tasks are'} overdue{what}* \u2014 can anyone help get "
            f"{'it' if n == 1 else 'them'} moving?")
    lines = [_post_line(t, people, tz, now) for t in tasks]
    sections, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 3)
    if n == 1:
        how = "Its owner marks it done, gives it a new date or drops it"
    elif len({t.user_id for t in tasks}) == 1:
        how = "Their owner marks them done, gives them a new date or drops them"
    else:
        how = "Their owners mark them done, give them a new date or drop them"
    blocks = [section(head), *sections, context(f"{how}; `/tasks @person` lists anyone's.")]
    return L.fit_text(markup.read(head).plain + "\n" + "\n".join(lines), L.MESSAGE_TEXT), blocks


def home_line(task: OverdueTask, people: People, viewer: User, ladder_len: int, now: datetime) -> str:
    """A task in App Home: what, whose, due when, how late, which rung."""
    owner = people.users.get(task.user_id)
    who = "yours" if task.user_id == viewer.id else (owner.mention if owner is not None else "someone")
    rung = f"rung {task.overdue_level} of {ladder_len}" if task.overdue_level and task.walking else "not escalated yet"
    return (f"{task_words(task)} \u2014 {who}, due {due_words(task, people, viewer.timezone)}, "
            f"{late_by(task, people, now)} overdue ({rung})")


def new_date_modal(task: OverdueTask | Task, metadata: str, today: date) -> dict[str, Any]:
    """New date: a date picker (from today), the task named."""
    return {"type": "modal", "callback_id": NEW_DATE_VIEW, "private_metadata": metadata[: L.VIEW_PRIVATE_METADATA],
            "title": plain("New date", L.VIEW_TITLE), "submit": plain("Save", L.VIEW_SUBMIT),
            "close": plain("Cancel", L.VIEW_CLOSE),
            "blocks": [section(f"When will {task_words(task)} be done?"),
                       {"type": "input", "block_id": "due_date", "label": plain("New due date", L.INPUT_LABEL),
                        "element": {"type": "datepicker", "action_id": "due_date", "initial_date": today.isoformat()}}]}


def drop_modal(task: OverdueTask | Task, metadata: str) -> dict[str, Any]:
    """Drop: why (required)."""
    return {"type": "modal", "callback_id": DROP_VIEW, "private_metadata": metadata[: L.VIEW_PRIVATE_METADATA],
            "title": plain("Drop task", L.VIEW_TITLE), "submit": plain("Drop", L.VIEW_SUBMIT),
            "close": plain("Cancel", L.VIEW_CLOSE),
            "blocks": [section(f"Drop {task_words(task)}?"),
                       {"type": "input", "block_id": "reason", "label": plain("Why?", L.INPUT_LABEL),
                        "element": {"type": "plain_text_input", "action_id": "reason", "max_length": 500}}]}
