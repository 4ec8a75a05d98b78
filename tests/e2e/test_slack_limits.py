"""Steward stays inside Slack's limits, and a post Slack refuses for good is neither retried nor
leaves rows behind: the person is told what happened. The emulator refuses what Slack refuses
(tests/emulators/test_block_limits.py), so every post here is checked against Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio

from bot import slack_limits as L
from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, STANDUP, start_steward
from tests.e2e.test_daily_rhythm import add_task, configure, reply, run_job, wait_thread, wait_until
from tests.helpers import fetchval

# Thursday 5 March 2026, 10:00 in New York (Maya), 15:00 in London (Sam).
NOW = datetime(2026, 3, 5, 15, 0, 30, tzinfo=UTC)
SIXTY = "My tasks for this week:\n" + "\n".join(f"- Update the product page for SKU-{n}" for n in range(100, 160))


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=NOW)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def scalar(dsn: str, sql: str, params: Any = None) -> Any:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await fetchval(conn, sql, params)


async def inbox_settled(dsn: str) -> bool:
    return await scalar(dsn, "SELECT count(*) FROM event_inbox WHERE status IN ('pending', 'processing')") == 0


def block_text(blocks: list[dict[str, Any]]) -> str:
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict) and "text" in e
                   and isinstance(e["text"], str))
    return "\n".join(out)


async def test_sixty_tasks_in_one_dm_make_one_draft_that_fits_in_one_message(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    dm = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.user_message(SAM, dm, SIXTY)
    posted = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("blocks") is not None and c.ok,
                                          since=mark, timeout=20)
    await wait_until(lambda: inbox_settled(db_dsn))
    # One preview, accepted by Slack's limits, listing all sixty; no refused post, one draft row.
    assert [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and not c.ok] == []
    blocks = posted.args["blocks"]
    assert len(blocks) <= L.MESSAGE_BLOCKS
    text = block_text(blocks)
    assert all(f"SKU-{n}" in text for n in range(100, 160)), text
    assert "60 tasks" in text
    assert await scalar(db_dsn, "SELECT count(*) FROM task_drafts") == 1
    assert await scalar(db_dsn, "SELECT count(*) FROM event_inbox WHERE status = 'dead'") == 0
    # Any task can still be edited before confirming: the "Edit a task…" select opens the same modal.
    preview = next(m for m in emulator.messages(dm) if m.get("blocks") and m["ts"] == posted.response["ts"])
    select = next(e for b in preview["blocks"] if b.get("block_id") == "draft_actions" for e in b["elements"]
                  if e["type"] == "static_select")
    pick = next(o for o in select["options"] if "SKU-141" in o["text"]["text"])
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=preview["ts"], channel=dm, action_id="draft_edit",
                                fields={"selected_option": pick})
    opened = await emulator.wait_for_call("views.open", since=mark, timeout=10)
    assert "SKU-141" in opened.args["view"]["blocks"][0]["element"]["initial_value"]
    # Confirm creates all sixty.
    draft_id = next(e["value"] for b in preview["blocks"] if b.get("block_id") == "draft_actions" for e in b["elements"]
                    if e["action_id"] == "draft_confirm")
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=preview["ts"], channel=dm, action_id="draft_confirm", value=draft_id)
    update = await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert update.ok, update.response
    assert await scalar(db_dsn, "SELECT count(*) FROM tasks") == 60

    # The lists that show them stay inside the limits too: /tasks lists all sixty (packed into a few
    # sections); the board and App Home show the first ones and say exactly how many more there are.
    mine = await (await emulator.slash_command(SAM, "/tasks", "", channel=ACME)).wait_for_response(timeout=10)
    listed = block_text(mine.blocks)
    assert "(60)" in listed and all(f"`T-{n}`" in listed for n in range(1, 61))
    board = await (await emulator.slash_command(SAM, "/board", "", channel=ACME)).wait_for_response(timeout=10)
    assert "\u2026and 50 more" in block_text(board.blocks)
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    home = await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    assert home.ok, home.response
    assert "\u2026and 45 more: `/tasks` lists them all." in block_text(emulator.home_views[SAM]["blocks"])


async def test_a_refused_draft_preview_is_not_retried_leaves_no_draft_and_says_why(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    dm = await emulator.dm_channel(SAM)
    emulator.refuse_next("chat.postMessage", "invalid_blocks")
    mark = len(emulator.calls)
    await emulator.user_message(SAM, dm, "I'll fix the login bug by Friday")
    told = await emulator.wait_for_call("chat.postMessage", lambda c: c.ok and "saved nothing" in (c.args.get("text") or ""),
                                        since=mark, timeout=20)
    assert "invalid_blocks" in told.args["text"]
    await wait_until(lambda: inbox_settled(db_dsn))
    attempts = [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("blocks")]
    assert len(attempts) == 1  # refused once, never retried
    assert await scalar(db_dsn, "SELECT count(*) FROM task_drafts") == 0
    assert await scalar(db_dsn, "SELECT status FROM event_inbox WHERE kind = 'events_api' ORDER BY id DESC LIMIT 1") == "done"
    assert await scalar(db_dsn, "SELECT count(*) FROM event_inbox WHERE status = 'dead'") == 0


async def test_any_reply_slack_refuses_for_good_is_explained_not_retried(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    dm = await emulator.dm_channel(SAM)
    emulator.refuse_next("chat.postMessage", "msg_too_long")
    mark = len(emulator.calls)
    await emulator.user_message(SAM, dm, "help")
    told = await emulator.wait_for_call("chat.postMessage", lambda c: c.ok and "msg_too_long" in (c.args.get("text") or ""),
                                        since=mark, timeout=20)
    assert "Sorry, I couldn't finish that" in told.args["text"]
    await wait_until(lambda: inbox_settled(db_dsn))
    row = await scalar(db_dsn, "SELECT status || ' ' || last_error FROM event_inbox WHERE kind = 'events_api' ORDER BY id DESC LIMIT 1")
    assert row == "done slack refused: msg_too_long"
    assert len([c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and not c.ok]) == 1


async def test_end_of_day_check_in_with_long_titles_fits_slacks_option_limit(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri eod 17:30")
    long_title = "Rewrite the onboarding email sequence for the Acme enterprise trial customers in three languages"
    assert len(long_title) > 75
    ids = [await add_task(db_dsn, MAYA, f"{long_title} (part {n})") for n in range(12)]
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    thread = await wait_thread(emulator, mark)
    thread_ts = next(m["ts"] for m in emulator.messages(STANDUP, include_replies=False) if m.get("text") == thread["text"])
    await reply(emulator, MAYA, thread_ts, "Today: " + ", ".join(ids))
    clock.at = datetime(2026, 3, 5, 22, 30, 30, tzinfo=UTC)  # 17:30 in New York
    mark = len(emulator.calls)
    await run_job(bot, "end-of-day")
    checkin = await emulator.wait_for_call("chat.postMessage", lambda c: "End of day" in (c.args.get("text") or ""),
                                           since=mark, timeout=15)
    assert checkin.ok, checkin.response
    groups = [e for b in checkin.args["blocks"] if b.get("type") == "actions" for e in b["elements"] if e["type"] == "checkboxes"]
    options = [o for g in groups for o in g["options"]]
    assert len(groups) == 2 and len(options) == 12
    assert all(len(o["text"]["text"]) <= L.OPTION_TEXT for o in options)
    assert sorted(o["text"]["text"].split("`")[1] for o in options) == sorted(ids)
    assert all(o["text"]["text"].endswith("\u2026") and " Rewrite the onboarding" in o["text"]["text"] for o in options)


async def test_a_title_over_the_limit_is_shortened_at_a_word_never_inside_a_mention_or_link(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    long = ("coordinate the quarterly content calendar review with the marketing, design and engineering leads, "
            "including every landing page, the onboarding emails, the pricing page and the footer copy")
    dm = await emulator.dm_channel(SAM)
    mark = len(emulator.calls)
    await emulator.user_message(SAM, dm, f"I'll {long} with <@{PRIYA}> and <https://github.com/acme/web/pull/42> by Friday")
    await emulator.wait_for_call("chat.postMessage", lambda c: c.ok and c.args.get("blocks") is not None, since=mark, timeout=20)
    title = await scalar(db_dsn, "SELECT parsed->'tasks'->0->>'title' FROM task_drafts")
    assert len(title) <= 200 and title.endswith("\u2026"), title
    # Cut after a whole word of what was written (a mention or link kept whole, never half of one).
    kept = title.removesuffix("\u2026")
    assert f"{long} with <@{PRIYA}> and <https://github.com/acme/web/pull/42>".startswith(kept), title
    assert f"{long} with <@{PRIYA}> and <https://github.com/acme/web/pull/42> "[len(kept)] == " ", title


async def test_fifty_five_stages_still_fit_the_board_and_app_home(emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        for n in range(50):
            await conn.execute(
                "INSERT INTO pipeline_stages (organization_id, name, slug, position, wip_limit) VALUES (%s, %s, %s, %s, 4)",
                (org, f"Stage number {n} for the extended content approval workflow", f"stage-{n}", 100 + n))
    board = await (await emulator.slash_command(SAM, "/board", "", channel=ACME)).wait_for_response(timeout=10)
    text = block_text(board.blocks)
    assert len(board.blocks) <= L.MESSAGE_BLOCKS
    # Every stage is there or counted, and the last one (Done) is not silently lost.
    shown = text.count("Stage number")
    assert shown == 50 or f"\u2026and {50 - shown} more stages" in text, text[-300:]
    assert shown < 50 or "*Done*" in text
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    home = await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    assert home.ok, home.response
    assert "Stage number 49" in block_text(emulator.home_views[SAM]["blocks"]) or "\u2026" in block_text(
        emulator.home_views[SAM]["blocks"])
