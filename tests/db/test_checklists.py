"""Checklists and SOPs on a real database (bot/services/checklists.py, bot/services/sops.py, migration 0019): adding
(who may, duplicates, unknown clients, refusals logged, nothing half-written), sending once per person and date
through the notification path, ticking (idempotent, completed and un-completed), the job at each person's own time
(leave, two time zones, the day-close recording incomplete), items missing by whom, SOP outcomes, one organization
only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.services import checklists, kpis, sops
from db.repos.users import user_by_id
from db.rows import User
from tests.helpers import fetchval, make_org, make_user

FRI = date(2026, 3, 6)
BEFORE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # when the checklists are written (a Sunday)
NY, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
ADD = '"Friday wrap-up" for everyone every friday 16:00 items: timesheet filled; inbox zero; tomorrow planned'


def local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


async def person(conn: psycopg.AsyncConnection, org: int, user_id: int) -> User:
    found = await user_by_id(conn, org, user_id)
    assert found is not None
    return found


async def team(conn: psycopg.AsyncConnection) -> tuple[int, User, User, User]:
    """An organization with an admin (New York), a manager (London) and a member (New York)."""
    org = await make_org(conn)
    admin = await make_user(conn, org, "ada", role="admin", timezone="America/New_York")
    manager = await make_user(conn, org, "max", role="manager", timezone="Europe/London")
    member = await make_user(conn, org, "mia", role="member", timezone="America/New_York")
    return org, await person(conn, org, admin), await person(conn, org, manager), await person(conn, org, member)


async def count(conn: psycopg.AsyncConnection, sql: str, *args: object) -> int:
    return int(await fetchval(conn, sql, args or None))


async def test_adding_a_checklist_and_who_may(conn: psycopg.AsyncConnection) -> None:
    org, admin, manager, member = await team(conn)
    added = await checklists.add(conn, org, admin, ADD, BEFORE)
    assert (added.name, added.role, added.audience) == ("Friday wrap-up", None, "everyone")
    assert [i.text for i in added.item_list] == ["timesheet filled", "inbox zero", "tomorrow planned"]
    assert added.schedule == {"freq": "weekly", "time": "16:00", "weekdays": [4], "words": "every Friday at 16:00"}
    # duplicate name (any case): refused, logged, nothing written
    with pytest.raises(InvalidInput, match="already a checklist called"):
        await checklists.add(conn, org, admin, ADD.replace("Friday wrap-up", "FRIDAY WRAP-UP"), BEFORE)
    # a member, and a manager for a role checklist: refused and logged
    with pytest.raises(PermissionDenied):
        await checklists.add(conn, org, member, ADD.replace("Friday", "Other"), BEFORE)
    with pytest.raises(PermissionDenied):
        await checklists.add(conn, org, manager, ADD.replace("Friday", "Other"), BEFORE)
    # an unknown client: says so, lists the clients
    with pytest.raises(NotFound, match="I don't know a client called `Globex`"):
        await checklists.add(conn, org, admin, '"Deploy" for client Globex daily 17:00 items: a', BEFORE)
    # a schedule that does not parse: which part, logged
    with pytest.raises(InvalidInput, match="I couldn't read the time in 'every friday 4pm-ish'"):
        await checklists.add(conn, org, admin, '"Late" for everyone every friday 4pm-ish items: a', BEFORE)
    # a schedule that never falls on a workday (tester16 #14): nobody would ever get it
    with pytest.raises(InvalidInput, match="“every Saturday at 10:00” never falls on one of the team's workdays "
                                           r"\(Mon, Tue, Wed, Thu, Fri\)"):
        await checklists.add(conn, org, admin, '"Weekend" for managers every saturday 10:00 items: a', BEFORE)
    assert await count(conn, "SELECT count(*) FROM checklists WHERE organization_id = %s", org) == 1
    assert await count(conn, "SELECT count(*) FROM security_audit_logs WHERE organization_id = %s AND "
                             "event_type = 'checklist.refused'", org) == 4  # duplicate, unknown client, time, weekend
    assert await count(conn, "SELECT count(*) FROM security_audit_logs WHERE organization_id = %s AND "
                             "event_type = 'permission_denied'", org) == 2
    # a manager assigned to a client may add that client's checklist
    client = await fetchval(conn, "INSERT INTO clients (organization_id, name) VALUES (%s, 'Acme') RETURNING id", (org,))
    await conn.execute("INSERT INTO client_members (organization_id, client_id, user_id) VALUES (%s, %s, %s), "
                       "(%s, %s, %s)", (org, client, manager.id, org, client, member.id))
    deploy = await checklists.add(conn, org, manager, '"Pre-deploy" for client acme weekdays 09:30 items: tests; notes',
                                  BEFORE)
    assert deploy.client_id == client and deploy.audience == "client Acme"
    on_demand = await checklists.add(conn, org, admin, '"Deploy steps" for client Acme on demand items: a; b', BEFORE)
    assert on_demand.schedule is None and on_demand.parsed_schedule is None
    assert {u.id for u in await checklists.recipients(conn, org, deploy)} == {manager.id, member.id}
    assert {u.id for u in await checklists.recipients(conn, org, added)} == {admin.id, manager.id, member.id}
    # another organization sees none of it
    other = await make_org(conn, "Other")
    assert await checklists.list_checklists(conn, other) == []
    with pytest.raises(NotFound):
        await checklists.get(conn, other, added.id)


async def test_roles_pick_their_people(conn: psycopg.AsyncConnection) -> None:
    org, admin, manager, member = await team(conn)
    for word, expected in (("members", {member.id}), ("managers", {manager.id}), ("admins", {admin.id})):
        found = await checklists.add(conn, org, admin, f'"For {word}" for {word} daily 17:00 items: a', BEFORE)
        assert {u.id for u in await checklists.recipients(conn, org, found)} == expected


async def test_send_once_tick_and_items_missing(conn: psycopg.AsyncConnection) -> None:
    org, admin, _manager, member = await team(conn)
    checklist = await checklists.add(conn, org, admin, ADD, BEFORE)
    now = local(FRI, 16, 0, NY)
    first = await checklists.send_checklist(conn, organization_id=org, checklist_id=checklist.id, user_id=member.id,
                                            for_date=FRI, now=now, context={"deploy_schedule_id": 3})
    again = await checklists.send_checklist(conn, organization_id=org, checklist_id=checklist.id, user_id=member.id,
                                            for_date=FRI, now=now + timedelta(minutes=5))
    assert first == again
    assert await count(conn, "SELECT count(*) FROM notifications WHERE organization_id = %s AND kind = 'checklist.sent'",
                       org) == 1
    row = await checklists.completion_by_id(conn, org, first)
    assert row.due_by == local(FRI + timedelta(days=1), 0, 0, NY)  # the end of her Friday, on her clock
    assert await fetchval(conn, "SELECT context FROM checklist_completions WHERE id = %s", (first,)) == {
        "deploy_schedule_id": 3}
    await checklists.send_checklist(conn, organization_id=org, checklist_id=checklist.id, user_id=admin.id,
                                    for_date=FRI, now=now)
    # ticking: idempotent, by key; complete sets completed_at, unticking clears it
    block = f"checklist:{first}:0"
    _c, ticked = await checklists.tick(conn, org, member, block, ["1", "3"], now + timedelta(minutes=10))
    assert ticked.items_done == ["1", "3"] and ticked.completed_at is None
    _c, ticked = await checklists.tick(conn, org, member, block, ["1", "3"], now + timedelta(minutes=11))
    assert ticked.items_done == ["1", "3"]
    missing = await checklists.items_missing(conn, organization_id=org, checklist_id=checklist.id, for_date=FRI)
    assert [(m.user_id, [i.text for i in m.items]) for m in missing] == [
        (admin.id, ["timesheet filled", "inbox zero", "tomorrow planned"]), (member.id, ["inbox zero"])]
    done_at = now + timedelta(minutes=12)
    _c, ticked = await checklists.tick(conn, org, member, block, ["1", "2", "3"], done_at, channel_id="D1", ts="1.2")
    assert ticked.completed_at == done_at and (ticked.message_channel_id, ticked.message_ts) == ("D1", "1.2")
    _c, ticked = await checklists.tick(conn, org, member, block, ["1", "2", "3"], done_at + timedelta(minutes=1))
    assert ticked.completed_at == done_at  # kept: it was already complete
    _c, ticked = await checklists.tick(conn, org, member, block, ["1", "2"], done_at + timedelta(minutes=2))
    assert ticked.completed_at is None and ticked.items_done == ["1", "2"]
    # someone else's checklist, a value that is not one of the group's: refused, nothing changed
    with pytest.raises(InvalidInput, match="someone else's"):
        await checklists.tick(conn, org, admin, block, ["1"], done_at)
    with pytest.raises(InvalidInput):
        await checklists.tick(conn, org, member, block, ["1", "99"], done_at)
    with pytest.raises(InvalidInput):
        await checklists.tick(conn, org, member, "checklist:x:0", ["1"], done_at)
    assert (await checklists.completion_by_id(conn, org, first)).items_done == ["1", "2"]
    # the SOP's outcome names the missing items and their owners
    sop = await sops.add(conn, org, admin, '"Friday close" checklist "friday wrap-up"', now)
    assert (sop.slug, sop.trigger, sop.checklist_id, len(sop.steps)) == ("friday-close", "manual", checklist.id, 3)
    outcome = await sops.outcome(conn, organization_id=org, checklist_id=checklist.id, for_date=FRI)
    assert not outcome.compliant and outcome.sent_to == 2 and outcome.steps_done == []
    assert outcome.notes == "Missing: ada: timesheet filled, inbox zero, tomorrow planned; mia: tomorrow planned"
    await checklists.tick(conn, org, member, block, ["1", "2", "3"], done_at)
    admin_row = next(r for r in await checklists.completions_for_date(conn, org, checklist.id, FRI)
                     if r.user_id == admin.id)
    await checklists.tick(conn, org, admin, f"checklist:{admin_row.id}:0", ["1", "2", "3"], done_at)
    outcome = await sops.outcome(conn, organization_id=org, checklist_id=checklist.id, for_date=FRI)
    assert outcome.compliant and outcome.missing == [] and outcome.steps_done == ["1", "2", "3"]


async def test_sop_bad_input(conn: psycopg.AsyncConnection) -> None:
    org, admin, _manager, member = await team(conn)
    await checklists.add(conn, org, admin, ADD, BEFORE)
    with pytest.raises(PermissionDenied):
        await sops.add(conn, org, member, '"Close" checklist "Friday wrap-up"', BEFORE)
    with pytest.raises(NotFound, match="I don't know a checklist called “Nope”"):
        await sops.add(conn, org, admin, '"Close" checklist "Nope"', BEFORE)
    with pytest.raises(InvalidInput, match="I couldn't read that"):
        await sops.add(conn, org, admin, 'Close checklist', BEFORE)
    await sops.add(conn, org, admin, '"Close" checklist "Friday wrap-up"', BEFORE)
    with pytest.raises(InvalidInput, match="already an SOP called"):
        await sops.add(conn, org, admin, '"close!" checklist "Friday wrap-up"', BEFORE)
    assert await count(conn, "SELECT count(*) FROM sops WHERE organization_id = %s", org) == 1
    assert await count(conn, "SELECT count(*) FROM security_audit_logs WHERE organization_id = %s AND "
                             "event_type = 'checklist.refused'", org) == 3  # unknown checklist, unreadable, taken


async def test_the_job_at_each_persons_own_time(conn: psycopg.AsyncConnection) -> None:
    """A Friday 16:00 checklist for everyone: New York people get it at 16:00 New York, the London manager at 16:00
    London, each once however often the job runs; someone on leave gets nothing; unfinished ones are recorded
    incomplete after each person's day ends."""
    org, admin, manager, member = await team(conn)
    away = await person(conn, org, await make_user(conn, org, "ola", timezone="Europe/London"))
    await conn.execute("INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) "
                       "VALUES (%s, %s, %s, %s, 'vacation')", (org, away.id, FRI, FRI))
    checklist = await checklists.add(conn, org, admin, ADD, BEFORE)

    async def sent_to() -> set[int]:
        rows = await (await conn.execute("SELECT user_id FROM checklist_completions WHERE organization_id = %s",
                                         (org,))).fetchall()
        return {int(r[0]) for r in rows}

    assert (await checklists.run_for_org(conn, org, local(FRI, 15, 59, LONDON)))["sent"] == 0
    summary = await checklists.run_for_org(conn, org, local(FRI, 16, 0, LONDON))
    assert summary["sent"] == 1 and summary["away"] == 1 and await sent_to() == {manager.id}
    assert (await checklists.run_for_org(conn, org, local(FRI, 16, 30, LONDON)))["sent"] == 0
    assert (await checklists.run_for_org(conn, org, local(FRI, 15, 59, NY)))["sent"] == 0
    assert (await checklists.run_for_org(conn, org, local(FRI, 16, 0, NY)))["sent"] == 2
    assert (await checklists.run_for_org(conn, org, local(FRI, 17, 0, NY)))["sent"] == 0
    assert await sent_to() == {manager.id, admin.id, member.id}
    assert await count(conn, "SELECT count(*) FROM notifications WHERE organization_id = %s AND kind = 'checklist.sent'",
                       org) == 3
    # the member finishes; midnight in London closes the manager's day, midnight in New York the others'
    member_row = next(r for r in await checklists.completions_for_date(conn, org, checklist.id, FRI)
                      if r.user_id == member.id)
    await checklists.tick(conn, org, member, f"checklist:{member_row.id}:0", ["1", "2", "3"], local(FRI, 16, 30, NY))
    assert (await checklists.run_for_org(conn, org, local(FRI, 23, 59, LONDON)))["incomplete"] == 0
    assert (await checklists.run_for_org(conn, org, local(FRI + timedelta(days=1), 0, 0, LONDON)))["incomplete"] == 1
    assert (await checklists.run_for_org(conn, org, local(FRI + timedelta(days=1), 0, 1, NY)))["incomplete"] == 1
    assert (await checklists.run_for_org(conn, org, local(FRI + timedelta(days=1), 9, 0, NY)))["incomplete"] == 0
    missed = {int(r[0]) for r in await (await conn.execute(
        "SELECT user_id FROM checklist_completions WHERE organization_id = %s AND missed_at IS NOT NULL", (org,))).fetchall()}
    assert missed == {manager.id, admin.id}
    # compliance: one of three finished by the end of the day
    figures = await kpis.compute(conn, org, since=FRI - timedelta(days=4), until=FRI + timedelta(days=2),
                                 now=local(FRI + timedelta(days=3), 9, 0, NY),
                                 user_ids=[admin.id, manager.id, member.id, away.id])
    assert figures.team["checklist_compliance"].value == pytest.approx(1 / 3)
    assert figures.people[member.id]["checklist_compliance"].value == 1.0
    assert figures.people[manager.id]["checklist_compliance"].value == 0.0
    # an on-demand checklist is never sent by the job
    await checklists.add(conn, org, admin, '"Deploy steps" for everyone for deploys items: a; b', BEFORE)
    assert (await checklists.run_for_org(conn, org, local(FRI, 16, 0, NY)))["sent"] == 0
    # a checklist written after today's 16:00 is not sent for today
    late = await checklists.add(conn, org, admin, '"Late one" for everyone every friday 16:00 items: a',
                                local(FRI, 16, 30, NY))
    await checklists.run_for_org(conn, org, local(FRI, 17, 0, NY))
    assert await count(conn, "SELECT count(*) FROM checklist_completions WHERE checklist_id = %s", late.id) == 0
