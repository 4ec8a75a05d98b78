"""KPI loaders and weekly snapshots on a real database (bot/services/kpis.py, bot/services/kpi_snapshots.py and the
kpi-snapshot job): the figures of a week read from the daily loop's rows, one organization only; previous values
and trends from kpi_snapshots; the snapshot job idempotent per week and filling the gaps of the last 12 weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from bot.errors import PermissionDenied
from bot.services import kpi_snapshots, kpi_targets, kpis
from bot.services.kpis import Target
from db.repos.users import user_by_id
from tests.helpers import make_org, make_user

MON, TUE, WED, THU, FRI = (date(2026, 3, 2) + timedelta(days=i) for i in range(5))
SUN = date(2026, 3, 8)
AFTER = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # the Monday after, 05:00 UTC: the week's snapshot is due


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


async def insert(conn: psycopg.AsyncConnection, sql: str, *args: object) -> int:
    row = await (await conn.execute(sql, args)).fetchone()
    assert row is not None
    return int(row[0])


async def team_of_three(conn: psycopg.AsyncConnection) -> tuple[int, int, int, int]:
    org = await make_org(conn)
    ana, ben, cy = [await make_user(conn, org, n) for n in ("ana", "ben", "cy")]
    await conn.execute("UPDATE users SET created_at = '2025-06-01' WHERE organization_id = %s", (org,))
    return org, ana, ben, cy


async def a_week_of_work(conn: psycopg.AsyncConnection, org: int, ana: int, ben: int, cy: int) -> None:
    """Monday to Friday: threads every day; Ana updates every day, Ben on Monday and Tuesday and is on leave from
    Wednesday; Cy never. Tasks, closes, a blocker over the weekend, mood, help and kudos."""
    await conn.execute("INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason) "
                       "VALUES (%s, %s, %s, %s, 'vacation')", (org, ben, WED, FRI))
    for d in (MON, TUE, WED, THU, FRI):
        thread = await insert(conn, "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, "
                              "status, participant_ids, posted_at, created_at) VALUES (%s, 'CSTAND', %s, %s, 'posted', "
                              "%s, %s, %s) RETURNING id", org, d, f"1772{d.day:06d}.000100", [ana, ben, cy],
                              at(d, 9, 30), at(d, 9, 30))
        for person in [ana] + ([ben] if d in (MON, TUE) else []):
            await conn.execute("INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text, "
                               "update_dates) VALUES (%s, %s, %s, 'Today: work', %s)", (org, thread, person, [d]))
    task = "INSERT INTO tasks (organization_id, title, user_id, status, weight, due_date, completed_at) " \
           "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
    t1 = await insert(conn, task, org, "invoice", ana, "done", 3, TUE, at(TUE, 16))  # due and done Tuesday
    await insert(conn, task, org, "deck", ana, "done", 2, MON, at(WED, 10))  # late
    await insert(conn, task, org, "audit", cy, "pending", 1, THU, None)  # never done: late
    await insert(conn, task, org, "old", cy, "dropped", 1, THU, None)  # dropped: not due
    await insert(conn, task, org, "spec", ben, "done", 5, None, at(MON, 12))  # no due date: throughput only
    for d, status in ((MON, "carry_forward"), (TUE, "done")):
        await conn.execute("INSERT INTO task_statuses (organization_id, task_id, user_id, status_date, status) "
                           "VALUES (%s, %s, %s, %s, %s)", (org, t1, ana, d, status))
    # A blocker counts in the week it is resolved: this one took one working day.
    await conn.execute("INSERT INTO blockers (organization_id, user_id, description, status, created_at, resolved_at) "
                       "VALUES (%s, %s, 'keys', 'resolved', %s, %s)", (org, cy, at(WED, 9, 30), at(THU, 9, 30)))
    for person, score in ((ana, 4), (ben, 2)):
        await conn.execute("INSERT INTO mood_entries (organization_id, user_id, score, local_date, recorded_at) "
                           "VALUES (%s, %s, %s, %s, %s)", (org, person, score, MON, at(MON, 16)))
    await conn.execute("INSERT INTO interventions (organization_id, user_id, helped_user_id, kind, description, "
                       "occurred_at, status, confirmed_at) VALUES (%s, %s, %s, 'helped', 'pairing', %s, 'confirmed', %s), "
                       "(%s, %s, %s, 'helped', 'review', %s, 'pending', NULL)",
                       (org, ana, cy, at(TUE, 11), at(TUE, 12), org, ana, cy, at(TUE, 11)))
    await conn.execute("INSERT INTO reinforcements (organization_id, user_id, from_user_id, kind, reason, created_at) "
                       "VALUES (%s, %s, %s, 'kudos', 'great demo', %s)", (org, cy, ana, at(WED, 15)))


async def test_a_weeks_figures_from_the_database(conn: psycopg.AsyncConnection) -> None:
    org, ana, ben, cy = await team_of_three(conn)
    await a_week_of_work(conn, org, ana, ben, cy)
    # Another organization's rows are never read.
    other, *others = await team_of_three(conn)
    await a_week_of_work(conn, other, *others)
    await conn.execute("INSERT INTO kpi_targets (organization_id, metric, target, direction) "
                       "VALUES (%s, 'submission_rate', 0.9, 'at_least')", (org,))

    figures = await kpis.compute(conn, org, since=MON, until=SUN, now=AFTER)
    assert set(figures.people) == {ana, ben, cy}
    # Ana 5 of 5, Ben 2 of 2 (on leave Wednesday to Friday), Cy 0 of 5.
    assert figures.people[ana]["submission_rate"].value == 1.0
    assert figures.people[ben]["submission_rate"].value == 1.0
    assert figures.people[cy]["submission_rate"].value == 0.0
    assert figures.team["submission_rate"].value == pytest.approx(7 / 12)
    assert figures.team["submission_rate"].target == 0.9
    assert figures.out == {ben: [WED, THU, FRI]}
    assert figures.team["on_time_rate"].value == pytest.approx(1 / 3)  # invoice on time; deck and audit late
    assert figures.team["carry_forward_rate"].value == 0.5
    assert figures.team["blocker_resolution_hours"].value == pytest.approx(8.0)  # one working day
    assert figures.people[cy]["blocker_resolution_hours"].value == pytest.approx(8.0)
    assert figures.team["weighted_throughput"].value == 10.0
    assert figures.team["team_mood"].value is None and figures.team["team_mood"].note == "not enough responses"
    assert figures.people[ana]["interventions"].value == 1.0  # the pending one is not credited
    assert figures.people[cy]["recognition"].value == 1.0
    assert figures.team["checklist_compliance"].note == "no checklists set up"
    # No thread the week before (the first week): no previous value, not zeros (tester 15 findings 5 and 8).
    assert figures.team["weighted_throughput"].previous is None
    assert figures.team["submission_rate"].previous is None

    # A third person's mood makes the aggregate appear, and only the team's.
    await conn.execute("INSERT INTO mood_entries (organization_id, user_id, score, local_date, recorded_at) "
                       "VALUES (%s, %s, 3, %s, %s)", (org, cy, TUE, at(TUE, 16)))
    again = await kpis.compute(conn, org, since=MON, until=SUN, now=AFTER)
    assert again.team["team_mood"].value == pytest.approx(3.0)
    assert all("team_mood" not in p for p in again.people.values())


async def test_snapshots_are_taken_once_per_week_and_gaps_are_filled(conn: psycopg.AsyncConnection) -> None:
    org, ana, ben, cy = await team_of_three(conn)
    await a_week_of_work(conn, org, ana, ben, cy)

    async def count() -> int:
        row = await (await conn.execute("SELECT count(*) FROM kpi_snapshots WHERE organization_id = %s", (org,))).fetchone()
        return int(row[0]) if row else -1

    # Before Monday 05:00 the week is not complete, and the weeks before it had no thread: nothing is written (the
    # organization's first thread is Monday MON; no zero rows for the weeks before it existed).
    first = await kpi_snapshots.take_due(conn, org, AFTER - timedelta(minutes=1))
    assert first == {"weeks": 0, "rows": 0, "waiting": 0}
    assert await count() == 0
    taken = await kpi_snapshots.take_due(conn, org, AFTER)
    assert taken == {"weeks": 1, "rows": 4, "waiting": 0}
    assert await kpi_snapshots.take_due(conn, org, AFTER + timedelta(hours=1)) == {"weeks": 0, "rows": 0, "waiting": 0}
    assert await kpi_snapshots.take_week(conn, org, MON, AFTER) == 0  # idempotent, even by hand
    assert await kpi_snapshots.take_week(conn, org, MON - timedelta(days=7), AFTER) == 0  # before any thread
    assert await count() == 4
    stored = await kpis.snapshot_values(conn, org, "weekly", MON)
    assert set(stored) == {None, ana, ben, cy}
    assert stored[None]["submission_rate"] == pytest.approx(round(7 / 12, 6))
    assert stored[cy]["submission_rate"] == 0.0 and "team_mood" not in stored[cy]

    # A gap (a week whose rows were lost) is filled by the next run; the others are not rewritten.
    await conn.execute("DELETE FROM kpi_snapshots WHERE organization_id = %s AND period_start = %s", (org, MON))
    assert await kpi_snapshots.take_due(conn, org, AFTER + timedelta(days=1)) == {"weeks": 1, "rows": 4, "waiting": 0}


async def test_a_week_waits_for_everyones_last_day_and_people_join_when_first_asked(
        conn: psycopg.AsyncConnection) -> None:
    """Tester 15 findings 5 and 11: a week is not snapshotted while someone's Friday is still open (their check-in
    held by quiet hours in their own zone), and a person gets rows only from the week they were first asked."""
    org, ana, ben, cy = await team_of_three(conn)
    await a_week_of_work(conn, org, ana, ben, cy)
    dee = await make_user(conn, org, "dee")  # joined earlier in the data, asked from the week after only
    await conn.execute("UPDATE users SET created_at = '2025-06-01' WHERE id = %s", (dee,))
    task = await insert(conn, "INSERT INTO tasks (organization_id, title, user_id, status) VALUES (%s, 'api', %s, "
                        "'pending') RETURNING id", org, ana)
    await conn.execute("INSERT INTO day_plan_items (organization_id, user_id, task_id, plan_date, source) "
                       "VALUES (%s, %s, %s, %s, 'submission')", (org, ana, task, FRI))
    assert await kpi_snapshots.take_due(conn, org, AFTER) == {"weeks": 0, "rows": 0, "waiting": 1}
    assert await kpi_snapshots.open_days(conn, org, MON) == [FRI]
    # Day-close closes Ana's Friday (her held check-in answered): the next run takes the week.
    await conn.execute("UPDATE day_plan_items SET closed_at = %s WHERE task_id = %s", (AFTER + timedelta(hours=3), task))
    assert await kpi_snapshots.take_due(conn, org, AFTER + timedelta(hours=3)) == {"weeks": 1, "rows": 4, "waiting": 0}
    stored = await kpis.snapshot_values(conn, org, "weekly", MON)
    assert dee not in stored and set(stored) == {None, ana, ben, cy}

    # The next week: Dee is in the threads from its Monday; its Friday stays open (Ana away) past the wait.
    nxt = MON + timedelta(days=7)
    await conn.execute("INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts, status, "
                       "participant_ids, posted_at) VALUES (%s, 'CSTAND', %s, '1772999999.000100', 'posted', %s, %s)",
                       (org, nxt, [ana, ben, cy, dee], at(nxt, 9, 30)))
    task2 = await insert(conn, "INSERT INTO tasks (organization_id, title, user_id, status) VALUES (%s, 'ui', %s, "
                         "'pending') RETURNING id", org, ana)
    await conn.execute("INSERT INTO day_plan_items (organization_id, user_id, task_id, plan_date, source) "
                       "VALUES (%s, %s, %s, %s, 'submission')", (org, ana, task2, nxt + timedelta(days=4)))
    due = AFTER + timedelta(days=7)
    assert (await kpi_snapshots.take_due(conn, org, due + kpi_snapshots.STRAGGLER_WAIT - timedelta(minutes=1)))[
        "waiting"] == 1
    late = await kpi_snapshots.take_due(conn, org, due + kpi_snapshots.STRAGGLER_WAIT)
    assert late["waiting"] == 0 and late["weeks"] == 2  # that week, and the one after it (due by then too)
    assert dee in await kpis.snapshot_values(conn, org, "weekly", nxt)


async def test_trend_and_previous_read_snapshots_not_history(conn: psycopg.AsyncConnection) -> None:
    org, ana, ben, cy = await team_of_three(conn)
    before = MON - timedelta(days=7)
    for monday, value in ((before - timedelta(days=7), 0.25), (before, 0.5)):
        for user_id in (None, ana, ben, cy):
            await conn.execute(
                "INSERT INTO kpi_snapshots (organization_id, user_id, period, period_start, period_end, metrics) "
                "VALUES (%s, %s, 'weekly', %s, %s, %s)",
                (org, user_id, monday, monday + timedelta(days=6), psycopg.types.json.Jsonb({"submission_rate": value})))
    got = await kpis.trend(conn, org, user_id=None, periods=8, until=SUN)
    assert got == [(before - timedelta(days=7), {"submission_rate": 0.25}), (before, {"submission_rate": 0.5})]
    # The last `periods` weeks up to the week holding `until`: one week is that week only.
    assert await kpis.trend(conn, org, user_id=ana, periods=1, until=SUN) == []
    assert await kpis.trend(conn, org, user_id=ana, periods=1, until=before + timedelta(days=3)) == got[1:]
    assert await kpis.trend(conn, org, user_id=None, periods=8, until=before - timedelta(days=1)) == got[:1]
    figures = await kpis.compute(conn, org, since=MON, until=SUN, now=AFTER)
    assert figures.team["submission_rate"].previous == 0.5  # from the snapshot (the data would give None)
    assert figures.people[ben]["submission_rate"].previous == 0.5


async def test_targets_set_by_admins_only(conn: psycopg.AsyncConnection) -> None:
    org = await make_org(conn)
    admin_id = await make_user(conn, org, "maya", role="admin")
    member_id = await make_user(conn, org, "sam")
    admin, member = await user_by_id(conn, org, admin_id), await user_by_id(conn, org, member_id)
    assert admin is not None and member is not None
    now = at(MON, 10)
    assert await kpi_targets.set_target(conn, org, admin, "carry_forward_rate 20%", now) == \
        Target("carry_forward_rate", 0.2, "at_most")
    assert await kpi_targets.set_target(conn, org, admin, "carry_forward_rate 0.15", now) == \
        Target("carry_forward_rate", 0.15, "at_most")
    await kpi_targets.set_target(conn, org, admin, "checklist_compliance 95%", now)  # allowed by migration 0015
    with pytest.raises(PermissionDenied):
        await kpi_targets.set_target(conn, org, member, "submission_rate 10%", now)
    assert await kpis.targets(conn, org) == {"carry_forward_rate": Target("carry_forward_rate", 0.15, "at_most"),
                                             "checklist_compliance": Target("checklist_compliance", 0.95, "at_least")}
    denied = await (await conn.execute("SELECT count(*) FROM security_audit_logs WHERE organization_id = %s AND "
                                       "event_type = 'permission_denied'", (org,))).fetchone()
    audited = await (await conn.execute("SELECT count(*) FROM audit_logs WHERE organization_id = %s AND "
                                        "action = 'kpi.set'", (org,))).fetchone()
    assert denied == (1,) and audited == (3,)


async def test_checklist_compliance_of_some_people_reads_only_their_rows(conn: psycopg.AsyncConnection) -> None:
    org, ana, ben, cy = await team_of_three(conn)
    checklist = await insert(conn, "INSERT INTO checklists (organization_id, name) VALUES (%s, 'deploy') RETURNING id", org)
    for person, done in ((ana, at(MON, 12)), (ben, None), (cy, None)):
        await conn.execute("INSERT INTO checklist_completions (organization_id, checklist_id, user_id, for_date, "
                           "completed_at) VALUES (%s, %s, %s, %s, %s)", (org, checklist, person, MON, done))
    everyone = await kpis.compute(conn, org, since=MON, until=SUN, now=AFTER)
    assert everyone.team["checklist_compliance"].value == pytest.approx(1 / 3)
    assert everyone.team["sop_compliance"].note == "no SOPs set up"
    two = await kpis.compute(conn, org, since=MON, until=SUN, now=AFTER, user_ids=[ana, ben])
    assert two.team["checklist_compliance"].value == 0.5 and set(two.people) == {ana, ben}
    assert two.people[ana]["checklist_compliance"].value == 1.0
