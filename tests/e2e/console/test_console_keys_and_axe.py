"""The console for keyboard users and everyone's eyes: focus on the results after a search, shortcuts for the queue
and a case (listed at /help/keys), user-written text isolated and wrapped (a right-to-left override or a
3,000-character reason cannot garble or widen a page), and axe-core run in every menu page of every development
login with no serious or critical violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from services.gateway.domain import DEV_USERS
from tests.e2e.console.conftest import api_client, new_fin, new_tag, sign_in, wait_for
from tests.support import csv_bytes

AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
RLO = "\u202e"

# axe-core runs in the page through the DevTools protocol (the page's CSP does not govern that); only its findings
# come back. Every rule axe runs by default (WCAG 2.x A and AA, colour contrast, best practices).
RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def serious_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]


def test_every_menu_page_of_every_development_login_has_no_serious_accessibility_violation(
    browser: Browser, console_url: str
) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    visited = 0
    for username in DEV_USERS:
        context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            menu = page.locator('nav[aria-label="Main"] a').evaluate_all("links => links.map(a => a.pathname)")
            assert "/help/keys" in menu
            for path in ["/", *menu]:
                page.goto(path)
                page.wait_for_load_state("networkidle")  # htmx's counts and sections have come in
                visited += 1
                if bad := serious_violations(page):
                    found[f"{username} {path}"] = bad
        finally:
            context.close()
    assert visited >= 5 * 3
    assert found == {}, found


def test_the_accessibility_check_finds_a_violation_when_there_is_one(page: Page) -> None:
    """The check above can fail: a button without a name and an image without a text are found as critical."""
    sign_in(page, "analyst")
    page.goto("/help/keys")
    assert serious_violations(page) == []
    page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<button type="button"></button><img src="/static/none.png">')""")
    assert {"button-name", "image-alt"} <= {v["id"] for v in serious_violations(page)}


def _case_with_name(console_url: str, surname: str) -> dict[str, str]:
    """An M5 case of a person whose surname the test chooses (imported as a partner tool would)."""
    fin, tag = new_fin(), new_tag()
    header = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "Result"]
    content = csv_bytes(header, [[fin, surname, "Lina", "1987-02-03", "2020-05-01", "CBP/OFO/MIA", "CBP", "MATCH"]])
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"bidi-{tag}.csv", content, "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        items = wait_for(lambda: api.get("/api/v1/cases", params={"fin": fin}).json()["items"], "the case")
    return {"id": items[0]["id"], "fin": fin}


# Every text node holding the override: is it inside an isolating element (<bdi>, or unicode-bidi: isolate)?
NOT_ISOLATED = """(ch) => {
  const out = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.data.includes(ch)) continue;
    let el = node.parentElement, isolated = false;
    while (el && !isolated) {
      const bidi = getComputedStyle(el).unicodeBidi;
      isolated = el.tagName === 'BDI' || bidi === 'isolate' || bidi === 'isolate-override' || bidi === 'plaintext';
      el = el.parentElement;
      if (el && ['TD', 'TH', 'P', 'LI', 'DD', 'DIV'].includes(el.tagName) && !isolated) break;
    }
    if (!isolated) out.push(node.parentElement.outerHTML.slice(0, 120));
  }
  return out;
}"""
WIDER_THAN_VIEWPORT = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Dates and times that broke over lines (a <time> or .nowrap element drawn as more than one line box).
WRAPPED_DATES = """() => [...document.querySelectorAll('time, .nowrap')]
  .filter(el => el.getClientRects().length > 1
                || el.getBoundingClientRect().height > 1.8 * (parseFloat(getComputedStyle(el).lineHeight) || 20))
  .map(el => el.textContent)"""


def test_a_right_to_left_override_stays_in_its_name_and_a_long_reason_wraps_inside_the_page(
    page: Page, console_url: str
) -> None:
    surname = f"Haddad{RLO}evil"
    case = _case_with_name(console_url, surname)
    with api_client(console_url) as api:
        encounter = api.get(f"/api/v1/cases/{case['id']}").json()["encounters"][0]["id"]
        long_reason = "x" * 3000  # one unbroken word
        flags = {"fast-matcher": {"set": True, "reason": long_reason}}
        assert api.patch(f"/api/v1/encounters/{encounter}/flags", json=flags).status_code == 200
    sign_in(page, "analyst")
    for path in (f"/cases/{case['id']}", f"/cases?fin={case['fin']}"):
        page.set_viewport_size({"width": 1024, "height": 800})
        page.goto(path)
        expect(page.locator("bdi", has_text=surname).first).to_be_visible()
        assert page.evaluate(NOT_ISOLATED, RLO) == [], path
        assert page.evaluate(WIDER_THAN_VIEWPORT) <= 0, f"{path} is wider than the viewport"
        assert page.evaluate(WRAPPED_DATES) == [], f"a date broke over lines on {path}"
    # The text after the name is drawn after it, left to right: the override did not reach it.
    page.goto(f"/cases/{case['id']}")
    cell = page.locator("td", has=page.locator("bdi", has_text=surname)).first
    boxes = cell.evaluate(
        """td => { const b = td.querySelectorAll('bdi'); return [b[0].getBoundingClientRect().left,
                                                                  b[b.length - 1].getBoundingClientRect().left]; }"""
    )
    assert boxes[0] <= boxes[1]  # surname, then given name, in reading order
    page.set_viewport_size({"width": 640, "height": 450})  # 200% zoom: still no page wider than the window
    page.goto(f"/cases/{case['id']}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) <= 0


def test_after_a_search_the_focus_is_on_the_results_and_the_queue_and_case_answer_keys(
    page: Page, console_url: str, m5_case: dict[str, str]
) -> None:
    sign_in(page, "analyst")
    page.goto("/cases")
    page.keyboard.press("/")
    expect(page.get_by_label("Name (any script)")).to_be_focused()
    page.keyboard.press("Escape")
    page.get_by_label("FIN", exact=True).fill(m5_case["fin"])
    page.get_by_label("FIN", exact=True).press("Enter")
    page.wait_for_url(lambda url: "fin=" in url)
    expect(page.get_by_role("region", name="Cases found")).to_be_focused()
    page.keyboard.press("j")
    first = page.get_by_role("link", name=m5_case["id"][:8])
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")  # already the first row: stays
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{m5_case['id']}")

    page.keyboard.press("f")
    expect(page.get_by_label("Finding", exact=True)).to_be_focused()
    page.keyboard.type("typed, not a shortcut")  # keys typed in a field stay in the field
    expect(page.get_by_label("Finding", exact=True)).to_have_value("typed, not a shortcut")
    page.keyboard.press("Escape")
    if page.locator('[data-key="a"]').count():
        page.keyboard.press("a")
        expect(page.get_by_role("status")).to_contain_text(re.compile("Case assigned|The case is yours"))
    page.keyboard.press("?")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    for key in ("j or ↓", "Enter", "a", "f", "/", "?"):
        expect(page.locator("kbd", has_text=key).first).to_be_visible()
