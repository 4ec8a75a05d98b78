"""Markup in what people write (issue 9, part 2), end to end through the emulator: Slack's markup is
read into plain words for the parser and the model, people and links come back in titles as Slack
renders them, emoji shortcodes survive, a standup reply may start with a mention, and nothing a
person wrote makes Steward ping a channel or a group when it is echoed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.openai_fake import OpenAIFake
from bot.emulators.slack import SlackEmulator
from bot.slack_markup import NO_PING
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, STANDUP, answer, dm, start_steward
from tests.helpers import fetchval

KIM = "U0KIM"
FRIDAY = date(2026, 3, 6)
PR = "<https://github.com/acme/web/pull/42|PR #42>"
ISSUE_DM = f"I'll review {PR} with <@{PRIYA}> by Friday :rocket:"
TITLE = f"review {PR} with <@{PRIYA}> :rocket:"
SETTINGS = f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri nudge 60 summary 120 eod 17:30"
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 6, 13, 0, 30))  # Friday 08:00 in New York, before the thread


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    # Names are user-controlled too: Kim's profile name holds what would ping if echoed raw.
    emulator.add_user(KIM, "kim", "Kim <!here> @channel Lee", email="kim@acme.test", tz="America/New_York")
    emulator.workspace.channel(STANDUP).members.append(KIM)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


# ---------------------------------------------------------------- helpers

async def db(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def run_job(bot: Steward, name: str) -> Any:
    return await bot.scheduler.run_claimed(name, bot.clock.now())


async def configure(emu: SlackEmulator) -> None:
    text = (await answer(emu, MAYA, "/steward", f"standup {SETTINGS}", channel=STANDUP)).text or ""
    assert "Saved" in text


async def set_manager(dsn: str, manager: str, reports: list[str]) -> None:
    async with await db(dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute(
            "UPDATE users SET manager_id = (SELECT user_id FROM platform_identities WHERE organization_id = %s AND external_id = %s) "
            "WHERE id IN (SELECT user_id FROM platform_identities WHERE organization_id = %s AND external_id = ANY(%s))",
            (org, manager, org, reports))


def _preview(emu: SlackEmulator, channel: str) -> dict[str, Any]:
    return [m for m in emu.messages(channel) if any(b.get("block_id") == "draft_actions" for b in m.get("blocks") or [])][-1]


async def draft_and_confirm(emu: SlackEmulator, user: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """DM Steward ``text``, press Confirm; returns (the preview, the confirmed preview's update)."""
    await dm(emu, user, text, within=15)
    channel = await emu.dm_channel(user)
    preview = _preview(emu, channel)
    value = next(e["value"] for b in preview["blocks"] if b.get("block_id") == "draft_actions"
                 for e in b["elements"] if e["action_id"] == "draft_confirm")
    mark = len(emu.calls)
    await emu.click_button(user, message_ts=preview["ts"], channel=channel, action_id="draft_confirm", value=value)
    update = await emu.wait_for_call("chat.update", since=mark, timeout=15)
    return preview, update.args


async def morning_thread(emu: SlackEmulator, bot: Steward, clock: FrozenClock) -> tuple[dict[str, Any], str]:
    """Friday 09:00 in New York: the thread is posted; returns (the chat.postMessage arguments, its ts)."""
    clock.at = utc(2026, 3, 6, 14, 0, 30)
    mark = len(emu.calls)
    await run_job(bot, "morning-thread")
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP and not c.args.get("thread_ts"),
                                   since=mark, timeout=15)
    (root,) = [m for m in emu.messages(STANDUP, include_replies=False) if m.get("bot_id")]
    return call.args, str(root["ts"])


async def reply(emu: SlackEmulator, user: str, thread_ts: str, text: str) -> dict[str, Any]:
    """Reply in the thread as ``user``; returns the chat.postMessage Steward answered with under it."""
    mark = len(emu.calls)
    await emu.user_message(user, STANDUP, text, thread_ts=thread_ts)
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == thread_ts, since=mark, timeout=15)
    return call.args


