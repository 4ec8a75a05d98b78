"""How a report states its figures (issue 15): each KPI's label, its value as people read it, its target and its
change from the previous period, and the fact lines that are the only input of a report's narrative. Pure.

Figures come from bot/services/kpis.py (``Figure``: ``kpi``, ``value``, ``unit``, ``target``, ``previous``,
``note``); rates there are fractions (0.9) and are shown as whole percentages (90%); hours with one decimal;
throughput and counts as numbers. A value of None is "no data" (or the figure's note, e.g. "not enough
responses" for team mood).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.services.kpis import Figure

LABELS: dict[str, str] = {
    "submission_rate": "Submission rate",
    "on_time_rate": "On-time rate",
    "carry_forward_rate": "Carry-forward rate",
    "blocker_resolution_hours": "Blocker resolution (median, working hours)",
    "weighted_throughput": "Weighted throughput",
    "team_mood": "Team mood",
    "checklist_compliance": "Checklist compliance",
    "sop_compliance": "SOP compliance",
    "interventions": "Help given (credited)",
    "recognition": "Recognition",
}
MAIN_KPIS: tuple[str, ...] = ("submission_rate", "on_time_rate", "carry_forward_rate", "blocker_resolution_hours",
                              "weighted_throughput")
"""The KPIs a report's headline and chart show (the rest are listed when they have a value)."""
LOWER_IS_BETTER = frozenset({"carry_forward_rate", "blocker_resolution_hours"})
"""KPIs whose target is a ceiling (kpi_targets.direction ``at_most``)."""


FigureLike = Figure
"""A KPI figure as bot/services/kpis.py computes it."""


def is_rate(kpi: str) -> bool:
    return kpi.endswith("_rate") or kpi.endswith("_compliance")


def scaled(kpi: str, value: float) -> float:
    """The number people read for ``value``: a rate as a percentage rounded to a whole number, hours and mood to
    one decimal, the rest to one decimal (whole numbers shown without it)."""
    return float(round(value * 100)) if is_rate(kpi) else round(float(value), 1)


def fmt(kpi: str, value: float | None) -> str:
    """``value`` as people read it: "90%", "12.5 h", "14", "3.8"; "–" for None."""
    if value is None:
        return "–"
    number = scaled(kpi, value)
    text = f"{number:.0f}" if number == int(number) else f"{number:.1f}"
    if is_rate(kpi):
        return f"{text}%"
    if kpi == "blocker_resolution_hours":
        return f"{text} h"
    return text


def change(kpi: str, value: float | None, previous: float | None) -> str | None:
    """The change from the previous period as people read it ("+5 pts", "-1.5 h", "+3"), None when either is
    missing. Rates change in percentage points."""
    if value is None or previous is None:
        return None
    delta = round(scaled(kpi, value) - scaled(kpi, previous), 1)
    text = f"{abs(delta):.0f}" if delta == int(delta) else f"{abs(delta):.1f}"
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    unit = " pts" if is_rate(kpi) else " h" if kpi == "blocker_resolution_hours" else ""
    return f"{sign}{text}{unit}"


def below_target(kpi: str, value: float | None, target: float | None) -> bool:
    """Whether ``value`` misses ``target`` (a ceiling for :data:`LOWER_IS_BETTER`, a floor for the rest), compared
    as shown (a rate of 0.899 shows 90% and meets a 90% target)."""
    if value is None or target is None:
        return False
    shown, goal = scaled(kpi, value), scaled(kpi, target)
    return shown > goal if kpi in LOWER_IS_BETTER else shown < goal


def misses(figure: FigureLike) -> bool:
    """Whether a figure misses its target: its value (:func:`below_target`), or, with no value, what is known of it
    so far (``Figure.bound``: a blocker open past an at_most target)."""
    return below_target(figure.kpi, figure.value, figure.target) or (figure.value is None and figure.met is False)


def shown(figure: FigureLike) -> str:
    """The figure's value as read, or its note when it has none ("nothing was due")."""
    return figure.note if figure.value is None and figure.note else fmt(figure.kpi, figure.value)


def improvement(kpi: str, value: float | None, previous: float | None) -> float | None:
    """How much better (positive) or worse (negative) ``value`` is than ``previous``, in the shown unit."""
    if value is None or previous is None:
        return None
    delta = scaled(kpi, value) - scaled(kpi, previous)
    return -delta if kpi in LOWER_IS_BETTER else delta


