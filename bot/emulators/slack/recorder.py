"""Every Web API call, in order, with a way to wait for the next one that matches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.emulators.slack.models import RecordedCall

CallPredicate = Callable[[RecordedCall], bool]


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._claimed: set[int] = set()
        self._changed = asyncio.Event()

    def record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        self._changed.set()

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def _claim(self, method: str, predicate: CallPredicate | None, since: int) -> RecordedCall | None:
        for index in range(since, len(self.calls)):
            call = self.calls[index]
            if index in self._claimed or call.method != method:
                continue
            if predicate is None or predicate(call):
                self._claimed.add(index)
                return call
        return None

    async def wait_for(
        self,
        method: str,
        predicate: CallPredicate | None = None,
        timeout: float = 10,  # noqa: ASYNC109 (the documented test API)
        since: int = 0,
    ) -> RecordedCall:
        """The first matching call not returned before (from index `since`), waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._claim(method, predicate, since)
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = ", ".join(c.method for c in self.calls[-10:])
                raise TimeoutError(f"no matching {method} call within {timeout}s (last calls: {seen})")
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):  # not wait_for: see bot/worker.py
                    await self._changed.wait()
            except TimeoutError:
                continue
