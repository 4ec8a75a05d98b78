"""App Home's team view and loose ends (pure; issue 13): the manager's "Your team today" (who posted, who is out,
open blockers with age and rung, overdue tasks, open flags, each with its buttons) and everyone's "Blocked and
overdue". Each part stays small (:data:`MAX_ITEMS` per list, a line and its buttons each): App Home holds at most
100 blocks for every feature together (bot/slack_limits.py, ``VIEW_BLOCKS``), and bot/blocks/home.py cuts a part
that does not fit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import slack_limits as L
from bot.blocks import flags as flag_blocks
from bot.blocks import overdue as overdue_blocks
from bot.blocks.blockers import blocker_line
from bot.blocks.kit import context, plain, section
from bot.services.blockers import Blocker
from bot.services.escalations import People
from bot.services.team_today import Mine, TeamToday
from db.rows import User

# Items listed with their buttons per list (a line and an actions block each); the rest are counted.
MAX_ITEMS = 4


def _names(ids: Sequence[int], people: People) -> str:
    return ", ".join(people.users[i].mention for i in ids if i in people.users)


def _blocker_buttons(blocker: Blocker, prefix: str, *, own: bool) -> dict[str, Any]:
    pairs = ([("Resolved", "home_blocker_resolve", "primary"), ("Still blocked", "home_blocker_still", None)] if own else
             [("I'm on it", "home_blocker_mine", "primary"), ("Resolve", "home_blocker_resolve", None)])
    elements = []
    for text, action_id, style in pairs:
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text, L.BUTTON_TEXT),
                                  "value": str(blocker.id)}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": f"{prefix}_blocker:{blocker.id}", "elements": elements}


def _more(n: int, what: str, command: str) -> list[dict[str, Any]]:
    return [context(f"\u2026and {n} more {what}: `{command}` lists them all.")] if n > 0 else []


def _blockers(found: Sequence[Blocker], people: People, viewer: User, ladder_len: int, now: datetime, prefix: str, *,
              own: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for blocker in found[:MAX_ITEMS]:
        out.append(section(blocker_line(blocker, people, viewer, ladder_len, now)))
        out.append(_blocker_buttons(blocker, prefix, own=own and viewer.id in (blocker.user_id, blocker.owner_id)))
    return out + _more(len(found) - MAX_ITEMS, "open blockers", "/blockers")


def _overdue(team: TeamToday | Mine, viewer: User, now: datetime, prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for task in team.overdue[:MAX_ITEMS]:
        ladder_len = team.overdue_ladder_len.get(task.project_id, 0)
        out.append(section("\u2022 " + overdue_blocks.home_line(task, team.people, viewer, ladder_len, now)))
        out.append(overdue_blocks.buttons(task, f"{prefix}_overdue:{task.id}"))
    return out + _more(len(team.overdue) - MAX_ITEMS, "overdue tasks", "/tasks")


def team_section(team: TeamToday, viewer: User, now: datetime) -> list[dict[str, Any]]:
    """The manager's team today."""
    people = team.people
    ids = [u.id for u in team.reports]
    out_ids = [i for i in ids if i in team.out]
    expected = [i for i in ids if i not in team.out]
    if team.thread_up:
        posted = [i for i in expected if i in team.posted]
        waiting = [i for i in expected if i not in team.posted]
        day = (f":memo: Posted today: {_names(posted, people) or 'nobody yet'}"
               + (f" \u00b7 Not yet: {_names(waiting, people)}" if waiting else " \u00b7 everyone's in :tada:"))
    else:
        day = ":memo: No standup thread today."
    if out_ids:
        day += "\n:palm_tree: Out: " + "; ".join(f"{people.users[i].mention} ({team.out[i]})" for i in out_ids)
    blocks: list[dict[str, Any]] = [section(day)]
    blocks.append(section(f"*Open blockers* ({len(team.blockers)})" if team.blockers else "*Open blockers*: none :tada:"))
    # A blocker the manager is on has the buttons of its owner (Resolved / Still blocked); the others, I'm on it.
    blocks += _blockers(team.blockers, people, viewer, team.blocker_ladder_len, now, "team", own=True)
    blocks.append(section(f"*Overdue tasks* ({len(team.overdue)})" if team.overdue else "*Overdue tasks*: none"))
    blocks += _overdue(team, viewer, now, "team")
    blocks.append(section(f"*Open flags* ({len(team.flags)})" if team.flags else "*Open flags*: none"))
    for flag in team.flags[:MAX_ITEMS]:
        blocks.append(section(flag_blocks.flag_line(flag, viewer)))
        blocks.append(flag_blocks.buttons(flag))
    blocks += _more(len(team.flags) - MAX_ITEMS, "open flags", "/flags")
    return blocks


def mine_section(mine: Mine, viewer: User, now: datetime) -> list[dict[str, Any]] | None:
    """A person's own open blockers and overdue tasks; None when there are none (the part is hidden)."""
    if not mine.blockers and not mine.overdue:
        return None
    blocks: list[dict[str, Any]] = []
    if mine.blockers:
        blocks.append(section(f"*Your open blockers* ({len(mine.blockers)})"))
        blocks += _blockers(mine.blockers, mine.people, viewer, mine.blocker_ladder_len, now, "my", own=True)
    if mine.overdue:
        blocks.append(section(f"*Your overdue tasks* ({len(mine.overdue)})"))
        blocks += _overdue(mine, viewer, now, "my")
    return blocks
