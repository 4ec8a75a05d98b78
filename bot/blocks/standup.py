"""Block Kit for the daily rhythm: the morning thread, reply answers, nudges, the manager summary,
the end-of-day check-in, the recaps of a closed day, out of office and the settings. Pure functions: data in, blocks out.

What people wrote (titles, blockers, reasons) goes through :func:`bot.slack_markup.mrkdwn`, names and
Steward's own notes through :func:`bot.slack_markup.escape`: links and mentions render, nothing pings
the channel the thread lives in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, pack_sections, section
from bot.services import ooo as ooo_service
from bot.services import rhythm as rules
from bot.services.standup_replies import VIA_CHANNEL, VIA_DM, VIA_THREAD
from bot.slack_limits import ELLIPSIS, fit_text

TASKS_PER_PERSON = 6
STATUS_WORDS = 80  # characters of a Slack status shown beside a name (Slack allows 100)
CHECKBOXES_PER_GROUP = L.CHECKBOX_OPTIONS
RECAP_IDS = 8
"""T-numbers a recap's line names per kind (done, carried, dropped); more read "+N more"."""
RECAP_LIST = 5
"""Carried tasks a person's recap lists by title under its line; more read "…and N more"."""
RECAP_REASON = 80
"""Characters of a drop reason a recap's line shows (shortened whole-word)."""
RECAP_TASK_LINE = 150
"""Characters of one task a recap lists by title (its id and carry count kept; the title shortened whole-word)."""


def name(person: Any) -> str:
    return markup.escape(getattr(person, "real_name", None) or person.display_name)


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def task_line(display_id: str, title: str, carry_forward_count: int = 0, *, label: str | None = None,
              limit: int | None = None) -> str:
    """"`T-12` title _(carried 2×)_" in mrkdwn; with ``limit`` (characters), the title is shortened
    (never mid-word or mid-mention) so the whole line fits, keeping the id and the carry count."""
    tail = ""
    if carry_forward_count >= rules.CARRY_WARNING:
        tail += f" :warning: *{rules.carry_label(carry_forward_count)}*"
    elif carry_forward_count > 0:
        tail += f" _({rules.carry_label(carry_forward_count)})_"
    if label:
        tail += f" _{label}_"
    head = f"`{display_id}` "
    shown = markup.mrkdwn(title)
    if limit is not None:
        shown = fit_text(shown, max(limit - len(head) - len(tail), len(ELLIPSIS)))
    return head + shown + tail


def thread_message(day: date, people: Sequence[tuple[Any, Sequence[Any]]],
                   out: Sequence[tuple[Any, Any | None]]) -> tuple[str, list[dict[str, Any]]]:
    """The morning thread: who is on today, their open tasks (carried ones first, with counts), who is out
    (``out``: (person, their absence or None), shown with why: :func:`absence_label`)."""
    text = f"Daily standup \u00b7 {day_label(day)}: reply in this thread with your plan for today."
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f":sunrise: Daily standup \u00b7 {day_label(day)}"}},
        section("Reply *in this thread* with what you'll do today. Mention tasks as `T-12` (or by name), say what's "
                 "blocking you, and if you'll be out (\u201cI'm out Thursday\u201d). I'll turn it into today's plan."),
    ]
    lines = []
    carried: list[int] = []  # the carry counts of the tasks the thread lists
    for person, tasks in people:
        who = f"*{name(person)}*"
        if not tasks:
            lines.append(f"\u2022 {who} \u2014 _no open tasks_")
            continue
        shown = [task_line(t.display_id, t.title, t.carry_forward_count) for t in tasks[:TASKS_PER_PERSON]]
        carried += [t.carry_forward_count for t in tasks[:TASKS_PER_PERSON] if t.carry_forward_count > 0]
        more = f" \u00b7 _+{len(tasks) - TASKS_PER_PERSON} more_" if len(tasks) > TASKS_PER_PERSON else ""
        lines.append(f"\u2022 {who} \u2014 " + " \u00b7 ".join(shown) + more)
    tail = []
    if out:
        tail.append(context(":palm_tree: Out today: " + ", ".join(
            name(p) + (f" ({absence_label(a)})" if a is not None else "") for p, a in out)))
    if carried:  # the legend explains marks the thread shows, and only those
        warning = (f" \u00b7 :warning: carried {rules.CARRY_WARNING} or more times"
                   if max(carried) >= rules.CARRY_WARNING else "")
        tail.append(context(f"_carried N\u00d7_: still open from earlier days{warning}"))
    packed, _left = pack_sections(lines, L.MESSAGE_BLOCKS - len(blocks) - len(tail),
                                  more="\u2026and {n} more people: everyone sees their own list in my App Home.")
    blocks += packed
    blocks += tail
    return text, blocks


