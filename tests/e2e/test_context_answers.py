"""Memory answers people can trust (issue 9, part 5), end to end: the real bot on the Slack emulator
(and on the sandbox's own seed), a fresh PostgreSQL, the offline mode or the OpenAI fake.

"@steward what's going on with Acme?" must lead with the client's dated facts (dates resolved from
when they were said), say who said what and when, rank #client-acme above incidental mentions in
the standup thread, number its sources in order of first use with one number per source message,
and never use a question someone asked Steward as a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bot.app import Steward
from bot.clock import Clock
from bot.emulators.slack import SlackEmulator
from bot.services import search
from jobs import context_pipeline
from tests.e2e.conftest import ACME, MAYA, PRIYA, SAM, STANDUP, Running, start_steward
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
    """How a resolved date is shown: "Fri 12 Dec" (the year only when it is not this year's)."""
    return f"{d:%a} {d.day} {d:%b}" + ("" if d.year == datetime.now(UTC).year else f" {d.year}")


def spelled(d: date) -> str:
    """How people write it in the seed: "Friday, December 12"."""
    return f"{d:%A}, {d:%B} {d.day}"


def next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday() - 1) % 7 + 1)


def ts_at(moment: datetime, seq: int) -> str:
    return f"{int(moment.timestamp())}.{seq:06d}"


# ------------------------------------------------------------------------------ running Steward


async def _start(emu: SlackEmulator, dsn: str, tmp_path: Path, **extra: Any) -> Running:
    running = await start_steward(emu, dsn, tmp_path, clock=Clock(), **extra)
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
    post(0.4, SAM, "Wireframes v2 are in the shared drive: new hero, the pricing table and a testimonial strip. "
                   "Comments welcome before end of day tomorrow.")
    sso = post(1.5, PRIYA, f"Heads up: Acme's *SSO certificate* expires on *{spelled(cert)}*. Their IT team needs our "
                           f"new metadata by {spelled(metadata)} or logins will break.")
    post(1.8, MAYA, f"Good catch. <@{PRIYA}> can you own the renewal? I'll tell their IT lead it's coming.", thread=sso)
    taken = post(2.0, PRIYA, f"Yes, I'll take it and send them the metadata by {spelled(metadata)}.", thread=sso)
    asked = post(5.0, MAYA, "@steward what's going on with Acme?")
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
    comments_due = (start + timedelta(hours=0.4)).astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=1)
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


async def test_whats_going_on_with_acme_leads_with_dated_client_facts_and_cites_each_source_once(
        emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> None:
    s = write_history(emulator, datetime.now(UTC))
    running = await _start(emulator, db_dsn, tmp_path)
    try:
        await _client_for_acme(db_dsn)
        await _backfilled(db_dsn, ACME, STANDUP)
        await _pipeline(running.bot)
        # The question typed as plain text in the channel (history) became no observation.
        assert not [o for o in await _observations(db_dsn) if "going on" in o]

        first_ts, first = await _mention(emulator, SAM, ACME, "what's going on with Acme?")
        assert_status_answer(first, emulator, s, questions=[s.asked, first_ts])
        await _pipeline(running.bot)  # the live question is processed like any message: still no fact
        again_ts, again = await _mention(emulator, MAYA, ACME, "what's going on with Acme?")
        assert_status_answer(again, emulator, s, questions=[s.asked, first_ts, again_ts])
        assert not [o for o in await _observations(db_dsn) if "going on" in o]

        dm = await _dm(emulator, SAM, "What's going on with Acme?")  # privately: the same answer
        assert_status_answer(dm, emulator, s, questions=[s.asked, first_ts, again_ts])
        # "Comments welcome before end of day tomorrow", said yesterday: tomorrow as of then.
        assert dm.bullet("Comments welcome").startswith(f"\u2022 *{day(s.comments_due)}*"), dm.body
    finally:
        await running.stop()
