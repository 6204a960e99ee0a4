"""Issue 31, a day's work in a real browser beyond the queue: the lists (my imports and the cases of one, drafts
and disclosures, reviews awaited, redress by state), a draft discarded, refusals that keep the form, a
notification reaching the analyst a case was assigned to, and an admin disabling, unlocking and resetting a login."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import (
    TEST_PASSWORD,
    api_client,
    create_user,
    fixed_choices,
    make_ready,
    new_fin,
    new_tag,
    sign_in,
    wait_for,
)
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

HEADER = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "Partner Reference"]


@pytest.fixture(scope="module")
def batch(console_url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """One M5 import of two cases by the seeded analyst (who drafts a response on the first)."""
    fixed_choices(request)
    tag = new_tag()
    fins = [new_fin(), new_fin()]
    rows = [
        [fin, "Worklist", f"Row{i}", "1981", "2021-03-04", "CBP/OFO/JFK", "CBP", f"AU-W{tag}{i}"]
        for i, fin in enumerate(fins)
    ]
    with api_client(console_url) as api:
        api.timeout = httpx.Timeout(120)  # the first calls after the stack starts may meet cases warming up
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"worklist-{tag}.csv", csv_bytes(HEADER, rows), "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        batch_id = r.json()["id"]
        assert api.post(f"/api/v1/intake/batches/{batch_id}/confirm").status_code == 200
        cases = [
            wait_for(lambda f=fin: api.get("/api/v1/cases", params={"fin": f}).json()["items"], "a case")[0]["id"]
            for fin in fins
        ]
    return {"id": batch_id, "name": f"worklist-{tag}.csv", "case": cases[0], "other_case": cases[1]}


def _draft(console_url: str, case_id: str) -> str:
    """A response drafted through the API by the seeded analyst (the case made ready first)."""
    make_ready(console_url, case_id)
    with api_client(console_url) as api:
        api.timeout = httpx.Timeout(120)
        agreement = next(a for a in api.get("/api/v1/agreements").json() if a["name"] == "M5 Australia HVP")
        recipient = api.get(f"/api/v1/agreements/{agreement['id']}").json()["recipients"][0]
        body = {"case_id": case_id, "recipient_id": recipient["id"], "purpose": "immigration"}
        r = wait_for(lambda: (x := api.post("/api/v1/disclosures", json=body)).status_code == 201 and x, "a draft")
        return r.json()["id"]


def test_my_imports_open_its_cases_and_drafts_are_listed_and_one_discarded(
    page: Page, browser: Browser, console_url: str, batch: dict[str, str]
) -> None:
    sign_in(page, "analyst")
    page.goto("/imports")
    page.get_by_role("link", name="My imports").click()
    row = page.get_by_role("row").filter(has_text=batch["name"])
    expect(row).to_contain_text("confirmed")
    row.get_by_role("link", name="Open its cases").click()
    expect(page).to_have_url(re.compile(rf"/cases\?batch={batch['id']}"))
    expect(page.locator("#batch-filter")).to_contain_text(batch["id"][:8])
    expect(page.locator("table.queue tbody tr")).to_have_count(2)

    draft = _draft(console_url, batch["case"])
    page.goto("/disclosures?mine=1&status=draft")
    expect(page.get_by_role("combobox", name="State")).to_have_value("draft")  # the filter stays in the form
    page.get_by_role("link", name=draft[:8]).click()
    page.get_by_role("button", name="Discard this draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft discarded")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("discarded")
    page.goto("/disclosures?mine=1&status=discarded")
    expect(page.get_by_role("row").filter(has_text=draft[:8])).to_contain_text("discarded")
    # A draft in review reaches the supervisors' "reviews awaited", never the drafter's.
    second = _draft(console_url, batch["other_case"])
    with api_client(console_url) as api:
        assert api.post(f"/api/v1/disclosures/{second}/review").status_code == 200
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    try:
        sup = context.new_page()
        sign_in(sup, "supervisor")
        sup.goto("/reviews")
        expect(sup.get_by_role("row").filter(has_text=second[:8])).to_contain_text("analyst")
    finally:
        context.close()


def test_redress_by_state_pages_with_the_state_in_the_address(page: Page) -> None:
    sign_in(page, "analyst")
    page.goto("/redress")
    page.get_by_label("Status", exact=True).select_option("received")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/redress\?status=received"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("received")
    for cell in page.locator("table.grid tbody tr td:nth-child(5)").all_inner_texts():
        assert cell == "received"


def test_refusals_keep_the_form_redress_import_and_a_new_user(page: Page, console_url: str) -> None:
    sign_in(page, "analyst")
    page.goto("/redress/new")
    surname = f"Refused{new_tag()[:4]}"
    page.get_by_label("Last name").fill(surname)
    page.get_by_label("Contested information").fill("the date of birth on the 2019 entry")
    page.get_by_label("Reason", exact=True).fill("born in 1972, not 1927")
    page.get_by_role("button", name="Open the request").click()  # TRIP without its TRIP number
    expect(page.locator("#redress-error")).to_contain_text("needs its TRIP/redress number")
    expect(page.get_by_label("Last name")).to_have_value(surname)
    expect(page.get_by_label("Reason", exact=True)).to_have_value("born in 1972, not 1927")
    expect(page.get_by_label("Contested information")).to_have_value("the date of birth on the 2019 entry")

    page.goto("/imports")
    page.get_by_label("Program").select_option("PCSC")
    page.get_by_label("Partner country of the whole file (ISO alpha-3, optional)").fill("GRC")
    page.get_by_label("File", exact=True).set_input_files({"name": "empty.csv", "mimeType": "text/csv", "buffer": b""})
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#import-error")).to_contain_text("empty")
    expect(page.get_by_label("Program")).to_have_value("PCSC")  # the program no longer resets
    expect(page.get_by_label("Partner country of the whole file (ISO alpha-3, optional)")).to_have_value("GRC")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "admin")
    newcomer = f"short-{new_tag()}"
    page.get_by_text("Add a user").click()
    page.get_by_label("User name").fill(newcomer)
    page.get_by_label("Password").fill("short")
    page.get_by_label("analyst", exact=True).check()
    page.get_by_label("PCSC", exact=True).check()
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#add-user-error")).to_contain_text("at least 12 characters")
    expect(page.get_by_label("User name")).to_have_value(newcomer)
    expect(page.get_by_label("analyst", exact=True)).to_be_checked()
    expect(page.get_by_label("PCSC", exact=True)).to_be_checked()


def test_a_case_assigned_to_an_analyst_reaches_them_as_a_notification(
    page: Page, browser: Browser, console_url: str, batch: dict[str, str]
) -> None:
    analyst = create_user(console_url, ["analyst"], ["M5"])
    sign_in(page, "supervisor")

    def offered() -> bool:  # cases knows the new analyst once the gateway's StaffChanged has arrived
        page.goto(f"/cases/{batch['other_case']}")
        return analyst in page.get_by_label(re.compile("Assign to")).inner_text()

    wait_for(offered, "the new analyst in the assignee picker")
    page.get_by_label(re.compile("Assign to")).select_option(analyst)
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Case assigned.")).to_be_visible()

    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    try:
        mine = context.new_page()
        sign_in(mine, analyst, TEST_PASSWORD)

        def told() -> bool:
            mine.goto("/notifications")
            return mine.get_by_role("link", name=re.compile(f"Case {batch['other_case'][:8]} was assigned")).count() > 0

        wait_for(told, "the assignment notification", 60)
        expect(mine.locator("#unread-count")).to_have_text("1 unread")  # the menu says so on every page
        mine.get_by_label("mark read").check()
        mine.get_by_role("button", name="Mark the ticked ones read").click()
        expect(mine.get_by_role("heading", name="Notifications (0 unread)")).to_be_visible()
        mine.get_by_role("link", name=re.compile("was assigned to you by supervisor")).click()
        expect(mine).to_have_url(re.compile(f"/cases/{batch['other_case']}"))
    finally:
        context.close()


def test_a_disabled_analyst_leaves_the_assignee_picker_and_an_enabled_one_returns(
    page: Page, browser: Browser, console_url: str, batch: dict[str, str]
) -> None:
    """Disabling is announced to cases (StaffChanged, active false): the case page stops offering the login."""
    analyst = create_user(console_url, ["analyst"], ["M5"])
    sign_in(page, "supervisor")

    def offered() -> bool:
        page.goto(f"/cases/{batch['other_case']}")
        return analyst in [o.strip() for o in page.locator("#as-who option").all_inner_texts()]

    wait_for(offered, "the new analyst in the assignee picker")
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    try:
        admin = context.new_page()
        sign_in(admin, "admin")
        admin.goto(f"/admin/users/{analyst}")
        admin.get_by_label("Why disable (kept in the audit trail)").fill("left the unit")
        admin.get_by_role("button", name="Disable").click()
        expect(admin.get_by_role("status").filter(has_text="Disabled")).to_be_visible()
        wait_for(lambda: not offered(), "the disabled analyst to leave the assignee picker")
        assert "analyst" in [o.strip() for o in page.locator("#as-who option").all_inner_texts()]  # others stay
        admin.get_by_role("button", name="Enable").click()
        expect(admin.get_by_role("status").filter(has_text="Enabled")).to_be_visible()
        wait_for(offered, "the enabled analyst back in the assignee picker")
    finally:
        context.close()


def _token_status(console_url: str, username: str, password: str) -> int:
    r = httpx.post(f"{console_url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    return r.status_code


def test_an_admin_disables_unlocks_and_resets_a_login(page: Page, browser: Browser, console_url: str) -> None:
    user = create_user(console_url, ["analyst"], ["M5"])
    sign_in(page, "admin")
    page.goto("/admin")
    page.get_by_role("link", name=user, exact=True).click()
    page.get_by_label("Why disable (kept in the audit trail)").fill("on leave")
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status").filter(has_text="Disabled")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("disabled")

    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    try:
        them = context.new_page()
        them.goto("/login")
        them.get_by_label("User name").fill(user)
        them.get_by_label("Password").fill(TEST_PASSWORD)
        them.get_by_role("button", name="Sign in").click()
        expect(them.get_by_role("alert")).to_contain_text("disabled by an administrator")

        page.get_by_role("button", name="Enable").click()
        expect(page.get_by_role("status").filter(has_text="Enabled")).to_be_visible()
        for _ in range(5):  # the lockout threshold: the fifth wrong password locks the login
            assert _token_status(console_url, user, "not the password") == 401
        page.reload()
        expect(page.locator("h1 .badge")).to_have_text("locked")
        page.get_by_role("button", name="Unlock").click()
        expect(page.get_by_role("status").filter(has_text="Unlocked")).to_be_visible()
        assert _token_status(console_url, user, TEST_PASSWORD) == 200

        page.get_by_label("Temporary password (at least 12 characters)").fill("temporary-pass-1")
        page.get_by_role("button", name="Set temporary password").click()
        expect(page.get_by_role("status").filter(has_text="Temporary password set")).to_be_visible()
        them.goto("/login")
        them.get_by_label("User name").fill(user)
        them.get_by_label("Password").fill("temporary-pass-1")
        them.get_by_role("button", name="Sign in").click()
        expect(them.get_by_role("heading", name="Choose a new password")).to_be_visible()
        expect(them.get_by_label("User name")).to_have_value(user)
        them.get_by_label("Current (temporary) password").fill("temporary-pass-1")
        them.get_by_label("New password", exact=True).fill("my-own-password-1")
        them.get_by_label("New password again").fill("my-own-password-1")
        them.get_by_role("button", name="Set my password and sign in").click()
        expect(them.get_by_role("status").filter(has_text="Your new password is set.")).to_be_visible()
        expect(them.get_by_text(f"Signed in as {user}")).to_be_visible()
    finally:
        context.close()
