"""A report's narrative paragraph (issue 15): from the model when one is configured, given only the computed
figures (the fact lines of :func:`bot.services.report_figures.facts`); every number in the model's paragraph must
be one of the numbers in those lines (:func:`ungrounded`), otherwise the template narrative is used and the
mismatch logged. Offline (no model configured, or the model failing) it is always the template.

The guard reads digits ("92%", "3.5", "1,204", "-5"); numbers spelled as words ("three") are not checked, which
is why the prompt asks for digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.log import get_logger

log = get_logger(__name__)

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])[-+]?\d+(?:\.\d+)?")
Source = Literal["llm", "template"]


@dataclass(frozen=True)
class Narrative:
    """The paragraph, where it came from (``llm`` or ``template``) and, when the model's was refused, why."""

    text: str
    source: Source
    refused: str | None = None


def numbers_in(text: str) -> list[float]:
    """Every number written in digits in ``text``, as absolute values (a sign is the sentence's, "+5 pts" and
    "down 5 points" state the same figure); thousands separators read as such."""
    return [abs(float(m.group(0).replace(",", "").lstrip("+"))) for m in _NUMBER.finditer(text)]


def ungrounded(text: str, facts: Sequence[str]) -> list[float]:
    """The numbers of ``text`` that are not numbers of ``facts`` (equal to one decimal place); empty when every
    number in it is a computed figure."""
    known = {round(n, 1) for line in facts for n in numbers_in(line)}
    return [n for n in numbers_in(text) if round(n, 1) not in known]


def template(facts: Sequence[str]) -> str:
    """The template narrative: the fact lines after the period, as one paragraph (their numbers are the figures)."""
    body = [line for line in facts if not line.startswith("Period:")]
    return " ".join(body)


async def narrate(ai: Any, facts: Sequence[str], *, report: str, fallback: str | None = None) -> Narrative:
    """The narrative for a report whose figures are stated by ``facts``. ``ai`` is bot.ai.service.AI (or None):
    when it is online its paragraph is used if :func:`ungrounded` finds nothing; else the template (``fallback``,
    when given: bot/services/report_figures.py ``decisions``, what the KPI lines do not already say; else
    :func:`template`), with the mismatch logged (``report_narrative_ungrounded``, ``report`` naming the report)."""
    fallback = fallback or template(facts)
    if ai is None or getattr(ai, "offline", True):
        return Narrative(fallback, "template")
    result = await ai.narrate(list(facts))
    if result.source != "llm" or not str(result.value).strip():
        return Narrative(fallback, "template", result.reason or "the model gave no paragraph")
    wrong = ungrounded(str(result.value), facts)
    if wrong:
        log.warning("report_narrative_ungrounded", report=report, numbers=wrong[:10], narrative=str(result.value)[:500])
        return Narrative(fallback, "template", f"numbers not among the figures: {', '.join(f'{n:g}' for n in wrong[:10])}")
    return Narrative(str(result.value).strip(), "llm")
