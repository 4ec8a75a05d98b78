""""Run now" right after moving the sandbox page's clock (the tester's flow): the bot's own dispatcher, woken
by the job and already at the page's time, races the run's own dispatch for what the run queued. Whoever
sends them, the run's summary says "sent" for every message Slack accepted during the run, and "waiting"
only for what really waits (quiet hours). The real Steward behind the sandbox, its Slack, PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.app import Steward
from tests.e2e.conftest import sandbox_steward
from tests.e2e.test_sandbox_jobs import Page

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
async def page(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Page, Steward]]:
    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as (sandbox, bot), \
            aiohttp.ClientSession(trust_env=False) as http:
        yield Page(sandbox, http), bot


def next_weekdays(after: datetime, count: int) -> list[date]:
    day = after.astimezone(NEW_YORK).date()
    found: list[date] = []
    while len(found) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            found.append(day)
    return found


async def run_now(ui: Page, job: str) -> dict[str, Any]:
    ran = await ui.post(f"api/jobs/{job}", {})
    assert ran["report"] is not None, ran
    return dict(ran)


@pytest.mark.timeout(240)
async def test_run_now_after_moving_the_clock_says_sent_for_everything_slack_accepted(page: tuple[Page, Steward]) -> None:
    ui, bot = page
    days = next_weekdays(bot.clock.now(), 3)
    for day in days:
        await ui.set_clock(datetime.combine(day, time(9, 0), NEW_YORK))
        await run_now(ui, "morning-thread")
        # End of day: moved to 17:31 New York and pressed at once, as the tester did.
        await ui.set_clock(datetime.combine(day, time(17, 31), NEW_YORK))
        for job in ("end-of-day", "day-close"):
            ran = await run_now(ui, job)
            report = ran["report"]
            waiting = [w for w in report["waiting"] if w["why"] not in ("quiet hours", "held until they can next be reached")]
            assert waiting == [], (job, day, ran["summary"], report)
            assert "not sent yet" not in ran["summary"], ran["summary"]
            emulator = ui.sandbox.emulator
            in_slack = {str(m.get("ts")) for channel in emulator.workspace.channels.values()
                        for m in emulator.messages(channel.id, include_replies=True) if m.get("bot_id")}
            assert {s["ts"] for s in report["sent"]} <= in_slack, (job, day, report["sent"])
        # Day close the next morning, 08:01 New York (14:01 in Berlin: Lena's recap is due then).
        await ui.set_clock(datetime.combine(day + timedelta(days=1), time(8, 1), NEW_YORK))
        ran = await run_now(ui, "day-close")
        report = ran["report"]
        waiting = [w for w in report["waiting"] if w["why"] not in ("quiet hours", "held until they can next be reached")]
        assert waiting == [], (day, ran["summary"], report)
        assert "not sent yet" not in ran["summary"], ran["summary"]
