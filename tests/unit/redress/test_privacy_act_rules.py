"""Privacy Act requests' clocks and workflow rules (plain Python)."""

from __future__ import annotations

from datetime import date

import pytest

from services.redress import privacy_act_rules as rules
from shared.errors import Conflict, Invalid

FRIDAY = date(2026, 11, 20)


def test_the_statutory_clock_counts_working_days_and_skips_holidays() -> None:
    assert rules.add_working_days(FRIDAY, 1) == date(2026, 11, 23)  # Monday
    assert rules.add_working_days(FRIDAY, 10) == date(2026, 12, 4)
    thanksgiving = date(2026, 11, 26)
    assert rules.add_working_days(FRIDAY, 10, [thanksgiving]) == date(2026, 12, 7)
    assert rules.add_working_days(FRIDAY, 20) == date(2026, 12, 18)


def test_the_running_clock_is_the_requests_then_none_then_the_appeals() -> None:
    due, appeal_due = date(2026, 12, 1), date(2027, 2, 1)
    assert rules.running_clock("received", due, None) == due
    assert rules.running_clock("decided", due, None) == due
    assert rules.running_clock("responded", due, None) is None
    assert rules.running_clock("appealed", due, appeal_due) == appeal_due
    assert rules.is_overdue("received", due, None, today=date(2026, 12, 2))
    assert not rules.is_overdue("received", due, None, today=due)
    assert not rules.is_overdue("responded", due, None, today=date(2027, 6, 1))
    assert rules.is_overdue("appealed", due, appeal_due, today=date(2027, 2, 2))
    assert not rules.is_overdue("closed", due, appeal_due, today=date(2030, 1, 1))


def test_an_amendment_states_its_proposed_amendment_and_an_access_request_does_not() -> None:
    with pytest.raises(Invalid, match="proposed amendment"):
        rules.check_intake("amendment", received_on=FRIDAY, today=FRIDAY, proposed_amendment=" ")
    with pytest.raises(Invalid, match="only an amendment"):
        rules.check_intake("access", received_on=FRIDAY, today=FRIDAY, proposed_amendment="x")
    with pytest.raises(Invalid, match="future"):
        rules.check_intake("access", received_on=date(2026, 11, 21), today=FRIDAY, proposed_amendment=None)
    rules.check_intake("amendment", received_on=FRIDAY, today=FRIDAY, proposed_amendment="Nationality: PRT")


def test_a_decision_follows_the_exemption_review_and_only_an_adverse_one_is_appealed() -> None:
    with pytest.raises(Invalid, match="basis"):
        rules.check_exemption_review("received", "(j)(2)", "")
    rules.check_exemption_review("received", "none", "")
    with pytest.raises(Conflict, match="exemption review"):
        rules.check_decision("received", "granted", exemption=None, reason="")
    with pytest.raises(Invalid, match="reason"):
        rules.check_decision("received", "denied", exemption="(k)(2)", reason="")
    with pytest.raises(Conflict, match="only an adverse"):
        rules.check_appeal("responded", "granted", FRIDAY, responded_on=FRIDAY, today=FRIDAY)
    with pytest.raises(Conflict, match="follows the response"):
        rules.check_appeal("decided", "denied", FRIDAY, responded_on=FRIDAY, today=FRIDAY)
    rules.check_appeal("responded", "partially-granted", FRIDAY, responded_on=FRIDAY, today=FRIDAY)
    with pytest.raises(Conflict, match="no appeal is pending"):
        rules.check_appeal_decision("responded", "upheld", "r")
    with pytest.raises(Conflict, match="answered"):
        rules.check_close("appealed")
