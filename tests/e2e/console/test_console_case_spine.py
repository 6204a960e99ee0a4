"""The case page in a real browser (issue 27, cases' side): the person's record with its sources and locks, the
flags the file's KST and DI columns set, the queue filter by flag, the assign picker with "assign to me", a
status control with only the allowed moves, and a refused form that keeps what was typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import (
    api_client,
    check_accessible,
    fixed_choices,
    new_fin,
    new_tag,
    shot,
    sign_in,
    wait_for,
)
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

HEADER = ["FIN", "EID", "Surname", "Given Names", "DOB", "Passport No", "Encounter Date", "O/U/S", "Data Owner"]
HEADER += ["Fast Matcher", "DI", "DI Description", "DI Shared", "Partner Reference", "TCN"]


@pytest.fixture(scope="module")
def flagged_case(console_url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """An M5 case whose one encounter is on the fast matcher as a KST and carries derogatory information."""
    fixed_choices(request)
    fin, tag = new_fin(), new_tag()
    row = [fin, f"EID-{tag}", "Okafor", "Chidi", "1983-04-09", f"A{tag}", "2022-08-19", "CBP/OFO/IAD", "CBP"]
    row += ["KST", "CRIMINAL", "Removed 2019 after a conviction", "N", f"AU-{tag}", f"AUS-TX-{tag}"]
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"okafor-{tag}.csv", csv_bytes(HEADER, [row]), "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        items = wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the flagged case")
    return {"id": items[0]["id"], "fin": fin, "eid": f"EID-{tag}"}


def test_the_case_page_shows_the_person_s_record_and_the_file_s_flags_and_the_queue_filters_by_flag(
    page: Page, flagged_case: dict[str, str]
) -> None:
    sign_in(page, "analyst")
    page.goto(f"/cases?flag=fast-matcher&fin={flagged_case['fin']}")
    expect(page.get_by_label("Flagged")).to_have_value("fast-matcher")
    page.get_by_role("link", name=flagged_case["id"][:8]).click()
    page.wait_for_url(f"**/cases/{flagged_case['id']}")
    fast = page.locator("[data-flag=fast-matcher]")
    expect(fast).to_contain_text("Status: KST")
    expect(fast).to_contain_text("From the file's column “Fast Matcher”")
    expect(page.locator("[data-flag=derogatory]")).to_contain_text("Removed 2019 after a conviction")
    record = page.locator("table.record")
    expect(record.locator("tr[data-field=fin]")).to_contain_text(flagged_case["fin"])
    expect(record.locator("tr[data-field=fin]")).to_contain_text("locked")
    expect(record.locator("tr[data-field=eid]")).to_contain_text(flagged_case["eid"])
    expect(record.locator("tr[data-field=di_shared]")).to_contain_text("no")
    expect(record.locator("tr[data-field=ous]")).to_contain_text("CBP/OFO/IAD")
    expect(record.locator('tr[data-field="flag:derogatory"]')).to_contain_text("column “DI”")
    expect(record.locator('tr[data-field="flag:derogatory"]')).to_contain_text("editable")
    # The status control offers only what the rules allow from "new".
    expect(page.get_by_label("New status").locator("option")).to_have_text(["in-review", "closed"])
    check_accessible(page)
    shot(page, "case-record")
    # Clearing the file's fast-matcher flag by hand: the value's source becomes the analyst.
    page.locator("details").filter(has_text="Set or clear a flag").locator("summary").click()
    page.get_by_label("Flag", exact=True).select_option("fast-matcher")
    page.get_by_label("Set or clear").select_option("false")
    page.get_by_label("Reason for the change").fill("examiner review: a different person")
    page.get_by_role("button", name="Save flag").click()
    expect(page.get_by_role("status").filter(has_text="Flag saved.")).to_be_visible()
    expect(page.locator('tr[data-field="flag:fast-matcher"]')).to_contain_text("analyst")
    page.goto(f"/cases?flag=fast-matcher&fin={flagged_case['fin']}")
    expect(page.get_by_role("link", name=flagged_case["id"][:8])).to_have_count(0)
    # An analyst takes the unassigned case ("assign to me"); the picker itself stays a supervisor's.
    page.goto(f"/cases/{flagged_case['id']}")
    expect(page.get_by_label("Assign to")).to_have_count(0)
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status").filter(has_text="The case is yours.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("analyst")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)


def test_a_supervisor_picks_an_assignee_or_takes_the_case_and_a_refused_status_change_keeps_what_was_typed(
    page: Page, flagged_case: dict[str, str]
) -> None:
    sign_in(page, "supervisor")
    page.goto(f"/cases/{flagged_case['id']}")
    picker = page.get_by_label("Assign to")
    expect(picker.locator("option")).to_contain_text(["analyst", "supervisor"])
    expect(picker.locator("option", has_text="auditor")).to_have_count(0)
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("dl.facts")).to_contain_text("supervisor")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    picker.select_option("analyst")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("dl.facts")).to_contain_text("analyst")

    page.get_by_label("New status").select_option("in-review")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status").filter(has_text="Status changed.")).to_be_visible()
    # findings-ready with the program's search missing: refused in the API's words, the form as typed.
    page.get_by_label("New status").select_option("findings-ready")
    page.get_by_label("Reason (reopening needs one)").fill("checked with the partner by phone")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("alert")).to_contain_text("required searches are missing: IDENT-SIT")
    expect(page.get_by_label("New status")).to_have_value("findings-ready")
    expect(page.get_by_label("Reason (reopening needs one)")).to_have_value("checked with the partner by phone")
    shot(page, "case-status-refused")


def test_a_refused_manual_entry_keeps_every_value_typed_and_an_accepted_one_is_imported(
    page: Page, console_url: str
) -> None:
    fin = new_fin()
    sign_in(page, "analyst")
    page.goto("/imports")
    page.get_by_role("link", name="enter it by hand").click()
    page.get_by_label("Program").select_option("M5")
    page.get_by_label("Partner country (ISO alpha-3)").fill("AUS")
    typed = {
        "FIN": fin,
        "Last name": "Нуриев",
        "First name": "Рустам",
        "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)": "31/02/1975",
        "Fast-matcher status": "KST",
        "DI description": "Deported 2016",
        "Partner unique ID": f"AU-{fin}",
    }
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Enter the record").click()
    expect(page.get_by_role("alert")).to_contain_text("dob: impossible date")
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("Program")).to_have_value("M5")
    expect(page.get_by_label("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)")).to_have_attribute("aria-invalid", "true")
    check_accessible(page)
    shot(page, "manual-entry-refused")
    page.get_by_label("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)").fill("1975-02")
    page.get_by_role("button", name="Enter the record").click()
    expect(page.get_by_role("status").filter(has_text="The record was entered and imported.")).to_be_visible()
    with api_client(console_url) as api:
        wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the entered record's case")
    page.goto(f"/cases?fin={fin}&flag=derogatory")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and the case the record opened
