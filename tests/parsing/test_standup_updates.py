"""What counts as the day's update, as pure rules (issue 10 part 5): a message outside the thread that
reads like an update, work reported done, and the sentences of a reply that complete tasks by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.parsing import standup_reply

NOW = datetime(2026, 3, 6, 14, 20, tzinfo=UTC)  # Friday 09:20 in New York
BOT = "UBOT"


@pytest.mark.parametrize("text", [
    "Today I'm reviewing the rate limiter PR and writing the release notes",
    "Yesterday: fixed the checkout bug. Today: deploy the staging build. No blockers.",
    "Today: deploy the staging build and write the release notes",
    "Working on the Acme homepage mockups",
    "I'm working on the onboarding docs",
    "still working on the SSO certificate",
    "This morning I'll pair with Sam on the checkout bug",
    "Plan for today: T-4 and the blog post",
    "Blockers: waiting on legal for the Acme contract",
    "I'll fix the login bug today",
    "I'm on T-12 today, then the release notes",
    "Focusing on the Q2 roadmap",
    "today: <@U0SAM> and I pair on the checkout bug",
])
def test_reads_like_an_update(text: str) -> None:
    assert standup_reply.reads_like_update(text, now=NOW, tz="America/New_York")


@pytest.mark.parametrize("text", [
    "I'll fix the login bug by Friday",  # a commitment with its own day: a task request
    "I need to send the Acme invoice next week",
    "What's on my plan today?",
    "Can you move T-3 to review today?",
    "is the standup today?",
    "I'm out today",  # an absence alone: the out-of-office route
    "Off today, dentist",
    "done with T-3",  # finished work alone: the offer to mark it done
    "Today I finished the login bug",
    "remind me to call the bank tomorrow",
    "hello",
    "thanks!",
    "",
])
def test_does_not_read_like_an_update(text: str) -> None:
    assert not standup_reply.reads_like_update(text, now=NOW, tz="America/New_York")


@pytest.mark.parametrize(("text", "refs", "what"), [
    ("done with T-3", (3,), None),
    ("T-3 is done", (3,), None),
    ("T-3 and T-4 are done", (3, 4), None),
    ("mark T-4 as done", (4,), None),
    ("finished T-7!", (7,), None),
    ("I finished the login bug", (), "the login bug"),
    ("I've just wrapped up the Acme report", (), "the Acme report"),
    ("Yesterday I fixed the checkout bug", (), "the checkout bug"),
    ("The login bug is fixed now", (), "The login bug"),
    ("I'm done with the onboarding docs", (), "the onboarding docs"),
    ("shipped the pricing page :rocket:", (), "the pricing page :rocket:"),
    ("sent the invoice to <@U0MAYA>", (), "the invoice to <@U0MAYA>"),
])
def test_work_reported_done(text: str, refs: tuple[int, ...], what: str | None) -> None:
    found, rest = standup_reply.completions(text)
    assert [(c.refs, c.what) for c in found] == [(refs, what)] and rest == []


@pytest.mark.parametrize("text", [
    "I'll be done with the report by Friday",
    "finish the report",
    "close the Acme deal",
    "I finished the login bug and I'll deploy it today",  # more than a report: read as a plan
    "Fixed it",
    "done",
    "Done for today",
])
def test_not_a_report_of_finished_work(text: str) -> None:
    assert standup_reply.completions(text)[0] == []


def test_a_report_and_a_plan_in_one_message() -> None:
    found, rest = standup_reply.completions("Done with T-3. I'll write the release notes by Friday")
    assert [c.refs for c in found] == [(3,)] and rest == ["I'll write the release notes by Friday"]


def test_a_reply_completes_work_by_name_and_plans_the_rest() -> None:
    parts = standup_reply.split_reply("Yesterday: fixed the checkout bug. Today: deploy the staging build. No blockers.",
                                      now=NOW, tz="America/New_York")
    assert parts.done_titles == [("the checkout bug", False)]
    assert parts.task_lines == ["deploy the staging build."] and parts.blockers == []
    parts = standup_reply.split_reply("I finished the login bug. Fix the signup form", now=NOW, tz="UTC")
    assert parts.done_titles == [("the login bug", True)] and parts.task_lines == ["Fix the signup form"]
    # What "Yesterday:" lists may be work in progress; what "Done:" lists is finished.
    parts = standup_reply.split_reply("Yesterday: the Acme homepage mockups\nToday: client calls", now=NOW, tz="UTC")
    assert parts.done_titles == [] and parts.task_lines == ["client calls"]
    parts = standup_reply.split_reply("Done: the Acme homepage mockups", now=NOW, tz="UTC")
    assert parts.done_titles == [("the Acme homepage mockups", False)]


@pytest.mark.parametrize(("text", "conversation"), [
    (f"<@{BOT}> what's the status with Acme?", True),
    (f"<@{BOT}> can you remind me what T-4 is?", True),
    (f"<@{BOT}> fix the login bug", False),
    (f"<@{BOT}> Today: deploy the staging build", False),
    ("<@U0MAYA> nice work!", True),
    ("<@U0PRIYA> and I will pair on the checkout bug", False),
])
def test_a_question_to_steward_in_the_thread_is_conversation(text: str, conversation: bool) -> None:
    assert standup_reply.is_conversation(text, BOT) is conversation


def test_a_blocker_is_stored_without_its_leading_blocked_on_words() -> None:
    from bot.parsing.standup_reply import blocker_words

    assert blocker_words("Blocked on the client logo files from Acme") == "the client logo files from Acme"
    assert blocker_words("I'm still blocked by legal review of <@U0SAM|sam>'s contract") == (
        "legal review of <@U0SAM|sam>'s contract")
    assert blocker_words("Stuck on: the VPN") == "the VPN"
    assert blocker_words("waiting for the client on the logo") == "waiting for the client on the logo"
    assert blocker_words("blocked on") == "blocked on"  # nothing else would be left
