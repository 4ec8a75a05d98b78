"""The dashboard's mood page can't be used to work out one person's answer (tester17 findings 3 and 8): the current
week is never shown (its figure would move with each answer), each person's week counts once, the number of people
is not shown, a closed week's figure never changes, and a week counts everyone's answers by their own date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services import dashboard as data
from bot.services import mood
from tests.dashboard.world import World, _person


async def _mood(world: World, cookie: str) -> tuple[str, bytes]:
    status, body, _ = await world.get("mood", cookie)
    assert status == 200
    assert world.http is not None
    async with world.http.get(world.url + "charts/mood.png", headers={"Cookie": f"steward_session={cookie}"}) as chart:
        return body, await chart.read()


async def _answer(world: World, name: str, score: int, day: date, at: datetime | None = None) -> None:
    await mood.record(world.conn, world.orgs["acme"], await world.user(name), score, None,
                      now=at or world.clock.now(), local_date=day)


def test_the_newest_closed_week_is_the_one_whose_sunday_has_ended_everywhere() -> None:
    monday = date(2026, 3, 2)
    assert data.last_closed_week(datetime(2026, 3, 9, 11, 59, tzinfo=UTC)) == monday - timedelta(weeks=1)
    assert data.last_closed_week(datetime(2026, 3, 9, 12, 0, tzinfo=UTC)) == monday
    assert data.last_closed_week(datetime(2026, 3, 15, 23, 0, tzinfo=UTC)) == monday


async def test_a_fourth_answer_in_the_current_week_changes_nothing_visible(world: World) -> None:
    world.ids["uma"] = await _person(world.conn, world.orgs["acme"], "uma", "member", world.ids["mia"])
    cookie = await world.session("mia")  # Pia 2, Quin 4, Tom 3 answered on Monday 2 March (this week)
    before = await _mood(world, cookie)
    await _answer(world, "uma", 1, date(2026, 3, 4))
    after = await _mood(world, cookie)
    assert after == before  # page and chart, byte for byte
    body = before[0]
    assert "2 Mar 2026" not in body and "23 Feb 2026" in body and "3.0" in body
    # Once the week is over everywhere it shows, with each person's week counted once, and no head count.
    world.clock.advance(datetime(2026, 3, 9, 12, 0, tzinfo=UTC) - world.clock.now())
    for day in range(3, 7):  # Tom answers every day: still one person of four
        await _answer(world, "tom", 5, date(2026, 3, day), at=datetime(2026, 3, day, 12, tzinfo=UTC))
    cookie = await world.session("mia")  # (a new session: the first one has been idle for days)
    body, _ = await _mood(world, cookie)
    assert "2 Mar 2026" in body and "2.9" in body  # (2 + 4 + 4.6 + 1) / 4, Tom's week being mean(3, 5, 5, 5, 5)
    weeks = {w.week: w for w in await data.mood_weeks(world.conn, world.orgs["acme"],
                                                       await data.scope(world.conn, world.orgs["acme"],
                                                                        await world.user("mia")), world.clock.now())}
    # Tom's four later answers were recorded before the week closed: his week is mean(3, 5, 5, 5, 5) = 4.6.
    assert round(weeks[date(2026, 3, 2)].average or 0, 2) == round((2 + 4 + 4.6 + 1) / 4, 2)
    assert "People who answered" not in body and ">4<" not in body
    # A late answer about the closed week (an old check-in's button pressed now) changes nothing.
    shown = await _mood(world, cookie)
    world.clock.advance(timedelta(hours=1))
    await _answer(world, "pia", 5, date(2026, 3, 8))
    assert await _mood(world, cookie) == shown


async def test_a_week_counts_answers_by_each_persons_own_date(world: World) -> None:
    """The tester's evening: at 20:53 in New York on Monday 30 November, three people east of it answer for their
    Tuesday 1 December and one in Los Angeles for Monday 30 November. All four count in the week of 30 November,
    which shows once it is over everywhere."""
    acme = world.orgs["acme"]
    evening = datetime(2026, 12, 1, 1, 53, tzinfo=UTC)
    for name, zone in (("pia", "Asia/Kolkata"), ("quin", "Europe/Berlin"), ("tom", "Europe/London")):
        await world.conn.execute("UPDATE users SET timezone = %s WHERE id = %s", (zone, world.ids[name]))
        await _answer(world, name, 4, date(2026, 12, 1), at=evening)
    world.ids["sam"] = await _person(world.conn, acme, "sam", "member", world.ids["mia"])
    await world.conn.execute("UPDATE users SET timezone = 'America/Los_Angeles' WHERE id = %s", (world.ids["sam"],))
    await _answer(world, "sam", 2, date(2026, 11, 30), at=evening)
    world.clock.advance(evening - world.clock.now())
    body, _ = await _mood(world, await world.session("mia"))
    assert "30 Nov 2026" not in body
    world.clock.advance(datetime(2026, 12, 7, 12, 0, tzinfo=UTC) - world.clock.now())
    body, _ = await _mood(world, await world.session("mia"))
    assert "30 Nov 2026" in body and "3.5" in body  # (4 + 4 + 4 + 2) / 4
