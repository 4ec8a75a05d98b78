"""Issue 11, part 2, with a real `steward run`: a burst of DMs (each one becomes a draft and its preview), the
process killed with SIGKILL at each stage boundary and started again. Every DM ends with exactly one draft and
exactly one preview in Slack (0 duplicates, 0 lost), and each draft points at its one preview.

The boundaries, each hit exactly through the emulator (which runs in this test): a preview reaches Slack
as the process dies and Slack never takes it (the draft is written, the reply is not: "effect written");
Slack takes a preview and the process dies before it hears back ("reply sent", not recorded); and, at every
kill, the other rows in flight are claimed or half-done ("claimed"), or done but not yet marked ("row
marked", which tests/e2e/test_inbox_effects.py also hits exactly).

CI size: 60 DMs, 2 kills; STEWARD_CHAOS_FULL=1: 1,000 DMs, 4 kills."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.emulators.slack import SlackEmulator
from bot.emulators.slack.errors import SlackError
from tests.chaos.harness import FULL, StewardProcess, process_env, query, size, value

pytestmark = pytest.mark.asyncio

DMS = size(60, 1000)
PEOPLE = [f"U0B{i:04d}" for i in range(size(6, 60))]  # at most 17 DMs each: the parse limit is 20 a minute
# The n-th preview (counting every attempt) at which the process is killed, and how.
KILLS = [(DMS // 5, "effect written"), (DMS // 2, "reply sent")] + (
    [(DMS * 7 // 10, "effect written"), (DMS * 9 // 10, "reply sent")] if FULL else [])


def is_preview(blocks: Any) -> bool:
    return "draft_confirm" in str(blocks)


def draft_of(message: dict[str, Any]) -> int:
    return int(next(e["value"] for b in message.get("blocks") or [] if b.get("block_id") == "draft_actions"
                    for e in b["elements"] if e["action_id"] == "draft_confirm").split(":")[0])


async def test_kill_9_at_each_stage_boundary_across_a_burst(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    for person in PEOPLE:
        emulator.add_user(person, person.lower(), f"Person {person}")
    proc = StewardProcess(process_env(emulator, db_dsn, tmp_path))
    await proc.start(emulator)
    killed = asyncio.Event()
    seen = {"effect written": 0, "reply sent": 0}
    plan = list(KILLS)

    def due(boundary: str) -> bool:
        seen[boundary] += 1
        if plan and plan[0][1] == boundary and sum(seen.values()) >= plan[0][0]:
            plan.pop(0)
            assert proc.pid is not None
            os.kill(proc.pid, signal.SIGKILL)
            killed.set()
            return True
        return False

    async def gate(method: str, args: dict[str, Any]) -> None:
        if method == "chat.postMessage" and is_preview(args.get("blocks")) and due("effect written"):
            raise SlackError("service_unavailable")  # never taken: the sender is gone

    def on_bot_message(_channel: Any, message: dict[str, Any]) -> None:
        if is_preview(message.get("blocks")):
            due("reply sent")  # taken: the sender dies before it hears back

    remove = emulator.add_gate(gate)
    emulator.workspace.bot_message_hooks.append(on_bot_message)
    try:
        channels = {p: await emulator.dm_channel(p) for p in PEOPLE}
        texts = [f"I'll send report {i} to the client by Friday" for i in range(DMS)]
        for i, text in enumerate(texts):
            person = PEOPLE[i % len(PEOPLE)]
            await emulator.user_message(person, channels[person], text)
        kills = 0
        while True:
            if all(r[0] == "done" for r in await query(db_dsn, "SELECT status FROM event_inbox WHERE kind = 'events_api' "
                                                                "AND payload->'event'->>'text' LIKE 'I''ll send report%%'")) \
                    and await value(db_dsn, "SELECT count(*) FROM task_drafts WHERE preview_ts IS NOT NULL") >= DMS:
                break
            try:
                await asyncio.wait_for(killed.wait(), timeout=1.0)
            except TimeoutError:
                assert proc.running, proc.tail()
                continue
            killed.clear()
            kills += 1
            await proc.kill()
            await proc.start(emulator)
        assert kills == len(KILLS)
    finally:
        remove()
        emulator.workspace.bot_message_hooks.remove(on_bot_message)
        await proc.aclose()

    drafts = await query(db_dsn, "SELECT id, raw_text, preview_channel_id, preview_ts FROM task_drafts ORDER BY id")
    by_text: dict[str, list[Any]] = {}
    for row in drafts:
        by_text.setdefault(row[1], []).append(row)
    assert sorted(by_text) == sorted(texts)  # 0 lost
    assert [t for t, rows in by_text.items() if len(rows) != 1] == []  # 0 duplicate drafts
    shown = [m for c in channels.values() for m in emulator.messages(c) if m.get("bot_id") and is_preview(m.get("blocks"))]
    assert len(shown) == DMS  # 0 duplicate previews
    where = {draft_of(m): m["ts"] for m in shown}
    assert all(where.get(d[0]) == d[3] for d in drafts)  # each draft's one preview is the one in Slack
