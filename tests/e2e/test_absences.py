"""Absence end to end (issue 10, part 3), through the real bot over the Slack emulator: `/ooo` ranges
people write, confirmations with exact days and workdays, absences in other languages in DMs and
standup replies, a Slack status that says away, and public holidays per person. The jobs run with
the clock moved, as the scheduler runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text, dm, start_steward
from tests.e2e.test_daily_rhythm import (
    SETTINGS,
    add_lee,
    configure,
    db,
    notification_count,
    reply,
    run_job,
    thread_roots,
    thread_text,
    utc,
    wait_thread,
    wait_until,
)
from tests.helpers import fetchval


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=utc(2026, 3, 5, 15, 0, 30))  # Thursday 5 March, 10:00 in New York


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    add_lee(emulator)
    # Diego set his status before Steward started: the first workspace sync reads it from users.list.
    emulator.workspace.user(DIEGO).status_text = "OOO"
    emulator.workspace.user(DIEGO).status_emoji = ":airplane:"
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    try:
        yield running.bot
    finally:
        await running.stop()


async def ooo_rows(dsn: str, slack_id: str) -> list[tuple[date, date]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT o.start_date, o.end_date FROM ooo_records o JOIN platform_identities pi ON pi.user_id = o.user_id "
            "WHERE pi.external_id = %s AND o.cancelled_at IS NULL ORDER BY o.id", (slack_id,))).fetchall()
    return [(r[0], r[1]) for r in rows]


async def morning(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, at: tuple[int, ...]) -> str:
    """Run the morning-thread job at ``at`` (UTC) and return the posted thread's text."""
    clock.at = utc(*at)
    mark = len(emulator.calls)
    await run_job(bot, "morning-thread")
    posted = thread_text(await wait_thread(emulator, mark))

    async def recorded() -> bool:  # the dispatcher has stored the thread's ts: the next job's sync finds it
        async with await db(bot.dsn) as conn:
            return bool(await fetchval(conn, "SELECT bool_and(d.status = 'sent' AND d.slack_ts IS NOT NULL) FROM notifications n "
                                             "JOIN notification_deliveries d ON d.notification_id = n.id "
                                             "WHERE n.dedupe_key LIKE 'standup.thread:%%'"))

    await wait_until(recorded)
    return posted


