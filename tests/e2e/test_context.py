"""Context memory end to end (issue: channel messages into pgvector, resumable backfill, observations
and summaries, answers with sources): the real bot on the Slack emulator, the OpenAI fake or the
offline mode, a fresh PostgreSQL with pgvector."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from pgvector import Vector
from pgvector.psycopg import register_vector_async

from bot.clock import Clock
from bot.embedding import OFFLINE_EMBEDDING_MODEL, embed_offline
from bot.emulators.openai_fake import OpenAIFake
from bot.emulators.slack import SlackEmulator
from bot.services import search
from jobs import backfill, context_pipeline, retention
from tests.e2e.conftest import ACME, MAYA, SAM, Running, start_steward
from tests.helpers import eventually, fetchval

SECRET = "C0SECRET"
HISTORY = "C0HIST"


async def _start(emu: SlackEmulator, dsn: str, tmp_path: Path, **extra: Any) -> Running:
    """A Steward whose scheduled jobs are off: the tests run the pipeline and backfills themselves."""
    running = await start_steward(emu, dsn, tmp_path, clock=Clock(), **extra)
    running.bot.scheduler.shutdown()
    return running


@pytest_asyncio.fixture
async def offline(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> AsyncIterator[Running]:
    running = await _start(emulator, db_dsn, tmp_path)
    await _client_for_acme(db_dsn)
    search.forget_stats()
    try:
        yield running
    finally:
        await running.stop()


async def _client_for_acme(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute("INSERT INTO clients (organization_id, name, slack_channel_id) VALUES (%s, 'Acme Corp', %s)",
                           (org, ACME))


async def _count(dsn: str, sql: str, params: Any = None) -> Any:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await fetchval(conn, sql, params)


async def _stored(dsn: str, n: int, channel: str | None = None) -> None:
    sql = "SELECT count(*) FROM channel_messages WHERE NOT deleted" + (" AND channel_id = %s" if channel else "")
    await eventually(lambda: _count_is(dsn, sql, (channel,) if channel else None, n), within=15)


async def _count_is(dsn: str, sql: str, params: Any, n: int) -> bool:
    return await _count(dsn, sql, params) == n


async def _pipeline(running: Running) -> dict[str, Any]:
    deps = running.bot.deps
    return await context_pipeline.run(deps, deps.now())


async def _ask(emu: SlackEmulator, user: str, text: str) -> dict[str, Any]:
    """DM Steward as ``user``; the bot's next message in that DM."""
    channel = await emu.dm_channel(user)
    mark = len(emu.calls)
    await emu.user_message(user, channel, text)
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user),
                                   timeout=15, since=mark)
    return call.args


def _all_text(reply: dict[str, Any]) -> str:
    return reply.get("text", "") + " " + str(reply.get("blocks", ""))


# ------------------------------------------------------------------------------------------------


