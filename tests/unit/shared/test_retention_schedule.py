"""The retention schedule as data: every record kind's rule at the year boundaries (31 December / 1 January,
29 February), from the end of the calendar year of its clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import retention_schedule as schedule


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


ROUNDED = [k for k in schedule.SCHEDULE if k.end_of_year and k.years > 0]


@pytest.mark.parametrize("row", ROUNDED, ids=lambda k: f"{k.service}.{k.kind}")
@pytest.mark.parametrize("clock", [at(2004, 1, 1), at(2004, 2, 29, 12), at(2004, 12, 31, 23, 59, 59)])
def test_every_kind_is_kept_to_the_end_of_the_last_year_and_due_on_the_first_of_january(
    row: schedule.Kind, clock: datetime
) -> None:
    last_day = at(2004 + row.years, 12, 31, 23, 59, 59)
    assert not schedule.is_due(row, clock, last_day), "kept through 31 December of the final year"
    assert schedule.is_due(row, clock, last_day + timedelta(seconds=1)), "due from 1 January after it"
    assert schedule.disposal_date(row, clock) == at(2005 + row.years, 1, 1)


@pytest.mark.parametrize("row", ROUNDED, ids=lambda k: f"{k.service}.{k.kind}")
def test_a_record_of_the_first_of_january_and_one_of_new_years_eve_of_a_year_go_together(row: schedule.Kind) -> None:
    first, last = at(2010, 1, 1), at(2010, 12, 31, 23, 59)
    for now in (at(2010 + row.years, 7, 1), at(2011 + row.years, 1, 1), at(2011 + row.years, 1, 1) - timedelta(6)):
        assert schedule.is_due(row, first, now) == schedule.is_due(row, last, now)
    # ...and a record of the next New Year's Day a year later.
    assert not schedule.is_due(row, at(2011, 1, 1), at(2011 + row.years, 1, 1))


def test_the_schedule_names_every_kind_the_issue_lists_with_its_basis() -> None:
    kinds = {(k.service, k.kind) for k in schedule.SCHEDULE}
    assert {
        ("cases", "encounter"),
        ("cases", "case"),
        ("cases", "analysis"),
        ("disclosure", "accounting"),
        ("disclosure", "owner-notice"),
        ("redress", "redress-request"),
        ("reporting", "bulletin"),
        ("reporting", "stored-report"),
        ("every service", "audit-entry"),
    } <= kinds
    assert all(k.basis and k.applied for k in schedule.SCHEDULE)
    assert schedule.kind("cases", "case").years == 75 and schedule.kind("cases", "analysis").years == 15
    # The accounting outlives the 5 years the Privacy Act sets, since the record it accounts for lives 75.
    assert schedule.kind("disclosure", "accounting").years >= max(5, schedule.kind("cases", "encounter").years)


def test_a_configured_period_replaces_the_default_but_never_below_a_year() -> None:
    assert schedule.kind("cases", "analysis", 20).years == 20
    with pytest.raises(ValueError, match="at least one year"):
        schedule.kind("cases", "analysis", 0)
    with pytest.raises(ValueError, match="no retention rule for cases record kind 'emails'"):
        schedule.kind("cases", "emails")


def test_a_leap_day_without_rounding_falls_back_to_the_28th() -> None:
    row = schedule.Kind("x", "y", 3, schedule.Clock.GATHERED, "b", "a", end_of_year=False)
    assert schedule.cutoff(row, at(2028, 2, 29)) == at(2025, 2, 28)
