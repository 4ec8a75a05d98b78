"""What a fresh tester of the daily loop found in how Steward reads people (issue 10's follow-up), through
the real bot over the Slack emulator: a German date range with ordinal days by DM and in a thread reply,
reminders across the autumn clock change, holidays named in an absence, "an hour and a half", a range whose
parts disagree on day/month order, and the wording slips (an update "Today I'm reviewing X and writing Y",
"rappelle-moi", "after lunch", "back on Monday")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, STANDUP, answer_text, start_steward
from tests.e2e.test_daily_rhythm import (
    SETTINGS,
    configure,
    db,
    reply,
    run_job,
    thread_roots,
    utc,
    wait_thread,
    wait_until,
)
from tests.e2e.test_day_updates import inbox_idle, say, words
from tests.helpers import fetchval

LENA = "U0LENA"


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 12, 2, 15, 0, 30))  # Wednesday 2 December 2026, 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    emulator.add_user(LENA, "lena", "Lena Vogel", email="lena@acme.test", tz="Europe/Berlin", locale="de-DE")
    emulator.workspace.channel(STANDUP).members.append(LENA)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def absences_of(dsn: str, slack_id: str) -> list[tuple[date, date]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT o.start_date, o.end_date FROM ooo_records o JOIN platform_identities pi ON pi.user_id = o.user_id "
            "WHERE pi.external_id = %s AND o.cancelled_at IS NULL ORDER BY o.id", (slack_id,))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def drafted(dsn: str, slack_id: str) -> list[str]:
    """The raw text of every task draft the person's DMs made."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT d.raw_text FROM task_drafts d JOIN platform_identities pi ON pi.user_id = d.user_id "
            "WHERE pi.external_id = %s ORDER BY d.id", (slack_id,))).fetchall()
    return [r[0] for r in rows]


async def task_titles(dsn: str, slack_id: str) -> list[str]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT t.title FROM tasks t JOIN platform_identities pi ON pi.user_id = t.user_id "
            "WHERE pi.external_id = %s ORDER BY t.id", (slack_id,))).fetchall()
    return [r[0] for r in rows]


async def morning_thread(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, at: datetime, dsn: str) -> str:
    clock.at = at
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    await wait_thread(emulator, mark)
    async with await db(dsn) as conn:
        await wait_until(lambda: fetchval(conn, "SELECT bool_and(d.status = 'sent') FROM notification_deliveries d JOIN "
                                                "notifications n ON n.id = d.notification_id WHERE n.kind = 'standup.thread'"))
    return str(thread_roots(emulator)[-1]["ts"])


