"""looks_like_injection: a cheap screen for prompt-injection / impersonation attempts.

It is a tripwire, not a guarantee: messages it flags should be handled without the model (or
with the model told to treat them as data), and the worst level found is returned. Slack markup is
read first (:mod:`bot.slack_markup`), so "<@U123>" is screened as "@U123", "<!channel>" as
"@channel" and "&lt;system&gt;" as "<system>".
"""

from __future__ import annotations

import re
import unicodedata

from bot.slack_markup import read

from .models import ThreatLevel

_F = re.IGNORECASE
_ADJ = r"(?:previous|prior|above|earlier|preceding|former|original|initial|system|hidden|existing|safety|these|those)"
_STRONG = r"(?:instructions?|prompts?|directives?|guardrails?|programming|system\s+prompt)"
_WEAK = (
    r"(?:rules?|guidelines?|constraints?|messages?|context|directions?|orders?|commands?|text|conversation)"
)
_IGNORE = r"(?:ignore|disregard|forget|bypass|override|overrule)"
_MENTION = r"@[\w.\-]+"

_EVERYONE = (
    r"(?:everyone|everybody|all\s+(?:users|members|people|of\s+(?:you|them|us))|the\s+whole\s+(?:team|company|workspace|org)"
    r"|every\s+(?:user|member|person|one|single\s+\w+)|@(?:channel|everyone|here))(?!\w)"
)

_PATTERNS: list[tuple[ThreatLevel, str, re.Pattern[str]]] = [
    ("critical", "asks to ignore previous instructions",
     re.compile(
         rf"\b{_IGNORE}\s+(?:about\s+)?(?:(?:all|any|the|your|my|of|everything|in)\s+)*(?:{_ADJ}\s+)*{_STRONG}\b"
         rf"|\b{_IGNORE}\s+(?:about\s+)?(?=(?:\w+\s+){{0,3}}?(?:all|any|your|{_ADJ})\b)(?:(?:all|any|the|your|my|of|everything|in|{_ADJ})\s+)+{_WEAK}\b"
         rf"|\b{_IGNORE}\s+(?:all\s+(?:of\s+)?)?(?:the\s+|everything\s+)?above\b",
         _F,
     )),
    ("critical", "asks to forget everything",
     re.compile(r"\b(?:forget|disregard|ignore)\s+(?:all\s+of\s+|about\s+)?everything\s+(?:you\s+(?:were|have\s+been)\s+told|above|before|so\s+far)", _F)),
    ("critical", "asks to reveal the system prompt",
     re.compile(r"\b(?:reveal|show|print|display|repeat|output|leak|tell\s+me|give\s+me|what\s+(?:is|are))\s+(?:me\s+)?(?:your|the)\s+(?:system\s+|initial\s+|hidden\s+|original\s+)+(?:prompt|instructions|message)", _F)),
    ("critical", "jailbreak keyword",
     re.compile(r"\b(?:jailbreak|jail\s*break|DAN\s+mode|do\s+anything\s+now|developer\s+mode|god\s+mode|unfiltered\s+mode)\b", _F)),
    ("high", "mentions the system prompt",
     re.compile(r"\bsystem\s*(?:prompt|message|instructions?)\b|<\s*/?\s*(?:system|assistant|im_start|im_end)\s*>|\[\s*(?:system|INST)\s*\]|^\s*(?:#+\s*)?(?:system|assistant)\s*:", _F | re.M)),
    ("high", "tries to redefine the assistant",
     re.compile(r"\byou\s+are\s+now\b|\bfrom\s+now\s+on\s*,?\s+you\b|\byou\s+(?:will|must|shall)\s+now\b|\byour\s+new\s+(?:role|instructions?|task|persona)\b|\bnew\s+instructions?\s*:", _F)),
    ("high", "role-play request",
     re.compile(r"\brole[\s-]*play\b|\bpretend\s+(?:to\s+be|you(?:['’]re|\s+are))\b|\bimpersonate\b|\bact\s+as\s+(?:if\s+you|though\s+you|an?\s+(?:ai|assistant|admin|administrator|unrestricted|different|new|evil|hacker)|(?:the\s+)?(?:system|admin|administrator|root))\b", _F)),
    ("high", "acts as / for another user",
     re.compile(rf"\b(?:act|acting|speak|post|reply|respond|sign|approve)\s+(?:as|for)\s+{_MENTION}|\bas\s+if\s+(?:i\s+(?:were|am)|you\s+were)\s+{_MENTION}|\b(?:log\s*in|logged\s+in)\s+as\s+{_MENTION}", _F)),
    ("medium", "acts on behalf of someone else",
     re.compile(r"\bon\s+behalf\s+of\b|\bin\s+the\s+name\s+of\b|\bpretending\s+to\s+be\b", _F)),
    ("medium", "mass assignment or mass change",
     re.compile(
         rf"\b(?:assign|reassign|delegate)\s+(?:[\w#-]+\s+){{0,5}}?(?:to\s+)?{_EVERYONE}"
         rf"|\b(?:dm|message|spam)\s+{_EVERYONE}"
         r"|\b(?:delete|remove|close|complete|cancel|wipe|erase|clear|purge|reassign|mark)\s+(?:all|every|everyone['’]?s?)\s+(?!my\b)(?:\w+\s+){0,2}?(?:tasks?|reminders?|records?|data|users?|items?|ooo)\b",
         _F)),
    ("low", "talks to the model about itself",
     re.compile(r"\bas\s+an?\s+(?:ai|language\s+model|llm|assistant)\b|\b(?:chatgpt|gpt-?\d|openai|llm|language\s+model)\b.*\b(?:instructions?|prompt|rules)\b|\bprompt\s+injection\b", _F)),
    ("low", "asks for elevated privileges",
     re.compile(r"\b(?:sudo|admin\s+mode|root\s+access|elevated\s+(?:privileges|permissions)|grant\s+(?:me\s+)?admin)\b", _F)),
]  # fmt: skip
_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff\u00ad]", "", text)
    return re.sub(r"[ \t]+", " ", text)


def looks_like_injection(text: str) -> tuple[ThreatLevel, str] | None:
    """(threat level, reason) for the worst pattern found, or None for ordinary text.

    "ignore the flaky test" is ordinary: "ignore" only counts when it targets instructions/prompts.
    """
    if not text:
        return None
    t = _prepare(read(text).plain)
    best: tuple[ThreatLevel, str] | None = None
    for level, reason, rx in _PATTERNS:
        if best is not None and _ORDER[level] <= _ORDER[best[0]]:
            continue
        if rx.search(t):
            best = (level, reason)
            if level == "critical":
                break
    return best
