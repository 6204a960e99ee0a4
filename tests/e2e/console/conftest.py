"""Browser tests of the console: Playwright (from PyPI) driving Debian's chromium against the running stack.

The set-up installs Debian's `chromium` package when it is missing (as root, like the walkthrough installs
jq); Playwright's own browser download is never used. `TRACS_CONSOLE_TEST_URL` points the tests at a system
already running (`make run`) instead of starting one.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import chromium_path, csv_bytes

ROOT = Path(__file__).resolve().parents[3]
# Where the screenshots go: `make screenshots` sets docs/console (the pictures in docs/console.md); any other
# run keeps them under var/, so a test run never leaves the docs changed by ids and times alone.
SHOTS = ROOT / os.environ.get("TRACS_CONSOLE_SCREENSHOTS", "var/console-screenshots")
# The tests' own random choices (FINs, tags, user names): under `make screenshots` the same from run to run, whatever
# ran before. A generator of their own, so nothing else in the process has its randomness fixed; reseeded from the
# module and fixture's names in each module fixture (fixed_choices) and from the test's id before each test, so
# what a picture shows never depends on which tests ran first.
FIXED = "TRACS_CONSOLE_SCREENSHOTS" in os.environ
CHOICES = random.Random(None)


def fixed_choices(request: pytest.FixtureRequest) -> None:
    """First thing in a module fixture that draws choices: its data is the same whichever test asked for it first."""
    if FIXED:
        CHOICES.seed(f"fixture {request.module.__name__} {request.fixturename}")


@pytest.fixture(autouse=True)
def _fixed_test_choices(request: pytest.FixtureRequest) -> None:
    if FIXED:
        CHOICES.seed(f"test {request.node.nodeid}")


TEST_PASSWORD = "console-test-password"


@pytest.fixture(scope="session")
def console_url(request: pytest.FixtureRequest) -> str:
    if url := os.environ.get("TRACS_CONSOLE_TEST_URL"):
        return url.rstrip("/")
    return request.getfixturevalue("stack").url("edge")


@pytest.fixture(scope="module")
def browser(console_url: str) -> Iterator[Browser]:
    """Module-scoped and started after the stack: Playwright's sync API runs an event loop of its own in this
    thread while it is open, so no other test (or fixture) may need asyncio.run meanwhile."""
    executable = chromium_path()
    with sync_playwright() as p:
        # --no-sandbox: the tests run as root in CI, where chromium's sandbox refuses to start. The rest make the
        # pictures the same pixel for pixel from run to run: software raster, no per-run skia or hinting choices
        # (without them a control's rounded corner came out one grey level apart in two runs).
        deterministic = [
            "--disable-gpu",
            "--force-color-profile=srgb",
            "--font-render-hinting=none",
            "--disable-skia-runtime-opts",
            "--disable-partial-raster",
            "--disable-lcd-text",
        ]
        b = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage", *deterministic]
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, console_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    # The console makes no third-party request: anything leaving the gateway's origin fails the test.
    foreign: list[str] = []
    context.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((console_url, "data:")) else None)
    pg = context.new_page()
    # Script errors and anything the Content-Security-Policy blocked (htmx included) fail the test too.
    broken: list[str] = []
    pg.on("pageerror", lambda exc: broken.append(str(exc)))
    pg.on("console", lambda m: broken.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
    assert not foreign, f"the console requested other origins: {foreign}"
    assert not broken, f"script errors or blocked content: {broken}"


def sign_in(page: Page, username: str, password: str = "tracs-dev") -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


# Every visible form control with no label (a <label for>, a wrapping label or aria-label) is named here.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def check_accessible(page: Page) -> None:
    """What every page promises: each control labelled, a skip link first in the tab order, one main."""
    assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on {page.url}"
    assert page.locator("a.skip").get_attribute("href") == "#main"
    assert page.locator("main#main").count() == 1


# What differs from run to run by nature (record ids, times, hashes and signatures, generated user names) is
# painted over in the pictures, so `make screenshots` retakes the same pictures from the same steps.
# Inside a closed <details> nothing is drawn, yet chromium still lays it out: those are left alone.
VOLATILE = ", ".join(
    f"{selector}:not(details:not([open]) *)"
    for selector in (
        "time", "span.nowrap", "main code", ".checkpoint", ".proof", "a[href^='/cases/']", "a[href^='/disclosures/']",
        "a[href^='/imports/']", "a[href^='/redress/']", "a[href^='/referrals/']", ".signout strong",
        "input[name='record']", "[data-volatile]",
    )
)  # fmt: skip
# The tables of a disclosure's page: what leaves and what is withheld, in the order of the encounters' random ids.
DISCLOSURE_ROWS = ("section[aria-labelledby=h-leaves] tbody", "section[aria-labelledby=h-withheld] tbody")


# What a page loads after first paint (the menu's unread count, the queue's count): a picture waits for all of it.
# The unread count is then left out: how many notifications the shared logins have depends on the tests before (it
# is tested on its own). Taken out of the page rather than styled away: the pages' CSP refuses inline styles.
PENDING = '[hx-trigger="load"]'
DROP_BADGE = "() => document.querySelectorAll('#unread-count').forEach(e => e.remove())"
# Rows of a shared table that other tests add to (users, agreements): a picture keeps only the rows named.
KEEP_ROWS = """([region, names]) => {
  const table = document.querySelector(`[role=region][aria-label="${region}"] tbody`);
  if (!table) return -1;
  const rows = [...table.rows].filter(r => !names.includes(r.cells[0].textContent.trim().split(" · ")[0].trim()));
  rows.forEach(r => r.remove());
  return rows.length;
}"""


# The clock the pictures show: dates near today (a report's period, a due date) are moved by whole days to read as
# if today were FIXED_TODAY, so a picture taken on another day is the same; dates of the test data (2020, 1979)
# are far from today and stay as they are.
FIXED_TODAY = date(2026, 12, 1)
NEAR_TODAY = 120  # days either side of today that count as the clock's own

# Run in the page before a picture, after its checks. What differs from run to run is written over with fixed
# text of a fixed width, so neither the grey boxes nor the layout around them move with an id's or a time's
# glyphs: inside a volatile element every number becomes "00" and every word holding a digit (an id, a hash, a
# signature, a generated name's tag) as many zeros; anywhere on the page a record's id (whole or its first 8
# characters, as headings show them) becomes zeros too; dates and ISO weeks near today move to FIXED_TODAY.
NORMALISE = """([volatile, today, fixed, near]) => {
  const DAY = 86400000, zeros = n => "0".repeat(n);
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  const noId = zeros(8) + "-0000-0000-0000-" + zeros(12);
  const blur = s => s.replace(uuid, noId).replace(/\\b[0-9a-f]{8}\\b/g, zeros(8)).replace(/[A-Za-z0-9+\\/=]+/g,
    w => /^[0-9]+$/.test(w) ? "00" : (/[0-9]/.test(w) || /^[0-9a-f]{6,}$/.test(w)) ? zeros(w.length) : w);
  const html = document.documentElement.outerHTML + " " + location.href;
  const prefixes = new Set((html.match(uuid) || []).map(u => u.slice(0, 8)));
  const t0 = Date.parse(today), shift = Date.parse(fixed) - t0;
  const iso = ms => new Date(ms).toISOString().slice(0, 10);
  const monday = ms => ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY;
  const isoWeek = ms => {  // ISO 8601: the week holding the Thursday of this date's week
    const thu = monday(ms) + 3 * DAY, year = new Date(thu).getUTCFullYear();
    return `${year}-W${String(1 + Math.floor((thu - Date.UTC(year, 0, 1)) / (7 * DAY))).padStart(2, "0")}`;
  };
  const weekStart = w => {  // the Monday of an ISO week "2026-W49"
    const [y, n] = [Number(w.slice(0, 4)), Number(w.slice(6))];
    return monday(Date.UTC(y, 0, 4)) + (n - 1) * 7 * DAY;
  };
  const weekShift = monday(Date.parse(fixed)) - monday(t0);
  const isNear = ms => Math.abs(ms - t0) <= near * DAY;
  const clock = (s, example) => s
    .replace(/\\b(\\d{4}-\\d{2}-\\d{2})([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?\\b/g, (all, d, time) =>
      isNear(Date.parse(d)) ? iso(Date.parse(d) + shift) + (time ? time[0] + "00:00" : "") : all)
    .replace(/\\b\\d{4}-W\\d{2}\\b/g, w => isNear(weekStart(w)) ? isoWeek(weekStart(w) + weekShift) : w)
    .replace(uuid, noId)
    .replace(/\\b[0-9a-f]{8}\\b/g, h => prefixes.has(h) || (!example && /[a-f]/.test(h) && /[0-9]/.test(h))
      ? zeros(8) : h);
  const texts = root => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    return found.filter(n => !n.parentElement.closest("script, style"));
  };
  const saved = window.shotSaved = [];  // put back after the picture: the test goes on with the page
  window.shotFocus = document.activeElement;  // no focus ring in a picture (it lands on a control or not by timing)
  if (window.shotFocus && window.shotFocus.blur) window.shotFocus.blur();
  const put = (on, key, value) => { if (on[key] !== value) { saved.push([on, key, on[key]]); on[key] = value; } };
  const shown = [...document.querySelectorAll("input:not([type=hidden])")];
  document.querySelectorAll(volatile).forEach(el => {
    if (shown.includes(el)) put(el, "value", blur(el.value));
    texts(el).forEach(n => put(n, "data", blur(n.data)));
  });
  texts(document.body).forEach(n => put(n, "data", clock(n.data, n.parentElement.closest("label"))));
  shown.forEach(el => put(el, "value", clock(el.value)));
}"""
# Rows whose order the page leaves to chance (rows opened in the same instant, items in the order of their random
# ids): in a picture sorted by what they show, once the ids in them are zeros.
SORT_ROWS = """(selectors) => selectors.map(selector => [...document.querySelectorAll(selector)].map(body => {
  const rows = [...body.rows];
  window.shotOrder.push([body, rows]);
  [...rows].sort((a, b) => a.textContent.localeCompare(b.textContent)).forEach(r => body.appendChild(r));
}).length)"""
RESTORE = """() => {
  (window.shotSaved || []).reverse().forEach(([on, key, value]) => { on[key] = value; });
  (window.shotOrder || []).forEach(([body, rows]) => rows.forEach(r => body.appendChild(r)));
  window.shotOrder = [];
  if (window.shotFocus && window.shotFocus.focus) window.shotFocus.focus({preventScroll: true});
}"""


def shot(
    page: Page, name: str, keep_rows: dict[str, Collection[str]] | None = None, sort_rows: Collection[str] = ()
) -> None:
    """A screenshot (for docs/console.md under `make screenshots`), taken by the test that shows the page working
    and checked first; volatile regions masked, animations stopped, the caret hidden. `keep_rows` (a table's
    region label -> the first cells to keep) leaves out rows other tests added, so the picture is the same
    whichever tests ran before (the page itself has already been checked whole); `sort_rows` (CSS selectors of
    table bodies) puts rows whose order is chance in the order of their text, for the picture only."""
    check_accessible(page)
    if page.locator(PENDING).count():
        page.wait_for_function(f"() => !document.querySelector('{PENDING}')", timeout=15_000)
    page.evaluate(DROP_BADGE)
    for region, names in (keep_rows or {}).items():
        assert page.evaluate(KEEP_ROWS, [region, list(names)]) >= 0, f"no table {region!r} on {page.url}"
    page.evaluate(NORMALISE, [VOLATILE, datetime.now(UTC).date().isoformat(), FIXED_TODAY.isoformat(), NEAR_TODAY])
    page.evaluate("() => { window.shotOrder = []; }")
    if sort_rows:
        found = page.evaluate(SORT_ROWS, list(sort_rows))
        assert any(found), f"no table body {list(sort_rows)} on {page.url}: {found}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(
            path=str(SHOTS / f"{name}.png"),
            full_page=True,
            mask=[page.locator(VOLATILE)],
            mask_color="#8a8f98",
            animations="disabled",
            caret="hide",
        )
    finally:
        page.evaluate(RESTORE)


def api_token(console_url: str, username: str, password: str = "tracs-dev") -> str:
    r = httpx.post(f"{console_url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def create_user(console_url: str, roles: list[str], programs: list[str]) -> str:
    """A login of its own for a test (through the admin API), so tests never share a lockout or a name."""
    username = f"{roles[0]}-{CHOICES.getrandbits(24):06x}"
    r = httpx.post(
        f"{console_url}/api/v1/users",
        json={"username": username, "password": TEST_PASSWORD, "roles": roles, "programs": programs},
        headers={"Authorization": f"Bearer {api_token(console_url, 'admin')}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return username


def new_fin() -> str:
    return str(CHOICES.randint(10_000_000, 99_999_999))


def new_tag() -> str:
    """Six hex digits making a test's names and references its own (fixed under `make screenshots`)."""
    return f"{CHOICES.getrandbits(24):06x}"


def api_client(console_url: str, username: str = "analyst", password: str = "tracs-dev") -> httpx.Client:
    token = api_token(console_url, username, password)
    return httpx.Client(base_url=console_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def wait_for(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def settled(read: Any, quiet: float = 3, timeout: float = 60) -> Any:
    """What `read` gives once it has stayed the same for `quiet` seconds: counts other services reach through events
    (reporting's) are still moving for a moment after the step that caused them."""
    deadline, last = time.monotonic() + timeout, read()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        if (now := read()) == last:
            return now
        last = now
    raise AssertionError(f"still changing after {timeout}s: {last!r}")


@pytest.fixture(scope="module")
def m5_case(console_url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """An M5 case imported through the API (as a partner tool would), for the tests that only look at one."""
    fixed_choices(request)
    fin, tag = new_fin(), new_tag()
    content = csv_bytes(
        [
            "FIN",
            "Surname",
            "Given Names",
            "DOB",
            "Encounter Date",
            "O/U/S",
            "Data Owner",
            "Result",
            "Partner Reference",
        ],
        [[fin, "Marchetti", "Lucia", "1979-11-23", "2020-05-01", "CBP/OFO/MIA", "CBP", "MATCH", f"AU-{tag}"]],
    )
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"marchetti-{tag}.csv", content, "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        items = wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the M5 case")
    return {"id": items[0]["id"], "fin": fin}


def make_ready(console_url: str, case_id: str, finding: str = "No derogatory information found") -> None:
    """The work the PIA asks before anything leaves (issue 27): the program's searches logged, a finding."""
    with api_client(console_url) as api:
        view = api.get(f"/api/v1/cases/{case_id}").json()
        for system in view["missing_searches"]:
            r = api.post(f"/api/v1/cases/{case_id}/searches", json={"system": system, "result": "no-hit"})
            assert r.status_code == 201, r.text
        if not view["findings"]:
            r = api.post(f"/api/v1/cases/{case_id}/findings", json={"kind": "summary", "text": finding})
            assert r.status_code == 201, r.text


def supervisor_approves(browser: Browser, console_url: str, message_url: str) -> None:
    """A second person, in a browser session of their own, approves exactly the message at `message_url`."""
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    try:
        sup = context.new_page()
        sign_in(sup, "supervisor")
        sup.goto(message_url)
        sup.get_by_role("button", name="Approve").click()
        expect(sup.get_by_role("status").filter(has_text="Approved")).to_be_visible()
    finally:
        context.close()


def answered_to_uk(console_url: str, header: list[str], rows: list[list[str]], fin: str, filename: str) -> str:
    """Rows imported as one M5 case (found by its FIN), made ready, drafted to the UK, approved by a supervisor and
    sent, all through the API as other tests' set-up: the case's id."""
    with api_client(console_url) as api, api_client(console_url, "supervisor") as sup:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (filename, csv_bytes(header, rows), "text/csv")},
            data={"program": "M5", "kind": "partner-query"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        items = wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the case")
        case_id = str(items[0]["id"])
        make_ready(console_url, case_id)
        agreement = next(a for a in api.get("/api/v1/agreements").json() if a["name"] == "M5 United Kingdom HVP")
        uk = api.get(f"/api/v1/agreements/{agreement['id']}").json()["recipients"][0]
        body = {"case_id": case_id, "recipient_id": uk["id"], "purpose": "immigration"}
        # 404 until disclosure has projected the case from cases' events.
        draft = wait_for(lambda: (d := api.post("/api/v1/disclosures", json=body)).status_code == 201 and d, "a draft")
        draft_id = draft.json()["id"]
        assert api.post(f"/api/v1/disclosures/{draft_id}/review").status_code == 200
        assert sup.post(f"/api/v1/disclosures/{draft_id}/approve").status_code == 200
        assert api.post(f"/api/v1/disclosures/{draft_id}/send").status_code == 200
    return case_id
