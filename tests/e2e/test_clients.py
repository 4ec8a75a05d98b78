"""Clients and projects from Slack: admins add and archive them, and drafts pick them up."""

from __future__ import annotations

import psycopg

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, MAYA, SAM, answer, answer_text
from tests.e2e.test_tasks import _make_task
from tests.helpers import fetchval


async def test_admin_adds_clients_and_projects_and_tasks_use_them(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    assert "only Steward admins" in await answer_text(emulator, SAM, "/steward", "client add Globex")
    added = await answer_text(emulator, MAYA, "/steward", f"client add Globex Corporation <#{ACME}|client-acme> \u2014 manufacturing, since 2024")
    assert "Added client *Globex Corporation*" in added and ACME in added
    assert "already a client" in await answer_text(emulator, MAYA, "/steward", "client add globex corporation")
    assert "Added project *Website relaunch* for Globex Corporation" in await answer_text(emulator, MAYA, "/steward", "project add Website relaunch for globex")
    assert "I don't know a client called `Initech`" in await answer_text(emulator, MAYA, "/steward", "project add Billing for Initech")

    await _make_task(emulator, SAM, "update the Globex pricing page by Friday")
    listing = await answer_text(emulator, SAM, "/steward", "clients")
    assert "*Globex Corporation*" in listing and "1 open task" in listing
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT c.name FROM tasks t JOIN clients c ON c.id = t.client_id") == "Globex Corporation"
        row = await (await conn.execute("SELECT slack_channel_id, description FROM clients")).fetchone()
        assert row == (ACME, "manufacturing, since 2024")
        assert await fetchval(conn, "SELECT c.name FROM projects p JOIN clients c ON c.id = p.client_id") == "Globex Corporation"

    assert "Archived client *Globex Corporation*" in await answer_text(emulator, MAYA, "/steward", "client remove globex")
    assert "No clients yet" in await answer_text(emulator, MAYA, "/steward", "client list")
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE client_id IS NOT NULL") == 1  # history keeps it
        actions = [r[0] for r in await (await conn.execute("SELECT action FROM audit_logs ORDER BY id")).fetchall()]
    assert actions == ["client.added", "project.added", "client.archived"]

    # tester16 #10: adding it again brings the archived client back (it crashed on the unique name before).
    said = await answer_text(emulator, MAYA, "/steward", "client add Globex Corporation")
    assert "Restored client *Globex Corporation* (channel" in said and "it was archived" in said, said
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM clients WHERE active") == 1
        assert await fetchval(conn, "SELECT count(*) FROM clients") == 1
        assert await fetchval(conn, "SELECT action FROM audit_logs ORDER BY id DESC LIMIT 1") == "client.restored"


async def test_tasks_and_board_by_client_channel_and_clear_answers_for_strangers(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    await _make_task(emulator, SAM, "update the Acme pricing page by Friday")
    # A client's channel names the client, as Slack sends a picked or typed #channel.
    by_channel = await answer(emulator, SAM, "/tasks", f"<#{ACME}|client-acme>")
    assert by_channel.text == "Your open tasks for Acme Corp" and "pricing page" in str(by_channel.blocks)
    board = await answer_text(emulator, SAM, "/board", f"<#{ACME}|client-acme>")
    assert "Board for Acme Corp" in board
    # A channel with no client, a name nobody has, an unknown client: each says what is wrong.
    assert "No client is linked to <#C0STANDUP>" in await answer_text(emulator, SAM, "/tasks", "<#C0STANDUP|standup>")
    assert "I don't know anyone called `@Nobody`" in await answer_text(emulator, SAM, "/tasks", "@Nobody")
    assert "I don't know a client called `Initech`" in await answer_text(emulator, SAM, "/tasks", "Initech")
    # A second client on the same channel is added, with a warning about sharing it.
    shared = await answer_text(emulator, MAYA, "/steward", f"client add Globex Inc <#{ACME}|client-acme>")
    assert "Added client *Globex Inc*" in shared and "also Acme Corp's channel" in shared
