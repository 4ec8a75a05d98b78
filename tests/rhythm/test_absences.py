"""Absences from every source on a real database (bot/services/absences.py): out of office, public holidays
of the person's or the organization's country or region, and a Slack status that says away."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from bot.errors import InvalidInput
from bot.services import absences, ooo, workspace
from bot.services.rhythm import Rhythm
from tests.helpers import fetchval, make_org, make_user


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def set_status(conn: psycopg.AsyncConnection, user_id: int, text: str, emoji: str, since: datetime,
                     expires: datetime | None) -> None:
    await conn.execute("UPDATE users SET slack_status_text = %s, slack_status_emoji = %s, slack_status_since = %s, "
                       "slack_status_expires_at = %s WHERE id = %s", (text or None, emoji or None, since, expires, user_id))


async def test_every_source_with_its_reason(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    ana = await make_user(conn, org, "ana", timezone="Europe/Berlin")
    ben = await make_user(conn, org, "ben", timezone="America/New_York")
    cy = await make_user(conn, org, "cy", timezone="Europe/London")
    await conn.execute("UPDATE org_settings SET holiday_country = 'US' WHERE organization_id = %s", (org,))
    await conn.execute("UPDATE users SET holiday_country = 'DE-BY' WHERE id = %s", (ana,))
    await conn.execute("UPDATE users SET holiday_country = 'none' WHERE id = %s", (cy,))
    await conn.execute("INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) "
                       "VALUES (%s, %s, '2026-01-05', '2026-01-07', 'vacation')", (org, ana))
    # Vacationing from Friday 9 Jan, cleared Tuesday 13 Jan at 10:00 in New York (before midday: Tuesday is a workday).
    await set_status(conn, ben, "Vacationing", ":palm_tree:", utc(2026, 1, 9, 14, 0), utc(2026, 1, 13, 15, 0))
    # "OOO until Friday" with no expiry, seen on Monday 12 Jan: until that Friday.
    await set_status(conn, cy, "OOO until Friday", "", utc(2026, 1, 12, 9, 0), None)

    found = await absences.absences(conn, org, [ana, ben, cy], date(2026, 1, 1), date(2026, 1, 31))
    got = {(a.user_id, a.first.isoformat(), a.last.isoformat(), a.source, a.reason) for a in found}
    assert (ana, "2026-01-05", "2026-01-07", "ooo", "vacation") in got
    assert (ana, "2026-01-06", "2026-01-06", "public_holiday", "Epiphany") in got  # Bavaria's, her own country
    assert (ana, "2026-01-01", "2026-01-01", "public_holiday", "New Year's Day") in got
    assert not any(a.user_id == ana and a.reason == "Martin Luther King Jr. Day" for a in found)
    assert (ben, "2026-01-19", "2026-01-19", "public_holiday", "Martin Luther King Jr. Day") in got  # the team's
    assert (ben, "2026-01-09", "2026-01-12", "slack_status", "Vacationing") in got
    assert (cy, "2026-01-12", "2026-01-16", "slack_status", "OOO until Friday") in got
    assert not any(a.user_id == cy and a.source == "public_holiday" for a in found)  # "none": no holidays
    status = next(a for a in found if a.user_id == ben and a.source == "slack_status")
    assert status.ends_at == utc(2026, 1, 13, 15, 0) and status.emoji == ":palm_tree:"

    # On one day each person is shown with one absence: out of office before a holiday before a status.
    assert {u: a.source for u, a in absences.on_day(found, date(2026, 1, 6)).items()} == {ana: "ooo"}
    assert await ooo.out_on(conn, org, [ana, ben, cy], date(2026, 1, 12)) == {ben, cy}
    assert await ooo.out_on(conn, org, [ana, ben, cy], date(2026, 1, 13)) == {cy}


async def test_a_status_that_does_not_say_away_or_has_expired(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    dee = await make_user(conn, org, "dee", timezone="America/New_York")
    await set_status(conn, dee, "Working remotely", ":house_with_garden:", utc(2026, 1, 12, 14, 0), None)
    assert await absences.absences(conn, org, [dee], date(2026, 1, 12), date(2026, 1, 20)) == []
    await set_status(conn, dee, "Out sick", ":face_with_thermometer:", utc(2026, 1, 12, 14, 0), utc(2026, 1, 13, 5, 0))
    found = await absences.absences(conn, org, [dee], date(2026, 1, 12), date(2026, 1, 20))
    assert [(a.first, a.last, a.reason) for a in found] == [(date(2026, 1, 12), date(2026, 1, 12), "Out sick")]
    # An hour away is not a day away.
    await set_status(conn, dee, "Away", ":no_entry:", utc(2026, 1, 12, 17, 0), utc(2026, 1, 12, 18, 0))
    assert await absences.absences(conn, org, [dee], date(2026, 1, 12), date(2026, 1, 20)) == []


async def test_span_counts_workdays_without_holidays(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    sam = await make_user(conn, org, "sam", timezone="Europe/London")
    await absences.set_own_country(conn, org, await workspace.user_by_id(conn, org, sam), "gb-eng")  # type: ignore[arg-type]
    span = await absences.span(conn, org, sam, Rhythm(), date(2026, 4, 2), date(2026, 4, 7))
    assert span.workdays == (date(2026, 4, 2), date(2026, 4, 7))
    assert span.holidays == ((date(2026, 4, 3), "Good Friday"), (date(2026, 4, 6), "Easter Monday"))
    assert ooo.describe_span(span, date(2026, 4, 1)) == (
        "from Thu 2 Apr to Tue 7 Apr (2 workdays; Fri 3 Apr is a public holiday: Good Friday, "
        "Mon 6 Apr is a public holiday: Easter Monday)")
    weekend = await absences.span(conn, org, sam, Rhythm(), date(2026, 3, 14), date(2026, 3, 15))
    assert weekend.workdays == ()
    assert ooo.no_workdays(weekend, date(2026, 3, 11)).startswith("Sat 14 Mar to Sun 15 Mar has no workdays")
    later = await absences.span(conn, org, sam, Rhythm(), date(2026, 12, 28), date(2027, 1, 4))
    assert ooo.describe_span(later, date(2026, 12, 1)).startswith("from Mon 28 Dec to Mon 4 Jan 2027 (")


@pytest.mark.parametrize(("raw", "stored"), [("gb", "GB"), ("DE-BY", "DE-BY"), ("us_ca", "US-CA"), ("GB SCT", "GB-SCT"),
                                             ("none", "none"), ("team", None), ("Germany", "DE"),
                                             ("united  kingdom", "GB")])
def test_country_words(raw: str, stored: str | None) -> None:
    assert absences.country_choice(raw) == stored


@pytest.mark.parametrize(("raw", "said"), [("XX", "don't know the public holidays of `XX`"), ("DE-ZZ", "`DE` has no region `ZZ`"),
                                           ("Narnia", "isn't a country code"), ("", "isn't a country code")])
def test_bad_country_words_say_why(raw: str, said: str) -> None:
    with pytest.raises(InvalidInput) as err:
        absences.country_choice(raw)
    assert said in str(err.value)


async def test_sync_keeps_the_status_and_since_when(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn, team_id="T0SYNC")
    member = {"id": "U0EVA", "name": "eva", "tz": "Europe/Paris",
              "profile": {"real_name": "Eva", "status_text": "En cong\u00e9", "status_emoji": ":palm_tree:",
                          "status_expiration": int(utc(2026, 2, 20, 17, 0).timestamp())}}
    user_id, created = await workspace.upsert_member(conn, org, "T0SYNC", member, now=utc(2026, 2, 16, 8, 0))
    assert created

    async def stored() -> tuple[object, ...]:
        row = await (await conn.execute("SELECT slack_status_text, slack_status_emoji, slack_status_expires_at, slack_status_since "
                                        "FROM users WHERE id = %s", (user_id,))).fetchone()
        assert row is not None
        return tuple(row)

    assert await stored() == ("En cong\u00e9", ":palm_tree:", utc(2026, 2, 20, 17, 0), utc(2026, 2, 16, 8, 0))
    await workspace.upsert_member(conn, org, "T0SYNC", member, now=utc(2026, 2, 17, 8, 0))  # the next sync: same status
    assert (await stored())[3] == utc(2026, 2, 16, 8, 0)
    no_status_keys = {**member, "profile": {"real_name": "Eva"}}  # a profile that says nothing of the status
    await workspace.upsert_member(conn, org, "T0SYNC", no_status_keys, now=utc(2026, 2, 17, 9, 0))
    assert (await stored())[0] == "En cong\u00e9"
    cleared = {**member, "profile": {"real_name": "Eva", "status_text": "", "status_emoji": "", "status_expiration": 0}}
    await workspace.upsert_member(conn, org, "T0SYNC", cleared, now=utc(2026, 2, 18, 8, 0))
    assert await stored() == (None, None, None, None)
    assert await fetchval(conn, "SELECT count(*) FROM users WHERE organization_id = %s", (org,)) == 1
