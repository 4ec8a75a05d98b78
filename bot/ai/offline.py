"""The offline stand-ins for the model's memory work: extraction, answers and summaries.

Deterministic and cheap. Extraction keeps each substantive sentence (at least four words, not a
greeting or an acknowledgement) as an observation; answers list the facts that share the most
words with the question; summaries list the newest observations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot import slack_markup as markup
from bot.ai.models import Observation
from bot.ai.prompts import ENTITY_TYPES
from bot.ai.validate import OBSERVATION_MAX, SUMMARY_MAX, clean_text, truncate
from bot.embedding import features

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])|\n+")
_BULLET = re.compile(r"^\s*(?:[-*•◦‣>]|\d+[.)])\s+")
_WORD = re.compile(r"[^\W_][\w'’\-]*")

_ACK = re.compile(
    r"^(?:(?:hi|hey|hello|yo|morning|good\s+(?:morning|afternoon|evening|night)|gm|thanks|thank\s+you|thx|ty|tysm|"
    r"cheers|ok(?:ay)?|k|kk|cool|great|nice|awesome|perfect|sounds\s+good|sgtm|lgtm|got\s+it|noted|will\s+do|"
    r"sure|yes|yep|yeah|yup|no|nope|nah|lol|haha+|ha|np|no\s+problem|no\s+worries|welcome|congrats|"
    r"congratulations|well\s+done|nice\s+one|bye|see\s+you|\+1)\b[\s,!.:;-]*)+",
    re.IGNORECASE,
)
_FILLER = frozenset(
    """so much very all everyone everybody guys team folks again for this that it you y'all yall
    a an the and or to of in on at is are was be me us we i really just too also both happy nice good great
    have has hope day days weekend week monday tuesday wednesday thursday friday saturday sunday""".split()
)
_STOP = frozenset(
    """a an the and or but of to in on at by for with from is are was were be been it its this that what
    who whom which when where why how do does did i we you they he she me us our your their any there
    about status update latest news with tell know""".split()
)


def slack_plain(text: str) -> str:
    """Slack mrkdwn -> plain text (:mod:`bot.slack_markup`): links to their labels, channel and special
    mentions to names, emoji codes dropped, entities unescaped. User mentions (<@U123>) stay markup."""
    text = markup.EMOJI.sub("", markup.read(text).plain_keeping("user"))
    return re.sub(r"[*_~`]{1,3}(?=\S)|(?<=\S)[*_~`]{1,3}", "", text)


def sentences(text: str) -> list[str]:
    out = []
    for part in _SENTENCE_END.split(slack_plain(text)):
        part = _BULLET.sub("", part).strip()
        if part:
            out.append(part)
    return out


def is_substantive(sentence: str) -> bool:
    """At least four words, and something left once a greeting/acknowledgement is taken off."""
    words = _WORD.findall(sentence)
    if len(words) < 4:
        return False
    rest = _ACK.sub("", sentence.strip())
    rest_words = [w.lower() for w in _WORD.findall(rest)]
    content = [w for w in rest_words if w not in _FILLER]
    return len(rest_words) >= 3 and len(content) >= 3


def parse_hint(hint: str | None) -> tuple[str, str] | None:
    """"client:Acme" -> ("client", "Acme"); a bare "Acme" -> ("other", "Acme"); None -> None."""
    if not hint or not hint.strip():
        return None
    kind, sep, name = hint.partition(":")
    if sep and kind.strip().lower() in ENTITY_TYPES and name.strip():
        return kind.strip().lower(), name.strip()
    return "other", hint.strip()


def offline_observations(messages: Sequence[Mapping[str, Any]], hint: tuple[str, str] | None) -> list[Observation]:
    entity_type, entity_name = hint if hint else ("other", None)
    found: dict[str, tuple[str, list[str]]] = {}
    for message in messages:
        text, ts = message.get("text"), message.get("ts")
        if not isinstance(text, str) or not isinstance(ts, str):
            continue
        for sentence in sentences(text):
            if not is_substantive(sentence):
                continue
            content = clean_text(sentence, OBSERVATION_MAX)
            key = content.casefold()
            if key in found:
                if ts not in found[key][1]:
                    found[key][1].append(ts)
            else:
                found[key] = (content, [ts])
    return [
        Observation(content=content, entity_type=entity_type, entity_name=entity_name, source_ts=ts)
        for content, ts in found.values()
    ]


def _terms(text: str) -> set[str]:
    return {f[2:] for f in features(text) if f.startswith("u:") and f[2:] not in _STOP}


def rank_facts(question: str, facts: Sequence[str], limit: int = 5) -> list[int]:
    """Indices of the facts sharing the most words with the question (ties: given order)."""
    q = _terms(question)
    scored = []
    for i, fact in enumerate(facts):
        overlap = len(q & _terms(fact))
        if overlap:
            scored.append((-overlap, i))
    scored.sort()
    return [i for _, i in scored[:limit]]


def offline_answer(question: str, facts: Sequence[str]) -> str:
    usable = [(i, clean_text(f, 400)) for i, f in enumerate(facts)]
    usable = [(i, f) for i, f in usable if f]
    if not usable:
        return "I don't have anything on that yet."
    ranked = rank_facts(question, [f for _, f in usable])
    if not ranked:  # the caller already picked these facts as the nearest ones: show the first few
        ranked = list(range(min(3, len(usable))))
    lines = [f"• {usable[j][1]} [{usable[j][0] + 1}]" for j in ranked]
    return "Here's what I have:\n" + "\n".join(lines)


def offline_summary(entity_name: str, observations: Sequence[str], limit: int = 8) -> str:
    seen: set[str] = set()
    lines = []
    for obs in observations:
        text = clean_text(obs, 300)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            lines.append(f"• {text}")
        if len(lines) >= limit:
            break
    name = clean_text(entity_name, 120) or "this"
    if not lines:
        return f"Nothing is known about {name} yet."
    more = len({clean_text(o, 300).casefold() for o in observations if clean_text(o, 300)}) - len(lines)
    tail = f"\n…and {more} more." if more > 0 else ""
    return truncate(f"Latest on {name}:\n" + "\n".join(lines) + tail, SUMMARY_MAX)