def _plan_lines(plan: Sequence[Any], created_ids: set[int]) -> list[str]:
    out = []
    for item in plan:
        label = "new" if item.task_id in created_ids else ("carried" if item.source == "carried" and item.carry_forward_count == 0 else None)
        mark = ":white_check_mark: " if item.is_done else (":wastebasket: " if item.is_dropped else "")
        out.append(mark + task_line(item.display_id, item.title, item.carry_forward_count, label=label))
    return out


def _ids(refs: Sequence[Any]) -> str:
    return ", ".join(f"`{r.display_id}`" for r in refs)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _reply_head(user: Any, outcome: Any, day: str, thread_date: date | None, thread_link: str | None) -> str:
    late = " _(late)_" if outcome.is_late else ""
    other_day = thread_date is not None and outcome.plan_date != thread_date
    if outcome.edited:
        return f":pencil2: <@{user.slack_id}>'s update for {day}, as edited.{late}"
    if outcome.via == VIA_DM:
        if other_day:
            return f":memo: Counted as your standup update for {day}: that day's thread isn't up yet, and I won't nudge you for it."
        where = f"<{thread_link}|the standup thread>" if thread_link else "the standup thread"
        return f":memo: Counted as your standup update for {day}{late}: I've shown it in {where}."
    if outcome.via == VIA_CHANNEL:
        return f"Thanks <@{user.slack_id}>! Counted as your standup update for {day}.{late}"
    return f"Thanks <@{user.slack_id}>!{late}" + (f" Counted as your update for {day}." if other_day else "")


def _reply_notes(outcome: Any, day: str) -> list[str]:
    """What the answer says besides the plan: completions, blockers, absences, and whatever could not
    be done or was taken back (never silently)."""
    parts = []
    if outcome.completed:
        parts.append(":white_check_mark: Done: " + _ids(outcome.completed))
    for _id, description, task in outcome.blockers:
        parts.append(f":construction: Blocker{f' on `{task}`' if task else ''}: {markup.mrkdwn(markup.store(description, limit=200))}")
    for ooo_id, start, end, reason in outcome.ooo:
        span = outcome.ooo_spans.get(ooo_id)
        when = ooo_service.describe_span(span, outcome.plan_date) if span is not None else ooo_service.describe(start, end)
        why = f" \u2014 {markup.mrkdwn(reason)}" if reason else ""
        parts.append(f":palm_tree: Out {when}{why}: I won't nudge you on those days.")
    if outcome.unknown_refs:
        parts.append(":information_source: There's no " + _and([f"T-{n}" for n in outcome.unknown_refs]) + ".")
    for n, took in outcome.numbered_as:
        parts.append(f":information_source: There was no T-{n} when you wrote this; your new task "
                     f"\u201c{markup.mrkdwn(took.title)}\u201d got that number. If you meant another task, use Edit.")
    for what in outcome.not_found:
        parts.append(f":information_source: I couldn't find an open task like \u201c{markup.mrkdwn(what)}\u201d to mark done "
                     "(`/task done T-12` marks one by its number).")
    for n in outcome.notes:
        parts.append(f":information_source: {n}")
    if outcome.day_closed:
        off = (f" {_ids(outcome.off_plan)} {'is' if len(outcome.off_plan) == 1 else 'are'} on your task list, not on that day's plan."
               if outcome.off_plan else "")
        parts.append(f":lock: {day} is closed: its plan stays as the day's close recorded it.{off}")
    if outcome.removed:
        parts.append(":leftwards_arrow_with_hook: Removed after your edit: " + ", ".join(f"`{d}`" for d in outcome.removed))
    for description, task in outcome.resolved_blockers:
        parts.append(f":white_check_mark: Blocker resolved{f' on `{task}`' if task else ''}: "
                     f"{markup.mrkdwn(markup.store(description, limit=200))}")
    for description in outcome.removed_blockers:
        parts.append(f":leftwards_arrow_with_hook: Blocker taken back by your edit: {markup.mrkdwn(markup.store(description, limit=200))}")
    for start, end in outcome.removed_ooo:
        parts.append(f":leftwards_arrow_with_hook: No longer out {ooo_service.describe(start, end)}: your edit took it out.")
    for display_id in outcome.kept:
        parts.append(f":information_source: `{display_id}` stays on your list (work was recorded on it): "
                     f"`/task drop {display_id} <reason>` removes it.")
    return parts


