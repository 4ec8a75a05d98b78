"""A person's date order through the real bot: read from their Slack locale (users.list / users.info
with include_locale), overridden with `/steward dates`, and said back unambiguously ("Fri 3 Apr")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest_asyncio

from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.emulators.slack.api_people import users_info
from bot.emulators.slack.args import Args
from bot.services import reminders
from tests.e2e.conftest import DIEGO, SAM, answer_text, dm, start_steward
from tests.helpers import eventually, fetchval

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday: 3/4 is ahead both ways
LONDON = ZoneInfo("Europe/London")


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[object]:
    emulator.workspace.users[SAM].locale = "en-GB"  # Sam in London; Diego keeps Slack's en-US
    running = await start_steward(emulator, db_dsn, tmp_path, clock=FrozenClock(at=NOW))
    try:
        yield running.bot
    finally:
        await running.stop()


def test_emulator_returns_locale_only_when_asked(emulator: SlackEmulator) -> None:
    emulator.workspace.users[SAM].locale = "en-GB"
    assert "locale" not in users_info(emulator.workspace, Args({"user": SAM}))["user"]
    assert users_info(emulator.workspace, Args({"user": SAM, "include_locale": "1"}))["user"]["locale"] == "en-GB"


async def _reminder_fire_at(db_dsn: str, text: str) -> datetime:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        value = await fetchval(conn, "SELECT fire_at FROM reminders WHERE text = %s ORDER BY id DESC LIMIT 1", (text,))
    assert isinstance(value, datetime)
    return value


async def test_a_london_persons_3_4_is_3_april_and_said_back_as_such(
    emulator: SlackEmulator, bot: object, db_dsn: str
) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT locale FROM users WHERE display_name = 'sam'") == "en-GB"
    reply = await dm(emulator, SAM, "remind me on 3/4 to renew the domain")
    assert "*renew the domain* Fri 3 Apr at 09:00" in reply["text"]
    assert await _reminder_fire_at(db_dsn, "renew the domain") == datetime(2026, 4, 3, 9, 0, tzinfo=LONDON)
    # the same words from a month-first (en-US) person are 4 March
    reply = await dm(emulator, DIEGO, "remind me on 3/4 to renew the certificate")
    assert "*renew the certificate* Wed 4 Mar at 09:00" in reply["text"]
    # a date valid only day-first is read that way for everyone
    reply = await dm(emulator, DIEGO, "remind me on 29/11 to pay the invoice")
    assert "*pay the invoice* Sun 29 Nov at 09:00" in reply["text"]


async def test_steward_dates_overrides_the_locale_and_auto_restores_it(
    emulator: SlackEmulator, bot: object, db_dsn: str
) -> None:
    shown = await answer_text(emulator, SAM, "/steward", "dates")
    assert "3/4 as *3 April*" in shown and "en-GB" in shown
    changed = await answer_text(emulator, SAM, "/steward", "dates month-first")
    assert "3/4 as *4 March*" in changed
    reply = await dm(emulator, SAM, "remind me on 3/4 to water the plants")
    assert "Wed 4 Mar" in reply["text"]
    assert await _reminder_fire_at(db_dsn, "water the plants") == datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
    restored = await answer_text(emulator, SAM, "/steward", "dates auto")
    assert "3/4 as *3 April*" in restored
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT date_order FROM users WHERE display_name = 'sam'") is None
    refused = await answer_text(emulator, SAM, "/steward", "dates sideways")
    assert "`/steward dates day-first`" in refused and "month-first" in refused


async def test_last_day_of_every_month_through_the_bot(emulator: SlackEmulator, bot: object, db_dsn: str) -> None:
    reply = await dm(emulator, DIEGO, "remind me to send invoices on the last day of every month")
    assert "*send invoices*" in reply["text"] and "on the last day of every month at 09:00" in reply["text"]
    assert await _reminder_fire_at(db_dsn, "send invoices") == datetime(2026, 3, 31, 9, 0, tzinfo=ZoneInfo(
        "America/New_York"))
    assert reminders.describe({"kind": "monthly", "day": 31, "hour": 9, "minute": 0}) == (
        "on the last day of every month at 09:00")


async def test_a_task_time_without_am_pm_is_read_in_working_hours_and_shown_before_confirming(
    emulator: SlackEmulator, bot: object, db_dsn: str
) -> None:
    # 10:00 UTC is 05:00 in New York: "at 5:30" for a task is 17:30 today, shown with the date in the draft
    reply = await dm(emulator, DIEGO, "Deploy the hotfix at 5:30")
    shown = [b["text"]["text"] for b in reply.get("blocks") or [] if b.get("type") == "section"]
    assert any(t.startswith("*Deploy the hotfix*\ndue today 17:30") for t in shown), shown


async def test_a_newcomer_s_locale_is_read_when_they_join(emulator: SlackEmulator, bot: object, db_dsn: str) -> None:
    emulator.add_user("U0NORA", "nora", "Nora Blanc", tz="Europe/Paris", locale="fr-FR")
    await emulator.team_join("U0NORA")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await eventually(lambda: fetchval(conn, "SELECT locale = 'fr-FR' FROM users WHERE display_name = 'nora'"))
    reply = await dm(emulator, "U0NORA", "remind me on 3/4 to renew the domain")
    assert "Fri 3 Apr" in reply["text"]