async def test_ooo_mon_wed_covers_three_days_and_tuesday_has_no_nudge(emulator: SlackEmulator, bot: Steward,
                                                                      clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    said = await answer_text(emulator, SAM, "/ooo", "Mon-Wed vacation", channel=STANDUP)
    assert "from Mon 9 Mar to Wed 11 Mar (3 workdays)" in said and "vacation" in said
    assert await ooo_rows(db_dsn, SAM) == [(date(2026, 3, 9), date(2026, 3, 11))]

    # Tuesday 10 March, 09:00 in New York (13:00 UTC, daylight time): Sam is out, and says why.
    listing = await morning(emulator, bot, clock, (2026, 3, 10, 13, 0, 30))
    assert "Sam Carter (vacation)" in listing.split("Out today:")[1]
    # 10:00: the others who have not replied are nudged; Sam is not.
    clock.at = utc(2026, 3, 10, 14, 0, 30)
    await run_job(bot, "nudges")
    await wait_until(lambda: notification_count(db_dsn, "standup.nudge", PRIYA))
    assert await notification_count(db_dsn, "standup.nudge", SAM) == 0


async def test_ooo_ranges_people_write_and_spans_without_a_workday(emulator: SlackEmulator, bot: Steward,
                                                                   clock: FrozenClock, db_dsn: str) -> None:
    clock.at = utc(2026, 3, 11, 14, 0, 30)  # Wednesday 11 March, 10:00 in New York
    await configure(emulator, SETTINGS)
    refused = await answer_text(emulator, SAM, "/ooo", "sat-sun", channel=STANDUP)
    assert "Sat 14 Mar to Sun 15 Mar has no workdays" in refused and "haven't marked anything" in refused
    assert await ooo_rows(db_dsn, SAM) == []

    cases = [
        ("OOO Mon to Wed", "from Mon 16 Mar to Wed 18 Mar (3 workdays)", (date(2026, 3, 16), date(2026, 3, 18))),
        ("off 20th-24th", "from Fri 20 Mar to Tue 24 Mar (3 workdays)", (date(2026, 3, 20), date(2026, 3, 24))),
        ("out of office 3 days", "from Wed 11 Mar to Fri 13 Mar (3 workdays)", (date(2026, 3, 11), date(2026, 3, 13))),
        ("until wednesday", "from Wed 11 Mar to Wed 18 Mar (6 workdays)", (date(2026, 3, 11), date(2026, 3, 18))),
    ]
    for text, words, rows in cases:
        said = await answer_text(emulator, PRIYA, "/ooo", text, channel=STANDUP)
        assert words in said, (text, said)
        assert (await ooo_rows(db_dsn, PRIYA))[-1] == rows
    # /ooo list shows each with its workdays.
    listed = await emulator.slash_command(PRIYA, "/ooo", "list", channel=STANDUP)
    blocks = str((await listed.wait_for_response(timeout=10)).blocks)
    assert "from Fri 20 Mar to Tue 24 Mar (3 workdays)" in blocks


async def test_absences_in_other_languages_by_dm_and_in_the_thread(emulator: SlackEmulator, bot: Steward,
                                                                   clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    said = await dm(emulator, SAM, "Je suis en cong\u00e9 du 16 au 18 mars")
    assert "from Mon 16 Mar to Wed 18 Mar (3 workdays)" in said["text"]
    said = await dm(emulator, MAYA, "Estoy de vacaciones la pr\u00f3xima semana")
    assert "from Mon 9 Mar to Fri 13 Mar (5 workdays)" in said["text"]
    assert await ooo_rows(db_dsn, SAM) == [(date(2026, 3, 16), date(2026, 3, 18))]
    assert await ooo_rows(db_dsn, MAYA) == [(date(2026, 3, 9), date(2026, 3, 13))]

    await morning(emulator, bot, clock, (2026, 3, 6, 14, 0, 30))  # Friday 09:00 in New York
    thread_ts = thread_roots(emulator)[-1]["ts"]
    clock.at = utc(2026, 3, 6, 14, 5, 30)
    _ts, answered = await reply(emulator, PRIYA, thread_ts, "Ich bin n\u00e4chste Woche im Urlaub")
    assert "from Mon 9 Mar to Fri 13 Mar (5 workdays)" in str(answered["blocks"])
    assert await ooo_rows(db_dsn, PRIYA) == [(date(2026, 3, 9), date(2026, 3, 13))]
    # A reply naming only days off that are not workdays says so, and marks nothing.
    _ts, answered = await reply(emulator, DIEGO, thread_ts, "Fix the checkout bug. I'm out sat-sun")
    assert "Sat 7 Mar to Sun 8 Mar has no workdays" in str(answered["blocks"])
    assert await ooo_rows(db_dsn, DIEGO) == []


async def test_a_slack_status_that_says_away(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await configure(emulator, SETTINGS)
    # Thursday: Priya goes on holiday until the end of Friday (Kolkata), and says so in her status.
    await emulator.set_status(PRIYA, "Vacationing", ":palm_tree:", int(utc(2026, 3, 6, 18, 29).timestamp()))

    async def stored() -> bool:
        async with await db(db_dsn) as conn:
            return bool(await fetchval(conn, "SELECT slack_status_text = 'Vacationing' FROM users u JOIN platform_identities pi "
                                             "ON pi.user_id = u.id WHERE pi.external_id = %s", (PRIYA,)))

    await wait_until(stored)
    listed = await emulator.slash_command(PRIYA, "/ooo", "list", channel=STANDUP)
    assert "Slack status: :palm_tree: Vacationing" in str((await listed.wait_for_response(timeout=10)).blocks)

    listing = await morning(emulator, bot, clock, (2026, 3, 6, 14, 0, 30))  # Friday 09:00 in New York
    assert "Priya Nair (Slack status: :palm_tree: Vacationing)" in listing
    assert "Diego Ruiz (Slack status: :airplane: OOO)" in listing  # set before Steward started
    clock.at = utc(2026, 3, 6, 15, 0, 30)
    await run_job(bot, "nudges")
    await wait_until(lambda: notification_count(db_dsn, "standup.nudge", SAM))
    assert await notification_count(db_dsn, "standup.nudge", PRIYA) == 0
    assert await notification_count(db_dsn, "standup.nudge", DIEGO) == 0

    # Her status has expired by Monday; Diego clears his: both are expected again.
    await emulator.set_status(DIEGO)

    async def diego_cleared() -> bool:
        async with await db(db_dsn) as conn:
            return bool(await fetchval(conn, "SELECT slack_status_text IS NULL FROM users u JOIN platform_identities pi "
                                             "ON pi.user_id = u.id WHERE pi.external_id = %s", (DIEGO,)))

    await wait_until(diego_cleared)
    listing = await morning(emulator, bot, clock, (2026, 3, 9, 13, 0, 30))  # Monday 09:00 in New York (daylight time)
    assert "Out today" not in listing
    assert "Priya Nair" in listing and "Diego Ruiz" in listing


async def test_public_holidays_per_person(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = utc(2026, 4, 2, 14, 0, 30)  # Thursday 2 April, 10:00 in New York
    await configure(emulator, SETTINGS)
    bad = await answer_text(emulator, MAYA, "/steward", "standup country ZZ", channel=STANDUP)
    assert "don't know the public holidays of `ZZ`" in bad
    saved = await configure(emulator, "country US")
    assert "public holidays: US" in saved  # the settings say which country's holidays the team follows
    bad = await answer_text(emulator, SAM, "/ooo", "country GB-XYZ", channel=STANDUP)
    assert "`GB` has no region `XYZ`" in bad and "`GB-ENG`" in bad
    said = await answer_text(emulator, SAM, "/ooo", "country gb-eng", channel=STANDUP)
    assert "`GB-ENG`" in said and "Fri 3 Apr, Good Friday" in said
    said = await answer_text(emulator, PRIYA, "/ooo", "country", channel=STANDUP)
    assert "the team's public holidays, `US`" in said
    # Sam's days off after Easter: Easter Monday is a holiday of his, not a workday to take off.
    said = await answer_text(emulator, SAM, "/ooo", "Apr 6-7", channel=STANDUP)
    assert "from Mon 6 Apr to Tue 7 Apr (1 workday; Mon 6 Apr is a public holiday: Easter Monday)" in said
    listed = await emulator.slash_command(SAM, "/ooo", "list", channel=STANDUP)
    blocks = str((await listed.wait_for_response(timeout=10)).blocks)
    assert "public holiday: Good Friday" in blocks and "Public holidays: yours, `GB-ENG`" in blocks

    # Good Friday, 09:00 in New York: Sam is out (his holiday); the US team is not.
    listing = await morning(emulator, bot, clock, (2026, 4, 3, 13, 0, 30))
    assert "Sam Carter (public holiday: Good Friday)" in listing
    assert "Maya Lopez" in listing.split("Out today")[0]
    clock.at = utc(2026, 4, 3, 14, 0, 30)
    await run_job(bot, "nudges")
    await wait_until(lambda: notification_count(db_dsn, "standup.nudge", PRIYA))
    assert await notification_count(db_dsn, "standup.nudge", SAM) == 0
