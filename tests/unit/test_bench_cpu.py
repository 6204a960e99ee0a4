"""The import benchmark's "CPU the import itself cost": total less background, never negative (issue 32: a
process that only ran its background loops printed -0.1)."""

from __future__ import annotations

import pytest

from benchmarks.workbook import import_own_cpu, own_cpu_text


@pytest.mark.parametrize(
    ("total", "background", "own"),
    [
        (19.0, 4.0, 15.0),  # cases: the import's own CPU is the difference
        (4.8, 3.5, 1.3),  # reporting: small, still above the estimate's resolution
        (2.8, 3.1, 0.0),  # redress: less than its background (the idle rate overestimated it): not -0.3
        (3.8, 3.7, 0.0),  # gateway: within the estimate's spread of its background
        (0.2, 0.2, 0.0),  # witness
        (0.4, 0.0, 0.4),  # edge: no background at all, every tick is the import's
        (0.04, 0.0, 0.0),  # below the clock's resolution
    ],
)
def test_own_cpu_is_the_difference_or_zero(total: float, background: float, own: float) -> None:
    assert import_own_cpu(total, background) == pytest.approx(own)


def test_background_only_is_said_not_printed_as_a_number() -> None:
    assert own_cpu_text(2.8, 3.1) == "~0 (background only)"
    assert own_cpu_text(19.04, 4.0) == "15.0"
