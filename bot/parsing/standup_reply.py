"""Standup replies, read as plain text (SPEC F4): plan, completions, blockers, absences; task titles compared;
and what makes a message written elsewhere (a DM, a post in the standup channel) the day's update.

Pure rules: no I/O, no clock reads (``now`` is a parameter). The services record what these find
(:mod:`bot.services.standup_replies`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import slack_markup as markup

from .ooo import continues_absence, says_absence
from .text import fold, lines_of, sentences_of

_TASK_REF = re.compile(r"(?<![\w-])T-?(\d{1,9})(?![\w-])", re.IGNORECASE)
# The same headers in German, French, Spanish, Italian and Portuguese ("Heute:", "Aujourd'hui :", "Ayer:",
# "Blocker:", "Bloqueios:"): the word for today, yesterday, or what blocks.
_FOREIGN_TODAY = r"heute|aujourd['’]hui|hoy|oggi|hoje"
_FOREIGN_YESTERDAY = r"gestern|hier|ayer|ieri|ontem"
_FOREIGN_BLOCKERS = (r"blockaden?|hindernisse?|probleme|bloquants?|blocages?|obstacles?|bloqueos?|bloqueantes?|impedimentos?"
                     r"|blocchi|ostacoli|bloqueios?")
_HEADER = re.compile(
    r"^\W*(?P<h>yesterday|done|did|completed|finished|today|plan|plans|todo|to\s*do|next|up\s+next|"
    r"blockers?|blocked|impediments?|obstacles?|" + _FOREIGN_TODAY + "|" + _FOREIGN_YESTERDAY + "|" + _FOREIGN_BLOCKERS
    + r")(?:['’]s)?(?:\s+(?:tasks?|plans?|work))?\W*?\s*[:\-\u2013]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_DONE_HEADERS = {"yesterday", "done", "did", "completed", "finished"}
_SAID_DONE_HEADERS = {"done", "completed", "finished"}
_BLOCKER_HEADERS = {"blocker", "blockers", "blocked", "impediment", "impediments", "obstacle", "obstacles"}


def _section_of(header: str) -> str:
    """"done", "blocker" or "plan" for a header word in any of the languages (lowercase, no spaces)."""
    if header in _DONE_HEADERS or re.fullmatch(_FOREIGN_YESTERDAY, header):
        return "done"
    if header in _BLOCKER_HEADERS or re.fullmatch(_FOREIGN_BLOCKERS, header):
        return "blocker"
    return "plan"
_BLOCKER = re.compile(
    r"\b(?:blocked|blocker|blocking|stuck|waiting\s+(?:on|for)|can['’]?t\s+(?:proceed|continue|move\s+forward)|"
    r"cannot\s+(?:proceed|continue)|held\s+up|need(?:s|ing)?\s+help\s+(?:with|on))\b",
    re.IGNORECASE,
)
_NO_BLOCKER = re.compile(
    r"^\W*(?:none|nothing|n/?a|nope|no|-+|all\s+good|nothing\s+(?:blocking|yet|so\s+far))\W*$|\bno\s+blockers?\b|"
    r"\bnot\s+blocked\b|\bnothing\s+blocking\b|\bunblocked\b|\bno\s+longer\s+blocked\b",
    re.IGNORECASE,
)
# The words that only say "this is a blocker" at the start of one: "Blocked on", "I'm still blocked by", "Stuck on".
_BLOCKED_LEAD = re.compile(
    r"^\W*(?:(?:i\s*['’]?m|i\s+am|we\s*['’]?re|we\s+are|still|currently|also|and)\s+)*(?:blocked|stuck)\s+(?:on|by)\s*:?\s+",
    re.IGNORECASE)


def blocker_words(sentence: str) -> str:
    """What a standup reply's blocker sentence says blocks the person, without its leading "Blocked on" words
    ("Blocked on the logo files from Acme" -> "the logo files from Acme"); the sentence as it is when nothing
    else would be left. Pure; the stored form of :mod:`bot.slack_markup` is kept."""
    rest = _BLOCKED_LEAD.sub("", sentence, count=1).strip()
    return rest if rest and any(ch.isalnum() for ch in rest) else sentence


# A blocker said to be gone ("T-5 is unblocked", "no longer blocked on the API keys", "the blocker is resolved"):
# it resolves the person's open blocker it names (issue 13). "No blockers" / "not blocked" only say none is new.
_UNBLOCKED = re.compile(
    r"\bunblocked\b|\bno\s+longer\s+(?:blocked|stuck)\b|\bnot\s+(?:blocked|stuck)\s+any\s*more\b|"
    r"\bblocker\s+(?:is\s+|has\s+been\s+)?(?:resolved|gone|cleared|sorted|fixed|lifted)\b",
    re.IGNORECASE,
)
_DONE_AFTER = re.compile(r"^\s*(?:is\s+|was\s+|has\s+been\s+|are\s+|:\s*|-\s*)?(?:now\s+)?(?:done|finished|completed|shipped|merged|closed)\b"
                         r"|^\s*(?:\u2705|:white_check_mark:|:heavy_check_mark:)", re.IGNORECASE)
_DONE_BEFORE = re.compile(r"(?:\b(?:done|finished|completed|shipped|merged|closed)(?:\s+with)?|\u2705|:white_check_mark:|"
                          r":heavy_check_mark:)\s*:?\s*$", re.IGNORECASE)
_CHATTER = re.compile(
    r"^\W*(?:(?:good\s+)?morning|gm|hi|hey|hello|yo|thanks|thank\s+you|ok|okay|same\s+as\s+yesterday|nothing\s+new|"
    r"happy\s+\w+day)(?:\s+(?:all|everyone|team|folks|y['’]?all))?\W*$",
    re.IGNORECASE,
)
# "Thanks @Sam for reviewing the migration", "shout-out to @Diego!": gratitude to a teammate, not a task (Steward
# offers to record it as help they gave: bot/parsing/thanks.py, bot/listeners/recognition.py).
_GRATITUDE = re.compile(
    r"^\W*(?:(?:big|huge|many|special)\s+)?(?:thanks|thank\s+you|thx|ty|cheers|shout[-\s]?outs?|kudos)\b"
    r"(?:\s+(?:to|again|so\s+much|a\s+lot))*\s*[,:]?\s*@",
    re.IGNORECASE,
)
# "I finished the login bug", "done with T-3", "I've just wrapped up the Acme report": work reported done.
# Past tense or "done with" only: "finish the report" and "I'll be done with it by Friday" are plans.
_COMPLETED = re.compile(
    r"^\W*(?:(?:yesterday|today|earlier(?:\s+today)?|this\s+morning|last\s+night)\s*,?\s+)?(?:(?:i|we)(?:\s*['’](?:ve|m|re)|\s+(?:have|am|are))?\s+)?(?:(?:just|finally|already|now|all)\s+)*"
    r"(?:finished|completed|wrapped\s+up|shipped|fixed|closed(?:\s+out)?|delivered|merged|resolved|sent(?:\s+out|\s+off)?|"
    r"done\s+with|through\s+with)\s+(?P<what>.+?)[\s.,;!?]*$",
    re.IGNORECASE,
)
# "the login bug is done", "T-3 is finished now".
_IS_DONE = re.compile(
    r"^\W*(?P<what>.+?)\s+(?:is|was|has\s+been|are|have\s+been)\s+(?:now\s+|finally\s+|all\s+)?"
    r"(?:done|finished|complete|completed|shipped|merged|fixed|closed|sent|delivered)(?:\s+now)?\W*$",
    re.IGNORECASE,
)
# "mark T-3 done", "please mark the login bug as complete".
_MARK_DONE = re.compile(
    r"^\W*(?:(?:please|pls|can\s+you|could\s+you)\s+)?(?:mark|set|tick(?:\s+off)?|close)\s+(?P<what>.+?)"
    r"(?:\s+(?:as\s+)?(?:done|complete|completed|finished|closed))?\W*$",
    re.IGNORECASE,
)
# "I finished the login bug and I'll deploy it today": more than a report; read as a plan sentence.
_MORE_AFTER = re.compile(r"(?:,|\s)\s*(?:and|then|but|so)\s+(?:then\s+)?(?:i\b|i['’]|we\b|we['’]|will\b|now\b|next\b|today\b|"
                         r"tomorrow\b|going\b|also\b|start\w*\b)", re.IGNORECASE)
_EMOJI_AT_END = re.compile(r":[\w+\-]+:$")
_VAGUE_OBJECT = re.compile(r"^(?:it|that|this|them|those|these|everything|all|all\s+of\s+(?:it|them)|for\s+(?:today|the\s+day)|"
                           r"work|my\s+work|for\s+now)$", re.IGNORECASE)

# A message outside the standup thread reads like the day's update when it has standup headers
# ("Today:", "Yesterday:", "Blockers:"), frames the work as today's ("Today I'm…", "this morning I'll…",
# "my plan for today"), or states work in progress ("Working on…", "I'm on the Acme mockups").
_TODAY_FRAME = re.compile(
    r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening)|rest\s+of\s+the\s+day|for\s+the\s+day)\b"
    r"|^\W*(?:(?:i['’]?m|i\s+am|we['’]?re|we\s+are)\s+)?(?:(?:still|currently|also|mostly)\s+)?"
    r"(?:working\s+on|focusing\s+on|focused\s+on|continuing\s+(?:with|on)|(?:busy|heads\s+down)\s+(?:with|on))\b"
    r"|^\W*(?:i['’]?m|i\s+am)\s+on\s+(?:the|my|T-?\d)",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:what|when|where|who|whom|whose|why|how|which|can|could|would|will|should|shall|is|are|am|do|does|did|"
    r"have|has|any|may)\b(?!\s*:)",
    re.IGNORECASE,
)

_REF_CLAUSES = re.compile(r"\s*[,;]\s*(?:and\s+|then\s+)?|\s+(?:and\s+then|and|then|plus|&)\s+", re.IGNORECASE)


# After a leading mention, words that make the person a partner in the plan, not the one spoken to:
# "@Priya and I will pair on…", "@Priya & me: …", or a first-person plan anywhere ("I'll", "we will").
_PLAN_WITH_MENTION = re.compile(
    r"^[\s,]*(?:(?:and|&|\+)\s+(?:i|me|myself|we|us)\b|(?:and|&|\+)\s+@)"
    r"|\b(?:i|we)\s*(?:['’]ll|will|shall|['’]m\s+going\s+to|am\s+going\s+to|are\s+going\s+to|['’]re\s+going\s+to|"
    r"plan\s+to|need\s+to|have\s+to)\b",
    re.IGNORECASE,
)


def is_conversation(text: str, bot_user_id: str | None) -> bool:
    """A reply that talks to someone else ("@Maya nice work!", "@Maya can you review my PR?") is
    conversation, not a standup update, unless it names tasks or states a plan ("@Priya and I will
    pair on the checkout bug", "@Maya I'll send it after lunch"); so is a question put to Steward
    ("@Steward what's the status with Acme?"), while "@Steward fix the login bug" is a plan."""
    written = markup.read(text)
    first = written.refs[0] if written.refs else None
    if first is None or first.kind != "user" or written.plain[:first.plain_span[0]].strip():
        return False
    if first.target == bot_user_id:
        # "@Steward what's the status with Acme?": a question for Steward, answered as one, not a plan.
        asked = [s for line in lines_of(written.plain[first.plain_span[1]:]) for s in sentences_of(line) if s.strip()]
        return bool(asked) and all(_QUESTION.search(s) and not _HEADER.match(s) for s in asked)
    if _TASK_REF.search(written.plain):
        return False
    return not _PLAN_WITH_MENTION.search(written.plain[first.plain_span[1]:])


@dataclass
class ReplyParts:
    plan_refs: list[int] = field(default_factory=list)  # T-numbers planned for today
    done_refs: list[int] = field(default_factory=list)  # T-numbers reported done
    task_lines: list[str] = field(default_factory=list)  # free text for the task parser
    blockers: list[tuple[str, int | None]] = field(default_factory=list)  # (sentence, T-number)
    unblocked: list[tuple[str, int | None]] = field(default_factory=list)  # (sentence, T-number): a blocker gone
    ooo: list[str] = field(default_factory=list)  # sentences stating an absence
    # Work reported done by name ("I finished the login bug", "Yesterday: fixed the checkout bug"):
    # (what, explicit). Explicit ones were said as done; the others are free text under "Yesterday:".
    done_titles: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def task_text(self) -> str:
        return "\n".join(self.task_lines)

    @property
    def empty(self) -> bool:
        return not (self.plan_refs or self.done_refs or self.task_lines or self.blockers or self.ooo or self.done_titles
                    or self.unblocked)


def _trim(words: str) -> str:
    """Trailing punctuation off, but not the colon that ends an emoji (":rocket:")."""
    words = words.strip()
    while words and words[-1] in ".,;:!" and not (words[-1] == ":" and _EMOJI_AT_END.search(words)):
        words = words[:-1].rstrip()
    return words


def completed_object(sentence: str) -> str | None:
    """What a sentence reports as done ("I finished the login bug" -> "the login bug", "T-3 is done" ->
    "T-3"), or None when the sentence is not a report of finished work. Plain words in, plain words out."""
    for pattern in (_COMPLETED, _IS_DONE, _MARK_DONE):
        m = pattern.match(sentence.strip())
        if m is None:
            continue
        what = _trim(m.group("what"))
        if pattern is _MARK_DONE and not (_TASK_REF.search(what) or re.search(r"\b(?:done|complete|completed|finished|closed)\W*$",
                                                                         sentence, re.IGNORECASE)):
            continue  # "close the Acme deal" is a plan; "mark the Acme deal done" is a report
        if not what or _MORE_AFTER.search(what) or _VAGUE_OBJECT.match(what) or not any(ch.isalpha() or ch.isdigit() for ch in what):
            return None
        return what
    return None


@dataclass(frozen=True)
class Completion:
    """One sentence of a message reporting work as done: the T-numbers it names, or else the words."""

    sentence: str
    refs: tuple[int, ...]
    what: str | None  # the words naming the work (stored form) when no T-number is named


def completions(text: str) -> tuple[list[Completion], list[str]]:
    """A message's reports of finished work, and its other sentences (stored form), in order. Pure.

    "done with T-3. I'll write the release notes by Friday" -> ([T-3], ["I'll write the release notes by Friday"])."""
    written = markup.read(text)
    found: list[Completion] = []
    rest: list[str] = []
    for line in lines_of(written.plain):
        for sentence in sentences_of(line):
            sentence = sentence.strip()
            what = completed_object(sentence)
            if what is None:
                if sentence:
                    rest.append(written.stored(sentence))
                continue
            refs = tuple(dict.fromkeys(int(m.group(1)) for m in _TASK_REF.finditer(what)))
            found.append(Completion(written.stored(sentence), refs, None if refs else written.stored(what)))
    return found, rest


def reads_like_update(text: str, *, now: datetime, tz: str) -> bool:
    """True when a message written outside the standup thread (a DM, a post in the standup channel)
    reads like the day's update rather than a task request, a question or a chat. Pure.

    Updates: standup headers ("Yesterday: … Today: … Blockers: …", any one of them), or work framed as
    today's or in progress ("Today I'm reviewing the rate limiter PR", "this morning I'll…", "Working on
    the Acme mockups"). Not updates: questions ("what's on my plan today?"), commitments with another day
    ("I'll fix the login bug by Friday": a task request), reports of finished work alone ("done with T-3":
    Steward offers to mark it done), absences alone ("I'm out today"). ``now`` and ``tz`` (an IANA zone)
    date the absences."""
    plain = markup.read(text).plain
    sentences = [s.strip() for line in lines_of(plain) for s in sentences_of(line) if s.strip()]
    if not sentences:
        return False
    if any(_HEADER.match(s) for s in sentences):
        return True
    if all(_QUESTION.search(s) for s in sentences):
        return False
    return any(_TODAY_FRAME.search(s) and not _QUESTION.search(s) and completed_object(s) is None
               and not says_absence(s, now=now, tz=tz) for s in sentences)


def _add(items: list[int], n: int) -> None:
    if n not in items:
        items.append(n)


def _is_done_ref(sentence: str, match: re.Match[str]) -> bool:
    return bool(_DONE_AFTER.match(sentence[match.end():]) or _DONE_BEFORE.search(sentence[: match.start()]))


def split_reply(text: str, *, now: datetime, tz: str) -> ReplyParts:
    """Sort a standup reply's sentences: plan, completions, blockers, out of office. Pure.

    ``text`` is the reply as Slack delivers it; its plain words are sorted, and the task lines,
    blockers and absences come back in the stored form (:mod:`bot.slack_markup`).

    "Yesterday:/Done:" sections complete the tasks they name by T-number, and by (about) the same title
    what "Done:" lists or what is said as finished ("Yesterday: fixed the checkout bug"; past work is not
    today's plan); sentences reporting finished work anywhere ("I finished the login
    bug", "done with T-3") complete theirs too; "Blockers:" sections and sentences like "blocked on…", "waiting for…" open
    blockers (on the T-number they name, if any), and sentences like "T-5 is unblocked", "no longer blocked on…"
    say a blocker is gone (``unblocked``); sentences that state an absence are out-of-office
    notes; everything else is today's plan: T-numbers are existing tasks, the rest is parsed into tasks.
    """
    parts = ReplyParts()
    section, said_done = "plan", False
    written = markup.read(text)
    after_absence = False  # the sentence before stated an absence: dates or a return after it are part of it
    for line in lines_of(written.plain):
        for sentence in sentences_of(line):
            sentence = sentence.strip()
            if after_absence and continues_absence(sentence, now=now, tz=tz):
                parts.ooo[-1] = f"{parts.ooo[-1]} {sentence}"  # "I'm off from the 24th. Back on the 2nd."
                continue
            after_absence = False
            # Headers start sections on their own line or mid-line ("Yesterday: x. Today: y.").
            header = _HEADER.match(sentence)
            if header:
                h = re.sub(r"\s+", "", header.group("h").lower())
                section = _section_of(h)
                # "Done: the Acme mockups" says it is finished; "Yesterday: the Acme mockups" may be work in progress.
                said_done = h in _SAID_DONE_HEADERS
                sentence = header.group("rest").strip()
            if not sentence or _CHATTER.match(sentence) or _GRATITUDE.match(sentence):
                continue
            refs = list(_TASK_REF.finditer(sentence))
            if _UNBLOCKED.search(sentence):
                parts.unblocked.append((sentence, int(refs[0].group(1)) if refs else None))
                if not refs:
                    continue  # "no longer blocked on the API keys": nothing else to read in it
            if not refs and _NO_BLOCKER.search(sentence) and not _BLOCKER.search(_NO_BLOCKER.sub("", sentence)):
                continue  # "No blockers": nothing to open, and not a task either
            if section == "blocker" or (_BLOCKER.search(sentence) and not _NO_BLOCKER.search(sentence)):
                if not _NO_BLOCKER.search(sentence):
                    parts.blockers.append((sentence, int(refs[0].group(1)) if refs else None))
                continue
            if says_absence(sentence, now=now, tz=tz):
                parts.ooo.append(sentence)
                after_absence = True
                continue
            if section == "done":
                for m in refs:
                    _add(parts.done_refs, int(m.group(1)))
                what = None if refs else completed_object(sentence) or (sentence if said_done else None)
                if what is not None:
                    parts.done_titles.append((what, False))
                continue
            if not refs:
                what = completed_object(sentence)
                if what is not None:
                    parts.done_titles.append((what, True))
                else:
                    parts.task_lines.append(sentence)
                continue
            # A sentence naming tasks: each clause with a T-number is about that task; the others are new work.
            for clause in _REF_CLAUSES.split(sentence):
                clause_refs = list(_TASK_REF.finditer(clause))
                if not clause_refs:
                    if clause.strip() and any(ch.isalpha() for ch in clause):
                        parts.task_lines.append(clause.strip())
                    continue
                for m in clause_refs:
                    if _is_done_ref(clause, m):
                        _add(parts.done_refs, int(m.group(1)))
                    else:
                        _add(parts.plan_refs, int(m.group(1)))
    parts.plan_refs = [n for n in parts.plan_refs if n not in parts.done_refs]
    # Back to the stored form: the people and links of the reply stay markup in titles and blockers.
    parts.task_lines = [written.stored(line) for line in parts.task_lines]
    parts.blockers = [(written.stored(sentence), n) for sentence, n in parts.blockers]
    parts.unblocked = [(written.stored(sentence), n) for sentence, n in parts.unblocked]
    parts.ooo = [written.stored(sentence) for sentence in parts.ooo]
    parts.done_titles = [(written.stored(what), explicit) for what, explicit in parts.done_titles]
    return parts


_STOPWORDS = {"the", "a", "an", "to", "for", "of", "on", "my", "our", "and", "with", "in", "at", "today", "some", "more"}
_LEAD_VERBS = {"finish", "finishing", "continue", "continuing", "keep", "working", "work", "wrap", "up", "start", "starting"}


def title_key(title: str) -> str:
    """The words that identify a task (stored-form titles are read as plain words first)."""
    words = [w for w in re.findall(r"[a-z0-9]+", fold(markup.EMOJI.sub(" ", markup.plain_text(title)))) if w not in _STOPWORDS]
    while len(words) > 1 and words[0] in _LEAD_VERBS:
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    if (f" {ka} " in f" {kb} " or f" {kb} " in f" {ka} ") and min(len(ka.split()), len(kb.split())) >= 2:
        return 0.9
    return difflib.SequenceMatcher(None, ka, kb).ratio()


def best_match(title: str, candidates: Sequence[Any], threshold: float = 0.8) -> Any | None:
    """The candidate (anything with .title) whose title is closest to ``title``, if close enough."""
    best, score = None, threshold
    for c in candidates:
        s = title_similarity(title, c.title)
        if s >= score:
            best, score = c, s
    return best
