"""Words of issue 14's recognition: the time help took (`/helped @priya debugged the staging deploy 45m`), thanks to a
teammate in a standup reply ("thanks @sam for …"), and such thanks never becoming a task."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InvalidInput
from bot.parsing.durations import MAX_MINUTES, split_duration
from bot.parsing.standup_reply import split_reply
from bot.parsing.thanks import Thanks, find_thanks


@pytest.mark.parametrize(("text", "what", "minutes"), [
    ("debugged the staging deploy 45m", "debugged the staging deploy", 45),
    ("paired on the migration 1h", "paired on the migration", 60),
    ("paired on the migration 1h30", "paired on the migration", 90),
    ("paired on the migration 1h 30m", "paired on the migration", 90),
    ("reviewed the API docs 90 min", "reviewed the API docs", 90),
    ("reviewed the API docs for 90 minutes", "reviewed the API docs", 90),
    ("reviewed the API docs [30m]", "reviewed the API docs", 30),
    ("reviewed the API docs (2 hrs)", "reviewed the API docs", 120),
    ("walked them through the build 1.5h", "walked them through the build", 90),
    ("walked them through the build an hour and a half", "walked them through the build", 90),
    ("walked them through the build 1 hour and 15 minutes.", "walked them through the build", 75),
    ("fixed 2 bugs", "fixed 2 bugs", None),
    ("set up the staging server", "set up the staging server", None),
    ("moved the meeting to 3:30", "moved the meeting to 3:30", None),
])
def test_the_time_help_took(text: str, what: str, minutes: int | None) -> None:
    split = split_duration(text)
    assert (split.what, split.minutes) == (what, minutes)


@pytest.mark.parametrize(("text", "said"), [
    ("debugged the staging deploy 45x", "I couldn't read `45x` as time spent"),
    ("debugged the staging deploy 1h99", "I couldn't read `1h99` as time spent"),
    ("debugged the staging deploy 3 days", "I couldn't read `3 days` as time spent"),
    ("debugged the staging deploy 45", "I couldn't read `45` as time spent"),
    ("debugged the staging deploy 0m", "is no time at all"),
    (f"debugged the staging deploy {MAX_MINUTES + 1}m", "more than 12 hours at once"),
])
def test_an_unreadable_time_is_answered_specifically(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        split_duration(text)
    assert said in refused.value.user_message
    assert "`45m`, `1h`, `1h30` or `90 min`" in refused.value.user_message or "12 hours" in refused.value.user_message


def test_thanks_for_something_names_the_person_and_what() -> None:
    text = ("Today: ship the pricing page. Thanks <@U0SAM> for reviewing the migration 45m and thanks <@U0DIEGO|diego> "
            "for the late pairing session! Shout-out to <@U0LEE> for fixing CI. Thanks <@U0MAYA>!")
    assert find_thanks(text, author="U0PRIYA", bot_user_id="U0BOT") == [
        Thanks("U0SAM", "reviewing the migration", 45), Thanks("U0DIEGO", "the late pairing session", None),
        Thanks("U0LEE", "fixing CI", None)]


def test_thanks_to_oneself_or_steward_or_twice_is_found_once_or_not_at_all() -> None:
    text = "thanks <@U0PRIYA> for me, thanks <@U0BOT> for the nudge, thanks <@U0SAM> for a. Thanks <@U0SAM> for b"
    assert find_thanks(text, author="U0PRIYA", bot_user_id="U0BOT") == [Thanks("U0SAM", "a", None)]


def test_a_thanks_sentence_is_not_a_task() -> None:
    parts = split_reply("Today: ship the pricing page. Thanks <@U0SAM> for reviewing the migration. "
                        "Thank you to <@U0DIEGO|diego>!", now=datetime(2026, 3, 2, 15, tzinfo=UTC), tz="UTC")
    assert parts.task_lines == ["ship the pricing page."]
