"""The access policy table and the retention rules, with the clock passed in."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime

import pytest

from services.cases import retention_rules as retention
from shared import policy
from shared.auth import PROGRAMS, Principal
from shared.errors import Forbidden, NotFound


def who(role: str, *programs: str) -> Principal:
    return Principal(f"{role}-x", frozenset({role}), frozenset(programs))


@pytest.mark.parametrize(
    ("principal", "action", "allowed"),
    [
        (who("analyst", "M5"), "case:read", True),
        (who("analyst", "M5"), "case:work", True),
        (who("analyst", "M5"), "case:assign", False),
        (who("analyst", "M5"), "case:reopen", False),
        (who("supervisor", "M5"), "case:reopen", True),
        (who("auditor", "M5"), "case:read", True),
        (who("auditor", "M5"), "case:work", False),
        (who("auditor", "M5"), "audit:read", True),
        (who("analyst", *PROGRAMS), "audit:read", False),
        (who("admin"), "case:read", False),  # admins do not work cases
        (who("admin"), "agreement:manage", True),
        (who("admin"), "retention:manage", True),
        (who("analyst", *PROGRAMS), "agreement:manage", False),
        (who("analyst", "M5"), "redress:read", False),  # redress needs REDRESS membership
        (who("analyst", "REDRESS"), "redress:read", True),
        (who("analyst", "REDRESS"), "redress:assign", False),
        (who("supervisor", "REDRESS"), "redress:assign", True),
        (who("auditor", "REPORTING"), "report:read", True),
        (who("analyst", "M5"), "report:read", False),
        (who("auditor", "M5"), "subject:export", True),
        (who("supervisor", *PROGRAMS), "subject:export", False),
    ],
)
def test_the_policy_table_decides(principal: Principal, action: str, allowed: bool) -> None:
    assert policy.allows(principal, action) is allowed
    if allowed:
        policy.authorize(principal, action)
    else:
        with pytest.raises(Forbidden, match=action):
            policy.authorize(principal, action)


def test_an_unknown_action_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(KeyError):
        policy.authorize(who("admin"), "case:delete-everything")


def test_records_of_other_programs_are_hidden_like_unknown_ones() -> None:
    def in_request() -> None:
        policy.enter(who("analyst", "M5", "REDRESS"))
        assert policy.visible_programs() == {"M5"}
        policy.require_visible("M5", "no case 1")
        with pytest.raises(NotFound, match=r"^no case 2$") as caught:
            policy.require_visible("PCSC", "no case 2")
        assert isinstance(caught.value, policy.Hidden) and caught.value.status_code == 404

    contextvars.copy_context().run(in_request)  # the scope stays inside this "request"
    assert policy.visible_programs() is None


def test_outside_a_request_nothing_is_hidden() -> None:
    assert contextvars.Context().run(policy.is_visible, "KST")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_partner_records_go_75_years_after_the_end_of_the_year_collected() -> None:
    rule = retention.DEFAULT_RULES["partner-record"]
    collected = at(2000, 3, 1)
    assert not retention.is_due(rule, collected, at(2075, 12, 31, 23, 59))
    assert retention.is_due(rule, collected, at(2076, 1, 1))
    assert not retention.is_due(rule, at(2000, 12, 31, 23), at(2075, 12, 31, 23, 59))


def test_analysis_records_go_15_years_after_the_end_of_the_year_of_last_use() -> None:
    # Not "now minus 15 years": a record last used on 1 June 2010 is kept through 31 December 2025.
    rule = retention.DEFAULT_RULES["analysis-record"]
    assert not retention.is_due(rule, at(2010, 6, 1, 12), at(2025, 6, 1, 12, 0, 1))
    assert not retention.is_due(rule, at(2010, 6, 1, 12), at(2025, 12, 31, 23, 59, 59))
    assert retention.is_due(rule, at(2010, 6, 1, 12), at(2026, 1, 1))
    assert retention.cutoff(rule, at(2028, 2, 29)) == at(2013, 1, 1)


def test_a_case_is_an_international_record_kept_75_years_after_the_year_it_was_opened() -> None:
    rule = retention.DEFAULT_RULES["international-case"]
    assert (rule.years, rule.row.clock.value) == (75, "gathered")
    assert not retention.is_due(rule, at(2001, 12, 31, 23, 59), at(2076, 12, 31, 23, 59, 59))
    assert retention.is_due(rule, at(2001, 12, 31, 23, 59), at(2077, 1, 1))


def test_periods_are_configurable_but_not_below_a_year_nor_for_unknown_classes() -> None:
    assert retention.rules({"analysis-record": 20})["analysis-record"].years == 20
    with pytest.raises(ValueError, match="at least one year"):
        retention.rules({"analysis-record": 0})
    with pytest.raises(ValueError, match="no retention rule"):
        retention.rules({"emails": 3})
