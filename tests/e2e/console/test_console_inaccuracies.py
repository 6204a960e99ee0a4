"""The console's inaccuracy pages in a real browser (issue 28): a recipient's report is recorded from the case's
disclosure (a refused one keeping what was typed), waits in the open queue, is resolved by the owner's correction,
and answered through the same review as any disclosure."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import (
    answered_to_uk,
    new_fin,
    new_tag,
    shot,
    sign_in,
    supervisor_approves,
)

pytestmark = pytest.mark.e2e


def _disclosed_case(console_url: str) -> dict[str, str]:
    """An M5 match from the UK, answered to the UK through the API (drafted, approved by a supervisor, sent)."""
    fin, tag = new_fin(), new_tag()
    header = ["FIN", "Surname", "Given Names", "DOB", "Partner Country", "TCN", "Data Owner", "O/U/S"]
    rows = [[fin, "Adeyemi", "Tolu", "1984-02-09", "GBR", f"M5-{tag}", "CBP", "CBP/OFO/JFK"]]
    case_id = answered_to_uk(console_url, header, rows, fin, f"m5-{tag}.csv")
    return {"id": case_id, "fin": fin}


def test_an_inaccuracy_report_is_recorded_resolved_by_a_correction_and_answered(
    page: Page, browser: Browser, console_url: str
) -> None:
    case = _disclosed_case(console_url)
    sign_in(page, "analyst")
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("link", name="Record a report of an inaccuracy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record a report of a possible inaccuracy")

    # A report dated tomorrow is refused in the API's words; what was typed stays on the form.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page.get_by_label("Field they say is wrong (if they name one)").select_option("first_name")
    page.get_by_label("What they say is wrong").fill("our records give the first name as Toluwani")
    page.get_by_label("Day the report came").fill(tomorrow)
    page.get_by_role("button", name="Record the report").click()
    expect(page.get_by_role("alert")).to_contain_text("received_on is in the future")
    expect(page.get_by_label("What they say is wrong")).to_have_value("our records give the first name as Toluwani")
    expect(page.get_by_label("Field they say is wrong (if they name one)")).to_have_value("first_name")
    page.get_by_label("Day the report came").fill(datetime.now(UTC).date().isoformat())
    page.get_by_role("button", name="Record the report").click()
    expect(page.get_by_role("status")).to_contain_text("Report recorded")
    expect(page.locator("#report-status")).to_have_text("received")
    report_url = page.url

    # It waits in the queue of open reports.
    page.get_by_role("link", name="Inaccuracy reports").click()
    expect(page.get_by_role("row").filter(has=page.get_by_role("link", name=case["id"][:8]))).to_contain_text(
        "received"
    )

    # Resolved by the owner's correction; once cases applied it, the answer is drafted, reviewed and sent.
    page.goto(report_url)
    page.get_by_label("Corrected by the data owner").check()
    page.get_by_label("Corrected field (a correction only)").fill("first_name")
    page.get_by_label("Value the owner confirmed (a correction only)").fill("Toluwani")
    page.get_by_label("Why (the owner's answer, or why nothing changes)").fill("the data owner confirmed it")
    page.get_by_role("button", name="Record the resolution").click()
    expect(page.get_by_role("status")).to_contain_text("Resolution recorded.")
    deadline = time.monotonic() + 60
    while page.locator("#report-status").inner_text() != "resolved" and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#report-status")).to_have_text("resolved")
    expect(page.locator("#resolution")).to_contain_text("first_name, confirmed by CBP")
    page.get_by_label("Note added to the answer").fill("Thank you for telling us.")
    page.get_by_role("button", name="Draft the answer").click()
    expect(page.locator("#report-status")).to_have_text("answer-drafted")
    expect(
        page.get_by_role("button", name="Send the answer to UK Home Office (Immigration Enforcement)")
    ).to_have_count(0)
    page.get_by_role("button", name="Ask a supervisor to review").click()
    supervisor_approves(browser, console_url, page.get_by_role("link", name="the answer").get_attribute("href"))
    page.reload()
    page.get_by_role("button", name="Send the answer to UK Home Office (Immigration Enforcement)").click()
    expect(page.get_by_role("status")).to_contain_text("it is accounted")
    expect(page.locator("#report-status")).to_have_text("answered")
    expect(page.locator("#answered")).to_contain_text("analyst")
    shot(page, "inaccuracy-answered")
    page.get_by_role("link", name="Inaccuracy reports").click()
    expect(page.get_by_role("link", name=case["id"][:8])).to_have_count(0)  # answered: no longer open
