"""A checklist whose audience is nobody now is accepted with a warning (tester16 F14): the answer of
bot/blocks/checklists.py ``added_text``."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.checklists import added_text
from bot.services import checklist_schedule as sched
from bot.services.checklists import Checklist

FRIDAY_EVENING = datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # 19:00 New York


def _checklist(role: str | None, schedule: str, client: tuple[int, str] | None = None) -> Checklist:
    parsed = sched.parse_schedule(schedule)
    return Checklist(1, 1, "Wrap", role, client[0] if client else None, client[1] if client else None,
                     [{"key": "1", "text": "a"}], parsed.to_json(), FRIDAY_EVENING)


def test_the_answer_warns_of_an_audience_of_nobody_and_names_how_to_fix_it() -> None:
    said = added_text(_checklist("manager", "every friday 16:00"), 0)
    assert "reaches nobody for now: nobody has the Steward role manager (`/steward role @name manager`" in said, said
    said = added_text(_checklist(None, "every friday 16:00", (7, "Smith & Jones")), 0)
    assert "Smith &amp; Jones has no assigned members yet" in said, said
    assert ":warning:" not in added_text(_checklist("manager", "weekdays 09:30"), 2)
    assert ":warning:" not in added_text(_checklist("manager", "weekdays 09:30"))  # not checked: nothing said
