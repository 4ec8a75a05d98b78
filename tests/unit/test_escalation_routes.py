"""Who a rung goes to (bot/services/escalations.py: route), pure: the people rules of issue 13."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.services.calendar import Absence, Person, Rhythm
from bot.services.escalations import People, Step, group_by_recipient, route
from db.rows import User

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 11:00 in New York
RHYTHM = Rhythm(timezone="America/New_York")


def user(uid: int, manager: int | None = None, role: str = "member", tz: str = "America/New_York") -> User:
    return User(uid, 1, f"U{uid}", f"person{uid}", None, None, role, manager, tz, True, NOW)


def people(*users: User, out: tuple[int, ...] = (), ramp: dict[int, int | None] | None = None,
           admins: tuple[int, ...] = (9,)) -> People:
    everyone = {u.id: u for u in users}
    persons = {u.id: Person(timezone=u.timezone, absences=(Absence(date(2026, 3, 10), date(2026, 3, 11), "vacation"),)
                            if u.id in out else ()) for u in users}
    return People(RHYTHM, everyone, persons, admins, ramp or {})


TEAM = (user(1, manager=2), user(2, manager=3, role="manager"), user(3, role="manager"), user(9, role="admin"))


def test_the_plain_rules() -> None:
    p = people(*TEAM)
    assert [u.id for u in route(p, "owner", person_id=1, owner_id=None, now=NOW, channel_id="C1").to] == [1]
    assert [u.id for u in route(p, "owner", person_id=1, owner_id=3, now=NOW, channel_id="C1").to] == [3]
    assert [u.id for u in route(p, "manager", person_id=1, owner_id=None, now=NOW, channel_id="C1").to] == [2]
    assert route(p, "channel", person_id=1, owner_id=None, now=NOW, channel_id="C1").channel_id == "C1"
    assert [u.id for u in route(p, "flag", person_id=1, owner_id=None, now=NOW, channel_id="C1").to] == [3]


def test_an_absent_manager_is_covered_and_the_message_says_why() -> None:
    r = route(people(*TEAM, out=(2,)), "manager", person_id=1, owner_id=None, now=NOW, channel_id=None)
    assert [u.id for u in r.to] == [3]
    assert r.reason == "<@U2> is out of office (vacation) until Wed 11 Mar, so it goes to their manager <@U3>"
    both = route(people(*TEAM, out=(2, 3)), "manager", person_id=1, owner_id=None, now=NOW, channel_id=None)
    assert [u.id for u in both.to] == [9] and both.reason is not None and both.reason.endswith("so it goes to the admins")
    flag = route(people(*TEAM, out=(3,)), "flag", person_id=1, owner_id=None, now=NOW, channel_id=None)
    assert [u.id for u in flag.to] == [9]


def test_nobody_set_as_manager_goes_to_the_admins() -> None:
    alone = (user(1), user(9, role="admin"))
    r = route(people(*alone), "manager", person_id=1, owner_id=None, now=NOW, channel_id=None)
    assert [u.id for u in r.to] == [9] and r.reason == "nobody is set as <@U1>'s manager, so it goes to the admins"
    assert route(people(*alone, admins=()), "manager", person_id=1, owner_id=None, now=NOW, channel_id=None).skipped


def test_ramp_up_goes_to_the_buddy_and_skips_the_channel() -> None:
    p = people(*TEAM, user(5), ramp={1: 5})
    r = route(p, "manager", person_id=1, owner_id=None, now=NOW, channel_id="C1")
    assert [u.id for u in r.to] == [5] and "ramp-up" in (r.reason or "")
    assert route(p, "channel", person_id=1, owner_id=None, now=NOW, channel_id="C1").skipped == "<@U1> is in ramp-up: no channel post"
    assert [u.id for u in route(people(*TEAM, ramp={1: None}), "manager", person_id=1, owner_id=None, now=NOW,
                                channel_id="C1").to] == [2]


def test_quiet_hours_make_a_rung_wait_for_its_recipient() -> None:
    p = people(user(1, manager=2), user(2, tz="Asia/Kolkata"), user(9, role="admin"))
    r = route(p, "manager", person_id=1, owner_id=None, now=NOW, channel_id=None)  # 20:30 in Kolkata
    assert r.wait_until == datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 08:00 in Kolkata


def test_one_dm_per_recipient_one_post_per_channel() -> None:
    p = people(*TEAM)
    steps = [Step("blocker", i, "", 2, route(p, "manager", person_id=1, owner_id=None, now=NOW, channel_id=None), i)
             for i in (1, 2, 3)]
    steps.append(Step("blocker", 4, "", 3, route(p, "channel", person_id=1, owner_id=None, now=NOW, channel_id="C1"), 4))
    by_person, by_channel = group_by_recipient(steps)
    assert {k: [s.subject_id for s in v] for k, v in by_person.items()} == {2: [1, 2, 3]}
    assert {k: [s.subject_id for s in v] for k, v in by_channel.items()} == {"C1": [4]}
