"""Agreements in the console: admins create, revise (a new version) and add recipients through the disclosure
API; its refusals come back on the form with what was typed; others see no form."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.gateway.console_fake import FakeApi, console_client, csrf_of, forms_on, text_of

AID = str(uuid.uuid4())
CERT = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----"


def _version(version: int, note: str, **terms: Any) -> dict[str, Any]:
    base = {
        "partner_country": "GRC",
        "partner_agency": "Hellenic Police",
        "program": "PCSC",
        "data_owners": ["CBP", "ICE"],
        "ous": ["CBP/OFO", "ICE/HSI"],
        "fields": ["fin", "last_name", "dob"],
        "di_categories": ["CRIMINAL"],
        "protected_classes": [],
        "caveat": "",
        "purposes": ["serious-crime"],
        "valid_from": "2010-01-01",
        "valid_to": None,
    }
    return {**base, **terms, "version": version, "change_note": note, "changed_by": "admin",
            "changed_at": "2026-01-02T10:00:00Z"}  # fmt: skip


def _agreement() -> dict[str, Any]:
    current = _version(2, "extended to 2030", valid_to="2030-12-31")
    return {**current, "id": AID, "name": "PCSC Greece", "created_at": "2026-01-01T10:00:00Z", "created_by": "admin",
            "history": [_version(1, "created"), current], "recipients": []}  # fmt: skip


@pytest.fixture
def fake() -> FakeApi:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/agreements/{AID}", _agreement())
    return fake


@pytest.fixture
def admin(fake: FakeApi) -> TestClient:
    return console_client(fake, "admin", {"admin"}, set())


NEW = {
    "name": "M5 New Zealand",
    "partner_country": "nzl",
    "partner_agency": "Immigration New Zealand",
    "program": "M5",
    "purposes": "immigration, border-security",
    "data_owners": "CBP,USCIS",
    "ous": "*",
    "di_categories": "",
    "fields": ["fin", "dob", "findings"],
    "protected_classes": ["T"],
    "caveat": "",
    "valid_from": "2026-01-01",
    "valid_to": "",
    "change_note": "",
    "approvals_required": "2",  # stricter than the two-person rule's one approval
}


def test_an_admin_creates_an_agreement_with_every_term_as_the_api_takes_them(fake: FakeApi, admin: TestClient) -> None:
    fake.on("POST", "/api/v1/agreements", {"id": AID}, status=201)
    r = admin.post("/admin/agreements", data={**NEW, "csrf_token": csrf_of(admin, "/admin/agreements/new")})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/agreements/{AID}"
    assert fake.sent("POST", "/api/v1/agreements") == [
        {
            "name": "M5 New Zealand",
            "change_note": "created",
            "recipient_kind": "foreign-partner",
            "partner_country": "NZL",
            "partner_agency": "Immigration New Zealand",
            "program": "M5",
            "caveat": "",
            "use_limits": "",
            "valid_from": "2026-01-01",
            "valid_to": None,
            "data_owners": ["CBP", "USCIS"],
            "ous": ["*"],
            "purposes": ["immigration", "border-security"],
            "di_categories": [],
            "fields": ["fin", "dob", "findings"],
            "protected_classes": ["T"],
            "approvals_required": 2,
        }
    ]


def test_a_refused_agreement_comes_back_in_the_apis_words_with_the_form_as_typed(
    fake: FakeApi, admin: TestClient
) -> None:
    words = "an agreement that shares protected classes must carry their caveat language"
    fake.on("POST", "/api/v1/agreements", {"detail": words}, status=422)
    r = admin.post("/admin/agreements", data={**NEW, "csrf_token": csrf_of(admin, "/admin/agreements/new")})
    assert r.status_code == 422 and words in r.text
    assert 'value="M5 New Zealand"' in r.text and 'value="Immigration New Zealand"' in r.text
    assert 'value="immigration, border-security"' in r.text
    assert 'id="a-pc-T" name="protected_classes" value="T" checked' in r.text
    assert 'id="a-f-findings" name="fields" value="findings" checked' in r.text


def test_the_revision_form_starts_from_the_current_version_and_the_history_shows_every_version(
    admin: TestClient,
) -> None:
    page = admin.get(f"/admin/agreements/{AID}").text
    assert 'id="v-to" name="valid_to" type="date" value="2030-12-31"' in page
    assert 'id="v-di" name="di_categories" value="CRIMINAL"' in page
    assert 'id="v-f-dob" name="fields" value="dob" checked' in page
    assert "extended to 2030" in page and "Record version 3" in page
    assert f"/admin/agreements/{AID}/versions" in forms_on(page) and f"/admin/agreements/{AID}/recipients" in forms_on(
        page
    )


def test_a_revision_is_a_put_with_its_change_note_and_a_conflict_keeps_what_was_typed(
    fake: FakeApi, admin: TestClient
) -> None:
    form = {**NEW, "change_note": "adds T visas", "caveat": "T-visa holders: 8 U.S.C. 1367 applies"}
    fake.on("PUT", f"/api/v1/agreements/{AID}", {**_agreement(), "version": 3})
    r = admin.post(f"/admin/agreements/{AID}/versions", data={**form, "csrf_token": csrf_of(admin, "/admin")})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/agreements/{AID}"
    (sent,) = fake.sent("PUT", f"/api/v1/agreements/{AID}")
    assert sent["change_note"] == "adds T visas" and sent["protected_classes"] == ["T"] and "name" not in sent

    fake.on("PUT", f"/api/v1/agreements/{AID}", {"detail": "valid_to is before valid_from"}, status=422)
    r = admin.post(f"/admin/agreements/{AID}/versions", data={**form, "csrf_token": csrf_of(admin, "/admin")})
    assert r.status_code == 422 and "valid_to is before valid_from" in r.text
    assert 'value="adds T visas"' in r.text and 'value="Immigration New Zealand"' in r.text
    assert "<details open><summary>Revise these terms" in r.text


def test_a_recipient_is_added_with_the_certificate_from_a_file_and_a_refusal_keeps_the_form(
    fake: FakeApi, admin: TestClient
) -> None:
    path = f"/api/v1/agreements/{AID}/recipients"
    fake.on("POST", path, {"id": str(uuid.uuid4())}, status=201)
    data = {"person": "Eleni Papadaki", "email": "e.papadaki@astynomia.gr", "csrf_token": csrf_of(admin, "/admin")}
    r = admin.post(
        f"/admin/agreements/{AID}/recipients",
        data=data,
        files={"certificate_file": ("e.crt", CERT.encode(), "application/x-pem")},
    )
    assert r.status_code == 303
    assert fake.sent("POST", path) == [{"person": "Eleni Papadaki", "email": "e.papadaki@astynomia.gr",
                                        "certificate_pem": CERT}]  # fmt: skip

    fake.on("POST", path, {"detail": "email: value is not a valid email address"}, status=422)
    r = admin.post(
        f"/admin/agreements/{AID}/recipients", data={**data, "email": "not-an-address", "certificate_pem": CERT}
    )
    assert r.status_code == 422 and "value is not a valid email address" in r.text
    assert 'value="Eleni Papadaki"' in r.text and 'value="not-an-address"' in r.text and "MIIB..." in r.text


def test_without_agreement_manage_the_pages_offer_no_form_and_the_new_form_is_refused(fake: FakeApi) -> None:
    supervisor = console_client(fake, "supervisor", {"supervisor"}, {"PCSC"})
    page = supervisor.get(f"/admin/agreements/{AID}")
    assert page.status_code == 200 and "Hellenic Police" in page.text and forms_on(page.text) == []
    refused = supervisor.get("/admin/agreements/new")
    assert refused.status_code == 403 and "agreement:manage needs one of the roles admin" in refused.text


def test_an_active_recipient_is_retired_with_a_reason_and_a_retired_one_offers_no_form(fake: FakeApi) -> None:
    active, gone = str(uuid.uuid4()), str(uuid.uuid4())
    people = [
        {"id": active, "person": "Eleni Papadaki", "email": "e@astynomia.gr", "has_certificate": True,
         "created_by": "admin", "created_at": "2026-01-01T10:00:00Z", "retired_at": None},
        {"id": gone, "person": "Old Desk", "email": "old@astynomia.gr", "has_certificate": True,
         "created_by": "admin", "created_at": "2026-01-01T10:00:00Z", "retired_at": "2026-02-01T09:00:00Z",
         "retired_by": "admin", "retired_reason": "left the agency"},
    ]  # fmt: skip
    fake.on("GET", f"/api/v1/agreements/{AID}", {**_agreement(), "recipients": people})
    admin = console_client(fake, "admin", {"admin"}, set())
    page = admin.get(f"/admin/agreements/{AID}").text
    forms = forms_on(page)
    assert f"/admin/agreements/{AID}/recipients/{active}/retire" in forms
    assert f"/admin/agreements/{AID}/recipients/{gone}/retire" not in forms
    assert "Retired 2026-02-01 09:00 UTC by admin: left the agency" in text_of(page)

    path = f"/api/v1/agreements/{AID}/recipients/{active}/retire"
    fake.on("POST", path, {"id": active}, status=200)
    form = {"reason": "moved to another unit", "csrf_token": csrf_of(admin, "/admin")}
    r = admin.post(f"/admin/agreements/{AID}/recipients/{active}/retire", data=form)
    assert r.status_code == 303 and fake.sent("POST", path) == [{"reason": "moved to another unit"}]

    fake.on("POST", path, {"detail": f"recipient {active} was already retired by admin"}, status=409)
    r = admin.post(f"/admin/agreements/{AID}/recipients/{active}/retire", data=form)
    assert r.status_code == 409 and "already retired by admin" in r.text and 'value="moved to another unit"' in r.text


def _under_review() -> dict[str, Any]:
    draft = {**_version(2, "extended to 2030", valid_to="2030-12-31"), "status": "draft"}
    history = [{**_version(1, "created"), "status": "approved", "reviewed_by": "privacy"}, draft]
    return {**draft, "id": AID, "name": "PCSC Greece", "created_at": "2026-01-01T10:00:00Z", "created_by": "admin",
            "approved_version": 1, "history": history, "recipients": []}  # fmt: skip


def test_a_privacy_officer_approves_a_draft_version_and_a_refusal_keeps_the_note(fake: FakeApi) -> None:
    fake.on("GET", f"/api/v1/agreements/{AID}", _under_review())
    privacy = console_client(fake, "privacy", {"privacy-officer"}, set())
    page = privacy.get(f"/admin/agreements/{AID}").text
    assert "In force: version 1" in page and f"/admin/agreements/{AID}/versions/2/review" in forms_on(page)
    assert f"/admin/agreements/{AID}/versions/1/review" not in forms_on(page)  # only a draft is reviewed
    form = {"note": "PLCY cleared", "decision": "approve", "csrf_token": csrf_of(privacy, "/admin")}
    fake.on("POST", f"/api/v1/agreements/{AID}/versions/2/approve", _under_review())
    r = privacy.post(f"/admin/agreements/{AID}/versions/2/review", data=form)
    assert r.status_code == 303 and fake.sent("POST", f"/api/v1/agreements/{AID}/versions/2/approve") == [
        {"note": "PLCY cleared"}
    ]
    words = "version 2 was written by privacy: another privacy officer approves it"
    fake.on("POST", f"/api/v1/agreements/{AID}/versions/2/approve", {"detail": words}, status=403)
    r = privacy.post(f"/admin/agreements/{AID}/versions/2/review", data=form)
    assert r.status_code == 403 and words in r.text and 'value="PLCY cleared"' in r.text


def test_an_admin_sees_no_review_form_and_two_versions_compare_side_by_side(fake: FakeApi, admin: TestClient) -> None:
    fake.on("GET", f"/api/v1/agreements/{AID}", _under_review())
    assert "/review" not in " ".join(forms_on(admin.get(f"/admin/agreements/{AID}").text))
    terms = [{"term": "valid_to", "left": None, "right": "2030-12-31", "changed": True},
             {"term": "fields", "left": ["dob", "fin"], "right": ["dob", "fin"], "changed": False}]  # fmt: skip
    compared = {"agreement_id": AID, "left": _under_review()["history"][0], "right": _under_review(), "terms": terms}
    fake.on("GET", f"/api/v1/agreements/{AID}/compare", compared)
    page = admin.get(f"/admin/agreements/{AID}/compare?left=1&right=2").text
    assert fake.params("GET", f"/api/v1/agreements/{AID}/compare") == [{"left": "1", "right": "2"}]
    assert '<tr class="changed"><th scope="row">valid_to <span class="badge">changed</span>' in page
    assert "<td>none</td>" in page and "<td>2030-12-31</td>" in page and "<td>dob, fin</td>" in page
