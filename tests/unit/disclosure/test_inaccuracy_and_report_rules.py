"""A recipient's report of a possible inaccuracy and an owner's report sent as a disclosure (issue 28): the plain
rules of what may be recorded, how each is resolved, and what the report itemises and carries."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.disclosure import inaccuracy_rules as rules
from services.disclosure import owner_report_rules as reports
from shared.errors import Conflict, Invalid

SENT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 4)
ENCOUNTER = uuid.uuid4()


def _disclosure(**over: object) -> dict[str, object]:
    return {
        "draft_id": uuid.uuid4(),
        "state": "sent",
        "encounter_ids": [ENCOUNTER],
        "fields": ["dob", "first_name"],
        "sent_at": SENT,
    } | over


def test_a_report_is_about_an_encounter_and_a_released_field_of_a_delivered_disclosure() -> None:
    rules.check_report(disclosure=_disclosure(), encounter_id=ENCOUNTER, field="dob", received_on=TODAY, today=TODAY)
    rules.check_report(
        disclosure=_disclosure(), encounter_id=ENCOUNTER, field=None, received_on=SENT.date(), today=TODAY
    )
    with pytest.raises(Invalid, match="was not in that disclosure"):
        rules.check_report(
            disclosure=_disclosure(), encounter_id=uuid.uuid4(), field=None, received_on=TODAY, today=TODAY
        )
    with pytest.raises(Invalid, match="'gender' was not released"):
        rules.check_report(
            disclosure=_disclosure(), encounter_id=ENCOUNTER, field="gender", received_on=TODAY, today=TODAY
        )
    with pytest.raises(Invalid, match="not a disclosure to a recipient"):
        rules.check_report(
            disclosure=_disclosure(draft_id=None), encounter_id=ENCOUNTER, field=None, received_on=TODAY, today=TODAY
        )
    with pytest.raises(Conflict, match="not been delivered"):
        rules.check_report(
            disclosure=_disclosure(state="pending"), encounter_id=ENCOUNTER, field=None, received_on=TODAY, today=TODAY
        )


def test_a_report_is_received_between_the_disclosure_and_today() -> None:
    with pytest.raises(Invalid, match="future"):
        rules.check_report(
            disclosure=_disclosure(),
            encounter_id=ENCOUNTER,
            field=None,
            received_on=TODAY + dt.timedelta(days=1),
            today=TODAY,
        )
    with pytest.raises(Invalid, match="before the disclosure was sent"):
        rules.check_report(
            disclosure=_disclosure(), encounter_id=ENCOUNTER, field=None, received_on=dt.date(2026, 1, 1), today=TODAY
        )


def test_a_correction_names_a_correctable_field_and_a_value_it_can_hold_and_says_why() -> None:
    rules.check_resolution("correction", note="the owner confirmed", field="first_name", value="Chidiebere")
    rules.check_resolution("no-change", note="both owners agree", field=None, value=None)
    with pytest.raises(Invalid, match="not a correctable encounter field"):
        rules.check_resolution("correction", note="x", field="match_result", value="MATCH")
    with pytest.raises(Invalid, match="corrected_value"):
        rules.check_resolution("correction", note="x", field="dob", value=" ")
    with pytest.raises(Invalid, match="not a valid dob_precision"):
        rules.check_resolution("correction", note="x", field="dob_precision", value="fortnight")
    with pytest.raises(Invalid, match="note: say why"):
        rules.check_resolution("no-change", note="  ", field=None, value=None)
    with pytest.raises(Invalid, match="changes no field"):
        rules.check_resolution("no-change", note="kept", field="dob", value="1980")
    with pytest.raises(Invalid, match="resolution must be one of"):
        rules.check_resolution("ignored", note="x", field=None, value=None)


def test_a_report_moves_received_correcting_resolved_answer_drafted_answered() -> None:
    def status(resolution: str | None, applied: bool = False, drafted: bool = False, answered: bool = False) -> str:
        return rules.status(
            resolution=resolution, correction_applied=applied, answer_drafted=drafted, answered=answered
        )

    assert status(None) == "received"
    assert status("correction") == "correcting"  # not resolved until cases applied the owner's correction
    assert status("correction", applied=True) == "resolved"
    assert status("no-change") == "resolved"
    assert status("no-change", drafted=True) == "answer-drafted"
    assert status("no-change", drafted=True, answered=True) == "answered"


def test_a_wrong_move_is_refused_naming_what_comes_first() -> None:
    rules.require_status("received", ("received",), "resolved")
    with pytest.raises(Conflict, match="is received: it cannot be answered; resolve it first"):
        rules.require_status("received", ("resolved",), "answered")
    with pytest.raises(Conflict, match="not applied in cases yet"):
        rules.require_status("correcting", ("resolved",), "answered")
    with pytest.raises(Conflict, match="answered already"):
        rules.require_status("answered", ("received",), "resolved")


def test_the_answer_says_which_report_it_answers_and_how_it_was_resolved() -> None:
    text = rules.answer_note(
        received_on=TODAY,
        disclosed_on=SENT.date(),
        resolution="correction",
        resolution_note="the owner corrected it",
        field="first_name",
        note="Thank you.",
    )
    assert "received 2026-12-04, about the information we sent on 2026-11-20" in text
    assert "Resolution: corrected. The data owner corrected first_name" in text
    assert text.endswith("Reason: the owner corrected it\n\nThank you.")
    kept = rules.answer_note(
        received_on=TODAY,
        disclosed_on=SENT.date(),
        resolution="no-change",
        resolution_note="it stands",
        field=None,
        note="",
    )
    assert "Resolution: no change." in kept and kept.endswith("Reason: it stands")


def _item(subject: uuid.UUID, encounters: list[uuid.UUID], at: dt.datetime) -> dict[str, object]:
    return {
        "accounting_id": uuid.uuid4(),
        "sent_at": at,
        "case_id": uuid.uuid4(),
        "subject_id": subject,
        "program": "M5",
        "partner_country": "GBR",
        "partner_transaction_number": "T-1",
        "recipient_agency": "UK Home Office",
        "encounter_ids": encounters,
    }


def test_an_owners_report_goes_to_its_own_organisation_about_its_own_data() -> None:
    assert reports.owner_of("dos", ["DOS"], "Department of State") == "DOS"
    assert reports.owner_of("dhs-component", ["CBP"], "CBP") == "CBP"
    with pytest.raises(Invalid, match="dos or dhs-component; UKVI is foreign-partner"):
        reports.owner_of("foreign-partner", ["DOS"], "UKVI")
    with pytest.raises(Invalid, match="covers 2 data owners"):
        reports.owner_of("dos", ["DOS", "CBP"], "Department of State")
    with pytest.raises(Conflict, match="nothing of DOS's was shared"):
        reports.require_items([], "DOS")


def test_a_reports_period_is_over_and_at_most_a_year() -> None:
    reports.check_period(dt.date(2026, 1, 1), TODAY, today=TODAY)
    with pytest.raises(Invalid, match="to is before from"):
        reports.check_period(TODAY, dt.date(2026, 1, 1), today=TODAY)
    with pytest.raises(Invalid, match="future"):
        reports.check_period(TODAY, TODAY + dt.timedelta(days=1), today=TODAY)
    with pytest.raises(Invalid, match="at most 366 days"):
        reports.check_period(dt.date(2024, 1, 1), TODAY, today=TODAY)


def test_a_report_itemises_each_response_carries_the_limits_and_is_accounted_per_subject() -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    e1, e2, e3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    later = SENT + dt.timedelta(hours=2)
    items = reports.frozen_items([_item(alice, [e2], later), _item(alice, [e1], SENT), _item(bob, [e3], SENT)])
    assert [i["sent_at"] for i in items] == sorted(i["sent_at"] for i in items)  # oldest first, whatever came
    body = reports.render(
        owner="DOS", agency="Department of State", start=TODAY, end=TODAY, items=items, limits="Official use only."
    )
    assert body.startswith(
        "Report to Department of State: DOS encounters subsequently shared, 2026-12-04 to 2026-12-04"
    )
    assert "Responses: 3; encounters shared: 3" in body and all(str(e) in body for e in (e1, e2, e3))
    assert body.endswith("USE AND RE-DISSEMINATION LIMITS: Official use only.\n")
    by_subject = reports.per_subject(items)
    assert sorted(by_subject[alice][1]) == sorted([e1, e2]) and by_subject[bob][1] == [e3]
    reports.require_unchanged(items, [dict(i) for i in items])
    with pytest.raises(Conflict, match="changed since this report was drafted"):
        reports.require_unchanged(items, items[:2])  # a response withdrawn (or accounted) since the draft


def test_a_reports_approvals_count_since_it_was_last_sent_back() -> None:
    from services.disclosure.report_sends import _approvers

    steps = [
        {"step": "review-requested", "actor": "analyst"},
        {"step": "approved", "actor": "supervisor"},
        {"step": "sent-back", "actor": "supervisor2"},
        {"step": "review-requested", "actor": "analyst"},
        {"step": "approved", "actor": "supervisor2"},
    ]
    assert _approvers(steps) == ["supervisor2"]
    assert _approvers(steps[:2]) == ["supervisor"]
    assert _approvers(steps[:3]) == []
