"""Memory answers people can trust (issue 9, part 5), end to end: the real bot on the Slack emulator
(and on the sandbox's own seed), a fresh PostgreSQL, the offline mode or the OpenAI fake.

"@steward what's going on with Acme?" must lead with the client's dated facts (dates resolved from
when they were said), say who said what and when, rank #client-acme above incidental mentions in
the standup thread, number its sources in order of first use with one number per source message,
and never use a question someone asked Steward as a fact.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import pytest_asyncio
from pgvector import Vector
from pgvector.psycopg import register_vector_async

from bot.app import Steward
from bot.clock import Clock
from bot.embedding import OFFLINE_EMBEDDING_MODEL, embed_offline
from bot.emulators.openai_fake import OpenAIFake
from bot.emulators.slack import SlackEmulator
from bot.emulators.slack.ids import TsClock
from bot.sandbox import Sandbox
from bot.services import search
from jobs import context_pipeline
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, STANDUP, Running, sandbox_steward, start_steward
from tests.helpers import eventually, fetchval

_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SOURCE = re.compile(r"\[(\d+)\] <([^|>]+)\|([^>]*)>")
_DATED = re.compile(r"^\u2022 \*[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}(?: \d{4})?\*")


# ------------------------------------------------------------------------------ reading an answer


@dataclass
class Reply:
    """Steward's answer as a person reads it: the body (bullets with [n]) and the sources line."""

    body: str
    sources: list[tuple[int, str, str]]  # number, permalink, label

    @classmethod
    def of(cls, args: dict[str, Any]) -> Reply:
        text = args.get("text") or ""
        body, _, tail = text.partition("\nSources: ")
        return cls(body, [(int(n), link, label) for n, link, label in _SOURCE.findall(tail)])

    @property
    def cited(self) -> list[int]:
        return [int(n) for group in _CITATION.findall(self.body) for n in re.split(r"\s*,\s*", group)]

    @property
    def bullets(self) -> list[str]:
        return [line for line in self.body.splitlines() if line.startswith("\u2022 ")]

    def link(self, number: int) -> str:
        return next(link for n, link, _ in self.sources if n == number)

    def bullet(self, *words: str) -> str:
        found = [b for b in self.bullets if all(w.casefold() in b.casefold() for w in words)]
        assert found, f"no bullet with {words} in:\n{self.body}"
        return found[0]

    def links_of(self, bullet: str) -> set[str]:
        return {self.link(int(n)) for group in _CITATION.findall(bullet) for n in re.split(r"\s*,\s*", group)}


def assert_citations_trustworthy(reply: Reply) -> None:
    """Numbered in order of first use from 1, one number per source message, none dangling or unused."""
    first_use = list(dict.fromkeys(reply.cited))
    assert first_use == list(range(1, len(first_use) + 1)), (first_use, reply.body)
    numbers = [n for n, _, _ in reply.sources]
    assert numbers == list(range(1, len(numbers) + 1)), reply.sources
    assert set(numbers) == set(reply.cited), (numbers, reply.cited)
    links = [link for _, link, _ in reply.sources]
    assert len(set(links)) == len(links), f"a source listed twice: {links}"


def day(d: date) -> str:
    """How a resolved date is shown: "Fri 12 Dec" (followed by the year when it is not the asker's)."""
    return f"{d:%a} {d.day} {d:%b}"


def spelled(d: date) -> str:
    """How people write it in the seed: "Friday, December 12"."""
    return f"{d:%A}, {d:%B} {d.day}"


def next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday() - 1) % 7 + 1)


def ts_at(moment: datetime, seq: int) -> str:
    return f"{int(moment.timestamp())}.{seq:06d}"


# ------------------------------------------------------------------------------ running Steward


def at_time_of_day(emu: SlackEmulator, hhmm: str) -> Clock:
    """A clock showing today's ``hhmm`` (UTC), with the emulator's timestamps following it: the answer
    must not depend on when in the day it is asked (people in New York, London and Kolkata)."""
    now = datetime.now(UTC)
    hour, minute = map(int, hhmm.split(":"))
    clock = Clock(offset=now.replace(hour=hour, minute=minute) - now)
    emu.workspace.clock = TsClock(clock.now)
    return clock