async def test_channel_messages_become_observations_and_a_dm_question_cites_the_source(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path, fake: OpenAIFake) -> None:
    running = await _start(emulator, db_dsn, tmp_path, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
    try:
        await _client_for_acme(db_dsn)
        sso = await emulator.user_message(MAYA, ACME, "Heads up: the SSO certificate for the Acme login expires on March 3. "
                                                      "We must renew it before then.")
        await emulator.user_message(SAM, ACME, "The checkout redesign deploy is scheduled for Thursday afternoon.")
        await emulator.user_message(SAM, ACME, "thanks!")  # noise: too short to be a fact, stored but no observation
        emulator.add_message(ACME, "Reminder posted by a bot")  # the bot's own message: never an event, never stored
        await emulator.user_message(SAM, await emulator.dm_channel(SAM), "a DM is never stored as channel memory")
        await _stored(db_dsn, 3)
        assert await _count(db_dsn, "SELECT count(*) FROM channel_messages WHERE channel_id LIKE 'D%%'") == 0

        before = len(fake.calls_to("/v1/embeddings"))
        summary = await _pipeline(running)
        assert summary["messages"] == 3 and summary["observations"] >= 3
        assert len(fake.calls_to("/v1/embeddings")) - before == 1 + (1 if summary.get("summaries") else 0)
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            rows = await (await conn.execute(
                "SELECT entity_type, entity_key, vector_dims(embedding), embedding_model, source_message_ts, channel_id "
                "FROM context_observations ORDER BY id")).fetchall()
            assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE processed_at IS NULL") == 0
        assert {r[2] for r in rows} == {1536}
        assert {r[3] for r in rows} == {"openai:text-embedding-3-small"}
        assert {(r[0], r[1]) for r in rows} == {("client", "acme corp")}  # tied to the channel's client
        assert any(sso in r[4] for r in rows) and {r[5] for r in rows} == {ACME}

        reply = await _ask(emulator, SAM, "When does the SSO certificate expire?")
        text = _all_text(reply)
        assert "March 3" in text
        permalink = emulator.workspace.permalink(ACME, sso)
        assert permalink in text, text
        assert "#client-acme" in text
        assert fake.calls_to("/v1/chat/completions")[-1].schema_name == "steward_answer"
    finally:
        await running.stop()


async def test_private_channel_facts_reach_only_members_and_organizations_never_mix(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    emulator.add_channel(SECRET, "leadership", is_private=True, members=[MAYA, emulator.bot_user_id])
    await emulator.user_message(MAYA, SECRET, "The Globex acquisition closes on Friday the 13th, keep it confidential.")
    await emulator.user_message(SAM, ACME, "The Acme onboarding workshop moved to Wednesday morning.")
    await _stored(db_dsn, 2)
    await _pipeline(offline)

    # Sam is not in #leadership: nothing from it, not even its existence.
    reply = await _ask(emulator, SAM, "When does the Globex acquisition close?")
    assert "I don't know" in reply["text"] and "Friday" not in _all_text(reply)
    # Maya is: she gets the fact and its link.
    reply = await _ask(emulator, MAYA, "When does the Globex acquisition close?")
    assert "Friday the 13th" in _all_text(reply)

    # Another organization with the very same fact: never seen by this one, never sees this one.
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await register_vector_async(conn)
        org_a = await fetchval(conn, "SELECT id FROM organizations")
        org_b = await fetchval(conn, "INSERT INTO organizations (name) VALUES ('Other agency') RETURNING id")
        text = "The Initech contract renewal is due on June 30."
        await conn.execute(
            "INSERT INTO context_observations (organization_id, entity_type, entity_key, channel_id, content, embedding, "
            "embedding_model) VALUES (%s, 'topic', 'initech', %s, %s, %s, %s)",
            (org_b, ACME, text, Vector(embed_offline([text])[0]), OFFLINE_EMBEDDING_MODEL))
        initech = embed_offline(["When is the Initech contract renewal due?"])[0]
        workshop = embed_offline(["When is the Acme onboarding workshop?"])[0]
        a_hits = await search.search(conn, org_a, "Initech contract renewal", 10, vector=initech, space=OFFLINE_EMBEDDING_MODEL)
        b_hits = await search.search(conn, org_b, "Acme onboarding workshop", 10, vector=workshop, space=OFFLINE_EMBEDDING_MODEL)
        b_own = await search.search(conn, org_b, "Initech contract renewal", 10, vector=initech, space=OFFLINE_EMBEDDING_MODEL)
        a_own = await search.search(conn, org_a, "Acme onboarding workshop", 10, vector=workshop, space=OFFLINE_EMBEDDING_MODEL)
        a_ids = {r[0] for r in await (await conn.execute("SELECT id FROM context_observations WHERE organization_id = %s",
                                                         (org_a,))).fetchall()}
    assert a_hits == [] and b_hits == []
    assert [h.content for h in b_own] == [text] and not {h.id for h in b_own} & a_ids
    assert a_own and {h.id for h in a_own} <= a_ids
    reply = await _ask(emulator, MAYA, "When is the Initech contract renewal due?")  # channel C0ACME, but org B's row
    assert "June 30" not in _all_text(reply) and "I don't know" in reply["text"]


async def test_backfill_of_1000_messages_survives_429s_and_a_crash_at_page_3(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator.add_channel(HISTORY, "history", members=[MAYA, SAM])
    parents = []
    for i in range(990):
        message = emulator.add_message(HISTORY, f"History note {i}: the release train number {i} left on time.", MAYA)
        if i in (100, 700):
            parents.append(message["ts"])
    for ts in parents:
        for j in range(5):
            emulator.add_message(HISTORY, f"Thread reply {j} about the release.", SAM, thread_ts=ts)
    emulator.add_message(HISTORY, "Bot chatter is not history")  # the bot's own: skipped
    emulator.set_rate_limit("conversations.history", times=2, retry_after=1)

    saves = 0
    real_save = backfill.save_page

    async def crash_after_page_3(*args: Any, **kwargs: Any) -> Any:
        nonlocal saves
        saves += 1
        if saves >= 4:
            raise RuntimeError("process killed while fetching page 4")
        return await real_save(*args, **kwargs)

    monkeypatch.setattr(backfill, "save_page", crash_after_page_3)
    first = await _start(emulator, db_dsn, tmp_path)
    try:
        await emulator.member_joined(emulator.bot_user_id, HISTORY)  # Steward is invited: the backfill starts
        state = await eventually(lambda: _backfill_state(db_dsn, HISTORY, "pending"), within=30)
    finally:
        await first.stop()
    assert state["pages"] == 3 and state["cursor"] and "process killed" in state["last_error"]
    stored = await _count(db_dsn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (HISTORY,))
    assert 0 < stored < 1000
    rate_limited = [c for c in emulator.calls_to("conversations.history") if c.status == 429]
    assert len(rate_limited) == 2  # obeyed (Retry-After 1 s) and retried

    monkeypatch.setattr(backfill, "save_page", real_save)
    mark = len(emulator.calls)
    second = await _start(emulator, db_dsn, tmp_path)  # the restart
    try:
        deps = second.bot.deps
        result = await backfill.run(deps, deps.now())
    finally:
        await second.stop()
    assert result["backfills"][HISTORY]["status"] == "complete"
    # (The restart also backfills the seeded channels Steward was already in: look at this one.)
    resumed = [c for c in emulator.calls[mark:] if c.method == "conversations.history" and c.args.get("channel") == HISTORY]
    assert resumed[0].args.get("cursor") == state["cursor"]  # from the saved page, not from the start
    assert len(resumed) == 2  # pages 4 and 5 only
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (HISTORY,)) == 1000
        assert await fetchval(conn, "SELECT count(DISTINCT ts) FROM channel_messages WHERE channel_id = %s", (HISTORY,)) == 1000
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE thread_ts IS NOT NULL AND ts <> thread_ts") == 10
        row = await (await conn.execute(
            "SELECT status, messages_fetched, replies_fetched, pages, cursor FROM backfill_state WHERE channel_id = %s",
            (HISTORY,))).fetchone()
    assert row == ("complete", 990, 10, 5, None)


async def test_cli_backfill_killed_mid_way_resumes_where_it_stopped(emulator: SlackEmulator, db_dsn: str,
                                                                   tmp_path: Path) -> None:
    """`steward backfill`, killed with SIGKILL after page 3 (it is then waiting out a 429), and run again."""
    emulator.add_channel(HISTORY, "history", members=[MAYA, emulator.bot_user_id])
    for i in range(1000):
        emulator.add_message(HISTORY, f"Release log entry {i}: build {i} passed all checks.", MAYA)
    emulator.rate_limit_per_minute = 3  # the 4th history page gets a 429 with Retry-After ~60 s
    env = {**os.environ, "DATABASE_URL": db_dsn, "SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_APP_TOKEN": emulator.app_token,
           "SLACK_API_URL": emulator.api_url, "STEWARD_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    env.pop("OPENAI_API_KEY", None)
    command = [sys.executable, "-m", "bot", "backfill", "#history", "--days", "30"]
    first = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.STDOUT)
    try:
        await eventually(lambda: _pages_at_least(db_dsn, HISTORY, 3), within=30)
        await eventually(lambda: any(c.status == 429 for c in emulator.calls_to("conversations.history")), within=10)
    finally:
        first.kill()
        await first.wait()
    state = await _backfill_state(db_dsn, HISTORY, "running")  # no chance to clean up: still "running"
    assert state is not None and state["pages"] == 3 and state["cursor"]
    assert await _count(db_dsn, "SELECT count(*) FROM channel_messages") == 600

    emulator.rate_limit_per_minute = None
    mark = len(emulator.calls)
    second = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE,
                                                  stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(second.communicate(), timeout=60)
    assert second.returncode == 0, out.decode()
    assert "100%" in out.decode() and "1,000 messages" in out.decode()
    # (The restart also backfills the seeded channels Steward was already in: look at this one.)
    resumed = [c for c in emulator.calls[mark:] if c.method == "conversations.history" and c.args.get("channel") == HISTORY]
    assert resumed[0].args.get("cursor") == state["cursor"] and len(resumed) == 2
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (HISTORY,)) == 1000
        row = await (await conn.execute("SELECT status, messages_fetched, pages FROM backfill_state")).fetchone()
    assert row == ("complete", 1000, 5)


async def _pages_at_least(dsn: str, channel: str, pages: int) -> bool:
    value = await _count(dsn, "SELECT pages FROM backfill_state WHERE channel_id = %s", (channel,))
    return value is not None and value >= pages


async def _backfill_state(dsn: str, channel: str, status: str) -> dict[str, Any] | None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute("SELECT status, pages, cursor, last_error, messages_fetched FROM backfill_state "
                                 "WHERE channel_id = %s", (channel,))
        row = await cur.fetchone()
    if row is None or row[0] != status:
        return None
    return dict(zip(("status", "pages", "cursor", "last_error", "messages_fetched"), row, strict=True))


async def test_edits_and_deletions_are_reflected(emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    kept = await emulator.user_message(SAM, ACME, "The Acme staging server moves to the new region on Monday.")
    doomed = await emulator.user_message(MAYA, ACME, "The Acme invoice for February was sent to the wrong address.")
    await _stored(db_dsn, 2)
    await _pipeline(offline)
    assert await _count(db_dsn, "SELECT count(*) FROM context_observations") == 2

    await emulator.edit_message(ACME, kept, "The Acme staging server moves to the new region on Tuesday instead.")
    await eventually(lambda: _count_is(db_dsn, "SELECT count(*) FROM channel_messages WHERE text LIKE '%%Tuesday%%' "
                                               "AND processed_at IS NULL", None, 1))
    assert await _count(db_dsn, "SELECT count(*) FROM context_observations WHERE content LIKE '%%Monday%%'") == 0
    await emulator.delete_message(ACME, doomed)
    await eventually(lambda: _count_is(db_dsn, "SELECT count(*) FROM channel_messages WHERE deleted AND text = ''", None, 1))
    assert await _count(db_dsn, "SELECT count(*) FROM context_observations WHERE content LIKE '%%invoice%%'") == 0

    await _pipeline(offline)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        contents = [r[0] for r in await (await conn.execute("SELECT content FROM context_observations")).fetchall()]
    assert contents == ["The Acme staging server moves to the new region on Tuesday instead."]
    reply = await _ask(emulator, SAM, "When does the staging server move?")
    assert "Tuesday" in reply["text"] and "Monday" not in reply["text"]
    reply = await _ask(emulator, SAM, "Where was the February invoice sent?")
    assert "I don't know" in reply["text"]


async def test_memory_off_removes_the_channel_and_stops_reading_it(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    await emulator.user_message(SAM, ACME, "The Acme brand refresh uses the new teal palette everywhere.")
    await emulator.user_message(MAYA, ACME, "The Acme brand refresh also drops the old serif logo.")
    await emulator.user_message(SAM, "C0STANDUP", "The standup bot migration finished without issues yesterday.")
    await _stored(db_dsn, 3)
    await _pipeline(offline)
    await context_pipeline.run_summaries(offline.bot.deps, offline.bot.deps.now())

    denied = await emulator.slash_command(SAM, "/steward", "memory off", channel=ACME)  # Sam is not an admin
    assert "only Steward admins" in (await denied.wait_for_response(timeout=10)).text
    assert await _count(db_dsn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (ACME,)) == 2
    assert await _count(db_dsn, "SELECT count(*) FROM context_summaries WHERE %s = ANY (source_channel_ids)", (ACME,)) == 1

    result = await emulator.slash_command(MAYA, "/steward", "memory off", channel=ACME)
    response = await result.wait_for_response(timeout=10)
    assert "Memory is off" in response.text and "forgot 2 messages and 2 facts" in response.text
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        for table in ("channel_messages", "context_observations"):
            assert await fetchval(conn, f"SELECT count(*) FROM {table} WHERE channel_id = %s", (ACME,)) == 0
        assert await fetchval(conn, "SELECT count(*) FROM context_summaries WHERE %s = ANY (source_channel_ids)", (ACME,)) == 0
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE channel_id = 'C0STANDUP'") == 1
        assert await fetchval(conn, "SELECT count(*) FROM audit_logs WHERE action = 'context.memory_off'") == 1
    await emulator.user_message(SAM, ACME, "The Acme brand refresh launch party is on the 12th of May.")
    await emulator.user_message(SAM, "C0STANDUP", "A later standup note arrives after the switch went off.")
    await _stored(db_dsn, 2)  # the standup one; nothing from #client-acme
    assert await _count(db_dsn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (ACME,)) == 0
    reply = await _ask(emulator, SAM, "What palette does the brand refresh use?")
    assert "I don't know" in reply["text"]

    result = await emulator.slash_command(MAYA, "/steward", "memory", channel=ACME)
    assert "Memory is *off*" in str((await result.wait_for_response(timeout=10)).blocks)
    result = await emulator.slash_command(MAYA, "/steward", "memory on", channel=ACME)
    assert "Memory is on" in (await result.wait_for_response(timeout=10)).text
    await eventually(lambda: _backfill_state(db_dsn, ACME, "complete"), within=15)
    # History comes back from Slack (all three messages, the one sent while off included).
    await eventually(lambda: _count_is(db_dsn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (ACME,), 3))


async def test_offline_hybrid_search_finds_ids_and_phrases_exactly(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    notes = [
        "T-42 is blocked until the client sends the staging credentials.",
        "T-420 was closed after the copy review last week.",
        "T-4 needs a second pair of eyes on the pricing table.",
        "The certificate of incorporation arrived for the Lisbon office.",
        "The SSO certificate on the Acme login page expires in two weeks.",
        "Single sign-on settings were documented in the wiki for new clients.",
    ]
    for n in notes:
        await emulator.user_message(SAM, ACME, n)
    await _stored(db_dsn, len(notes))
    await _pipeline(offline)
    assert offline.bot.deps.ai.offline
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await register_vector_async(conn)
        org = await fetchval(conn, "SELECT id FROM organizations")
        for question, expected in (("T-42", notes[0]), ("what's the status of T-42?", notes[0]),
                                   ("SSO certificate", notes[4]), ("When does the SSO certificate expire?", notes[4])):
            vector = (await offline.bot.deps.ai.embed([question]))[0]
            hits = await search.search(conn, org, question, 5, vector=vector, space=OFFLINE_EMBEDDING_MODEL)
            assert hits and hits[0].content == expected, (question, [h.content for h in hits])
            if "T-42" in question:  # the id matches exactly: not T-420, not T-4
                assert all("T-420" not in h.content and "T-4 " not in h.content for h in hits if h.text_matched)
    reply = await _ask(emulator, SAM, "what's the status of T-42?")
    assert reply["text"].splitlines()[1].startswith("\u2022 T-42 is blocked")


async def test_retention_deletes_raw_messages_but_keeps_observations_and_summaries(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    ts = await emulator.user_message(SAM, ACME, "The Acme analytics dashboard goes live on the first of April.")
    await emulator.user_message(MAYA, ACME, "The Acme analytics export needs a weekly CSV for finance.")
    await _stored(db_dsn, 2)
    deps = offline.bot.deps
    await _pipeline(offline)
    await context_pipeline.run_summaries(deps, deps.now())
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        observations = await fetchval(conn, "SELECT count(*) FROM context_observations")
        assert observations == 2 and await fetchval(conn, "SELECT count(*) FROM context_summaries") == 1
    deleted = await retention.run_daily(deps, deps.now() + timedelta(days=deps.settings.context_raw_retention_days + 1))
    assert deleted["old_channel_messages"] == 2
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages") == 0
        assert await fetchval(conn, "SELECT count(*) FROM context_observations") == observations
        assert await fetchval(conn, "SELECT count(*) FROM context_summaries") == 1
        # No foreign key from observations to messages could cascade.
        assert await fetchval(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                                    "AND conrelid = 'context_observations'::regclass "
                                    "AND confrelid = 'channel_messages'::regclass") == 0
    reply = await _ask(emulator, SAM, "When does the analytics dashboard go live?")
    assert "first of April" in reply["text"] and emulator.workspace.permalink(ACME, ts) in _all_text(reply)


async def test_follow_up_questions_reuse_the_topic_and_user_memory_is_kept_and_deletable(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute("INSERT INTO clients (organization_id, name, slack_channel_id) VALUES (%s, 'Globex', 'C0GLOBEX')", (org,))
    emulator.add_channel("C0GLOBEX", "client-globex", members=[SAM, emulator.bot_user_id])
    await emulator.user_message(SAM, ACME, "The Acme deploy is planned for Thursday at noon.")
    await emulator.user_message(SAM, ACME, "The Acme contract renewal is waiting for legal.")
    await emulator.user_message(SAM, "C0GLOBEX", "The Globex deploy slipped to next month.")
    await _stored(db_dsn, 3)
    await _pipeline(offline)

    reply = await _ask(emulator, SAM, "What's the status with Acme?")
    assert "Thursday" in reply["text"] and "legal" in reply["text"]
    reply = await _ask(emulator, SAM, "and what about the deploy?")  # Acme's, from the session
    assert "Thursday at noon" in reply["text"] and "Globex" not in reply["text"]
    offline.bot.deps.clock.advance(timedelta(minutes=31))  # the session expires
    reply = await _ask(emulator, SAM, "and what about the deploy?")
    assert "Globex" in reply["text"]

    reply = await _ask(emulator, SAM, "remember that I prefer afternoon reminders")
    assert "you prefer afternoon reminders" in reply["text"]
    reply = await _ask(emulator, SAM, "Remember: my manager is Maya")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        memories = await (await conn.execute("SELECT id, value, source FROM user_memory ORDER BY id")).fetchall()
    assert [(m[1], m[2]) for m in memories] == [("I prefer afternoon reminders", "explicit"), ("my manager is Maya", "explicit")]
    # Used in later prompts: the next question sends it to the model (here, the offline answer ignores it).
    result = await emulator.slash_command(SAM, "/steward", "memory")
    response = await result.wait_for_response(timeout=10)
    assert "I prefer afternoon reminders" in response.text
    delete = [b for b in response.blocks or [] if b.get("accessory", {}).get("action_id") == "memory_delete"]
    assert [b["accessory"]["value"] for b in delete] == [str(m[0]) for m in reversed(memories)]
    shown = next(e for e in emulator.ephemerals_for(SAM) if "memory_delete" in str(e.blocks))
    click = await emulator.click_ephemeral_button(SAM, shown.channel, shown.ts, "memory_delete", str(memories[0][0]))
    updated = await click.wait_for_response(timeout=10)
    assert "Forgot \u201cI prefer afternoon reminders\u201d" in str(updated.blocks)
    assert await _count(db_dsn, "SELECT count(*) FROM user_memory") == 1
    # (Another person's memory cannot be deleted: tests/context/test_memory.py.)


async def test_ask_command_and_mentions_answer_with_sources(emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    ts = await emulator.user_message(MAYA, ACME, "The Acme holiday campaign budget was approved at 40k.")
    await _stored(db_dsn, 1)
    await _pipeline(offline)
    result = await emulator.slash_command(SAM, "/ask", "what budget was approved for the holiday campaign?", channel=ACME)
    response = await result.wait_for_response(timeout=15)
    assert response.body.get("response_type") == "ephemeral"
    assert "40k" in response.text and emulator.workspace.permalink(ACME, ts) in response.text
    empty = await emulator.slash_command(SAM, "/ask", "", channel=ACME)
    assert "/ask what's the status" in (await empty.wait_for_response(timeout=10)).text


async def test_mentions_answer_in_the_thread_without_other_private_channels(
        emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    emulator.add_channel(SECRET, "leadership", is_private=True, members=[MAYA, emulator.bot_user_id])
    await emulator.user_message(MAYA, SECRET, "The Globex acquisition closes on Friday the 13th, keep it confidential.")
    ts = await emulator.user_message(MAYA, ACME, "The Acme holiday campaign budget was approved at 40k.")
    await _stored(db_dsn, 2)
    await _pipeline(offline)

    mark = len(emulator.calls)
    question = await emulator.user_message(SAM, ACME, f"<@{emulator.bot_user_id}> what budget did the holiday campaign get?")
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == ACME, since=mark, timeout=15)
    assert call.args.get("thread_ts") == question and "40k" in call.args["text"]
    assert emulator.workspace.permalink(ACME, ts) in str(call.args)
    # The question itself is a conversation with Steward, not channel memory.
    assert await _count(db_dsn, "SELECT count(*) FROM channel_messages WHERE ts = %s", (question,)) == 0
    # Asked in a public channel, even a member's answer leaves other private channels out...
    mark = len(emulator.calls)
    await emulator.user_message(MAYA, ACME, f"<@{emulator.bot_user_id}> when does the Globex acquisition close?")
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == ACME, since=mark, timeout=15)
    assert "Friday the 13th" not in str(call.args) and "I don't know" in call.args["text"]
    # ...while in that private channel itself, its members get it.
    mark = len(emulator.calls)
    await emulator.user_message(MAYA, SECRET, f"<@{emulator.bot_user_id}> when does the Globex acquisition close?")
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == SECRET, since=mark, timeout=15)
    assert "Friday the 13th" in call.args["text"]
    # "remember that ..." in a mention is private to its author.
    await emulator.user_message(SAM, ACME, f"<@{emulator.bot_user_id}> remember that I review copy on Mondays")
    await eventually(lambda: _count_is(db_dsn, "SELECT count(*) FROM user_memory", None, 1))
    # The row is written before the reply goes out: wait for the reply rather than race it.
    await eventually(lambda: any("review copy on Mondays" in e.text for e in emulator.ephemerals_for(SAM)))


async def test_app_home_shows_memory_progress_to_admins(emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    emulator.add_channel(HISTORY, "history", members=[MAYA])
    for i in range(30):
        emulator.add_message(HISTORY, f"Old decision number {i}: we keep the weekly demo.", MAYA)
    await emulator.member_joined(emulator.bot_user_id, HISTORY)
    await eventually(lambda: _backfill_state(db_dsn, HISTORY, "complete"), within=15)

    await emulator.open_app_home(MAYA)  # an admin
    view = await eventually(lambda: emulator.home_views.get(MAYA), within=10)
    text = str(view)
    assert "Memory" in text and f"<#{HISTORY}>" in text and "30 messages" in text and "backfill complete" in text
    await emulator.open_app_home(SAM)  # not an admin: only their own memory
    view = await eventually(lambda: emulator.home_views.get(SAM), within=10)
    assert f"<#{HISTORY}>" not in str(view) and "/steward memory" in str(view)


async def test_pipeline_claims_are_exclusive_across_processes(emulator: SlackEmulator, offline: Running, db_dsn: str) -> None:
    for i in range(40):
        await emulator.user_message(SAM, ACME, f"Fact number {i}: the Acme widget count reached {i * 10} units.")
    await _stored(db_dsn, 40)
    deps = offline.bot.deps
    from bot.services import context as memory

    runs = await asyncio.gather(*(memory.process_batch(deps.pool, deps.ai, deps.now(), limit=15) for _ in range(4)))
    assert sum(r.messages for r in runs) == 40
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM context_observations") == 40
        assert await fetchval(conn, "SELECT count(DISTINCT source_message_ts) FROM context_observations") == 40


async def test_channels_joined_before_the_first_start_are_backfilled(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    # History written before Steward ever ran, in a channel it was already invited to.
    for i in range(5):
        emulator.add_message(ACME, f"Acme asked us to move the launch review to Thursday, note {i}", MAYA)
    running = await _start(emulator, db_dsn, tmp_path)
    try:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            org = await fetchval(conn, "SELECT id FROM organizations")
            # Asked for at start and begun at once, without waiting for the minute job.
            await eventually(lambda: fetchval(conn, "SELECT status = 'complete' FROM backfill_state WHERE channel_id = %s", (ACME,)))
            assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE organization_id = %s AND channel_id = %s",
                                  (org, ACME)) == 5
        # A restart asks for nothing more: the channel has been seen.
        assert await backfill.request_unseen(running.bot.deps, org) == []
    finally:
        await running.stop()