def reply_summary(user: Any, outcome: Any, plan: Sequence[Any], *, message_ts: str, note: str | None = None,
                  thread_date: date | None = None, thread_link: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Steward's answer to one message of an update (under a thread reply or a channel post, or in the DM
    that was the update): the day's plan, completions, blockers, out of office, what an edit changed; Undo /
    Edit. ``thread_date`` is the date of the thread the message is recorded in, ``thread_link`` a permalink
    to where a DM update is shown."""
    day = day_label(outcome.plan_date)
    created_ids = {r.id for r in outcome.created}
    parts = []
    plan_lines = _plan_lines(plan, created_ids)
    if plan_lines:
        parts.append(f"*Plan for {day}:* " + " \u00b7 ".join(plan_lines))
    parts += _reply_notes(outcome, day)
    if not parts:
        parts.append("I didn't find any tasks in that. Mention them as `T-12` or describe them (\u201cfix the login bug\u201d) "
                     f"and I'll add them to your plan for {day}.")
    head = _reply_head(user, outcome, day, thread_date, thread_link)
    if outcome.via == VIA_THREAD and not outcome.edited:
        text = f"Thanks! {len(plan)} task(s) on your plan for {day}."
    else:
        text = f"Your standup update for {day}: {len(plan)} task(s) on the plan."
    value = f"{outcome.submission_id}:{message_ts}"
    blocks, _left = pack_sections([head, *parts], L.MESSAGE_BLOCKS - 2)
    if note:
        blocks.append(context(f":information_source: {markup.escape(note)}"))
    blocks.append({"type": "actions", "block_id": "standup_reply_actions", "elements": [
        {"type": "button", "action_id": "standup_undo", "text": {"type": "plain_text", "text": "Undo"}, "value": value},
        {"type": "button", "action_id": "standup_edit", "text": {"type": "plain_text", "text": "Edit"}, "value": value},
    ]})
    return text, blocks


def dm_update_post(user: Any, text: str, outcome: Any) -> tuple[str, list[dict[str, Any]]]:
    """A DM update shown in the day's thread on its author's behalf: their words (people and links as
    written, nothing that pings the channel) and what it put on their plan."""
    words = markup.mrkdwn(markup.store(text, limit=L.SECTION_TEXT - 200))
    head = f"*{name(user)}* (by DM): {words}"
    blocks: list[dict[str, Any]] = [section(head)]
    bits = []
    if outcome.planned or outcome.created:
        bits.append("Plan: " + _ids([*outcome.planned, *outcome.created]))
    if outcome.completed:
        bits.append("Done: " + _ids(outcome.completed))
    if outcome.blockers:
        bits.append(f"{len(outcome.blockers)} blocker(s)")
    if bits:
        blocks.append(context(" \u00b7 ".join(bits)))
    return fit_text(head, L.SECTION_TEXT), blocks


def reply_undone(user: Any, removed: Sequence[str], why: str = "Undone", day: date | None = None,
                 reopened: Sequence[Any] = ()) -> tuple[str, list[dict[str, Any]]]:
    """The answer to Undo (or a deleted message): what is off the plan, the tasks removed, and the blockers the
    message had resolved that are open again (``reopened``: :class:`bot.services.blockers.Blocker`)."""
    gone = f" Removed {', '.join(f'`{d}`' for d in removed)}." if removed else ""
    where = f"the plan for {day_label(day)}" if day else "today's plan"
    back = ""
    if reopened:
        said = ", ".join(f"\u201c{markup.mrkdwn(markup.read(b.description).plain[:120])}\u201d"
                         + (f" on `{b.task_display_id}`" if b.task_display_id else "") for b in reopened)
        back = (f" The blocker{'s' if len(reopened) > 1 else ''} it resolved {'are' if len(reopened) > 1 else 'is'} "
                f"open again: {said}.")
    text = f":leftwards_arrow_with_hook: {why}: nothing from <@{user.slack_id}>'s message is on {where} any more.{gone}{back}"
    return text, [section(text)]


def nudge(user: Any, channel_id: str, link: str | None, day: date, own_day: date | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The nudge for the thread of ``day``; ``own_day`` is the person's own date they work on it (with `local on`,
    New York's Friday thread is a Kolkata teammate's Monday): "today" is theirs, the thread is named by its date."""
    own_day = own_day or day
    thread = "today's standup thread" if own_day == day else f"the standup thread of {day_label(day)}"
    where = f"<{link}|{thread}>" if link else f"{thread} in <#{channel_id}>"
    words = (getattr(user, "real_name", None) or user.display_name or "").split()
    first = words[0] if words else "there"
    text = (f":wave: Hi {markup.escape(first)}, you haven't posted your plan in {where} yet. "
            "Reply there with what you'll do today (mention tasks as `T-12`), or tell me here (\u201cToday I'm \u2026\u201d) "
            "and I'll post it for you. Out today? Tell me `/ooo today`.")
    if own_day == day:
        return f"Reminder: post your plan for {day_label(day)} in the standup thread.", [section(text)]
    return (f"Reminder: post your plan for today, {day_label(own_day)}, in the standup thread of {day_label(day)}.",
            [section(text)])


