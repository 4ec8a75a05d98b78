"""Reports' pure parts (issue 15): periods and due times, figures as read, the narrative guard, the chart PNG, the
action items a report proposes."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, time, timedelta

import matplotlib.pyplot as plt
import pytest

from bot.blocks import reports as render
from bot.errors import InvalidInput
from bot.services import action_items, report_chart, report_figures, report_narrative
from bot.services.calendar import Rhythm
from bot.services.kpis import Figure, Target, period_target
from bot.services.report_periods import Period, due_at, due_period, last_complete, period_of


def fig(kpi: str, value: float | None, target: float | None = None, previous: float | None = None,
        note: str | None = None) -> Figure:
    return Figure(kpi=kpi, value=value, unit="ratio", target=target, previous=previous, note=note)


def test_periods_and_the_last_complete_one() -> None:
    wed = date(2026, 3, 4)
    assert period_of("weekly", wed) == Period("weekly", date(2026, 3, 2), date(2026, 3, 8))
    assert period_of("monthly", date(2024, 2, 10)) == Period("monthly", date(2024, 2, 1), date(2024, 2, 29))
    assert last_complete("weekly", wed) == Period("weekly", date(2026, 2, 23), date(2026, 3, 1))
    assert last_complete("monthly", date(2026, 1, 5)) == Period("monthly", date(2025, 12, 1), date(2025, 12, 31))
    assert last_complete("daily", wed).start == date(2026, 3, 3)
    assert period_of("weekly", wed).previous().start == date(2026, 2, 23)
    with pytest.raises(InvalidInput):
        period_of("yearly", wed)  # type: ignore[arg-type]


def test_due_times_on_the_teams_clock() -> None:
    rhythm = Rhythm(timezone="Europe/London", morning_time=time(9, 30), holidays=frozenset({date(2026, 6, 1)}))
    week = Period("weekly", date(2026, 3, 2), date(2026, 3, 8))
    assert due_at(week, rhythm) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)  # Monday, GMT
    assert due_at(week, rhythm, report_day=3, report_time=time(14, 0)) == datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
    # May 2026: 1 June is a holiday (a Monday), so the first workday is Tuesday the 2nd (BST: UTC+1).
    may = Period("monthly", date(2026, 5, 1), date(2026, 5, 31))
    assert due_at(may, rhythm) == datetime(2026, 6, 2, 8, 30, tzinfo=UTC)
    assert due_period("weekly", rhythm, datetime(2026, 3, 9, 9, 29, tzinfo=UTC)) is None
    assert due_period("weekly", rhythm, datetime(2026, 3, 9, 9, 30, tzinfo=UTC)) == week
    # A Sunday's daily report: nobody was asked, nothing is due.
    assert due_period("daily", rhythm, datetime(2026, 3, 9, 2, 0, tzinfo=UTC)) is None
    assert due_period("daily", rhythm, datetime(2026, 3, 10, 0, 30, tzinfo=UTC)) is None  # before 01:00
    assert due_period("daily", rhythm, datetime(2026, 3, 10, 1, 0, tzinfo=UTC)) == Period(
        "daily", date(2026, 3, 9), date(2026, 3, 9))


def test_figures_as_people_read_them() -> None:
    assert report_figures.fmt("on_time_rate", 0.8666) == "87%"
    assert report_figures.fmt("blocker_resolution_hours", 12.25) == "12.2 h"
    assert report_figures.fmt("weighted_throughput", 14.0) == "14"
    assert report_figures.change("submission_rate", 0.9, 0.85) == "+5 pts"
    assert report_figures.change("blocker_resolution_hours", 4.0, 6.5) == "-2.5 h"
    assert report_figures.below_target("carry_forward_rate", 0.30, 0.25)
    assert not report_figures.below_target("submission_rate", 0.899, 0.9)  # shown as 90%: met
    team = {"on_time_rate": fig("on_time_rate", 0.6, 0.85, 0.8), "submission_rate": fig("submission_rate", 0.9, None, 0.88)}
    moved = report_figures.biggest_change(team)
    assert moved is not None and moved.kpi == "on_time_rate" and moved.change == "-20 pts"
    mood = report_figures.headline(fig("team_mood", None, note="not enough responses"))
    assert mood.value == "not enough responses"


def test_the_narrative_guard_reads_every_number() -> None:
    facts = report_figures.facts({"on_time_rate": fig("on_time_rate", 0.72, 0.85, 0.68)}, people=6,
                                 period="week of 2 Mar 2026")
    assert facts == ["Period: week of 2 Mar 2026.", "People in the report: 6.",
                     "On-time rate: 72% (target 85%, missed), +4 pts from the previous period."]
    assert report_narrative.ungrounded("On-time rate rose 4 points to 72% for the 6 of you, short of 85%.", facts) == []
    assert report_narrative.ungrounded("On-time rate is 75%, up 4 points.", facts) == [75.0]
    assert report_narrative.ungrounded("1,204 tasks", facts) == [1204.0]
    assert report_narrative.template(facts).startswith("People in the report: 6.")


async def test_offline_narrative_is_always_the_template() -> None:
    facts = ["People in the report: 2.", "Submission rate: 50%."]
    told = await report_narrative.narrate(None, facts, report="t")
    assert told == report_narrative.Narrative("People in the report: 2. Submission rate: 50%.", "template")


def test_the_chart_is_a_png_of_the_last_eight_periods() -> None:
    trend = [(date(2026, 1, 5) + timedelta(weeks=i), {"submission_rate": 0.8 + i / 100, "on_time_rate": 0.7,
                                                      "weighted_throughput": 10.0 + i}) for i in range(12)]
    png = report_chart.render(trend, {"submission_rate": 0.9}, title="Weekly KPIs")
    assert png.startswith(report_chart.PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (900, 600)
    with pytest.raises(report_chart.ChartError):
        report_chart.render([], {}, title="nothing")


def test_the_chart_draws_each_kpi_of_the_last_periods_against_the_target_now() -> None:
    """Targets keep no history, so the dashed line is today's target and its legend says "target now"."""
    trend = [(date(2026, 1, 5) + timedelta(weeks=i), {"submission_rate": 0.8 + i / 100, "on_time_rate": 0.7,
                                                      "weighted_throughput": 10.0 + i}) for i in range(12)]
    fig = report_chart.figure(trend, {"submission_rate": 0.9, "weighted_throughput": 20.0}, title="Weekly KPIs")
    try:
        panels = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
        assert set(panels) == {"Submission rate (%)", "On-time rate (%)", "Weighted throughput"}, set(panels)
        submission = panels["Submission rate (%)"]
        # The last 8 weeks, oldest first, in percent; the target at 90 %, labelled as today's.
        [line] = [ln for ln in submission.get_lines() if ln.get_linestyle() == "-"]
        assert [round(y, 1) for y in line.get_ydata()] == [84.0 + i for i in range(8)]
        assert [t.get_text() for t in submission.get_xticklabels()][:2] == ["2 Feb", "9 Feb"]
        [target] = [ln for ln in submission.get_lines() if ln.get_linestyle() == "--"]
        assert list(target.get_ydata()) == [90.0, 90.0]
        assert [t.get_text() for t in submission.get_legend().get_texts()] == [report_chart.TARGET_LABEL] == ["target now"]
        assert [t.get_text() for t in panels["Weighted throughput"].get_legend().get_texts()] == ["target now"]
        assert panels["On-time rate (%)"].get_legend() is None  # no target set: no line, no legend
    finally:
        plt.close(fig)


