"""Logs: each unit of work logs with its own context (a scheduled job never carries the bound
context of the DM that scheduled it), and idle job ticks stay at DEBUG."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import structlog
from structlog.testing import LogCapture

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.log import bind_context
from tests.e2e.conftest import MAYA, SAM, STANDUP, start_steward

NOW = datetime(2026, 3, 5, 14, 0, 30, tzinfo=UTC)  # Thursday 09:00 in New York
REQUEST_KEYS = {"event_key", "inbox_id", "slack_user", "organization_id", "channel"}


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level, capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    try:
        yield capture
    finally:
        structlog.reset_defaults()


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, logs: LogCapture):  # type: ignore[no-untyped-def]
    running = await start_steward(emulator, db_dsn, tmp_path, clock=FrozenClock(at=NOW))
    try:
        yield running.bot
    finally:
        await running.stop()


async def wait_for_event(logs: LogCapture, name: str, timeout: float = 15.0) -> dict[str, Any]:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [e for e in logs.entries if e["event"] == name]
        if found:
            return found[-1]
        if loop.time() > deadline:
            raise AssertionError(f"no {name} log line; saw {sorted({e['event'] for e in logs.entries})}")
        await asyncio.sleep(0.02)


async def test_a_reminder_timer_set_from_a_dm_logs_without_that_dms_context(
        emulator: SlackEmulator, bot: Steward, logs: LogCapture) -> None:
    dm = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.user_message(SAM, dm, "remind me to stretch in 2 hours")
    await emulator.wait_for_call("chat.postMessage", lambda c: "remind you" in (c.args.get("text") or ""), since=mark)
    # The one-off timer the DM's handler scheduled (2 hours after the frozen clock, long past in real time, so
    # APScheduler runs it at once) logs as a job, with none of the DM's keys.
    line = await wait_for_event(logs, "reminder_not_due")
    assert not REQUEST_KEYS & set(line), line
    assert line["job"] == "fire_one"


async def test_a_job_run_from_inside_a_request_logs_as_the_job(bot: Steward, logs: LogCapture) -> None:
    async def as_if_inside_a_request() -> Any:
        bind_context(event_key="ev:Ev123", inbox_id=7, slack_user=SAM)
        return await bot.scheduler.run_claimed("nudges", bot.clock.now())

    await asyncio.create_task(as_if_inside_a_request())
    ran = await wait_for_event(logs, "job_ran")
    assert not REQUEST_KEYS & set(ran), ran
    assert ran["job"] == "nudges"


IDLE_JOBS = ("morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin", "reminders", "context", "context-backfill")


async def test_idle_ticks_log_at_debug_and_work_at_info(emulator: SlackEmulator, bot: Steward, logs: LogCapture) -> None:
    # A fresh workspace with no standup channel: every tick of the daily jobs finds nothing to do.
    for name in IDLE_JOBS:
        await bot.scheduler.run_claimed(name, bot.clock.now())
    ran = {e["job"]: e for e in logs.entries if e["event"] == "job_ran"}
    assert set(ran) == set(IDLE_JOBS)
    assert {name: e["log_level"] for name, e in ran.items()} == dict.fromkeys(IDLE_JOBS, "debug")
    assert all(e["log_level"] == "debug" for e in logs.entries if e["event"] == "context_pipeline_done")
    # A tick that does something (the morning thread posts at 09:00) logs at INFO.
    result = await emulator.slash_command(
        MAYA, "/steward", f"standup channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri",
        channel=STANDUP)
    await result.wait_for_response(timeout=10)
    logs.entries.clear()
    await bot.scheduler.run_claimed("morning-thread", datetime(2026, 3, 5, 14, 1, 0, tzinfo=UTC))
    posted = await wait_for_event(logs, "job_ran")
    assert posted["log_level"] == "info" and "2026-03-05" in str(posted["summary"])