def manager_summary(missing: Sequence[Any], out: Sequence[Any], replied: int, total: int, day: date,
                    channel_id: str, *, earlier: Sequence[tuple[date, Sequence[Any]]] = (),
                    later: Sequence[Any] = ()) -> tuple[str, list[dict[str, Any]]]:
    """A manager's summary for the thread of ``day``: ``missing`` reports (not posted), ``replied`` of ``total``
    counted in this summary, who is ``out``; ``earlier`` names reports still missing from earlier threads whose
    day came after the manager's previous summary (a teammate far east of the team), as (thread date, people);
    ``later``, reports on this thread whose day for it comes after this summary (not counted here: the next
    summary names them if they have not posted)."""

    def names(people: Sequence[Any]) -> str:
        return ", ".join(f"<@{p.slack_id}>" for p in people)

    count = f"{replied} of {total} of your reports {'has' if replied == 1 else 'have'} replied"
    if missing:
        n = len(missing)
        head = (f"Standup {day_label(day)}: {n} of your reports {'hasn' if n == 1 else 'haven'}'t posted in "
                f"<#{channel_id}> yet: {names(missing)}.")
        lines = [head, f"{count}."]
    else:
        head = f"Standup {day_label(day)}: {count} in <#{channel_id}>."
        lines = [head]
    if later:
        lines.append(f"Not counted yet: {names(later)} (their day for it starts later; your next summary names "
                     "them if they haven't posted).")
    behind = [f"Standup {day_label(then)}: {names(people)} {'hasn' if len(people) == 1 else 'haven'}'t posted "
              "(their day for it came after your last summary)." for then, people in earlier]
    lines += behind
    if out:
        lines.append(":palm_tree: Out of office: " + ", ".join(name(p) for p in out))
    return (head if missing else " ".join([head, *behind])), [section("\n".join(lines))]


# ---------------------------------------------------------------- end of day

