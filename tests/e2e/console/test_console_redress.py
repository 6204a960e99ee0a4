"""The re-link in a real browser: a redress officer moves a wrongly linked record to its person, a refused
re-link keeps what was typed, and an undo moves it back."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import api_client, new_fin, new_tag, shot, sign_in, wait_for
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

HEADER = ["FIN", "Surname", "Given Names", "DOB", "O/U/S", "Data Owner", "Result", "Partner Reference"]


def _seed(console_url: str) -> dict[str, str]:
    """Two people: Mensah's FIN carries an encounter of Okafor's (her fingerprints linked to his record)."""
    fin_a, fin_b, tag = new_fin(), new_fin(), new_tag()
    rows = [
        [fin_a, "Mensah", "Kwame", "1975-02-02", "CBP/OFO/JFK", "CBP", "MATCH", f"RL-{tag}"],
        [fin_a, "Okafor", "Chinwe", "1988-09-09", "CBP/OFO/JFK", "CBP", "MATCH", f"RL-{tag}"],
        [fin_b, "Okafor", "Chinwe", "1988-09-09", "CBP/OFO/SEA", "CBP", "MATCH", f"RM-{tag}"],
    ]
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"relink-{tag}.csv", csv_bytes(HEADER, rows), "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200

        def case_of(fin: str, n: int) -> dict | None:
            items = api.get("/api/v1/cases", params={"fin": fin}).json()["items"]
            view = api.get(f"/api/v1/cases/{items[0]['id']}").json() if items else None
            return view if view and len(view["encounters"]) == n else None

        case_a = wait_for(lambda: case_of(fin_a, 2), "Mensah's case")
        case_b = wait_for(lambda: case_of(fin_b, 1), "Okafor's case")
        wrong = next(e for e in case_a["encounters"] if e["fields"]["last_name"] == "Okafor")
        request = {
            "source": "TRIP",
            "trip_number": f"TRIP-RL-{tag.upper()}",
            "sent_on": date.today().isoformat(),
            "received_on": date.today().isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Okafor", "first_name": "Chinwe", "dob": "1988-09-09"},
            "contested_information": "Secondary inspection at every entry",
            "reason": "My fingerprints are under another man's record",
        }
        rid = api.post("/api/v1/redress", json=request).json()["id"]
        linked = api.post(f"/api/v1/redress/{rid}/links", json={"encounter_id": wrong["id"], "note": "her JFK entry"})
        assert linked.status_code == 200, linked.text
    return {
        "redress_id": rid,
        "case_a": case_a["id"],
        "subject_a": case_a["subject_id"],
        "subject_b": case_b["subject_id"],
        "wrong": wrong["id"],
    }


def test_an_officer_relinks_a_record_to_its_person_in_the_console_and_undoes_it(page: Page, console_url: str) -> None:
    seeded = _seed(console_url)
    sign_in(page, "analyst")
    page.goto(f"/redress/{seeded['redress_id']}")
    form = page.get_by_role("form", name="Re-link records")
    form.get_by_role("checkbox").check()
    page.get_by_label("Right subject (id; leave empty for a new subject)").fill("not-a-subject-id")
    reason = "Her fingerprints, her FIN: the JFK entry is Okafor's"
    page.get_by_label("Why they belong to that person").fill(reason)
    page.get_by_role("button", name="Re-link", exact=True).click()
    # Refused in the API's words, with everything typed still there.
    expect(page.get_by_role("alert")).to_contain_text("Redress refused the re-link")
    expect(page.get_by_label("Why they belong to that person")).to_have_value(reason)
    expect(page.get_by_label("Right subject (id; leave empty for a new subject)")).to_have_value("not-a-subject-id")
    expect(page.get_by_role("form", name="Re-link records").get_by_role("checkbox")).to_be_checked()

    page.get_by_label("Right subject (id; leave empty for a new subject)").fill(seeded["subject_b"])
    page.get_by_role("button", name="Re-link", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Records re-linked")).to_be_visible()
    relinks = page.get_by_role("region", name="Re-links")
    expect(relinks).to_contain_text(seeded["subject_b"])
    expect(relinks).to_contain_text(reason)

    with api_client(console_url) as api:

        def subject_of_wrong() -> str:
            return api.get(f"/api/v1/encounters/{seeded['wrong']}").json()["subject_id"]

        wait_for(lambda: subject_of_wrong() == seeded["subject_b"], "cases to move the record")
    page.goto(f"/cases/{seeded['case_a']}")
    expect(page.locator("main")).not_to_contain_text("Okafor")  # Mensah's case no longer holds her record
    page.goto(f"/redress/{seeded['redress_id']}")
    shot(page, "redress-relink")

    page.get_by_label("Why undo").fill("The FIN was read from the wrong card")
    page.get_by_role("button", name="Undo re-link").click()
    expect(page.get_by_role("status").filter(has_text="Re-link undone")).to_be_visible()
    expect(page.get_by_role("region", name="Re-links").get_by_role("row")).to_have_count(3)  # header and both steps
    expect(page.get_by_role("region", name="Re-links")).to_contain_text("undone")
    expect(page.locator("ol.timeline")).to_contain_text("relink-undone")
    with api_client(console_url) as api:
        wait_for(
            lambda: api.get(f"/api/v1/encounters/{seeded['wrong']}").json()["subject_id"] == seeded["subject_a"],
            "cases to move the record back",
        )


def test_an_officer_walks_a_privacy_act_amendment_to_its_appeal_in_the_console(page: Page) -> None:
    sign_in(page, "analyst")
    page.goto("/redress")
    page.get_by_role("link", name="Privacy Act requests").click()
    page.get_by_role("link", name="Enter a request").click()
    page.get_by_label("Kind", exact=True).select_option("amendment")
    received = date.fromordinal(date.today().toordinal() - 100).isoformat()
    page.get_by_label("Received on", exact=True).fill(received)
    surname = f"Kowalczyk-{new_tag()[:4]}"
    page.get_by_label("Last name", exact=True).fill(surname)
    page.get_by_label("Records sought or contested").fill("IDENT encounter at ORD, 2018")
    page.get_by_role("button", name="Enter the request").click()
    # Refused: an amendment states its proposed amendment; nothing typed is lost.
    expect(page.get_by_role("alert")).to_contain_text("proposed amendment")
    expect(page.get_by_label("Last name", exact=True)).to_have_value(surname)
    expect(page.get_by_label("Received on", exact=True)).to_have_value(received)
    page.get_by_label("Proposed amendment (amendment)").fill("Place of birth: Kraków")
    page.get_by_role("button", name="Enter the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("overdue")  # 100 days: the clock ran out
    page.get_by_label("Exemption claimed").select_option("(k)(2)")
    page.get_by_label("Basis").fill("investigatory material")
    page.get_by_role("button", name="Record exemption review").click()
    page.get_by_label("Decision", exact=True).select_option("denied")
    page.get_by_label("Reason", exact=True).fill("exempt under (k)(2)")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_label("Sent on", exact=True).fill(date.fromordinal(date.today().toordinal() - 90).isoformat())
    page.get_by_role("button", name="Record response").click()
    expect(page.locator("dl.facts")).to_contain_text("appeal rights stated")
    page.get_by_label("Appealed on").fill(date.fromordinal(date.today().toordinal() - 80).isoformat())
    page.get_by_label("Grounds of appeal").fill("The record is not investigatory")
    page.get_by_role("button", name="Record appeal").click()
    expect(page.get_by_role("status").filter(has_text="Appeal recorded")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("appeal, due")
    expect(page.get_by_role("heading", level=1)).to_contain_text("overdue")
    shot(page, "privacy-act")
    page.goto("/privacy-act?overdue=true")
    expect(page.get_by_role("row").filter(has_text=surname)).to_contain_text("appeal due")
