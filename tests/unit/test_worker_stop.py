"""Issue 11, part 4: a polling worker stops, however its wake-ups and its stop interleave.

On Python 3.11, ``asyncio.wait_for(event.wait(), timeout)`` can swallow the cancellation that ``stop()`` sends
when a wake (or the poll's timeout) lands at the same moment, and stop() then waits forever. These tests wake
and stop a worker hundreds of times in a row, with the wake landing before, at and just after the stop, and
the poll timing out at the moment of the stop; every stop must return (within a bound, not a sleep)."""

from __future__ import annotations

import asyncio

import pytest

from bot.worker import PollingWorker

ROUNDS = 300
STOP_BOUND = 2.0  # seconds a stop may take here: it takes microseconds; a swallowed cancel takes forever


class Ticker(PollingWorker):
    """A worker whose batch is a tick: work when asked, else nothing (so it sleeps on its wake event)."""

    name = "ticker"

    def __init__(self, poll_seconds: float, work: int = 0) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.work = work
        self.batches = 0

    async def run_once(self) -> int:
        self.batches += 1
        await asyncio.sleep(0)
        if self.work:
            self.work -= 1
            return 1
        return 0


async def stop_within(worker: PollingWorker) -> None:
    async with asyncio.timeout(STOP_BOUND):  # not wait_for: the very bug under test
        await worker.stop()


@pytest.mark.parametrize("wake_at", ["before", "with", "after", "never"])
async def test_wake_and_stop_many_times_in_a_row(wake_at: str) -> None:
    loop = asyncio.get_running_loop()
    for round_ in range(ROUNDS):
        worker = Ticker(poll_seconds=0.01, work=round_ % 3)
        worker.start()
        for _ in range(round_ % 4):  # let it reach its wait (or not) before the stop
            await asyncio.sleep(0)
        if wake_at == "before":
            worker.wake()
        elif wake_at == "with":
            loop.call_soon(worker.wake)  # runs between stop()'s cancel and the loop's next step
        elif wake_at == "after":
            loop.call_later(0, worker.wake)
        await stop_within(worker)
        assert worker._task is None


async def test_a_stop_landing_as_the_poll_times_out() -> None:
    """The poll's timeout and the stop's cancel in the same loop iteration (a tiny poll, the stop scheduled
    for when the poll ends)."""
    loop = asyncio.get_running_loop()
    for round_ in range(ROUNDS):
        worker = Ticker(poll_seconds=0.002)
        worker.start()
        stopped = loop.create_future()

        def stop_now(worker: Ticker = worker, stopped: asyncio.Future[None] = stopped) -> None:
            stopped.set_result(None)

        loop.call_later(0.002 + (round_ % 5) * 0.0005, stop_now)
        await stopped
        worker.wake() if round_ % 2 else None
        await stop_within(worker)


async def test_a_worker_can_be_started_again_after_a_stop_and_keeps_working() -> None:
    worker = Ticker(poll_seconds=10)
    for _ in range(50):
        worker.start()
        before = worker.batches
        worker.wake()
        for _ in range(20):
            await asyncio.sleep(0)
            if worker.batches > before + 1:
                break
        assert worker.batches > before  # it ran at start, and again when woken
        await stop_within(worker)


async def test_stop_returns_while_a_batch_is_stuck() -> None:
    """A batch that never finishes (a hung call) is cancelled by stop(), not waited for."""

    class Stuck(PollingWorker):
        async def run_once(self) -> int:
            await asyncio.Event().wait()
            return 0

    for _ in range(50):
        worker = Stuck(poll_seconds=0.01)
        worker.start()
        await asyncio.sleep(0)
        worker.wake()
        await stop_within(worker)
