"""Checklists and SOPs in Block Kit (issue 16): the checklist DM with its checkboxes, `/checklists`, `/steward
checklists`, `/steward sops`. Pure: data in, blocks out, inside Slack's limits (bot/slack_limits.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, counted, option, section
from bot.services import calendar
from bot.services.checklist_schedule import next_run
from bot.services.checklists import (
    ACTION_TICK,
    BLOCK_PREFIX,
    ITEMS_PER_BLOCK,
    Checklist,
    Completion,
    Today,
)
from db.rows import User

Block = dict[str, Any]


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def state_line(checklist: Checklist, completion: Completion, now: datetime | None = None) -> str:
    """"2 of 3 done", "All 3 done", with a word when it was recorded incomplete or finished late."""
    items = checklist.item_list
    done = len(completion.done(items))
    if completion.completed_at is not None:
        late = completion.due_by is not None and completion.completed_at > completion.due_by
        return f":white_check_mark: All {len(items)} done" + (" (after the end of that day)" if late else ".")
    line = f"{done} of {len(items)} done."
    if completion.missed_at is not None:
        line += " Not finished by the end of that day: recorded as incomplete (you can still tick the rest)."
    return line


def checkbox_blocks(checklist: Checklist, completion: Completion) -> list[Block]:
    """One actions block of checkboxes per :data:`ITEMS_PER_BLOCK` items (Slack's limit per element), each block id
    ``checklist:<completion>:<group>``, ticked items as ``initial_options``."""
    items = checklist.item_list
    ticked = set(completion.items_done)
    blocks: list[Block] = []
    for group in range(0, len(items), ITEMS_PER_BLOCK):
        options = [option(i.text, i.key) for i in items[group:group + ITEMS_PER_BLOCK]]
        element: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION_TICK, "options": options}
        initial = [o for o in options if o["value"] in ticked]
        if initial:
            element["initial_options"] = initial
        blocks.append({"type": "actions", "block_id": f"{BLOCK_PREFIX}:{completion.id}:{group // ITEMS_PER_BLOCK}",
                       "elements": [element]})
    return blocks


def refreshed(blocks: Sequence[Block], checklist: Checklist, completion: Completion) -> list[Block]:
    """``blocks`` (a message showing the checkboxes of ``completion``: its checklist DM, a deploy reminder carrying
    them, a `/checklists`) with those checkboxes and the state line right after them rendered from ``completion`` as
    it is now; every other block (a reminder's header, another checklist's checkboxes) unchanged. For the copies of a
    checklist a tick elsewhere made stale (tester16b N1)."""
    prefix = f"{BLOCK_PREFIX}:{completion.id}:"
    fresh = {b["block_id"]: b for b in checkbox_blocks(checklist, completion)}
    out: list[Block] = []
    after_ours = False
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        if block_id.startswith(prefix):
            out.append(fresh.get(block_id, block))
            after_ours = True
            continue
        if after_ours and block.get("type") == "context":
            out.append(context(state_line(checklist, completion)))
        else:
            out.append(block)
        after_ours = False
    return out


def checklist_message(checklist: Checklist, completion: Completion, person: User | None = None) -> tuple[str, list[Block]]:
    """The DM: the checklist's name and date, its items as checkboxes, its state. At most 10 + 2 blocks."""
    name = markup.escape(checklist.name)
    text = f"Checklist · {checklist.name} · {_day(completion.for_date)}: tick each item as you do it."
    blocks: list[Block] = [section(f":clipboard: *{name}* · {_day(completion.for_date)}\nTick each item as you do it.")]
    blocks += checkbox_blocks(checklist, completion)
    blocks.append(context(state_line(checklist, completion)))
    assert len(blocks) <= L.MESSAGE_BLOCKS
    return text, blocks


def today_blocks(today: Today, tz: str) -> tuple[str, list[Block]]:
    """`/checklists`: the asker's checklists for today with their state and their checkboxes; those still to come
    today with their time. Within a message's 50 blocks: checklists past what fits are named, to tick in their DM."""
    if not today.sent and not today.later:
        text = f"You have no checklists due today ({_day(today.day)})."
        return text, [section(text)]
    done = sum(1 for c, r in today.sent if r.completed_at is not None)
    text = f"Your checklists for {_day(today.day)}: {done} of {len(today.sent)} finished."
    blocks: list[Block] = [section(f"*Your checklists · {_day(today.day)}*")]
    left_out: list[str] = []
    for checklist, completion in today.sent:
        part = [section(f":clipboard: *{markup.escape(checklist.name)}*"), *checkbox_blocks(checklist, completion),
                context(state_line(checklist, completion))]
        if len(blocks) + len(part) > L.MESSAGE_BLOCKS - 2:
            left_out.append(checklist.name)
            continue
        blocks += part
    if left_out:
        blocks.append(context("Tick these in their DMs: " + ", ".join(markup.escape(n) for n in left_out)))
    if today.later:
        blocks.append(context("Later today: " + " · ".join(
            f"{markup.escape(c.name)} at {at.astimezone(calendar.zone(tz)):%H:%M}" for c, at in today.later)))
    return text, blocks


def checklists_list(found: Sequence[Checklist], now: datetime, tz: str, workdays: frozenset[int] | None = None) -> str:
    """`/steward checklists`: each checklist's name, who it is for, its schedule in words, its item count and next
    run (on ``tz``'s clock: the asker's; each person gets it at that time on their own clock), on one of
    ``workdays`` (ISO weekdays, the organization's)."""
    if not found:
        return ("No checklists yet. Admins add one: `/steward checklist add \"Friday wrap-up\" for everyone every "
                "friday 16:00 items: timesheet filled; inbox zero; tomorrow planned`.")
    lines = ["*Checklists* (each person gets theirs at its time on their own clock, on their workdays):"]
    for c in found:
        schedule = c.parsed_schedule
        if schedule is None:
            when, nxt = "on demand (deploys)", ""
        else:
            when = schedule.words()
            at = next_run(schedule, now, tz, workdays)
            nxt = f" · next {at.astimezone(calendar.zone(tz)):%a %d %b %H:%M} (your time)" if at else ""
        lines.append(f"• *{markup.escape(c.name)}* · for {markup.escape(c.audience)} · {when} · "
                     f"{counted(len(c.items), 'item')}{nxt}")
    return "\n".join(lines)


def added_text(checklist: Checklist, reaches: int | None = None) -> str:
    """`/steward checklist add`'s answer, with a warning when its audience is nobody now (tester16 F14): ``reaches`` is
    how many people it would go to now (bot/services/checklists.py ``recipients``); None: not checked. A client's
    checklist with no assigned members, or a role nobody has, is accepted (members and roles change) but said so."""
    schedule = checklist.parsed_schedule
    when = (f"{schedule.words()} (each person's own time, on their workdays, never on leave)" if schedule else
            "on demand (a deploy schedule that names it sends it)")
    warning = ""
    if reaches == 0:
        who = (f"{markup.escape(checklist.client_name or '')} has no assigned members yet (`/steward client "
               f"{markup.escape(checklist.client_name or '')} members @a @b` assigns them)" if checklist.client_id is not None
               else f"nobody has the Steward role {markup.escape(checklist.role)} (`/steward role @name "
               f"{markup.escape(checklist.role)}` gives it)" if checklist.role else "there is nobody in the workspace yet")
        warning = f"\n:warning: It reaches nobody for now: {who}."
    return (f":white_check_mark: Checklist “{markup.escape(checklist.name)}” added: for "
            f"{markup.escape(checklist.audience)}, {when}, "
            f"{counted(len(checklist.items), 'item')}. `/steward checklists` lists them; `/checklists` shows each "
            "person theirs for today." + warning)


def sop_added_text(sop: Any) -> str:
    """`/steward sop add`'s answer; when the SOP took a checklist's deploy schedules from another (``sop.replaced``),
    it says which and what became of it (tester16b N7: a second SOP silently demoted the first)."""
    deploys = (" Deploy schedules using the checklist now record each deploy against it." if sop.trigger == "deploy"
               else " A deploy schedule that uses the checklist records at deploy time whether it was followed.")
    replaced = ""
    for name, became in getattr(sop, "replaced", ()):
        replaced += (f"\n:information_source: It replaces “{markup.escape(name)}” at those deploys: " + (
            "that SOP is now followed by hand (its records are kept)." if became == "by hand" else
            "a deploy schedule made that one, so it is retired (its records are kept)."))
    return (f":white_check_mark: SOP “{markup.escape(sop.name)}” (`{sop.slug}`) added, followed with the checklist "
            f"“{markup.escape(sop.checklist_name or '?')}” ({counted(len(sop.steps), 'step')}).{deploys} "
            "`/steward sops` lists them." + replaced)


def sops_list(found: Sequence[Any]) -> str:
    """`/steward sops`: each SOP's name, slug, checklist, steps and when it is checked."""
    if not found:
        return ('No SOPs yet. Admins add one: `/steward sop add "Deploy to production" checklist "Pre-deploy"`.')
    lines = ["*SOPs*:"]
    for s in found:
        checklist = f"checklist “{markup.escape(s.checklist_name)}”" if s.checklist_name else "its checklist was removed"
        when = "checked at each deploy" if s.trigger == "deploy" else "followed by hand"
        lines.append(f"• *{markup.escape(s.name)}* (`{s.slug}`) · {checklist} · {counted(len(s.steps), 'step')} · {when}")
    return "\n".join(lines)