def shown(args: dict[str, Any]) -> str:
    """Everything a post, a response or a view shows: its text and its blocks, as JSON."""
    return json.dumps({"text": args.get("text"), "blocks": args.get("blocks"), "view": args.get("view")}, ensure_ascii=False)


def assert_no_ping(args: dict[str, Any], *neutralised: str) -> None:
    seen = shown(args)
    for ping in PINGS:
        assert ping not in seen, (ping, seen)
    for name in neutralised:
        assert f"@{NO_PING}{name}" in seen, (name, seen)


# ---------------------------------------------------------------- the DM of the issue

async def test_a_dm_with_a_link_a_mention_and_an_emoji_shows_them_as_slack_renders_them(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator)
    preview, confirmed = await draft_and_confirm(emulator, SAM, ISSUE_DM)
    item = next(b["text"]["text"] for b in preview["blocks"] if b.get("block_id") == "draft_item_0")
    assert item.startswith(f"*{TITLE}*\n") and "due today" in item  # Friday: it is Friday in London
    assert "&lt;" not in shown(preview) and TITLE in shown(confirmed)
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT title FROM tasks") == TITLE
        assert await fetchval(conn, "SELECT due_date FROM tasks") == FRIDAY

    # /tasks and /board (in a channel), App Home, and the standup thread show the same title.
    for command in ("/tasks", "/board"):
        response = await answer(emulator, SAM, command, channel=ACME)
        assert TITLE in shown(response.body) and "&lt;" not in shown(response.body), command
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    home = await emulator.wait_for_call("views.publish", lambda c: c.args.get("user_id") == SAM, since=mark, timeout=15)
    assert TITLE in shown(home.args) and "&lt;" not in shown(home.args)
    thread, _ = await morning_thread(emulator, bot, clock)
    sam_line = next(line for b in thread["blocks"] if b.get("type") == "section" for line in b["text"]["text"].splitlines()
                    if "Sam" in line)
    assert f"`T-1` {TITLE}" in sam_line


async def test_the_model_reads_plain_words_and_the_title_keeps_the_markup(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> None:
    fake = OpenAIFake()
    await fake.start()
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
    try:
        await draft_and_confirm(emulator, SAM, ISSUE_DM)
        (call,) = [c for c in fake.calls if c.schema_name == "steward_tasks"]
        said = call.messages[-1]["content"]
        assert f"I'll review PR #42 with @{PRIYA} by Friday :rocket:" in said
        assert "<@" not in said and "<https" not in said and "&lt;" not in said
        async with await db(db_dsn) as conn:
            assert await fetchval(conn, "SELECT parser FROM task_drafts") == "llm"
            assert await fetchval(conn, "SELECT title FROM tasks") == TITLE
    finally:
        await running.stop()
        await fake.stop()


# ---------------------------------------------------------------- a standup reply that starts with a mention

async def test_a_standup_reply_that_starts_with_a_mention_is_an_update(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator)
    await set_manager(db_dsn, MAYA, [DIEGO, SAM, PRIYA, KIM])
    _, thread_ts = await morning_thread(emulator, bot, clock)

    clock.at = utc(2026, 3, 6, 14, 10, 30)
    answered = await reply(emulator, DIEGO, thread_ts,
                           f"<@{PRIYA}> and I will pair on the checkout bug today, then I'll deploy the staging build")
    assert f"pair on the checkout bug with <@{PRIYA}>" in shown(answered) and "deploy the staging build" in shown(answered)
    async with await db(db_dsn) as conn:
        plan = [r[0] for r in await (await conn.execute(
            "SELECT t.title FROM day_plan_items p JOIN tasks t ON t.id = p.task_id JOIN platform_identities pi "
            "ON pi.user_id = p.user_id WHERE pi.external_id = %s AND p.plan_date = %s ORDER BY t.display_number",
            (DIEGO, FRIDAY))).fetchall()]
        submitted = await fetchval(conn, "SELECT count(*) FROM thread_submissions s JOIN platform_identities pi "
                                         "ON pi.user_id = s.user_id WHERE pi.external_id = %s", (DIEGO,))
    assert plan == [f"pair on the checkout bug with <@{PRIYA}>", "deploy the staging build"] and submitted == 1

    # 10:00: the nudges go to those who have not replied, not to Diego; 11:00: Maya's summary leaves him out.
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    await run_job(bot, "nudges")
    clock.at = utc(2026, 3, 6, 16, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    maya_dm = await emulator.dm_channel(MAYA)
    summary = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm)
                                           and "of your reports" in c.args.get("text", ""), since=mark, timeout=15)
    assert f"<@{SAM}>" in summary.args["text"] and f"<@{DIEGO}>" not in summary.args["text"]
    async with await db(db_dsn) as conn:
        nudged = {r[0] for r in await (await conn.execute(
            "SELECT d.target_id FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id "
            "WHERE n.kind = 'standup.nudge'")).fetchall()}
    assert DIEGO not in nudged and {SAM, KIM} <= nudged  # (Priya: quiet hours in Kolkata)


