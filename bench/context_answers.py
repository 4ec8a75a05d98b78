"""Answer quality of context memory on a fixed small corpus, through the real bot.

    python bench/context_answers.py [--model-fake]

The corpus (written as channel history before Steward starts, then backfilled like a fresh install):
#client-acme and #client-globex, each the channel of a client, with dated facts said over the last
two days ("tomorrow", "Thursday, December 3" ...), thread replies, chit-chat; a #standup thread whose
replies mention both clients in passing; and questions and commands addressed to Steward typed in
the channels (a real mention, "@steward ..." typed as text, "Steward, ...", "/steward help" in a
thread). Dates in the text are spelled relative to when the bench runs, so the corpus is the same
every run. Steward runs offline (no OPENAI_API_KEY; ``--model-fake``: also through the OpenAI fake),
the context pipeline runs once, and five questions are asked (mentions, DMs, /ask).

Figures:
* facts recalled / facts expected: an expected fact counts when a bullet states it, shows its date
  resolved from when it was said (for dated facts), and cites its source message;
* wrong citations: a cited [n] with no source listed, a source that does not contain the statement
  it is cited for, a source listed twice or never cited, numbers not in order of first use, or a
  source that is a question or command for Steward;
* questions used as facts, and incidental mentions ranked above the client's own channel.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from harness import machine, running_steward

BOT_NAME = "steward"
MAYA, SAM, PRIYA, LENA = "UB0MAYA", "UB0SAM", "UB0PRIYA", "UB0LENA"
ACME, GLOBEX, STANDUP = "CB0ACME", "CB0GLOBEX", "CB0STANDUP"
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SOURCE = re.compile(r"\[(\d+)\] <([^|>]+)\|[^>]*>")


def spelled(d: date) -> str:
    return f"{d:%A}, {d:%B} {d.day}"


def shown(d: date, today: date) -> str:
    text = f"{d:%a} {d.day} {d:%b}"
    return text if d.year == today.year else f"{text} {d.year}"


def next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday() - 1) % 7 + 1)


@dataclass
class Expected:
    phrase: str  # words of the statement (case-insensitive)
    on: date | None  # the resolved date the answer must show
    source: str  # ts of the message it must cite
    channel: str


@dataclass
class Question:
    how: str  # "mention" | "dm" | "ask"
    asker: str
    text: str
    expected: list[Expected] = field(default_factory=list)
    home: str | None = None  # the client's own channel: its facts must come first


@dataclass
class Corpus:
    questions: list[Question]
    to_steward: set[str]  # ts of the messages that talk to Steward


def write_corpus(emu: Any, now: datetime) -> Corpus:
    """The fixed corpus, as history (no events): Steward reads it by backfill when it starts."""
    today = now.date()
    start = now - timedelta(hours=30)
    seq = 0

    def post(hours: float, who: str, text: str, channel: str, thread: str | None = None) -> str:
        nonlocal seq
        seq += 1
        ts = f"{int((start + timedelta(hours=hours)).timestamp())}.{seq:06d}"
        return str(emu.add_message(channel, text, who, ts=ts, thread_ts=thread)["ts"])

    cert, staging = today + timedelta(days=12), next_weekday(today, 3)
    metadata, review = cert - timedelta(days=5), next_weekday(today + timedelta(days=2), 2)
    kickoff, banners, overdue = next_weekday(today, 0), today + timedelta(days=9), today - timedelta(days=4)
    to_steward = set()

    morning = post(-1, MAYA, "Morning all! Drop your standup here: what you did yesterday, what's next, blockers.", STANDUP)
    review_ts = post(0.0, MAYA, f"Kicking off the Acme landing page redesign this week. <@{SAM}> has the wireframes, "
                                f"<@{PRIYA}> is on the build. We review it with Acme on {spelled(review)}.", ACME)
    # Said less than a day before the bench runs: "tomorrow" as of then is today or tomorrow, never past.
    comments = post(8.0, SAM, "Wireframes v2 are in the shared drive. Comments welcome before end of day tomorrow.", ACME)
    sso = post(1.5, PRIYA, f"Heads up: Acme's SSO certificate expires on {spelled(cert)}. Their IT team needs our new "
                           f"metadata by {spelled(metadata)} or logins will break.", ACME)
    post(1.8, MAYA, f"Good catch. <@{PRIYA}> can you own the renewal? I'll tell their IT lead it's coming.", ACME, sso)
    post(2.0, PRIYA, "thanks!", ACME, sso)
    to_steward.add(post(3.0, SAM, "@steward what's going on with Acme?", ACME))
    to_steward.add(post(3.2, MAYA, "Steward, when is the staging deploy?", ACME))
    deploy = post(20.0, SAM, f"Staging deploy of the new landing page is planned for {spelled(staging)} at 3pm London "
                             "time. Anything that should go in needs to be merged the day before.", ACME)
    form = post(20.5, PRIYA, "The contact form fix will make it into staging.", ACME, deploy)
    to_steward.add(post(20.6, PRIYA, "/steward help", ACME, deploy))

    globex_kickoff = post(2.5, LENA, f"Globex signed the phase 2 statement of work; the kickoff call is on {spelled(kickoff)}.",
                          GLOBEX)
    invoice = post(4.0, MAYA, f"The Globex invoice 1043 has been overdue since {spelled(overdue)}; finance is chasing it.",
                   GLOBEX)
    want = post(6.0, LENA, f"Globex wants the spring sale banners by {spelled(banners)}.", GLOBEX)
    to_steward.add(post(6.5, SAM, "@Steward any news on Globex?", GLOBEX))

    post(22.0, PRIYA, "Yesterday I finished the Acme pricing table. Today I'm wiring the Acme contact form and fixing "
                      "the checkout copy.", STANDUP, morning)
    post(22.5, LENA, "Today: the Globex banner set for their spring sale, then Acme API rate limits.", STANDUP, morning)
    standup_form = post(22.6, PRIYA, "The Acme contact form needs a new email template too.", STANDUP, morning)

    comments_due = (start + timedelta(hours=8.0)).date() + timedelta(days=1)  # "tomorrow" when said (UTC people)
    acme = [Expected("SSO certificate expires", cert, sso, ACME), Expected("needs our new metadata", metadata, sso, ACME),
            Expected("Staging deploy of the new landing page", staging, deploy, ACME),
            Expected("We review it with Acme", review, review_ts, ACME),
            Expected("Comments welcome before end of day tomorrow", comments_due, comments, ACME)]
    globex = [Expected("kickoff call", kickoff, globex_kickoff, GLOBEX),
              Expected("invoice 1043", overdue, invoice, GLOBEX),
              Expected("spring sale banners", banners, want, GLOBEX)]
    questions = [
        Question("mention", MAYA, "what's going on with Acme?", acme, home=ACME),
        Question("dm", SAM, "What's going on with Globex?", globex, home=GLOBEX),
        Question("dm", SAM, "When does the Acme SSO certificate expire?", acme[:1], home=ACME),
        Question("ask", MAYA, "when is the Acme staging deploy?", acme[2:3], home=ACME),
        Question("mention", PRIYA, "what about the Acme contact form?",
                 [Expected("contact form fix", None, form, ACME), Expected("new email template", None, standup_form, STANDUP)],
                 home=ACME),
    ]
    return Corpus(questions, to_steward)


def seed(emu: Any) -> None:
    emu.add_user(MAYA, "maya", "Maya Lopez", tz="UTC", is_owner=True)
    emu.add_user(SAM, "sam", "Sam Carter", tz="UTC")
    emu.add_user(PRIYA, "priya", "Priya Nair", tz="UTC")
    emu.add_user(LENA, "lena", "Lena Fischer", tz="UTC")
    everyone = [MAYA, SAM, PRIYA, LENA, emu.bot_user_id]
    emu.add_channel(STANDUP, "standup", members=everyone)
    emu.add_channel(ACME, "client-acme", members=everyone)
    emu.add_channel(GLOBEX, "client-globex", members=everyone)


@dataclass
class Score:
    expected: int = 0
    recalled: int = 0
    citations: int = 0
    wrong: int = 0
    questions_as_facts: int = 0
    incidental_first: int = 0
    missed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _ts_of(link: str) -> tuple[str, str]:
    found = re.search(r"/archives/([A-Z0-9]+)/p(\d+)(\d{6})", link)
    assert found, link
    return found.group(1), f"{found.group(2)}.{found.group(3)}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


_LEAD = re.compile(r"^(?:\u2022 )?(?:\*[^*]+\*(?: \(passed\))?: )?")
_TAIL = re.compile(r"(?:\s*_\([^)]*\)_|\s*\((?:said by|in #)[^()]*(?:\([^()]*\)[^()]*)*\))+\s*$")


def statements(body: str) -> list[tuple[str, str, list[int]]]:
    """Each citation group with the statement it is cited for: the text since the previous citation
    on the same line (a bullet, or a sentence of prose) as written, and without the date lead and
    the attribution."""
    out = []
    for line in body.splitlines():
        position = 0
        for match in _CITATION.finditer(line):
            raw = line[position:match.start()]
            said = _TAIL.sub("", _LEAD.sub("", raw.lstrip(" .,;:")))
            out.append((raw, said.strip(), [int(n) for n in re.split(r"\s*,\s*", match.group(1))]))
            position = match.end()
    return out


def grade(question: Question, reply_text: str, emu: Any, corpus: Corpus, today: date, score: Score) -> None:
    from bot.ai.offline import slack_plain

    body, _, tail = reply_text.partition("\nSources: ")
    sources = {int(n): link for n, link in _SOURCE.findall(tail)}
    first_use: list[int] = []
    told = statements(body)
    for _, said, cited in told:
        if said.rstrip(" *_").endswith("?") or re.search(rf"@{BOT_NAME}\b|<@{emu.bot_user_id}", said, re.IGNORECASE):
            score.questions_as_facts += 1
        for number in cited:
            score.citations += 1
            if number not in first_use:
                first_use.append(number)
            link = sources.get(number)
            if link is None:
                score.wrong += 1
                score.problems.append(f"[{number}] cited, not listed: {said}")
                continue
            channel, ts = _ts_of(link)
            message = emu.message(channel, ts) or {}
            if ts in corpus.to_steward or _norm(said) not in _norm(slack_plain(message.get("text") or "")):
                score.wrong += 1
                score.problems.append(f"[{number}] does not say {said!r}")
    if first_use != list(range(1, len(first_use) + 1)):
        score.wrong += 1
        score.problems.append(f"numbers not in order of first use: {first_use}")
    listed = list(sources.values())
    unused = set(sources) - set(first_use)
    if len(set(listed)) != len(listed) or unused:
        score.wrong += len(listed) - len(set(listed)) + len(unused)
        score.problems.append(f"sources listed twice or never cited: {sorted(unused)}")
    for expected in question.expected:
        score.expected += 1
        link = emu.workspace.permalink
        wanted = {_norm(link(expected.channel, expected.source, t)) for t in [None, *_threads(emu, expected)]}
        found = any(expected.phrase.casefold() in raw.casefold()
                    and (expected.on is None or f"{shown(expected.on, today)}" in raw)
                    and wanted & {_norm(sources.get(n, "")) for n in cited} for raw, _, cited in told)
        score.recalled += found
        if not found:
            score.missed.append(f"{question.text!r}: {expected.phrase}")
    bullets = [line for line in body.splitlines() if line.startswith("\u2022 ")]
    if question.home:
        homes = [question.home in {_ts_of(sources[n])[0] for g in _CITATION.findall(b) for n in
                                   map(int, re.split(r"\s*,\s*", g)) if n in sources} for b in bullets]
        last_home = max((i for i, home in enumerate(homes) if home), default=-1)
        score.incidental_first += sum(1 for i, home in enumerate(homes) if not home and i < last_home)


def _threads(emu: Any, expected: Expected) -> list[str]:
    message = emu.message(expected.channel, expected.source) or {}
    thread = message.get("thread_ts")
    return [thread] if thread and thread != expected.source else []


async def ask(emu: Any, question: Question, channel: str) -> str:
    mark = len(emu.calls)
    if question.how == "mention":
        ts = await emu.user_message(question.asker, channel, f"<@{emu.bot_user_id}> {question.text}")
        call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == ts, since=mark, timeout=30)
        return str(call.args.get("text") or "")
    if question.how == "dm":
        dm = await emu.dm_channel(question.asker)
        await emu.user_message(question.asker, dm, question.text)
        call = await emu.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (dm, question.asker),
                                       since=mark, timeout=30)
        return str(call.args.get("text") or "")
    result = await emu.slash_command(question.asker, "/ask", question.text, channel=channel)
    return (await result.wait_for_response(timeout=30)).text or ""


async def run(label: str, env: dict[str, str] | None = None, *, verbose: bool = False) -> Score:
    import psycopg

    from jobs import context_pipeline

    now = datetime.now(UTC)
    corpus: Corpus | None = None

    def seeded(emu: Any) -> None:
        nonlocal corpus
        seed(emu)
        corpus = write_corpus(emu, now)

    async with running_steward(seeded, env=env) as b:
        assert corpus is not None
        emu, bot = b.emulator, b.bot
        bot.scheduler.shutdown()  # the bench runs the pipeline itself
        async with await psycopg.AsyncConnection.connect(b.dsn, autocommit=True) as conn:
            org = (await (await conn.execute("SELECT id FROM organizations")).fetchone())[0]
            await conn.execute("INSERT INTO clients (organization_id, name, slack_channel_id) VALUES (%s, 'Acme Corp', %s), "
                               "(%s, 'Globex', %s)", (org, ACME, org, GLOBEX))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = await (await conn.execute("SELECT count(*) FROM backfill_state WHERE status = 'complete'")).fetchone()
                if row and row[0] >= 3:
                    break
                await asyncio.sleep(0.05)
        started = time.perf_counter()
        summary = await context_pipeline.run(bot.deps, bot.deps.now())
        piped = time.perf_counter() - started
        score = Score()
        latencies = []
        for question in corpus.questions:
            started = time.perf_counter()
            text = await ask(emu, question, question.home or ACME)
            latencies.append((time.perf_counter() - started) * 1000)
            if verbose:
                print(f"\n--- {question.how}: {question.text}\n{text}")
            grade(question, text, emu, corpus, now.date(), score)
    print(f"\n{label}: {summary.get('messages')} messages -> {summary.get('observations')} observations "
          f"({summary.get('extraction')}) in {piped * 1000:.0f} ms; {len(corpus.questions)} questions, answer latency "
          f"median {sorted(latencies)[len(latencies) // 2]:.0f} ms")
    print(f"  facts recalled {score.recalled}/{score.expected}; wrong citations {score.wrong} of {score.citations}; "
          f"questions used as facts {score.questions_as_facts}; incidental mentions above the client's own facts "
          f"{score.incidental_first}")
    for line in score.missed + score.problems:
        print(f"    {line}")
    return score


async def main_async(model_fake: bool, verbose: bool) -> None:
    await run("offline (no OPENAI_API_KEY)", verbose=verbose)
    if model_fake:
        from bot.emulators.openai_fake import OpenAIFake

        async with OpenAIFake() as fake:
            await run("OpenAI fake (its stand-in model quotes at most 3 facts)",
                      {"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": fake.base_url}, verbose=verbose)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-fake", action="store_true", help="also answer through the OpenAI fake")
    parser.add_argument("--verbose", action="store_true", help="print every answer")
    args = parser.parse_args()
    print(machine())
    asyncio.run(main_async(args.model_fake, args.verbose))


if __name__ == "__main__":
    main()
