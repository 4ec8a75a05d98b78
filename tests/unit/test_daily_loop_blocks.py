"""Wording of the daily loop's messages (issue 10's follow-up), as pure Block Kit: a manager summary counts
only the reports it is for ("1 of 2 … has replied") and says who is not counted yet; a nudge for a thread
worked on another day names that thread and the person's own today; a done task on the board says when it
was done, not that it is due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from bot.blocks import standup
from bot.blocks import tasks as task_blocks

FRIDAY, MONDAY = date(2026, 3, 6), date(2026, 3, 9)


def person(slack_id: str, name: str) -> SimpleNamespace:
    return SimpleNamespace(slack_id=slack_id, real_name=name, display_name=name.split()[0])


def test_a_manager_summary_counts_whom_it_is_for() -> None:
    diego, priya = person("U0DIEGO", "Diego Ruiz"), person("U0PRIYA", "Priya Nair")
    text, blocks = standup.manager_summary([diego], [], 1, 2, FRIDAY, "C0STANDUP", later=[priya])
    body = blocks[0]["text"]["text"]
    assert text == "Standup Friday 6 March: 1 of your reports hasn't posted in <#C0STANDUP> yet: <@U0DIEGO>."
    assert "1 of 2 of your reports has replied." in body
    assert "Not counted yet: <@U0PRIYA> (their day for it starts later" in body
    _, blocks = standup.manager_summary([diego, priya], [], 0, 3, FRIDAY, "C0STANDUP")
    assert "0 of 3 of your reports have replied." in blocks[0]["text"]["text"]
    assert "Not counted yet" not in blocks[0]["text"]["text"]


def test_a_nudge_for_a_thread_worked_on_another_day() -> None:
    priya = person("U0PRIYA", "Priya Nair")
    text, blocks = standup.nudge(priya, "C0STANDUP", "https://acme.slack.com/archives/C0STANDUP/p1", FRIDAY, MONDAY)
    assert text == "Reminder: post your plan for today, Monday 9 March, in the standup thread of Friday 6 March."
    body = blocks[0]["text"]["text"]
    assert "|the standup thread of Friday 6 March>" in body and "today's standup thread" not in body
    text, blocks = standup.nudge(priya, "C0STANDUP", None, FRIDAY)
    assert text == "Reminder: post your plan for Friday 6 March in the standup thread."
    assert "today's standup thread in <#C0STANDUP>" in blocks[0]["text"]["text"]


def test_a_done_task_says_when_it_was_done() -> None:
    task = SimpleNamespace(display_id="T-1", title="Send the Acme invoice", due_date=date(2026, 3, 2), stage_name="Done",
                           client_name=None, carry_forward_count=4, owner_slack_id="U0SAM", status="done",
                           completed_at=datetime(2026, 3, 8, 15, 0, tzinfo=UTC))
    line = task_blocks.task_line(task, MONDAY, show_owner=True)  # type: ignore[arg-type]
    assert line == "`T-1` Send the Acme invoice \u2014 done yesterday \u00b7 <@U0SAM>"
    open_task = SimpleNamespace(**{**task.__dict__, "status": "pending", "completed_at": None, "stage_name": "To do"})
    assert "due Mon 2 Mar (overdue)" in task_blocks.task_line(open_task, MONDAY)  # type: ignore[arg-type]
