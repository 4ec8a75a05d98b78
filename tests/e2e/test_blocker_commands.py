"""`/blocker`, `/blockers` and the standup's "Blocked on …" through the emulator (issue 13): bad input answered
politely and specifically with nothing half-written, who may see and change what, and the standup path joining the
ladder and leaving it when a later reply says it is unblocked. The team and clock are test_blockers.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text
from tests.e2e.test_blockers import START, _all, delivered, dms, ny, row, setup_team, sweep, team_bot, walk
from tests.e2e.test_daily_rhythm import LEE, add_task, db, reply
from tests.e2e.test_distributed_team import post_thread
from tests.helpers import fetchval


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=START)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    async with team_bot(emulator, db_dsn, tmp_path, clock) as started:
        yield started


async def counts(dsn: str) -> tuple[int, int, int]:
    """(blockers, open blockers, blocker log rows) — what a refused command must leave alone."""
    async with await db(dsn) as conn:
        return (await fetchval(conn, "SELECT count(*) FROM blockers"),
                await fetchval(conn, "SELECT count(*) FROM blockers WHERE status = 'open'"),
                await fetchval(conn, "SELECT count(*) FROM task_logs WHERE action LIKE 'blocker.%%'")
                + await fetchval(conn, "SELECT count(*) FROM audit_logs WHERE action LIKE 'blocker.%%'"))


async def denials(dsn: str, action: str) -> int:
    async with await db(dsn) as conn:
        return int(await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = %s", (action,)))


async def test_bad_blocker_commands_get_polite_specific_answers_and_write_nothing(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    done = await add_task(db_dsn, DIEGO, "Write the release notes")
    assert "T-2" in await answer_text(emulator, DIEGO, "/task", f"done {done}")
    clock.at = ny(3, 10, 10, 0)

    async def says(user: str, words: str) -> str:
        return await answer_text(emulator, user, "/blocker", words, channel=STANDUP)

    assert "There's no task T-99999 here" in await says(DIEGO, "T-99999 waiting for the API keys")
    assert "Say what blocks you" in await says(DIEGO, "")
    assert "Say what blocks T-1: `/blocker T-1 waiting for the API keys`" in await says(DIEGO, task)
    assert "T-2 is already done" in await says(DIEGO, f"{done} waiting for review")
    # Someone else's task: refused and logged for a teammate.
    refused = await says(SAM, f"{task} waiting for the API keys")
    assert f"{task} is <@{DIEGO}>'s task, so only they, their manager or an admin can raise a blocker on it" in refused
    assert await denials(db_dsn, "blocker.open_for_other") == 1
    # Resolving what isn't there.
    assert "Say which blocker: `/blocker resolve T-12 [note]`" in await says(DIEGO, "resolve")
    assert "T-1 has no blocker to resolve" in await says(DIEGO, f"resolve {task}")
    assert "There's no task T-99999 here" in await says(DIEGO, "resolve T-99999")
    assert "`/blockers` takes no words" in await answer_text(emulator, DIEGO, "/blockers", "everything", channel=STANDUP)
    assert await counts(db_dsn) == (0, 0, 0)

    # Diego's manager may raise one on his task: it is Diego's blocker, raised by Lee.
    said = await says(LEE, f"{task} waiting for the API keys")
    assert f"Blocker opened for <@{DIEGO}> on `T-1`" in said
    assert await row(db_dsn, "SELECT pi.external_id FROM blockers b JOIN platform_identities pi ON pi.user_id = b.user_id") == (DIEGO,)
    assert "already open" in await says(DIEGO, f"{task} waiting for the API keys")  # the same words: the same blocker
    assert await counts(db_dsn) == (1, 1, 1)

    # A stranger may not resolve it (logged); Diego resolves it; resolving again says who did and when.
    assert "isn't yours to change" in await says(SAM, f"resolve {task}")
    assert await denials(db_dsn, "blocker.resolve") == 1
    assert "Resolved the blocker on `T-1`" in await says(DIEGO, f"resolve {task} keys came")
    again = await says(LEE, f"resolve {task}")
    assert f"The blocker on T-1 was already resolved by <@{DIEGO}> on Tue 10 Mar. Nothing to do." in again
    assert await counts(db_dsn) == (1, 0, 2)


async def test_blockers_lists_what_each_person_may_see(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                       db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)  # Lee manages Diego and Priya; Maya manages Lee and is the admin
    clock.at = ny(3, 10, 10, 0)
    await answer_text(emulator, DIEGO, "/blocker", "the VPN is down for me", channel=STANDUP)
    await answer_text(emulator, SAM, "/blocker", "waiting for the design files", channel=STANDUP)
    clock.at = ny(3, 10, 15, 0)

    async def listed(user: str) -> str:
        return await answer_text(emulator, user, "/blockers", channel=STANDUP)

    mine = await listed(DIEGO)
    assert "the VPN is down" in mine and "design files" not in mine and "open 5 working hours (not escalated yet" in mine
    assert "No open blockers you can see" in await listed(PRIYA)
    lee = await listed(LEE)
    assert "the VPN is down" in lee and "design files" not in lee
    maya = await listed(MAYA)
    assert "the VPN is down" in maya and "design files" in maya and "*Open blockers* (2)" in maya
    await sweep(bot, clock, ny(3, 10, 15, 0))  # the owner's rung, due at 14:00, reached Diego at 15:00
    assert "rung 1 of 4, next Wed 11 Mar 11:00" in await listed(DIEGO)  # a working day after he was asked


async def test_the_first_blocker_on_no_task_is_b_1_and_resolves_by_that_name(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Tester 13, finding 15: B-numbers count only blockers on no task, per organization (a blocker on a task before
    it does not make the first one B-2)."""
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    clock.at = ny(3, 10, 10, 0)
    assert "on `T-1`" in await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    said = await answer_text(emulator, DIEGO, "/blocker", "waiting for legal to sign off", channel=STANDUP)
    assert "Blocker opened on `B-1` (on no task)" in said and "`/blocker resolve B-1`" in said, said
    assert "`B-1`" in await answer_text(emulator, DIEGO, "/blockers", channel=STANDUP)
    assert "I couldn't find blocker `B-2`" in await answer_text(emulator, DIEGO, "/blocker", "resolve B-2", channel=STANDUP)
    assert "Resolved the blocker on `B-1`" in await answer_text(emulator, DIEGO, "/blocker", "resolve B-1 legal signed",
                                                                channel=STANDUP)
    assert await row(db_dsn, "SELECT status, ref_number FROM blockers WHERE task_id IS NULL") == ("resolved", 1)
    assert (await walk(db_dsn))[0] == "open"  # the blocker on T-1 is still open


