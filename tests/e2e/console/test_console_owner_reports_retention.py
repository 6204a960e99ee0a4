"""The owners' reports and retention pages in a real browser (issues 28 and 29), on the shared stack: an analyst
drafts DOS's report of a period in which a DOS encounter was shared (a refused period keeping what was typed), a
supervisor approves it, the analyst sends it and sees it sent; a privacy officer sees every service's retention
rules, a dry run's counts per kind, and the disposal report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import (
    answered_to_uk,
    api_client,
    new_fin,
    new_tag,
    shot,
    sign_in,
    supervisor_approves,
)

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date().isoformat()
DOS_AGREEMENT = "Department of State encounter alerts and reports"


def _shared_dos_encounter(console_url: str) -> dict[str, str]:
    """An M5 match from the UK with a DOS encounter, answered to the UK (reviewed, approved, sent): its case id
    and the partner's transaction number (the report's reference for it)."""
    fin, tag = new_fin(), new_tag()
    header = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
    rows = [[fin, "Okafor", "Chidi", "1985-06-01", "GBR", f"OR-{tag}", "DOS", "DOS/CA"]]
    case_id = answered_to_uk(console_url, header, rows, fin, f"owner-{tag}.csv")
    return {"id": case_id, "tcn": f"OR-{tag}"}


def _dos_recipient(console_url: str) -> str:
    with api_client(console_url) as api:
        agreement = next(a for a in api.get("/api/v1/agreements").json() if a["name"] == DOS_AGREEMENT)
        return str(api.get(f"/api/v1/agreements/{agreement['id']}").json()["recipients"][0]["id"])


def test_an_owners_report_is_drafted_approved_by_a_supervisor_and_sent(
    page: Page, browser: Browser, console_url: str
) -> None:
    case = _shared_dos_encounter(console_url)
    recipient = _dos_recipient(console_url)
    sign_in(page, "analyst")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Owners' reports").click()
    page.get_by_role("link", name="New owner's report").click()

    # A period in which nothing of DOS's was shared is refused in the API's words; what was typed stays.
    page.get_by_label("Owner and recipient").select_option(recipient)
    page.get_by_label("Period from").fill("2001-01-01")
    page.get_by_label("Period to (not after today)").fill("2001-01-31")
    page.get_by_role("button", name="Draft the report").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing of DOS's was shared in that period")
    expect(page.get_by_label("Period from")).to_have_value("2001-01-01")
    expect(page.get_by_label("Period to (not after today)")).to_have_value("2001-01-31")
    expect(page.get_by_label("Owner and recipient")).to_have_value(recipient)

    page.get_by_label("Period from").fill(TODAY)
    page.get_by_label("Period to (not after today)").fill(TODAY)
    page.get_by_role("button", name="Draft the report").click()
    expect(page.get_by_role("status")).to_contain_text("Report drafted")
    expect(page.locator("#owner-report-status")).to_have_text("draft")
    items = page.get_by_role("region", name="Items of the report")
    expect(items.get_by_role("link", name=case["id"][:8])).to_be_visible()
    expect(page.get_by_role("region", name="The report's text")).to_contain_text(f"M5 {case['tcn']}")
    expect(page.get_by_role("button", name="Send to DOS")).to_have_count(0)  # not before a supervisor approves
    report_url = page.url

    page.get_by_role("button", name="Ask a supervisor to review").click()
    expect(page.locator("#owner-report-status")).to_have_text("in-review")
    expect(page.get_by_role("button", name="Approve this report")).to_have_count(0)  # never the drafter
    supervisor_approves(browser, console_url, report_url)
    page.reload()
    expect(page.locator("#owner-report-status")).to_have_text("approved")
    page.get_by_role("button", name="Send to DOS").click()
    expect(page.get_by_role("status")).to_contain_text("it is accounted")
    expect(page.locator("#owner-report-status")).to_have_text("sent")
    expect(page.locator("#owner-report-sent")).to_contain_text("analyst")
    shot(page, "owner-report-sent")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Owners' reports").click()
    row = page.get_by_role("row").filter(has=page.locator(f'a[href="{report_url.split(console_url)[-1]}"]'))
    expect(row).to_contain_text("sent")


def test_a_privacy_officer_sees_each_services_rules_a_dry_runs_counts_and_the_disposal_report(
    page: Page, console_url: str
) -> None:
    with api_client(console_url, "privacy") as api:
        kinds = [r["kind"] for r in api.get("/api/v1/disclosures/retention/rules").json()]
    assert kinds
    sign_in(page, "privacy")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention")
    for service in ("Cases", "Disclosure", "Redress", "Reporting"):
        expect(page.get_by_role("heading", level=2, name=service, exact=True)).to_be_visible()
    rules = page.get_by_role("region", name="Retention rules of disclosure")
    for kind in kinds:
        expect(rules.get_by_role("cell", name=kind, exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Disposals per service, kind and rule")).to_be_visible()

    page.get_by_role("button", name="Dry run (as of today) of disclosure").click()
    run = page.locator("#run-disclosure")
    expect(run).to_contain_text("Dry run as of")
    expect(run).to_contain_text("would go")
    counts = run.locator("tbody tr")
    expect(counts).to_have_count(len(kinds))
    for i, kind in enumerate(kinds):
        cells = counts.nth(i).locator("td").all_inner_texts()
        assert cells[0] == kind and cells[1].isdigit() and cells[2].isdigit(), cells
    shot(page, "retention-dry-run")
