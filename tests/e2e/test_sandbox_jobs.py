""""Run now" on the sandbox page with the real Steward behind it: every job runs for real (through the
scheduler's claimed path) and its summary reads as a sentence from what the job really returned."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import psycopg
import pytest

from bot.app import Steward
from bot.sandbox import Sandbox
from jobs import backfill, registry
from tests.e2e.conftest import sandbox_steward
from tests.helpers import eventually, fetchval

RAW = re.compile(r"[{}\[\]]|\w_\w|': ")
"""What a dict or list repr, or a raw summary key, would leave in the text."""
NEW_YORK = ZoneInfo("America/New_York")  # the demo organization's time zone (bot/sandbox/seed.py)


class Page:
    def __init__(self, sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
        self.sandbox, self.http = sandbox, http

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.sandbox.web_url + path, json=body) as response:
            data: dict[str, Any] = await response.json()
        assert data.get("ok"), data
        return data

    async def run(self, job: str) -> str:
        """Press "Run now" for `job`; the summary the page shows."""
        ran = await self.post(f"api/jobs/{job}", {})
        summary = str(ran["summary"])
        assert summary.startswith(f"{job}: ") and summary.endswith("."), summary
        assert not RAW.search(summary.removeprefix(f"{job}: ")), summary
        return summary

    async def set_clock(self, when: datetime) -> None:
        await self.post("api/clock", {"set": when.replace(tzinfo=None).isoformat(), "tz": str(when.tzinfo)})


@pytest.fixture
async def page(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Page, Steward]]:
    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as (sandbox, bot), \
            aiohttp.ClientSession(trust_env=False) as http:
        yield Page(sandbox, http), bot


async def holds(dsn: str, sql: str, expected: Any = 1) -> bool:
    """Whether the query's one value is `expected` now (for `eventually`)."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return bool(await fetchval(conn, sql) == expected)