async def _start(emu: SlackEmulator, dsn: str, tmp_path: Path, clock: Clock | None = None, **extra: Any) -> Running:
    running = await start_steward(emu, dsn, tmp_path, clock=clock or Clock(), **extra)
    running.bot.scheduler.shutdown()  # the test runs the pipeline itself
    search.forget_stats()
    return running


async def _client_for_acme(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        await conn.execute("INSERT INTO clients (organization_id, name, slack_channel_id) VALUES (%s, 'Acme Corp', %s)",
                           (org, ACME))


async def _backfilled(dsn: str, *channels: str) -> None:
    async def done() -> bool:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            return await fetchval(conn, "SELECT count(*) FROM backfill_state WHERE status = 'complete' AND "
                                        "channel_id = ANY (%s)", (list(channels),)) == len(channels)

    await eventually(done, within=20)


async def _pipeline(bot: Steward) -> dict[str, Any]:
    return await context_pipeline.run(bot.deps, bot.deps.now())


async def _mention(emu: SlackEmulator, user: str, channel: str, text: str) -> tuple[str, Reply]:
    """Ask Steward in a channel with a real mention; its reply in the thread."""
    mark = len(emu.calls)
    ts = await emu.user_message(user, channel, f"<@{emu.bot_user_id}> {text}")
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == channel
                                   and c.args.get("thread_ts") == ts, since=mark, timeout=15)
    return ts, Reply.of(call.args)


async def _dm(emu: SlackEmulator, user: str, text: str) -> Reply:
    channel = await emu.dm_channel(user)
    mark = len(emu.calls)
    await emu.user_message(user, channel, text)
    call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user),
                                   since=mark, timeout=15)
    return Reply.of(call.args)


