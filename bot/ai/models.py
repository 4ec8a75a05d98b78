"""Result types of the AI interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
Source = Literal["llm", "offline"]
Threat = tuple[str, str]  # (threat level: low|medium|high|critical, reason), from looks_like_injection

ENTITY_TYPES: tuple[str, ...] = ("client", "project", "person", "team", "other")


@dataclass(frozen=True, slots=True)
class ParseResult(Generic[T]):
    """What an AI call produced and how.

    ``source`` is "llm" when the model's (validated, clamped) answer was used, "offline" when the
    rule-based fallback produced ``value``; ``fallback_reason`` then says why, in words fit for a
    log line or an App Home note ("the AI service failed 3 times (last: HTTP 500)"). ``threat`` is
    the worst ``looks_like_injection`` finding over the inputs (the caller audit-logs it).
    ``truncated`` is True when an over-long input was cut before parsing.
    """

    value: T
    source: Source
    fallback_reason: str | None = None
    threat: Threat | None = None
    truncated: bool = False
    attempts: int = 0  # HTTP requests made to the AI service for this result


@dataclass(frozen=True, slots=True)
class Observation:
    """A fact about an entity, grounded in the channel messages it came from (``source_ts``)."""

    content: str
    entity_type: str  # one of ENTITY_TYPES
    entity_name: str | None
    source_ts: list[str] = field(default_factory=list)


class AIUnavailable(Exception):
    """The AI service could not be used and there is no offline substitute (embeddings online:
    vectors from different models must not be mixed). ``reason`` is human-readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