def _next_monday(now: datetime) -> datetime:
    day = now.astimezone(NEW_YORK).date()
    day += timedelta(days=(7 - day.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)


@pytest.mark.timeout(240)
async def test_run_now_reads_as_a_sentence_for_every_job(page: tuple[Page, Steward], db_dsn: str) -> None:
    ui, bot = page
    sandbox = ui.sandbox
    assert sandbox.demo is not None
    maya, priya, sam = (sandbox.demo.people[k] for k in ("maya", "priya", "sam"))
    acme, standup = sandbox.demo.channels["client-acme"], sandbox.demo.channels["standup"]
    said: dict[str, list[str]] = {}

    async def run(job: str) -> str:
        summary = await ui.run(job)
        said.setdefault(job, []).append(summary)
        return summary

    # Memory: a new message in #client-acme is read by "context"; #client-acme's history read again.
    await ui.post("api/message", {"as": priya, "channel": acme,
                                  "text": "The Acme pricing table is signed off; Daniel exports the final assets on Friday."})

    await eventually(lambda: holds(db_dsn, "SELECT count(*) FROM channel_messages WHERE text LIKE '%%signed off%%'"),
                     within=15)
    await run("context")
    await run("context-summaries")
    await run("context-backfill")
    assert bot.org_id is not None
    await backfill.request(bot.pool, bot.org_id, acme, days=30, now=bot.clock.now())  # `steward backfill #client-acme`
    await run("context-backfill")
    await run("workspace-sync")

    # A day of the rhythm, on the next Monday (the demo organization's standup is at 09:30 New York time).
    monday = _next_monday(sandbox.clock.now())
    dm = sandbox.emulator.workspace.dm_channel(priya).id
    await ui.post("api/message", {"as": priya, "channel": dm, "text": "remind me to call the bank in 2 hours"})
    await ui.post("api/message", {"as": maya, "channel": standup, "text": "/steward standup mood on"})
    await eventually(lambda: holds(db_dsn, "SELECT count(*) FROM reminders"), within=15)
    await eventually(lambda: holds(db_dsn, "SELECT bool_and(mood_checkin_enabled) FROM org_settings", True), within=15)
    await ui.set_clock(monday.replace(hour=9, minute=31))
    await run("morning-thread")
    await run("morning-thread")
    thread = await eventually(lambda: next((m for m in sandbox.emulator.messages(standup) if m.get("bot_id")), None),
                              within=15)
    await ui.post("api/message", {"as": sam, "channel": standup, "thread_ts": thread["ts"],
                                  "text": "Today I'll finish the Acme invoice export and review the pricing copy"})
    await eventually(lambda: holds(db_dsn, "SELECT count(*) FROM thread_submissions"), within=15)
    await ui.set_clock(monday.replace(hour=11, minute=45))  # the summary is due 2 h after the thread went up
    await run("nudges")
    await ui.set_clock(monday.replace(hour=16, minute=31))
    await run("mood-checkin")
    await ui.set_clock(monday.replace(hour=17, minute=31))
    await run("end-of-day")
    await run("escalations")
    await ui.set_clock(monday.replace(hour=23, minute=59) + timedelta(hours=6))
    await run("day-close")
    await run("cards")
    await run("reinforcement")
    await run("kpi-snapshot")  # no complete week since the first thread (this Monday's): nothing to snapshot
    await run("daily-report")
    await run("reminders")
    await run("checklists")  # the demo has no checklists or deploys yet
    await run("deploy-reminders")
    await ui.set_clock(monday + timedelta(days=7, hours=14))  # the next Monday, past its morning
    await run("kpi-snapshot")  # the week of the first thread, now complete
    await run("weekly-report")
    await run("monthly-report")
    await ui.set_clock(monday + timedelta(days=40))
    for job in ("retention-daily", "retention-monthly", "retention"):
        await run(job)
    assert set(said) == set(registry.all_jobs())
    day = f"{monday:%a} {monday.day} {monday:%b}"
    after = monday + timedelta(days=1)
    tuesday = f"{after:%a} {after.day} {after:%b}"
    london, berlin, pacific, eastern = (datetime(after.year, after.month, after.day, 8, tzinfo=ZoneInfo(z)).tzname()
                                        for z in ("Europe/London", "Europe/Berlin", "America/Los_Angeles", "America/New_York"))
    expected = {
        "context": ["context: read 1 message into 1 observation (offline, 1 embeddings call)."],
        "context-summaries": ["context-summaries: nothing to do right now."],
        "context-backfill": ["context-backfill: no channel history waiting to be read.",
                             "context-backfill: read the history of #client-acme (6 messages, 3 thread replies, 1 page)."],
        "workspace-sync": ["workspace-sync: updated 5 people, skipped 2 bots and found 1 admin."],
        "morning-thread": [f"morning-thread: posted the standup thread for {day} in #standup with 5 people.",
                           f"morning-thread: skipped: already posted ({day})."],
        # Priya is in Kolkata, where 11:45 in New York is within her quiet hours: the people calendar nudges
        # at the first moment she can be reached before her check-in, and there is none, so no nudge.
        "nudges": ["nudges: sent 3 nudges (@daniel, @lena and @maya) and sent 1 manager's list of who's missing (@maya)."],
        # At 16:31 in New York it is evening in London and Berlin (held to their morning) and night in Kolkata,
        # where Monday's mood check-in can no longer reach her on Monday: none (a mood check-in is for its day).
        "mood-checkin": [f"mood-checkin: sent 2 mood check-ins (@maya and @sam) and 2 mood check-ins are held for "
                         f"quiet hours (@daniel until {tuesday} at 08:00 {london} and @lena until {tuesday} at 08:00 {berlin})."],
        "end-of-day": ["end-of-day: sent 1 end-of-day check-in (@sam)."],
        "escalations": ["escalations: nothing to do right now."],
        # Sam's day closed at midnight: his recap waits for his morning (Los Angeles), Maya's team recap for hers.
        "day-close": [f"day-close: closed 1 person's day: 2 carried forward; 1 recap of the day is held for quiet hours "
                      f"until {tuesday} at 08:00 {pacific} (@sam) and 1 team recap is held for quiet hours until {tuesday} "
                      f"at 08:00 {eastern} (@maya)."],
        "cards": ["cards: nothing to do right now."],  # one day: nobody missed two in a row
        # One day of updates is no streak yet, and nobody has a milestone.
        "reinforcement": ["reinforcement: nothing to do right now."],
        # Monday's reports (the team's and the organization's, both Maya's) wait for her morning.
        "daily-report": [f"daily-report: 2 reports are held for quiet hours until {tuesday} at 08:00 {eastern} (@maya)."],
        # kpi-snapshot ran first, so the week's trend is drawn: both reports go with their charts.
        "weekly-report": ["weekly-report: sent 2 reports (@maya)."],
        "monthly-report": ["monthly-report: skipped a period in which no updates were asked."],
        "reminders": ["reminders: sent 1 reminder (@priya)."],
        "checklists": ["checklists: nothing to do right now."],
        "deploy-reminders": ["deploy-reminders: nothing to do right now."],
        "retention-monthly": ["retention-monthly: nothing to delete."],
        "retention": ["retention: nothing to delete."],
    }
    assert {job: said[job] for job in expected} == expected
    assert said["kpi-snapshot"][0] == "kpi-snapshot: nothing to do right now.", said["kpi-snapshot"]
    assert re.fullmatch(r"kpi-snapshot: took the KPI snapshot of 1 week and wrote \d+ rows\.", said["kpi-snapshot"][1]), \
        said["kpi-snapshot"]
    # How many rows retention finds depends on how many events this run stored; the words do not.
    assert re.fullmatch(r"retention-daily: deleted \d+ channel messages past retention, \d+ processed inbox events "
                        r"and \d+ old job runs\.", said["retention-daily"][0]), said["retention-daily"]