async def _old_observations(dsn: str, bot_user_id: str, asked_ts: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await register_vector_async(conn)
        org, client = (await (await conn.execute("SELECT organization_id, id FROM clients")).fetchone()) or (None, None)
        for text in ("@steward what's going on with Acme?", f"<@{bot_user_id}> what's the status with Acme?",
                     "Steward, anything new on Acme's SSO certificate?"):
            await conn.execute(
                "INSERT INTO context_observations (organization_id, entity_type, entity_key, entity_id, channel_id, "
                "source_message_ts, content, observed_at, embedding, embedding_model) "
                "VALUES (%s, 'client', 'acme corp', %s, %s, %s, %s, now(), %s, %s)",
                (org, client, ACME, [asked_ts], text, Vector(embed_offline([text])[0]), OFFLINE_EMBEDDING_MODEL))


async def _observations(dsn: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return [r[0] for r in await (await conn.execute("SELECT content FROM context_observations ORDER BY id")).fetchall()]


# ------------------------------------------------------------------------------ the scenario


@dataclass
class Scenario:
    """Seed-like history in #client-acme and a standup thread, written before Steward starts."""

    now: datetime
    review: date
    cert: date
    metadata: date
    staging: date
    comments_due: date  # "end of day tomorrow", said yesterday
    kickoff: str
    sso: str
    taken: str
    deploy: str
    asked: str  # "@steward what's going on with Acme?" typed as plain text
    standup: list[str]


def write_history(emu: SlackEmulator, now: datetime) -> Scenario:
    emu.workspace.channel(ACME).members.append(PRIYA)
    today = now.date()
    cert = today + timedelta(days=12)
    metadata = cert - timedelta(days=5)
    staging = next_weekday(today, 3)
    review = next_weekday(today + timedelta(days=2), 2)
    start = now - timedelta(hours=27)
    seq = 0

    def post(hours: float, who: str | None, text: str, channel: str = ACME, thread: str | None = None) -> str:
        nonlocal seq
        seq += 1
        return str(emu.add_message(channel, text, who, ts=ts_at(start + timedelta(hours=hours), seq), thread_ts=thread)["ts"])

    morning = post(-1.0, None, "Good morning! What did you do yesterday, what's next, anything blocking you?", STANDUP)
    kickoff = post(0.0, MAYA, f"Kicking off the *Acme landing page redesign* this week :rocket: <@{SAM}> has the "
                              f"wireframes, <@{PRIYA}> is on the build. We review it with Acme on {spelled(review)}.")
    # Said less than a day ago, so "tomorrow" as of then is never before today: the fact stays upcoming.
    post(4.0, SAM, "Wireframes v2 are in the shared drive: new hero, the pricing table and a testimonial strip. "
                   "Comments welcome before end of day tomorrow.")
    sso = post(1.5, PRIYA, f"Heads up: Acme's *SSO certificate* expires on *{spelled(cert)}*. Their IT team needs our "
                           f"new metadata by {spelled(metadata)} or logins will break.")
    post(1.8, MAYA, f"Good catch. <@{PRIYA}> can you own the renewal? I'll tell their IT lead it's coming.", thread=sso)
    taken = post(2.0, PRIYA, f"Yes, I'll take it and send them the metadata by {spelled(metadata)}.", thread=sso)
    asked = post(5.0, MAYA, "@steward what's going on with Acme?")
    post(5.5, SAM, f"<@{emu.bot_user_id}> when is the Acme review again?")  # answered then; read back by the backfill
    deploy = post(20.0, SAM, f"Staging deploy of the new landing page is planned for *{spelled(staging)}* at 3pm "
                             "London time. Anything that should go in needs to be merged the day before.")
    post(20.5, PRIYA, "The contact form fix will make it :white_check_mark:", thread=deploy)
    post(21.0, MAYA, "Great. Let's make sure Acme gets a staging link the same afternoon.")
    standup = [
        post(22.0, PRIYA, "Yesterday I finished the Acme pricing table. Today I'm wiring the Acme contact form and "
                          "fixing the checkout copy.", STANDUP, morning),
        post(22.5, SAM, "Today: the Acme hero illustrations, then the Globex banner set for their spring sale.",
             STANDUP, morning),
    ]
    comments_due = (start + timedelta(hours=4.0)).astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    return Scenario(now, review, cert, metadata, staging, comments_due, kickoff, sso, taken, deploy, asked, standup)


def assert_status_answer(reply: Reply, emu: SlackEmulator, s: Scenario, *, questions: list[str]) -> None:
    """What "what's going on with Acme?" must say about the scenario."""
    assert_citations_trustworthy(reply)
    link = emu.workspace.permalink
    # The four facts #client-acme is about, each with its date resolved and shown, and its source.
    cert = reply.bullet("SSO certificate", day(s.cert))
    assert link(ACME, s.sso) in reply.links_of(cert)
    assert "Priya" in cert  # who said it...
    metadata = reply.bullet("metadata", day(s.metadata))
    assert reply.links_of(metadata) & {link(ACME, s.sso), link(ACME, s.taken, s.sso)}
    staging = reply.bullet("Staging deploy", day(s.staging))
    assert link(ACME, s.deploy) in reply.links_of(staging) and "Sam" in staging
    review = reply.bullet("review it with Acme", day(s.review))
    assert link(ACME, s.kickoff) in reply.links_of(review) and "Maya" in review
    # ...and when (the day it was said, in the asker's view of the calendar).
    said = datetime.fromtimestamp(float(s.sso), UTC).date()
    assert any(day(said + timedelta(days=d)) in cert for d in (-1, 0, 1)), cert
    # Dated facts lead (the first bullet starts with its date), in date order; client-channel facts come
    # before the standup's incidental ones.
    assert _DATED.match(reply.bullets[0]), reply.body
    order = sorted(((s.staging, staging), (s.metadata, metadata), (s.review, review), (s.cert, cert)), key=lambda p: p[0])
    indexes = [reply.bullets.index(b) for _, b in order]
    assert indexes == sorted(indexes), reply.body
    undated = [i for i, b in enumerate(reply.bullets) if not _DATED.match(b)]
    assert not undated or max(indexes) < min(undated), reply.body
    standup_links = {link(STANDUP, ts) for ts in s.standup}
    positions = {i: reply.links_of(b) for i, b in enumerate(reply.bullets)}
    standup_rows = [i for i, links in positions.items() if links & standup_links]
    client_rows = [i for i, links in positions.items() if not links & standup_links]
    assert not standup_rows or max(client_rows) < min(standup_rows), reply.body
    # A question someone asked Steward is not a fact, and is never cited.
    assert "going on" not in reply.body.casefold(), reply.body
    asked_links = {link(ACME, q) for q in questions}
    assert not asked_links & {source for _, source, _ in reply.sources}


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("time_of_day", ["01:30", "13:00", "23:45"])
async def test_whats_going_on_with_acme_leads_with_dated_client_facts_and_cites_each_source_once(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path, time_of_day: str) -> None:
    clock = at_time_of_day(emulator, time_of_day)
    s = write_history(emulator, clock.now())
    running = await _start(emulator, db_dsn, tmp_path, clock)
    try:
        await _client_for_acme(db_dsn)
        await _backfilled(db_dsn, ACME, STANDUP)
        await _pipeline(running.bot)
        # The questions in the history (typed as text, or a real mention) became no observation; the
        # backfill did not even keep the mention.
        assert not [o for o in await _observations(db_dsn) if "going on" in o or "review again" in o]
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE text LIKE %s",
                                  (f"%<@{emulator.bot_user_id}>%",)) == 0

        # What an older Steward stored before questions to it were kept out: never used in an answer.
        await _old_observations(db_dsn, emulator.bot_user_id, s.asked)

        first_ts, first = await _mention(emulator, SAM, ACME, "what's going on with Acme?")
        assert_status_answer(first, emulator, s, questions=[s.asked, first_ts])
        await _pipeline(running.bot)  # the live question is processed like any message: still no fact
        again_ts, again = await _mention(emulator, MAYA, ACME, "what's going on with Acme?")
        assert_status_answer(again, emulator, s, questions=[s.asked, first_ts, again_ts])
        assert [o for o in await _observations(db_dsn) if "going on" in o] == ["@steward what's going on with Acme?"]  # the old one

        dm = await _dm(emulator, SAM, "What's going on with Acme?")  # privately: the same answer
        assert_status_answer(dm, emulator, s, questions=[s.asked, first_ts, again_ts])
        # "Comments welcome before end of day tomorrow", said yesterday: tomorrow as of then.
        assert dm.bullet("Comments welcome").startswith(f"\u2022 *{day(s.comments_due)}"), dm.body

        # A topical question: the client's own channel first, the standup's mention after, saying where.
        _, form = await _mention(emulator, SAM, ACME, "what about the Acme contact form?")
        assert_citations_trustworthy(form)
        ours, theirs = form.bullet("contact form fix"), form.bullet("wiring the Acme contact form")
        assert form.bullets.index(ours) < form.bullets.index(theirs), form.body
        assert "#standup" in theirs and "#client-acme" not in ours and "Priya" in theirs
    finally:
        await running.stop()


_FACT_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


def _facts_given(messages: list[dict[str, Any]]) -> dict[int, str]:
    """The numbered facts Steward sent the model (inside <facts>)."""
    text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    block = text.split("<facts>", 1)[-1].split("</facts>", 1)[0]
    return {int(n): fact for n, fact in _FACT_LINE.findall(block)}


async def test_the_model_s_citations_are_checked_and_renumbered(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path, fake: OpenAIFake) -> None:
    s = write_history(emulator, datetime.now(UTC))
    running = await _start(emulator, db_dsn, tmp_path, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
    try:
        await _client_for_acme(db_dsn)
        await _backfilled(db_dsn, ACME, STANDUP)
        summary = await _pipeline(running.bot)
        assert summary["extraction"] == "llm"
        # The model never even reads the question typed to Steward, and keeps no question as a fact.
        extraction = [c for c in fake.calls_to("/v1/chat/completions") if c.schema_name == "steward_observations"]
        assert extraction and not any("going on" in str(c.messages) for c in extraction)
        observations = await _observations(db_dsn)
        assert observations and not [o for o in observations if "going on" in o or o.rstrip().endswith("?")]

        # Unscripted, the fake quotes the facts sharing words with the question: valid, renumbered citations.
        _, plain = await _mention(emulator, SAM, ACME, "when does the Acme SSO certificate expire?")
        assert_citations_trustworthy(plain)
        assert emulator.workspace.permalink(ACME, s.sso) in {link for _, link, _ in plain.sources}

        # A sloppy model: facts cited out of order, twice, together, a summary, numbers that do not exist.
        def sloppy(messages: list[dict[str, Any]], schema: str | None) -> Any:
            given = _facts_given(messages)
            find = {word: next(n for n, f in given.items() if word in f) for word in ("SSO certificate", "Their IT team",
                                                                                       "Staging deploy", "review it")}
            cert, metadata, staging, review = find.values()
            return {"answer": f"The SSO certificate expires soon [{cert}] [{cert}]. The metadata is due first "
                              f"[{metadata}, {cert}][{metadata}]. Staging comes before that [{staging}][{len(given) + 5}], "
                              f"then the review [{review}] [0]. In short: busy [{len(given)}]."}

        fake.script(sloppy)
        _, answer = await _mention(emulator, MAYA, ACME, "what's going on with Acme?")
        fake.script(None)
        assert_citations_trustworthy(answer)
        sso, deploy, kickoff = (emulator.workspace.permalink(ACME, ts) for ts in (s.sso, s.deploy, s.kickoff))
        assert answer.body.startswith("The SSO certificate expires soon [1]. The metadata is due first [1]. "
                                      "Staging comes before that [2], then the review [3]."), answer.body
        assert [link for _, link, _ in answer.sources][:3] == [sso, deploy, kickoff]
        assert "[0]" not in answer.body and f"[{len(answer.sources) + 1}]" not in answer.body
    finally:
        await running.stop()


# ------------------------------------------------------------------------------ the sandbox itself


@pytest_asyncio.fixture
async def sandbox_bot(db_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Steward]]:
    """`steward run` with no tokens: the sandbox's seeded workspace and the real Steward behind it."""
    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as running:  # the test runs the pipeline itself
        yield running


_SPELLED = r"([A-Z][a-z]+day), ([A-Z][a-z]+) (\d{1,2})"


def _seeded_date(text: str, pattern: str, said: datetime) -> date:
    """A date the seed spelled out ("Friday, December 12"): the year whose weekday matches."""
    found = re.search(pattern.replace("DATE", _SPELLED), text)
    assert found, (pattern, text)
    weekday, month, number = found.group(1), found.group(2), int(found.group(3))
    for year in (said.year, said.year + 1):
        candidate = datetime.strptime(f"{year} {month} {number}", "%Y %B %d").date()
        if f"{candidate:%A}" == weekday:
            return candidate
    raise AssertionError(f"no year for {found.group()}")


async def test_the_sandbox_answers_about_acme_from_its_own_seed(sandbox_bot: tuple[Sandbox, Steward], db_dsn: str) -> None:
    sandbox, bot = sandbox_bot
    emu, demo = sandbox.emulator, sandbox.demo
    assert demo is not None
    acme, standup = demo.channels["client-acme"], demo.channels["standup"]
    maya, priya, lena, daniel = (demo.people[k] for k in ("maya", "priya", "lena", "daniel"))
    await _backfilled(db_dsn, acme, standup)
    # The standup thread of the day, which mentions Acme in passing.
    morning = next(m for m in emu.messages(standup) if "standup" in m["text"])
    await emu.user_message(priya, standup, "Yesterday: the Acme pricing table. Today: wiring the Acme contact form, "
                                           "then the checkout copy.", thread_ts=morning["ts"])
    await emu.user_message(lena, standup, "Today I'm on the Acme API rate limits and the Globex invoices export.",
                           thread_ts=morning["ts"])
    # A newcomer types the question before the composer links mentions: it reaches Steward as plain text.
    typed = await emu.user_message(daniel, acme, "@steward what's going on with Acme?")

    async def stored() -> bool:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
            return await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE channel_id = %s", (standup,)) >= 2

    await eventually(stored, within=15)
    await _pipeline(bot)
    _, reply = await _mention(emu, maya, acme, "what's going on with Acme?")

    history = {m["ts"]: m["text"] for m in emu.messages(acme)}
    sso_ts = next(ts for ts, text in history.items() if "SSO certificate" in text)
    deploy_ts = next(ts for ts, text in history.items() if text.startswith("Staging deploy"))
    kickoff_ts = next(ts for ts, text in history.items() if text.startswith("Kicking off"))
    said = datetime.fromtimestamp(float(sso_ts), UTC)
    cert = _seeded_date(history[sso_ts], r"expires on \*DATE\*", said)
    metadata = _seeded_date(history[sso_ts], r"metadata by DATE", said)
    staging = _seeded_date(history[deploy_ts], r"planned for \*DATE\*", said)
    review = _seeded_date(history[kickoff_ts], r"with Acme on DATE", said)

    assert_citations_trustworthy(reply)
    link = emu.workspace.permalink
    for words, when, ts in (("SSO certificate", cert, sso_ts), ("metadata", metadata, sso_ts),
                            ("Staging deploy", staging, deploy_ts), ("review it with Acme", review, kickoff_ts)):
        bullet = reply.bullet(words, day(when))
        assert bullet.startswith(f"\u2022 *{day(when)}"), bullet
        assert link(acme, ts) in reply.links_of(bullet)
    assert "Priya Raman" in reply.bullet("SSO certificate") and "Daniel Okafor" in reply.bullet("Staging deploy")
    # Upcoming dates lead (a date already past, such as the seed's "end of day tomorrow" late at night, may
    # come later), then the rest; the standup's mentions after all of #client-acme's facts.
    upcoming = [i for i, b in enumerate(reply.bullets) if _DATED.match(b) and "(passed)" not in b.split(":")[0]]
    assert upcoming == list(range(len(upcoming))) and len(upcoming) >= 4, reply.body
    assert "going on" not in reply.body and link(acme, typed) not in str(reply.sources)
    standup_rows = [i for i, b in enumerate(reply.bullets) if "#standup" in b]
    client_rows = [i for i, b in enumerate(reply.bullets) if "#standup" not in b]
    assert not standup_rows or min(standup_rows) > max(client_rows), reply.body
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM context_observations WHERE content LIKE '%%going on%%'") == 0
        assert await fetchval(conn, "SELECT count(*) FROM channel_messages WHERE ts = %s", (typed,)) == 0


async def test_a_remembered_fact_quoting_a_broadcast_never_pings_when_answered_in_a_channel(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    """Facts quote what people wrote; answered in a channel, a quoted <!channel> or @here must not ping it,
    and entities are escaped exactly once."""
    emulator.add_message(ACME, "<!channel> the Acme invoice portal moves to Globex Pay on Friday &amp; old links break.",
                         SAM)
    emulator.add_message(ACME, "Reminder @here: Acme's billing contact is <@U0PRIYA> for anything about the portal.", MAYA)
    running = await _start(emulator, db_dsn, tmp_path)
    try:
        await _client_for_acme(db_dsn)
        await _backfilled(db_dsn, ACME)
        await _pipeline(running.bot)
        mark = len(emulator.calls)
        ts = await emulator.user_message(SAM, ACME, f"<@{emulator.bot_user_id}> what about the Acme invoice portal?")
        call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == ACME
                                            and c.args.get("thread_ts") == ts, since=mark, timeout=15)
        posted = json.dumps([call.args.get("text"), call.args.get("blocks")])
        assert "invoice portal moves to Globex Pay" in posted
        assert "<!channel>" not in posted and "<!here>" not in posted and "@here" not in posted.replace("@\\u200bhere", "")
        assert "&amp;amp;" not in posted and "&amp;" in posted
        # A person the fact mentions is shown by name: the answer in the channel must not ping them again (issue 11).
        assert f"<@{PRIYA}>" not in posted and "Priya Nair" in posted
    finally:
        await running.stop()
