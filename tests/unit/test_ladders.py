"""The ladder grammar (bot/parsing/ladders.py) and when rungs are due (bot/services/ladders.py), pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import InvalidInput
from bot.parsing.ladders import Ladder, Rung, ladder_from_json, parse_ladder
from bot.services import calendar, ladders
from bot.services.calendar import Absence, Person, Rhythm


def test_the_issues_ladder_reads_and_round_trips() -> None:
    ladder = parse_ladder("4h owner, 1d manager, 2d channel, 3d flag")
    assert ladder.rungs == (Rung(4, "h", "owner"), Rung(1, "d", "manager"), Rung(2, "d", "channel"), Rung(3, "d", "flag"))
    assert ladder.words == "4h owner, 1d manager, 2d channel, 3d flag"
    assert parse_ladder(ladder.words) == ladder
    assert ladder_from_json(ladder.to_json()) == ladder


def test_other_ways_of_writing_a_ladder() -> None:
    assert parse_ladder("due owner; 1 day dm manager then 3 working days project channel").words == \
        "0h owner, 1d manager, 3d channel"
    assert parse_ladder("2 hours ask owner, 1 day dm manager, 1.5d raise flag").words == "2h owner, 1d manager, 1.5d flag"


def test_the_first_schemas_stored_form_is_still_read() -> None:
    legacy = [{"after_hours": 4, "working_hours": True, "action": "ask_owner"}, {"after_hours": 24, "action": "dm_manager"},
              {"after_hours": 48, "action": "post_project_channel"}, {"after_hours": 72, "action": "raise_flag"}]
    assert ladder_from_json(legacy) == ladders.DEFAULT_BLOCKER
    assert ladder_from_json(None) is None


@pytest.mark.parametrize(("words", "says"), [
    ("4h owner, 1d boss, 2d channel", "Rung 2 (`1d boss`) doesn't say what to do"),
    ("4h owner, soon manager", "Rung 2 (`soon manager`) doesn't start with a wait"),
    ("1d manager, 4h owner", "Rung 2 (`4h owner`) comes after rung 1 (`1d manager`) but doesn't wait longer"),
    ("4h owner, 4h manager", "Rung 2 (`4h manager`) comes after rung 1 (`4h owner`)"),
    ("", "Give the ladder as rungs separated by commas"),
    ("40d flag", "Rung 1 (`40d flag`) waits too long"),
    (", ".join(f"{i}h owner" for i in range(1, 10)), "at most 8 rungs"),
])
def test_a_ladder_that_does_not_parse_names_the_bad_rung(words: str, says: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_ladder(words)
    assert says in str(error.value)


@pytest.mark.parametrize(("words", "kind", "says"), [
    # A missing comma is named as such, with the ladder as it would read.
    ("4h owner 1d manager", "blocker", "Rung 1 (`4h owner 1d manager`) looks like two rungs with no comma between "
                                       "them: `4h owner, 1d manager`"),
    ("4h owner, 1d manager 2d channel, 3d flag", "blocker", "Rung 2 (`1d manager 2d channel`) looks like two rungs"),
    ("due owner 1d manager", "overdue", "`due owner, 1d manager`"),
    # The out-of-order answer's example is a ladder of the same kind.
    ("0h owner, 2h manager, 1h channel", "overdue", "waits must grow: `0h owner, 1d manager, 3d channel`"),
    ("2d channel, 1d manager", "blocker", "waits must grow: `4h owner, 1d manager, 2d channel, 3d flag`"),
    # A step twice, or a flag to the manager's manager before the manager heard: refused, naming the rung.
    ("4h owner, 1d owner, 2d owner", "blocker", "Rung 2 (`1d owner`) repeats rung 1's step (`owner`)"),
    ("0h owner, 1d manager, 2d channel, 3d manager", "overdue", "Rung 4 (`3d manager`) repeats rung 2's step"),
    ("0h owner, 1d flag, 2d manager", "overdue", "Rung 2 (`1d flag`) raises a flag to the manager's manager before "
                                                 "the manager has heard"),
    ("4h owner, 2d flag", "blocker", "Rung 2 (`2d flag`) raises a flag to the manager's manager before the manager"),
])
def test_a_ladder_that_reads_wrong_is_refused_with_its_rung_named(words: str, kind: str, says: str) -> None:
    """Tester 13, finding 22."""
    with pytest.raises(InvalidInput) as error:
        parse_ladder(words, kind=kind)  # type: ignore[arg-type]
    assert says in str(error.value), str(error.value)


NEW_YORK = Rhythm(timezone="America/New_York", morning_time=datetime(2000, 1, 1, 9, 0).time(),
                  end_of_day_time=datetime(2000, 1, 1, 17, 30).time())


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=calendar.zone("America/New_York")).astimezone(UTC)


def test_waits_run_in_working_time_across_a_weekend_a_holiday_and_leave() -> None:
    friday_4pm = ny(2026, 3, 6, 16, 0)
    person = Person(timezone="America/New_York")
    # 4 working hours from Friday 16:00: 1.5 h on Friday, 2.5 h on Monday from 09:00.
    assert calendar.after_working_time(NEW_YORK, person, friday_4pm, timedelta(hours=4)) == ny(2026, 3, 9, 11, 30)
    # A holiday on Monday moves it to Tuesday; leave on Tuesday to Wednesday.
    holiday = Rhythm(**{**NEW_YORK.__dict__, "holidays": frozenset({date(2026, 3, 9)})})
    assert calendar.after_working_time(holiday, person, friday_4pm, timedelta(hours=4)) == ny(2026, 3, 10, 11, 30)
    away = Person(timezone="America/New_York", absences=(Absence(date(2026, 3, 10), date(2026, 3, 10)),))
    assert calendar.after_working_time(holiday, away, friday_4pm, timedelta(hours=4)) == ny(2026, 3, 11, 11, 30)
    # The inverse of working_time.
    due = calendar.after_working_time(holiday, away, friday_4pm, timedelta(hours=13))
    assert due is not None and calendar.working_time(holiday, away, friday_4pm, due) == timedelta(hours=13)


def test_next_due_counts_every_rung_from_the_anchor() -> None:
    ladder = ladders.DEFAULT_BLOCKER
    person = Person(timezone="America/New_York")
    raised = ny(2026, 3, 9, 10, 0)  # Monday 10:00; a working day is 8.5 h (09:00-17:30)
    assert ladders.next_due(ladder, NEW_YORK, person, level=0, anchor_at=raised) == ny(2026, 3, 9, 14, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=1, anchor_at=raised) == ny(2026, 3, 10, 10, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=3, anchor_at=raised) == ny(2026, 3, 12, 10, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=4, anchor_at=raised) is None
    # "Still blocked" after the owner's rung at Monday 15:00: the wait from rung 1 to rung 2 starts over.
    again = ny(2026, 3, 9, 15, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=1, anchor_at=again, anchor_level=1) == \
        calendar.after_working_time(NEW_YORK, person, again, timedelta(hours=8.5 - 4))
    # A hold keeps the next rung back.
    held = ny(2026, 3, 13, 12, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=2, anchor_at=raised, held_until=held) == held


def test_after_a_rung_that_waited_the_next_keeps_its_spacing_from_when_it_fired() -> None:
    ladder = ladders.DEFAULT_BLOCKER
    person = Person(timezone="America/New_York")
    raised = ny(2026, 3, 9, 10, 0)  # the manager's rung due Tuesday 10:00, the channel's Wednesday 10:00
    # The manager's rung waited for its recipient until Thursday 04:05: the channel's comes a working day after.
    late = ny(2026, 3, 12, 4, 5)
    assert ladders.next_due(ladder, NEW_YORK, person, level=2, anchor_at=raised, last_at=late) == ny(2026, 3, 12, 17, 30)
    # Fired on time, the walk's own times stand (a held ladder's too); a rung after "Still blocked" counts from it.
    assert ladders.next_due(ladder, NEW_YORK, person, level=2, anchor_at=raised,
                            last_at=ny(2026, 3, 10, 10, 0)) == ny(2026, 3, 11, 10, 0)
    held = ny(2026, 3, 10, 15, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=3, anchor_at=raised, held_until=held,
                            last_at=held) == ny(2026, 3, 12, 10, 0)
    assert ladders.next_due(ladder, NEW_YORK, person, level=2, anchor_at=late, anchor_level=2,
                            last_at=ny(2026, 3, 11, 10, 0)) == ny(2026, 3, 12, 17, 30)


def test_working_from_is_the_next_instant_the_team_is_at_work() -> None:
    holiday = Rhythm(**{**NEW_YORK.__dict__, "holidays": frozenset({date(2026, 3, 9)})})
    team = Person(timezone="America/New_York")
    assert calendar.working_from(holiday, team, ny(2026, 3, 6, 3, 6)) == ny(2026, 3, 6, 9, 0)  # before the morning
    assert calendar.working_from(holiday, team, ny(2026, 3, 6, 11, 0)) == ny(2026, 3, 6, 11, 0)
    assert calendar.working_from(holiday, team, ny(2026, 3, 6, 17, 30)) == ny(2026, 3, 6, 17, 30)  # its end is its own
    assert calendar.working_from(holiday, team, ny(2026, 3, 6, 18, 0)) == ny(2026, 3, 10, 9, 0)  # weekend, holiday
    off = Person(timezone="America/New_York", absences=(Absence(date(2026, 3, 10), date(2026, 3, 10)),))
    assert calendar.working_from(holiday, off, ny(2026, 3, 6, 18, 0)) == ny(2026, 3, 11, 9, 0)


def test_a_custom_ladder_is_a_ladder() -> None:
    assert isinstance(parse_ladder("0h owner, 1d manager, 3d channel"), Ladder)
    assert ladders.DEFAULT_OVERDUE.words == "0h owner, 1d manager, 3d channel"
