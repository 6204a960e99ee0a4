"""The owners' reports pages and the retention page against a fake API (issues 28 and 29): what each shows, the
buttons a report's state and the user's role allow, a refused draft keeping what was typed, a dry run's counts per
service, a real run only once confirmed, and the menu links only for the roles that may use them."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.unit.gateway.console_fake import FakeApi, console_client, csrf_of, forms_on, text_of

API = "/api/v1/disclosures/owner-reports"
REPORT = "5b0d7c1e-8e55-4f0a-9d33-0c7e2a4b9f10"
AGREEMENT = "c3a1d2e4-1111-4a5b-8c9d-0e1f2a3b4c5d"
RECIPIENT = "0f9e8d7c-2222-4b6a-9c8d-7e6f5a4b3c2d"
PROGRAMS = {"M5", "PCSC", "BVP"}


def _report(status: str = "draft", **extra: Any) -> dict[str, Any]:
    item = {
        "accounting_id": str(uuid.uuid4()),
        "sent_at": "2026-11-03T10:00:00+00:00",
        "case_id": str(uuid.uuid4()),
        "subject_id": str(uuid.uuid4()),
        "program": "M5",
        "partner_country": "GBR",
        "partner_transaction_number": "I-77",
        "recipient_agency": "Home Office",
        "encounter_ids": [str(uuid.uuid4())],
    }
    return {"id": REPORT, "owner": "DOS", "recipient_id": RECIPIENT, "agreement_id": AGREEMENT, "agreement_version": 1,
            "period_from": "2026-11-01", "period_to": "2026-11-30", "items": [item],
            "body": "Encounters of DOS shared in November\u202e", "status": status, "approvals_required": 1,
            "created_by": "a.diaz", "created_at": "2026-12-01T09:00:00+00:00", "sent_at": None, "sent_by": None,
            "message_id": None, "failure": None, "reviews": [], **extra}  # fmt: skip


def _agreements(fake: FakeApi) -> None:
    fake.on("GET", "/api/v1/agreements", [
        {"id": AGREEMENT, "recipient_kind": "dos"}, {"id": str(uuid.uuid4()), "recipient_kind": "foreign-partner"},
    ])  # fmt: skip
    fake.on("GET", f"/api/v1/agreements/{AGREEMENT}", {
        "name": "Department of State encounter alerts and reports", "recipient_kind": "dos", "data_owners": ["DOS"],
        "recipients": [{"id": RECIPIENT, "person": "P. Kerr", "email": "kerr@state.example"},
                       {"id": str(uuid.uuid4()), "person": "Gone", "email": "g@x", "retired_at": "2026-01-01"}],
    })  # fmt: skip


def test_the_list_shows_each_report_and_its_state_with_a_new_report_link_for_an_analyst() -> None:
    fake = FakeApi()
    fake.on("GET", API, [_report("sent", sent_at="2026-12-02T10:00:00+00:00", sent_by="a.diaz")])
    page = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS).get("/owner-reports")
    assert page.status_code == 200
    assert f'href="/owner-reports/{REPORT}"' in page.text and 'href="/owner-reports/new"' in page.text
    assert '<div class="scroll" tabindex="0" role="region" aria-label="Owners\' reports">' in page.text
    row = text_of(page.text[page.text.index("<tbody>") :])
    for shown in ("DOS", "2026-11-01 \u2013 2026-11-30", "sent", "2026-12-02 10:00 UTC"):
        assert shown in row, shown


def test_the_new_form_offers_only_active_recipients_of_an_owners_agreement() -> None:
    fake = FakeApi()
    _agreements(fake)
    page = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS).get("/owner-reports/new").text
    assert f'<option value="{RECIPIENT}">DOS: P. Kerr' in page
    assert "Gone" not in page
    details = [p for _, p, _, _ in fake.calls if p.startswith("/api/v1/agreements/")]
    assert details == [f"/api/v1/agreements/{AGREEMENT}"]
    assert console_client(fake, "audit", {"auditor"}, PROGRAMS).get("/owner-reports/new").status_code == 403


def test_a_refused_draft_says_why_beside_the_form_and_keeps_what_was_typed() -> None:
    fake = FakeApi()
    _agreements(fake)
    fake.on("POST", API, {"detail": "nothing of DOS was shared from 2001-01-01 to 2001-01-31"}, status=409)
    client = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS)
    token = csrf_of(client, "/owner-reports/new")
    typed = {"recipient_id": RECIPIENT, "from": "2001-01-01", "to": "2001-01-31"}
    page = client.post("/owner-reports", data={"csrf_token": token, **typed})
    assert page.status_code == 409
    assert fake.sent("POST", API) == [typed]
    assert 'role="alert"' in page.text and "nothing of DOS was shared from 2001-01-01" in page.text
    assert 'value="2001-01-01"' in page.text and 'value="2001-01-31"' in page.text
    assert f'<option value="{RECIPIENT}" selected>' in page.text


def test_a_drafted_report_goes_to_its_page() -> None:
    fake = FakeApi()
    fake.on("POST", API, _report(), status=201)
    client = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS)
    _agreements(fake)
    token = csrf_of(client, "/owner-reports/new")
    r = client.post("/owner-reports", data={"csrf_token": token, "recipient_id": RECIPIENT, "from": "2026-11-01",
                                            "to": "2026-11-30"})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, f"/owner-reports/{REPORT}")


def test_the_report_page_shows_items_body_steps_and_only_the_buttons_its_state_and_role_allow() -> None:
    fake = FakeApi()
    steps = [{"step": "review-requested", "actor": "a.diaz", "comment": None, "body_digest": "x",
              "at": "2026-12-01T09:05:00+00:00"}]  # fmt: skip
    url = f"/owner-reports/{REPORT}"
    fake.on("GET", f"{API}/{REPORT}", _report("draft"))
    drafter = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS)
    page = drafter.get(url).text
    assert forms_on(page) == [f"{url}/review"]
    assert "<bdi>Encounters of DOS shared in November\u202e</bdi>" in page and "I-77" in page
    assert 'id="owner-report-status">draft<' in page

    fake.on("GET", f"{API}/{REPORT}", _report("in-review", reviews=steps))
    assert forms_on(drafter.get(url).text) == []
    supervisor = console_client(fake, "s.okoro", {"supervisor"}, PROGRAMS)
    page = supervisor.get(url).text
    assert forms_on(page) == [f"{url}/approve", f"{url}/send-back"]
    assert "review-requested by" in text_of(page)
    # A supervisor who drafted it is never offered their own approval.
    assert forms_on(console_client(fake, "a.diaz", {"supervisor"}, PROGRAMS).get(url).text) == []

    approved = [*steps, {**steps[0], "step": "approved", "actor": "s.okoro"}]
    fake.on("GET", f"{API}/{REPORT}", _report("approved", reviews=approved))
    assert forms_on(drafter.get(url).text) == [f"{url}/send"]
    assert "1 of 1" in text_of(drafter.get(url).text)

    fake.on("GET", f"{API}/{REPORT}", _report("sent", reviews=approved, sent_at="2026-12-02T10:00:00+00:00",
                                              sent_by="a.diaz"))  # fmt: skip
    page = drafter.get(url).text
    assert forms_on(page) == [] and "2026-12-02 10:00 UTC" in text_of(page)


def test_each_step_posts_to_the_api_and_a_refusal_comes_back_in_its_words() -> None:
    fake = FakeApi()
    fake.on("GET", f"{API}/{REPORT}", _report("in-review"))
    fake.on("POST", f"{API}/{REPORT}/approve", {"detail": "the drafter may not approve their own report"}, status=409)
    fake.on("POST", f"{API}/{REPORT}/send-back", _report("draft"))
    client = console_client(fake, "s.okoro", {"supervisor"}, PROGRAMS)
    url = f"/owner-reports/{REPORT}"
    token = csrf_of(client, url)
    r = client.post(f"{url}/approve", data={"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, url)
    assert "the drafter may not approve" in client.get(url).text
    client.post(f"{url}/send-back", data={"csrf_token": token, "comment": "wrong period"})
    assert fake.sent("POST", f"{API}/{REPORT}/send-back") == [{"comment": "wrong period"}]
    assert client.post(f"{url}/send", data={"csrf_token": "forged"}).status_code == 403


def test_menu_links_only_for_the_roles_that_may_use_them() -> None:
    fake = FakeApi()
    fake.on("GET", API, [])
    for roles, programs, owner_reports, retention in (
        ({"analyst"}, PROGRAMS, True, False),
        ({"supervisor"}, PROGRAMS, True, False),
        ({"auditor"}, PROGRAMS, False, False),
        ({"admin"}, set(), False, True),
        ({"privacy-officer"}, set(), False, True),
    ):
        page = console_client(fake, "u", roles, programs).get("/owner-reports").text
        nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
        assert ('href="/owner-reports"' in nav, 'href="/retention"' in nav) == (owner_reports, retention), roles


RULES = {
    "/api/v1/retention/rules": {"analysis-record": {"years": 1, "clock": "closed", "end_of_year": False,
                                                    "basis": "PIA 8.1"}},
    "/api/v1/disclosures/retention/rules": [{"kind": "draft", "years": 3, "clock": "created", "end_of_year": True,
                                             "rule": "disclosure draft: 3 years", "basis": "GRS 4.2"}],
    "/api/v1/redress/retention/rules": [],
    "/api/v1/reports/retention/rules": [{"kind": "bulletin", "years": 5, "clock": "sent", "end_of_year": False,
                                         "rule": "reporting bulletin: 5 years", "basis": "GRS 5.1"}],
}  # fmt: skip
DISPOSALS = {"since": None, "total": 4, "held": 1, "rows": [
    {"service": "disclosure", "kind": "draft", "rule": "disclosure draft: 3 years", "count": 4, "held": 1, "runs": 2,
     "last_run": "2026-12-01T03:00:00+00:00"}]}  # fmt: skip


def _retention() -> FakeApi:
    fake = FakeApi()
    for path, answer in RULES.items():
        fake.on("GET", path, answer)
    fake.on("GET", "/api/v1/reports/disposals", DISPOSALS)
    return fake


def test_the_retention_page_shows_every_services_rules_and_the_disposal_report() -> None:
    fake = _retention()
    fake.on("GET", "/api/v1/redress/retention/rules", {"detail": "the redress service is unavailable"}, status=503)
    page = console_client(fake, "privacy", {"privacy-officer"}, set()).get("/retention")
    assert page.status_code == 200
    text = text_of(page.text)
    for shown in ("analysis-record", "PIA 8.1", "3 years after the end of the year", "GRS 5.1",
                  "the redress service is unavailable", "4 records disposed of", "1 spared by a legal hold",
                  "disclosure draft: 3 years", "2026-12-01 03:00 UTC"):  # fmt: skip
        assert shown in text, shown
    assert forms_on(page.text) == [f"/retention/{s}/{a}" for s in ("cases", "disclosure", "redress", "reporting")
                                   for a in ("dry-run", "run")]  # fmt: skip
    assert 'role="region" aria-label="Disposals per service, kind and rule">' in page.text
    page = console_client(fake, "privacy", {"privacy-officer"}, set()).get("/retention?since=2026-11-01")
    assert fake.params("GET", "/api/v1/reports/disposals")[-1] == {"since": "2026-11-01"}


def test_a_dry_run_shows_its_counts_per_kind_and_what_a_hold_spares() -> None:
    fake = _retention()
    fake.on("POST", "/api/v1/disclosures/retention/run", {"service": "disclosure", "as_of": "2026-12-05T00:40:00+00:00",
            "dry_run": True, "counts": [{"kind": "draft", "count": 7, "held": 2, "rule": "r"}]})  # fmt: skip
    fake.on("POST", "/api/v1/retention/run", {"as_of": "2026-12-05T00:40:00+00:00", "dry_run": True,
            "cases": ["a", "b"], "encounters": ["c", "d", "e"], "subjects": 1, "subjects_removed": 0})  # fmt: skip
    client = console_client(fake, "admin", {"admin"}, set())
    token = csrf_of(client, "/retention")
    page = client.post("/retention/disclosure/dry-run", data={"csrf_token": token})
    assert page.status_code == 200
    assert fake.params("POST", "/api/v1/disclosures/retention/run") == [{"dry_run": "true"}]
    run = text_of(page.text[page.text.index('id="run-disclosure"') :])
    assert "Dry run as of 2026-12-05 00:40 UTC: would go" in run and re.search(r"draft\s*7\s*2", run)
    page = client.post("/retention/cases/dry-run", data={"csrf_token": token})
    run = text_of(page.text[page.text.index('id="run-cases"') :])
    assert re.search(r"case\s*2\s*—", run) and re.search(r"encounter\s*3\s*—", run)


def test_a_real_run_needs_the_word_typed_and_a_refused_run_is_said_beside_its_button() -> None:
    fake = _retention()
    fake.on("POST", "/api/v1/reports/retention/run", {"detail": "another retention run is in progress"}, status=409)
    client = console_client(fake, "admin", {"admin"}, set())
    token = csrf_of(client, "/retention")
    page = client.post("/retention/reporting/run", data={"csrf_token": token, "confirm": "yes"})
    assert page.status_code == 422 and 'type "dispose" to confirm' in text_of(page.text)
    assert fake.sent("POST", "/api/v1/reports/retention/run") == []
    page = client.post("/retention/reporting/run", data={"csrf_token": token, "confirm": "dispose"})
    assert page.status_code == 409 and "another retention run is in progress" in page.text
    assert fake.params("POST", "/api/v1/reports/retention/run") == [{"dry_run": "false"}]
    assert client.post("/retention/intake/dry-run", data={"csrf_token": token}).status_code == 404
    assert client.post("/retention/intake/run", data={"csrf_token": token}).status_code == 404  # not "type dispose"


def test_the_retention_page_is_refused_to_an_analyst_without_asking_the_api() -> None:
    fake = _retention()
    page = console_client(fake, "a.diaz", {"analyst"}, PROGRAMS).get("/retention")
    assert page.status_code == 403
    assert fake.calls == []
