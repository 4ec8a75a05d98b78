"""The KPI formulas (bot/services/kpis.py) on hand-computed data: leave, holidays, ramp-up, a task due and done the
same day, a blocker resolved over a weekend, mood with 2 and with 3 people; targets read from words; snapshot weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services import action_items, kpi_snapshots, kpi_targets, kpis, report_figures
from bot.services.attendance import DayRecord, RampUp
from bot.services.calendar import Absence, Person, Rhythm
from bot.services.kpis import (
    ChecklistSent,
    DoneTask,
    DueTask,
    MoodEntry,
    OpenBlocker,
    PeriodData,
    ResolvedBlocker,
    SopRecord,
    Target,
    TaskClose,
)
from bot.services.report_periods import period_of

NY = ZoneInfo("America/New_York")
# The week of Monday 2 March 2026 .. Sunday 8 March 2026.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, 2) + timedelta(days=i) for i in range(7))


def day(d: date, *, asked: bool = True, updated: bool = False, working: bool = True, ramp_up: bool = False,
        away: str | None = None) -> DayRecord:
    return DayRecord(day=d, asked=asked, working=working, ramp_up=ramp_up, updated=updated, permalink=None,
                     person_day=d, closes_at=datetime.combine(d + timedelta(days=1), time(0), UTC), away=away)


def ny(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), NY)


def utc(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), UTC)


# A week with leave on Wednesday, a team holiday on Thursday (no record: not a team workday), a ramp-up day Friday,
# and an update given on the leave day anyway (it counts for nothing: nobody asked).
WEEK = [day(MON, updated=True), day(TUE), day(WED, asked=False, working=False, updated=True, away="vacation"),
        day(FRI, updated=True, ramp_up=True)]


def test_submission_rate_counts_only_days_asked_and_ramp_up_days_count() -> None:
    assert kpis.submission_rate(WEEK) == pytest.approx(2 / 3)  # Mon and Fri of Mon, Tue, Fri
    assert kpis.submission_rate([day(WED, asked=False, working=False, away="vacation")]) is None
    assert kpis.submission_rate([]) is None


def test_leave_days_are_out_not_missed() -> None:
    assert kpis.out_days(WEEK) == [WED]
    # A team day off (weekend, team holiday with a thread) has no reason: not "out".
    assert kpis.out_days([day(SAT, asked=False, working=False)]) == []


def test_on_time_rate_same_day_is_on_time_and_open_tasks_count_once_late() -> None:
    tasks = [
        DueTask(1, MON, None, ny(MON, 23, 0)),  # due and done the same day, late evening: on time
        DueTask(1, TUE, None, ny(WED, 9, 0)),  # done the day after: late
        DueTask(1, WED, ny(WED, 12, 0), ny(WED, 13, 0)),  # due at noon, done at 13:00: late
        DueTask(1, THU, None, None),  # never done, Thursday is over: late
        DueTask(1, FRI, None, None),  # due today, still open: not counted yet
    ]
    assert kpis.on_time_rate(tasks, now=ny(FRI, 15), tz="America/New_York") == pytest.approx(1 / 4)
    # After Friday's midnight the open one counts too.
    assert kpis.on_time_rate(tasks, now=ny(SAT, 0, 1), tz="America/New_York") == pytest.approx(1 / 5)
    # The deadline is the team's midnight: 23:00 in New York is 04:00 UTC the next day, still on time there,
    # and late on a UTC clock.
    assert kpis.on_time_rate(tasks[:1], now=ny(SUN, 12), tz="America/New_York") == 1.0
    assert kpis.on_time_rate(tasks[:1], now=ny(SUN, 12), tz="UTC") == 0.0
    assert kpis.on_time_rate([], now=ny(SUN, 12), tz="UTC") is None


def test_carry_forward_rate_is_carried_over_closed_task_days() -> None:
    closes = [TaskClose(1, MON, "carry_forward"), TaskClose(1, TUE, "carry_forward"), TaskClose(1, WED, "carry_forward"),
              TaskClose(1, THU, "done"), TaskClose(2, MON, "dropped")]
    assert kpis.carry_forward_rate(closes) == pytest.approx(3 / 5)
    assert kpis.carry_forward_rate([]) is None


# Working hours 09:30-17:30 (Rhythm's defaults), Monday to Friday, UTC.
RHYTHM = Rhythm(timezone="UTC")


def test_a_blocker_resolved_over_a_weekend_counts_working_hours_only() -> None:
    weekend = ResolvedBlocker(1, utc(FRI, 16, 30), utc(MON + timedelta(days=7), 10, 30))  # Fri 1 h + Mon 1 h
    assert kpis.resolution_hours(weekend, RHYTHM, Person()) == pytest.approx(2.0)
    same_day = ResolvedBlocker(1, utc(TUE, 10), utc(TUE, 14))  # 4 h
    overnight = ResolvedBlocker(2, utc(WED, 9, 30), utc(THU, 9, 30))  # a whole working day: 8 h
    assert kpis.blocker_resolution_hours([weekend, same_day, overnight], RHYTHM, {}) == pytest.approx(4.0)  # median
    assert kpis.blocker_resolution_hours([weekend, same_day], RHYTHM, {}) == pytest.approx(3.0)  # median of two
    assert kpis.blocker_resolution_hours([], RHYTHM, {}) is None


def test_blocker_time_skips_holidays_and_the_blocked_persons_leave() -> None:
    next_mon = MON + timedelta(days=7)
    blocker = ResolvedBlocker(1, utc(FRI, 16, 30), utc(next_mon + timedelta(days=1), 10, 30))  # to Tuesday 10:30
    assert kpis.resolution_hours(blocker, RHYTHM, Person()) == pytest.approx(1 + 8 + 1)
    holiday = Rhythm(timezone="UTC", holidays=frozenset({next_mon}))
    assert kpis.resolution_hours(blocker, holiday, Person()) == pytest.approx(1 + 1)
    on_leave = Person(absences=(Absence(next_mon, next_mon, "vacation"),))
    assert kpis.blocker_resolution_hours([blocker], RHYTHM, {1: on_leave}) == pytest.approx(2.0)


def test_weighted_throughput_sums_weights() -> None:
    done = [DoneTask(1, 1, utc(MON, 10)), DoneTask(1, 3, utc(TUE, 10)), DoneTask(2, 5, utc(WED, 10))]
    assert kpis.weighted_throughput(done) == 9.0
    assert kpis.weighted_throughput([]) == 0.0


def test_team_mood_needs_three_people_and_weighs_people_equally() -> None:
    two = [MoodEntry(1, MON, 4), MoodEntry(1, TUE, 2), MoodEntry(2, MON, 5)]
    assert kpis.team_mood(two) == (None, "not enough responses")
    three = [*two, MoodEntry(3, MON, 1)]
    # Person 1's mean is 3, person 2's 5, person 3's 1: (3 + 5 + 1) / 3.
    assert kpis.team_mood(three) == (pytest.approx(3.0), None)


def test_compliance_is_none_without_checklists_or_sops() -> None:
    sent = [ChecklistSent(1, MON, utc(MON, 12)), ChecklistSent(1, TUE, None), ChecklistSent(2, MON, utc(MON, 15))]
    assert kpis.checklist_compliance(sent, exist=False) == (None, "no checklists set up")
    assert kpis.checklist_compliance(sent, exist=True) == (pytest.approx(2 / 3), None)
    assert kpis.checklist_compliance([], exist=True) == (None, "none were due")
    records = [SopRecord(1, True), SopRecord(2, False), SopRecord(None, True), SopRecord(1, True)]
    assert kpis.sop_compliance(records, exist=False) == (None, "no SOPs set up")
    assert kpis.sop_compliance(records, exist=True) == (pytest.approx(3 / 4), None)
    assert kpis.sop_compliance([], exist=True) == (None, "none were followed")


def test_checklist_compliance_counts_finished_by_the_end_of_the_day_on_working_days() -> None:
    """Hand-computed: five sent; Monday's done at 12:00 (on time), Tuesday's done at 00:30 Wednesday (late: not
    compliant), Wednesday's never (its day is over), Thursday's still open at ``now`` (not counted yet), Saturday's
    done (not a working day: not counted). Compliance = 1 on time / 3 counted."""
    def end(d: date) -> datetime:
        return utc(d + timedelta(days=1), 0)

    sent = [ChecklistSent(1, MON, utc(MON, 12), end(MON)), ChecklistSent(1, TUE, utc(WED, 0, 30), end(TUE)),
            ChecklistSent(2, WED, None, end(WED)), ChecklistSent(2, THU, None, end(THU)),
            ChecklistSent(2, SAT, utc(SAT, 10), end(SAT))]
    now = utc(THU, 15)
    assert kpis.checklist_compliance(sent, exist=True, now=now, rhythm=Rhythm()) == (pytest.approx(1 / 3), None)
    # once Thursday is over, unfinished, it counts against: 1 / 4
    assert kpis.checklist_compliance(sent, exist=True, now=utc(FRI, 1), rhythm=Rhythm()) == (pytest.approx(1 / 4), None)
    # only Thursday's, still open: nothing counts yet
    assert kpis.checklist_compliance(sent[3:4], exist=True, now=now, rhythm=Rhythm()) == (None, "none were due")


def test_interventions_and_recognition_are_counts() -> None:
    assert kpis.count_for([1, 2, 1, 1], 1) == 3.0
    assert kpis.count_for([1, 2, 1, 1]) == 4.0
    assert kpis.count_for([], 1) == 0.0


def test_ramp_up_lightens_a_persons_targets() -> None:
    ramp = RampUp(1, MON - timedelta(days=10), WED, 0.5, False)
    submission = Target("submission_rate", 0.9, "at_least")
    assert kpis.personal_target(submission, ramp, since=MON, until=SUN) == pytest.approx(0.45)
    assert kpis.personal_target(submission, None, since=MON, until=SUN) == pytest.approx(0.9)
    # A ramp-up that ended before the period does not apply.
    assert kpis.personal_target(submission, ramp, since=THU, until=SUN) == pytest.approx(0.9)
    carry = Target("carry_forward_rate", 0.2, "at_most")
    assert kpis.personal_target(carry, ramp, since=MON, until=SUN) == pytest.approx(0.4)
    assert kpis.personal_target(Target("carry_forward_rate", 0.8, "at_most"), ramp, since=MON, until=SUN) == 1.0
    hours = Target("blocker_resolution_hours", 24, "at_most")
    assert kpis.personal_target(hours, ramp, since=MON, until=SUN) == pytest.approx(48)
    throughput = Target("weighted_throughput", 10, "at_least")
    assert kpis.personal_target(throughput, None, since=MON, until=SUN + timedelta(days=7)) == pytest.approx(20)
    assert kpis.personal_target(None, ramp, since=MON, until=SUN) is None


def test_figures_of_a_week_for_the_team_and_each_person() -> None:
    data = PeriodData(
        since=MON, until=SUN, rhythm=RHYTHM, user_ids=[1, 2, 3],
        days={1: WEEK, 2: [day(d, updated=True) for d in (MON, TUE, WED, FRI)],
              3: [day(d, asked=False, working=False, away="vacation") for d in (MON, TUE, WED, FRI)]},
        ramp_ups={1: RampUp(1, FRI, FRI + timedelta(days=20), 0.5, False)},
        due=[DueTask(1, MON, None, utc(MON, 12)), DueTask(2, TUE, None, None)],
        done=[DoneTask(1, 2, utc(MON, 12)), DoneTask(2, 3, utc(TUE, 12))],
        closes=[TaskClose(1, MON, "carry_forward"), TaskClose(1, TUE, "done"), TaskClose(2, MON, "done")],
        blockers=[ResolvedBlocker(2, utc(TUE, 10), utc(TUE, 12))],
        mood=[MoodEntry(1, MON, 4), MoodEntry(2, MON, 2)],
        credited=[2, 2], recognised=[1],
        targets={"submission_rate": Target("submission_rate", 0.9, "at_least"),
                 "weighted_throughput": Target("weighted_throughput", 4, "at_least")})
    previous = {None: {"submission_rate": 0.5}, 1: {"submission_rate": 1.0}}
    figures = kpis.figures_of(data, now=utc(SUN + timedelta(days=1), 5), previous=previous)
    assert set(figures.team) == set(kpis.KPIS)
    assert all(set(p) == set(kpis.PERSONAL_KPIS) for p in figures.people.values())  # never a person's mood
    sub = figures.team["submission_rate"]
    assert sub.value == pytest.approx(6 / 7)  # person 1: 2 of 3, person 2: 4 of 4, person 3: out all week
    assert (sub.target, sub.previous, sub.unit, sub.met) == (0.9, 0.5, "ratio", False)
    assert sub.change == pytest.approx(6 / 7 - 0.5)
    assert figures.people[1]["submission_rate"].target == pytest.approx(0.45)  # in ramp-up on Friday
    assert figures.people[1]["submission_rate"].met is True
    assert figures.people[1]["submission_rate"].previous == 1.0
    assert figures.people[3]["submission_rate"].value is None
    assert figures.people[3]["submission_rate"].note == "no updates were asked in that period"
    assert figures.out == {1: [WED], 3: [MON, TUE, WED, FRI]}
    assert figures.team["on_time_rate"].value == 0.5
    assert figures.people[2]["on_time_rate"].value == 0.0
    assert figures.team["carry_forward_rate"].value == pytest.approx(1 / 3)
    assert figures.team["blocker_resolution_hours"].value == pytest.approx(2.0)
    assert figures.people[1]["blocker_resolution_hours"].value is None
    # Throughput: 5 points; the target is 4 per person per week for the 2 people who worked.
    assert (figures.team["weighted_throughput"].value, figures.team["weighted_throughput"].target) == (5.0, 8.0)
    assert figures.team["team_mood"].value is None and figures.team["team_mood"].note == "not enough responses"
    assert figures.team["checklist_compliance"].note == "no checklists set up"
    assert (figures.team["interventions"].value, figures.people[2]["interventions"].value) == (2.0, 2.0)
    assert figures.people[1]["recognition"].value == 1.0
    assert figures.metrics(2)["submission_rate"] == 1.0


def test_periods() -> None:
    assert kpis.week_of(THU) == (MON, SUN)
    assert kpis.month_of(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert kpis.period_kind(MON, SUN) == "weekly"
    assert kpis.period_kind(MON, MON) == "daily"
    assert kpis.period_kind(date(2026, 3, 1), date(2026, 3, 31)) == "monthly"
    assert kpis.period_kind(TUE, SUN) is None
    assert kpis.previous_period(MON, SUN) == (MON - timedelta(days=7), MON - timedelta(days=1))
    assert kpis.previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))


@pytest.mark.parametrize(("kpi", "text", "value"), [
    ("submission_rate", "90%", 0.9), ("submission_rate", "0.9", 0.9), ("submission_rate", "90", 0.9),
    ("on_time_rate", "100%", 1.0), ("carry_forward_rate", "15 %", 0.15), ("sop_compliance", "1", 1.0),
    ("blocker_resolution_hours", "24", 24.0), ("blocker_resolution_hours", "1.5h", 1.5),
    ("blocker_resolution_hours", "8 hours", 8.0), ("weighted_throughput", "20", 20.0), ("team_mood", "3.5", 3.5),
])
def test_target_values_in_words(kpi: str, text: str, value: float) -> None:
    assert kpi_targets.parse_value(kpi, text) == pytest.approx(value)


@pytest.mark.parametrize(("kpi", "text", "said"), [
    ("submission_rate", "150%", "`150%` is out of range"), ("on_time_rate", "lots", "isn't a number"),
    ("submission_rate", "-5%", "`-5%` is out of range"), ("weighted_throughput", "-3", "`-3` is out of range"), ("submission_rate", "24h", "is a rate"),
    ("blocker_resolution_hours", "0", "out of range"), ("blocker_resolution_hours", "9000", "out of range"),
    ("team_mood", "6", "out of range"), ("weighted_throughput", "5 hours", "weight points"),
])
def test_target_values_out_of_range_say_the_range(kpi: str, text: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        kpi_targets.parse_value(kpi, text)


def test_unknown_kpis_list_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as unknown:
        kpi_targets.parse_set("velocity 3")
    assert "`velocity`" in str(unknown.value) and all(f"`{k}`" in str(unknown.value) for k in kpis.TARGETABLE)
    with pytest.raises(InvalidInput, match="not given a target"):
        kpi_targets.parse_set("interventions 5")
    with pytest.raises(InvalidInput, match="What target for `on_time_rate`"):
        kpi_targets.parse_set("On-Time-Rate")
    assert kpi_targets.parse_set("On-Time-Rate 85%") == ("on_time_rate", pytest.approx(0.85))


def test_snapshot_weeks_are_due_from_monday_five_on_the_teams_clock() -> None:
    rhythm = Rhythm(timezone="America/New_York")
    next_mon = MON + timedelta(days=7)
    assert kpi_snapshots.snapshot_due_at(rhythm, MON) == ny(next_mon, 5)
    just_before = kpi_snapshots.due_weeks(rhythm, ny(next_mon, 4, 59))
    assert just_before[-1] == MON - timedelta(days=7) and len(just_before) == kpi_snapshots.BACKFILL_WEEKS
    due = kpi_snapshots.due_weeks(rhythm, ny(next_mon, 5))
    assert due[-1] == MON and due[0] == MON - timedelta(weeks=11)
    assert kpi_snapshots.due_weeks(rhythm, ny(FRI + timedelta(days=7), 12))[-1] == MON


def test_no_data_is_never_met_and_an_open_blocker_past_its_target_is_a_miss() -> None:
    """Tester 15 finding 3: nothing due and no blocker resolved read "met"; a blocker open all week read as fine."""
    targets = {"on_time_rate": Target("on_time_rate", 0.8, "at_least"),
               "blocker_resolution_hours": Target("blocker_resolution_hours", 24, "at_most")}
    data = PeriodData(since=MON, until=SUN, rhythm=RHYTHM, user_ids=[1, 2], days={1: WEEK, 2: WEEK},
                      open_blockers=[OpenBlocker(2, ny(TUE, 10))], targets=targets)
    figures = kpis.figures_of(data, now=ny(SUN + timedelta(days=1), 7))
    on_time, blocker = figures.team["on_time_rate"], figures.team["blocker_resolution_hours"]
    assert on_time.value is None and on_time.met is None
    assert blocker.value is None and blocker.met is False and blocker.bound is not None and blocker.bound > 24
    assert blocker.note == f"none resolved; the oldest open one has waited {blocker.bound:.1f} h"
    assert figures.people[1]["blocker_resolution_hours"].note == "no blocker was resolved"  # not Ben's blocker
    lines = report_figures.facts(figures.team, people=2)
    assert "On-time rate: nothing was due (target 80%, no data)." in lines
    assert any(line.startswith("Blocker resolution") and line.endswith("(target 24 h, missed).") for line in lines)
    assert not any(", met)" in line for line in lines)
    assert report_figures.headline(blocker).missed
    # Measured at now when the period has not ended (a report for the current week).
    early = kpis.figures_of(data, now=ny(TUE, 12)).team["blocker_resolution_hours"]
    assert early.bound is not None and early.bound < 24 and early.met is None
    # And the report proposes the miss as an item, with the wait as its evidence.
    proposals = action_items.propose(period_of("weekly", MON), figures.team, {}, {})
    assert [p.key for p in proposals] == ["kpi:org:blocker_resolution_hours"]
    assert "none resolved; the oldest open one has waited" in proposals[0].evidence


def test_a_deploys_sop_record_counts_for_its_members_and_their_team() -> None:
    """tester16 F8: a deploy's record has no person (user_id NULL) but names its expected members in steps_done.
    Hand-computed: deploy A, members 1 (did all) and 2 (missed an item): not compliant; deploy B, member 1 only,
    compliant; deploy C (member 3, never sent): not compliant. Team of 1 and 2: records A and B: 1 / 2. Person 1:
    their part of A and B: 2 / 2. Person 2: A: 0 / 1. Person 3: 0 / 1."""
    a = SopRecord(None, False, kpis.sop_members([{"user_id": 1, "missing": []}, {"user_id": 2, "missing": ["Tag"]}]))
    b = SopRecord(None, True, kpis.sop_members([{"user_id": 1, "sent": True, "missing": []}]))
    c = SopRecord(None, False, kpis.sop_members([{"user_id": 3, "sent": False, "missing": []}]))
    team = [r for r in (a, b, c) if r.concerns([1, 2])]
    assert team == [a, b]
    assert kpis.sop_compliance(kpis.sop_records_of(team, None), exist=True) == (pytest.approx(1 / 2), None)
    assert kpis.sop_compliance(kpis.sop_records_of(team, 1), exist=True) == (pytest.approx(1.0), None)
    assert kpis.sop_compliance(kpis.sop_records_of(team, 2), exist=True) == (pytest.approx(0.0), None)
    assert kpis.sop_compliance(kpis.sop_records_of([c], 3), exist=True) == (pytest.approx(0.0), None)
    assert kpis.sop_records_of([a], 4) == []
    assert kpis.sop_members(None) == () and kpis.sop_members([{"name": "erased"}]) == ()
