"""The recognition feed a report shows (issue 14: "no leaderboard: the weekly report shows a recognition feed";
issue 15: credited interventions and recognition): kudos, streaks and milestones received, and only confirmed help
given, in the period and for the report's people, oldest first, never ranked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg

from bot.blocks import reports as report_blocks
from bot.services import recognition_feed, reports
from bot.services.report_periods import Period
from db.repos.users import user_by_id
from tests.helpers import make_org, make_user
from tests.reports.test_reports_db import MONDAY, REPORT_AT, _team

WEEK = (date(2026, 3, 2), date(2026, 3, 8))


async def _reinforce(conn: psycopg.AsyncConnection, org: int, user: int, kind: str, reason: str, at: datetime,
                     giver: int | None = None) -> None:
    await conn.execute("INSERT INTO reinforcements (organization_id, user_id, from_user_id, kind, reason, created_at)"
                       " VALUES (%s, %s, %s, %s, %s, %s)", (org, user, giver, kind, reason, at))


async def _helped(conn: psycopg.AsyncConnection, org: int, helper: int, helped: int, what: str, minutes: int,
                  at: datetime, status: str) -> None:
    await conn.execute("INSERT INTO interventions (organization_id, user_id, helped_user_id, kind, description, minutes,"
                       " occurred_at, status, confirmed_at) VALUES (%s, %s, %s, 'helped', %s, %s, %s, %s, %s)",
                       (org, helper, helped, what, minutes, at, status, at if status == "confirmed" else None))


async def test_the_feed_lists_the_periods_recognition_and_confirmed_help_only(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    other_org = await make_org(conn)
    ana = await make_user(conn, org, "ana", slack_id="UANA")
    ben = await make_user(conn, org, "ben", slack_id="UBEN")
    cleo = await make_user(conn, org, "cleo", slack_id="UCLEO")  # not in this report
    stranger = await make_user(conn, other_org, "zed", slack_id="UZED")
    await _reinforce(conn, org, ana, "kudos", "untangled the release", datetime(2026, 3, 3, 10, tzinfo=UTC), giver=ben)
    await _reinforce(conn, org, ben, "streak", "5 workdays in a row with an update", datetime(2026, 3, 6, 18, tzinfo=UTC))
    await _reinforce(conn, org, ana, "milestone", "10 tasks done", datetime(2026, 3, 5, 18, tzinfo=UTC))
    await _reinforce(conn, org, ana, "kudos", "last week's", datetime(2026, 2, 27, 10, tzinfo=UTC), giver=ben)  # before
    await _reinforce(conn, org, cleo, "kudos", "not in the report", datetime(2026, 3, 4, 10, tzinfo=UTC), giver=ana)
    await _reinforce(conn, other_org, stranger, "kudos", "another organization", datetime(2026, 3, 4, tzinfo=UTC))
    await _helped(conn, org, ben, ana, "debugged the staging deploy", 45, datetime(2026, 3, 4, 15, tzinfo=UTC), "confirmed")
    await _helped(conn, org, ben, ana, "reviewed the migration", 30, datetime(2026, 3, 4, 16, tzinfo=UTC), "pending")
    await _helped(conn, org, cleo, ana, "cleo's help is cleo's", 10, datetime(2026, 3, 4, 17, tzinfo=UTC), "confirmed")

    feed = await recognition_feed.feed(conn, org, [ana, ben], *WEEK, "UTC")
    assert [e.text for e in feed] == [
        ":clap: Tue 3 Mar: ben to ana: “untangled the release”",
        ":handshake: Wed 4 Mar: ben helped ana: debugged the staging deploy (45m)",
        ":trophy: Thu 5 Mar: ana, 10 tasks done",
        ":fire: Fri 6 Mar: ben, 5 workdays in a row with an update",
    ]
    # The period is in the organization's zone: Mon-Fri in Tokyo ends before 6 Mar 18:00 UTC (Saturday 03:00 there),
    # and the milestone of 5 Mar 18:00 UTC happened on Friday 6 Mar, Tokyo time.
    tokyo = await recognition_feed.feed(conn, org, [ana, ben], date(2026, 3, 2), date(2026, 3, 6), "Asia/Tokyo")
    assert [e.text for e in tokyo][-1] == ":trophy: Fri 6 Mar: ana, 10 tasks done"
    assert not any("streak" in e.text or "in a row" in e.text for e in tokyo)


def test_a_long_feed_keeps_the_newest_lines_and_says_how_many_more() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    feed = [recognition_feed.Entry(at.replace(hour=h), f"line {h}") for h in range(11)]
    shown = recognition_feed.lines(feed, limit=8)
    assert shown[:8] == [f"line {h}" for h in range(3, 11)] and shown[8].startswith("…and 3 more")
    assert recognition_feed.lines(feed[:8], limit=8) == [f"line {h}" for h in range(8)]


async def test_the_weekly_report_shows_the_feed_and_the_daily_does_not(conn: psycopg.AsyncConnection) -> None:
    org, boss, people = await _team(conn)
    await _reinforce(conn, org, people[0], "kudos", "untangled the release", datetime(2026, 3, 3, 10, tzinfo=UTC),
                     giver=people[1])
    manager = await user_by_id(conn, org, boss)
    assert manager is not None
    staff = [u for u in [await user_by_id(conn, org, p) for p in people] if u is not None]
    week = await reports.compose(conn, org, Period("weekly", MONDAY, MONDAY.replace(day=8)), audience="team",
                                 subject=manager, people=staff, now=REPORT_AT, with_chart=False)
    assert week.recognition == [":clap: Tue 3 Mar: ben to ana: “untangled the release”"]
    _, blocks = report_blocks.report(week)
    assert any("*Recognition*" in (b.get("text") or {}).get("text", "") and "untangled the release" in b["text"]["text"]
               for b in blocks)
    day = await reports.compose(conn, org, Period("daily", date(2026, 3, 3), date(2026, 3, 3)), audience="team",
                                subject=manager, people=staff, now=REPORT_AT, with_chart=False)
    assert day.recognition == []
