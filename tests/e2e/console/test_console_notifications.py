"""Issue 31, notifications end to end: a redress request nearing its SLA tells its reviewer, an owner's reply to a
referral tells the analyst who sent it; each is on the recipient's notifications page, and, for a user whose
preference says mail, reaches the stack's mail sink (tracs/mailsink.py) through the gateway's SMTP path
(shared/smtp.py) with a link to the console. The shared stack's redress watch looks every two seconds
(`TRACS_REDRESS_SLA_WATCH_INTERVAL_SECONDS`, tests/e2e/conftest.py), so nothing here waits on a clock."""

from __future__ import annotations

import email
import os
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import (
    TEST_PASSWORD,
    api_client,
    create_user,
    make_ready,
    new_tag,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def mail_dir(request: pytest.FixtureRequest) -> Path | None:
    """The mail sink's folder of the stack the tests started (none against a stack running elsewhere)."""
    if os.environ.get("TRACS_CONSOLE_TEST_URL"):
        return None
    return request.getfixturevalue("stack").var / "mail"


def _wants_mail(console_url: str, username: str) -> str:
    """An admin records the user's address; the user, signed in, asks for mail too."""
    address = f"{username}@obim.dhs.gov.example"
    with api_client(console_url, "admin") as admin:
        r = admin.patch(f"/api/v1/users/{username}", json={"email": address})
        assert r.status_code == 200, r.text
    with api_client(console_url, username, TEST_PASSWORD) as me:
        r = me.put("/api/v1/notifications/preference", json={"notify_by_mail": True})
        assert r.status_code == 200 and r.json() == {"notify_by_mail": True, "email": address}, r.text
    return address


def _mail_to(mail_dir: Path | None, address: str, link: str) -> Message | None:
    if mail_dir is None:
        return None
    for path in sorted(mail_dir.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == address and link in msg.get_payload(decode=True).decode():
            return msg
    return None


def _told(page: Page, label: re.Pattern[str]) -> bool:
    page.goto("/notifications")
    return page.get_by_role("link", name=label).count() > 0


def test_a_redress_request_near_its_sla_tells_its_reviewer_in_the_console_and_by_mail(
    page: Page, console_url: str, mail_dir: Path | None
) -> None:
    reviewer = create_user(console_url, ["analyst"], ["REDRESS"])
    address = _wants_mail(console_url, reviewer)
    # Received 28 days ago: a TRIP request is due 30 days after receipt, so within the 3 days' warning.
    received = TODAY - timedelta(days=28)
    with api_client(console_url) as api:
        r = api.post(
            "/api/v1/redress",
            json={"source": "TRIP", "trip_number": f"TRIP-SLA-{new_tag()}", "sent_on": received.isoformat(),
                  "received_on": received.isoformat(), "submitting_agency": "DHS TRIP", "reason": "refused boarding",
                  "contested_information": "watchlist match", "requester": {"last_name": "Haddad"}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        redress = r.json()
        assert redress["due_on"] == (received + timedelta(days=30)).isoformat()
    # The supervisor gives it to the reviewer; announced before or after, the reviewer hears of it.
    with api_client(console_url, "supervisor") as sup:
        r = sup.post(f"/api/v1/redress/{redress['id']}/reviewers", json={"reviewer": reviewer})
        assert r.status_code == 200, r.text

    sign_in(page, reviewer, TEST_PASSWORD)
    label = re.compile(f"Redress request {redress['id'][:8]} is due on {redress['due_on']}")
    wait_for(lambda: _told(page, label), "the SLA-nearing notification of the reviewer", 60)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=label))
    expect(row).to_contain_text("Redress due soon")
    expect(page.locator("#unread-count")).to_have_text("1 unread")
    row.get_by_role("link", name=label).click()
    expect(page).to_have_url(re.compile(f"/redress/{redress['id']}$"))

    link = f"{console_url}/redress/{redress['id']}"
    if mail_dir is not None:
        mail = wait_for(lambda: _mail_to(mail_dir, address, link), "the notification mail in the sink", 60)
        assert mail["Subject"] == f"TRACS: Redress request {redress['id'][:8]} is due on {redress['due_on']}"
        assert "Haddad" not in mail.as_string()  # ids and a label: no personal data in a mailbox


def _cbp_recipient(console_url: str) -> str:
    with api_client(console_url, "admin") as admin:
        agreements = admin.get("/api/v1/agreements").json()
        agreement = next(a for a in agreements if a["name"] == "CBP data owner referrals")
        return admin.get(f"/api/v1/agreements/{agreement['id']}").json()["recipients"][0]["id"]


def test_an_owners_reply_to_a_referral_tells_its_sender_in_the_console_and_by_mail(
    page: Page, console_url: str, m5_case: dict[str, str], mail_dir: Path | None
) -> None:
    sender = create_user(console_url, ["analyst"], ["M5"])
    address = _wants_mail(console_url, sender)
    make_ready(console_url, m5_case["id"])
    with api_client(console_url, sender, TEST_PASSWORD) as me, api_client(console_url, "supervisor") as sup:
        r = me.post(
            "/api/v1/disclosures/referrals",
            json={"case_id": m5_case["id"], "kind": "owner-referral", "recipient_id": _cbp_recipient(console_url),
                  "reason": "match against a CBP encounter"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        referral = r.json()
        assert me.post(f"/api/v1/disclosures/{referral['draft_id']}/review").status_code == 200
        assert sup.post(f"/api/v1/disclosures/{referral['draft_id']}/approve").status_code == 200
        r = me.post(f"/api/v1/disclosures/referrals/{referral['id']}/send", json={})
        assert r.status_code == 200, r.text
    # Another analyst records what CBP answered: the sender is told (recording one's own reply tells nobody).
    with api_client(console_url) as other:
        r = other.post(
            f"/api/v1/disclosures/referrals/{referral['id']}/reply",
            json={"decision": "acknowledged", "replied_on": TODAY.isoformat(), "note": "CBP has the match"},
        )
        assert r.status_code == 200, r.text

    sign_in(page, sender, TEST_PASSWORD)
    label = re.compile(f'CBP replied "acknowledged" to your owner-referral {referral["id"][:8]}')
    wait_for(lambda: _told(page, label), "the reply notification of the referral's sender", 60)
    expect(page.get_by_role("row").filter(has=page.get_by_role("link", name=label))).to_contain_text("Reply arrived")
    page.get_by_role("link", name=label).click()
    expect(page).to_have_url(re.compile(f"/referrals/{referral['id']}$"))
    expect(page.locator("#reply-decision")).to_contain_text("acknowledged")

    if mail_dir is not None:
        link = f"{console_url}/referrals/{referral['id']}"
        mail = wait_for(lambda: _mail_to(mail_dir, address, link), "the reply notification mail in the sink", 60)
        assert mail["Subject"].startswith('TRACS: CBP replied "acknowledged"')
