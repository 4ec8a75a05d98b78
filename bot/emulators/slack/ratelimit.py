"""HTTP 429 answers: injected ones (`set_rate_limit`) and a per-method sliding one-minute window."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
ALL_METHODS = "*"


@dataclass
class _Injected:
    remaining: int
    retry_after: int


@dataclass
class RateLimiter:
    per_minute: int | None = None
    _injected: dict[str, _Injected] = field(default_factory=dict)
    _windows: dict[str, deque[float]] = field(default_factory=dict)

    def inject(self, method: str, times: int, retry_after: int) -> None:
        self._injected[method] = _Injected(times, retry_after)

    def clear(self) -> None:
        self._injected.clear()
        self._windows.clear()

    def check(self, method: str, now: float) -> int | None:
        """Retry-After seconds when this call must be refused, else None (and the call is counted)."""
        injected = self._take_injected(method)
        if injected is not None:
            return injected
        return self._check_window(method, now)

    def _take_injected(self, method: str) -> int | None:
        for key in (method, ALL_METHODS):
            rule = self._injected.get(key)
            if rule is not None and rule.remaining > 0:
                rule.remaining -= 1
                return rule.retry_after
        return None

    def _check_window(self, method: str, now: float) -> int | None:
        if self.per_minute is None:
            return None
        window = self._windows.setdefault(method, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= self.per_minute:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
        window.append(now)
        return None
