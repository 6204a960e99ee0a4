"""The EPR's projection toward its goals, on a fixed data set, against a computation by hand."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting import projection, tabulation

START, END, AS_OF = date(2026, 1, 1), date(2026, 6, 30), date(2026, 4, 20)
# Per month (Jan..Apr): received, closed, days to close summed, closed within SLA.
MONTHS = {1: (12, 10, 400, 6), 2: (10, 10, 350, 7), 3: (10, 10, 300, 7), 4: (10, 10, 250, 8)}


def _days() -> dict[tuple[date, str], int]:
    days: dict[tuple[date, str], int] = {}
    for month, (received, closed, closed_days, within) in MONTHS.items():
        days[(date(2026, month, 1), "received")] = received
        for metric, n in (("closed", closed), ("closed_days", closed_days), ("closed_within", within)):
            days[(date(2026, month, 15), metric)] = n
    return days


def _goals(threshold: int) -> dict[str, dict]:
    built = tabulation.epr(_days(), {}, {}, {}, START, END, threshold, as_of=AS_OF)
    return {g["goal"]: g for g in built.tables["goals"]}


def test_the_projection_on_a_fixed_data_set_equals_the_hand_computation() -> None:
    goals = _goals(threshold=1)
    # Within SLA: 0.6, 0.7, 0.7, 0.8 at months 0..3 (May and June have not happened on 20 April).
    # mean x 1.5, mean y 0.7; Sxx = 2.25+0.25+0.25+2.25 = 5; Sxy = (-1.5)(-0.1)+0+0+(1.5)(0.1) = 0.3
    # slope 0.06, intercept 0.7 - 0.06*1.5 = 0.61; at June (month 5): 0.61 + 0.3 = 0.91 >= 0.9
    sla = goals["within_sla"]
    assert (sla["months_used"], sla["latest"], sla["trend_per_month"]) == (4, 0.8, 0.06)
    assert sla["projected_at_period_end"] == 0.91 and sla["on_track"] is True and sla["target"] == 0.9
    # Average days: 40, 35, 30, 25: slope -5, intercept 32.5 + 7.5 = 40; at month 5: 40 - 25 = 15 <= 30
    days = goals["average_days"]
    assert (days["trend_per_month"], days["projected_at_period_end"], days["on_track"]) == (-5.0, 15.0, True)
    # Backlog: 2 open at the end of every month: flat, 2 at the end, no target to be on track for.
    backlog = goals["open_at_end"]
    assert (backlog["trend_per_month"], backlog["projected_at_period_end"], backlog["on_track"]) == (0.0, 2.0, None)
    assert all(g["method"] == projection.METHOD for g in goals.values())


def test_suppressed_months_are_left_out_of_the_trend() -> None:
    """At the threshold of 11 the closed counts of 10 are hidden, and with them every month's share and average;
    only April's backlog follows from shown totals: one month is no trend, so nothing is projected."""
    goals = _goals(threshold=11)
    for name, used in (("within_sla", 0), ("average_days", 0), ("open_at_end", 1)):
        goal = goals[name]
        assert (goal["months_used"], goal["trend_per_month"], goal["projected_at_period_end"]) == (used, None, None)
    assert goals["open_at_end"]["latest"] == 2.0


def test_the_fit_keeps_a_share_within_its_range_and_needs_two_months() -> None:
    rising = projection.Goal("within_sla", "share", "higher", 0.9, share=True)
    row = projection.project(rising, [0.6, 0.8, "suppressed", 1.0], observed=4, months=12)
    assert row["months_used"] == 3 and row["projected_at_period_end"] == 1.0  # the line would pass 100%
    assert projection.project(rising, [0.6, "suppressed", None], observed=3, months=3)["trend_per_month"] is None
    assert projection.fit([(0, 1.0), (0, 2.0)]) is None
    assert projection.fit([(0, 1.0), (2, 5.0)]) == pytest.approx((1.0, 2.0))
