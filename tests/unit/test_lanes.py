"""bot/lanes.py: a row waiting on the model gives its worker slot back, within the lane's bound."""

from __future__ import annotations

import asyncio

from bot.lanes import CURRENT_SLOT, Lanes, Slot, model_call


async def _row(slot: Slot, entered: asyncio.Event, answer: asyncio.Event) -> None:
    slot.task = asyncio.current_task()
    CURRENT_SLOT.set(slot)
    async with model_call():
        entered.set()
        await answer.wait()
    slot.release()


async def test_a_row_waiting_on_the_model_frees_its_slot_and_takes_one_back_after() -> None:
    woken: list[int] = []
    lanes = Lanes(2, max_waiting=1, on_free=lambda: woken.append(1))
    first, second = await lanes.acquire(), await lanes.acquire()
    assert lanes.free == 0
    entered, answer = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_row(first, entered, answer))
    await entered.wait()
    assert (lanes.free, lanes.waiting, woken) == (1, 1, [1])  # the worker may claim another row
    other = await asyncio.wait_for(lanes.acquire(), 1)  # ...and does
    # The lane is full (max_waiting=1): the next row keeps its slot while it waits on the model.
    entered2, answer2 = asyncio.Event(), asyncio.Event()
    task2 = asyncio.create_task(_row(second, entered2, answer2))
    await entered2.wait()
    assert (lanes.free, lanes.waiting) == (0, 1)
    answer.set()  # the model answers the first: it needs a slot again, and waits for one
    await asyncio.sleep(0.01)
    assert not task.done()
    other.release()
    await asyncio.wait_for(task, 1)
    answer2.set()
    await asyncio.wait_for(task2, 1)
    assert (lanes.free, lanes.waiting, lanes.holding) == (2, 0, 0)


async def test_a_task_the_row_started_does_not_give_the_rows_slot_away() -> None:
    lanes = Lanes(1, max_waiting=4)
    slot = await lanes.acquire()
    slot.task = asyncio.current_task()
    CURRENT_SLOT.set(slot)

    async def background() -> None:  # inherits the row's context, but is not the row
        async with model_call():
            assert lanes.free == 0

    await asyncio.create_task(background())
    async with model_call():
        assert lanes.free == 1
    assert lanes.free == 0 and slot.held
    slot.release()
    assert lanes.free == 1
