"""Attendance on a real database (bot/services/attendance.py): per person and day, was Steward asking (thread
posted, on it, working), were they in ramp-up, did they give their update, and the thread's permalink."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg

from bot.services import attendance
from bot.services.attendance import DayRecord
from tests.helpers import make_org, make_user

MON, TUE, WED, THU, FRI = (date(2026, 3, d) for d in (2, 3, 4, 5, 6))
NEXT_MON = date(2026, 3, 9)


async def thread(conn: psycopg.AsyncConnection, org: int, day: date, people: list[int], *, status: str = "posted",
                 ts: str | None = None) -> int:
    ts = ts if ts is not None or status == "failed" else f"{1772000000 + day.toordinal() % 1000}.000100"
    row = await (await conn.execute(
        "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, participant_ids, "
        "posted_at, created_at) VALUES (%s, 'CSTAND', %s, %s, %s, %s, %s, %s) RETURNING id",
        (org, day, ts, status, people, datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC) if ts else None,
         datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)))).fetchone()
    assert row is not None
    return int(row[0])


async def update(conn: psycopg.AsyncConnection, org: int, thread_id: int, user: int, *days: date) -> None:
    await conn.execute("INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text, update_dates) "
                       "VALUES (%s, %s, %s, 'Today: work', %s)", (org, thread_id, user, list(days)))


def by_day(records: list[DayRecord]) -> dict[date, DayRecord]:
    return {r.day: r for r in records}


async def test_asked_working_ramp_up_and_updated_per_day(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    await conn.execute("UPDATE platform_connections SET team_domain = 'acme' WHERE organization_id = %s", (org,))
    ana = await make_user(conn, org, "ana")
    ben = await make_user(conn, org, "ben")
    cy = await make_user(conn, org, "cy", timezone="Europe/London")
    dee = await make_user(conn, org, "dee")  # joined the channel on Thursday
    team = [ana, ben, cy]
    await conn.execute("INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) "
                       "VALUES (%s, %s, %s, %s, 'vacation')", (org, ben, TUE, TUE))
    await conn.execute("INSERT INTO user_ramp_up (organization_id, user_id, starts_on, ends_on) VALUES (%s, %s, %s, %s)",
                       (org, cy, MON, WED))
    mon = await thread(conn, org, MON, team)
    tue = await thread(conn, org, TUE, team)
    await thread(conn, org, WED, team, status="failed")  # Slack refused it: nobody was asked
    thu = await thread(conn, org, THU, [*team, dee])
    # Friday: no thread at all (Steward was down).
    await update(conn, org, mon, ana, MON)
    await update(conn, org, tue, ana, TUE)
    await update(conn, org, thu, ana, THU, FRI)  # an update recorded for two dates
    await update(conn, org, thu, ben, THU)

    got = await attendance.asked_days(conn, org, [ana, ben, cy, dee], MON, NEXT_MON)
    assert set(got) == {ana, ben, cy, dee}
    a, b, c, d = (by_day(got[u]) for u in (ana, ben, cy, dee))
    # Every team workday is there, weekends are not.
    assert list(a) == [MON, TUE, WED, THU, FRI, NEXT_MON]

    assert a[MON].asked and a[MON].working and a[MON].updated and not a[MON].ramp_up and not a[MON].missed
    assert a[MON].permalink is not None and a[MON].permalink.startswith("https://acme.slack.com/archives/CSTAND/p")
    assert not a[WED].asked and a[WED].working and a[WED].permalink is None  # the failed thread asked nobody
    assert not a[FRI].asked and a[FRI].updated  # no thread: not asked, though the update was recorded for it
    assert not a[NEXT_MON].asked

    assert b[MON].asked and b[MON].missed  # on the thread, working, no update
    assert not b[TUE].asked and not b[TUE].working and b[TUE].away == "vacation" and not b[TUE].missed
    assert b[THU].asked and b[THU].updated

    assert c[MON].asked and c[MON].ramp_up and not c[MON].missed  # ramp-up: asked, but never a miss
    assert c[THU].asked and not c[THU].ramp_up and c[THU].missed  # ramp-up ended on Wednesday

    assert not d[MON].asked and d[THU].asked  # only the threads they were on
    assert a[MON].closes_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # the midnight ending the day (team clock)


async def test_public_holiday_is_not_a_working_day_and_other_organizations_are_unseen(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    other = await make_org(conn, "Globex")
    ana = await make_user(conn, org, "ana")
    stranger = await make_user(conn, other, "sam")
    await conn.execute("UPDATE users SET holiday_country = 'GB' WHERE id = %s", (ana,))
    good_friday = date(2026, 4, 3)
    await thread(conn, org, good_friday, [ana, stranger])
    got = await attendance.asked_days(conn, org, [ana, stranger], good_friday, good_friday)
    assert set(got) == {ana}  # someone of another organization is not read
    (record,) = got[ana]
    assert not record.asked and not record.working and record.away == "Good Friday"
    assert await attendance.asked_days(conn, org, [], MON, FRI) == {}
    assert await attendance.asked_days(conn, org, [ana], FRI, MON) == {}


async def test_local_clock_reads_the_persons_own_day(conn: psycopg.AsyncConnection) -> None:
    """With local time on, a Friday thread posted after a Kolkata teammate's end of day is their Monday: their
    leave on Monday makes Friday's thread a day they were not asked."""
    org = await make_org(conn)
    await conn.execute("UPDATE org_settings SET timezone = 'America/New_York', use_member_local_time = true, "
                       "morning_time = '09:00' WHERE organization_id = %s", (org,))
    priya = await make_user(conn, org, "priya", timezone="Asia/Kolkata")
    await conn.execute("INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) "
                       "VALUES (%s, %s, %s, %s, 'vacation')", (org, priya, NEXT_MON, NEXT_MON))
    await conn.execute(
        "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, participant_ids, "
        "posted_at, created_at) VALUES (%s, 'CSTAND', %s, '1772800000.000100', 'posted', %s, %s, %s)",
        (org, FRI, [priya], datetime(2026, 3, 6, 14, 0, tzinfo=UTC), datetime(2026, 3, 6, 14, 0, tzinfo=UTC)))
    (record,) = [r for r in (await attendance.asked_days(conn, org, [priya], FRI, FRI))[priya] if r.day == FRI]
    assert record.person_day == NEXT_MON and not record.working and not record.asked
