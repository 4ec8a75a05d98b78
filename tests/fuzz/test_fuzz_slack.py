"""The Hypothesis fuzz (issue 11, part 8): Slack inputs generated from the shapes the emulator sends
(tests/fuzz/slack_inputs.py), against the real app for every listener: the real bot over real sockets to
the emulator, a real PostgreSQL.

After every input:
* no process exit: the inbox worker and the dispatcher are running and the socket is connected;
* no unhandled exception: every inbox row is done after one attempt (none retried, none dead-lettered, none
  left processing), and nothing was logged at error level (Steward's log, Bolt's, asyncio's);
* every envelope with an envelope_id was acked, interactions within Slack's 3 s;
* every user-visible answer is within Slack's limits (the emulator validates posts, updates, views and
  response_url posts as Slack does, and answers invalid_blocks / msg_too_long / invalid_arguments) and
  pings nobody (no <!here>, <!channel>, <!everyone>, <!subteam^…> in anything Steward sent).

Size: CI runs a fixed number of derandomized examples (``STEWARD_FUZZ_EXAMPLES``, default 150, a few tens of
seconds); ``STEWARD_FUZZ_FULL=1`` runs 3,000 random ones (set ``STEWARD_FUZZ_EXAMPLES`` to change that).
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio
import structlog
from hypothesis import HealthCheck, Phase, given, settings

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, STANDUP, Running, answer, dm, start_steward
from tests.fuzz import slack_inputs
from tests.fuzz.slack_inputs import Env, Input, inputs
from tests.helpers import eventually

FULL = os.environ.get("STEWARD_FUZZ_FULL") == "1"
EXAMPLES = int(os.environ.get("STEWARD_FUZZ_EXAMPLES") or (3000 if FULL else 150))
SETTLE_SECONDS = 30.0
STEP = timedelta(seconds=5)  # Steward's clock moves on between inputs (rate limits are per minute)

# What the emulator answers for a post over Slack's limits (bot/emulators/slack/validation.py).
LIMIT_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_arguments",
                          "too_many_attachments", "invalid_attachments"})
PING = re.compile(r"<!(?:here|channel|everyone|group|subteam)\b")
SHOWN_BY = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage", "views.open", "views.push",
            "views.update", "views.publish", "files.completeUploadExternal")
# Log events at error level that are answers, not failures: Slack refused something a person asked for
# for a reason of its own (a channel Steward is not in), which the person was told.
EXPECTED_ERRORS = frozenset({"slack_refused"})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Fuzz:
    """The running bot, its emulator and what was seen so far (to check only what each input caused)."""

    emu: SlackEmulator
    bot: Steward
    dsn: str
    clock: FrozenClock
    env: Env
    errors: list[logging.LogRecord] = field(default_factory=list)
    last_row: int = 0
    sent: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


class _Errors(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


@pytest.fixture
def stdlib_errors() -> Iterator[list[logging.LogRecord]]:
    """Error records of the standard library's logging (Bolt, the Slack SDK, asyncio) while the test runs."""
    sink: list[logging.LogRecord] = []
    handler = _Errors(sink)
    logging.getLogger().addHandler(handler)
    try:
        yield sink
    finally:
        logging.getLogger().removeHandler(handler)


@pytest_asyncio.fixture
async def fuzz(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, stdlib_errors: list[logging.LogRecord]) -> AsyncIterator[Fuzz]:
    clock = FrozenClock(at=utc(2026, 3, 6, 14, 0, 30))  # Friday 09:00 in New York
    running: Running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    bot = running.bot
    bot.worker.backoff_base = 0.01  # a retry (a failure) shows at once as a second attempt
    try:
        settings_words = (f"standup channel <#{STANDUP}|standup> time 09:00 timezone America/New_York days mon-fri "
                          "nudge 60 summary 120 eod 17:30")
        assert "Saved" in ((await answer(emulator, MAYA, "/steward", settings_words, channel=STANDUP)).text or "")
        await answer(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
        await eventually(lambda: bot.leadership.is_leader, within=10)
        mark = len(emulator.calls)
        await bot.scheduler.run_claimed("morning-thread", clock.now())
        await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP and not c.args.get("thread_ts"),
                                     since=mark, timeout=15)
        roots = [m for m in emulator.messages(STANDUP, include_replies=False) if m.get("bot_id")]
        bot.scheduler.shutdown()  # the fuzz drives everything; no job runs behind its back

        async def run_job(name: str, later: timedelta) -> None:
            clock.at += later
            await bot.scheduler.run_claimed(name, clock.now())
            await bot.dispatcher.run_once()  # what the job queued for now goes out before the checks

        state = Fuzz(emulator, bot, db_dsn, clock, Env(emulator, str(roots[0]["ts"]), run_job), stdlib_errors)
        state.last_row = await _last_row(db_dsn)
        await _seed(state)
        yield state
        # For the hand-run full size: how many inputs of each kind were sent.
        print(f"\nfuzz: {state.sent} inputs sent, {len(emulator.envelopes)} envelopes, "
              f"{len(emulator.calls)} Web API calls, {len(emulator.response_posts)} response_url posts; "
              f"calls: {dict(collections.Counter(c.method for c in emulator.calls))}; by kind: {dict(sorted(state.kinds.items()))}")
    finally:
        await running.stop()


