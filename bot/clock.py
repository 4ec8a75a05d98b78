"""Time is a parameter: everything asks a Clock, and tests or the sandbox can move it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    """The wall clock, optionally shifted (the sandbox's "advance the clock" control)."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


@dataclass
class FrozenClock(Clock):
    at: datetime = field(default_factory=utcnow)

    def now(self) -> datetime:
        return self.at + self.offset
