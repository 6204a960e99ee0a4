"""The console's referral pages in a real browser (issue 28): a TSC notice a KST match made due is drafted,
sent and answered; a refused reply keeps what was typed; a referral to CBP is made from the case, a refused one
keeping what was typed, and waits in the queue of replies awaited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import (
    api_client,
    make_ready,
    new_fin,
    new_tag,
    shot,
    sign_in,
    supervisor_approves,
    wait_for,
)
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e


def _kst_case(console_url: str) -> dict[str, str]:
    """A KST partner query matching a TSC record and a CBP record of one person, through the API."""
    fin, tag = new_fin(), new_tag()
    header = ["FIN", "Surname", "Given Names", "DOB", "Partner Country", "TCN", "Data Owner", "O/U/S"]
    rows = [
        [fin, "Okafor", "Chidi", "1982-07-14", "GBR", f"KST-{tag}", "FBI-TSC", "FBI/TSC"],
        [fin, "Okafor", "Chidi", "1982-07-14", "GBR", f"KST-{tag}", "CBP", "CBP/OFO/JFK"],
    ]
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"kst-{tag}.csv", csv_bytes(header, rows), "text/csv")},
            data={"program": "KST", "kind": "partner-query"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        items = wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the KST case")
        case_id = items[0]["id"]
        wait_for(lambda: api.get("/api/v1/disclosures/referrals", params={"case": case_id}).json(), "TSC's notice due")
    return {"id": case_id, "fin": fin}


def test_a_tsc_notice_is_drafted_sent_and_answered_and_a_cbp_referral_waits_for_its_reply(
    page: Page, browser: Browser, console_url: str
) -> None:
    case = _kst_case(console_url)
    sign_in(page, "analyst")
    # Drafting is refused until the case's work is done (issue 27); the refusal names what is missing.
    page.goto(f"/cases/{case['id']}")
    page.locator("section", has=page.get_by_role("heading", name="Referrals and notices to data owners")).get_by_role(
        "link", name="tsc-notice"
    ).click()
    page.get_by_role("button", name="Draft the notice").click()
    expect(page.get_by_role("alert")).to_contain_text("no finding recorded")
    make_ready(console_url, case["id"])
    page.goto(f"/cases/{case['id']}")
    referrals = page.locator("section", has=page.get_by_role("heading", name="Referrals and notices to data owners"))
    expect(referrals.get_by_role("row").filter(has_text="tsc-notice")).to_contain_text("due")
    referrals.get_by_role("link", name="tsc-notice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notice to the FBI Terrorist Screening Center")
    tsc = "FBI Terrorist Screening Center desk <notifications@tsc.fbi.gov.example>"
    page.get_by_label("Recipient").select_option(label=f"{tsc} — FBI Terrorist Screening Center match notifications")
    page.get_by_role("button", name="Draft the notice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("drafted")
    expect(page.get_by_role("button", name="Send to FBI-TSC")).to_have_count(0)  # not before a second person
    page.get_by_role("button", name="Ask a supervisor to review").click()
    expect(page.get_by_role("status")).to_contain_text("Sent for review")
    supervisor_approves(browser, console_url, page.get_by_role("link", name="the message").get_attribute("href"))
    page.reload()
    page.get_by_role("button", name="Send to FBI-TSC").click()
    expect(page.get_by_role("status")).to_contain_text("the referral is accounted")
    expect(page.get_by_role("heading", level=1)).to_contain_text("sent")

    # A reply dated tomorrow is refused in the API's words; what was typed stays on the form.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page.get_by_label("Decision").select_option("keep")
    page.get_by_label("Day the reply came").fill(tomorrow)
    page.get_by_label("What the owner said").fill("subject confirmed in the TSDB")
    page.get_by_role("button", name="Record the reply").click()
    expect(page.get_by_role("alert")).to_contain_text("replied_on is in the future")
    expect(page.get_by_label("What the owner said")).to_have_value("subject confirmed in the TSDB")
    expect(page.get_by_label("Decision")).to_have_value("keep")
    page.get_by_label("Day the reply came").fill(datetime.now(UTC).date().isoformat())
    page.get_by_role("button", name="Record the reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply recorded.")
    expect(page.locator("#reply-decision")).to_contain_text("keep")
    expect(page.locator("#reply-decision")).to_contain_text("subject confirmed in the TSDB")
    shot(page, "referral")

    # A referral to CBP from the case page: first to the wrong kind of recipient (refused, typed kept).
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("link", name="Refer to a data owner").click()
    cbp = "U.S. Customs and Border Protection desk <data-owner@cbp.dhs.gov.example> — CBP data owner referrals"
    page.get_by_label("Kind", exact=True).select_option("tsc-notice")
    page.get_by_label("Recipient").select_option(label=cbp)
    page.get_by_label("Why it is referred").fill("KST match on a CBP encounter")
    page.get_by_label("Reply expected within (days; empty: the kind's usual delay)").fill("0")
    page.get_by_role("button", name="Build the referral").click()
    expect(page.get_by_role("alert")).to_contain_text("goes to a recipient of kind tsc")
    expect(page.get_by_label("Why it is referred")).to_have_value("KST match on a CBP encounter")
    expect(page.get_by_label("Reply expected within (days; empty: the kind's usual delay)")).to_have_value("0")
    page.get_by_label("Kind", exact=True).select_option("owner-referral")
    page.get_by_role("button", name="Build the referral").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral to the DHS Component that owns the data")
    page.get_by_role("button", name="Ask a supervisor to review").click()
    supervisor_approves(browser, console_url, page.get_by_role("link", name="the message").get_attribute("href"))
    page.reload()
    page.get_by_role("button", name="Send to CBP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("reply overdue")  # 0 days: due when it left
    page.get_by_role("link", name="Replies awaited").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=case["id"][:8]))
    expect(row).to_contain_text("CBP")
    expect(row).to_contain_text("overdue")
    shot(page, "referrals-awaited")
