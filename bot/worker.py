"""A background loop over a table: run a batch, and when there was nothing to do, sleep until
woken (something was just queued) or until the next poll (work queued by another process).

Also :func:`cancel_and_wait`, how every stop in Steward ends the tasks it started: cancelled, and waited for
within a bound, so that one task that does not unwind cannot hold up the process's exit."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from bot.log import get_logger

log = get_logger(__name__)

T = TypeVar("T")

# How long a stop waits for cancelled tasks to unwind (a shielded cleanup write, a socket close). Steward's
# whole stop fits in docker's and systemd's grace before SIGKILL (10 s, and 90 s).
UNWIND_SECONDS = 3.0


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]], *, what: str, within: float = UNWIND_SECONDS) -> None:
    """Cancel ``tasks`` and wait at most ``within`` seconds for them to finish. Tasks still unwinding after that
    (a database that does not answer a cleanup write) are logged under ``what`` and left to finish on their own;
    never raises for the tasks' own errors."""
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, still = await asyncio.wait(pending, timeout=within)
    if still:
        log.warning("stop_left_tasks_unwinding", what=what, tasks=sorted(t.get_name() for t in still), seconds=within)


async def finish_within(work: Coroutine[Any, Any, Any], *, what: str, within: float = UNWIND_SECONDS) -> bool:
    """Run ``work`` (a cleanup a stop does: a last database write) for at most ``within`` seconds; past that it is
    cancelled (see :func:`cancel_and_wait`) and logged under ``what``. True when it finished in time; its own
    errors propagate."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        log.warning("stop_cleanup_abandoned", what=what, seconds=within)
        await cancel_and_wait([task], what=what, within=within)
        return False
    task.result()
    return True


async def claim_or_hand_back(claim: Coroutine[Any, Any, T], hand_back: Callable[[T, float], Awaitable[None]], *,
                             within: float) -> T:
    """Run ``claim`` (a statement that claims rows and commits) so that a stop cannot cut it in half: cancelled
    while it runs, the caller lets it finish (within ``within`` seconds) and gives what it claimed back through
    ``hand_back(claimed, seconds_left)``, then the cancellation goes on. When the claim does not finish in time
    it is cancelled, and what it may have claimed goes back when its lease runs out."""
    claiming = asyncio.ensure_future(claim)
    try:
        return await asyncio.shield(claiming)
    except asyncio.CancelledError:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        done, _ = await asyncio.wait({claiming}, timeout=within)
        if not done:
            claiming.cancel()
        elif not claiming.cancelled() and claiming.exception() is None:
            await hand_back(claiming.result(), max(0.1, deadline - loop.time()))
        raise


class PollingWorker:
    name = "worker"

    def __init__(self, *, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def run_once(self) -> int:
        """Do one batch; return how much was done (0 means sleep)."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        # The loop runs in its own empty context: it must not log whatever was bound where it started.
        self._task = asyncio.create_task(self._loop(), name=self.name, context=contextvars.Context())

    async def stop(self) -> None:
        if self._task:
            # A flag as well as the cancel: on Python 3.11 a cancel that lands as the poll's timeout fires
            # can be swallowed (the task stays "cancelling" and would poll forever); the flag ends it.
            self._stopping = True
            self._wake.set()
            await cancel_and_wait([self._task], what=self.name)
            self._task = None

    async def _loop(self) -> None:
        me = asyncio.current_task()
        while not self._stopping:
            try:
                done = await self.run_once()
            except Exception:
                log.exception(f"{self.name}_failed")
                done = 0
            if done:
                continue
            # Not asyncio.wait_for(event.wait()): on Python 3.11 it can swallow a cancellation that
            # arrives as the event is set, and stop() would then wait for this loop forever.
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                if me is not None and me.cancelling():
                    raise asyncio.CancelledError from None  # the timeout swallowed a cancel: honour it
            self._wake.clear()
