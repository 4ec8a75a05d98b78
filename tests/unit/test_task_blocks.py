"""Block Kit for tasks and the morning thread, as pure functions (issue 10 part 6): due dates read as words
of their own, the board counts what it shows, edits say what changed, the legend explains only what is shown."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from bot.blocks import standup, tasks
from bot.services.tasks import EditResult
from db.rows import Stage, Task

TODAY = date(2026, 3, 4)


def task(n: int, *, stage: int = 2, status: str = "pending", due: date | None = None, carried: int = 0, **extra: Any) -> Task:
    return Task(id=n, organization_id=1, display_id=f"T-{n}", title=f"task {n}", status=status, priority="medium", user_id=1,
                stage_id=stage, client_id=None, project_id=None, draft_id=None, due_date=due, due_at=None, task_type="task",
                size="m", weight=3, carry_forward_count=carried, source="dm", client_name=None, project_name=None,
                stage_name=None, owner_slack_id="U1", **extra)


STAGES = [Stage(1, "Backlog", "backlog", "#999", 0, None, False, 0), Stage(2, "To do", "to-do", "#00f", 1, None, False, 2),
          Stage(3, "In progress", "in-progress", "#f90", 2, 5, False, 6), Stage(4, "Done", "done", "#0f0", 3, None, True, 0)]


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section"]


def test_due_words_never_say_due_no_due_date() -> None:
    assert tasks.due_phrase(None) == "no due date"
    assert tasks.due_phrase(date(2026, 3, 9)) == "due Mon 9 Mar"
    assert tasks.due_phrase("2026-03-05", TODAY) == "due tomorrow"
    assert tasks.due_phrase(date(2026, 3, 1), TODAY) == "due Sun 1 Mar (overdue)"
    # a time of day from the database (UTC) is shown in the reader's zone
    assert tasks.due_phrase(date(2026, 3, 6), None, datetime(2026, 3, 6, 22, 0, tzinfo=UTC), "America/New_York") == "due Fri 6 Mar 17:00"
    item = {"title": "fix the login bug", "due_date": None}
    assert "due no due date" not in tasks.draft_item_line(item, TODAY) and "no due date" in tasks.draft_item_line(item, TODAY)
    assert "\u2014 no due date" in tasks.task_line(task(1), TODAY)
    assert "\u2014 due Mon 9 Mar" in tasks.task_line(task(1, due=date(2026, 3, 9)), TODAY)


def test_a_persons_board_counts_their_tasks_and_labels_the_teams() -> None:
    mine = [task(1), task(2, stage=3)]
    person = sections(tasks.board(STAGES, mine, TODAY, title="Sam's board", whole_team=False, done_days=7))
    assert person[1].startswith("*To do* \u2014 1\n")  # the team has 2 there; the board shows 1
    assert person[2].startswith("*In progress* \u2014 1 \u00b7 _team: 6 / 5 WIP_ :rotating_light: over WIP limit")
    team = sections(tasks.board(STAGES, [task(1), task(5), task(2, stage=3)], TODAY, title="Team board", done_days=7))
    assert team[1].startswith("*To do* \u2014 2\n") and team[2].startswith("*In progress* \u2014 1 / 5 :rotating_light:")


def test_the_done_column_lists_recent_done_tasks_newest_first() -> None:
    done = [task(7, stage=4, status="done", completed_at=datetime(2026, 3, 2, 9, tzinfo=UTC)),
            task(8, stage=4, status="done", completed_at=datetime(2026, 3, 3, 9, tzinfo=UTC)),
            task(9, stage=2, status="done", completed_at=datetime(2026, 3, 1, 9, tzinfo=UTC))]  # done, whatever its stage
    shown = sections(tasks.board(STAGES, [task(1), *done], TODAY, title="Team board", done_days=7))
    assert shown[1].startswith("*To do* \u2014 1\n") and "T-9" not in shown[1]
    column = shown[3]
    assert column.startswith("*Done* \u2014 3 _(done in the last 7 days)_")
    assert column.index("T-8") < column.index("T-7") < column.index("T-9")


def test_edit_summary_says_what_changed_and_what_it_was() -> None:
    before = task(1)
    after = replace(before, due_date=date(2026, 3, 9), size="xl", title="task one")
    assert tasks.edit_summary(EditResult(before, after, ("title", "due", "size"))) == (
        ":pencil2: T-1: title \u201ctask one\u201d (was \u201ctask 1\u201d) \u00b7 due Mon 9 Mar (was no due date) \u00b7 size XL (was M)")
    assert tasks.edit_summary(EditResult(before, before, ())) == ":pencil2: T-1: nothing changed."


def _thread(*counts: int) -> str:
    person = SimpleNamespace(real_name="Priya Nair", display_name="priya")
    listed = [SimpleNamespace(display_id=f"T-{i}", title=f"task {i}", carry_forward_count=c) for i, c in enumerate(counts, 1)]
    _text, blocks = standup.thread_message(date(2026, 3, 6), [(person, listed)], [])
    return str(blocks)


def test_the_carried_legend_explains_only_what_the_thread_shows() -> None:
    assert "carried" not in _thread(0, 0)  # the example: the legend with nothing carried
    once = _thread(0, 1)
    assert "_carried N\u00d7_: still open from earlier days" in once and "or more times" not in once
    assert ":warning: carried 3 or more times" in _thread(3, 0)
    # a carried task past the ones listed (+N more) is not shown, so not explained
    assert "still open from earlier days" not in _thread(*([0] * standup.TASKS_PER_PERSON), 2)
