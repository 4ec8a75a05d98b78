"""Bad input to every command gets a reply and never a dead letter (SPEC section 5)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, SAM
from tests.helpers import eventually, fetchval

JUNK = ["", "   ", "\U0001F4A5\U0001F4A5", "x" * 5000, "<@U0NOBODY>", "T-999999999999", "'; DROP TABLE tasks;--",
        "\u202e\u0000weird", "remind me", "12/45/2026", "add", "move T-1", "off off off"]
COMMANDS = ["/task", "/tasks", "/board", "/reminders", "/ooo", "/mood", "/journal", "/ask", "/steward"]


@pytest.mark.timeout(300)
async def test_every_command_answers_junk_politely(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    steward.worker.backoff_base = 0.01
    unanswered = []
    for command in COMMANDS:
        results = await asyncio.gather(*(emulator.slash_command(SAM, command, text, channel=ACME) for text in JUNK))
        for text, result in zip(JUNK, results, strict=True):
            try:
                response = await result.wait_for_response(timeout=15)
            except TimeoutError:
                unanswered.append((command, text[:20]))
                continue
            reply = (response.text or "") + str(response.blocks or "")
            assert reply.strip(), (command, text[:20])
            assert "Traceback" not in reply and "Exception" not in reply
    assert unanswered == []
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        # Every envelope ends done (the row is marked just after the reply goes out): none pending or dead.
        await eventually(lambda: _all_done(conn))
        assert await fetchval(conn, "SELECT count(*) FROM tasks") == 0  # nothing was created by junk
        assert await fetchval(conn, "SELECT to_regclass('tasks') IS NOT NULL") is True


async def test_junk_direct_messages_get_a_reply_each(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    channel = await emulator.dm_channel(SAM)
    for text in [t for t in JUNK if t.strip()]:
        mark = len(emulator.calls)
        await emulator.user_message(SAM, channel, text)
        reply = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, SAM),
                                             since=mark, timeout=15)
        assert (reply.args.get("text") or "").strip()
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        # Every envelope ends done (the row is marked just after the reply goes out): none pending or dead.
        await eventually(lambda: _all_done(conn))
        # The NUL character could not be stored as such; the rest of the text was, verbatim.
        assert await fetchval(conn, "SELECT payload->'event'->>'text' FROM event_inbox WHERE payload->'event'->>'text' LIKE %s",
                              ("\u202e%",)) == "\u202e\ufffdweird"


async def _all_done(conn: psycopg.AsyncConnection) -> bool:
    return await fetchval(conn, "SELECT count(*) FROM event_inbox WHERE status <> 'done'") == 0