def eod_checkin(day: date, items: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """The end-of-day check-in for the plan of ``day``. It names the day rather than saying "today": a
    check-in held by someone's quiet hours or weekend reaches them on a later date of theirs."""
    open_items = [i for i in items if not i.is_dropped]
    dropped = [i for i in items if i.is_dropped]
    text = f"End of day \u00b7 {day_label(day)}: tick what you finished; the rest carries forward."
    blocks: list[dict[str, Any]] = [
        section(f"*End of day \u00b7 {day_label(day)}*\nTick what you finished on {day:%A}. Anything left unticked carries "
                 "forward to your next day's plan."),
    ]
    # One checkboxes group per 10 tasks (Slack's limit), as many groups as fit beside the other blocks.
    room = (L.MESSAGE_BLOCKS - 5) * CHECKBOXES_PER_GROUP
    for g in range(0, min(len(open_items), room), CHECKBOXES_PER_GROUP):
        group = open_items[g: g + CHECKBOXES_PER_GROUP]
        options = [{"text": {"type": "mrkdwn", "text": task_line(i.display_id, i.title, i.carry_forward_count, limit=L.OPTION_TEXT)},
                    "value": str(i.task_id)} for i in group]
        element: dict[str, Any] = {"type": "checkboxes", "action_id": "eod_toggle", "options": options}
        ticked = [o for o, i in zip(options, group, strict=True) if i.is_done]
        if ticked:
            element["initial_options"] = ticked
        blocks.append({"type": "actions", "block_id": f"eod:{day.isoformat()}:{g // CHECKBOXES_PER_GROUP}", "elements": [element]})
    if len(open_items) > room:
        blocks.append(context(f"\u2026and {len(open_items) - room} more planned tasks: mark them with `/task done T-n`."))
    if dropped:
        blocks.append(context(":wastebasket: Dropped: " + " \u00b7 ".join(
            f"`{i.display_id}` {markup.mrkdwn(i.title)}" + (f" ({markup.mrkdwn(i.answer_reason)})" if i.answer_reason else "") for i in dropped)))
    blocks.append({"type": "actions", "block_id": "eod_buttons", "elements": [
        {"type": "button", "action_id": "eod_all_done", "style": "primary", "text": {"type": "plain_text", "text": "All done"},
         "value": day.isoformat()},
        {"type": "button", "action_id": "eod_drop_open", "text": {"type": "plain_text", "text": "Drop\u2026"}, "value": day.isoformat()},
    ]})
    done = sum(1 for i in items if i.is_done)
    blocks.append(context(f"{done} of {len(items)} done."))
    return text, blocks


def eod_closed(day: date, items: Sequence[Any]) -> list[dict[str, Any]]:
    done = sum(1 for i in items if i.is_done)
    dropped = sum(1 for i in items if i.is_dropped)
    carried = len(items) - done - dropped
    return [section(f"*End of day \u00b7 {day_label(day)}* (closed)\n{done} done \u00b7 {carried} carried forward \u00b7 {dropped} dropped.")]


# ---------------------------------------------------------------- recaps of a closed day

def _recap_ids(tasks: Sequence[Any], note: Any) -> str:
    """"T-3, T-5" or "T-4, carried 2×; T-7": each task's id and ``note(task)`` (when it has one), at most
    :data:`RECAP_IDS`, then "+N more"."""
    shown = [(t.display_id, note(t)) for t in tasks[:RECAP_IDS]]
    noted = any(n for _, n in shown)
    items = [f"{i}{n}" for i, n in shown]
    if len(tasks) > RECAP_IDS:
        items.append(f"+{len(tasks) - RECAP_IDS} more")
    return ("; " if noted else ", ").join(items)


def _carried_note(task: Any) -> str:
    return f", {rules.carry_label(task.carried)}" if task.carried >= 2 else ""


def _dropped_note(task: Any) -> str:
    return f": {fit_text(markup.mrkdwn(task.reason), RECAP_REASON)}" if task.reason else ""


def _next_day_words(day: date, next_day: date | None) -> str:
    if next_day is None:
        return "your next day"
    return f"{next_day:%A}" if 0 < (next_day - day).days < 7 else day_label(next_day)


def day_recap(recap: Any, next_day: date | None) -> tuple[str, list[dict[str, Any]]]:
    """A person's recap of one closed day (``recap``: a :class:`bot.services.standup_close.DayRecap`), e.g.
    "Monday 9 March closed: 2 done (T-3, T-5), 1 carried forward to Tuesday (T-4, carried 2×), 1 dropped
    (T-6: client cancelled)." ``next_day``: the date carried tasks come back on (None: unknown), named by its
    weekday within the week. Under the line, the carried tasks by title (at most :data:`RECAP_LIST`), those
    carried :data:`bot.services.rhythm.CARRY_WARNING` times or more marked."""
    parts = []
    if recap.done:
        parts.append(f"{len(recap.done)} done ({_recap_ids(recap.done, lambda t: '')})")
    if recap.carried:
        parts.append(f"{len(recap.carried)} carried forward to {_next_day_words(recap.day, next_day)} "
                     f"({_recap_ids(recap.carried, _carried_note)})")
    if recap.dropped:
        parts.append(f"{len(recap.dropped)} dropped ({_recap_ids(recap.dropped, _dropped_note)})")
    line = fit_text(f"{day_label(recap.day)} closed: " + (", ".join(parts) or "nothing was on the plan") + ".", L.SECTION_TEXT)
    blocks: list[dict[str, Any]] = [section(line)]
    if recap.carried:
        lines = [f":arrow_right_hook: {task_line(t.display_id, t.title, t.carried, limit=RECAP_TASK_LINE)}"
                 for t in recap.carried[:RECAP_LIST]]
        if len(recap.carried) > RECAP_LIST:
            lines.append(f"\u2026and {len(recap.carried) - RECAP_LIST} more: `/tasks` lists them.")
        blocks.append(context("\n".join(lines)))
    return line, blocks


def team_recap(day: date, closed: Sequence[tuple[Any, Any]], no_plan: Sequence[Any],
               out: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """A manager's recap of their reports' closes for the thread of ``day``: per report who had a plan
    (``closed``: (person, :class:`bot.services.standup_close.DayRecap`)) the done / carried / dropped counts,
    with tasks carried :data:`bot.services.rhythm.CARRY_WARNING` times or more called out by title (at most
    :data:`RECAP_LIST` a report); then who had no plan and who was out. Lines that do not fit in one message
    are counted at its end. Reports' task titles are their manager's to see (README, "Who may
    see and do what")."""
    done = sum(len(r.done) for _, r in closed)
    carried = sum(len(r.carried) for _, r in closed)
    dropped = sum(len(r.dropped) for _, r in closed)
    people = f"{len(closed)} {'person' if len(closed) == 1 else 'people'}"
    text = f"Team recap for {day_label(day)}: {people} closed their day ({done} done, {carried} carried forward, {dropped} dropped)"
    if no_plan:
        text += f"; {len(no_plan)} had no plan"
    text += "."
    lines = []
    for person, recap in closed:
        counts = " \u00b7 ".join(f"{n} {what}" for n, what in ((len(recap.done), "done"), (len(recap.carried), "carried forward"),
                                                                (len(recap.dropped), "dropped")) if n)
        lines.append(f"\u2022 <@{person.slack_id}>: {counts}")
        flagged = recap.flagged
        lines += [f"      \u25e6 {task_line(t.display_id, t.title, t.carried, limit=RECAP_TASK_LINE)}" for t in flagged[:RECAP_LIST]]
        if len(flagged) > RECAP_LIST:
            lines.append(f"      \u2026and {len(flagged) - RECAP_LIST} more carried {rules.CARRY_WARNING} or more times")
    if no_plan:
        lines.append("\u2022 No plan: " + ", ".join(f"<@{p.slack_id}>" for p in no_plan))
    if out:
        lines.append(":palm_tree: Out: " + ", ".join(name(p) for p in out))
    head = section(f"*Team recap \u00b7 {day_label(day)}*\n{people} closed their day: {done} done, {carried} carried forward, "
                   f"{dropped} dropped.")
    packed, _left = pack_sections(lines, L.MESSAGE_BLOCKS - 1, more="\u2026and {n} more lines")
    return text, [head, *packed]


def drop_modal(day: date, items: Sequence[Any], metadata: str, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """"Drop a task": pick one of the day's open planned tasks (titles as people read them) and say why."""
    options = [{"text": {"type": "plain_text", "text": fit_text(f"{i.display_id} {markup.editable(i.title, names or {})}", L.OPTION_TEXT)},
                "value": str(i.task_id)}
               for i in items if not i.is_done and not i.is_dropped][:L.SELECT_OPTIONS]
    return {
        "type": "modal", "callback_id": "eod_drop", "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Drop a task"},
        "submit": {"type": "plain_text", "text": "Drop"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "task", "label": {"type": "plain_text", "text": "Task"},
             "element": {"type": "static_select", "action_id": "task", "options": options or
                         [{"text": {"type": "plain_text", "text": "(nothing left to drop)"}, "value": "0"}]}},
            {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why drop it?"},
             "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True, "max_length": 500,
                         "placeholder": {"type": "plain_text", "text": "e.g. the client cancelled it"}}},
        ],
    }