async def test_a_standup_blocker_joins_the_ladder_and_a_later_reply_unblocks_it(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread = await post_thread(emulator, bot, clock, ny(3, 10, 9, 0), db_dsn)
    clock.at = ny(3, 10, 9, 30)
    reply_ts, answer = await reply(emulator, DIEGO, thread, f"Today: {task}. Blocked on {task}: waiting for the API keys")
    assert "Blocker on `T-1`" in str(answer)
    status, level, due, _last = await walk(db_dsn)
    assert (status, level, due) == ("open", 0, ny(3, 10, 13, 30))
    assert await row(db_dsn, "SELECT raised_channel_id, raised_ts, source FROM blockers") == (STANDUP, reply_ts, "thread")

    await sweep(bot, clock, ny(3, 10, 13, 30))
    await sweep(bot, clock, ny(3, 11, 9, 30))
    [escalated] = await dms(emulator, LEE, "blocked on T-1")
    link = emulator.workspace.permalink(STANDUP, reply_ts, thread)
    assert f"<{link}|Where it was raised>" in str(escalated["blocks"])
    assert "Their latest word (Tue 10 Mar 09:30)" in str(escalated["blocks"])

    # Wednesday's update says it is unblocked: resolved by Diego, and Lee (who was told) hears it.
    thread2 = await post_thread(emulator, bot, clock, ny(3, 11, 9, 0), db_dsn)
    clock.at = ny(3, 11, 10, 0)
    _ts, answer = await reply(emulator, DIEGO, thread2, f"{task} is unblocked, the keys arrived. Today: {task}")
    assert "Blocker resolved on `T-1`" in str(answer)
    assert (await walk(db_dsn))[0] == "resolved"
    await delivered(bot)
    [told] = await dms(emulator, LEE, "Blocker resolved")
    assert f"by <@{DIEGO}> in a standup update" in told["text"]
    logged: list[Any] = [r[0] for r in await _all(db_dsn, "SELECT action FROM task_logs WHERE action LIKE 'blocker.%%' ORDER BY id")]
    assert logged == ["blocker.opened", "blocker.escalated", "blocker.escalated", "blocker.resolved"]
