"""What makes a memory answer trustworthy (SPEC F15; issue 9, part 5): pure rules, no database.

* **Conversations with Steward are not memory.** A message that talks *to* Steward (mentions it,
  names it first, or is a slash command typed as a message) is a question or a command: it is
  never stored as an observation, and one stored before this rule is never used in an answer.
  Questions in general are not facts either.
* **Dates are resolved from when they were said.** "tomorrow", "Thursday" or "December 12" in a
  fact mean the day as of the message that said it, in its author's timezone.
* **Ranking.** For "what's going on with Acme?", the facts said in Acme's own channel come first
  (a client's or project's ``slack_channel_id``), before incidental mentions elsewhere such as
  standup replies; within each, upcoming dated facts first in date order, then undated ones
  newest first, then dates already past. For a topical question the search's relevance decides,
  the entity's own channel again first.
* **Citations.** ``[n]`` refers to one source message; numbers are given in order of first use
  (1, 2, 3 ...), each source message gets exactly one number, and a citation of anything that is
  not a source (out of range, a summary) is removed, whoever wrote the answer (the model or the
  offline composer).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from bot.parsing.dates import Hit as DateHit
from bot.parsing.dates import find_dates, make_ctx
from bot.services.search import Hit

K = TypeVar("K", bound=Hashable)

# The app's name in manifest.yaml. Someone typing "@steward" before Slack (or the sandbox) turns it
# into a mention still talks to Steward.
STEWARD_NAMES = ("steward",)
_NAMES = "|".join(re.escape(n) for n in STEWARD_NAMES)
_TYPED_MENTION = re.compile(rf"(?<![\w@])@(?:{_NAMES})\b", re.IGNORECASE)
_VOCATIVE = re.compile(rf"^\W*(?:(?:hey|hi|hello|ok|okay|yo|dear)[,\s]+)?(?:{_NAMES})\s*[,:;!?]", re.IGNORECASE)
# A slash command typed as a message ("/steward help" in a thread, where Slack does not run commands).
_TYPED_COMMAND = re.compile(r"^\s*/[a-z][\w-]*(?:\s|$)", re.IGNORECASE)
_TRAILING_NOISE = re.compile(r"(?:\s|:[a-z0-9_+\-']+:|[)\]\"'\u201d\u2019*_~])+$", re.IGNORECASE)

# Connectors that make a date the fact's deadline ("needs it by Friday", "expires on the 12th").
DEADLINE_CONNECTORS = frozenset({"by", "due", "on", "before", "until", "till", "til", "for", "through", "thru"})
# Words about the past: a weekday then means the one before ("was due Friday", "overdue since Monday").
_PAST = re.compile(r"\b(?:(?:was|were)\s+(?:due|supposed\s+to)|overdue|past\s+due|missed|should\s+have\s+been|since)\b",
                   re.IGNORECASE)
# "Wednesday, December 9": a weekday followed by the calendar date it names is one date.
_WEEKDAY_THEN_DATE = re.compile(r"^[\s,]*(?:the\s+)?$", re.IGNORECASE)

STATUS_LIMIT = 8  # facts in "what's going on with X?" (Slack's section text limit is 3,000 characters)
TOPIC_LIMIT = 5  # facts in an answer to a topical question


def addressed_to_steward(text: str, bot_user_id: str | None) -> bool:
    """True when ``text`` (Slack mrkdwn) talks to Steward instead of about the work: it mentions the
    bot user (``<@U…>``, anywhere), types its name as a mention ("@steward …"), starts by naming it
    ("Steward, what's …", "hey steward: …"), or is a slash command typed as a message. Such a
    message is a question or a command for Steward, never channel memory."""
    if not text:
        return False
    if bot_user_id and f"<@{bot_user_id}" in text:
        return True
    return bool(_TYPED_MENTION.search(text) or _VOCATIVE.match(text) or _TYPED_COMMAND.match(text))


def is_question(text: str) -> bool:
    """A sentence asking something ("can you own the renewal?"), not stating a fact; trailing emoji
    codes, quotes and markup are ignored."""
    return _TRAILING_NOISE.sub("", text or "").endswith("?")


def usable_fact(content: str, bot_user_id: str | None) -> bool:
    """An observation an answer may state: not empty, not a question, not said to Steward."""
    return bool(content and content.strip()) and not is_question(content) and not addressed_to_steward(content, bot_user_id)


def fact_date(content: str, said_at: datetime | None, tz: str) -> date | None:
    """The calendar day a fact is about, resolved as of when it was said.

    ``said_at``: the (aware) time of the message that said it; ``tz``: its author's IANA timezone
    (the organization's when unknown). Of the date phrases found (bot.parsing.dates, English rules
    plus dateparser for es/fr/de/pt/it), one introduced by a deadline connector (by, due, on, before,
    until, for ...) wins, else the first. "Wednesday, December 9" counts as one date (the calendar
    date, in the year whose December 9 is a Wednesday); a date without a year is the one nearest to
    when it was said ("overdue since November 26", said on 29 November, is that same year's); words
    about the past ("was due Friday", "overdue since Monday") resolve weekdays backwards. Vague spans
    ("this week", "next week", "the weekend") give no day. None without a date or ``said_at``.
    """
    if said_at is None or not content:
        return None
    past = bool(_PAST.search(content))
    try:
        ctx = make_ctx(said_at, tz, past_intent=past)
    except (ValueError, KeyError):
        ctx = make_ctx(said_at, "UTC", past_intent=past)
    hits = [h for h in find_dates(content, ctx) if h.day is not None]
    chosen: list[tuple[DateHit, int | None]] = []  # a date hit, and the weekday written before it
    for i, hit in enumerate(hits):
        following = hits[i + 1] if i + 1 < len(hits) else None
        if (hit.weekday and hit.day is not None and following is not None and not following.weekday
                and _WEEKDAY_THEN_DATE.match(content[hit.end:following.start])):
            following.prefix = following.prefix or hit.prefix
            following.extra["written_weekday"] = hit.day.weekday()
            continue
        if hit.range_end is None:
            chosen.append((hit, hit.extra.get("written_weekday")))
    if not chosen:
        return None
    deadline = [c for c in chosen if c[0].prefix.split(" ")[0] in DEADLINE_CONNECTORS]
    hit, weekday = (deadline or chosen)[0]
    assert hit.day is not None
    return _nearest_year(hit.day, ctx.today, weekday) if hit.yearless else hit.day


def _nearest_year(day: date, said: date, weekday: int | None) -> date:
    """The year of a yearless date: the one its written weekday agrees with, else the nearest to ``said``."""
    candidates = []
    for year in (said.year - 1, said.year, said.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # 29 February
            continue
    agreeing = [c for c in candidates if weekday is None or c.weekday() == weekday] or candidates
    return min(agreeing, key=lambda c: (abs((c - said).days), c < said))


def show_day(day: date, today: date) -> str:
    """A resolved date as people read it: "Fri 12 Dec", with the year when it is not ``today``'s."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


@dataclass(frozen=True)
class Fact:
    """One observation ready to be told: its search hit, whether it was said in the entity's own
    channel (``home``), the day it is about (resolved), when and by whom it was said."""

    hit: Hit
    home: bool = False
    on: date | None = None
    said_at: datetime | None = None
    author: str | None = None
    channel_name: str | None = None

    @property
    def source(self) -> tuple[str, str] | None:
        """The message an answer cites for it: (channel id, ts of its first source message)."""
        if self.hit.channel_id and self.hit.source_message_ts:
            return self.hit.channel_id, self.hit.source_message_ts[0]
        return None


def rank_status(facts: Sequence[Fact], today: date, limit: int = STATUS_LIMIT) -> list[Fact]:
    """The order of "what's going on with X?": facts said in X's own channel first; within each
    group upcoming dated facts (``on`` >= ``today``) by date, then undated ones newest first, then
    past dates, most recent first. ``today``: the asker's local date."""

    def key(fact: Fact) -> tuple[bool, int, int, float]:
        said = fact.said_at.timestamp() if fact.said_at else 0.0
        if fact.on is not None and fact.on >= today:  # the soonest first; the same day: as said, in order
            return (not fact.home, 0, fact.on.toordinal(), said)
        if fact.on is None:  # the newest first
            return (not fact.home, 1, 0, -said)
        return (not fact.home, 2, -fact.on.toordinal(), -said)  # the most recent date first

    return sorted(facts, key=key)[:limit]


def rank_topic(facts: Sequence[Fact], relevance: Sequence[int], limit: int = TOPIC_LIMIT) -> list[Fact]:
    """The order for a topical question: ``relevance`` lists indexes into ``facts``, best first (facts
    not listed are dropped); facts said in the entity's own channel move ahead of the rest, keeping
    their relative order."""
    chosen = [facts[i] for i in dict.fromkeys(relevance) if 0 <= i < len(facts)]
    return sorted(chosen, key=lambda f: not f.home)[:limit]


_CITATION = re.compile(r"[ \t]*\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_REPEATED = re.compile(r"(\[\d+(?:, \d+)*\])(?:[ \t]*\1)+")
_GAP_BEFORE_STOP = re.compile(r"(\])[ \t]+(?=[.,;:!?](?:\s|$))")  # "[3] ." once a citation after it was dropped


def number_sources(text: str, sources: Sequence[K | None]) -> tuple[str, list[K]]:
    """Renumber the ``[n]`` citations of ``text`` by source.

    ``sources[i]`` is the source of fact ``i + 1`` as the answer's writer saw the facts (None: a fact
    with nothing to link, such as a summary). Returns the text with each citation replaced by its
    sources' numbers (1, 2, 3 ... in order of first use; one number per distinct source; "[2, 2]" and
    "[1] [1]" collapse; citations of unknown or source-less facts are removed) and the sources in
    number order.
    """
    numbers: dict[K, int] = {}

    def renumber(match: re.Match[str]) -> str:
        cited: list[int] = []
        for raw in re.findall(r"\d+", match.group()):
            index = int(raw) - 1
            source = sources[index] if 0 <= index < len(sources) else None
            if source is None:
                continue
            number = numbers.setdefault(source, len(numbers) + 1)
            if number not in cited:
                cited.append(number)
        return " [" + ", ".join(str(n) for n in cited) + "]" if cited else ""

    renumbered = _GAP_BEFORE_STOP.sub(r"\1", _REPEATED.sub(r"\1", _CITATION.sub(renumber, text)))
    return renumbered.strip(), list(numbers)


def _attribution(fact: Fact, today: date) -> str:
    parts = [fact.author] if fact.author else []
    if not fact.home and fact.channel_name:
        parts.append(f"in #{fact.channel_name}")
    said = f"{' '.join(parts)}, {show_day(fact.said_at.date(), today)}" if fact.said_at else " ".join(parts)
    return f" _({said})_" if said else ""


def fact_line(fact: Fact, number: int, today: date) -> str:
    """One bullet: "• *Fri 12 Dec*: <the fact> _(Priya Raman, Sun 30 Nov)_ [n]" (the date part only for
    dated facts, "passed" when before ``today``; the channel when it is not the entity's own; the day
    it was said as ``said_at`` gives it, so pass it in the reader's timezone)."""
    when = ""
    if fact.on is not None:
        when = f"*{show_day(fact.on, today)}*{' (passed)' if fact.on < today else ''}: "
    return f"\u2022 {when}{fact.hit.content.strip()}{_attribution(fact, today)} [{number}]"


def compose(facts: Sequence[Fact], *, today: date, entity_name: str | None, status: bool) -> str:
    """The offline answer: one bullet per fact in the given order, citing fact ``i`` as ``[i]`` (1-based,
    renumbered by source afterwards with :func:`number_sources`). ``today``: the asker's local date."""
    if status and entity_name:
        lead = f"Here's what I know about *{entity_name}*, dates and deadlines first:"
    else:
        lead = "Here's what I have:"
    return "\n".join([lead, *(fact_line(f, i, today) for i, f in enumerate(facts, 1))])


def prompt_line(fact: Fact, today: date) -> str:
    """A fact as the model reads it: the text, then who said it, where, when, and the day it is about."""
    details = []
    if fact.author:
        details.append(f"said by {fact.author}")
    if fact.channel_name:
        details.append(f"in #{fact.channel_name}")
    if fact.home:
        details.append("the channel of what was asked about")
    if fact.said_at is not None:
        details.append(f"on {show_day(fact.said_at.date(), today)}")
    if fact.on is not None:
        details.append(f"about {show_day(fact.on, today)}{' (passed)' if fact.on < today else ''}")
    return f"{fact.hit.content.strip()} ({', '.join(details)})" if details else fact.hit.content.strip()
