"""Issue 27 in the browser: a refused draft keeps everything typed, a supervisor reviews exactly the message and
approves it, and the case page lists the disclosure, its review and its send, with the case moved on."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import DISCLOSURE_ROWS, api_client, new_tag, shot, sign_in, wait_for


def _supervisor_page(browser: Browser, console_url: str) -> Page:
    """A second person, in a browser session of their own."""
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, "supervisor")
    return page


def test_a_refused_draft_keeps_the_form_a_supervisor_approves_and_the_case_lists_the_disclosure(
    page: Page, browser: Browser, console_url: str, m5_case: dict[str, str]
) -> None:
    tag = new_tag()
    case_id = m5_case["id"]
    with api_client(console_url) as api:
        subject = api.get(f"/api/v1/cases/{case_id}").json()["subject_id"]
        wait_for(lambda: api.get(f"/api/v1/disclosures/subjects/{subject}/encounters").json(), "disclosure")

    sign_in(page, "analyst")
    page.goto(f"/disclosures/new?case_id={case_id}")
    page.get_by_label("Result", exact=True).select_option("no-match")
    page.get_by_label(re.compile("^Covering note")).fill(f"Our reference {tag}")
    page.get_by_role("button", name="Build the draft").click()
    alert = page.get_by_role("alert").filter(has_text="The draft was refused")
    expect(alert).to_contain_text("required searches not recorded: IDENT-SIT")
    expect(alert).to_contain_text("no finding recorded")
    expect(page.get_by_label(re.compile("^Covering note"))).to_have_value(f"Our reference {tag}")
    expect(page.get_by_label("Result", exact=True)).to_have_value("no-match")
    shot(page, "disclosure-refused")

    with api_client(console_url) as api:
        r = api.post(f"/api/v1/cases/{case_id}/searches", json={"system": "IDENT-SIT", "result": "no-hit"})
        assert r.status_code == 201, r.text
        r = api.post(f"/api/v1/cases/{case_id}/findings", json={"kind": "summary", "text": "Not the same person"})
        assert r.status_code == 201, r.text
    page.get_by_role("button", name="Build the draft").click()  # the form as it was left
    expect(page.locator("pre.message")).to_contain_text("Result: NO MATCH")
    expect(page.get_by_role("button", name="Send to the partner")).to_have_count(0)
    page.get_by_role("button", name="Ask a supervisor to review").click()
    expect(page.get_by_role("status").filter(has_text="Sent for review")).to_be_visible()
    draft_url = page.url

    sup = _supervisor_page(browser, console_url)
    try:
        sup.goto(draft_url)
        expect(sup.locator("pre.message")).to_contain_text(f"Our reference {tag}")
        expect(sup.get_by_text("You review exactly the message above")).to_be_visible()
        shot(sup, "disclosure-review", sort_rows=DISCLOSURE_ROWS)
        sup.get_by_role("button", name="Approve").click()
        expect(sup.get_by_role("status").filter(has_text="Approved")).to_be_visible()
        expect(sup.get_by_role("heading", level=1)).to_contain_text("approved")
    finally:
        sup.context.close()

    page.goto(draft_url)
    page.get_by_role("button", name="Send to the partner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sent")

    def moved() -> bool:
        page.goto(f"/cases/{case_id}")
        return "response-sent" in (page.get_by_role("heading", level=1).text_content() or "")

    wait_for(moved, "the case to move to response-sent")
    listed = page.locator("section", has=page.get_by_role("heading", name="Disclosures"))
    row = listed.get_by_role("row").filter(has_text="no match")
    expect(row).to_contain_text("sent")
    expect(row).to_contain_text("approved by supervisor")
    expect(page.locator("ol.timeline")).to_contain_text("disclosure-sent")
    shot(page, "case-disclosures")
