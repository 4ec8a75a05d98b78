"""Words about tasks, read offline with a fixed clock: status lead-ins leave titles ("new:", "Working on",
"still on", "finishing" …, issue 10 part 6) without eating real titles, and `/task edit T-n <words>`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.parsing import parse_reminder, parse_tasks
from bot.parsing.standup_reply import split_reply
from bot.parsing.task_edit import EditWords, parse_edit_words

NY = "America/New_York"
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=ZoneInfo(NY))  # Wednesday


def titles(text: str) -> list[str]:
    return [t.title for t in parse_tasks(text, now=NOW, tz=NY, clients=["Acme Corp"])]


def standup_titles(text: str) -> list[str]:
    """As a standup thread reply is read: sorted into task lines, then parsed."""
    lines = split_reply(text, now=NOW, tz=NY).task_lines
    return [t.title for line in lines for t in parse_tasks(line, now=NOW, tz=NY)]


@pytest.mark.parametrize(("text", "title"), [
    # the examples
    ("new: renew the Acme SSO certificate", "renew the Acme SSO certificate"),
    ("Working on the Acme homepage mockups", "Acme homepage mockups"),
    # labels (a colon, or a dash with a space after it)
    ("New: fix the header", "fix the header"),
    ("todo: call the bank", "call the bank"),
    ("WIP - landing page", "landing page"),
    ("wip: landing page", "landing page"),
    ("In progress: Acme audit", "Acme audit"),
    ("Cont'd: the audit", "the audit"),
    ("carried over: SSO migration", "SSO migration"),
    ("Started: deploy script", "deploy script"),
    # how far along the work is
    ("Continuing the rate limiter PR", "rate limiter PR"),
    ("continuing with the API docs", "API docs"),
    ("still on the checkout bug", "checkout bug"),
    ("Still working on the Acme audit", "Acme audit"),
    ("I'm working on the Acme homepage", "Acme homepage"),
    ("I'm still working on the deck", "deck"),
    ("We're continuing with the migration", "migration"),
    ("finishing the release notes", "release notes"),
    ("Starting the migration", "migration"),
    ("Starting on the migration", "migration"),
    ("Focusing on the Q3 deck", "Q3 deck"),
    ("Picking up the SSO ticket", "SSO ticket"),
    ("Wrapping up the Q1 report", "Q1 report"),
    ("Carry on with the API docs", "API docs"),
    ("Keep working on the invoice export", "invoice export"),
    ("Resuming the Acme audit", "Acme audit"),
    ("Back on the pricing page", "pricing page"),
    ("Busy with the quarterly numbers", "quarterly numbers"),
    ("Tackling Acme's onboarding emails", "Acme's onboarding emails"),
    ("Finishing @U0PRIYA's review", "@U0PRIYA's review"),
    # ... while titles that only look like it keep their words
    ("Starting kit redesign", "Starting kit redesign"),
    ("Finishing touches on the deck", "Finishing touches on the deck"),
    ("Continuing education credits", "Continuing education credits"),
    ("New homepage design", "New homepage design"),
    ("new onboarding flow for Acme", "new onboarding flow for Acme"),
    ("to-do list cleanup", "to-do list cleanup"),
    ("New-York office move", "New-York office move"),
    ("note-taking app", "note-taking app"),
    ("continue the Acme audit", "continue the Acme audit"),
    ("I'll work on the Acme audit", "work on the Acme audit"),
    ("Working on it", "Working on it"),
])
def test_status_lead_ins_are_not_part_of_the_title(text: str, title: str) -> None:
    assert titles(text) == [title]
    assert standup_titles(text) == [title]


def test_lead_ins_in_a_whole_standup_reply() -> None:
    reply = "Today: working on the pricing page and new: renew the SSO cert\n- still on the checkout bug\n- Starting kit redesign"
    assert standup_titles(reply) == ["pricing page", "renew the SSO cert", "checkout bug", "Starting kit redesign"]
    [task] = parse_tasks("Working on the Acme homepage mockups by Friday", now=NOW, tz=NY, clients=["Acme Corp"])
    assert (task.title, task.due_date, task.client) == ("Acme homepage mockups", date(2026, 3, 6), "Acme Corp")


def test_reminders_keep_their_verbs() -> None:
    reminder = parse_reminder("remind me to start the migration at 3pm", now=NOW, tz=NY)
    assert reminder is not None and reminder.what == "start the migration"


# ---------------------------------------------------------------- /task edit T-n <words>

def edit(text: str, *, tz: str = NY, order: str = "MDY") -> EditWords:
    return parse_edit_words(text, display_id="T-1", now=NOW, tz=tz, date_order=order)  # type: ignore[arg-type]


def test_edit_words_due_dates_in_the_persons_zone_and_order() -> None:
    assert edit("due monday") == EditWords(due_given=True, due_date=date(2026, 3, 9))
    assert edit("due: Monday").due_date == date(2026, 3, 9)
    assert edit("due date by Friday").due_date == date(2026, 3, 6)
    assert edit("deadline on the 20th").due_date == date(2026, 3, 20)
    assert edit("due 3/4").due_date == date(2026, 3, 4)
    assert edit("due 3/4", order="DMY").due_date == date(2026, 4, 3)
    assert edit("due 29/11").due_date == date(2026, 11, 29)  # valid only day-first
    # "tomorrow" is the person's: 10:30 in New York is already Thursday 00:30 in Tokyo.
    assert edit("due tomorrow").due_date == date(2026, 3, 5)
    assert edit("due tomorrow", tz="Asia/Tokyo").due_date == date(2026, 3, 6)
    with_time = edit("due Friday at 5pm")
    assert (with_time.due_date, with_time.due_at) == (date(2026, 3, 6), datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo(NY)))
    assert edit("due in 2 hours").due_at == datetime(2026, 3, 4, 12, 30, tzinfo=ZoneInfo(NY))
    for cleared in ("no due date", "No due", "due none", "no deadline", "undated", "due: -"):
        assert edit(cleared) == EditWords(due_given=True), cleared


def test_edit_words_title_size_client_and_several_at_once() -> None:
    assert edit("title Write the launch post") == EditWords(title="Write the launch post")
    assert edit("rename to Ship it with <@U0PRIYA|priya>").title == "Ship it with <@U0PRIYA|priya>"
    assert edit("size XL").size == "xl"
    assert edit("size medium").size == "m"
    assert edit("size extra small").size == "xs"
    assert edit("client Acme") == EditWords(client_given=True, client="Acme")
    assert edit("client <#C0ACME|client-acme>").client == "<#C0ACME|client-acme>"
    assert edit("no client") == EditWords(client_given=True, client=None)
    assert edit("client none") == EditWords(client_given=True, client=None)
    both = edit("due friday size s client Acme Corp title Fix the due date bug")
    assert both == EditWords(title="Fix the due date bug", due_given=True, due_date=date(2026, 3, 6), client_given=True,
                             client="Acme Corp", size="s")


@pytest.mark.parametrize(("text", "said"), [
    ("banana", "I don't know how to change `banana` on T-1"),
    ("tomorrow", "say `/task edit T-1 due tomorrow`"),
    ("make it bigger size l", "I don't know how to change `make it bigger` on T-1"),
    ("due", "Due when?"),
    ("due someday soon", "I couldn't read `someday soon` as a date"),
    ("due friday pizza", "I couldn't read `pizza` as a date"),
    ("size huge-ish", "`huge-ish` isn't a size"),
    ("size", "`(nothing)` isn't a size"),
    ("title", "What should the title be?"),
    ("client", "Which client?"),
    ("due monday due friday", "You said `due` twice"),
    ("no due date please", "I don't know what `please` means after `no due date`"),
])
def test_edit_words_that_are_not_a_change_get_a_specific_answer(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        edit(text)
    assert said in str(refused.value)
