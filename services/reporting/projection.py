"""The EPR's "projected future progress toward achieving goals" (PIA 3.0): per goal, the trend of its monthly
figure and where that trend puts it at the period's end. Plain Python.

Method (stated in every report): an ordinary least-squares line through the goal's monthly values that the
report shows (suppressed months and months without a value are left out), months numbered 0, 1, ... from the
period's first month; the trend is its slope per month, the projection its value at the period's last month,
kept within what the figure can be (a share within 0..1, days and backlogs not below 0). Fewer than two shown
months give no trend and no projection. The projection uses only figures the report itself shows, so it adds
nothing that suppression hides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

METHOD = (
    "least-squares line through the shown monthly values (suppressed months left out), months numbered from "
    "the period's first; trend = slope per month; projection = the line at the period's last month, kept within "
    "the figure's range; fewer than two shown months: not projected"
)


@dataclass(frozen=True)
class Goal:
    name: str  # the column of the monthly table
    description: str
    better: str  # "higher" or "lower"
    target: float | None = None
    share: bool = False  # a proportion, kept within 0..1


GOALS = (
    Goal("within_sla", "share of redress requests closed within their SLA", "higher", 0.9, share=True),
    Goal("average_days", "average days to close a redress request", "lower", 30.0),
    Goal("open_at_end", "redress requests open at month end (backlog)", "lower"),
)


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """(intercept, slope) of the least-squares line through (x, y) points; None below two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    slope = sxy / sxx
    return my - slope * mx, slope


def project(goal: Goal, values: list[Any], observed: int, months: int) -> dict[str, Any]:
    """One goal's row: `values` the monthly figures of the period in order (numbers, None or 'suppressed'),
    of which the first `observed` months have happened; `months` the period's length in months."""
    points = [(i, float(v)) for i, v in enumerate(values[:observed]) if isinstance(v, int | float)]
    line = fit(points)
    projected = None
    if line is not None:
        intercept, slope = line
        projected = max(0.0, intercept + slope * (months - 1))
        if goal.share:
            projected = min(1.0, projected)
    on_track = None
    if projected is not None and goal.target is not None:
        on_track = projected >= goal.target if goal.better == "higher" else projected <= goal.target
    return {
        "goal": goal.name,
        "description": goal.description,
        "better": goal.better,
        "target": goal.target,
        "months_used": len(points),
        "latest": points[-1][1] if points else None,
        "trend_per_month": round(line[1], 4) if line else None,
        "projected_at_period_end": round(projected, 4) if projected is not None else None,
        "on_track": on_track,
        "method": METHOD,
    }
