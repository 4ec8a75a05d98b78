"""The escalation DM (pure): one message to one person listing every rung of every ladder due for them in a sweep
(issue 13's noise rule: "a person with several escalations due gets one DM listing them, not one each"), blockers
and overdue tasks alike, each item with its own buttons. A ladder's flag rung is an item of it too, with the flag's
buttons (Open inquiry / Resolve / Dismiss). The items are the ladders' own (:func:`bot.blocks.blockers.item`,
:func:`bot.blocks.overdue.item`); the message stays inside Slack's 50 blocks (:data:`bot.slack_limits.MESSAGE_BLOCKS`):
the items that do not fit are counted, with the commands that list them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import slack_limits as L
from bot.blocks import blockers, flags, overdue
from bot.blocks.kit import context, plain, section
from bot.services.escalations import People, Step
from db.rows import User

# Each ladder's item and heading, by escalation_steps.subject_type, and how its items are named and listed.
_ITEM = {"blocker": blockers.item, "task": overdue.item}
_HEAD = {"blocker": blockers.head, "task": overdue.head}
_NAMES = {"blocker": ("blocker", "blockers", "`/blockers`"), "task": ("overdue task", "overdue tasks", "`/tasks`")}


def _count(n: int, subject_type: str) -> str:
    one, many, _listed = _NAMES[subject_type]
    return f"{n} {one if n == 1 else many}"


def head(recipient: User, steps: Sequence[Step]) -> str:
    """The DM's heading: a ladder's own when every item is of that ladder, else how many of each need them."""
    kinds = list(dict.fromkeys(s.subject_type for s in steps))
    if len(kinds) == 1:
        return _HEAD[kinds[0]](recipient, steps)
    counts = " and ".join(_count(sum(1 for s in steps if s.subject_type == k), k) for k in kinds)
    return f"{len(steps)} things need you: {counts}"


def _flag_item(step: Step, blocks: list[dict[str, Any]], recipient: User) -> list[dict[str, Any]]:
    """A flag rung's item: the subject's words, then the flag (its ref, what raised it, what Open inquiry does) and
    its buttons instead of the subject's."""
    flag = step.extra["flag"]
    note = (f":triangular_flag_on_post: Flag `{flag.ref}` \u00b7 {flags.source(flag, None)} on "
            f"{blockers.day(flag.created_at, recipient.timezone)}. Open inquiry starts a private conversation with "
            "them that I relay: only the two of you can read it.")
    notes = [b["elements"][0]["text"] for b in blocks if b.get("type") == "context"]
    return [blocks[0], context(" ".join([*notes, note])), flags.buttons(flag)]


def _item(step: Step, people: People, recipient: User, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    fallback, blocks = _ITEM[step.subject_type](step, people, recipient, now)
    if step.route.action == "flag" and step.extra.get("flag") is not None:
        blocks = _flag_item(step, blocks, recipient)
    return fallback, blocks


def escalation_dm(recipient: User, steps: Sequence[Step], people: People, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """One DM to ``recipient`` listing every rung due for them in this sweep, of any ladder: flags first, then in the
    order given; each item with its buttons. Items past Slack's 50 blocks are counted in a last line naming the
    commands that list them. Returns (fallback text, blocks)."""
    ordered = sorted(steps, key=lambda s: s.route.action != "flag")
    title = head(recipient, ordered)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(title, L.HEADER_TEXT)}]
    fallbacks: list[str] = []
    shown = 0
    for step in ordered:
        fallback, item = _item(step, people, recipient, now)
        if len(blocks) + len(item) > L.MESSAGE_BLOCKS - 1:  # one block kept for the count of the rest
            break
        blocks.extend(item)
        fallbacks.append(fallback)
        shown += 1
    left = ordered[shown:]
    if left:
        kinds = list(dict.fromkeys(s.subject_type for s in left))
        listed = " and ".join(_NAMES[k][2] for k in kinds)
        blocks.append(section(f"\u2026and {len(left)} more ({', '.join(_count(sum(1 for s in left if s.subject_type == k), k) for k in kinds)}): "
                              f"{listed} {'lists them' if len(kinds) == 1 else 'list them'}."))
    return L.fit_text(f"{title}: " + "; ".join(fallbacks), L.MESSAGE_TEXT), blocks
