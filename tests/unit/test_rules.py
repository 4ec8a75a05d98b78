"""Pure rules: no database, no Slack."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.inbox import event_key
from bot.services.notifications import quiet_until
from bot.services.reminders import describe, next_occurrence
from bot.services.tasks import clean_title, parse_display_id, slugify
from db.queries import parse_file

NY = ZoneInfo("America/New_York")


def test_next_occurrence_weekly_keeps_wall_clock_across_dst() -> None:
    # Friday 6 March 2026, 10:00 New York; DST starts Sunday 8 March.
    after = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    rec = {"kind": "weekly", "weekdays": [0], "hour": 9, "minute": 0}
    first = next_occurrence(rec, after, "America/New_York")
    assert first.astimezone(NY) == datetime(2026, 3, 9, 9, 0, tzinfo=NY)
    assert first.astimezone(UTC).hour == 13  # EDT: UTC-4 (it was UTC-5 the week before)
    second = next_occurrence(rec, first, "America/New_York")
    assert second.astimezone(NY) == datetime(2026, 3, 16, 9, 0, tzinfo=NY)


@pytest.mark.parametrize(("rec", "after", "expected"), [
    ({"kind": "daily", "hour": 8, "minute": 30}, datetime(2026, 3, 4, 8, 29, tzinfo=NY), datetime(2026, 3, 4, 8, 30, tzinfo=NY)),
    ({"kind": "daily", "hour": 8, "minute": 30}, datetime(2026, 3, 4, 8, 30, tzinfo=NY), datetime(2026, 3, 5, 8, 30, tzinfo=NY)),
    ({"kind": "weekly", "weekdays": [0, 1, 2, 3, 4], "hour": 17, "minute": 0}, datetime(2026, 3, 6, 18, 0, tzinfo=NY),
     datetime(2026, 3, 9, 17, 0, tzinfo=NY)),  # Friday evening -> Monday
    ({"kind": "monthly", "day": 31, "hour": 9, "minute": 0}, datetime(2026, 2, 1, 0, 0, tzinfo=NY),
     datetime(2026, 2, 28, 9, 0, tzinfo=NY)),  # clamped to the month's last day
    ({"kind": "daily", "interval": 2, "hour": 9, "minute": 0}, datetime(2026, 3, 4, 10, 0, tzinfo=NY),
     datetime(2026, 3, 6, 9, 0, tzinfo=NY)),
])
def test_next_occurrence(rec: dict, after: datetime, expected: datetime) -> None:  # type: ignore[type-arg]
    assert next_occurrence(rec, after, "America/New_York") == expected


def test_describe_recurrence() -> None:
    assert describe({"kind": "weekly", "weekdays": [0], "hour": 9, "minute": 0}) == "every Mon at 09:00"
    assert describe({"kind": "weekly", "weekdays": [0, 1, 2, 3, 4], "hour": 17, "minute": 0}) == "every weekday at 17:00"
    assert describe(None) == "once"


def test_quiet_hours_end_at_local_morning_across_dst() -> None:
    # 23:00 New York on Saturday 7 March (EST); quiet hours end 08:00 Sunday, which is EDT.
    now = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)
    assert quiet_until(now, "America/New_York") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 8, 14, 0, tzinfo=UTC), "America/New_York") is None  # 10:00 EDT
    # An unknown zone falls back to UTC rather than failing the notification.
    assert quiet_until(datetime(2026, 3, 8, 23, 0, tzinfo=UTC), "Not/AZone") == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_event_key_is_stable_across_redeliveries() -> None:
    event = {"type": "event_callback", "event_id": "Ev123", "event": {"text": "hi"}}
    assert event_key("events_api", event, "env-1") == event_key("events_api", event, "env-2") == "ev:Ev123"
    cmd = {"command": "/task", "trigger_id": "1.2.3"}
    assert event_key("slash_commands", cmd) == event_key("slash_commands", dict(cmd))
    a = event_key("interactive", {"trigger_id": "9", "actions": [{"action_ts": "1.1"}]})
    b = event_key("interactive", {"trigger_id": "9", "actions": [{"action_ts": "1.2"}]})
    assert a != b
    assert event_key("other", {"x": 1, "y": 2}) == event_key("other", {"y": 2, "x": 1})


@pytest.mark.parametrize(("text", "number"), [("T-12", 12), ("t12", 12), (" 7 ", 7), ("T-1", 1)])
def test_display_ids(text: str, number: int) -> None:
    assert parse_display_id(text) == number


@pytest.mark.parametrize("text", ["", "banana", "T-", "T-12x", "12 13"])
def test_bad_display_ids_are_polite(text: str) -> None:
    with pytest.raises(InvalidInput, match="Task ids look like `T-12`"):
        parse_display_id(text)


def test_titles_and_slugs() -> None:
    assert clean_title("  fix   the\nbug ") == "fix the bug"
    assert len(clean_title("x" * 500)) == 200 and clean_title("x" * 500).endswith("\u2026")
    with pytest.raises(InvalidInput):
        clean_title("   ")
    assert slugify("In Progress!") == "in-progress"
    assert slugify("???") == "stage"


def test_query_file_parsing() -> None:
    text = "-- a comment\n-- name: first_one\nSELECT 1\n\n-- name: second\nSELECT %(x)s\n"
    assert parse_file(text) == {"first_one": "SELECT 1", "second": "SELECT %(x)s"}
    with pytest.raises(ValueError, match="defined twice"):
        parse_file("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")
    with pytest.raises(ValueError, match="empty"):
        parse_file("-- name: a\n\n-- name: b\nSELECT 2\n")


def test_every_named_query_loads() -> None:
    from db.queries import load

    queries = load()
    for name in ("inbox_store", "inbox_claim", "delivery_claim", "notification_insert", "delete_expired_drafts", "org_by_team"):
        assert name in queries


def test_reinforcement_ticks_after_each_cards_tick() -> None:
    """Issue 14: the job `reinforcement` runs after `cards`: each of its ticks CARDS_LEAD minutes after a cards tick,
    before the next one, as often."""
    from jobs.schedule import CARDS_LEAD, SCHEDULE

    def minutes(job: str) -> list[int]:
        kind, fields, _ = SCHEDULE[job]
        assert kind == "cron" and set(fields) == {"minute"}
        return sorted(int(m) for m in str(fields["minute"]).split(","))

    cards, reinforcement = minutes("cards"), minutes("reinforcement")
    assert len(cards) == len(reinforcement)
    for tick in reinforcement:
        assert (tick - CARDS_LEAD) % 60 in cards
        assert all((tick - c) % 60 >= CARDS_LEAD for c in cards)  # no cards tick in between
    assert "after each cards run" in SCHEDULE["reinforcement"][2]


def test_trigger_slots() -> None:
    from jobs.schedule import trigger_slot

    at = datetime(2026, 3, 4, 9, 0, 44, 500, tzinfo=UTC)
    assert trigger_slot("retention-daily", at) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert trigger_slot("reminders", at) == datetime(2026, 3, 4, 9, 0, 30, tzinfo=UTC)  # every 30 s
    assert trigger_slot("reminders", at.replace(second=29)) == datetime(2026, 3, 4, 9, 0, 0, tzinfo=UTC)