async def test_a_german_range_with_ordinal_days_is_one_absence_by_dm_and_in_the_thread(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    _ts, (answered,) = await say(emulator, LENA, "Ich bin vom 24. bis 28. Dezember im Urlaub")
    assert "from Thu 24 Dec to Mon 28 Dec (3 workdays)" in words(answered), words(answered)
    await inbox_idle(db_dsn)
    assert await absences_of(db_dsn, LENA) == [(date(2026, 12, 24), date(2026, 12, 28))]
    assert await drafted(db_dsn, LENA) == []  # no task "Ich bin vom 24. bis 28"

    # Thursday 3 December: her plan and the same absence in one reply.
    thread_ts = await morning_thread(emulator, bot, clock, utc(2026, 12, 3, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 12, 3, 14, 10, 30)
    _ts, answer = await reply(emulator, LENA, thread_ts, "Heute: Staging-Build deployen und Release Notes schreiben. "
                                                         "Ich bin vom 24. bis 28. Dezember im Urlaub.")
    shown = words(answer)
    assert "Thu 24 Dec" in shown and "Thu 3 Dec" not in shown, shown
    await inbox_idle(db_dsn)
    assert await task_titles(db_dsn, LENA) == ["Staging-Build deployen", "Release Notes schreiben"]
    assert await absences_of(db_dsn, LENA) == [(date(2026, 12, 24), date(2026, 12, 28))] * 2


async def test_an_absence_and_its_return_in_two_sentences_make_one_absence_and_no_draft(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    _ts, (answered,) = await say(emulator, SAM, "I'm off from the 24th. Back on the 4th.")
    assert "from Thu 24 Dec to Sun 3 Jan" in words(answered), words(answered)
    _ts, (answered,) = await say(emulator, MAYA, "back on monday")
    assert "from Wed 2 Dec to Sun 6 Dec (3 workdays)" in words(answered), words(answered)
    await inbox_idle(db_dsn)
    assert await drafted(db_dsn, SAM) == [] and await drafted(db_dsn, MAYA) == []
    assert await absences_of(db_dsn, SAM) == [(date(2026, 12, 24), date(2027, 1, 3))]


async def reminders_of(dsn: str, slack_id: str) -> list[tuple[str, datetime]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT r.text, r.fire_at FROM reminders r JOIN platform_identities pi ON pi.user_id = r.user_id "
            "WHERE pi.external_id = %s ORDER BY r.id", (slack_id,))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def test_reminders_in_the_repeated_hour_of_the_autumn_clock_change(emulator: SlackEmulator, bot: Steward,
                                                                         clock: FrozenClock, db_dsn: str) -> None:
    # 01:30 EDT on Sunday 1 November 2026 in New York: the clocks go back to 01:00 EST at 02:00 EDT.
    clock.at = utc(2026, 11, 1, 5, 30)
    _ts, (answered,) = await say(emulator, MAYA, "remind me in 1 hour to check the oven")
    assert "check the oven" in words(answered) and "01:30 EST" in words(answered), words(answered)
    said = await answer_text(emulator, MAYA, "/reminder", "me in 30 minutes to turn the heating down", channel=STANDUP)
    assert "turn the heating down" in said and "01:00 EST" in said, said
    assert await reminders_of(db_dsn, MAYA) == [("check the oven", utc(2026, 11, 1, 6, 30)),
                                                ("turn the heating down", utc(2026, 11, 1, 6, 0))]
    # London's repeated hour: 01:30 BST on Sunday 25 October 2026 (00:30 UTC).
    clock.at = utc(2026, 10, 25, 0, 30)
    said = await answer_text(emulator, SAM, "/reminder", "me in 45 minutes to call home", channel=STANDUP)
    assert "call home" in said and "01:15 GMT" in said, said
    assert await reminders_of(db_dsn, SAM) == [("call home", utc(2026, 10, 25, 1, 15))]


async def test_an_hour_and_a_half_and_its_kind(emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    # 10:00 in New York on Wednesday 2 December
    _ts, (answered,) = await say(emulator, MAYA, "remind me in an hour and a half to stretch")
    assert "*stretch*" in words(answered) and "today at 11:30" in words(answered), words(answered)
    said = await answer_text(emulator, MAYA, "/reminder", "me in a day and a half to water the plants", channel=STANDUP)
    assert "*water the plants*" in said and "tomorrow at 22:00" in said, said
    assert await reminders_of(db_dsn, MAYA) == [("stretch", utc(2026, 12, 2, 16, 30, 30)),
                                                ("water the plants", utc(2026, 12, 4, 3, 0, 30))]


async def test_holidays_named_in_an_absence_are_their_days_or_refused(emulator: SlackEmulator, bot: Steward,
                                                                      clock: FrozenClock, db_dsn: str) -> None:
    # Sam is in London (no country set: his Slack timezone's, GB); Maya in New York (US).
    said = await answer_text(emulator, SAM, "/ooo", "from christmas to new year", channel=STANDUP)
    assert "from Fri 25 Dec to Fri 1 Jan" in said, said
    assert await absences_of(db_dsn, SAM) == [(date(2026, 12, 25), date(2027, 1, 1))]
    refused = await answer_text(emulator, SAM, "/ooo", "thanksgiving week", channel=STANDUP)
    assert "I don't know when thanksgiving is in `GB`'s holidays" in refused and "haven't marked anything" in refused
    assert await absences_of(db_dsn, SAM) == [(date(2026, 12, 25), date(2027, 1, 1))]  # nothing for today
    _ts, (answered,) = await say(emulator, MAYA, "I'm out thanksgiving week")
    assert "from Mon 22 Nov 2027 to Fri 26 Nov 2027" in words(answered), words(answered)  # 2026's is over

    # In a standup reply: "over Easter" is Good Friday to Easter Monday; an unknown holiday is said, not dropped.
    await configure(emulator, SETTINGS)
    thread_ts = await morning_thread(emulator, bot, clock, utc(2026, 12, 3, 14, 0, 30), db_dsn)
    clock.at = utc(2026, 12, 3, 14, 10, 30)
    _ts, answer = await reply(emulator, SAM, thread_ts, "Fix the login bug. I'm off over Easter. Also out on Diwali.")
    shown = words(answer)
    assert "Fri 26 Mar" in shown and "Mon 29 Mar" in shown, shown
    assert "I don't know when Diwali is in `GB`'s holidays" in shown, shown
    assert (date(2027, 3, 26), date(2027, 3, 29)) in await absences_of(db_dsn, SAM)
    assert (date(2026, 12, 3), date(2026, 12, 3)) not in await absences_of(db_dsn, SAM)


async def test_a_range_whose_parts_disagree_on_date_order_and_one_that_could_be_either(emulator: SlackEmulator,
                                                                                        bot: Steward, db_dsn: str) -> None:
    # Maya writes month first (en-US): "24/12" can only be day first, so "2/1" beside it is 2 January.
    said = await answer_text(emulator, MAYA, "/ooo", "off 24/12-2/1", channel=STANDUP)
    assert "from Thu 24 Dec to Sat 2 Jan 2027" in said and ":warning:" not in said, said
    assert await absences_of(db_dsn, MAYA) == [(date(2026, 12, 24), date(2027, 1, 2))]
    # Nothing proves an order: read hers, and said with what the other order would be.
    _ts, (answered,) = await say(emulator, MAYA, "I'm off 3/4-5/4")
    shown = words(answered)
    assert "from Thu 4 Mar 2027 to Tue 4 May 2027" in shown, shown
    assert "day first they would be Sat 3 \u2013 Mon 5 Apr" in shown and "`/ooo 3 Apr-5 Apr`" in shown, shown
