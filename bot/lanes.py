"""Two lanes for inbox work (issue 11, part 6): a slow language model never stalls events that need none.

The inbox worker handles up to ``concurrency`` rows at once, each holding a worker slot. A row that
calls the model (:func:`model_call`, around every request the AI interface makes) gives its slot
back while it waits for the model, and takes one again when the answer (or the fallback) is in: the
worker meanwhile claims and handles other rows, so a ``help`` DM is answered at its normal speed
while every model call hangs. How many rows may wait on the model at once is bounded
(``max_waiting``); past it, a row keeps its slot while it waits, as before. How many model calls run
at once is the AI interface's own limit (``AI(max_concurrency=…)``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass
class Lanes:
    """The worker's slots (``concurrency``) and the model lane's bound (``max_waiting`` rows).

    ``on_free`` is called whenever a slot is given back for the model lane (the worker claims more)."""

    concurrency: int
    max_waiting: int
    on_free: Callable[[], None] = lambda: None

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrency)
        self.holding = 0  # rows holding a slot
        self.waiting = 0  # rows waiting on the model without one

    @property
    def free(self) -> int:
        """Slots free now (a claim takes at most this many rows)."""
        return self.concurrency - self.holding

    async def acquire(self) -> Slot:
        """A slot for one row (waits while all are taken); :attr:`Slot.task` is set by the row's task."""
        await self._slots.acquire()
        self.holding += 1
        return Slot(self)

    def _give_back(self) -> None:
        self.holding -= 1
        self._slots.release()


@dataclass
class Slot:
    """The worker slot of one inbox row (see :class:`Lanes`)."""

    lanes: Lanes
    held: bool = True
    task: asyncio.Task[Any] | None = None  # the row's own task: only it steps aside (not tasks it started)

    def release(self) -> None:
        """The row is finished: its slot (if it holds one) goes back."""
        if self.held:
            self.held = False
            self.lanes._give_back()

    def step_aside(self) -> bool:
        """Give the slot back while waiting on the model; False when the lane is full (keep the slot)."""
        if not self.held or self.lanes.waiting >= self.lanes.max_waiting:
            return False
        self.release()
        self.lanes.waiting += 1
        self.lanes.on_free()
        return True

    async def rejoin(self) -> None:
        """Take a slot again after the model answered."""
        try:
            await self.lanes._slots.acquire()
        finally:
            self.lanes.waiting -= 1
        self.lanes.holding += 1
        self.held = True


CURRENT_SLOT: ContextVar[Slot | None] = ContextVar("steward_inbox_slot", default=None)


@asynccontextmanager
async def model_call() -> AsyncIterator[None]:
    """Around a call to the language model: an inbox row steps out of its worker slot meanwhile (see
    the module doc). Anywhere else (jobs, the CLI, tests) it does nothing."""
    slot = CURRENT_SLOT.get()
    stepped = slot is not None and slot.task is asyncio.current_task() and slot.step_aside()
    try:
        yield
    finally:
        if stepped:
            assert slot is not None
            await slot.rejoin()
