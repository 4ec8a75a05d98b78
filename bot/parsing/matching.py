"""Task-type keyword rules and loose client/project name matching (compiled once, cached)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .models import DEFAULT_TASK_TYPE, DEFAULT_TASK_TYPES, TaskTypeRule
from .text import fold

# ---------------------------------------------------------------------------------------------
# task types


@lru_cache(maxsize=64)
def _type_matcher(rules: tuple[TaskTypeRule, ...]) -> tuple[re.Pattern[str] | None, tuple[TaskTypeRule, ...]]:
    alts: list[tuple[int, int, str]] = []
    for i, r in enumerate(rules):
        kw = r.keyword.strip()
        if not kw:
            continue
        body = r"\s+".join(re.escape(w) for w in kw.split())
        alts.append((len(kw), i, body))
    if not alts:
        return None, rules
    # longest first so that, at one position, "landing page" beats "landing"; ties: list order
    alts.sort(key=lambda a: (-a[0], a[1]))
    order = tuple(rules[i] for _, i, _ in alts)
    pattern = "|".join(f"(?P<k{n}>{body})" for n, (_, _, body) in enumerate(alts))
    return re.compile(rf"(?<![\w-])(?:{pattern})(?:e?s)?(?![\w-])", re.IGNORECASE), order


_DEFAULT_MATCHER = _type_matcher(DEFAULT_TASK_TYPES)


def match_task_type(
    title: str, rules: Sequence[TaskTypeRule], default: TaskTypeRule = DEFAULT_TASK_TYPE
) -> TaskTypeRule:
    """The earliest keyword in the title wins (longest at the same position, then list order)."""
    rx, order = _DEFAULT_MATCHER if rules is DEFAULT_TASK_TYPES else _type_matcher(tuple(rules))
    if rx is None:
        return default
    m = rx.search(title)
    if m is None or m.lastgroup is None:
        return default
    return order[int(m.lastgroup[1:])]


# ---------------------------------------------------------------------------------------------
# clients / projects

_SUFFIXES = {
    "corp", "corporation", "inc", "incorporated", "llc", "llp", "ltd", "limited", "co", "company", "gmbh",
    "ag", "sa", "sas", "sarl", "bv", "nv", "plc", "pty", "group", "holdings", "labs", "lab", "studio",
    "studios", "agency", "project", "app", "website", "site", "team", "and", "the",
}  # fmt: skip
_TLD = re.compile(r"\.(?:com|io|co|net|org|ai|app|dev|de|fr|es|uk|us)\b", re.IGNORECASE)
_STOP = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "my",
    "our",
    "new",
    "app",
    "site",
    "team",
}


def name_variants(name: str) -> list[str]:
    """Folded variants of a name: itself, without a trailing company suffix, without a leading "the"."""
    base = fold(_TLD.sub("", name))
    out = [base] if base else []
    words = base.split()
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words = words[:-1]
        out.append(" ".join(words))
    if len(words) > 1 and words[0] == "the":
        out.append(" ".join(words[1:]))
    return [v for v in dict.fromkeys(out) if len(v) >= 2 and v not in _STOP]


@lru_cache(maxsize=256)
def _name_matcher(names: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    owner: dict[str, str] = {}
    for name in names:
        for v in name_variants(name):
            owner.setdefault(v, name)  # first listed name wins a shared variant
    if not owner:
        return None, owner
    alts = sorted(owner, key=len, reverse=True)
    rx = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in alts) + r")(?!\w)")
    return rx, owner


# A web address names a host, not a client: "github.com/acme/web/pull/42" is not about Acme Corp.
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)


def without_urls(text: str) -> str:
    """``text`` with web addresses blanked out (before matching client and project names)."""
    return _URL.sub(" ", text)


def match_name(text: str, names: Sequence[str], folded: str | None = None) -> str | None:
    """The given name (exactly as listed) whose variant occurs earliest in ``text`` as whole words."""
    if not names:
        return None
    rx, owner = _name_matcher(tuple(names))
    if rx is None:
        return None
    m = rx.search(folded if folded is not None else fold(without_urls(text)))
    return owner[m.group()] if m else None
