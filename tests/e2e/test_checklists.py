"""Role checklists end to end (issue 16, part A), with the clock as a parameter: the real bot over Socket Mode to the
Slack emulator, its `checklists` job run as if at chosen instants (as `steward jobs run checklists --now T` does),
the dispatcher sending what is due, checkboxes ticked in the DM and in `/checklists`.

The team: Maya (the admin, New York), Diego (New York), Sam (London), Priya (Kolkata, on leave on Friday 6 March 2026).
Maya adds a Friday 16:00 checklist for everyone. It reaches Sam at 16:00 London, Maya and Diego at 16:00 New York,
each exactly once however often the job runs, and Priya never. Diego ticks everything; Sam ticks one item in the DM
and one more in `/checklists`; Maya none. After each person's midnight the unfinished ones are recorded incomplete,
and checklist compliance (1 of 3) is in the KPIs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import kpis
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, answer, answer_text, start_steward
from tests.e2e.test_blockers import delivered
from tests.e2e.test_daily_rhythm import db
from tests.e2e.test_day_recaps import record_leave
from tests.helpers import eventually, fetchval

FRI = date(2026, 3, 6)
NY, LONDON, KOLKATA = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata")
ADD = '"Friday wrap-up" for everyone every friday 16:00 items: timesheet filled; inbox zero; tomorrow planned'


def at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


START = at(date(2026, 3, 5), 12, 0, NY)  # Thursday


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[Steward]:
    clock = FrozenClock(at=START)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    running.bot.scheduler.shutdown()  # the test runs the job as of the instants it chooses
    try:
        yield running.bot
    finally:
        await running.stop()


async def run(bot: Steward, when: datetime) -> dict[str, Any]:
    """`steward jobs run checklists --now <when>`: the job as if the clock read ``when``, then what is due sent."""
    assert isinstance(bot.clock, FrozenClock)
    bot.clock.at = when
    report = await bot.scheduler.run_as_of("checklists", when)
    assert report is not None
    await delivered(bot, when)
    return dict(next(iter(report.result.values())))


async def checklist_dms(emulator: SlackEmulator, user: str) -> list[dict[str, Any]]:
    return [m for m in emulator.messages(await emulator.dm_channel(user))
            if any(str(b.get("block_id", "")).startswith("checklist:") for b in m.get("blocks") or [])]


def ticked(message: dict[str, Any]) -> list[str]:
    return [o["value"] for b in message.get("blocks") or [] if b.get("type") == "actions"
            for e in b["elements"] for o in e.get("initial_options") or []]


async def tick(emulator: SlackEmulator, user: str, message: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """Tick ``values`` in the DM's first checkboxes group (Slack sends the group's selected options); the DM as
    Steward updated it."""
    block = next(b for b in message["blocks"] if b.get("type") == "actions")
    channel = await emulator.dm_channel(user)
    mark = len(emulator.calls)
    result = await emulator.click_button(user, message_ts=message["ts"], channel=channel, action_id="checklist_tick",
                                        block_id=block["block_id"],
                                        fields={"selected_options": [{"value": v} for v in values]})
    assert not result.timed_out
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    return next(m for m in emulator.messages(channel) if m["ts"] == message["ts"])


async def test_a_friday_checklist_across_time_zones(bot: Steward, emulator: SlackEmulator, db_dsn: str) -> None:
    await record_leave(db_dsn, PRIYA, FRI, FRI)
    added = await answer_text(emulator, MAYA, "/steward", f"checklist add {ADD}")
    assert "Checklist “Friday wrap-up” added: for everyone, every Friday at 16:00" in added
    listed = await answer_text(emulator, MAYA, "/steward", "checklists")
    assert "*Friday wrap-up* · for everyone · every Friday at 16:00 · 3 items · next Fri 06 Mar 16:00" in listed

    # Thursday, and Friday before anyone's 16:00: nothing
    for when in (at(date(2026, 3, 5), 16, 0, NY), at(FRI, 15, 59, LONDON)):
        assert (await run(bot, when))["sent"] == 0
    # 16:00 in Kolkata: Priya is on leave, so nothing for her
    summary = await run(bot, at(FRI, 16, 0, KOLKATA))
    assert summary["sent"] == 0 and summary["away"] == 1
    # 16:00 in London: Sam's; again at 16:01 and 16:30: still one
    assert (await run(bot, at(FRI, 16, 0, LONDON)))["sent"] == 1
    assert [len(await checklist_dms(emulator, u)) for u in (SAM, MAYA, DIEGO)] == [1, 0, 0]
    for when in (at(FRI, 16, 1, LONDON), at(FRI, 16, 30, LONDON), at(FRI, 15, 59, NY)):
        assert (await run(bot, when))["sent"] == 0
    # 16:00 in New York: Maya's and Diego's; a re-run sends nothing more
    assert (await run(bot, at(FRI, 16, 0, NY)))["sent"] == 2
    assert (await run(bot, at(FRI, 16, 5, NY)))["sent"] == 0
    dms = {u: await checklist_dms(emulator, u) for u in (SAM, MAYA, DIEGO, PRIYA)}
    assert {u: len(found) for u, found in dms.items()} == {SAM: 1, MAYA: 1, DIEGO: 1, PRIYA: 0}
    assert "Friday wrap-up" in dms[SAM][0]["text"] and "0 of 3 done." in str(dms[SAM][0]["blocks"])
    options = [o["text"]["text"] for b in dms[SAM][0]["blocks"] if b.get("type") == "actions"
               for e in b["elements"] for o in e["options"]]
    assert options == ["timesheet filled", "inbox zero", "tomorrow planned"]

    # Diego ticks everything: recorded, the DM says so
    updated = await tick(emulator, DIEGO, dms[DIEGO][0], ["1", "2", "3"])
    assert ticked(updated) == ["1", "2", "3"] and "All 3 done" in str(updated["blocks"])
    # Sam ticks one in the DM, then another from `/checklists`
    updated = await tick(emulator, SAM, dms[SAM][0], ["1"])
    assert ticked(updated) == ["1"] and "1 of 3 done." in str(updated["blocks"])
    bot.clock.at = at(FRI, 17, 0, LONDON)  # type: ignore[attr-defined]
    mine = await answer(emulator, SAM, "/checklists")
    assert "Your checklists for Friday 6 March: 0 of 1 finished." == mine.text
    assert "1 of 3 done." in str(mine.blocks)
    shown = next(e for e in emulator.ephemerals_for(SAM) if e.text == mine.text)
    group = next(b for b in shown.blocks or [] if b.get("type") == "actions")
    result = await emulator.click_ephemeral_button(SAM, shown.channel, shown.ts, "checklist_tick",
                                                   block_id=group["block_id"],
                                                   fields={"selected_options": [{"value": "1"}, {"value": "2"}]})
    assert not result.timed_out
    fresh = await eventually(lambda: next((e for e in emulator.ephemerals_for(SAM) if "2 of 3 done." in str(e.blocks)),
                                          None), within=15)
    assert fresh.text == "Your checklists for Friday 6 March: 0 of 1 finished."
    assert shown not in emulator.ephemerals_for(SAM)  # replaced, not added to
    async with await db(db_dsn) as conn:
        rows = {r[0]: (r[1], r[2] is not None) for r in await (await conn.execute(
            "SELECT p.external_id, c.items_done, c.completed_at, c.message_ts FROM checklist_completions c "
            "JOIN platform_identities p ON p.user_id = c.user_id")).fetchall()}
    assert rows == {DIEGO: (["1", "2", "3"], True), SAM: (["1", "2"], False), MAYA: ([], False)}
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'checklist.refused'") == 0

    # the end of each person's day: Sam's at London midnight, Maya's at New York midnight; Diego finished
    sat = FRI + timedelta(days=1)
    assert (await run(bot, at(sat, 0, 0, LONDON)))["incomplete"] == 1
    assert (await run(bot, at(sat, 0, 0, NY)))["incomplete"] == 1
    assert (await run(bot, at(sat, 9, 0, NY)))["incomplete"] == 0
    async with await db(db_dsn) as conn:
        missed = {r[0] for r in await (await conn.execute(
            "SELECT p.external_id FROM checklist_completions c JOIN platform_identities p ON p.user_id = c.user_id "
            "WHERE c.missed_at IS NOT NULL")).fetchall()}
        assert missed == {SAM, MAYA}
        org = await fetchval(conn, "SELECT id FROM organizations")
        assert await fetchval(conn, "SELECT count(*) FROM checklist_completions WHERE message_ts IS NULL") == 0
    async with bot.pool.connection() as conn:
        figures = await kpis.compute(conn, org, since=date(2026, 3, 2), until=date(2026, 3, 8),
                                     now=at(date(2026, 3, 9), 9, 0, NY))
    compliance = figures.team["checklist_compliance"]
    assert compliance.value is not None and abs(compliance.value - 1 / 3) < 1e-9


async def test_bad_checklist_commands_get_specific_answers(bot: Steward, emulator: SlackEmulator, db_dsn: str) -> None:
    too_many = "; ".join(f"step {n}" for n in range(101))
    cases = [
        (SAM, ADD, "only Steward admins can add checklists"),
        (MAYA, '"Deploy" for client Globex every friday 16:00 items: a', "I don't know a client called `Globex`"),
        (MAYA, '"Late" for everyone every friday 4pm-ish items: a', "I couldn't read the time in 'every friday 4pm-ish'"),
        (MAYA, '"Late" for everyone every fryday 16:00 items: a', "I couldn't read the day in 'every fryday 16:00'"),
        (MAYA, '"Empty" for everyone every friday 16:00 items: ;', "A checklist needs items"),
        (MAYA, f'"Long" for everyone every friday 16:00 items: {too_many}', "a checklist holds at most 100"),
        (MAYA, '"Wordy" for everyone daily 17:00 items: ' + "w" * 76, "Slack shows at most 75 in a checkbox"),
        (MAYA, '"Who" for interns daily 17:00 items: a', "I couldn't read who it is for (`interns`)"),
    ]
    for user, text, expected in cases:
        assert expected in await answer_text(emulator, user, "/steward", f"checklist add {text}"), text
    assert "added" in await answer_text(emulator, MAYA, "/steward", f"checklist add {ADD}")
    assert "already a checklist called" in await answer_text(emulator, MAYA, "/steward", f"checklist add {ADD}")
    assert "I don't know a checklist called “Nope”" in await answer_text(
        emulator, MAYA, "/steward", 'sop add "Deploy SOP" checklist "Nope"')
    assert "only Steward admins" in await answer_text(emulator, SAM, "/steward", 'sop add "X" checklist "Friday wrap-up"')
    sop = await answer_text(emulator, MAYA, "/steward", 'sop add "Friday close" checklist "Friday wrap-up"')
    assert "SOP “Friday close” (`friday-close`) added" in sop and "3 steps" in sop
    assert "*Friday close* (`friday-close`) · checklist “Friday wrap-up” · 3 steps" in await answer_text(
        emulator, MAYA, "/steward", "sops")
    assert "You have no checklists due today" in await answer_text(emulator, DIEGO, "/checklists")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM checklists") == 1
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'checklist.refused'") == 9
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied'") == 2