def test_action_items_proposed_from_the_data() -> None:
    period = Period("weekly", date(2026, 3, 2), date(2026, 3, 8))
    team = {"on_time_rate": fig("on_time_rate", 0.6, 0.85), "submission_rate": fig("submission_rate", 0.95, 0.9)}
    people = {7: {"submission_rate": fig("submission_rate", 0.6, 0.9, 0.7)},
              8: {"submission_rate": fig("submission_rate", 0.6, 0.9, 0.95)}}  # once below: no item yet
    blockers = [(31, 8, "waiting for the API keys", 3, "T-4", datetime(2026, 3, 2, 10, tzinfo=UTC))]
    carried = [(55, 7, "T-9", "migrate the billing tables", 3)]
    got = action_items.propose(period, team, people, {7: "ana", 8: "ben"}, blockers=blockers, carried=carried)
    assert [(p.kind, p.key, p.period) for p in got] == [
        ("blocker", "blocker:31", None), ("carried", "carried:55", None),
        ("submission", "submission:7", date(2026, 3, 2)), ("kpi", "kpi:org:on_time_rate", date(2026, 3, 2))]
    assert got[2].evidence == "Submission rate 60% this period and 70% the one before (target 90%)."
    assert action_items.due_date(date(2026, 3, 6), Rhythm()) == date(2026, 3, 10)  # Fri + 2 workdays


