"""What Steward holds about a person: shown to them, exported and erased by an admin (SPEC F17)."""

from __future__ import annotations

import json

import psycopg

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, answer
from tests.e2e.test_tasks import _make_task
from tests.helpers import fetchval


async def test_my_data_shows_a_person_what_is_held(emulator: SlackEmulator, steward: Steward) -> None:
    await _make_task(emulator, SAM, "fix the login bug by Friday")
    await (await emulator.slash_command(SAM, "/journal", "a private thought", channel=ACME)).wait_for_response(timeout=10)
    reply = await answer(emulator, SAM, "/steward", "my-data")
    text = reply.text  # type: ignore[attr-defined]
    assert "What I hold about you" in text and "role member" in text
    assert "\u2022 tasks: *1*" in text and "\u2022 journal entries: *1*" in text and "\u2022 task drafts: *1*" in text
    assert "a private thought" not in text  # counts, not content, in a channel response


async def test_export_and_erase_are_admin_only_and_complete(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await _make_task(emulator, SAM, "fix the login bug by Friday")
    await (await emulator.slash_command(SAM, "/journal", "a private thought", channel=ACME)).wait_for_response(timeout=10)
    refused = await answer(emulator, PRIYA, "/steward", f"export <@{SAM}|sam>")
    assert "only Steward admins" in refused.text  # type: ignore[attr-defined]

    mark = len(emulator.calls)
    done = await answer(emulator, MAYA, "/steward", f"export <@{SAM}|sam>")
    assert "sent you the export" in done.text  # type: ignore[attr-defined]
    upload = await emulator.wait_for_call("files.completeUploadExternal", since=mark, timeout=10)
    assert upload is not None
    stored = [f for f in emulator.workspace.files.files.values() if f.name == f"steward-export-{SAM}.json" and f.completed]
    assert len(stored) == 1 and stored[0].content is not None
    maya_dm = await emulator.dm_channel(MAYA)
    assert maya_dm in stored[0].shares  # shared into the admin's DM, nowhere else
    exported = json.loads(stored[0].content)
    assert exported is not None, "the export file reached the admin's DM"
    assert exported["profile"]["slack_id"] == SAM
    assert [t["title"] for t in exported["tasks"]] == ["fix the login bug"]
    assert [j["body"] for j in exported["journals"]] == ["a private thought"]

    ask = await answer(emulator, MAYA, "/steward", f"erase <@{SAM}|sam>")
    assert "cannot be undone" in str(ask.blocks)  # type: ignore[attr-defined]
    ephemeral = emulator.ephemerals_for(MAYA)[-1]
    await emulator.click_ephemeral_button(MAYA, ACME, ephemeral.ts, "privacy_erase_confirm", SAM)
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        from tests.helpers import eventually

        await eventually(lambda: _gone(conn))
        assert await fetchval(conn, "SELECT count(*) FROM journals") == 0
        assert await fetchval(conn, "SELECT count(*) FROM tasks WHERE user_id IS NULL AND title = 'fix the login bug'") == 1
        actions = [r[0] for r in await (await conn.execute("SELECT action FROM audit_logs ORDER BY id")).fetchall()]
    assert actions == ["person.exported", "person.erased"]


async def _gone(conn: psycopg.AsyncConnection) -> bool:
    return await fetchval(conn, "SELECT count(*) FROM platform_identities WHERE external_id = %s", (SAM,)) == 0