def edit_reply_modal(text: str, metadata: str, day: date) -> dict[str, Any]:
    """Edit one message of an update; ``day`` is the day it is the update for (an edit never moves it)."""
    return {
        "type": "modal", "callback_id": "standup_reply_edit", "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Edit your standup"},
        "submit": {"type": "plain_text", "text": "Update"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": f"Your update for {day_label(day)}"},
             "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "initial_value": markup.store(text, limit=3000),
                         "max_length": 3000}},
            context(f"I'll update your plan for {day_label(day)} to match: tasks you remove are taken back, new ones are added."),
        ],
    }


# ---------------------------------------------------------------- out of office

def ooo_saved(span: Any, reason: str | None, ooo_id: int, today: date, *, note: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The answer to `/ooo` or "I'm out …" in a DM: the exact first and last day and how many workdays
    (``span``: :class:`bot.services.absences.Span`), and ``note`` (how ambiguous dates were read); Undo."""
    why = f" \u2014 {markup.mrkdwn(reason)}" if reason else ""
    text = (f":palm_tree: Got it: you're out {ooo_service.describe_span(span, today)}{why}. "
            "I won't expect standup replies or send check-ins those days." + (f"\n{note}" if note else ""))
    return text, [section(text, accessory={"type": "button", "action_id": "ooo_undo", "text": {"type": "plain_text", "text": "Undo"},
                                            "value": str(ooo_id)})]


def absence_label(absence: Any) -> str:
    """Why someone is away, in a few words: "vacation", "public holiday: Good Friday", "Slack status:
    :palm_tree: Vacationing" (``absence``: :class:`bot.services.absences.Absence` or the people calendar's
    :class:`bot.services.calendar.Absence`)."""
    if absence.source == "public_holiday":
        return f"public holiday: {markup.escape(absence.reason or 'holiday')}"
    if absence.source == "slack_status":
        own = getattr(absence, "emoji", None)  # the calendar's absences have the emoji in their reason
        emoji = f":{own.strip(':')}: " if own else ""
        return f"Slack status: {emoji}{fit_text(markup.mrkdwn(absence.reason or 'away'), STATUS_WORDS)}"
    return markup.mrkdwn(absence.reason) if absence.reason else "out of office"


def ooo_list(records: Sequence[tuple[Any, Any]], others: Sequence[Any], countries: tuple[str | None, str | None],
             today: date) -> tuple[str, list[dict[str, Any]]]:
    """`/ooo list`: the person's out-of-office entries (record, span) with Cancel buttons, their other absences
    coming up (public holidays, a Slack status that says away) and whose public holidays they follow
    (``countries``: the organization's, and their own choice or None)."""
    team, own = countries
    if own == "none":
        follow = "No public holidays for you (`/ooo country team` follows the team's)."
    elif own:
        follow = f"Public holidays: yours, `{own}` (`/ooo country team` follows the team's{f', `{team}`' if team else ''})."
    elif team:
        follow = f"Public holidays: the team's, `{team}` (set your own with `/ooo country DE-BY`)."
    else:
        follow = "No public holidays: set your country with `/ooo country GB` (an admin sets the team's with `/steward standup country GB`)."
    blocks: list[dict[str, Any]] = []
    if records:
        blocks.append(section(f"*Your out-of-office days* ({len(records)})"))
    for r, span in records[: L.MESSAGE_BLOCKS - 4]:
        reason = f" \u00b7 {markup.mrkdwn(r.reason)}" if r.reason else ""
        origin = "from a message" if r.source == "parsed" else "added with /ooo"
        blocks.append(section(f"{ooo_service.describe_span(span, today)}{reason} \u00b7 _{origin}_",
                               accessory={"type": "button", "action_id": "ooo_undo", "text": {"type": "plain_text", "text": "Cancel"},
                                          "value": str(r.id)}))
    lines = []
    for a in others:
        when = ooo_service.describe(a.first, a.last)
        if a.source == "slack_status" and a.ends_at is None:
            when = f"from {a.first:%a} {a.first.day} {a.first:%b} until you change it"
        lines.append(f"\u2022 {when}: {absence_label(a)}")
    if lines:
        blocks.append(section("*Also away*\n" + "\n".join(lines[:30])))
    if not records and not lines:
        blocks.append(section("You have no out-of-office days coming up. Add some with `/ooo Monday to Wednesday vacation`."))
    blocks.append(context(follow))
    text = (f"You have {len(records)} out-of-office entr{'y' if len(records) == 1 else 'ies'}."
            if records else "You have no out-of-office days coming up.")
    return text, blocks


# ---------------------------------------------------------------- settings

def settings_text(r: rules.Rhythm) -> str:
    channel = f"<#{r.standup_channel_id}>" if r.standup_channel_id else "_not set_ (`/steward standup channel #standup`)"
    holidays = ", ".join(d.isoformat() for d in sorted(r.holidays)[:12]) or "none"
    if len(r.holidays) > 12:
        holidays += f" (+{len(r.holidays) - 12})"
    mood = f"on at {r.mood_checkin_time:%H:%M}" if r.mood_checkin_enabled else "off"
    return "\n".join([
        "*Daily standup settings*",
        f"\u2022 Channel: {channel}",
        f"\u2022 Morning thread: {r.morning_time:%H:%M} {r.timezone}, {rules.describe_days(r.workdays)}",
        f"\u2022 Holidays: {holidays} \u00b7 public holidays: "
        + (f"{r.holiday_country} (each person may set their own: `/ooo country DE-BY`)" if r.holiday_country
           else "none (`/steward standup country GB`)"),
        f"\u2022 Nudge after {r.nudge_delay_minutes} min \u00b7 manager summary after {r.manager_summary_delay_minutes} min",
        f"\u2022 End-of-day check-in: {r.end_of_day_time:%H:%M} \u00b7 mood check-in: {mood}",
        f"\u2022 Times follow: {'each person' + chr(39) + 's own clock' if r.use_member_local_time else 'the team timezone'}",
    ])


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def settings_modal(r: rules.Rhythm) -> dict[str, Any]:
    days = [_option(n.title(), str(i + 1)) for i, n in enumerate(rules.WEEKDAY_NAMES)]
    channel_el: dict[str, Any] = {"type": "conversations_select", "action_id": "channel",
                                  "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if r.standup_channel_id:
        channel_el["initial_conversation"] = r.standup_channel_id
    on = [_option("On", "on")]

    def checkbox(block_id: str, label: str, checked: bool) -> dict[str, Any]:
        el: dict[str, Any] = {"type": "checkboxes", "action_id": block_id, "options": [_option(label, "on")]}
        if checked:
            el["initial_options"] = on if label == "On" else [_option(label, "on")]
        return {"type": "input", "block_id": block_id, "optional": True, "label": {"type": "plain_text", "text": " "}, "element": el}

    def timepicker(block_id: str, label: str, value: Any) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
                "element": {"type": "timepicker", "action_id": block_id, "initial_time": f"{value:%H:%M}"}}

    def number(block_id: str, label: str, value: int) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
                "element": {"type": "number_input", "action_id": block_id, "is_decimal_allowed": False,
                            "min_value": "0", "max_value": "720", "initial_value": str(value)}}

    return {
        "type": "modal", "callback_id": "standup_settings",
        "title": {"type": "plain_text", "text": "Daily standup"},
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "channel", "label": {"type": "plain_text", "text": "Standup channel"}, "element": channel_el},
            timepicker("morning_time", "Morning thread at", r.morning_time),
            {"type": "input", "block_id": "timezone", "label": {"type": "plain_text", "text": "Team timezone"},
             "element": {"type": "plain_text_input", "action_id": "timezone", "initial_value": r.timezone,
                         "placeholder": {"type": "plain_text", "text": "America/New_York"}}},
            {"type": "input", "block_id": "workdays", "label": {"type": "plain_text", "text": "Workdays"},
             "element": {"type": "checkboxes", "action_id": "workdays", "options": days,
                         **({"initial_options": [days[d - 1] for d in sorted(r.workdays)]} if r.workdays else {})}},
            {"type": "input", "block_id": "holidays", "optional": True, "label": {"type": "plain_text", "text": "Holidays"},
             "hint": {"type": "plain_text", "text": "Dates, comma-separated: 2026-12-25, 2026-12-26"},
             "element": {"type": "plain_text_input", "action_id": "holidays",
                         "initial_value": ", ".join(d.isoformat() for d in sorted(r.holidays))}},
            number("nudge_delay_minutes", "Nudge people who haven't replied after (minutes)", r.nudge_delay_minutes),
            number("manager_summary_delay_minutes", "Send managers who's missing after (minutes)", r.manager_summary_delay_minutes),
            timepicker("end_of_day_time", "End-of-day check-in at", r.end_of_day_time),
            {"type": "input", "block_id": "mood_checkin_enabled", "optional": True,
             "label": {"type": "plain_text", "text": "Daily mood check-in"},
             "element": {"type": "checkboxes", "action_id": "mood_checkin_enabled", "options": on,
                         **({"initial_options": on} if r.mood_checkin_enabled else {})}},
            timepicker("mood_checkin_time", "Mood check-in at", r.mood_checkin_time),
            {"type": "input", "block_id": "use_member_local_time", "optional": True,
             "label": {"type": "plain_text", "text": "Nudges and check-ins at each person's own local time"},
             "element": {"type": "checkboxes", "action_id": "use_member_local_time", "options": on,
                         **({"initial_options": on} if r.use_member_local_time else {})}},
        ],
    }


# ---------------------------------------------------------------- App Home: Today

def today_section(day: date, plan: Sequence[Any], *, thread_link: str | None, submitted: bool, out: str | None,
                  mood_line: str | None, settings_line: str | None, is_admin: bool) -> list[dict[str, Any]]:
    lines = []
    if out:
        lines.append(f":palm_tree: You're out of office ({out}).")
    elif thread_link:
        lines.append(f":white_check_mark: You've posted in <{thread_link}|today's standup>." if submitted
                     else f":speech_balloon: <{thread_link}|Today's standup thread> is up: reply with your plan.")
    if plan:
        lines.append(f"*Plan for {day_label(day)}:* " + " \u00b7 ".join(_plan_lines(plan, set())))
    elif not out:
        lines.append("_Nothing on today's plan yet._")
    if mood_line:
        lines.append(mood_line)
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    if settings_line:
        extra: dict[str, Any] = {}
        if is_admin:
            extra["accessory"] = {"type": "button", "action_id": "standup_settings_open", "text": {"type": "plain_text", "text": "Standup settings"},
                                  "value": "open"}
        blocks.append(section(settings_line, **extra))
    return blocks