@dataclass(frozen=True)
class Headline:
    """One KPI line of a report: its label, value, target and change, as shown, and whether it misses its target."""

    kpi: str
    label: str
    value: str
    target: str | None
    change: str | None
    missed: bool
    note: str | None
    no_data: bool = False  # no value for the period (nothing was due, no blocker resolved, ...)

    @property
    def status(self) -> str:
        """Against its target: "missed", "met", or "no data" (nothing to measure: never "met")."""
        if self.missed:
            return "missed"
        return "no data" if self.no_data else "met"


def headline(figure: FigureLike) -> Headline:
    return Headline(
        kpi=figure.kpi, label=LABELS.get(figure.kpi, figure.kpi.replace("_", " ").capitalize()),
        value=shown(figure),
        target=None if figure.target is None else fmt(figure.kpi, figure.target),
        change=change(figure.kpi, figure.value, figure.previous),
        missed=misses(figure), note=figure.note, no_data=figure.value is None)


def headlines(team: Mapping[str, FigureLike]) -> list[Headline]:
    """The team's KPI lines: the main KPIs first (always), then the others that have a value."""
    order = [k for k in MAIN_KPIS if k in team] + [k for k in team if k not in MAIN_KPIS and team[k].value is not None]
    return [headline(team[k]) for k in order]


def biggest_change(team: Mapping[str, FigureLike]) -> Headline | None:
    """The KPI that changed most from the previous period (in its shown unit, rates in points), None when none
    changed."""
    best: tuple[float, str] | None = None
    for kpi, figure in team.items():
        moved = improvement(kpi, figure.value, figure.previous)
        if moved and (best is None or abs(moved) > best[0]):
            best = (abs(moved), kpi)
    return None if best is None else headline(team[best[1]])


def changed_most(team: Mapping[str, FigureLike]) -> str:
    """The report's "what changed most" line: the KPI that moved most, else that nothing moved, or that there is no
    previous period yet (a first report)."""
    moved = biggest_change(team)
    if moved is not None:
        return f"Changed most: *{moved.label}* {moved.change} (now {moved.value})."
    if any(f.previous is not None and f.value is not None for f in team.values()):
        return "Changed most: nothing; every KPI is where it was in the previous period."
    return "Changed most: nothing to compare with yet (no previous period)."


def decisions(team: Mapping[str, FigureLike]) -> str:
    """The template narrative: what the KPI lines above it do not say at a glance: which targets were missed and by
    how much (what needs a decision), and which targets had no data this period. Every number in it is a figure of
    :func:`facts`. Who was on leave is not repeated (the report has its own line)."""
    lines = headlines(team)
    missed = [h for h in lines if h.missed]
    unmeasured = [h.label for h in lines if h.no_data and h.target is not None and not h.missed]
    out = []
    if missed:
        out.append(f"Needs a decision: {len(missed)} target{'s' if len(missed) != 1 else ''} missed: "
                   + "; ".join(f"{h.label.lower()} {h.value} against {h.target}" for h in missed) + ".")
    elif any(h.target is not None and not h.no_data for h in lines):
        out.append("Every target with data was met.")
    else:
        out.append("No target was measured this period.")
    if unmeasured:
        out.append("No data to judge against its target: " + ", ".join(u.lower() for u in unmeasured) + ".")
    return " ".join(out)


def facts(team: Mapping[str, FigureLike], *, people: int, on_leave: Iterable[str] = (), period: str = "") -> list[str]:
    """The fact lines a narrative is written from (and checked against): one per KPI with a value, its target and
    change, the number of people, who was on leave. Every number in them is a computed figure."""
    lines = [f"Period: {period}." if period else "", f"People in the report: {people}."]
    for h in headlines(team):
        if h.value == "–":
            continue
        line = f"{h.label}: {h.value}"
        if h.target is not None:
            line += f" (target {h.target}, {h.status})"
        if h.change is not None:
            line += f", {h.change} from the previous period"
        lines.append(line + ".")
    leave = list(on_leave)
    if leave:
        lines.append("On leave for part of the period (not counted as failing): " + ", ".join(leave) + ".")
    return [line for line in lines if line]


def as_dict(figure: FigureLike) -> dict[str, Any]:
    """A figure as JSON (the reports row's ``metrics``)."""
    return {"value": figure.value, "unit": figure.unit, "target": figure.target, "previous": figure.previous,
            "note": figure.note}
