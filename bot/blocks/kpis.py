"""The words of `/steward kpi` (pure): the organization's targets, and a target just set."""

from __future__ import annotations

from collections.abc import Mapping

from bot.services import kpis
from bot.services.kpi_targets import USAGE
from bot.services.kpis import Target


def format_value(kpi: str, value: float | None) -> str:
    """A KPI's value as people read it: rates as percents (``92%``), hours (``5.5 h``), points, a mood score
    (``3.8 / 5``), counts; an em dash for None."""
    if value is None:
        return "\u2014"
    if kpi in kpis.RATES:
        return f"{value * 100:.4g}%"
    if kpi == kpis.BLOCKER_RESOLUTION_HOURS:
        return f"{value:.3g} h"
    if kpi == kpis.WEIGHTED_THROUGHPUT:
        return f"{value:g} points"
    if kpi == kpis.TEAM_MOOD:
        return f"{value:.2g} / 5"
    return f"{value:g}"


def target_phrase(target: Target) -> str:
    """``at least 90%``, ``at most 24 h``; throughput says it is per person per week."""
    words = "at most" if target.direction == "at_most" else "at least"
    per = " per person per week" if target.kpi == kpis.WEIGHTED_THROUGHPUT else ""
    return f"{words} {format_value(target.kpi, target.value)}{per}"


def targets_text(targets: Mapping[str, Target], *, is_admin: bool) -> str:
    """Every targetable KPI with its target or "no target"; how to set one (admins) or who can."""
    lines = ["*KPI targets*"]
    for kpi in kpis.TARGETABLE:
        found = targets.get(kpi)
        said = target_phrase(found) if found is not None else "_no target_"
        lines.append(f"\u2022 {kpis.LABELS[kpi]} (`{kpi}`): {said}")
    lines.append("People in ramp-up get lighter targets (`/steward rampup`).")
    lines.append(USAGE if is_admin else "Only admins can change these.")
    return "\n".join(lines)


def target_set_text(target: Target) -> str:
    return f":white_check_mark: {kpis.LABELS[target.kpi]} target set: {target_phrase(target)}."
