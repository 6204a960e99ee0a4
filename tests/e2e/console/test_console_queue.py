"""The case queue for a day's work in a real browser (issue 31): an analyst's own cases ("my cases"), sorted by
a header link, copied by URL into a fresh session that shows the same rows, page numbers from the count, and a
case found by its short id."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import (
    TEST_PASSWORD,
    api_client,
    create_user,
    fixed_choices,
    new_fin,
    new_tag,
    shot,
    sign_in,
    wait_for,
)
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

HEADER = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "DI", "DI Description"]
HEADER += ["Partner Reference", "TCN"]
ROWS = 55  # more than one page of fifty


@pytest.fixture(scope="module")
def imported(console_url: str, request: pytest.FixtureRequest) -> dict[str, list[str]]:
    """Fifty-five M5 cases of one import (the first carries derogatory information), and an analyst of their own
    who has taken three of them."""
    fixed_choices(request)
    tag = new_tag()
    fins = [new_fin() for _ in range(ROWS)]
    rows = [
        [fin, "Queue", f"Row{i:02d}", "1980", "2021-01-02", "CBP/OFO/JFK", "CBP", "CRIMINAL" if i == 0 else "", "",
         f"AU-Q{tag}-{i:02d}", f"AUS-Q{tag}-{i:02d}"]
        for i, fin in enumerate(fins)
    ]  # fmt: skip
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"queue-{tag}.csv", csv_bytes(HEADER, rows), "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        last = fins[-1]
        wait_for(lambda: api.get("/api/v1/cases", params={"fin": last}).json()["items"], "the last case", 120)
        ids = [api.get("/api/v1/cases", params={"fin": fin}).json()["items"][0]["id"] for fin in fins[:3]]
    analyst = create_user(console_url, ["analyst"], ["M5"])
    with api_client(console_url, analyst, TEST_PASSWORD) as mine:
        for case_id in ids:  # the analyst is known to cases once the gateway's staff event has arrived
            wait_for(lambda c=case_id: mine.post(f"/api/v1/cases/{c}/take").status_code == 200, "taking a case")
        r = mine.post(f"/api/v1/cases/{ids[1]}/status", json={"status": "in-review"})
        assert r.status_code == 200, r.text
    return {"ids": ids, "fins": fins[:3], "analyst": [analyst]}


def _listed(page: Page) -> list[str]:
    return page.locator("table.queue tbody tr td:first-child a").all_inner_texts()


def test_my_cases_sort_by_status_and_the_url_brings_the_same_queue_to_a_fresh_session(
    page: Page, browser: Browser, console_url: str, imported: dict[str, list[str]]
) -> None:
    analyst, short = imported["analyst"][0], [i[:8] for i in imported["ids"]]
    sign_in(page, analyst, TEST_PASSWORD)
    page.goto("/cases")
    page.get_by_label("My cases only").check()
    page.get_by_role("button", name="Find").click()
    # The form sends every field: the address kept holds only what was asked (not the empty ones, not the default sort).
    page.wait_for_url(lambda url: url.endswith("/cases?mine=1"))
    expect(page.locator("#count")).to_have_text("3 cases")
    assert sorted(_listed(page)) == sorted(short)
    newest = _listed(page)  # the default order: newest first
    row = page.get_by_role("row").filter(has_text=imported["fins"][0])
    expect(row.locator("[data-badge=derogatory]")).to_have_text("derogatory")
    expect(row).to_contain_text("Queue, Row00")
    expect(row).to_contain_text(analyst)

    # Sort by status with the column's header link: new before in-review; again: the other way round.
    page.get_by_role("link", name="Status", exact=True).click()
    page.wait_for_url(re.compile(r"sort=status"))
    status_header = page.get_by_role("columnheader", name="Status")
    expect(status_header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("table.queue tbody tr").last).to_contain_text("in-review")
    page.get_by_role("link", name="Status", exact=True).click()
    page.wait_for_url(re.compile(r"sort=-status"))
    expect(status_header).to_have_attribute("aria-sort", "descending")
    expect(page.locator("table.queue tbody tr").first).to_contain_text("in-review")
    # Opened in the same instant by one import: their order in the picture is the names' (the page's was checked).
    shot(page, "case-queue-mine", sort_rows=["[aria-label='Cases found'] tbody"])
    page.get_by_label("Sort").select_option("opened")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"sort=opened"))
    assert _listed(page) == newest[::-1]

    # The address is the queue: a fresh session of the same analyst opened at it shows the same rows and form.
    shared = page.url
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    try:
        fresh = context.new_page()
        sign_in(fresh, analyst, TEST_PASSWORD)
        fresh.goto(shared)
        expect(fresh.locator("#count")).to_have_text("3 cases")
        assert _listed(fresh) == newest[::-1]
        expect(fresh.get_by_label("My cases only")).to_be_checked()
        expect(fresh.get_by_label("Sort")).to_have_value("opened")
    finally:
        context.close()


def test_page_numbers_an_unknown_sort_and_a_case_found_by_its_short_id(
    page: Page, imported: dict[str, list[str]]
) -> None:
    sign_in(page, imported["analyst"][0], TEST_PASSWORD)
    page.goto("/cases?program=M5")
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages).to_contain_text(re.compile(r"Page 1 of \d+"))  # once the count has arrived
    first = _listed(page)
    assert len(first) == 50
    pages.get_by_role("link", name="Page 2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(pages).to_contain_text(re.compile(r"Page 2 of \d+"))
    expect(pages.get_by_role("link", name="Page 2", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Program")).to_have_value("M5")
    assert not set(_listed(page)) & set(first)
    pages.get_by_role("link", name="Previous").click()
    page.wait_for_url(lambda url: "page=" not in url)
    assert _listed(page) == first

    refused = page.goto("/cases?sort=age")
    assert refused is not None and refused.status == 422
    expect(page.get_by_role("alert")).to_contain_text("-opened")

    page.goto("/cases")
    page.get_by_label("Case id (whole or first 8 characters)").fill(imported["ids"][2][:8])
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(f"**/cases/{imported['ids'][2]}")
    # The form sends every field; the address kept holds only what was asked (one to bookmark or send on).
    page.goto("/cases")
    page.get_by_label("Case id (whole or first 8 characters)").fill("00000000")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(lambda url: url.endswith("/cases?case=00000000"))
    expect(page.get_by_role("alert")).to_contain_text("No case has the id “00000000”")
