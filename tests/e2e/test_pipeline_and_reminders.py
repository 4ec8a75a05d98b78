"""Stage administration, reminders, and the AI fallback, end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest_asyncio

from bot.clock import Clock, FrozenClock
from bot.emulators.openai_fake import OpenAIFake
from bot.emulators.slack import SlackEmulator
from bot.services import reminders, workspace
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, answer_text, start_steward
from tests.e2e.test_tasks import _make_task, _preview, send_dm
from tests.helpers import eventually, fetchval

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    running = await start_steward(emulator, db_dsn, tmp_path, clock=FrozenClock(at=NOW))
    try:
        yield running.bot
    finally:
        await running.stop()



async def test_admin_manages_stages_and_members_cannot(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    refused = await answer_text(emulator, SAM, "/steward", "stage add QA limit 2")
    assert "only Steward admins" in refused
    added = await answer_text(emulator, MAYA, "/steward", "stage add QA limit 2 color #00BCD4")
    assert "Added stage *QA*" in added
    assert await answer_text(emulator, MAYA, "/steward", "stage rename qa to Quality check") and True
    limit = await answer_text(emulator, MAYA, "/steward", "stage limit quality check 4")
    assert "WIP limit: 4" in limit
    await answer_text(emulator, MAYA, "/steward", "stage reorder quality-check 1")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        rows = await (await conn.execute("SELECT slug, wip_limit, color FROM pipeline_stages ORDER BY position")).fetchall()
        denied = await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied'")
        audited = [r[0] for r in await (await conn.execute("SELECT action FROM audit_logs ORDER BY id")).fetchall()]
    assert rows[0] == ("quality-check", 4, "#00BCD4")
    assert [r[0] for r in rows] == ["quality-check", "backlog", "to-do", "in-progress", "review", "done"]
    assert denied == 1
    assert audited == ["stage.added", "stage.renamed", "stage.limit_set", "stage.reordered"]


async def test_removing_a_stage_with_tasks_asks_where_they_go(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    await _make_task(emulator, SAM, "fix the signup bug by Friday")
    result = await emulator.slash_command(MAYA, "/steward", "stage remove to do", channel=ACME)
    ask = await result.wait_for_response(timeout=10)
    assert "still holds 1 task" in ask.text
    buttons = next(b for b in ask.blocks if b.get("block_id") == "stage_remove_into")["elements"]
    assert {b["text"]["text"] for b in buttons} >= {"Move to Backlog", "Move to Review"}
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM pipeline_stages WHERE slug = 'to-do'") == 1  # nothing removed yet
    # The emulator cannot press buttons on ephemeral messages; the command form gives the same answer.
    await answer_text(emulator, MAYA, "/steward", "stage remove to do into backlog")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await eventually(lambda: fetchval(conn, "SELECT count(*) = 0 FROM pipeline_stages WHERE slug = 'to-do'"))
        assert await fetchval(conn, "SELECT s.slug FROM tasks t JOIN pipeline_stages s ON s.id = t.stage_id") == "backlog"



async def test_tasktype_add_changes_parsing(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    reply = await answer_text(emulator, MAYA, "/steward", "tasktype add audit compliance l 8")
    assert "are now *compliance*, size L, weight 8" in reply
    await _make_task(emulator, SAM, "audit the vendor contracts by Friday")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        row = await (await conn.execute("SELECT task_type, size, weight FROM tasks")).fetchone()
    assert row == ("compliance", "l", 8)


async def test_reminder_from_a_dm_is_stored_in_the_persons_timezone(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    reply = await send_dm(emulator, PRIYA, "remind me to send the invoice tomorrow at 3pm")
    assert "I'll remind you to *send the invoice*" in reply["text"]
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        row = await (await conn.execute("SELECT text, fire_at, timezone, status FROM reminders")).fetchone()
    # 20:00 UTC on Wed is 01:30 Thu in Kolkata: "tomorrow" is Friday 6 March, 15:00 IST = 09:30 UTC.
    assert row == ("send the invoice", datetime(2026, 3, 6, 9, 30, tzinfo=UTC), "Asia/Kolkata", "pending")
    listing = await (await emulator.slash_command(PRIYA, "/reminders", "", channel=ACME)).wait_for_response(timeout=10)
    assert "send the invoice" in str(listing.blocks)
    recurring = await send_dm(emulator, SAM, "remind me every Monday at 9 to plan the week")
    assert "every Mon at 09:00" in recurring["text"]


async def test_reminder_command_is_one_slack_routes_to_steward(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    # Slack keeps /remind for Slackbot; Steward's command is /reminder (the manifest declares it).
    manifest = (Path(__file__).parents[2] / "manifest.yaml").read_text()
    assert "command: /reminder\n" in manifest and "command: /remind\n" not in manifest
    reply = await answer_text(emulator, PRIYA, "/reminder", "me to call the bank tomorrow at 3pm")
    assert "I'll remind you to *call the bank*" in reply
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT fire_at FROM reminders") == datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
    usage = await answer_text(emulator, PRIYA, "/reminder", "")
    assert "/reminder me to" in usage


async def _reminder(db_dsn: str, slack_id: str, text: str, fire_at: datetime, now: datetime) -> int:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        user = await workspace.user_by_slack_id(conn, org, slack_id)
        assert user is not None
        return (await reminders.create(conn, org, user, text, fire_at, recurrence=None, source_text=text, now=now)).id


async def _dm_texts(emu: SlackEmulator, user: str) -> list[str]:
    return [m.get("text", "") for m in emu.messages(await emu.dm_channel(user))]


async def test_reminder_fires_at_its_instant_once(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    running = await start_steward(emulator, db_dsn, tmp_path, clock=Clock())
    try:
        now = datetime.now(UTC)
        rid = await _reminder(db_dsn, SAM, "stretch", now + timedelta(seconds=1.5), now)
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            from jobs import reminders as reminder_jobs
            reminder_jobs.schedule(running.bot.deps, await reminders.get(conn, await fetchval(conn, "SELECT id FROM organizations"), rid))
        channel = await emulator.dm_channel(SAM)
        call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, channel) and "stretch" in c.args.get("text", ""), timeout=10)
        assert call.at >= 0
        await running.bot.scheduler.run_claimed("reminders")  # the sweep finds nothing more to do
        await asyncio.sleep(0.5)
        assert [t for t in await _dm_texts(emulator, SAM) if "stretch" in t] == [":alarm_clock: Reminder: stretch"]
    finally:
        await running.stop()


async def test_reminder_survives_restart_and_missed_one_fires_late_once(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    first = await start_steward(emulator, db_dsn, tmp_path, clock=Clock())
    now = datetime.now(UTC)
    await _reminder(db_dsn, SAM, "water the plants", now + timedelta(seconds=2.5), now)
    await _reminder(db_dsn, PRIYA, "call the bank", now + timedelta(seconds=0.5), now)
    await first.stop()  # down before either instant
    await asyncio.sleep(1.0)  # "call the bank" is missed while we are down (and treated as late below)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute("UPDATE reminders SET fire_at = fire_at - interval '1 hour' WHERE text = 'call the bank'")
    second = await start_steward(emulator, db_dsn, tmp_path, clock=Clock())
    third = await start_steward(emulator, db_dsn, tmp_path / "3", clock=Clock())  # a second process restores too
    try:
        await emulator.wait_for_call("chat.postMessage", lambda c: "water the plants" in c.args.get("text", ""), timeout=10)
        await emulator.wait_for_call("chat.postMessage", lambda c: "call the bank" in c.args.get("text", ""), timeout=10)
        await asyncio.sleep(0.8)
        plants = [t for t in await _dm_texts(emulator, SAM) if "water the plants" in t]
        bank = [t for t in await _dm_texts(emulator, PRIYA) if "call the bank" in t]
        assert len(plants) == 1 and "late" not in plants[0]
        assert len(bank) == 1 and "this is late" in bank[0]
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            assert dict(await (await conn.execute("SELECT text, late FROM reminders")).fetchall()) == {"water the plants": False, "call the bank": True}
    finally:
        await second.stop()
        await third.stop()


async def test_openai_failing_three_times_falls_back_to_offline_draft(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    fake = OpenAIFake()
    await fake.start()
    fake.fail_next(3, status=500)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=FrozenClock(at=NOW),
                                  OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
    try:
        reply = await send_dm(emulator, SAM, "I'll redo the Acme landing page by Friday and fix the login bug")
        preview = _preview(emulator, await emulator.dm_channel(SAM))
        assert "Parsed offline" in str(preview["blocks"])
        assert len([c for c in fake.calls if c.path.endswith("/chat/completions")]) == 3
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            assert await fetchval(conn, "SELECT parser FROM task_drafts") == "offline"
            assert await fetchval(conn, "SELECT jsonb_array_length(parsed->'tasks') FROM task_drafts") == 2
        assert reply
        # With the service healthy again, the next draft comes from the model.
        await send_dm(emulator, SAM, "write the newsletter by Monday")
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            assert await fetchval(conn, "SELECT parser FROM task_drafts ORDER BY id DESC LIMIT 1") == "llm"
    finally:
        await running.stop()
        await fake.stop()


async def test_reminder_cancel_button_cancels_it(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    reply = await send_dm(emulator, SAM, "remind me to renew the domain tomorrow at 10am")
    channel = await emulator.dm_channel(SAM)
    message = next(m for m in emulator.messages(channel)
                   if "renew the domain" in m.get("text", "") and any("accessory" in b for b in m.get("blocks") or []))
    button = message["blocks"][0]["accessory"]
    assert button["action_id"] == "reminder_cancel" and reply
    result = await emulator.click_button(SAM, message_ts=message["ts"], channel=channel, action_id="reminder_cancel", value=button["value"])
    response = await result.wait_for_response(timeout=10)
    assert "Cancelled: renew the domain" in response.text
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT status FROM reminders") == "cancelled"
    # Someone else pressing it (a forwarded message) is refused.
    other = await emulator.click_button(PRIYA, message_ts=message["ts"], channel=channel, action_id="reminder_cancel", value=button["value"],
                                       seen=message)
    assert "isn't yours" in (await other.wait_for_response(timeout=10)).text


async def test_app_home_move_button_starts_a_task(emulator: SlackEmulator, bot, db_dsn: str) -> None:  # type: ignore[no-untyped-def]
    await _make_task(emulator, SAM, "draft the Q2 roadmap by Friday")
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    view = emulator.home_views[SAM]
    start = next(e for b in view["blocks"] if b.get("type") == "actions" for e in b["elements"] if e["action_id"] == "home_task_move")
    assert start["text"]["text"] == "Start"
    mark = len(emulator.calls)
    await emulator.click_button(SAM, view_id=view["id"], action_id="home_task_move", value=start["value"])
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        row = await (await conn.execute("SELECT t.status, s.slug FROM tasks t JOIN pipeline_stages s ON s.id = t.stage_id")).fetchone()
    assert row == ("in_progress", "in-progress")
    assert "To review" in str(emulator.home_views[SAM]["blocks"])
