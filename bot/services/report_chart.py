"""A report's chart (issue 15): the last :data:`PERIODS` periods of a team's main KPIs against their targets, one
small panel per KPI, as a PNG drawn by matplotlib with its Agg backend (no display needed). Pure: data in, bytes
out. The trend comes from ``kpi_snapshots`` (bot/services/kpis.py ``trend``), never from recomputing history.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")  # before pyplot: no GUI toolkit, safe in any thread and in a container

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.services.report_figures import LABELS, MAIN_KPIS, is_rate, scaled  # noqa: E402

PERIODS = 8
"""Periods the chart shows (issue 15: "the last 8 periods")."""
SIZE_INCHES = (9.0, 6.0)
DPI = 100
"""900 x 600 pixels: readable in Slack's preview at its default width, about 60 KB."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TARGET_LABEL = "target now"
"""The target line's legend: targets keep no history (``kpi_targets`` holds the current value only), so past weeks
are drawn against today's target, and the legend says so rather than implying it was the target then."""


class ChartError(Exception):
    """The chart could not be drawn (no trend to draw, or matplotlib failed): the report goes without it."""


def figure(trend: Sequence[tuple[date, Mapping[str, float | None]]], targets: Mapping[str, float | None], *,
           title: str, kpis: Sequence[str] = MAIN_KPIS, periods: int = PERIODS) -> Figure:
    """The matplotlib Figure :func:`render` saves (same arguments): a panel per KPI with a value in the last
    ``periods`` points, each with its current target as a dashed line labelled :data:`TARGET_LABEL`. The caller
    closes it (``plt.close``). Raises ChartError when there is nothing to draw or drawing fails."""
    points = list(trend)[-periods:]
    shown = [k for k in kpis if any(values.get(k) is not None for _, values in points)]
    if not points or not shown:
        raise ChartError("no snapshots to draw")
    columns = 2 if len(shown) > 1 else 1
    rows = (len(shown) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=SIZE_INCHES, dpi=DPI, squeeze=False)
    try:
        labels = [f"{start.day} {start:%b}" for start, _ in points]
        for index, kpi in enumerate(shown):
            ax = axes[index // columns][index % columns]
            ys = [None if values.get(kpi) is None else scaled(kpi, float(values[kpi] or 0)) for _, values in points]
            xs = list(range(len(points)))
            ax.plot([x for x, y in zip(xs, ys, strict=True) if y is not None], [y for y in ys if y is not None],
                    marker="o", color="#1264a3", linewidth=2)
            target = targets.get(kpi)
            if target is not None:
                ax.axhline(scaled(kpi, target), color="#e01e5a", linestyle="--", linewidth=1.2, label=TARGET_LABEL)
                ax.legend(loc="best", fontsize=8, frameon=False)
            ax.set_title(LABELS.get(kpi, kpi) + (" (%)" if is_rate(kpi) else ""), fontsize=10)
            ax.set_xticks(xs, labels, fontsize=7, rotation=45)
            if is_rate(kpi):
                ax.set_ylim(0, 105)
            ax.grid(alpha=0.3)
        for index in range(len(shown), rows * columns):
            axes[index // columns][index % columns].set_visible(False)
        fig.suptitle(title, fontsize=12)
        fig.tight_layout()
    except (ValueError, TypeError, OverflowError, RuntimeError) as exc:
        plt.close(fig)
        raise ChartError(f"{type(exc).__name__}: {exc}") from exc
    return fig


def render(trend: Sequence[tuple[date, Mapping[str, float | None]]], targets: Mapping[str, float | None], *,
           title: str, kpis: Sequence[str] = MAIN_KPIS, periods: int = PERIODS) -> bytes:
    """The PNG of ``trend`` (oldest first: ``(period_start, {kpi: value})``; the last ``periods`` are drawn)
    with each KPI's current target (``targets[kpi]``, a dashed line labelled :data:`TARGET_LABEL`) in its own panel
    (:func:`figure`); rates in percent. Raises ChartError when there is nothing to draw or drawing fails."""
    fig = figure(trend, targets, title=title, kpis=kpis, periods=periods)
    try:
        out = io.BytesIO()
        fig.savefig(out, format="png")
    except (ValueError, TypeError, OverflowError, RuntimeError) as exc:
        raise ChartError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        plt.close(fig)
    return out.getvalue()


MOOD_SIZE_INCHES = (9.0, 3.6)


def render_mood(weeks: Sequence[tuple[date, float | None, int]], *, title: str, min_people: int) -> bytes:
    """The PNG of a team's weekly mood (``(monday, average or None, people who answered)``, oldest first) on the
    1–5 scale; a week with an average of None (fewer than ``min_people`` answered) is drawn as a gap and labelled
    "n<min". Raises ChartError when no week has an average."""
    points = list(weeks)
    if not any(average is not None for _, average, _ in points):
        raise ChartError("no week with enough answers to draw")
    fig, ax = plt.subplots(1, 1, figsize=MOOD_SIZE_INCHES, dpi=DPI)
    try:
        xs = list(range(len(points)))
        ax.plot([x for x, (_, a, _) in zip(xs, points, strict=True) if a is not None],
                [a for _, a, _ in points if a is not None], marker="o", color="#2eb67d", linewidth=2)
        for x, (_, average, _people) in zip(xs, points, strict=True):
            if average is None:
                ax.annotate(f"n<{min_people}", (x, 1.2), ha="center", fontsize=7, color="#616061")
        ax.set_ylim(1, 5)
        ax.set_xticks(xs, [f"{start.day} {start:%b}" for start, _, _ in points], fontsize=7, rotation=45)
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    except (ValueError, TypeError, OverflowError, RuntimeError) as exc:
        raise ChartError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        plt.close(fig)
    return out.getvalue()
