"""Work reported done in a DM ("done with T-3", "I finished the login bug"): which open task each report
means, so Steward can offer to mark it done (buttons) instead of drafting a new task (SPEC F2, F5).

Nothing changes here: the person confirms with a button (``tasks.complete``, with its permission check).
The reports themselves are read by :func:`bot.parsing.standup_reply.completions` (pure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from bot import slack_markup as markup
from bot.parsing.standup_reply import Completion, title_similarity
from bot.services import tasks as task_service
from bot.services.standup_plan import OpenTask, open_tasks_of
from db.rows import User

# A title this close to what was said is the task meant; below it, the closest few are offered to pick
# from, down to MAYBE (the similarity of bot.parsing.standup_reply.title_similarity).
SURE = 0.8
MAYBE = 0.6
MAX_CHOICES = 3


@dataclass(frozen=True)
class DoneOffer:
    """One report of finished work: the open tasks of the person's it may mean (one when sure, else up to
    MAX_CHOICES to pick from, best first), or, when none, why (``note``, Slack mrkdwn)."""

    said: str  # the report as written (stored form)
    tasks: list[OpenTask] = field(default_factory=list)
    note: str | None = None


async def offers_for(conn: psycopg.AsyncConnection, org_id: int, user: User, reports: Sequence[Completion]) -> list[DoneOffer]:
    """What each report in ``reports`` may mean among ``user``'s tasks (in this organization only)."""
    mine = (await open_tasks_of(conn, org_id, [user.id])).get(user.id, [])
    offered: set[int] = set()
    out: list[DoneOffer] = []
    for report in reports:
        if report.refs:
            for number in report.refs:
                out.append(await _by_number(conn, org_id, user, report.sentence, number, mine, offered))
            continue
        what = report.what or ""
        ranked = sorted(((title_similarity(what, t.title), t) for t in mine if t.id not in offered), key=lambda st: -st[0])
        if ranked and ranked[0][0] >= SURE and (len(ranked) == 1 or ranked[1][0] < ranked[0][0]):
            chosen = [ranked[0][1]]
        else:
            chosen = [t for score, t in ranked if score >= MAYBE][:MAX_CHOICES]
        offered.update(t.id for t in chosen)
        if chosen:
            out.append(DoneOffer(report.sentence, chosen))
        else:
            out.append(DoneOffer(report.sentence, note=f"I couldn't find an open task of yours like \u201c{markup.mrkdwn(what)}\u201d, "
                                                       "so nothing changed. `/tasks` lists yours."))
    return out


async def _by_number(conn: psycopg.AsyncConnection, org_id: int, user: User, said: str, number: int, mine: list[OpenTask],
                     offered: set[int]) -> DoneOffer:
    own = next((t for t in mine if t.display_id.upper() == f"T-{number}"), None)
    if own is not None:
        if own.id in offered:
            return DoneOffer(said)
        offered.add(own.id)
        return DoneOffer(said, [own])
    task_id = await task_service.id_by_number(conn, org_id, number)
    if task_id is None:
        return DoneOffer(said, note=f"There's no T-{number}, so nothing changed.")
    task = await task_service.get(conn, org_id, task_id)
    if task.status == "done":
        return DoneOffer(said, note=f"`{task.display_id}` {markup.mrkdwn(task.title)} is already done. :white_check_mark:")
    if task.status == "dropped":
        return DoneOffer(said, note=f"`{task.display_id}` {markup.mrkdwn(task.title)} was dropped, so I left it as it is.")
    owner = f"<@{task.owner_slack_id}>'s" if task.owner_slack_id else "nobody's yet"
    return DoneOffer(said, note=f"`{task.display_id}` is {owner}, not yours: `/task done {task.display_id}` works for its "
                                "owner and their manager.")
