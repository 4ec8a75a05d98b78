"""The daily rhythm's pure rules: workdays, DST, windows, personal days (the people calendar), close, replies,
settings words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from bot.errors import InvalidInput
from bot.parsing import standup_reply
from bot.services import calendar as cal
from bot.services import rhythm as rules
from bot.services import standup_settings
from bot.services.rhythm import Rhythm

NY = Rhythm(timezone="America/New_York", morning_time=time(9, 0), end_of_day_time=time(17, 30), nudge_delay_minutes=60,
            manager_summary_delay_minutes=120, holidays=frozenset({date(2026, 3, 10)}))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- wall time to instants, across DST

def test_morning_follows_the_wall_clock_across_the_spring_change() -> None:
    assert cal.morning_at(date(2026, 3, 6), NY) == utc(2026, 3, 6, 14, 0)  # EST, UTC-5
    assert cal.morning_at(date(2026, 3, 9), NY) == utc(2026, 3, 9, 13, 0)  # EDT, UTC-4


def test_morning_follows_the_wall_clock_across_the_autumn_change() -> None:
    assert cal.morning_at(date(2026, 10, 30), NY) == utc(2026, 10, 30, 13, 0)
    assert cal.morning_at(date(2026, 11, 2), NY) == utc(2026, 11, 2, 14, 0)
    london = Rhythm(timezone="Europe/London", morning_time=time(9, 0))
    assert cal.morning_at(date(2026, 3, 27), london) == utc(2026, 3, 27, 9, 0)
    assert cal.morning_at(date(2026, 3, 30), london) == utc(2026, 3, 30, 8, 0)


def test_a_wall_time_in_the_spring_gap_moves_forward_and_a_repeated_one_is_the_first() -> None:
    assert cal.at_local(date(2026, 3, 8), time(2, 30), "America/New_York") == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert cal.at_local(date(2026, 11, 1), time(1, 30), "America/New_York") == utc(2026, 11, 1, 5, 30)  # first 01:30 (EDT)


def test_local_days_are_23_and_25_hours_long_on_change_days() -> None:
    spring = cal.end_of_local_day(date(2026, 3, 8), "America/New_York") - cal.at_local(date(2026, 3, 8), time(0), "America/New_York")
    autumn = cal.end_of_local_day(date(2026, 11, 1), "America/New_York") - cal.at_local(date(2026, 11, 1), time(0), "America/New_York")
    assert spring == timedelta(hours=23) and autumn == timedelta(hours=25)


# ---------------------------------------------------------------- when the thread is due

@pytest.mark.parametrize(("now", "expected"), [
    (utc(2026, 3, 6, 13, 59), None),  # Friday 08:59 EST
    (utc(2026, 3, 6, 14, 0), date(2026, 3, 6)),  # Friday 09:00 EST
    (utc(2026, 3, 6, 19, 0), date(2026, 3, 6)),  # a restart at 14:00 still posts
    (utc(2026, 3, 6, 22, 30), None),  # 17:30: the day is over
    (utc(2026, 3, 7, 14, 0), None),  # Saturday
    (utc(2026, 3, 8, 14, 0), None),  # Sunday
    (utc(2026, 3, 9, 12, 59), None),  # Monday 08:59 EDT
    (utc(2026, 3, 9, 13, 0), date(2026, 3, 9)),  # Monday 09:00 EDT (13:00 UTC after the change)
    (utc(2026, 3, 10, 13, 30), None),  # a holiday
])
def test_thread_due(now: datetime, expected: date | None) -> None:
    assert cal.thread_due(now, NY) == expected


def test_next_thread_skips_weekends_and_holidays() -> None:
    assert cal.next_thread_at(utc(2026, 3, 6, 23, 0), NY) == utc(2026, 3, 9, 13, 0)
    assert cal.next_thread_at(utc(2026, 3, 9, 23, 0), NY) == utc(2026, 3, 11, 13, 0)  # Tuesday is a holiday
    assert cal.next_thread_at(utc(2026, 3, 9, 12, 0), NY) == utc(2026, 3, 9, 13, 0)


def test_custom_workdays() -> None:
    sun_thu = Rhythm(timezone="Asia/Dubai", workdays=frozenset({7, 1, 2, 3, 4}))
    assert cal.is_workday(date(2026, 3, 8), sun_thu)  # Sunday
    assert not cal.is_workday(date(2026, 3, 6), sun_thu)  # Friday


# ---------------------------------------------------------------- personal days

def test_org_clock_personal_day() -> None:
    posted = utc(2026, 3, 6, 14, 0, 5)
    day = cal.personal_day(date(2026, 3, 6), posted, NY, "Asia/Kolkata")
    assert day.day == date(2026, 3, 6) and day.tz == "America/New_York"
    assert day.nudge_at == posted + timedelta(minutes=60)
    assert day.summary_at == posted + timedelta(minutes=120)
    assert day.checkin_at == utc(2026, 3, 6, 22, 30)
    assert day.close_at == utc(2026, 3, 7, 5, 0)  # midnight EST
    assert day.is_late(utc(2026, 3, 6, 15, 30)) and not day.is_late(utc(2026, 3, 6, 14, 30))
    # On the team's clock, 10:00 in New York is 20:30 in Kolkata: her quiet hours, then her weekend, then
    # past the check-in: no nudge. A New Yorker is nudged at 10:00:05.
    assert cal.nudge_time(NY, cal.Person("Asia/Kolkata"), day) is None
    new_yorker = cal.day_for(NY, cal.Person("America/New_York"), date(2026, 3, 6), posted)
    assert cal.nudge_time(NY, cal.Person("America/New_York"), new_yorker) == utc(2026, 3, 6, 15, 0, 5)


def test_member_local_time_personal_days() -> None:
    local = Rhythm(timezone="America/New_York", morning_time=time(9, 0), end_of_day_time=time(17, 30), use_member_local_time=True)
    posted = utc(2026, 3, 9, 13, 0)  # 09:00 EDT, 13:00 London, 18:30 Kolkata, 06:00 Los Angeles
    london = cal.personal_day(date(2026, 3, 9), posted, local, "Europe/London")
    assert london.day == date(2026, 3, 9) and london.nudge_at == posted + timedelta(hours=1)
    assert london.checkin_at == utc(2026, 3, 9, 17, 30) and london.close_at == utc(2026, 3, 10, 0, 0)
    la = cal.personal_day(date(2026, 3, 9), posted, local, "America/Los_Angeles")
    assert la.nudge_at == utc(2026, 3, 9, 17, 0)  # their 09:00 (PDT) + 1 h
    kolkata = cal.personal_day(date(2026, 3, 9), posted, local, "Asia/Kolkata")
    assert kolkata.day == date(2026, 3, 10)  # posted after their end of day: they work on it next morning
    assert kolkata.nudge_at == utc(2026, 3, 10, 4, 30)  # 09:00 IST + 1 h
    assert kolkata.close_at == utc(2026, 3, 10, 18, 30)  # their midnight


def test_mood_due_window() -> None:
    on = Rhythm(timezone="America/New_York", mood_checkin_enabled=True, mood_checkin_time=time(16, 30))
    someone = cal.Person("America/New_York")
    assert cal.mood_day(on, someone, utc(2026, 3, 6, 21, 29)) is None
    assert cal.mood_day(on, someone, utc(2026, 3, 6, 21, 30)) == date(2026, 3, 6)
    assert cal.mood_day(on, someone, utc(2026, 3, 7, 21, 30)) is None  # Saturday
    assert cal.mood_day(Rhythm(timezone="America/New_York"), someone, utc(2026, 3, 6, 21, 30)) is None  # off


# ---------------------------------------------------------------- the close, mood rules

@pytest.mark.parametrize(("status", "answer", "expected"), [
    ("done", None, "done"), ("pending", "done", "done"), ("dropped", None, "dropped"), ("pending", "dropped", "dropped"),
    ("pending", None, "carry_forward"), ("in_progress", None, "carry_forward"), ("blocked", None, "carry_forward"),
])
def test_close_status(status: str, answer: str | None, expected: str) -> None:
    assert rules.close_status(status, answer) == expected


def test_low_mood_streak_counts_consecutive_checkins() -> None:
    d = date(2026, 3, 9)
    assert rules.low_mood_streak([(d, 2), (d - timedelta(1), 1), (d - timedelta(4), 2)]) == [d - timedelta(4), d - timedelta(1), d]
    assert rules.low_mood_streak([(d, 2), (d - timedelta(1), 3), (d - timedelta(2), 1)]) is None
    assert rules.low_mood_streak([(d, 1), (d - timedelta(1), 2)]) is None


def test_describe_days() -> None:
    assert rules.describe_days([1, 2, 3, 4, 5]) == "Mon\u2013Fri"
    assert rules.describe_days([1, 3, 5]) == "Mon, Wed, Fri"
    assert rules.describe_days([1, 2, 3, 4, 5, 6, 7]) == "every day"


# ---------------------------------------------------------------- replies

NOW = utc(2026, 3, 6, 14, 5)


def test_split_reply_sections_refs_blockers_and_absence() -> None:
    parts = standup_reply.split_reply(
        "Morning all!\nYesterday: finished T-7\nToday: finish T-1 and write the Acme blog post. Blocked on legal review for T-2\n"
        "I'm out Monday to Wednesday", now=NOW, tz="America/New_York")
    assert parts.done_refs == [7]
    assert parts.plan_refs == [1]
    assert parts.task_lines == ["write the Acme blog post."] or parts.task_lines == ["write the Acme blog post"]
    assert parts.blockers == [("Blocked on legal review for T-2", 2)]
    assert parts.ooo == ["I'm out Monday to Wednesday"]


def test_split_reply_sections_on_one_line() -> None:
    parts = standup_reply.split_reply(
        "Yesterday: wireframes review. Today: renew the Acme SSO certificate and write the deploy checklist. "
        "Blocked on the metadata from Acme IT", now=NOW, tz="UTC")
    assert parts.task_lines == ["renew the Acme SSO certificate and write the deploy checklist."]
    assert parts.blockers == [("Blocked on the metadata from Acme IT", None)]
    assert parts.done_refs == [] and parts.plan_refs == []


def test_no_blockers_is_neither_a_blocker_nor_a_task() -> None:
    parts = standup_reply.split_reply("Today I'll finish T-3 and review Sam's PR. No blockers", now=NOW, tz="UTC")
    assert parts.plan_refs == [3] and parts.blockers == []
    assert all("blocker" not in line.lower() for line in parts.task_lines)


def test_split_reply_done_words_and_no_blockers() -> None:
    parts = standup_reply.split_reply("T-3 is done, T-4 next\n\u2705 T-5\nBlockers: none\nwaiting for the client on the logo",
                                now=NOW, tz="UTC")
    assert parts.done_refs == [3, 5] and parts.plan_refs == [4]
    assert parts.blockers == [("waiting for the client on the logo", None)]
    assert parts.task_lines == []


def test_split_reply_will_be_done_is_a_plan() -> None:
    parts = standup_reply.split_reply("T-9 will be done by noon", now=NOW, tz="UTC")
    assert parts.plan_refs == [9] and parts.done_refs == []


def test_title_matching() -> None:
    tasks = [SimpleNamespace(title="Fix the login bug"), SimpleNamespace(title="Write the Acme blog post")]
    assert standup_reply.best_match("fix login bug", tasks) is tasks[0]
    assert standup_reply.best_match("continue the Acme blog post", tasks) is tasks[1]
    assert standup_reply.best_match("deploy staging", tasks) is None


# ---------------------------------------------------------------- settings words

def test_settings_words() -> None:
    changes = standup_settings.parse_settings_words(
        "channel <#C0STANDUP|standup> time 09:00 timezone America/New_York days mon-fri nudge 1h summary 90 eod 5:30pm "
        "mood 16:00 local on", Rhythm())
    assert changes == {"standup_channel_id": "C0STANDUP", "morning_time": time(9, 0), "timezone": "America/New_York",
                       "workdays": [1, 2, 3, 4, 5], "nudge_delay_minutes": 60, "manager_summary_delay_minutes": 90,
                       "end_of_day_time": time(17, 30), "mood_checkin_time": time(16, 0), "mood_checkin_enabled": True,
                       "use_member_local_time": True}


def test_settings_words_days_and_holidays() -> None:
    assert standup_settings.parse_days("sun-thu") == [1, 2, 3, 4, 7]
    assert standup_settings.parse_days("mon, wed, fri") == [1, 3, 5]
    current = Rhythm(holidays=frozenset({date(2026, 12, 25)}))
    assert standup_settings.parse_settings_words("holiday add 2026-12-26", current) == {"holidays": [date(2026, 12, 25), date(2026, 12, 26)]}
    assert standup_settings.parse_settings_words("holiday remove 2026-12-25", current) == {"holidays": []}
    assert standup_settings.parse_settings_words("holidays none", current) == {"holidays": []}


@pytest.mark.parametrize("words", ["timezone Mars/Olympus", "time 25:00", "days someday", "nudge soon", "colour blue",
                                   "channel standup", "time"])
def test_settings_words_refused_with_a_reason(words: str) -> None:
    with pytest.raises(InvalidInput):
        standup_settings.parse_settings_words(words, Rhythm())


def test_settings_cross_checks() -> None:
    with pytest.raises(InvalidInput, match="after the morning"):
        standup_settings.check_settings(standup_settings.merge(Rhythm(), {"end_of_day_time": time(8, 0)}))
    with pytest.raises(InvalidInput, match="after the"):
        standup_settings.check_settings(standup_settings.merge(Rhythm(), {"nudge_delay_minutes": 180}))
