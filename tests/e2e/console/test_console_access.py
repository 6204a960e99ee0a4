"""An admin changes a user's roles and programs in a real browser, naming who approved it: the form refuses the
admin as their own approver in the API's words (keeping what was ticked), then records the change, which the
user list shows and the gateway's audit trail keeps with the approver's name."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import api_client, create_user, shot, sign_in

pytestmark = pytest.mark.e2e


def test_an_admin_changes_roles_and_programs_with_a_second_approver(page: Page, console_url: str) -> None:
    username = create_user(console_url, ["analyst"], ["M5"])
    sign_in(page, "admin")
    page.goto("/admin")
    page.get_by_role("link", name=f"{username}: change roles and programs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roles and programs of {username}")
    expect(page.get_by_label("analyst", exact=True)).to_be_checked()
    expect(page.get_by_label("PCSC", exact=True)).not_to_be_checked()
    page.get_by_label("supervisor", exact=True).check()
    page.get_by_label("PCSC", exact=True).check()
    page.get_by_label("Approved by").fill("admin")
    page.get_by_role("button", name="Change roles and programs").click()
    expect(page.get_by_role("alert")).to_contain_text("someone other than its maker")
    expect(page.get_by_label("supervisor", exact=True)).to_be_checked()  # what was ticked is kept
    expect(page.get_by_label("PCSC", exact=True)).to_be_checked()
    shot(page, "user-access")
    page.get_by_label("Approved by").fill("supervisor")
    page.get_by_role("button", name="Change roles and programs").click()
    expect(page.get_by_role("status").filter(has_text=f"Roles and programs of {username} changed")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=f"{username}: change roles and programs"))
    expect(row).to_contain_text("analyst, supervisor")
    expect(row).to_contain_text("M5, PCSC")

    with api_client(console_url, "admin") as admin:
        user = next(u for u in admin.get("/api/v1/users").json() if u["username"] == username)
    assert sorted(user["roles"]) == ["analyst", "supervisor"] and sorted(user["programs"]) == ["M5", "PCSC"]
    with api_client(console_url, "auditor") as auditor:
        entries = auditor.get("/api/v1/audit", params={"record": username, "limit": 50}).json()
    assert any("approved by supervisor" in (e.get("detail") or "") for e in entries), entries
