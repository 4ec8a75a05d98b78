"""The recaps of a closed day as Block Kit (bot/blocks/standup.py, pure): a person's one line (and the short
list of what carries forward), a manager's team recap, inside Slack's limits however long the day was."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from bot.blocks import standup
from bot.emulators.slack.validation import block_problems
from bot.services.standup_close import ClosedTask, DayRecap
from bot.slack_limits import MESSAGE_BLOCKS, SECTION_TEXT

MONDAY = date(2026, 3, 9)


def closed(n: int, status: str, *, carried: int = 0, reason: str | None = None, title: str | None = None,
           user: int = 1) -> ClosedTask:
    return ClosedTask(user, MONDAY, f"T-{n}", title or f"task {n}", status, reason, carried)


def person(n: int) -> Any:
    return SimpleNamespace(id=n, slack_id=f"U{n:04d}", real_name=f"Person {n}", display_name=f"p{n}")


def texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements") or []]
    return "\n".join(out)


def test_the_issues_example_reads_as_one_line() -> None:
    recap = DayRecap(1, MONDAY, (closed(3, "done"), closed(4, "carry_forward", carried=2), closed(5, "done"),
                                 closed(6, "dropped", reason="client cancelled")))
    text, blocks = standup.day_recap(recap, date(2026, 3, 10))
    assert text == ("Monday 9 March closed: 2 done (T-3, T-5), 1 carried forward to Tuesday (T-4, carried 2\u00d7), "
                    "1 dropped (T-6: client cancelled).")
    assert blocks[0]["text"]["text"] == text
    # Under it, what comes back tomorrow, by title.
    assert texts(blocks[1:]) == ":arrow_right_hook: `T-4` task 4 _(carried 2\u00d7)_"
    assert block_problems(blocks, MESSAGE_BLOCKS) == []


def test_a_day_with_nothing_carried_is_one_line_and_the_next_day_is_named_plainly() -> None:
    text, blocks = standup.day_recap(DayRecap(1, MONDAY, (closed(1, "done"),)), date(2026, 3, 10))
    assert text == "Monday 9 March closed: 1 done (T-1)." and len(blocks) == 1
    once = DayRecap(1, MONDAY, (closed(1, "carry_forward", carried=1), closed(2, "carry_forward", carried=1)))
    assert standup.day_recap(once, date(2026, 3, 12))[0] == "Monday 9 March closed: 2 carried forward to Thursday (T-1, T-2)."
    assert standup.day_recap(once, date(2026, 3, 23))[0].startswith("Monday 9 March closed: 2 carried forward to Monday 23 March (")
    assert "to your next day" in standup.day_recap(once, None)[0]


def test_reasons_never_ping_and_a_long_day_stays_inside_slacks_limits() -> None:
    long = "x" * 400
    tasks = [closed(n, "carry_forward", carried=n % 5, title=f"{long} {n}") for n in range(1, 61)]
    tasks += [closed(n, "dropped", reason=f"<!channel> {long}") for n in range(61, 81)]
    tasks += [closed(n, "done", title=long) for n in range(81, 200)]
    text, blocks = standup.day_recap(DayRecap(1, MONDAY, tuple(tasks)), date(2026, 3, 10))
    assert block_problems(blocks, MESSAGE_BLOCKS) == [] and len(text) <= SECTION_TEXT
    assert text.startswith("Monday 9 March closed: 119 done (T-81, T-82, ")
    assert "+111 more)" in text and "+52 more" in text and "<!channel>" not in text and "@\u200bchannel" in text
    listed = texts(blocks[1:])
    assert listed.count(":arrow_right_hook:") == standup.RECAP_LIST and "\u2026and 55 more" in listed
    assert ":warning: *carried 3\u00d7*" in listed  # carried three times or more stands out


def test_a_team_recap_counts_each_report_calls_out_long_carries_and_names_who_had_no_plan() -> None:
    diego, sam, priya, lee = person(1), person(2), person(3), person(4)
    text, blocks = standup.team_recap(MONDAY, [
        (diego, DayRecap(1, MONDAY, (closed(1, "done"), closed(2, "dropped", reason="cancelled")))),
        (sam, DayRecap(2, MONDAY, (closed(3, "carry_forward", carried=3, title="Fix the flaky deploy script"),
                                   closed(4, "carry_forward", carried=1)))),
    ], [priya], [lee])
    assert text == ("Team recap for Monday 9 March: 2 people closed their day (1 done, 2 carried forward, 1 dropped); "
                    "1 had no plan.")
    body = texts(blocks)
    assert "*Team recap \u00b7 Monday 9 March*" in body
    assert "\u2022 <@U0001>: 1 done \u00b7 1 dropped" in body and "\u2022 <@U0002>: 2 carried forward" in body
    assert "\u25e6 `T-3` Fix the flaky deploy script :warning: *carried 3\u00d7*" in body and "`T-4`" not in body
    assert body.count(":warning:") == 1  # once per line, not twice
    assert "No plan: <@U0003>" in body and ":palm_tree: Out: Person 4" in body
    assert block_problems(blocks, MESSAGE_BLOCKS) == []


def test_a_large_team_recap_fits_in_one_message() -> None:
    reports = [(person(n), DayRecap(n, MONDAY, tuple(closed(n * 100 + k, "carry_forward", carried=4, title="y" * 300, user=n)
                                                     for k in range(8)))) for n in range(1, 250)]
    text, blocks = standup.team_recap(MONDAY, reports, [person(n) for n in range(200, 300)], [])
    assert block_problems(blocks, MESSAGE_BLOCKS) == [] and len(blocks) <= MESSAGE_BLOCKS
    assert text.startswith("Team recap for Monday 9 March: 249 people closed their day (0 done, 1992 carried forward")
    body = texts(blocks)
    assert body.count("\u25e6 `T-") <= 249 * standup.RECAP_LIST and "\u2026and 3 more carried 3 or more times" in body
    assert body.splitlines()[-1].startswith("\u2026and ") and body.splitlines()[-1].endswith(" more lines")