# ---------------------------------------------------------------- nothing pings by accident

async def test_echoes_in_channels_never_ping(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator)
    await set_manager(db_dsn, MAYA, [DIEGO, SAM, PRIYA, KIM])
    kim_out = await answer(emulator, KIM, "/ooo", "today vacation", channel=STANDUP)
    assert "Got it" in (kim_out.text or "")

    # A draft and the tasks it makes: special and user-group mentions are shown, not sent.
    preview, confirmed = await draft_and_confirm(
        emulator, PRIYA, "I'll tell <!channel> about the release by Friday and ask @here for the logo :art:")
    assert_no_ping(preview, "channel", "here")
    assert_no_ping(confirmed, "channel")
    _, more = await draft_and_confirm(emulator, PRIYA, "loop in <!subteam^S0DESIGN|@design> on the <!everyone> memo")
    assert_no_ping(more, "design", "everyone")
    async with await db(db_dsn) as conn:
        titles = [r[0] for r in await (await conn.execute("SELECT title FROM tasks ORDER BY display_number")).fetchall()]
    assert titles[0] == f"tell @{NO_PING}channel about the release" and titles[1] == "ask @here for the logo :art:"
    assert not any("<!" in t for t in titles)

    # The standup thread lists them (and Kim, out today, by a name that holds "<!here>").
    thread, thread_ts = await morning_thread(emulator, bot, clock)
    assert_no_ping(thread, "channel", "here", "design", "everyone")
    assert "Kim &lt;!here&gt;" in shown(thread)

    # A reply in the thread: its plan, its blocker, Steward's answer under it.
    clock.at = utc(2026, 3, 6, 14, 10, 30)
    answered = await reply(emulator, PRIYA, thread_ts,
                           "I'll ping <!here> when the notes are ready. Blocked on <!everyone> signing the budget")
    assert_no_ping(answered, "here", "everyone")
    async with await db(db_dsn) as conn:
        blocker = await fetchval(conn, "SELECT description FROM blockers")
    assert blocker == f"@{NO_PING}everyone signing the budget"  # without its leading "Blocked on"

    # /tasks and /board, typed in the channel.
    for command, text in (("/tasks", ""), ("/tasks", "all"), ("/board", "")):
        response = await answer(emulator, PRIYA, command, text, channel=STANDUP)
        assert_no_ping(response.body, "channel")

    # The manager summary names Kim (out of office) by her profile name, without pinging.
    clock.at = utc(2026, 3, 6, 16, 0, 30)
    mark = len(emulator.calls)
    await run_job(bot, "nudges")
    maya_dm = await emulator.dm_channel(MAYA)
    summary = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm)
                                           and "of your reports" in c.args.get("text", ""), since=mark, timeout=15)
    assert_no_ping(summary.args, "channel")
    assert "Kim &lt;!here&gt;" in shown(summary.args)

    # Diego's plan, then his end-of-day check-in (a DM with a checkbox per planned task).
    clock.at = utc(2026, 3, 6, 16, 5, 30)
    answered = await reply(emulator, DIEGO, thread_ts, "I'll announce the fix to <!channel> today")
    assert_no_ping(answered, "channel")
    clock.at = utc(2026, 3, 6, 22, 30, 30)
    mark = len(emulator.calls)
    await run_job(bot, "end-of-day")
    diego_dm = await emulator.dm_channel(DIEGO)
    checkin = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (DIEGO, diego_dm),
                                           since=mark, timeout=15)
    assert_no_ping(checkin.args, "channel")
    assert "announce the fix" in shown(checkin.args)


