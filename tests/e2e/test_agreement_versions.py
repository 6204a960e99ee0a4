"""Agreement versions under review (PIA 8.4): an unapproved version governs no send, an approved one does,
the accounting names the version used, and history is shown side by side."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives import serialization

from tests.e2e.disclosure_steps import approve, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, wait_until
from tracs.pki import certificate_authority, issue
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
TERMS = {
    "partner_country": "GRC",
    "partner_agency": "Hellenic Coast Guard",
    "program": "PCSC",
    "data_owners": ["CBP"],
    "ous": ["*"],
    "fields": ["fin"],
    "purposes": ["serious-crime"],
    "valid_from": "2020-01-01",
}


async def _signed_in(stack: Stack, username: str, password: str = "tracs-dev") -> Gateway:
    gw = Gateway(stack.url("edge"))
    await gw.login(username, password)
    return gw


async def test_only_the_approved_version_governs_a_send_and_the_accounting_names_it(
    stack: Stack, gateway: Gateway
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin, privacy = await _signed_in(stack, "admin"), await _signed_in(stack, "privacy")
    created = await admin.client.post(
        "/api/v1/agreements", json={**TERMS, "name": f"Coast Guard {tag}"}, headers=admin.headers()
    )
    assert created.status_code == 201, created.text
    agreement = created.json()
    assert (agreement["status"], agreement["approved_version"]) == ("draft", None)
    ca_cert, ca_key = certificate_authority()
    cert, _ = issue(ca_cert, ca_key, email=f"desk-{tag}@coastguard.example", org="test")
    recipient = (
        await admin.client.post(
            f"/api/v1/agreements/{agreement['id']}/recipients",
            headers=admin.headers(),
            json={
                "person": "Coast Guard desk",
                "email": f"desk-{tag}@coastguard.example",
                "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
            },
        )
    ).json()

    fin = f"V{tag}"
    up = await gateway.upload(
        csv_bytes(HEADER, [[fin, "Alexiou", "Petros", "1966-06-06", "GRC", f"V-{tag}", "CBP", "CBP/OFO/JFK"]]),
        program="PCSC",
    )
    assert (await gateway.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gateway.get("/api/v1/cases", fin=fin)).json()["items"]
        return items[0] if items else None

    case_id = (await wait_until(case, what="the PCSC case"))["id"]
    await make_ready(gateway, case_id)
    supervisor = await supervisor_of(gateway)
    body = {"case_id": case_id, "recipient_id": recipient["id"], "purpose": "serious-crime"}

    async def draft(expect: int = 201, **extra: str) -> dict | None:
        r = await gateway.client.post("/api/v1/disclosures", json={**body, **extra}, headers=gateway.headers())
        if r.status_code == 404:
            return None  # disclosure has not projected the case yet
        assert r.status_code == expect, r.text
        return r.json()

    refused = await wait_until(lambda: draft(expect=409), what="disclosure's view of the case")
    assert "no approved version of this agreement is in force" in refused["detail"]

    # The admin who wrote it is no privacy officer; a privacy officer who is also its author may not approve it.
    approve1 = f"/api/v1/agreements/{agreement['id']}/versions/1/approve"
    assert (await admin.client.post(approve1, json={"note": "mine"}, headers=admin.headers())).status_code == 403
    r = await privacy.client.post(approve1, json={"note": "PLCY and OBIM Privacy cleared"}, headers=privacy.headers())
    assert r.status_code == 200 and r.json()["approved_version"] == 1, r.text
    under_v1 = await draft()
    assert under_v1 is not None and under_v1["agreement_version"] == 1
    assert set(next(iter(under_v1["released"]["encounters"].values()))) == {"fin"}

    # A revision is a draft: the version in force still governs.
    revised = await admin.client.put(
        f"/api/v1/agreements/{agreement['id']}",
        json={**TERMS, "fields": ["fin", "last_name"], "change_note": "last name added by addendum"},
        headers=admin.headers(),
    )
    assert revised.status_code == 200 and revised.json()["approved_version"] == 1
    still_v1 = await draft()
    assert still_v1 is not None and still_v1["agreement_version"] == 1
    assert set(next(iter(still_v1["released"]["encounters"].values()))) == {"fin"}
    await approve(gateway, supervisor, under_v1["id"])
    sent = await gateway.client.post(f"/api/v1/disclosures/{under_v1['id']}/send", headers=gateway.headers())
    assert sent.status_code == 200, sent.text

    approve2 = f"/api/v1/agreements/{agreement['id']}/versions/2/approve"
    r = await privacy.client.post(approve2, json={"note": "addendum signed"}, headers=privacy.headers())
    assert r.status_code == 200, r.text
    statuses = [(h["version"], h["status"], h["reviewed_by"]) for h in r.json()["history"]]
    assert statuses == [(1, "retired", "privacy"), (2, "approved", "privacy")]
    # A draft made under version 1 is not sent now that version 2 governs.
    stale = await gateway.client.post(f"/api/v1/disclosures/{still_v1['id']}/send", headers=gateway.headers())
    assert stale.status_code == 409 and "version 2 governs now" in stale.json()["detail"], stale.text
    under_v2 = await draft(repeat_reason="the addendum shares the last name too")
    assert under_v2 is not None and under_v2["agreement_version"] == 2
    assert set(next(iter(under_v2["released"]["encounters"].values()))) == {"fin", "last_name"}
    await approve(gateway, supervisor, under_v2["id"])
    sent = await gateway.client.post(f"/api/v1/disclosures/{under_v2['id']}/send", headers=gateway.headers())
    assert sent.status_code == 200, sent.text

    subject = (await gateway.get(f"/api/v1/cases/{case_id}")).json()["subject_id"]
    accounting = (await gateway.get("/api/v1/disclosures/accounting", subject=subject)).json()
    assert sorted(a["agreement_version"] for a in accounting) == [1, 2]
    assert {a["agreement_id"] for a in accounting} == {agreement["id"]}

    compared = (await admin.get(f"/api/v1/agreements/{agreement['id']}/compare", left=1, right=2)).json()
    changed = {t["term"]: (t["left"], t["right"]) for t in compared["terms"] if t["changed"]}
    assert changed == {"fields": (["fin"], ["fin", "last_name"])}
    assert (compared["left"]["status"], compared["right"]["status"]) == ("retired", "approved")
    missing = await admin.get(f"/api/v1/agreements/{agreement['id']}/compare", left=1, right=9)
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]
    twice = await privacy.client.post(approve2, json={"note": "again"}, headers=privacy.headers())
    assert twice.status_code == 409 and "only a draft" in twice.json()["detail"]
    for gw in (admin, privacy):
        await gw.aclose()


async def test_a_privacy_officer_never_approves_a_version_they_wrote(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = await _signed_in(stack, "admin")
    both = f"po-admin-{tag}"
    body = {"username": both, "password": "correct-horse-battery", "roles": ["admin", "privacy-officer"]}
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    author = await _signed_in(stack, both, "correct-horse-battery")
    created = await author.client.post(
        "/api/v1/agreements", json={**TERMS, "name": f"Own {tag}"}, headers=author.headers()
    )
    assert created.status_code == 201
    own = await author.client.post(
        f"/api/v1/agreements/{created.json()['id']}/versions/1/approve", json={"note": "x"}, headers=author.headers()
    )
    assert own.status_code == 403 and "another privacy officer approves it" in own.json()["detail"]
    detail = (await admin.get(f"/api/v1/agreements/{created.json()['id']}")).json()
    assert (detail["status"], detail["approved_version"]) == ("draft", None)
    for gw in (admin, author):
        await gw.aclose()
