"""The console in a real browser against the running system: what an analyst, another program's analyst, a
redress officer, a supervisor, an auditor and an admin can do, and cannot, through the pages alone."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.disclosure.agreements import DEV_AGREEMENTS
from services.gateway.domain import DEV_USERS
from tests.e2e.console.conftest import (
    CHOICES,
    DISCLOSURE_ROWS,
    TEST_PASSWORD,
    api_client,
    check_accessible,
    create_user,
    new_fin,
    new_tag,
    settled,
    shot,
    sign_in,
    wait_for,
)
from tests.files import xlsx
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

M5_HEADER = [
    "FIN", "EID", "Surname", "Given Names", "DOB", "Sex", "Nationality", "Country of Birth", "Passport No",
    "Encounter Date", "Reason Fingerprinted", "Location Fingerprinted", "O/U/S", "Data Owner", "SPC",
    "Fast Matcher", "DI", "DI Description", "DI Shared", "Result", "Partner Reference", "TCN", "Search Code",
    "Remarks",
]  # fmt: skip


def _workbook(fin: str, ref: str, tcn: str) -> bytes:
    """One person's three encounters (one shareable, one special-protected, one of an uncovered owner) and a
    row that identifies no one."""
    person = [fin, None, "Зеленская", "Олена", date(1984, 5, 6), "F", "UKR", "UKR", f"FP{fin}"]
    tail = ["MATCH", ref, tcn, "HVP", None]
    rows: list[list[Any]] = [
        [*person, date(2019, 6, 14), "VISITOR ENTRY", "JFK", "CBP/OFO/JFK", "CBP", None, None, None, None, None, *tail],
        [*person, date(2022, 1, 20), "BENEFIT APPLICATION", "USCIS ASC NEW YORK", "USCIS/ASC/NYC", "USCIS", "T",
         None, None, None, None, *tail],
        [*person, date(2023, 3, 11), "WATCHLIST", "TSC", "FBI/TSC", "FBI-TSC", None, "KST", None, None, None, *tail],
        [None, None, "Smith", "John", date(1980, 1, 1), "M", "AUS", "AUS", None, date(2020, 2, 2), "VISITOR ENTRY",
         "SEA", "CBP/OFO/SEA", "CBP", None, None, None, None, None, "MATCH", None, f"{tcn}-2", "HVP", None],
    ]  # fmt: skip
    return xlsx(M5_HEADER, rows)


def test_an_analyst_imports_a_workbook_works_the_case_and_sends_an_accounted_disclosure(
    page: Page, browser: Browser, console_url: str
) -> None:
    fin, tag = new_fin(), new_tag().upper()
    ref, tcn = f"AU-CONSOLE-{tag}", f"AUS-TX-{tag}"

    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to TRACS")).to_be_visible()
    shot(page, "sign-in")
    sign_in(page, "analyst")

    # Import: choose the file, program and kind; the preview shows mapping, rows, problems and notices.
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": f"console-{tag}.xlsx", "mimeType": "application/octet-stream", "buffer": _workbook(fin, ref, tcn)}
    )
    page.get_by_label("Program", exact=True).select_option("M5")
    page.get_by_label("Kind", exact=True).select_option("partner-query")
    page.get_by_label("Partner country of the whole file").fill("AUS")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"console-{tag}.xlsx")
    expect(page.get_by_role("heading", level=1)).to_contain_text("staged")
    mapping = page.locator("section", has=page.get_by_role("heading", name="How each column was read"))
    expect(mapping.get_by_role("row", name="Surname last_name")).to_be_visible()
    rows = page.locator("section", has=page.get_by_role("heading", name="First rows as they will be imported"))
    expect(rows).to_contain_text("Зеленская")
    problems = page.locator("section", has=page.get_by_role("heading", name=re.compile("Row problems")))
    expect(problems).to_contain_text("neither FIN nor Partner Reference holds a value")
    expect(page.locator("section", has=page.get_by_role("heading", name="Notices"))).to_contain_text("partner AUS")
    shot(page, "import-preview")

    # Confirm, then watch the rows arrive in cases (the progress fragment polls until done).
    page.get_by_role("button", name="Confirm and import 3 rows").click()
    expect(page.get_by_role("status").filter(has_text="rows attached")).to_contain_text(
        "3 of 3 rows attached to cases: done.", timeout=60_000
    )
    shot(page, "import-progress")

    # The queue: find the case by a name typed in Latin letters (the record is in Cyrillic).
    page.get_by_role("link", name="Cases", exact=True).click()  # not "Open its cases"
    page.get_by_label("Name (any script)").fill("zelenskaya olena")
    page.get_by_role("button", name="Find").click()
    row = page.get_by_role("row").filter(has_text=ref)
    expect(row).to_have_count(1)
    expect(page.locator("#count")).to_have_text(re.compile(r"^[\d,]+ cases?$"))
    shown = page.locator("table.grid tbody tr").count()
    assert shown < 50, shown  # one page: the exact count is what the page lists
    expect(page.locator("#count")).to_have_text(f"{shown} case" + ("" if shown == 1 else "s"))
    shot(page, "case-queue")
    row.get_by_role("link").first.click()

    # The case: encounters with their caveats said plainly, the checklist, a search and a finding.
    expect(page.get_by_role("heading", name="Encounters (3)")).to_be_visible()
    expect(page.get_by_text("Protected class: never shared unless")).to_be_visible()
    checklist = page.locator("ul.checklist")
    expect(checklist).to_contain_text("✗ missing: IDENT-SIT")
    # A rule the API refuses comes back to the page in the API's words.
    for status, outcome in (("in-review", "Status changed."), ("findings-ready", "required searches are missing")):
        page.get_by_label("New status", exact=True).select_option(status)
        page.get_by_role("button", name="Change status").click()
        expect(page.locator(".flash")).to_contain_text(outcome)
    expect(page.get_by_role("alert")).to_contain_text("required searches are missing: IDENT-SIT")
    expect(page.get_by_role("heading", level=1)).to_contain_text("in-review")
    page.get_by_label("System searched", exact=True).select_option("IDENT-SIT")
    page.get_by_label("Result", exact=True).select_option("hit")
    page.get_by_label("Notes", exact=True).fill("checked IDENT")
    page.get_by_role("button", name="Record search").click()
    expect(page.get_by_role("status").filter(has_text="Search recorded.")).to_be_visible()
    expect(checklist).to_contain_text("✓ done: IDENT-SIT")
    kind = page.get_by_label("Kind of finding", exact=True)
    # The hint follows the control (a screen reader hears the label, then the select, then the hint as its description).
    expect(kind).to_have_accessible_description(re.compile("the searches found nothing adverse"))
    assert kind.evaluate("el => el.nextElementSibling.id") == "f-kind-hint"
    kind.select_option("travel-history")
    page.get_by_label("Finding", exact=True).fill("Admitted B-2 at JFK on 2019-06-14, departed on time.")
    page.get_by_label("Accurate as of").fill("2026-01-15")
    page.get_by_label(re.compile("CBP/OFO/JFK")).check()
    page.get_by_role("button", name="Record finding").click()
    expect(page.get_by_role("status").filter(has_text="Finding recorded.")).to_be_visible()
    expect(page.locator("article.finding")).to_contain_text("Accurate as of 2026-01-15")
    page.get_by_label("New status", exact=True).select_option("findings-ready")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("findings-ready")
    expect(page.locator("ol.timeline")).to_contain_text("finding-recorded")
    shot(page, "case")
    case_id = page.url.rsplit("/", 1)[1]

    # Disclosure hears of the encounters through events; the draft is built once it has them all.
    with api_client(console_url) as api:
        subject = api.get(f"/api/v1/cases/{case_id}").json()["subject_id"]
        wait_for(lambda: len(api.get(f"/api/v1/disclosures/subjects/{subject}/encounters").json()) == 3, "disclosure")

    page.get_by_role("link", name="Draft a disclosure").click()
    page.get_by_label("Purpose", exact=True).select_option("immigration")
    page.get_by_role("button", name="Build the draft").click()
    expect(page.get_by_role("heading", name="What will leave (1 encounter)")).to_be_visible()
    withheld = page.locator("section", has=page.get_by_role("heading", name=re.compile("Withheld, and why")))
    expect(withheld).to_contain_text("special protected class")
    expect(withheld).to_contain_text("data owner not covered")
    shot(page, "disclosure-draft", sort_rows=DISCLOSURE_ROWS)

    # The two-person rule: the analyst asks for review, the supervisor approves in a session of their own.
    page.get_by_role("button", name="Ask a supervisor to review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("in-review")
    reviewer = browser.new_context(base_url=console_url)
    sup = reviewer.new_page()
    sign_in(sup, "supervisor")
    sup.goto(page.url)
    sup.get_by_role("button", name="Approve").click()
    expect(sup.get_by_role("heading", level=1)).to_contain_text("approved")
    reviewer.close()
    page.reload()
    page.get_by_role("button", name="Send to the partner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sent")
    accounting = page.locator("section", has=page.get_by_role("heading", name="Accounting of this disclosure"))
    expect(accounting).to_contain_text("Department of Home Affairs")
    expect(accounting).to_contain_text("analyst")
    shot(page, "disclosure-sent", sort_rows=DISCLOSURE_ROWS)


def test_an_analyst_of_another_program_cannot_see_the_case_in_the_console_either(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    uk_analyst = create_user(console_url, ["analyst"], ["UK-VISA"])
    sign_in(page, uk_analyst, TEST_PASSWORD)
    response = page.goto(f"/cases/{m5_case['id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    with api_client(console_url, uk_analyst, TEST_PASSWORD) as api:  # the page answers exactly what the API answers
        assert api.get(f"/api/v1/cases/{m5_case['id']}").status_code == 404
    page.goto(f"/cases?fin={m5_case['fin']}")
    expect(page.get_by_text("No case matches.")).to_be_visible()
    expect(page.locator("#count")).to_have_text("0 cases")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "analyst")
    response = page.goto(f"/cases/{m5_case['id']}")
    assert response is not None and response.status == 200


def test_a_redress_officer_works_a_request_to_a_response(page: Page, console_url: str, m5_case: dict[str, str]) -> None:
    officer = create_user(console_url, ["analyst"], ["REDRESS"])
    trip = f"TRIP-CONSOLE-{new_tag().upper()}"
    sign_in(page, officer, TEST_PASSWORD)
    page.get_by_role("link", name="Redress").click()
    page.get_by_role("link", name="Open a request").click()
    page.get_by_label("TRIP number", exact=True).fill(trip)
    page.get_by_label("Last name", exact=True).fill("Marchetti")
    page.get_by_label("First name", exact=True).fill("Lucia")
    page.get_by_label("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)").fill("1979-11-23")
    page.get_by_label("Contested information", exact=True).fill("Referred to secondary inspection at every entry")
    page.get_by_label("Reason", exact=True).fill("My date of birth is recorded wrongly")
    page.get_by_role("button", name="Open the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(trip)
    page.get_by_label("Action", exact=True).select_option("start-review")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("under-review")

    # Candidates by name: redress hears of imported records through events, so search until it has ours.
    url = page.url

    def found() -> bool:
        # A person search crosses redress and cases: on a loaded machine the first one may take a while.
        page.goto(f"{url}?name=marchetti+lucia&fin={m5_case['fin']}", timeout=60_000)
        return page.get_by_role("row").filter(has_text=m5_case["fin"]).count() > 0

    wait_for(found, "the record in redress's candidates")
    page.get_by_role("row").filter(has_text=m5_case["fin"]).get_by_role("button", name=re.compile("Link")).click()
    expect(page.get_by_role("heading", name="Linked records (1)")).to_be_visible()
    page.get_by_label("Finding", exact=True).fill("Day and month of birth swapped at the 2020 entry")
    page.get_by_role("button", name="Record finding").click()
    expect(page.get_by_role("status").filter(has_text="Finding recorded.")).to_be_visible()
    page.get_by_label("Field", exact=True).select_option("dob")
    page.get_by_label("Problem", exact=True).fill("day and month swapped")
    page.get_by_label("Proposed value", exact=True).fill("1979-11-23")
    page.get_by_role("button", name="Propose correction").click()
    page.get_by_label("The data owner's decision", exact=True).select_option("accepted")
    page.get_by_role("button", name="Record decision").click()
    corrections = page.locator("section", has=page.get_by_role("heading", name="Corrections"))
    expect(corrections).to_contain_text("accepted")
    page.get_by_label("System searched", exact=True).select_option("IDENT-SIT")
    page.get_by_role("button", name="Log search").click()
    expect(page.get_by_role("status").filter(has_text="Search logged.")).to_be_visible()
    page.get_by_label("Action", exact=True).select_option("resolve")
    page.get_by_label("Determination (to resolve)", exact=True).select_option("corrected")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("resolved")
    page.get_by_label("Response", exact=True).select_option("trip-findings")
    page.get_by_role("button", name="Record response").click()
    expect(page.get_by_role("status").filter(has_text="Response recorded.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("trip-findings sent")
    shot(page, "redress")
    page.goto("/redress?overdue=true")
    expect(page.get_by_role("heading", name="Overdue redress")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=trip)).to_have_count(0)  # received today: not overdue


def test_a_supervisor_sees_the_reports_as_tables_and_charts_with_downloads(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    today = date.today().isoformat()
    with api_client(console_url, "supervisor") as api:  # reporting counts the imports through events: wait for them
        wait_for(lambda: api.get("/api/v1/reports/dosr", params={"from": today, "to": today}).json()["daily"], "DOSR")
        settled(lambda: api.get("/api/v1/reports/dosr", params={"from": today, "to": today}).json()["daily"])
    sign_in(page, "supervisor")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Director's Operations Status Report")).to_be_visible()
    expect(page.get_by_role("heading", name="Daily")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("table.grid").first).to_be_visible()
    # The picture: one day's report (the default period's length in days and weeks depends on the weekday).
    page.goto(f"/reports?report=dosr&from={today}&to={today}")
    expect(page.get_by_text(f"{today} to {today}")).to_be_visible()
    shot(page, "reports")
    for label, start in (("CSV", b"Director's Operations Status Report"), ("XLSX", b"PK"), ("PDF", b"%PDF")):
        with page.expect_download() as download:
            page.get_by_role("link", name=label, exact=True).click()
        with open(download.value.path(), "rb") as f:
            assert f.read(len(start)) == start, label
    for report, title in (("epr", "Executive Performance Report"), ("components", "Component notification report")):
        page.get_by_label("Report", exact=True).select_option(report)
        page.get_by_label("From", exact=True).fill(today)
        page.get_by_label("To", exact=True).fill(today)
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        expect(page.get_by_text(f"{today} to {today}")).to_be_visible()  # the period chosen is the one shown


def test_an_auditor_reads_a_case_trail_and_an_admin_sees_users_agreements_and_holds(
    page: Page, m5_case: dict[str, str]
) -> None:
    sign_in(page, "analyst")
    page.goto(f"/cases/{m5_case['id']}")  # read through the console: audited as the analyst's own API call
    response = page.goto(f"/audit-trail?record=case:{m5_case['id']}")
    assert response is not None and response.status == 403  # analysts do not read audit trails, here either
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "auditor")
    page.goto(f"/audit-trail?record=case:{m5_case['id']}")
    # One row per action the analyst took ("viewed case"), the HTTP calls behind it folded beneath.
    read = page.get_by_role("row").filter(has_text="viewed case").filter(has_text="analyst")
    expect(read.first).to_be_visible()
    # Each entry's proof status, checked by the gateway: the tree is signed every second here and the witness
    # cosigns within another, so the page is reloaded until one of the case's entries is proven.
    cosigned = re.compile(r"proven in checkpoint of size \d+, cosigned by the witness")

    def proven() -> bool:
        page.goto(f"/audit-trail?record=case:{m5_case['id']}")
        return page.get_by_text(cosigned).count() > 0

    wait_for(proven, "an entry of the case's trail proven in a checkpoint the witness cosigned", timeout=60)
    expect(page.locator("#proof-failures")).to_have_count(0)
    page.locator("details", has_text=cosigned).first.locator("summary").click()  # the calls behind the action
    expect(page.get_by_text(re.compile(r"leaf index \d+ of \d+")).first).to_be_visible()
    page.get_by_role("link", name="the checkpoint").first.click()
    expect(page.get_by_role("heading", name="Checkpoints the entries are proven in")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile(r"Checkpoint of the \w+ trail")).first).to_contain_text(
        "tracs/audit/"
    )

    # The picture: the analyst's actions on the case, the newest opened, once every call behind them is proven
    # (the auditor's own reads above are as many as the reloads the wait took, and a checkpoint shows only once
    # one of its service's calls is proven).
    def all_proven() -> bool:
        page.goto(f"/audit-trail?record=case:{m5_case['id']}&actor=analyst")
        return page.locator(".proof").count() > 0 and page.locator(".proof:not(.proof-proven)").count() == 0

    wait_for(all_proven, "every call of the analyst's actions on the case proven", timeout=60)
    page.locator("details").first.locator("summary").click()
    shot(page, "audit-trail")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="supervisor").first).to_be_visible()
    page.get_by_role("link", name="M5 Australia HVP").click()
    expect(page.get_by_role("heading", name="Recipients")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="homeaffairs")).to_contain_text("yes")
    page.go_back()
    expect(page.get_by_role("heading", name="Legal holds")).to_be_visible()
    # Admin writes through the same forms: a user, and a legal hold placed on the case and released.
    newcomer = f"analyst-{new_tag()}"
    page.get_by_text("Add a user").click()
    page.get_by_label("User name").fill(newcomer)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_label("analyst", exact=True).check()
    page.get_by_label("M5", exact=True).check()
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status").filter(has_text="User created.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=newcomer)).to_contain_text("M5")
    page.get_by_label("Case id").fill(m5_case["id"])
    page.get_by_label("Reason", exact=True).fill("litigation hold, console test")
    page.get_by_role("button", name="Place hold").click()
    hold = page.get_by_role("row").filter(has_text="litigation hold, console test")
    expect(hold).to_contain_text(f"case {m5_case['id'][:8]}")
    # The picture: the development logins and the seeded agreements, whichever tests added others before.
    shot(
        page,
        "admin",
        keep_rows={"Users": [*DEV_USERS, newcomer], "Agreements": [name for name, _, _ in DEV_AGREEMENTS]},
    )
    hold.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status").filter(has_text="Hold released.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="litigation hold, console test")).to_have_count(0)


def test_a_supervisor_assigns_a_case_and_an_analyst_flags_an_encounter_not_sharable(
    page: Page, m5_case: dict[str, str]
) -> None:
    sign_in(page, "supervisor")
    page.goto(f"/cases/{m5_case['id']}")
    page.get_by_label("Assign to").select_option("analyst")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("dl.facts")).to_contain_text("analyst")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "analyst")
    page.goto("/cases?assignee=analyst&fin=" + m5_case["fin"])
    expect(page.get_by_role("row").filter(has_text="analyst")).to_have_count(1)
    page.goto(f"/cases/{m5_case['id']}")
    expect(page.get_by_role("button", name="Assign")).to_have_count(0)  # analysts are not offered assignment
    page.get_by_text("Mark not sharable").first.click()
    page.get_by_label("Reason", exact=True).fill("CBP asked that this entry not be shared")
    page.get_by_role("button", name="Mark not sharable").click()
    expect(page.get_by_text("Not sharable: withheld from every disclosure.")).to_be_visible()
    expect(page.get_by_text("Reason: CBP asked that this entry not be shared")).to_be_visible()


def test_forms_need_the_csrf_token_and_the_session_cookie_is_httponly_and_strict(console_url: str) -> None:
    with httpx.Client(base_url=console_url, timeout=30) as client:
        login = client.get("/login")
        assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
        assert login.headers["cache-control"] == "no-store"
        form = login.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        refused = client.post("/login", data={"username": "analyst", "password": "tracs-dev"})
        assert refused.status_code == 403 and "tracs_session" not in refused.headers.get("set-cookie", "")
        signed = client.post("/login", data={"csrf_token": token[1], "username": "analyst", "password": "tracs-dev"})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"].lower()
        assert "tracs_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert client.post("/imports/00000000-0000-0000-0000-000000000000/confirm").status_code == 403
    # A refused sign-in is shown with the token endpoint's own status and words (a login of its own, so the
    # failure never counts towards another test's lockout).
    someone = create_user(console_url, ["auditor"], [])
    with httpx.Client(base_url=console_url, timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        wrong = client.post("/login", data={"csrf_token": token[1], "username": someone, "password": "wrong"})
        assert wrong.status_code == 401 and 'role="alert"' in wrong.text


def test_the_queue_and_a_case_work_by_keyboard_alone_and_reflow_at_200_percent_zoom(
    browser: Any, console_url: str, m5_case: dict[str, str]
) -> None:
    # 640 x 450 CSS pixels is a 1280 x 900 window at 200% zoom: nothing may need sideways scrolling of the page
    # (wide tables scroll inside their own labelled region, as WCAG's reflow rule allows).
    context = browser.new_context(base_url=console_url, viewport={"width": 640, "height": 450})
    page = context.new_page()
    try:
        sign_in(page, "analyst")
        page.goto("/cases")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # Search by FIN from the keyboard: tab to the FIN field, type, submit with Enter.
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "f-fin":
                break
        page.keyboard.type(m5_case["fin"])
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(f"fin={m5_case['fin']}"))
        link = page.get_by_role("row").filter(has_text="M5").get_by_role("link").first
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(m5_case["id"]))
        for path in ("/cases", f"/cases/{m5_case['id']}", "/imports", "/redress", "/reports"):
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 200% zoom"
            check_accessible(page)
        page.goto(f"/cases/{m5_case['id']}")
        shot(page, "case-at-200-percent")
    finally:
        context.close()


def test_the_import_page_polls_until_every_row_of_a_large_file_is_in_a_case(page: Page) -> None:
    tag, base = new_tag(), CHOICES.randint(30_000_000, 89_000_000)
    rows = [
        [str(base + i), f"Progress{tag}", "Test", "1970", "2021-01-01", "CBP/OFO/JFK",
         "CBP", "MATCH", f"AU-PROG-{tag}-{i}"]
        for i in range(1500)
    ]  # fmt: skip
    header = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "Result", "Partner Ref"]
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/progress") else None)
    sign_in(page, "analyst")
    page.goto("/imports")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": f"progress-{tag}.csv", "mimeType": "text/csv", "buffer": csv_bytes(header, rows)}
    )
    page.get_by_label("Partner country of the whole file").fill("AUS")
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name=re.compile("Confirm and import")).click()
    progress = page.get_by_role("status").filter(has_text="rows attached")
    expect(progress).to_contain_text("of 1500 rows attached to cases", timeout=30_000)
    expect(progress).to_contain_text("1500 of 1500 rows attached to cases: done.", timeout=120_000)
    assert polls, "the page never polled the batch: the rows were counted only once"
    expect(page.locator("#progress[hx-trigger]")).to_have_count(0)  # done: polling stops


def test_a_rejected_import_imports_nothing_and_a_refused_file_is_explained(page: Page) -> None:
    tag = new_tag()
    header = ["FIN", "Surname", "Given Names", "DOB", "Result", "Partner Ref"]
    content = csv_bytes(header, [[new_fin(), f"Reject{tag}", "Test", "1970", "MATCH", f"AU-REJ-{tag}"]])
    sign_in(page, "analyst")
    for name, buffer in ((f"reject-{tag}.csv", content), (f"empty-{tag}.csv", b"")):
        page.goto("/imports")
        page.get_by_label("File", exact=True).set_input_files({"name": name, "mimeType": "text/csv", "buffer": buffer})
        page.get_by_role("button", name="Upload and preview").click()
        if buffer:
            page.get_by_role("button", name="Reject").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("rejected")
            expect(page.get_by_role("button", name=re.compile("Confirm"))).to_have_count(0)
        else:  # intake refuses it and says why, on the import page
            expect(page.get_by_role("alert")).to_contain_text("empty")
            expect(page.get_by_role("heading", level=1)).to_have_text("Import a file")


@pytest.mark.parametrize("username", ["analyst", "supervisor", "auditor", "admin"])
def test_every_page_a_role_reaches_from_the_menu_reflows_at_200_percent_with_labelled_controls(
    browser: Any, console_url: str, username: str
) -> None:
    """Each menu page of each development login (and the first page each links to: a case, a bulletin, an
    agreement), at 640 x 450 CSS pixels: no sideways scrolling, every control labelled, the skip link."""
    context = browser.new_context(base_url=console_url, viewport={"width": 640, "height": 450})
    page = context.new_page()
    try:
        sign_in(page, username)
        menu = page.locator("nav[aria-label=Main] a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert menu, f"{username} has no menu"
        visited = []
        for path in menu:
            page.goto(path)
            visited.append(path)
            detail = page.locator(
                "main a[href^='/cases/'], main a[href^='/bulletins/'], main a[href^='/admin/agreements/']"
            )
            hrefs = [h for h in detail.evaluate_all("links => links.map(a => a.getAttribute('href'))") if h]
            for target in [path, *hrefs[:1]]:
                page.goto(target)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{target} scrolls sideways by {overflow}px at 200% zoom ({username})"
                check_accessible(page)
        assert len(visited) == len(menu)
    finally:
        context.close()
