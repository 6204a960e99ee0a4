"""Redress rules with the clock passed in: intake checks, due dates, overdue across time, the workflow."""

from __future__ import annotations

from datetime import date

import pytest

from services.redress import domain
from shared.errors import Conflict, Invalid

TODAY = date(2026, 11, 24)


def test_trip_and_non_trip_requests_carry_what_identifies_them() -> None:
    domain.check_intake(domain.Intake("TRIP", "2026-00123", None, date(2026, 11, 1), date(2026, 11, 3)), today=TODAY)
    domain.check_intake(domain.Intake("non-TRIP", None, "fax", date(2026, 11, 1), date(2026, 11, 3)), today=TODAY)
    bad = [
        (domain.Intake("TRIP", None, None, TODAY, TODAY), "TRIP/redress number"),
        (domain.Intake("TRIP", "2026-1", "mail", TODAY, TODAY), "leave channel empty"),
        (domain.Intake("non-TRIP", None, "pigeon", TODAY, TODAY), "names its channel"),
        (domain.Intake("non-TRIP", "2026-1", "mail", TODAY, TODAY), "only DHS TRIP"),
        (domain.Intake("TRIP", "2026-0001", None, date(2026, 11, 5), date(2026, 11, 4)), "before it was sent"),
        (domain.Intake("TRIP", "2026-0001", None, TODAY, date(2026, 12, 1)), "in the future"),
        (domain.Intake("fax", None, None, TODAY, TODAY), "source is"),
    ]
    for intake, message in bad:
        with pytest.raises(Invalid, match=message):
            domain.check_intake(intake, today=TODAY)


def test_overdue_is_judged_against_the_day_given_and_closed_requests_never_are() -> None:
    due = domain.due_on(date(2026, 10, 1), 30)
    assert due == date(2026, 10, 31)
    assert not domain.is_overdue("received", due, today=date(2026, 10, 31))
    assert domain.is_overdue("received", due, today=date(2026, 11, 1))
    assert domain.is_overdue("under-review", due, today=TODAY)
    assert not domain.is_overdue("closed", due, today=TODAY)


def test_the_workflow_refuses_illegal_steps_and_says_what_is_missing() -> None:
    assert domain.transition("start-review", "received") == domain.Status.UNDER_REVIEW
    with pytest.raises(Conflict, match="cannot resolve a request that is received"):
        domain.transition("resolve", "received", determination="referred")
    with pytest.raises(Invalid, match="needs a determination"):
        domain.transition("resolve", "under-review")
    with pytest.raises(Conflict, match="await the data owner"):
        domain.transition("resolve", "under-review", determination="referred", decisions=["pending"])
    with pytest.raises(Conflict, match="at least one correction accepted"):
        domain.transition("resolve", "under-review", determination="corrected", decisions=["declined"])
    assert (
        domain.transition("resolve", "under-review", determination="corrected", decisions=["accepted", "declined"])
        == domain.Status.RESOLVED
    )
    with pytest.raises(Conflict, match="record the findings"):
        domain.transition("close", "resolved")
    assert domain.transition("close", "resolved", response_recorded=True) == domain.Status.CLOSED
    with pytest.raises(Invalid, match="needs a reason"):
        domain.transition("reopen", "closed", reason="  ")
    assert domain.transition("reopen", "closed", reason="new evidence") == domain.Status.UNDER_REVIEW
    with pytest.raises(Invalid, match="unknown action"):
        domain.transition("archive", "closed")


def test_responses_follow_the_source_and_corrections_need_a_real_field() -> None:
    domain.check_response("TRIP", "trip-findings", None)
    with pytest.raises(Conflict):
        domain.check_response("TRIP", "individual", "mail")
    domain.check_response("non-TRIP", "agency", "email")
    with pytest.raises(Invalid, match="mail, email or fax"):
        domain.check_response("non-TRIP", "individual", "agency-referral")
    domain.check_correction("dob", "1980-01-01")
    with pytest.raises(Invalid, match="not a correctable"):
        domain.check_correction("shoe_size", "44")
    with pytest.raises(Conflict, match="already accepted"):
        domain.check_decision("accepted", "declined")
