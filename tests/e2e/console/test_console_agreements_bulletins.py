"""The console's agreement, bulletin and redress-link pages in a real browser against the running system: an
admin creates and revises an agreement and adds a recipient (a supervisor sees no form); an analyst writes an
information bulletin and a supervisor reads it; a redress request shows its linked record's case."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import TEST_PASSWORD, api_client, create_user, new_tag, shot, sign_in
from tracs.pki import certificate_authority, issue

pytestmark = pytest.mark.e2e


def _certificate(email: str) -> str:
    """A partner officer's S/MIME certificate, valid now, from a CA made for the test (the development PKI's
    own helpers)."""
    ca_cert, ca_key = certificate_authority()
    cert, _ = issue(ca_cert, ca_key, email=email, org="Immigration New Zealand")
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_an_admin_creates_revises_and_staffs_an_agreement_and_a_supervisor_sees_no_form(page: Page) -> None:
    name = f"M5 New Zealand {new_tag()}"
    sign_in(page, "admin")
    page.get_by_role("link", name="New agreement").click()
    page.get_by_label("Agreement name").fill(name)
    page.get_by_label("Partner country (ISO alpha-3, such as GRC)").fill("NZL")
    page.get_by_label("Partner agency").fill("Immigration New Zealand")
    page.get_by_label("Program", exact=True).select_option("M5")
    page.get_by_label("Purposes (comma-separated, at least one)").fill("immigration, border-security")
    page.get_by_label("Data owners whose encounters may be shared (comma-separated)").fill("CBP, USCIS")
    page.get_by_label("O/U/S prefixes that may be shared (comma-separated; * for any)").fill("*")
    for field in ("fin", "last_name", "first_name", "dob", "nationality"):
        page.get_by_label(field, exact=True).check()
    page.get_by_label("T", exact=True).check()  # a protected class with no caveat: the API refuses it
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_role("button", name="Create agreement").click()
    expect(page.get_by_role("alert")).to_contain_text("must carry their caveat language")
    expect(page.get_by_label("Agreement name")).to_have_value(name)  # what was typed is kept
    expect(page.get_by_label("T", exact=True)).to_be_checked()
    page.get_by_label("T", exact=True).uncheck()
    page.get_by_role("button", name="Create agreement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{name} version 1: draft")
    expect(page.locator("#in-force")).to_contain_text("No version is approved yet")
    agreement_url = page.url

    # A privacy officer approves version 1 (the admin who wrote it is offered no review form).
    expect(page.get_by_role("button", name="Approve version 1")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "privacy")
    page.goto(agreement_url)
    page.get_by_label("Review note for version 1").fill("Reviewed with DHS Privacy and PLCY")
    page.get_by_role("button", name="Approve version 1").click()
    expect(page.get_by_role("status").filter(has_text="Version 1 approved")).to_be_visible()
    expect(page.locator("#in-force")).to_contain_text("In force: version 1")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "admin")
    page.goto(agreement_url)

    # A revision: the form starts from version 1's terms; it becomes version 2 with its note.
    page.get_by_text("Revise these terms").click()
    expect(page.get_by_label("Partner agency")).to_have_value("Immigration New Zealand")
    expect(page.get_by_label("dob", exact=True)).to_be_checked()
    page.get_by_label("Expires (valid to; empty: open-ended)").fill("2031-12-31")
    page.get_by_label("Why it changes (change note)").fill("Amendment 1: expires end of 2031")
    page.get_by_role("button", name="Record version 2").click()
    expect(page.get_by_role("status").filter(has_text="Version 2 recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    versions = page.locator("section", has=page.get_by_role("heading", name="Versions"))
    amended = versions.get_by_role("row").filter(has_text="Amendment 1: expires end of 2031")
    expect(amended).to_contain_text("2031-12-31")
    expect(versions.get_by_role("row").filter(has_text="created")).to_be_visible()
    expect(amended).to_contain_text("draft")
    expect(page.locator("#in-force")).to_contain_text("In force: version 1")
    amended.get_by_role("link", name="Compare side by side").click()
    expect(page.locator("#compare tr.changed")).to_have_count(1)
    expect(page.locator("#compare tr.changed")).to_contain_text("2031-12-31")
    shot(page, "agreement-compare")
    page.goto(agreement_url)

    page.get_by_text("Add a recipient").click()
    mailbox = "a.ngata@immigration.govt.nz"
    page.get_by_label("Person").fill("Aroha Ngata")
    page.get_by_label("Email").fill(mailbox)
    page.get_by_label("Encryption certificate (PEM X.509, for S/MIME)").fill(_certificate(mailbox))
    page.get_by_role("button", name="Add recipient").click()
    expect(page.get_by_role("row").filter(has_text=mailbox)).to_contain_text("yes")
    page.get_by_text("Revise these terms").click()
    shot(page, "agreement")
    # The person leaves the agency: retired with a reason, still listed (the accounting names them).
    page.get_by_label("Why retire Aroha Ngata").fill("left the agency")
    page.get_by_role("button", name="Retire").click()
    expect(page.get_by_role("status")).to_contain_text("Recipient retired.")
    expect(page.get_by_role("row").filter(has_text=mailbox)).to_contain_text("by admin: left the agency")
    expect(page.get_by_role("button", name="Retire")).to_have_count(0)

    url = page.url
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "supervisor")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    expect(page.get_by_text("Revise these terms")).to_have_count(0)
    expect(page.get_by_text("Add a recipient")).to_have_count(0)
    assert page.locator("main form").count() == 0
    response = page.goto("/admin/agreements/new")
    assert response is not None and response.status == 403


def test_an_analyst_writes_a_bulletin_that_a_supervisor_reads(page: Page, console_url: str) -> None:
    writer = create_user(console_url, ["analyst"], ["REPORTING"])
    title = f"Unknown deceased identified after a bus accident ({new_tag()})"
    sign_in(page, writer, TEST_PASSWORD)
    page.get_by_role("link", name="Bulletins").click()
    page.get_by_role("link", name="Write a bulletin").click()
    expect(page.get_by_text("Statistics and situational awareness only.")).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Situational awareness for IDENT stakeholders")
    page.get_by_label("Summary of the case").fill(
        "After a bus accident, the fingerprints of one unidentified deceased person were searched through IDENT "
        "and matched an earlier encounter within the hour."
    )
    page.get_by_label("Identity management services provided").fill("Ten-print search; examiner verification")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    edit_url = page.get_by_role("link", name="Edit").get_attribute("href")
    page.get_by_role("button", name="Record as sent to the Executive Secretariat").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sent")
    shot(page, "bulletin")

    # A tab still open on the edit form: the API refuses changing a sent bulletin, in its own words.
    page.goto(str(edit_url))
    page.get_by_label("Outcome (if any)").fill("Identified; next of kin informed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("only draft bulletins can be changed")
    expect(page.get_by_label("Outcome (if any)")).to_have_value("Identified; next of kin informed")
    shot(page, "bulletin-refused")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "supervisor")
    page.goto("/bulletins")
    page.get_by_label("Status").select_option("sent")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=title).click()
    expect(
        page.get_by_role("region", name="Summary of the case").get_by_text(
            "matched an earlier encounter within the hour"
        )
    ).to_be_visible()


def test_a_redress_request_shows_its_linked_record_with_the_case_summary(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    with api_client(console_url) as api:  # the dev analyst works M5 cases and REDRESS
        encounter = api.get("/api/v1/encounters", params={"fin": m5_case["fin"]}).json()["items"][0]
        r = api.post(
            "/api/v1/redress",
            json={"source": "TRIP", "trip_number": f"TRIP-LINK-{new_tag()}", "sent_on": "2026-04-01",
                  "received_on": "2026-04-02", "submitting_agency": "DHS TRIP", "reason": "date of birth wrong",
                  "contested_information": "secondary inspection", "requester": {"last_name": "Marchetti"}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        redress_id = r.json()["id"]
        linked = api.post(f"/api/v1/redress/{redress_id}/links", json={"encounter_id": encounter["id"], "note": "MIA"})
        assert linked.status_code == 200, linked.text
    sign_in(page, "analyst")
    page.goto(f"/redress/{redress_id}")
    record = page.locator("section[aria-labelledby=h-linked] ul.linked > li")
    expect(record).to_contain_text(m5_case["fin"])
    expect(record).to_contain_text("CBP")
    expect(record).to_contain_text("2020-05-01")
    expect(record.get_by_role("link", name=f"Case {m5_case['id'][:8]}")).to_be_visible()
    shot(page, "redress-linked")
    record.get_by_role("link", name=f"Case {m5_case['id'][:8]}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case {m5_case['id'][:8]}")

    # A redress officer of no case program reads the request, and the record says it is not theirs to read.
    officer = create_user(console_url, ["analyst"], ["REDRESS"])
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, officer, TEST_PASSWORD)
    page.goto(f"/redress/{redress_id}")
    linked = page.locator("section[aria-labelledby=h-linked] ul.linked > li")
    expect(linked).to_contain_text("You may not read this record")
    expect(linked).not_to_contain_text(m5_case["fin"])
