"""Pure parts of overdue work and flags (issue 13): when a task falls due, the walk's cycle, and the Block Kit of
cards, relays, DMs, posts and the Home staying inside Slack's limits whatever people wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from bot import slack_limits as L
from bot.blocks import escalations as escalation_blocks
from bot.blocks import flags as flag_blocks
from bot.blocks import overdue as overdue_blocks
from bot.services.calendar import Person, Rhythm
from bot.services.escalations import People, Route, Step
from bot.services.flags import Flag
from bot.services.overdue import OverdueTask, cycle_of, due_instant, horizon_of
from db.rows import User

RHYTHM = Rhythm(timezone="America/New_York", morning_time=time(9, 0), end_of_day_time=time(17, 30),
                use_member_local_time=True)
LONG = ("word " * 2000).strip() + " <!channel> @here"


def user(n: int, tz: str = "America/New_York") -> User:
    return User(id=n, organization_id=1, slack_id=f"U{n}", display_name=f"person{n}", real_name=None, email=None,
                role="member", manager_id=None, timezone=tz, active=True, created_at=datetime(2026, 1, 1, tzinfo=UTC))


def task(n: int, *, title: str = "Ship it", due_at: datetime | None = None) -> OverdueTask:
    return OverdueTask(id=n, organization_id=1, display_id=f"T-{n}", title=title, status="pending", user_id=1, project_id=7,
                       due_date=date(2026, 3, 6), due_at=due_at, overdue_due_date=None, overdue_due_at=None,
                       overdue_anchor_at=None, overdue_level=0, overdue_next_at=None, overdue_last_at=None,
                       project_name="Website relaunch", project_channel_id="C1", owner_slack_id="U1")


def flag(**extra: Any) -> Flag:
    values: dict[str, Any] = dict(id=3, organization_id=1, user_id=2, type="manual", severity="medium", status="open",
                                  title="missed the last three standups", description=None, evidence={}, is_private=False,
                                  task_id=None, raised_by=1, resolved_by=None, resolved_at=None, note=None,
                                  created_at=datetime(2026, 3, 6, 18, tzinfo=UTC), person_slack_id="U2",
                                  task_display_id=None, inquiry_id=None, inquiry_status=None, inquiry_opened_by=None)
    values.update(extra)
    return Flag(**values)


def people() -> People:
    users = {1: user(1), 2: user(2)}
    return People(RHYTHM, users, {1: Person(timezone="America/New_York"), 2: Person(timezone="America/New_York")}, (), {})


def inside_message_limits(blocks: list[dict[str, Any]], text: str) -> None:
    assert len(blocks) <= L.MESSAGE_BLOCKS and len(text) <= L.MESSAGE_TEXT
    for block in blocks:
        if isinstance(block.get("text"), dict):
            limit = L.HEADER_TEXT if block["type"] == "header" else L.SECTION_TEXT
            assert len(block["text"]["text"]) <= limit
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= L.BUTTON_TEXT
        assert len(block.get("block_id", "")) <= L.BLOCK_ID


def test_a_task_falls_due_at_the_end_of_its_date_on_its_owners_clock_or_at_its_time() -> None:
    kolkata = Person(timezone="Asia/Kolkata")
    assert due_instant(RHYTHM, Person(timezone="America/New_York"), date(2026, 3, 6), None) == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
    assert due_instant(RHYTHM, kolkata, date(2026, 3, 6), None) == datetime(2026, 3, 6, 18, 30, tzinfo=UTC)
    at = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert due_instant(RHYTHM, kolkata, date(2026, 3, 6), at) == at
    # The team's clock when local time is off: New York's midnight for everyone; across DST, the shorter day's.
    team_clock = Rhythm(timezone="America/New_York", morning_time=time(9, 0), end_of_day_time=time(17, 30))
    assert due_instant(team_clock, kolkata, date(2026, 3, 6), None) == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
    assert due_instant(team_clock, kolkata, date(2026, 3, 8), None) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_a_walk_is_for_one_due_date_and_time() -> None:
    assert cycle_of(date(2026, 3, 6), None) == "2026-03-06"
    assert cycle_of(date(2026, 3, 6), datetime(2026, 3, 6, 15, 0, tzinfo=UTC)) == "2026-03-06@2026-03-06T15:00Z"
    # A task due "tomorrow" in UTC may already be due somewhere east: the horizon is a day ahead.
    assert horizon_of(datetime(2026, 3, 6, 23, 0, tzinfo=UTC)) == date(2026, 3, 7)


def test_a_flag_card_stays_inside_slacks_limits_and_pings_nobody() -> None:
    text, blocks = flag_blocks.card(flag(title=LONG[:200], description=LONG, evidence={"reason": LONG, "rule": LONG}),
                                    user(2), user(1), user(1))
    inside_message_limits(blocks, text)
    assert "<!channel>" not in str(blocks) and [b["elements"][0]["action_id"] for b in blocks if b["type"] == "actions"] == [
        "flag_inquiry"]
    private, _ = flag_blocks.card(flag(type="low_mood", is_private=True), user(2), None, user(1))
    assert private.startswith(":lock: Private")


def test_a_relayed_message_is_escaped_and_fits() -> None:
    relayed = flag_blocks.relayed(user(1), "manager", "see <!channel> & <@U9> " + LONG)
    assert relayed.startswith("*person1 asks:* see @\u200bchannel &amp; <@U9>") and len(relayed) <= L.MESSAGE_TEXT
    assert flag_blocks.relayed(user(2), "subject", "fine").startswith("*person2 replies:* fine")


def test_an_overdue_dm_and_post_stay_inside_slacks_limits() -> None:
    now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    steps = [Step("task", n, "2026-03-06", 1, Route("owner", (user(1),)), task(n, title=LONG)) for n in range(1, 40)]
    text, blocks = escalation_blocks.escalation_dm(user(1), steps, people(), now)
    inside_message_limits(blocks, text)
    assert text.startswith("39 tasks of yours are overdue") and "`/tasks` lists them" in str(blocks[-1])
    assert len(blocks) == L.MESSAGE_BLOCKS and "and 15 more (15 overdue tasks)" in str(blocks[-1])
    text, blocks = overdue_blocks.channel_post([task(n, title=LONG) for n in range(1, 80)], [], people(), now)
    inside_message_limits(blocks, text)


def test_the_channel_posts_last_line_speaks_of_one_task_and_one_owner_as_such() -> None:
    """Tester 13, finding 15: a post with one task says "Its owner", not "Their owners"."""
    now = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)

    def last_line(tasks: list[OverdueTask]) -> str:
        return str(overdue_blocks.channel_post(tasks, [], people(), now)[1][-1]["elements"][0]["text"])

    assert last_line([task(1)]).startswith("Its owner marks it done, gives it a new date or drops it;")
    assert last_line([task(1), task(2)]).startswith("Their owner marks them done, gives them a new date or drops them;")
    other = OverdueTask(**{**task(2).__dict__, "user_id": 2, "owner_slack_id": "U2"})
    assert last_line([task(1), other]).startswith("Their owners mark them done, give them a new date or drop them;")
