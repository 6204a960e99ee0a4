"""A redress request's linked records: each shown with its encounter and case from cases' API where the user
may read them, and a record the user may not read says so (the API's 404) without failing the page."""

from __future__ import annotations

import uuid
from typing import Any

from tests.unit.gateway.console_fake import FakeApi, console_client

RID, SUBJECT = str(uuid.uuid4()), str(uuid.uuid4())
SEEN, HIDDEN, OTHER = (str(uuid.uuid4()) for _ in range(3))
CASE, SECOND_CASE = str(uuid.uuid4()), str(uuid.uuid4())


def _link(encounter_id: str, note: str = "") -> dict[str, Any]:
    return {"redress_id": RID, "encounter_id": encounter_id, "note": note, "linked_by": "r.ortiz",
            "linked_at": "2026-04-02T10:00:00Z"}  # fmt: skip


def _request(*links: dict[str, Any]) -> dict[str, Any]:
    return {"id": RID, "trip_number": "TRIP-1", "status": "under-review", "overdue": False, "source": "TRIP",
            "submitting_agency": "DHS TRIP", "received_on": "2026-04-01", "due_on": "2026-05-01",
            "requester": {"last_name": "Marchetti", "first_name": "Lucia", "dob": "1979-11-23"},
            "contested_information": "secondary inspection", "reason": "wrong DOB", "reviewers": [],
            "determination": None, "response": None, "timeline": [], "findings": [], "corrections": [],
            "linked_records": list(links)}  # fmt: skip


def _encounter(encounter_id: str) -> dict[str, Any]:
    fields = {"fin": "48213377", "last_name": "Marchetti", "first_name": "Lucia", "data_owner": "CBP",
              "encounter_date": "2020-05-01", "ous": "CBP/OFO/MIA", "partner_transaction_number": "TCN-77"}  # fmt: skip
    return {"id": encounter_id, "subject_id": SUBJECT, "program": "M5", "fields": fields, "dob": "1979-11-23"}


def _case(case_id: str) -> dict[str, Any]:
    return {"id": case_id, "subject_id": SUBJECT, "program": "M5", "status": "in-review", "assignee": "analyst",
            "partner_country": "AUS", "partner_transaction_number": "TCN-77"}  # fmt: skip


def test_a_readable_record_shows_its_case_summary_and_an_unreadable_one_the_apis_refusal() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/redress/{RID}", _request(_link(SEEN, "2020 entry"), _link(HIDDEN)))
    fake.on("GET", f"/api/v1/encounters/{SEEN}", _encounter(SEEN))
    fake.on("GET", f"/api/v1/encounters/{HIDDEN}", {"detail": f"no encounter {HIDDEN}"}, status=404)
    fake.on("GET", "/api/v1/cases", {"items": [_case(CASE)], "next_cursor": None})
    officer = console_client(fake, "r.ortiz", {"analyst"}, {"REDRESS", "M5"})

    page = officer.get(f"/redress/{RID}")
    assert page.status_code == 200
    linked = page.text[page.text.index('id="h-linked"') : page.text.index('id="h-rf"')]
    assert f'<a href="/cases/{CASE}">Case {CASE[:8]}</a>' in linked and "in-review" in linked
    for shown in ("48213377", "TCN-77", "CBP", "2020-05-01", "M5", "2020 entry", "r.ortiz"):
        assert shown in linked, shown
    assert "You may not read this record" in linked and f"no encounter {HIDDEN}" in linked and "(404)" in linked
    assert fake.params("GET", "/api/v1/cases") == [{"subject": SUBJECT, "program": "M5", "limit": "20"}]


def test_of_several_cases_of_the_subject_the_one_holding_the_encounter_is_shown() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/redress/{RID}", _request(_link(SEEN)))
    fake.on("GET", f"/api/v1/encounters/{SEEN}", _encounter(SEEN))
    fake.on("GET", "/api/v1/cases", {"items": [_case(SECOND_CASE), _case(CASE)], "next_cursor": None})
    fake.on("GET", f"/api/v1/cases/{SECOND_CASE}", {**_case(SECOND_CASE), "encounters": [_encounter(OTHER)]})
    fake.on("GET", f"/api/v1/cases/{CASE}", {**_case(CASE), "encounters": [_encounter(SEEN)]})
    page = console_client(fake, "r.ortiz", {"analyst"}, {"REDRESS", "M5"}).get(f"/redress/{RID}")
    assert f'href="/cases/{CASE}"' in page.text and f'href="/cases/{SECOND_CASE}"' not in page.text


def test_a_user_whose_role_reads_no_case_sees_the_apis_403_in_place_of_the_record() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/redress/{RID}", _request(_link(SEEN)))
    words = "case:read needs one of the roles analyst, auditor, supervisor"
    fake.on("GET", f"/api/v1/encounters/{SEEN}", {"detail": words}, status=403)
    page = console_client(fake, "r.ortiz", {"analyst"}, {"REDRESS"}).get(f"/redress/{RID}")
    assert page.status_code == 200 and words in page.text and "(403)" in page.text
