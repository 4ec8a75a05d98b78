"""The README's first memory example on a sandbox that has just started: `steward run`, then at once
"@steward what's going on with Acme?" in #client-acme, typed as the page sends it. The seeded history is
backfilled and read into memory before anyone can ask (no wait for the two-minute context job)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bot.sandbox import Sandbox
from tests.e2e.conftest import sandbox_steward
from tests.helpers import fetchval

QUESTION = "@steward what's going on with Acme?"


async def _ask(sandbox: Sandbox, who: str, channel: str, text: str) -> str:
    """Type `text` in the page's composer as `who`; Steward's reply in the question's thread (text and blocks)."""
    emu = sandbox.emulator
    mark = len(emu.calls)
    async with aiohttp.ClientSession(trust_env=False) as http, http.post(
            sandbox.web_url + "api/message", json={"as": who, "channel": channel, "text": text}) as response:
        sent: dict[str, Any] = await response.json()
    assert sent["ok"] and sent["text"].startswith(f"<@{emu.bot_user_id}>"), sent
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channel
                                   and c.args.get("thread_ts") == sent["ts"], since=mark, timeout=20)
    return str(call.args.get("text") or "") + str(call.args.get("blocks") or "")


async def test_the_first_question_on_a_fresh_sandbox_gets_the_seeded_facts(db_dsn: str, tmp_path: Path) -> None:
    # The scheduler is stopped once Steward has started: no two-minute tick can have read the history.
    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as (sandbox, _bot):
        assert sandbox.demo is not None
        answer = await _ask(sandbox, sandbox.demo.people["maya"], sandbox.demo.channels["client-acme"], QUESTION)
        assert "SSO certificate" in answer and "metadata" in answer, answer
        assert "don't know" not in answer.lower()
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            # Read through the scheduler's run path: claimed and logged once, like any run of the job.
            assert await fetchval(conn, "SELECT count(*) FROM job_runs WHERE job_name = 'context' "
                                        "AND status = 'succeeded'") == 1
            assert await fetchval(conn, "SELECT count(*) FROM backfill_state WHERE status = 'complete'") == 2
