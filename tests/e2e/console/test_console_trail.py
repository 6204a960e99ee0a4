"""The audit trail as an auditor reads it: one row per thing a user did (the HTTP calls behind it folded), narrowed
by record (the short ids pages show), user, action and days, paged, and exported as CSV; a case's trail holds its
flags and disclosures too."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import (
    TEST_PASSWORD,
    api_client,
    create_user,
    make_ready,
    new_tag,
    shot,
    sign_in,
    wait_for,
)


def _rows(page: Page) -> int:
    return page.locator("table.trail tbody tr").count()


def test_an_auditor_narrows_the_trail_to_a_users_actions_on_a_case_by_short_id_and_exports_them(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    user = create_user(console_url, ["analyst"], ["M5"])
    case_id, short = m5_case["id"], m5_case["id"][:8]
    sign_in(page, user, TEST_PASSWORD)
    page.goto(f"/cases/{case_id}")
    page.get_by_label("Kind of finding", exact=True).select_option("summary")
    page.get_by_label("Finding", exact=True).fill("Trail test finding")
    page.get_by_role("button", name="Record finding").click()
    expect(page.get_by_role("status")).to_be_visible()
    with api_client(console_url, user, TEST_PASSWORD) as api:
        encounter = api.get(f"/api/v1/cases/{case_id}").json()["encounters"][0]["id"]
        flagged = {"fast-matcher": {"set": True, "reason": "trail test"}}
        assert api.patch(f"/api/v1/encounters/{encounter}/flags", json=flagged).status_code == 200
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "auditor")
    page.goto(f"/audit-trail?record=case:{short}&actor={user}")
    table = page.locator("table.trail")
    for action in ("viewed case", "recorded finding", "set flags"):
        expect(table.locator("td.action-name", has_text=re.compile(f"^{action}$")).first).to_be_visible()
    # One row per action, never one per HTTP call: the case page's several calls are one "viewed case".
    names = table.locator("td.action-name").all_inner_texts()
    assert not any(" GET " in n or ":" in n for n in names), names
    assert names.count("recorded finding") == 1, names
    finding = table.locator("tr", has=page.locator("td.action-name", has_text="recorded finding"))
    finding.locator("summary").click()
    expect(finding.locator("ul.calls")).to_contain_text(f"POST /api/v1/cases/{case_id}/findings")
    expect(finding.locator("ul.calls")).to_contain_text("allowed")
    # The oldest "viewed case" is the first page view (the newest is the API read beside the flags: one call).
    viewed = table.locator("tr", has=page.locator("td.action-name", has_text=re.compile("^viewed case$"))).last
    viewed.locator("summary").click()
    expect(viewed.locator("ul.calls li").first).to_be_visible()
    assert viewed.locator("ul.calls li").count() >= 2  # the case and the sections of its page, folded
    expect(viewed.locator("ul.calls")).to_contain_text("GET /api/v1/disclosures")
    # The picture: the user's actions (a generated name, seeded under `make screenshots`), the finding opened.
    page.goto(f"/audit-trail?actor={user}")
    page.locator("tr", has=page.locator("td.action-name", has_text="recorded finding")).locator("summary").click()
    shot(page, "audit-trail-actions", sort_rows=["[aria-label='Audit actions'] tbody"])  # same-instant rows swap

    # The same record named by a page's address; the action and days narrow it further.
    page.goto(f"/audit-trail?record=/cases/{short}&actor={user}&action=recorded+finding")
    expect(page.locator("td.action-name")).to_have_count(1)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    page.goto(f"/audit-trail?record=case:{short}&actor={user}&since={tomorrow}")
    expect(page.get_by_role("heading", name="0 actions matching")).to_be_visible()
    page.goto(f"/audit-trail?record=case:{short}&actor={user}&until={yesterday}")
    expect(page.get_by_role("heading", name="0 actions matching")).to_be_visible()
    page.goto(f"/audit-trail?record=case:{short}&actor={user}&since={yesterday}&until={tomorrow}")
    assert _rows(page) >= 3

    # The filters are a form: typed into, submitted, kept in the address.
    page.goto("/audit-trail")
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Action", exact=True).fill("finding")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(f"actor={user}"))
    expect(page.locator("td.action-name")).to_have_text(["recorded finding"])

    page.goto(f"/audit-trail?record=case:{short}&actor={user}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows and {r["actor"] for r in rows} == {user}
    assert len(rows) == _rows(page)
    assert sum(r["action"] == "recorded finding" for r in rows) == 1
    assert any(f"POST /api/v1/cases/{case_id}/findings" in r["calls"] for r in rows)


def test_a_refused_record_is_said_on_the_page_and_an_unknown_short_id_finds_nothing(
    page: Page, console_url: str
) -> None:
    sign_in(page, "auditor")
    # A case id with no hex digit is named as wrong, not answered "0 actions matching" (page and API alike).
    response = page.goto("/audit-trail?record=case:zz")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("case:zz is not a case id or id prefix: use hex digits")
    expect(page.get_by_role("heading", name=re.compile("actions matching"))).to_have_count(0)
    with api_client(console_url, "auditor") as api:
        r = api.get("/api/v1/audit/actions", params={"record": "/redress/not-hex"})
        assert r.status_code == 422 and "redress:not-hex is not a redress id" in r.text, r.text
    response = page.goto("/audit-trail?record=case:%27%20OR%201%3D1")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("is not an id")
    expect(page.get_by_label(re.compile("^Record"))).to_have_value("case:' OR 1=1")  # the form keeps it
    page.goto("/audit-trail?record=case:ffffffff")
    expect(page.get_by_role("heading", name="0 actions matching")).to_be_visible()


def test_a_case_trail_holds_its_disclosures_and_the_trail_pages(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    user = create_user(console_url, ["analyst"], ["M5"])
    case_id = m5_case["id"]
    make_ready(console_url, case_id)
    with api_client(console_url, user, TEST_PASSWORD) as api:
        subject = api.get(f"/api/v1/cases/{case_id}").json()["subject_id"]
        wait_for(lambda: api.get(f"/api/v1/disclosures/subjects/{subject}/encounters").json(), "disclosure")
        for _ in range(55):  # 55 reads, each an action of its own: more than one page of 50
            assert api.get(f"/api/v1/cases/{case_id}").status_code == 200
    sign_in(page, user, TEST_PASSWORD)
    page.goto(f"/disclosures/new?case_id={case_id}")
    page.get_by_label("Result", exact=True).select_option("no-match")
    page.get_by_label(re.compile("^Covering note")).fill(f"Trail {new_tag()}")
    page.get_by_role("button", name="Build the draft").click()
    expect(page.locator("pre.message")).to_be_visible()
    draft_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "auditor")
    page.goto(f"/audit-trail?record=case:{case_id[:8]}&actor={user}")
    names = page.locator("td.action-name")
    expect(names.filter(has_text="drafted disclosure")).to_have_count(1)
    expect(names.filter(has_text="viewed disclosure").first).to_be_visible()  # the draft's own record
    expect(page.get_by_role("heading", name=re.compile(r"^\d+ actions matching"))).to_be_visible()
    total = int(page.get_by_role("heading", name=re.compile(r"^\d+ actions")).inner_text().split()[0])
    assert total > 55 and _rows(page) == 50
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    assert _rows(page) == total - 50
    page.goto(f"/audit-trail?record=draft:{draft_id[:8]}")
    expect(page.locator("td.action-name").filter(has_text="viewed disclosure").first).to_be_visible()
