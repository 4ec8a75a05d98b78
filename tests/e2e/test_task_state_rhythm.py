"""Task state stays consistent in the daily rhythm (issue 10, part 6), through the real bot: a dropped task
cannot be done from a standup reply or a check-in sent before it was dropped; reopening clears a
check-in's answer; standup items lose their status lead-ins ("new:", "Working on"); the morning thread
explains "carried N×" only when it shows it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, DIEGO, MAYA, start_steward
from tests.e2e.test_daily_rhythm import (
    SETTINGS,
    add_task,
    configure,
    db,
    reply,
    run_job,
    thread_roots,
    thread_text,
    utc,
    wait_thread,
)
from tests.helpers import fetchval

FRIDAY = date(2026, 3, 6)
LEGEND = "_carried N\u00d7_: still open from earlier days"


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 5, 15, 0, 30))  # Thursday 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def task_says(emu: SlackEmulator, user: str, text: str) -> str:
    return (await (await emu.slash_command(user, "/task", text, channel=ACME)).wait_for_response(timeout=10)).text or ""


def checkin(emu: SlackEmulator, channel: str) -> dict[str, Any]:
    return next(m for m in emu.messages(channel) if any(str(b.get("block_id", "")).startswith("eod:") for b in m.get("blocks", [])))


def checkbox_ids(message: dict[str, Any]) -> set[str]:
    return {o["value"] for b in message["blocks"] if str(b.get("block_id", "")).startswith("eod:")
            for e in b["elements"] for o in e["options"]}


async def task_id(dsn: str, display_id: str) -> int:
    async with await db(dsn) as conn:
        return int(await fetchval(conn, "SELECT id FROM tasks WHERE display_id = %s", (display_id,)))


async def status_of(dsn: str, display_id: str) -> str:
    async with await db(dsn) as conn:
        return str(await fetchval(conn, "SELECT status FROM tasks WHERE display_id = %s", (display_id,)))


async def test_dropped_tasks_through_a_day_and_lead_ins_and_the_legend(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                                      db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    checkout = await add_task(db_dsn, DIEGO, "Fix the checkout bug")  # T-1
    contract = await add_task(db_dsn, DIEGO, "Update the Acme contract")  # T-2
    report = await add_task(db_dsn, MAYA, "Finish the Q1 report")  # T-3
    assert "Dropped T-2" in await task_says(emulator, DIEGO, "drop T-2 the client signed the old one")

    # Friday 09:00: nothing is carried yet, so the thread has no "carried N×" legend (it had one).
    clock.at = utc(2026, 3, 6, 14, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    posted = await wait_thread(emulator, mark)
    listing = thread_text(posted)
    assert f"`{checkout}`" in listing and f"`{contract}`" not in listing
    assert "carried" not in listing
    thread_ts = thread_roots(emulator)[-1]["ts"]

    # A reply naming a dropped task as done: said back politely, the task stays dropped. Status lead-ins
    # are not part of the titles (the examples: "new:" and "Working on" were kept).
    clock.at = utc(2026, 3, 6, 14, 5, 30)
    _, answer = await reply(emulator, DIEGO, thread_ts, f"{checkout} today. {contract} done.\n"
                                                        "new: renew the Acme SSO certificate\n"
                                                        "Working on the Acme homepage mockups")
    said = str(answer["blocks"])
    assert "was dropped on Thu 5 Mar (the client signed the old one)" in said and f"/task reopen {contract}" in said
    assert await status_of(db_dsn, contract) == "dropped"
    async with await db(db_dsn) as conn:
        titles = [r[0] for r in await (await conn.execute(
            "SELECT t.title FROM day_plan_items p JOIN tasks t ON t.id = p.task_id ORDER BY t.display_number")).fetchall()]
    assert titles == ["Fix the checkout bug", "renew the Acme SSO certificate", "Acme homepage mockups"]
    _, maya_answer = await reply(emulator, MAYA, thread_ts, f"{report} and still on the Acme audit")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE title = 'Acme audit'") == 1

    # 17:30: the check-ins. Diego's T-1 is dropped after his check-in went out; ticking it on that
    # check-in is refused the same way, and the check-in is refreshed to show it as dropped.
    clock.at = utc(2026, 3, 6, 22, 30, 30)
    mark = len(emulator.calls)
    await run_job(bot, "end-of-day")
    diego_dm, maya_dm = await emulator.dm_channel(DIEGO), await emulator.dm_channel(MAYA)
    for who, channel in ((DIEGO, diego_dm), (MAYA, maya_dm)):
        await emulator.wait_for_call("chat.postMessage", lambda c, w=who, ch=channel: c.args.get("channel") in (w, ch),
                                     since=mark, timeout=15)
    stale = checkin(emulator, diego_dm)
    checkout_id = await task_id(db_dsn, checkout)
    assert str(checkout_id) in checkbox_ids(stale)
    assert "Dropped T-1" in await task_says(emulator, DIEGO, "drop T-1 legal has to review it first")
    mark = len(emulator.calls)
    ticked = await emulator.click_button(DIEGO, message_ts=stale["ts"], channel=diego_dm, action_id="eod_toggle",
                                         block_id="eod:2026-03-06:0", fields={"selected_options": [{"value": str(checkout_id)}]})
    refusal = (await ticked.wait_for_response(timeout=10)).text
    assert "was dropped on Fri 6 Mar (legal has to review it first)" in refusal and "can't mark it done" in refusal
    refreshed = (await emulator.wait_for_call("chat.update", since=mark, timeout=15)).args
    assert str(checkout_id) not in checkbox_ids(refreshed) and "Dropped:" in str(refreshed["blocks"])
    assert await status_of(db_dsn, checkout) == "dropped"
    # The other boxes still work. A task ticked done and then moved back out of Done is open again: the
    # day's close carries it rather than counting it done.
    ticks = [{"value": str(await task_id(db_dsn, n))} for n in ("T-4", "T-5")]
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=stale["ts"], channel=diego_dm, action_id="eod_toggle",
                                block_id="eod:2026-03-06:0", fields={"selected_options": ticks})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert [await status_of(db_dsn, n) for n in ("T-4", "T-5")] == ["done", "done"]
    assert "Moved T-4 to In progress" in await task_says(emulator, DIEGO, "move T-4 in progress")

    # Maya drops her report in the check-in, then thinks better of it: reopened, the day's close carries it.
    report_id = await task_id(db_dsn, report)
    mark = len(emulator.calls)
    await emulator.click_button(MAYA, message_ts=checkin(emulator, maya_dm)["ts"], channel=maya_dm, action_id="eod_drop_open",
                                value="2026-03-06")
    await emulator.wait_for_call("views.open", since=mark, timeout=15)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "eod_drop")
    mark = len(emulator.calls)
    await emulator.submit_view(MAYA, view_id, {"task": {"task": {"type": "static_select", "selected_option": {"value": str(report_id)}}},
                                               "reason": {"reason": {"type": "plain_text_input", "value": "Finance has it"}}})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert await status_of(db_dsn, report) == "dropped"
    assert "is open again" in await task_says(emulator, MAYA, f"reopen {report}")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT answer FROM day_plan_items WHERE task_id = %s", (report_id,)) is None

    # Midnight: the day closes. The dropped task is dropped, the reopened one carried, nothing done twice.
    clock.at = utc(2026, 3, 7, 5, 0, 30)
    await run_job(bot, "day-close")
    async with await db(db_dsn) as conn:
        closed = dict(await (await conn.execute(
            "SELECT t.display_id, s.status FROM task_statuses s JOIN tasks t ON t.id = s.task_id WHERE s.status_date = %s",
            (FRIDAY,))).fetchall())
    assert closed == {checkout: "dropped", "T-4": "carry_forward", "T-5": "done", report: "carry_forward", "T-6": "carry_forward"}

    # Monday: carried tasks are listed, and now the legend explains them (no warning: none carried 3 times).
    clock.at = utc(2026, 3, 9, 13, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    monday = thread_text(await wait_thread(emulator, mark))
    assert "carried 1\u00d7" in monday and LEGEND in monday and "or more times" not in monday
    assert f"`{checkout}`" not in monday and f"`{contract}`" not in monday  # dropped work is not listed
