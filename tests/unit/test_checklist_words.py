"""The `/steward checklist add` grammar and checklist schedules (bot/services/checklists.py,
bot/services/checklist_schedule.py): many phrasings read the same way, and every failure names the part that is
wrong. Pure: no database, no Slack."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import checklists as render
from bot.errors import InvalidInput
from bot.services import checklist_schedule as sched
from bot.services.checklist_schedule import Schedule, parse_schedule
from bot.services.checklists import MAX_ITEMS, Checklist, Completion, parse_checklist_add
from bot.slack_limits import CHECKBOX_OPTIONS, MESSAGE_BLOCKS, OPTION_TEXT

FRI = date(2026, 3, 6)


@pytest.mark.parametrize(("words", "freq", "weekdays", "nth", "at"), [
    ("every friday 16:00", "weekly", (4,), None, time(16, 0)),
    ("Every Friday at 16:00", "weekly", (4,), None, time(16, 0)),
    ("fridays 4pm", "weekly", (4,), None, time(16, 0)),
    ("every fri 4:30 pm", "weekly", (4,), None, time(16, 30)),
    ("every monday and thursday 10:00", "weekly", (0, 3), None, time(10, 0)),
    ("every mon, wed, fri at 9:30", "weekly", (0, 2, 4), None, time(9, 30)),
    ("every tues & thurs 11h", "weekly", (1, 3), None, time(11, 0)),
    ("weekdays 09:30", "weekly", (0, 1, 2, 3, 4), None, time(9, 30)),
    ("every weekday 9.30", "weekly", (0, 1, 2, 3, 4), None, time(9, 30)),
    ("daily 17:00", "daily", (), None, time(17, 0)),
    ("every day at noon", "daily", (), None, time(12, 0)),
    ("first monday of the month 10:00", "monthly", (0,), 1, time(10, 0)),
    ("the 2nd tuesday of every month 10am", "monthly", (1,), 2, time(10, 0)),
    ("last friday of the month 15:00", "monthly", (4,), -1, time(15, 0)),
    ("every third wednesday of each month 8:15", "monthly", (2,), 3, time(8, 15)),
])
def test_schedules_people_write(words: str, freq: str, weekdays: tuple[int, ...], nth: int | None, at: time) -> None:
    found = parse_schedule(words)
    assert (found.freq, found.weekdays, found.nth, found.at) == (freq, weekdays, nth, at)
    assert Schedule.from_json(found.to_json()) == found  # what is stored reads back the same


@pytest.mark.parametrize(("words", "part"), [
    ("every friday 4pm-ish", "I couldn't read the time in 'every friday 4pm-ish'"),
    ("every friday 25:00", "I couldn't read the time in 'every friday 25:00'"),
    ("every friday 13pm", "I couldn't read the time"),
    ("every fryday 16:00", "I couldn't read the day in 'every fryday 16:00'"),
    ("every friday", "I couldn't find a time in 'every friday'"),
    ("16:00", "I couldn't read the day in '16:00'"),
    ("fifth monday of the month 10:00", "I couldn't read the day of the month"),
    ("first of the month 10:00", "I couldn't read the day of the month"),
    ("", "Say when it is due"),
])
def test_schedules_that_do_not_parse_say_which_part(words: str, part: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_schedule(words)
    assert part in str(refused.value)


def test_occurrences_follow_the_rule() -> None:
    first_monday = parse_schedule("first monday of the month 10:00")
    assert [d for d in (date(2026, 3, 2), date(2026, 3, 9), date(2026, 4, 6)) if first_monday.occurs_on(d)] == [
        date(2026, 3, 2), date(2026, 4, 6)]
    last_friday = parse_schedule("last friday of the month 15:00")
    assert last_friday.next_date(date(2026, 3, 1)) == date(2026, 3, 27)
    assert last_friday.occurs_on(date(2026, 3, 27)) and not last_friday.occurs_on(date(2026, 3, 20))
    fridays = parse_schedule("every friday 16:00")
    assert fridays.occurs_on(FRI) and not fridays.occurs_on(date(2026, 3, 5))
    assert fridays.next_date(FRI) == date(2026, 3, 13) and fridays.next_date(FRI, include=True) == FRI
    # the next run on someone's clock: Friday 16:00 in Kolkata is 10:30 UTC
    kolkata = sched.next_run(fridays, datetime(2026, 3, 6, 9, 0, tzinfo=ZoneInfo("UTC")), "Asia/Kolkata")
    assert kolkata is not None and kolkata.astimezone(ZoneInfo("UTC")).hour == 10
    assert fridays.words() == "every Friday at 16:00"
    assert parse_schedule("weekdays 9:30").words() == "weekdays at 09:30"
    assert first_monday.words() == "the first Monday of the month at 10:00"


@pytest.mark.parametrize("text", [
    '"Friday wrap-up" for everyone every friday 16:00 items: timesheet filled; inbox zero; tomorrow planned',
    '“Friday wrap-up” for everyone every friday 16:00 items: timesheet filled;inbox zero ; tomorrow planned;',
    '"Friday wrap-up"  FOR everybody  fridays at 4pm  Items:timesheet filled; inbox zero; tomorrow planned',
])
def test_the_add_grammar(text: str) -> None:
    spec = parse_checklist_add(text)
    assert spec.name == "Friday wrap-up" and spec.role is None and spec.client_name is None
    assert spec.schedule == Schedule("weekly", time(16, 0), (4,))
    assert spec.items == ("timesheet filled", "inbox zero", "tomorrow planned")


@pytest.mark.parametrize(("audience", "role", "client"), [
    ("members", "member", None), ("managers", "manager", None), ("admins", "admin", None), ("everyone", None, None),
    ("client Acme", None, "Acme"), ("client Acme Corp", None, "Acme Corp"), ('client "First Bank"', None, "First Bank"),
])
def test_who_a_checklist_is_for(audience: str, role: str | None, client: str | None) -> None:
    spec = parse_checklist_add(f'"Deploy" for {audience} weekdays 09:30 items: a; b')
    assert (spec.role, spec.client_name) == (role, client)
    assert spec.schedule.weekdays == (0, 1, 2, 3, 4)


@pytest.mark.parametrize("words", ["on demand", "for deploys", "On  Deploy"])
def test_a_checklist_for_deploys_has_no_schedule(words: str) -> None:
    spec = parse_checklist_add(f'"Pre-deploy" for client Acme {words} items: tests pass; changelog')
    assert spec.schedule is None and spec.client_name == "Acme" and spec.items == ("tests pass", "changelog")


@pytest.mark.parametrize(("text", "part"), [
    ("Friday for everyone every friday 16:00 items: a", "Put the checklist's name in quotes"),
    ('"" for everyone every friday 16:00 items: a', "name is empty"),
    ('"X" everyone every friday 16:00 items: a', "Say who it is for"),
    ('"X" for interns every friday 16:00 items: a', "I couldn't read who it is for (`interns`)"),
    ('"X" for client every friday 16:00 items: a', "Say which client"),
    ('"X" for everyone every friday 4pm-ish items: a', "I couldn't read the time in 'every friday 4pm-ish'"),
    ('"X" for everyone every fryday 16:00 items: a', "I couldn't read the day in"),
    ('"X" for everyone every friday 16:00', "A checklist needs items"),
    ('"X" for everyone every friday 16:00 items: ; ;', "A checklist needs items"),
    ('"X" for everyone every friday 16:00 items: a; b; A', "Item 3 (`A`) repeats item 1"),
    ('"X" for everyone every friday 16:00 items: ok; ' + "x" * (OPTION_TEXT + 1), "Item 2"),
    ('"X" for everyone every friday 16:00 items: ' + "; ".join(f"i{n}" for n in range(MAX_ITEMS + 1)),
     f"a checklist holds at most {MAX_ITEMS}"),
])
def test_bad_checklists_name_the_part(text: str, part: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_checklist_add(text)
    assert part in str(refused.value)


def test_an_item_at_slacks_limit_is_kept_and_long_lists_split_into_blocks_of_ten() -> None:
    longest = "y" * OPTION_TEXT
    items = [longest] + [f"item {n}" for n in range(2, MAX_ITEMS + 1)]
    spec = parse_checklist_add('"Big" for everyone daily 17:00 items: ' + "; ".join(items))
    assert len(spec.items) == MAX_ITEMS and spec.items[0] == longest
    checklist = Checklist(1, 1, "Big", None, None, None, [{"key": str(n), "text": t} for n, t in
                                                            enumerate(spec.items, start=1)],
                          spec.schedule.to_json(), datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")))
    completion = Completion(7, 1, 1, 1, FRI, ["1", "12"], None, None, None, None, None)
    _text, blocks = render.checklist_message(checklist, completion)
    groups = [b for b in blocks if b["type"] == "actions"]
    assert len(blocks) <= MESSAGE_BLOCKS and len(groups) == MAX_ITEMS // CHECKBOX_OPTIONS
    assert all(len(g["elements"][0]["options"]) <= CHECKBOX_OPTIONS for g in groups)
    assert [g["block_id"] for g in groups[:2]] == ["checklist:7:0", "checklist:7:1"]
    assert [o["value"] for o in groups[0]["elements"][0]["initial_options"]] == ["1"]
    assert [o["value"] for o in groups[1]["elements"][0]["initial_options"]] == ["12"]
    assert groups[0]["elements"][0]["options"][0]["text"]["text"] == longest  # whole, not shortened
    assert "2 of 100 done" in blocks[-1]["elements"][0]["text"]
    assert {g["elements"][0]["action_id"] for g in groups} == {"checklist_tick"}  # what bot/listeners/checklists.py hears


def test_schedules_on_no_workday_and_the_next_run_on_workdays() -> None:
    """tester16 #14: `every saturday` never reaches a Monday-to-Friday team; `daily` next runs on a workday."""
    from datetime import UTC, datetime

    from bot.services.checklist_schedule import never_on, next_run, parse_schedule

    mon_fri = frozenset({1, 2, 3, 4, 5})
    assert never_on(parse_schedule("every saturday 10:00"), mon_fri)
    assert never_on(parse_schedule("every sat and sun 10:00"), mon_fri)
    assert not never_on(parse_schedule("every saturday and monday 10:00"), mon_fri)
    assert not never_on(parse_schedule("daily 17:00"), mon_fri)
    assert not never_on(parse_schedule("every saturday 10:00"), frozenset({6}))
    friday_evening = datetime(2027, 1, 8, 18, 0, tzinfo=UTC)  # Fri 8 Jan 2027, after 17:00 UTC
    daily = parse_schedule("daily 17:00")
    assert next_run(daily, friday_evening, "UTC") == datetime(2027, 1, 9, 17, 0, tzinfo=UTC)  # any day: Saturday
    assert next_run(daily, friday_evening, "UTC", mon_fri) == datetime(2027, 1, 11, 17, 0, tzinfo=UTC)  # Monday