async def _seed(f: Fuzz) -> None:
    """Something of everything for the inputs to act on: drafts and tasks with their buttons, a standup reply
    with Undo and Edit, a reminder, modals open, App Homes published (each step checked like any input)."""
    for inp in [slack_inputs.DirectMessage(SAM, "I'll fix the login bug by Friday and write the release notes tomorrow"),
                slack_inputs.DirectMessage(PRIYA, "I'll redo the Acme landing page by Friday and update the pricing table"),
                slack_inputs.ThreadReply(DIEGO, "Today: the checkout bug and the Acme invoices. Blockers: none", False, 0),
                slack_inputs.DirectMessage(SAM, "remind me to call the bank in 2 hours"),
                slack_inputs.DirectMessage(PRIYA, "remember that I prefer afternoon reminders"),
                slack_inputs.Command(MAYA, "/steward", f"manager <@{MAYA}> for <@{SAM}> <@{PRIYA}> <@{DIEGO}>", ACME),
                slack_inputs.Command(SAM, "/blocker", "the staging server is down", ACME)]:
        await run_one(f, inp)
    preview = next(m for m in f.emu.messages(await f.emu.dm_channel(PRIYA)) if m.get("bot_id") and "draft" in m.get("text", "").lower())
    confirm = next(e for b in preview["blocks"] if b.get("block_id") == "draft_actions" for e in b["elements"]
                   if e["action_id"] == "draft_confirm")
    await run_one(f, _Click(PRIYA, await f.emu.dm_channel(PRIYA), preview["ts"], "draft_confirm", confirm["value"]))
    for inp in [slack_inputs.Command(MAYA, "/steward", "standup", STANDUP), slack_inputs.Command(PRIYA, "/task", "edit T-1", ACME),
                slack_inputs.OpenHome(SAM), slack_inputs.OpenHome(PRIYA), slack_inputs.RunJob("end-of-day", 8 * 60 + 29)]:
        await run_one(f, inp)


@dataclass
class _Click(slack_inputs.Input):
    user: str
    channel: str
    ts: str
    action_id: str
    value: str

    async def send(self, env: Env) -> None:
        await env.emu.click_button(self.user, message_ts=self.ts, channel=self.channel, action_id=self.action_id,
                                   value=self.value)


