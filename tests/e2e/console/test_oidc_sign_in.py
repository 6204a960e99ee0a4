"""Signing in to the console through the identity provider, in a real browser: the stack trusts the test
provider (tests/oidc_provider.py, a process of its own), the browser goes there and comes back with a code,
and the gateway exchanges it with the PKCE verifier for a token the API accepts."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.console.conftest import api_token, new_fin, new_tag
from tests.oidc_provider import RunningProvider
from tests.support import csv_bytes

pytestmark = pytest.mark.e2e

HEADER = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "Result",
          "Partner Reference"]  # fmt: skip


@pytest.fixture(scope="module")
def provider(request: pytest.FixtureRequest) -> RunningProvider:
    if os.environ.get("TRACS_CONSOLE_TEST_URL"):
        pytest.skip("a system started elsewhere is not set up with the test identity provider")
    return request.getfixturevalue("oidc_provider")


@pytest.fixture
def context(browser: Browser, console_url: str, provider: RunningProvider) -> Iterator[BrowserContext]:
    """The browser may go to the provider too, and nowhere else."""
    ctx = browser.new_context(base_url=console_url)
    ctx.set_default_timeout(20_000)
    foreign: list[str] = []
    ctx.on("request", lambda r: None if r.url.startswith((console_url, provider.url)) else foreign.append(r.url))
    yield ctx
    ctx.close()
    assert not foreign, f"requests to other origins: {foreign}"


def _import_case(console_url: str, program: str) -> str:
    """One case of `program`, imported through the API by the (local, all-programs) analyst; its FIN."""
    fin, tag = new_fin(), new_tag()
    row = [fin, "Okonkwo", "Chidi", "1981-02-03", "2021-04-05", "CBP/OFO/IAD", "CBP", "MATCH", f"REF-{tag}"]
    headers = {"Authorization": f"Bearer {api_token(console_url, 'analyst')}"}
    with httpx.Client(base_url=console_url, headers=headers, timeout=30) as api:
        r = api.post(
            "/api/v1/intake/batches",
            files={"file": (f"idp-{tag}.csv", csv_bytes(HEADER, [row]), "text/csv")},
            data={"program": program, "kind": "partner-query", "partner_country": "AUS"},
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/intake/batches/{r.json()['id']}/confirm").status_code == 200
        deadline = time.monotonic() + 60
        while not api.get("/api/v1/cases", params={"fin": fin}).json()["items"]:
            assert time.monotonic() < deadline, f"the {program} case never appeared"
            time.sleep(0.5)
    return fin


def _trail(console_url: str, record: str) -> list[dict[str, Any]]:
    """The gateway's sign-in entries about a user (`user:NAME`), or about no one in particular (`user:`)."""
    headers = {"Authorization": f"Bearer {api_token(console_url, 'auditor')}"}
    r = httpx.get(f"{console_url}/api/v1/audit", params={"record": record, "limit": 1000}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["service"] == "gateway" and e["action"] == "login"]


def test_an_analyst_signs_in_through_the_provider_sees_only_their_programs_and_signs_out(
    context: BrowserContext, console_url: str, provider: RunningProvider
) -> None:
    uk_fin, m5_fin = _import_case(console_url, "UK-VISA"), _import_case(console_url, "M5")
    user = provider.user["preferred_username"]
    page = context.new_page()

    page.goto("/login")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.wait_for_url(re.compile(r"/cases"))
    expect(page.locator("form.signout")).to_contain_text(f"Signed in as {user} (analyst)")
    session = [c for c in context.cookies() if c["name"] == "tracs_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    assert not [c for c in context.cookies() if c["name"] == "tracs_oidc"]  # the flow's cookie is gone

    # The provider granted UK-VISA only: its case is in the queue, the M5 case is not.
    page.goto(f"/cases?fin={uk_fin}")
    expect(page.locator("#count")).to_have_text("1 case")
    page.goto(f"/cases?fin={m5_fin}")
    expect(page.get_by_text("No case matches.")).to_be_visible()
    expect(page.locator("#count")).to_have_text("0 cases")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to TRACS")).to_be_visible()
    page.goto("/cases")
    expect(page.get_by_role("heading", name="Sign in to TRACS")).to_be_visible()

    allowed = [e for e in _trail(console_url, f"user:{user}")]
    assert allowed and allowed[0]["outcome"] == "allowed" and allowed[0]["detail"] == "identity provider"


def test_an_answer_whose_state_was_altered_signs_no_one_in(
    context: BrowserContext, console_url: str, provider: RunningProvider
) -> None:
    # The browser's own cookie jar starts the sign-in and asks the provider (Playwright routes no request that
    # a redirect made, so the redirects are taken one at a time); the page then brings back the provider's
    # real answer, a good code, with its state changed.
    start = context.request.get("/login/oidc", max_redirects=0)
    assert start.status == 303 and [c for c in context.cookies() if c["name"] == "tracs_oidc"]
    answer = context.request.get(start.headers["location"], max_redirects=0)
    assert answer.status == 302
    back = answer.headers["location"]
    assert back.startswith(f"{console_url}/login/oidc/callback?") and "code=" in back
    page: Page = context.new_page()
    page.goto(re.sub(r"state=[^&]+", "state=forged", back))
    expect(page.get_by_role("alert")).to_contain_text("could not be matched to one started here")
    assert not [c for c in context.cookies() if c["name"] == "tracs_session"]
    page.goto("/cases")
    expect(page.get_by_role("heading", name="Sign in to TRACS")).to_be_visible()
    refused = [e for e in _trail(console_url, "user:") if e["detail"] == "identity provider: state mismatch"]
    assert refused and refused[0]["outcome"] == "denied" and refused[0]["actor"] == "unknown"

    # The same steps, the answer left as the provider wrote it, do sign in: it was the state that was refused.
    start = context.request.get("/login/oidc", max_redirects=0)
    page.goto(context.request.get(start.headers["location"], max_redirects=0).headers["location"])
    expect(page.locator("form.signout")).to_contain_text(f"Signed in as {provider.user['preferred_username']}")
