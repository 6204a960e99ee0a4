"""Information bulletins in the console: the list with the API's filter, a bulletin for readers, and the
writers' forms, whose refusals (a bulletin no longer a draft, a field too long) come back in the API's words."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.gateway.console_fake import FakeApi, console_client, csrf_of, forms_on

BID = str(uuid.uuid4())
TEXT = {
    "title": "Unknown deceased identified after a bus accident",
    "description": "Situational awareness for IDENT stakeholders",
    "case_summary": "Fingerprints of one unidentified deceased person were searched through IDENT.",
    "services_provided": "Latent print search; examiner verification",
    "outcome": "",
}


def _bulletin(status: str = "draft") -> dict[str, Any]:
    at = "2026-03-01T09:00:00Z"
    return {**TEXT, "id": BID, "author": "a.okafor", "status": status, "created_at": at, "sent_at": None,
            "approved_at": None, "updated_at": at, "updated_by": "a.okafor"}  # fmt: skip


@pytest.fixture
def fake() -> FakeApi:
    fake = FakeApi()
    fake.on("GET", "/api/v1/bulletins", [_bulletin()])
    fake.on("GET", f"/api/v1/bulletins/{BID}", _bulletin())
    return fake


@pytest.fixture
def writer(fake: FakeApi) -> TestClient:
    return console_client(fake, "a.okafor", {"analyst"}, {"REPORTING"})


def test_the_list_passes_the_apis_status_filter_and_pages_by_offset(fake: FakeApi, writer: TestClient) -> None:
    page = writer.get("/bulletins?status=sent&offset=50")
    assert page.status_code == 200 and TEXT["title"] in page.text
    assert fake.params("GET", "/api/v1/bulletins") == [{"status": "sent", "limit": "50", "offset": "50"}]
    assert '<a href="/bulletins">Bulletins</a>' in page.text  # in the navigation of bulletin readers


def test_a_bulletin_is_drafted_through_the_api_and_a_refusal_keeps_what_was_typed(
    fake: FakeApi, writer: TestClient
) -> None:
    fake.on("POST", "/api/v1/bulletins", _bulletin(), status=201)
    r = writer.post("/bulletins", data={**TEXT, "csrf_token": csrf_of(writer, "/bulletins/new")})
    assert r.status_code == 303 and r.headers["location"] == f"/bulletins/{BID}"
    assert fake.sent("POST", "/api/v1/bulletins") == [TEXT]

    fake.on("POST", "/api/v1/bulletins", {"detail": [{"loc": ["body", "title"], "msg": "too long"}]}, status=422)
    r = writer.post("/bulletins", data={**TEXT, "csrf_token": csrf_of(writer, "/bulletins/new")})
    assert r.status_code == 422 and "title: too long" in r.text and TEXT["case_summary"] in r.text


def test_editing_a_bulletin_no_longer_a_draft_shows_the_apis_conflict_with_the_edit_kept(
    fake: FakeApi, writer: TestClient
) -> None:
    words = "only draft bulletins can be changed or deleted; this one is sent"
    fake.on("PATCH", f"/api/v1/bulletins/{BID}", {"detail": words}, status=409)
    edited = {**TEXT, "outcome": "Identified; family notified through the consulate"}
    r = writer.post(f"/bulletins/{BID}/edit", data={**edited, "csrf_token": csrf_of(writer, f"/bulletins/{BID}/edit")})
    assert r.status_code == 409 and words in r.text and "family notified through the consulate" in r.text
    assert fake.sent("PATCH", f"/api/v1/bulletins/{BID}") == [edited]


def test_a_writer_deletes_and_advances_a_draft_and_a_reader_sees_no_action(fake: FakeApi, writer: TestClient) -> None:
    page = writer.get(f"/bulletins/{BID}").text
    assert forms_on(page) == [f"/bulletins/{BID}/send", f"/bulletins/{BID}/delete"]
    fake.on("DELETE", f"/api/v1/bulletins/{BID}", status=204)
    r = writer.post(f"/bulletins/{BID}/delete", data={"csrf_token": csrf_of(writer, f"/bulletins/{BID}")})
    assert r.status_code == 303 and r.headers["location"] == "/bulletins"
    fake.on("POST", f"/api/v1/bulletins/{BID}/send", _bulletin("sent"))
    r = writer.post(f"/bulletins/{BID}/send", data={"csrf_token": csrf_of(writer, f"/bulletins/{BID}")})
    assert r.status_code == 303 and ("POST", f"/api/v1/bulletins/{BID}/send") in [(m, p) for m, p, *_ in fake.calls]

    auditor = console_client(fake, "auditor", {"auditor"}, {"REPORTING"})
    page = auditor.get(f"/bulletins/{BID}")
    assert page.status_code == 200 and TEXT["case_summary"] in page.text and forms_on(page.text) == []
    assert auditor.get("/bulletins/new").status_code == 403


def test_without_reporting_the_navigation_has_no_bulletins(fake: FakeApi) -> None:
    admin = console_client(fake, "admin", {"admin"}, set())
    fake.on("GET", "/api/v1/users", [])
    assert 'href="/bulletins"' not in admin.get("/admin").text
