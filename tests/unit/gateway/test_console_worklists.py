"""The worklist pages against a fake API: the filters and page go to the API and stay in the links, a draft's
discard is offered to its drafter or a supervisor only, and refusals come back with what was typed."""

from __future__ import annotations

import uuid
from typing import Any

from tests.unit.gateway.console_fake import FakeApi, console_client, csrf_of, forms_on

DRAFT = str(uuid.uuid4())
CASE = str(uuid.uuid4())


def _draft(status: str = "draft", created_by: str = "ann") -> dict[str, Any]:
    return {
        "id": DRAFT, "case_id": CASE, "status": status, "matched": True, "purpose": "immigration",
        "created_by": created_by, "created_at": "2026-12-04T10:00:00Z", "sent_at": None, "program": "M5",
        "recipient_person": "Officer", "reviews": [], "agreement_version": 1, "approvals_required": 1,
        "released": {"encounters": {}}, "withheld": [], "readiness_override": None, "repeat_reason": None,
    }  # fmt: skip


def test_disclosures_is_a_list_with_its_filters_sent_to_the_api_and_kept_in_the_next_link() -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/disclosures", [_draft()] * 26)  # one more than a page: there is a next page
    client = console_client(fake, "ann", {"analyst"}, {"M5"})
    r = client.get("/disclosures?mine=1&status=draft")
    assert r.status_code == 200 and "My drafts and disclosures" in r.text
    [params] = fake.params("GET", "/api/v1/disclosures")
    assert params == {"mine": "true", "status": "draft", "limit": "26", "offset": "0"}
    assert 'href="/disclosures?status=draft&amp;mine=1&amp;page=2"' in r.text
    assert f'href="/disclosures/{DRAFT}"' in r.text


def test_a_page_that_is_not_a_number_is_said_in_words() -> None:
    client = console_client(FakeApi(), "ann", {"analyst"}, {"M5"})
    r = client.get("/disclosures?page=x")
    assert r.status_code == 422 and "is not a page number" in r.text


def test_an_unknown_case_status_in_the_queues_address_is_said_not_shown_as_any() -> None:
    """`/cases?status=nwe` once showed "any" in the select and "No case matches": the typo is named instead."""
    fake = FakeApi()
    client = console_client(fake, "ann", {"analyst"}, {"M5"})
    r = client.get("/cases?status=nwe")
    assert r.status_code == 422 and "“nwe” is not a case status: one of new, in-review" in r.text
    assert fake.params("GET", "/api/v1/cases") == []  # nothing asked of the API


def test_discard_is_offered_to_the_drafter_and_a_supervisor_not_to_another_analyst() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/disclosures/{DRAFT}", _draft())
    fake.on("GET", f"/api/v1/cases/{CASE}", {"id": CASE, "subject_id": str(uuid.uuid4()), "encounters": []})
    discard = f"/disclosures/{DRAFT}/discard"
    assert discard in forms_on(console_client(fake, "ann", {"analyst"}, {"M5"}).get(f"/disclosures/{DRAFT}").text)
    assert discard in forms_on(console_client(fake, "sue", {"supervisor"}, {"M5"}).get(f"/disclosures/{DRAFT}").text)
    assert discard not in forms_on(console_client(fake, "bob", {"analyst"}, {"M5"}).get(f"/disclosures/{DRAFT}").text)


def test_reviews_awaited_asks_the_api_for_drafts_awaiting_the_caller() -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/disclosures", [_draft("in-review")])
    r = console_client(fake, "sue", {"supervisor"}, {"M5"}).get("/reviews")
    assert r.status_code == 200 and DRAFT[:8] in r.text
    assert fake.params("GET", "/api/v1/disclosures")[0]["awaiting_review"] == "true"


def test_a_refused_redress_request_comes_back_with_everything_typed() -> None:
    fake = FakeApi()
    fake.on("POST", "/api/v1/redress", {"detail": "a DHS TRIP request needs its TRIP/redress number"}, status=422)
    client = console_client(fake, "ann", {"analyst"}, {"REDRESS"})
    form = {
        "csrf_token": csrf_of(client, "/redress/new"), "source": "TRIP", "sent_on": "2026-12-01",
        "received_on": "2026-12-02", "submitting_agency": "DHS TRIP", "requester_last_name": "Ωμέγα",
        "contested_information": "the DOB", "reason": "born in 1972",
    }  # fmt: skip
    r = client.post("/redress", data=form)
    assert r.status_code == 422 and "needs its TRIP/redress number" in r.text
    assert 'value="Ωμέγα"' in r.text and ">born in 1972</textarea>" in r.text and 'value="2026-12-01"' in r.text


def test_the_unread_count_is_empty_when_nothing_is_unread() -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/notifications/unread", {"unread": 0})
    client = console_client(fake, "ann", {"analyst"}, {"M5"})
    assert client.get("/notifications/count").text == ""
    fake.on("GET", "/api/v1/notifications/unread", {"unread": 3})
    assert "3 unread" in client.get("/notifications/count").text


def test_a_parameter_the_queue_does_not_know_is_named_not_dropped() -> None:
    """`/cases?stauts=new` once went on to `/cases`, the whole queue, as if the filter had been applied."""
    fake = FakeApi()
    client = console_client(fake, "ann", {"analyst"}, {"M5"})
    r = client.get("/cases?stauts=new&program=M5", follow_redirects=False)
    assert r.status_code == 422 and "“stauts” is not something the queue filters by: one of status," in r.text
    assert fake.params("GET", "/api/v1/cases") == []  # nothing listed as if the typo were a filter
    assert 'value="M5"' in r.text or ">M5<" in r.text  # the filters it knows stay in the form


def test_a_withheld_encounter_is_named_as_the_case_page_names_it_its_short_id_as_code() -> None:
    """Withheld items name encounters by id; the page says which (date, O/U/S) and shows the short id as ids are
    shown everywhere, so a field withheld keeps its words after the name."""
    encounter = str(uuid.uuid4())
    draft = _draft()
    draft["withheld"] = [
        {"item": f"encounter {encounter} field dob", "rule": "not in the agreement"},
        {"item": "covering note", "rule": "quotes withheld information"},
    ]
    fake = FakeApi()
    fake.on("GET", f"/api/v1/disclosures/{DRAFT}", draft)
    fields = {"encounter_date": "2020-03-04", "ous": "CBP/OFO/MIA"}
    fake.on(
        "GET",
        f"/api/v1/cases/{CASE}",
        {"id": CASE, "subject_id": "s", "encounters": [{"id": encounter, "fields": fields}]},
    )
    r = console_client(fake, "ann", {"analyst"}, {"M5"}).get(f"/disclosures/{DRAFT}")
    assert r.status_code == 200
    assert f"<td>encounter 2020-03-04 CBP/OFO/MIA (<code>{encounter[:8]}</code>) field dob</td>" in r.text
    assert "<td>covering note</td>" in r.text and encounter not in r.text
