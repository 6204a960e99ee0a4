"""The gate's plain rules: readiness, the two-person rule's floor, repeat reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from services.disclosure import gate
from shared.errors import Conflict, Forbidden, Invalid

AT = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def test_a_ready_case_needs_no_override_and_any_finding_counts() -> None:
    ready = gate.Readiness.from_view({"missing_searches": [], "findings": [{"kind": gate.NO_DI}]})
    assert ready.problems() == []
    assert gate.readiness_override(ready, reason=None, may_override=False, actor="ana", at=AT) is None


def test_an_unready_case_is_refused_naming_what_is_missing_and_only_a_supervisor_overrides() -> None:
    unready = gate.Readiness.from_view({"missing_searches": ["IDENT-SIT", "TECS"], "findings": []})
    with pytest.raises(Conflict, match="IDENT-SIT, TECS; no finding recorded"):
        gate.readiness_override(unready, reason="  ", may_override=True, actor="sam", at=AT)
    with pytest.raises(Forbidden):
        gate.readiness_override(unready, reason="deadline", may_override=False, actor="ana", at=AT)
    with pytest.raises(Invalid, match="override_reason"):
        gate.readiness_override(unready, reason="x" * 2001, may_override=True, actor="sam", at=AT)
    kept = gate.readiness_override(unready, reason="deadline", may_override=True, actor="sam", at=AT)
    assert kept is not None and kept["by"] == "sam" and len(kept["missing"]) == 2


def test_the_two_person_rule_is_never_switched_off() -> None:
    assert gate.approvals_required(agreement_minimum=0) == 1
    assert gate.approvals_required(agreement_minimum=3) == 3
    with pytest.raises(Forbidden, match="drafter"):
        gate.require_reviewer(drafter="sam", reviewer="sam", earlier_approvers=(), may_approve=True)
    with pytest.raises(Conflict, match="needs 1 approval"):
        gate.require_approved("approved", 0, 1)


def test_a_repeat_needs_a_reason_and_a_first_disclosure_does_not() -> None:
    assert gate.repeat_reason([], None) is None
    with pytest.raises(Conflict, match=r"repeat_reason: .*1 time"):
        gate.repeat_reason([{"sent_at": AT}], "")
    assert gate.repeat_reason([{"sent_at": AT}], " asked again ") == "asked again"
