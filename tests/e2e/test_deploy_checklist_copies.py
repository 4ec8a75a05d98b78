"""Copies of one deploy checklist (tester16b N1), end to end through the Slack emulator: the 24-hour reminder's
checklist DM and the 1-hour reminder both carry the same checkboxes. Ticking an item in either copy changes only that
item, and every copy then shows the state as recorded; an older copy that still shows fewer ticks (a client that had
not refreshed) never unticks what another copy ticked."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import checklists
from db.repos.users import user_by_slack_id
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, answer_text
from tests.e2e.test_checklists import ticked
from tests.e2e.test_client_card import value
from tests.e2e.test_deploy_reminders import THURSDAY, bot, dms, ny, run, value_of
from tests.helpers import eventually

clock = team.clock
__all__ = ["bot", "clock"]


async def copies(emulator: SlackEmulator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Diego's checklist DM (sent with the 24-hour reminder) and his 1-hour reminder, as Slack holds them now."""
    [day] = [m for m in await dms(emulator, DIEGO, "checklist:") if ":clipboard:" in str(m.get("blocks"))]
    [hour] = await dms(emulator, DIEGO, "deploy is today, Thu 12 Mar at 15:00")
    return day, hour


async def click(emulator: SlackEmulator, message: dict[str, Any], key: str, updated: list[str]) -> None:
    """Tick item ``key`` in ``message`` as Slack's client does: the group's selected options are what the message
    shows ticked plus that item; then wait for Steward's chat.update of each message in ``updated`` (ts)."""
    block = next(b for b in message["blocks"] if str(b.get("block_id", "")).startswith("checklist:"))
    channel = await emulator.dm_channel(DIEGO)
    mark = len(emulator.calls)
    result = await emulator.click_button(DIEGO, message_ts=message["ts"], channel=channel, action_id="checklist_tick",
                                        block_id=block["block_id"],
                                        fields={"selected_options": [{"value": v} for v in [*ticked(message), key]]})
    assert not result.timed_out
    for ts in updated:
        await emulator.wait_for_call("chat.update", lambda call, ts=ts: call.args.get("ts") == ts,  # type: ignore[misc]
                                     since=mark, timeout=15)


async def done(db_dsn: str) -> list[str]:
    return list(await value(db_dsn, "SELECT items_done FROM checklist_completions"))


async def test_ticks_in_the_24_hour_and_1_hour_copies_all_count_and_every_copy_shows_them(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    assert "members are now" in await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    assert "Thu 12 Mar 2026 15:00" in said, said
    assert (await run(bot, clock, ny(3, 11, 15, 0)))["reminders"] == 1  # -24 h: the lead-in and the checklist
    assert (await run(bot, clock, ny(3, 12, 14, 0)))["reminders"] == 1  # -1 h: the same checkboxes
    day, hour = await copies(emulator)
    assert ticked(day) == [] and ticked(hour) == []

    await click(emulator, day, "1", [day["ts"], hour["ts"]])  # "Run the tests", in the 24-hour copy
    assert await done(db_dsn) == ["1"]
    day, hour = await copies(emulator)
    assert ticked(day) == ["1"] and ticked(hour) == ["1"]  # the other copy was refreshed too

    await click(emulator, hour, "2", [day["ts"], hour["ts"]])  # "Back up the database", in the 1-hour copy
    assert await done(db_dsn) == ["1", "2"]
    day, hour = await copies(emulator)
    assert ticked(day) == ["1", "2"] and ticked(hour) == ["1", "2"]
    assert "2 of 3 done" in str(day["blocks"]) and "2 of 3 done" in str(hour["blocks"])

    await click(emulator, day, "3", [day["ts"], hour["ts"]])  # "Tag the release", back in the 24-hour copy: nothing lost
    assert await done(db_dsn) == ["1", "2", "3"]
    day, hour = await copies(emulator)
    assert ticked(day) == ["1", "2", "3"] and ticked(hour) == ["1", "2", "3"]
    assert "All 3 done" in str(day["blocks"]) and "All 3 done" in str(hour["blocks"])
    assert hour["blocks"][0]["text"]["text"].startswith(":rocket: Deploy reminder")  # its header kept

    first = await run(bot, clock, ny(3, 12, 15, 0))
    assert first["records"] == 1 and first["non_compliant_told"] == 0
    assert await value(db_dsn, "SELECT compliant FROM sop_records") is True


async def test_two_ticks_at_once_on_two_copies_both_count_and_both_copies_show_them(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Item 1 ticked in the 24-hour copy and item 2 in the 1-hour copy at the same moment, each from a copy showing
    nothing ticked: both count, and each copy ends up showing both (each refresh reads the row under the message's
    lock, so the last one to write shows the latest state)."""
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    await run(bot, clock, ny(3, 11, 15, 0))
    await run(bot, clock, ny(3, 12, 14, 0))
    day, hour = await copies(emulator)
    channel = await emulator.dm_channel(DIEGO)

    async def press(message: dict[str, Any], key: str) -> None:
        block = next(b for b in message["blocks"] if str(b.get("block_id", "")).startswith("checklist:"))
        result = await emulator.click_button(DIEGO, message_ts=message["ts"], channel=channel,
                                            action_id="checklist_tick", block_id=block["block_id"],
                                            fields={"selected_options": [{"value": key}]})
        assert not result.timed_out

    await asyncio.gather(press(day, "1"), press(hour, "2"))

    async def settled() -> bool:
        now_day, now_hour = await copies(emulator)
        return ticked(now_day) == ["1", "2"] and ticked(now_hour) == ["1", "2"]

    assert await eventually(settled, within=15)
    assert await done(db_dsn) == ["1", "2"]


async def test_a_stale_copy_changes_only_the_item_ticked(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """A tick from a copy that still showed only item 1 while items 1 and 2 were done (a race with another copy's
    tick, or a client that had not refreshed): item 3 is added, item 2 stays; an untick there removes only that item."""
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    await run(bot, clock, ny(3, 11, 15, 0))
    async with bot.pool.connection() as conn:
        org = int(await value_of(conn, "SELECT id FROM organizations"))
        diego = await user_by_slack_id(conn, org, DIEGO)
        assert diego is not None
        completion = int(await value_of(conn, "SELECT id FROM checklist_completions WHERE for_date = %s", THURSDAY))
        block = f"checklist:{completion}:0"
        await checklists.tick(conn, org, diego, block, ["1", "2"], ny(3, 11, 16), shown=[])
        _, row = await checklists.tick(conn, org, diego, block, ["1", "3"], ny(3, 11, 17), shown=["1"])
        assert row.items_done == ["1", "2", "3"] and row.completed_at is not None
        _, row = await checklists.tick(conn, org, diego, block, [], ny(3, 11, 18), shown=["1"])
        assert row.items_done == ["2", "3"] and row.completed_at is None
        # Without the message (an ephemeral `/checklists`, which Slack does not send back): the group becomes exactly
        # what was selected, as that view was rendered from the row a moment before.
        _, row = await checklists.tick(conn, org, diego, block, ["1"], ny(3, 11, 19))
        assert row.items_done == ["1"]