async def _last_row(dsn: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        row = await (await conn.execute("SELECT coalesce(max(id), 0) FROM event_inbox")).fetchone()
    return int(row[0]) if row else 0


async def _settle(f: Fuzz, envelopes_from: int) -> list[str]:
    """Wait until every envelope sent since ``envelopes_from`` is acked and no inbox row is pending or
    processing; what is still open after SETTLE_SECONDS is a problem."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    async with await psycopg.AsyncConnection.connect(f.dsn, autocommit=True) as conn:
        while True:
            # Acks first: an envelope is stored before it is acked, so once it is acked its row shows below.
            unacked = [e.envelope_id for e in f.emu.envelopes[envelopes_from:] if not e.acked]
            row = await (await conn.execute(OPEN_ROWS, {"team": f.emu.team_id})).fetchone()
            open_rows = int(row[0]) if row else 0
            if not open_rows and not unacked:
                return []
            if loop.time() > deadline:
                return [f"not settled after {SETTLE_SECONDS:.0f}s: {open_rows} inbox row(s) open, envelopes never acked: "
                        f"{unacked[:5]}"]
            await asyncio.sleep(0.01)


# Rows this process works on: its own workspace's, and those naming no team. A row of a workspace no process
# holds a token for (a raw envelope's team id replaced by the fuzz) waits, untouched, for a process that does
# (bot/tenants.py): it must stay pending with no attempt.
OPEN_ROWS = ("SELECT count(*) FROM event_inbox WHERE status IN ('pending', 'processing') "
             "AND (team_id IS NULL OR team_id = %(team)s)")


async def _rows_since(f: Fuzz) -> list[tuple[int, str, int, str | None, str]]:
    async with await psycopg.AsyncConnection.connect(f.dsn, autocommit=True) as conn:
        rows = await (await conn.execute(
            "SELECT id, CASE WHEN team_id IS NULL OR team_id = %s THEN status "
            "WHEN status = 'pending' AND attempts = 0 THEN 'done' ELSE 'claimed by a process without its token' END, "
            "greatest(attempts, 1), last_error, kind, left(payload::text, 300) FROM event_inbox WHERE id > %s ORDER BY id",
            (f.emu.team_id, f.last_row))).fetchall()
    return [(int(r[0]), str(r[1]), int(r[2]), r[3], f"{r[4]} {r[5]}") for r in rows]


def _shown(body: dict[str, Any]) -> str:
    """What a post, an update, a view or a response shows as Slack renders it (mrkdwn and message text), as
    JSON: plain_text objects and the initial values of inputs are left out, since Slack renders no markup
    in them (a title someone typed as "<!here>" is shown as those characters and pings nobody), and so
    are values people never see (button values, ids, private_metadata)."""
    return json.dumps(_rendered({k: body.get(k) for k in ("text", "blocks", "view", "attachments", "initial_comment")}),
                      ensure_ascii=False)


_UNRENDERED = frozenset({"value", "initial_value", "private_metadata", "action_id", "block_id", "callback_id", "url",
                         "external_id", "initial_date", "initial_time", "initial_conversation"})


def _rendered(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return None
        return {k: _rendered(v) for k, v in value.items() if k not in _UNRENDERED}
    if isinstance(value, list):
        return [_rendered(v) for v in value]
    return value


def _around(pattern: re.Pattern[str], text: str, width: int = 150) -> str:
    """The text around the first match of ``pattern`` (what a failure report needs to show)."""
    m = pattern.search(text)
    return text[max(0, m.start() - width):m.end() + width] if m else text[:2 * width]


async def _check(f: Fuzz, calls_from: int, envelopes_from: int, responses_from: int, refused_from: int,
                 logs: list[dict[str, Any]], errors_from: int) -> list[str]:
    problems = await _settle(f, envelopes_from)
    for row_id, status, attempts, last_error, about in await _rows_since(f):
        f.last_row = max(f.last_row, row_id)
        acceptable = last_error is None or last_error.startswith("invalid payload: ") or (
            last_error.startswith("slack refused: ") and last_error.removeprefix("slack refused: ") not in LIMIT_ERRORS)
        if status != "done" or attempts != 1 or not acceptable:
            problems.append(f"inbox row {row_id}: {status} after {attempts} attempt(s): {last_error} ({about})")
    for e in f.emu.envelopes[envelopes_from:]:
        if e.timed_out:
            problems.append(f"envelope {e.envelope_id} ({e.type}) acked after Slack's 3 s")
    for call in f.emu.calls[calls_from:]:
        if call.error in LIMIT_ERRORS:
            problems.append(f"{call.method} refused by Slack: {call.error} {call.response.get('response_metadata')}")
        if call.method in SHOWN_BY and PING.search(_shown(call.args)):
            problems.append(f"{call.method} pings: {_around(PING, _shown(call.args))}")
    for post, code in f.emu.refused_responses[refused_from:]:
        problems.append(f"response_url post refused by Slack: {code}: {json.dumps(post.body)[:300]}")
    for post in f.emu.response_posts[responses_from:]:
        if PING.search(_shown(post.body)):
            problems.append(f"response_url post pings: {_around(PING, _shown(post.body))}")
    for entry in logs:
        if entry.get("log_level") in ("error", "critical", "exception") and entry.get("event") not in EXPECTED_ERRORS:
            problems.append(f"logged {entry.get('log_level')}: {entry.get('event')} {entry.get('error') or ''}"[:400])
        if entry.get("event") in ("inbox_retry_scheduled", "inbox_dead_letter"):
            problems.append(f"logged {entry.get('event')}: {entry.get('error')}"[:400])
    for record in f.errors[errors_from:]:
        problems.append(f"{record.name} logged {record.levelname}: {record.getMessage()}"[:400])
    for name, task in (("inbox worker", f.bot.worker._task), ("dispatcher", f.bot.dispatcher._task)):
        if task is None or task.done():
            problems.append(f"the {name} stopped")
    if not f.bot.socket_connected():
        problems.append("the Socket Mode connection is gone")
    return problems


async def run_one(f: Fuzz, inp: Input) -> None:
    """Send one input, wait for Steward to finish with it, and fail with every broken promise."""
    calls_from, envelopes_from = len(f.emu.calls), len(f.emu.envelopes)
    responses_from, refused_from, errors_from = len(f.emu.response_posts), len(f.emu.refused_responses), len(f.errors)
    f.clock.at += STEP
    with structlog.testing.capture_logs() as logs:
        await inp.send(f.env)
        problems = await _check(f, calls_from, envelopes_from, responses_from, refused_from, logs, errors_from)
    f.sent += 1
    f.kinds[type(inp).__name__] = f.kinds.get(type(inp).__name__, 0) + 1
    assert not problems, f"{inp!r}:\n  " + "\n  ".join(problems)


@pytest.mark.timeout(7200 if FULL else 600)
@settings(max_examples=EXAMPLES, derandomize=not FULL, database=None, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=list(HealthCheck), print_blob=True)
@given(inp=inputs())
async def test_slack_inputs_never_break_steward(fuzz: Fuzz, inp: Input) -> None:
    await run_one(fuzz, inp)


def test_the_fuzz_covers_every_listener() -> None:
    """Every slash command, action, view and event Steward registers (bot/listeners/*.py) is one the
    strategies generate: a new listener without fuzz coverage fails here."""
    listeners = Path(__file__).resolve().parents[2] / "bot" / "listeners"
    source = "\n".join(p.read_text() for p in sorted(listeners.glob("*.py")))
    commands = set(re.findall(r'app\.command\("(/[a-z-]+)"\)', source))
    actions = set(re.findall(r'app\.action\("([a-z_0-9]+)"\)', source))
    from bot.listeners import blockers  # registers its buttons in a loop

    actions |= set(blockers.BUTTONS)
    actions |= {f"mood_{n}" for n in range(1, 6)} if 'app.action(re.compile(r"^mood_[1-5]$"))' in source else set()
    views = set(re.findall(r'app\.view\("([a-z_]+)"\)', source))
    events = set(re.findall(r'app\.event\("([a-z_]+)"', source)) | set(re.findall(r'app\.event\(\{"type": "([a-z_]+)"', source))
    words = set(re.findall(r'subcommands\(deps\)\["([a-z-]+)"\]', source))
    assert commands and actions and views and events and words
    assert commands <= set(slack_inputs.COMMANDS)
    assert actions <= set(slack_inputs.ACTION_IDS)
    assert views <= set(slack_inputs.CALLBACK_IDS)
    assert events <= set(slack_inputs.EVENT_TYPES)
    assert words <= set(slack_inputs.STEWARD_WORDS)


@pytest.mark.timeout(300)
async def test_a_fuzzed_sequence_leaves_steward_answering(fuzz: Fuzz) -> None:
    """A fixed sequence of the nastiest inputs, one of each kind, then an ordinary question still gets its
    answer: Steward is alive and well after the fuzz, not merely running."""
    for inp in [slack_inputs.RawEnvelope("junk", "message", SAM, 0, None, False, [1, 2]),
                slack_inputs.RawEnvelope("event", "member_joined_channel", SAM, 3, 5, False, None),
                slack_inputs.ForgedClick(SAM, "task_mark_done", {"id": 1}, {}, False),
                slack_inputs.ForgedSubmit(MAYA, "standup_settings", "", "a str where a dict was expected"),
                slack_inputs.DirectMessage(SAM, "remind me to <!subteam^S0ALL|@all> call the bank in 2 hours"),
                slack_inputs.FileShare(SAM, "", True),
                slack_inputs.PressButton(0), slack_inputs.SubmitModal(0, ["", 3])]:
        await run_one(fuzz, inp)
    assert "Here's what I can do" in (await dm(fuzz.emu, SAM, "help"))["text"]


def test_inputs_are_drawn_from_every_kind() -> None:
    """The strategy reaches every kind of input (a sample of 300 draws, derandomized)."""
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(inp=inputs())
    def sample(inp: Input) -> None:
        seen.add(type(inp).__name__)

    sample()
    kinds = {c.__name__ for c in vars(slack_inputs).values()
             if isinstance(c, type) and issubclass(c, Input) and c is not Input}
    assert kinds <= seen, kinds - seen