def test_an_item_carries_its_buttons_and_the_dismiss_form_asks_why() -> None:
    item = action_items.Item(5, "Decide on T-9", None, "carried", "Carried 3 times.", date(2026, 3, 10), 7, "U7",
                             1, datetime(2026, 3, 9, tzinfo=UTC))
    blocks = render.item_blocks(item, today=date(2026, 3, 11))
    assert "(overdue)" in blocks[0]["text"]["text"]
    assert [e["action_id"] for e in blocks[1]["elements"]] == [render.ACTION_DONE, render.ACTION_DISMISS,
                                                               render.ACTION_REASSIGN]
    view = render.dismiss_view(item)
    assert view["callback_id"] == render.DISMISS_VIEW and view["blocks"][1]["block_id"] == render.REASON_BLOCK


def test_the_template_says_what_the_lines_do_not_and_what_changed_most() -> None:
    """Tester 15 finding 8: the paragraph repeated the KPI lines word for word (leave twice), and a weekly report
    never said what changed most; a daily throughput target was the weekly one / 7 for a Monday-to-Friday team."""
    team = {"submission_rate": fig("submission_rate", 0.74, 0.9), "on_time_rate": fig("on_time_rate", None, 0.8,
                                                                                        note="nothing was due"),
            "carry_forward_rate": fig("carry_forward_rate", 1.0, 0.2), "weighted_throughput": fig("weighted_throughput", 12, 10)}
    said = report_figures.decisions(team)
    assert said == ("Needs a decision: 2 targets missed: submission rate 74% against 90%; carry-forward rate 100% "
                    "against 20%. No data to judge against its target: on-time rate."), said
    facts = report_figures.facts(team, people=5, on_leave=["sam (2 days out)"])
    assert report_narrative.ungrounded(said, facts) == []  # every number is a figure
    assert "On leave" not in said and "People in the report" not in said
    assert report_figures.changed_most(team) == "Changed most: nothing to compare with yet (no previous period)."
    steady = {"weighted_throughput": fig("weighted_throughput", 12, 10, 12)}
    assert report_figures.changed_most(steady) == "Changed most: nothing; every KPI is where it was in the previous period."
    assert report_figures.decisions(steady) == "Every target with data was met."
    moved = {"submission_rate": fig("submission_rate", 0.74, 0.9, 0.6), "weighted_throughput": fig("weighted_throughput", 12, 10, 10)}
    assert report_figures.changed_most(moved) == "Changed most: *Submission rate* +14 pts (now 74%)."
    # Throughput targets by workdays: a Monday-to-Friday team's weekly 10 is 2 a workday.
    throughput = Target("weighted_throughput", 10, "at_least")
    monday = date(2026, 3, 2)
    assert period_target(throughput, since=monday, until=monday) == 2.0
    assert period_target(throughput, since=monday + timedelta(days=5), until=monday + timedelta(days=5)) == 0.0
    assert period_target(throughput, since=monday, until=monday + timedelta(days=6)) == 10.0
    assert period_target(throughput, since=monday, until=monday, workdays=frozenset({1, 2, 3, 4})) == 2.5