async def test_echoes_in_direct_messages_never_ping(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    # Reminders: the confirmation, the list and the reminder itself.
    said = await dm(emulator, SAM, "remind me to tell <!channel> about the fire drill tomorrow at 10am", within=15)
    assert_no_ping(said, "channel")
    listed = await answer(emulator, SAM, "/reminders")
    assert_no_ping(listed.body, "channel")
    clock.at = utc(2026, 3, 7, 10, 0, 30)  # Saturday 10:00 in London
    mark = len(emulator.calls)
    await run_job(bot, "reminders")
    sam_dm = await emulator.dm_channel(SAM)
    fired = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (SAM, sam_dm)
                                         and "Reminder:" in c.args.get("text", ""), since=mark, timeout=15)
    assert_no_ping(fired.args, "channel")

    # Journals keep mentions and links, and never ping.
    saved = await answer(emulator, SAM, "/journal", f"<!here> owes me nothing; <@{PRIYA}> owes me {PR} &amp; lunch")
    assert "Saved" in (saved.text or "")
    journal = await answer(emulator, SAM, "/journal", "list")
    assert_no_ping(journal.body, "here")
    assert f"<@{PRIYA}> owes me {PR} &amp; lunch" in shown(journal.body)

    # Client names, as an admin typed them.
    added = await answer(emulator, MAYA, "/steward", f"client add Initech <!channel> Ltd <#{ACME}|client-acme>")
    assert_no_ping(added.body, "channel")
    listed = await answer(emulator, MAYA, "/steward", "client list")
    assert_no_ping(listed.body, "channel")

    # App Home shows a task whose title says "<!here>".
    await draft_and_confirm(emulator, SAM, "brief <!here> on the outage today")
    mark = len(emulator.calls)
    await emulator.open_app_home(SAM)
    home = await emulator.wait_for_call("views.publish", lambda c: c.args.get("user_id") == SAM, since=mark, timeout=15)
    assert_no_ping(home.args, "here")


async def test_modals_and_menus_show_people_by_name_and_an_edit_keeps_the_markup(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Plain-text fields render no markup: they say "@Priya …", and what is typed back keeps the mention and link."""
    await configure(emulator)
    await dm(emulator, SAM, ISSUE_DM, within=15)
    channel = await emulator.dm_channel(SAM)
    preview = _preview(emulator, channel)
    mark = len(emulator.calls)
    await emulator.click_button(SAM, message_ts=preview["ts"], channel=channel, action_id="draft_edit",
                                value=next(b["accessory"]["value"] for b in preview["blocks"] if b.get("block_id") == "draft_item_0"))
    opened = await emulator.wait_for_call("views.open", since=mark, timeout=10)
    shown_title = opened.args["view"]["blocks"][0]["element"]["initial_value"]
    async with await db(db_dsn) as conn:
        priya = await fetchval(conn, "SELECT u.display_name FROM users u JOIN platform_identities p ON p.user_id = u.id "
                                     "WHERE p.external_id = %s", (PRIYA,))
    assert shown_title == f"review PR #42 with @{priya} :rocket:", shown_title
    assert "<" not in shown_title and PRIYA not in shown_title
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "draft_edit")
    mark = len(emulator.calls)
    await emulator.submit_view(SAM, view_id, {"title": {"title": {"type": "plain_text_input",
                                                                  "value": f"Review PR #42 carefully with @{priya} :rocket:"}}})
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    async with await db(db_dsn) as conn:
        title = await fetchval(conn, "SELECT parsed->'tasks'->0->>'title' FROM task_drafts")
    assert title.startswith(f"Review {PR} carefully with <@{PRIYA}") and title.endswith(":rocket:"), title
