"""Context memory services on a real database: edits and deletions against observations, the
pipeline when embeddings are down, summaries, membership scoping, sessions, backfill requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from pgvector import Vector
from psycopg_pool import AsyncConnectionPool

from bot.ai import AI, AIUnavailable
from bot.embedding import embed_offline
from bot.services import context as memory
from jobs import backfill
from tests.helpers import fetchval, make_org, make_user

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
Conn = psycopg.AsyncConnection[Any]


async def _observation(conn: Conn, org: int, channel: str, content: str, ts: list[str], key: str = "acme") -> int:
    return await fetchval(conn, (
        "INSERT INTO context_observations (organization_id, entity_type, entity_key, channel_id, source_message_ts, content, "
        "embedding, embedding_model, created_at) VALUES (%s, 'client', %s, %s, %s, %s, %s, 'steward-offline-hash-v1', %s) "
        "RETURNING id"), (org, key, channel, ts, content, Vector(embed_offline([content])[0]), NOW))


async def test_an_edit_or_deletion_removes_only_what_it_alone_supported(conn: Conn) -> None:
    org = await make_org(conn)
    row = memory.message_row({"user": "U1", "text": "The deploy is on Monday.", "ts": "100.000001"})
    other = memory.message_row({"user": "U2", "text": "Yes, Monday it is.", "ts": "100.000002"})
    assert await memory.store_messages(conn, org, "C1", [row, other]) == 2
    assert await memory.store_messages(conn, org, "C1", [row]) == 0  # a redelivery changes nothing
    alone = await _observation(conn, org, "C1", "The deploy is on Monday.", ["100.000001"])
    shared = await _observation(conn, org, "C1", "Everyone agreed on Monday.", ["100.000001", "100.000002"])
    elsewhere = await _observation(conn, org, "C2", "Same ts, other channel.", ["100.000001"])

    edited = {"user": "U1", "text": "The deploy is on Tuesday.", "ts": "100.000001", "edited": {"ts": "101.0"}}
    assert await memory.apply_edit(conn, org, "C1", edited, NOW) is True
    assert await memory.apply_edit(conn, org, "C1", edited, NOW) is False  # an unfurl: same text
    rows = dict(await (await conn.execute("SELECT id, source_message_ts FROM context_observations")).fetchall())
    assert alone not in rows and rows[shared] == ["100.000002"] and rows[elsewhere] == ["100.000001"]
    text, processed, edited_at = (await (await conn.execute(
        "SELECT text, processed_at, edited_at FROM channel_messages WHERE ts = '100.000001'")).fetchone())
    assert text == "The deploy is on Tuesday." and processed is None and edited_at == datetime.fromtimestamp(101, UTC)

    assert await memory.apply_delete(conn, org, "C1", "100.000002", NOW) is True
    assert await fetchval(conn, "SELECT count(*) FROM context_observations WHERE id = %s", (shared,)) == 0
    assert await fetchval(conn, "SELECT text FROM channel_messages WHERE ts = '100.000002'") == ""
    # A backfill page fetched before the deletion cannot bring it back.
    assert await memory.store_messages(conn, org, "C1", [other]) == 0
    assert await fetchval(conn, "SELECT deleted FROM channel_messages WHERE ts = '100.000002'") is True


class _NoEmbeddings:
    """The AI interface with the embeddings service down."""

    def __init__(self) -> None:
        self.inner = AI()
        self.offline = False
        self.embedding_space = "openai:text-embedding-3-small"

    async def extract_observations(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.extract_observations(*args, **kwargs)

    async def embed(self, texts: Any) -> Any:
        raise AIUnavailable("the AI service failed 3 times (last: HTTP 503)")


async def test_the_pipeline_defers_when_embeddings_are_down_and_catches_up_later(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        org = await make_org(conn)
        await memory.store_messages(conn, org, "C1", [memory.message_row(
            {"user": "U1", "text": f"The Acme invoice number {i} was paid in full.", "ts": f"200.00000{i}"}) for i in range(3)])
    run = await memory.process_batch(pool, _NoEmbeddings(), NOW)
    assert run.deferred == 3 and run.messages == 0
    async with pool.connection() as conn:
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE processed_at IS NULL AND claimed_until IS NULL") == 3
        assert await fetchval(conn, "SELECT count(*) FROM context_observations") == 0
    run = await memory.process_batch(pool, AI(), NOW)
    assert run.messages == 3 and run.observations == 3 and run.embed_calls == 1
    assert (await memory.process_batch(pool, AI(), NOW)).messages == 0


async def test_summaries_follow_enough_new_observations_and_go_with_them(pool: AsyncConnectionPool) -> None:
    ai = AI()
    async with pool.connection() as conn:
        org = await make_org(conn)
        await conn.execute("INSERT INTO clients (organization_id, name) VALUES (%s, 'Acme')", (org,))
        await _observation(conn, org, "C1", "Acme's deploy is on Thursday.", ["1.1"])
    assert await memory.regenerate_summaries(pool, ai, NOW) == 0  # one observation: no summary yet
    async with pool.connection() as conn:
        await _observation(conn, org, "C2", "Acme asked for a new quote.", ["1.2"])
    assert await memory.regenerate_summaries(pool, ai, NOW) == 1
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT display_name, summary, observation_count, source_channel_ids, "
                                        "vector_dims(embedding) FROM context_summaries")).fetchone()
    assert row[0] == "Acme" and "Thursday" in row[1] and row[2] == 2 and sorted(row[3]) == ["C1", "C2"] and row[4] == 1536
    later = NOW + timedelta(minutes=5)
    async with pool.connection() as conn:
        for i in range(memory.SUMMARY_MIN_NEW - 1):
            await _observation(conn, org, "C1", f"Acme fact number {i} arrived.", [f"2.{i}"])
            await conn.execute("UPDATE context_observations SET created_at = %s WHERE content LIKE 'Acme fact%%'", (later,))
    assert await memory.regenerate_summaries(pool, ai, later) == 0  # not enough new ones yet
    async with pool.connection() as conn:
        await _observation(conn, org, "C1", "Acme fact number 99 arrived.", ["3.1"])
        await conn.execute("UPDATE context_observations SET created_at = %s WHERE content LIKE 'Acme fact%%'", (later,))
    assert await memory.regenerate_summaries(pool, ai, later) == 1
    async with pool.connection() as conn:
        await conn.execute("DELETE FROM context_observations")
    await memory.regenerate_summaries(pool, ai, later)
    async with pool.connection() as conn:
        assert await fetchval(conn, "SELECT count(*) FROM context_summaries") == 0


@dataclass
class _Slack:
    members: dict[str, list[str]]
    private: set[str]
    calls: int = 0

    async def conversations_info(self, channel: str) -> dict[str, Any]:
        return {"channel": {"id": channel, "name": channel.lower(), "is_private": channel in self.private}}

    async def conversations_members(self, channel: str, limit: int, cursor: str | None) -> dict[str, Any]:
        self.calls += 1
        return {"members": self.members.get(channel, []), "response_metadata": {"next_cursor": ""}}


async def test_answers_are_scoped_to_the_asker_s_channels_from_a_cached_member_list(conn: Conn) -> None:
    org = await make_org(conn)
    for channel in ("CPUB", "GPRIV", "COTHER"):
        await memory.ensure_channel(conn, org, channel)
    slack = _Slack({"CPUB": ["U1", "U2"], "GPRIV": ["U1"], "COTHER": ["U2"]}, {"GPRIV"})
    assert await memory.visible_channels(conn, slack, org, "U1", NOW) == ["CPUB", "GPRIV"]
    assert await memory.visible_channels(conn, slack, org, "U2", NOW) == ["COTHER", "CPUB"]
    assert slack.calls == 3  # fetched once, then cached
    assert await memory.visible_channels(conn, slack, org, "U1", NOW, shown_in="CPUB") == ["CPUB"]
    assert await memory.visible_channels(conn, slack, org, "U1", NOW, shown_in="GPRIV") == ["CPUB", "GPRIV"]
    await memory.member_joined(conn, org, "GPRIV", "U2")  # member_joined_channel keeps it current
    assert await memory.visible_channels(conn, slack, org, "U2", NOW) == ["COTHER", "CPUB", "GPRIV"]
    await memory.member_left(conn, org, "CPUB", "U2")
    assert "CPUB" not in await memory.visible_channels(conn, slack, org, "U2", NOW)
    await memory.visible_channels(conn, slack, org, "U2", NOW + memory.MEMBERS_TTL + timedelta(seconds=1))
    assert slack.calls == 6  # stale: refreshed from Slack
    assert await memory.visible_channels(conn, slack, org, "U9", NOW) == []


async def test_sessions_expire_after_30_idle_minutes(conn: Conn) -> None:
    org = await make_org(conn)
    user = await make_user(conn, org)
    session = await memory.load_session(conn, org, user, "D1", NOW)
    session.add("user", "What's up with Acme?", NOW)
    session.add("assistant", "Deploy on Thursday.", NOW, entity=memory.Entity("client", "acme", "Acme", 3))
    await memory.save_session(conn, session, NOW)
    again = await memory.load_session(conn, org, user, "D1", NOW + timedelta(minutes=29))
    assert again.entity == memory.Entity("client", "acme", "Acme", 3) and len(again.memory()) == 2
    expired = await memory.load_session(conn, org, user, "D1", NOW + timedelta(minutes=31))
    assert expired.messages == [] and expired.entity is None


async def test_a_backfill_request_keeps_a_running_one_and_restarts_a_finished_one(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        org = await make_org(conn)
    assert await backfill.request(pool, org, "C1", days=30, now=NOW) is True
    async with pool.connection() as conn:
        await conn.execute("UPDATE backfill_state SET status = 'running', cursor = 'abc', pages = 2")
    assert await backfill.request(pool, org, "C1", days=7, now=NOW) is False
    async with pool.connection() as conn:
        assert await fetchval(conn, "SELECT cursor FROM backfill_state") == "abc"
        await conn.execute("UPDATE backfill_state SET status = 'complete', cursor = NULL")
    assert await backfill.request(pool, org, "C1", days=7, now=NOW) is True
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT status, pages, days, oldest_ts FROM backfill_state")).fetchone()
    assert row == ("pending", 0, 7, f"{(NOW - timedelta(days=7)).timestamp():.6f}")


async def test_user_memory_is_per_person_and_deduplicated(conn: Conn) -> None:
    org = await make_org(conn)
    ann, bob = await make_user(conn, org, "ann"), await make_user(conn, org, "bob")
    first, known = await memory.remember(conn, org, ann, "I prefer afternoon reminders")
    assert not known
    again, known = await memory.remember(conn, org, ann, "i prefer afternoon reminders!")
    assert known and again.id == first.id
    await memory.remember(conn, org, bob, "I prefer afternoon reminders")
    assert [m.value for m in await memory.memories_of(conn, org, ann)] == ["i prefer afternoon reminders!"]
    assert await memory.forget_memory(conn, org, bob, first.id) is None  # not Bob's
    assert await memory.forget_memory(conn, org, ann, first.id) == "i prefer afternoon reminders!"
    assert await memory.forget_all_memories(conn, org, bob) == 1


async def test_the_pipeline_keeps_authors_and_never_turns_a_question_to_steward_into_a_fact(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        org = await make_org(conn)  # Steward is UBOT here
        rows = [memory.message_row({"user": user, "text": text, "ts": f"300.00000{i}"}) for i, (user, text) in enumerate([
            ("U1", "<@UBOT> what's going on with Acme this week?"),
            ("U1", "@steward what's going on with Acme this week?"),
            ("U2", "Steward, when is the Acme staging deploy?"),
            ("U2", "/steward memory off please now"),
            ("U3", "Can someone own the Acme SSO renewal?"),
            ("U3", "The Acme SSO certificate expires on December 12. Who can renew it for them?"),
        ])]
        await memory.store_messages(conn, org, "C1", rows)
    run = await memory.process_batch(pool, AI(), NOW)
    assert run.messages == 6  # all processed (none left waiting)...
    async with pool.connection() as conn:
        kept = await (await conn.execute("SELECT content, source_message_ts, source_user_ids FROM context_observations")).fetchall()
        assert kept == [("The Acme SSO certificate expires on December 12.", ["300.000005"], ["U3"])]  # ...one fact
        # An edit forgets the old text's facts; authors stay parallel to the messages that remain.
        both = await _observation(conn, org, "C1", "Shared fact.", ["300.000001", "300.000005"])
        await conn.execute("UPDATE context_observations SET source_user_ids = '{U1,U3}' WHERE id = %s", (both,))
        await memory.forget_messages(conn, org, "C1", ["300.000001"])
        assert await (await conn.execute("SELECT source_message_ts, source_user_ids FROM context_observations WHERE id = %s",
                                         (both,))).fetchone() == (["300.000005"], ["U3"])


async def test_authors_of_older_facts_come_from_the_raw_message_while_it_is_kept(conn: Conn) -> None:
    org = await make_org(conn)
    priya = await make_user(conn, org, "priya", slack_id="U0PRIYA", timezone="Asia/Kolkata")
    await conn.execute("UPDATE users SET real_name = 'Priya Raman' WHERE id = %s", (priya,))
    await memory.store_messages(conn, org, "C1", [memory.message_row({"user": "U0PRIYA", "text": "Old fact.", "ts": "400.1"})])
    old = await _observation(conn, org, "C1", "Old fact.", ["400.1"])  # stored before authors were kept
    gone = await _observation(conn, org, "C1", "Older fact.", ["399.1"])  # its raw message already deleted
    rows = await (await conn.execute(memory.Q["observation_authors"], {"organization_id": org, "ids": [old, gone]})).fetchall()
    assert sorted(rows) == sorted([(old, "U0PRIYA", "Priya Raman", "Asia/Kolkata"), (gone, None, None, None)])
    other = await make_org(conn, "Other")
    assert (await (await conn.execute(memory.Q["observation_authors"], {"organization_id": other, "ids": [old]})).fetchall()) == []


async def test_summaries_leave_out_questions_stored_by_an_older_steward(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        org = await make_org(conn)
        await conn.execute("INSERT INTO clients (organization_id, name) VALUES (%s, 'Acme')", (org,))
        await _observation(conn, org, "C1", "@steward what's going on with Acme?", ["5.1"])
        await _observation(conn, org, "C1", "Acme's deploy is on Thursday.", ["5.2"])
        await _observation(conn, org, "C1", "Acme asked for a new quote.", ["5.3"])
    assert await memory.regenerate_summaries(pool, AI(), NOW) == 1
    async with pool.connection() as conn:
        summary = await fetchval(conn, "SELECT summary FROM context_summaries")
    assert "Thursday" in summary and "going on" not in summary


async def test_an_erased_person_s_facts_stay_unattributed(conn: Conn) -> None:
    org = await make_org(conn)
    fact = await _observation(conn, org, "C1", "The deploy is on Friday.", ["600.1", "600.2"])
    await conn.execute("UPDATE context_observations SET source_user_ids = '{U0GONE,U0STAYS}' WHERE id = %s", (fact,))
    assert await memory.unattribute(conn, org, "U0GONE") == 1
    assert await fetchval(conn, "SELECT source_user_ids FROM context_observations WHERE id = %s", (fact,)) == [None, "U0STAYS"]
    assert await memory.unattribute(conn, org, "U0GONE") == 0
