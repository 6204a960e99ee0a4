"""A response to a partner through the gateway: drafted under the agreement, sealed, mailed, opened, accounted."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

from tests.e2e.disclosure_steps import approve, approve_and_send, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, wait_until
from tracs.pki import certificate_authority, issue
from tracs.stack import Stack

HEADER = [
    "FIN",
    "Last Name",
    "First Name",
    "DOB",
    "Nationality",
    "Partner Country",
    "TCN",
    "Data Owner",
    "OUS",
    "Passport No",
]


async def _seeded_recipient(admin: Gateway, name: str) -> tuple[str, dict]:
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == name)
    detail = (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()
    return agreement["id"], detail["recipients"][0]


async def _case_with_four_encounters(gw: Gateway, tag: str) -> dict:
    fin = f"D{tag}"
    rows = [
        [fin, "Karagiannis", "Nikos", "1971-04-04", "GRC", "GRC", f"D-{tag}", "CBP", "CBP/OFO/JFK", f"PX{tag}1"],
        [fin, "Karagiannis", "Nikos", "1971-04-04", "GRC", "GRC", f"D-{tag}", "CBP", "CBP/OFO/MIA", f"FLAG{tag}"],
        [fin, "Karagiannis", "Nikolaos", "1971-04-04", "GRC", "GRC", f"D-{tag}", "DOS", "DOS/CA", f"DOS{tag}"],
        [fin, "Karagiannis", "N", "1971-04-04", "GRC", "GRC", f"D-{tag}", "ICE", "ICE/ERO/NYC", f"ERO{tag}"],
    ]
    up = await gw.upload(csv_bytes(HEADER, rows), program="PCSC")
    assert (await gw.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gw.get("/api/v1/cases", fin=fin)).json()["items"]
        if not items:
            return None
        view = (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json()
        return view if len(view["encounters"]) == 4 else None

    return await wait_until(case, what="the case with its four encounters")


async def test_a_response_leaves_only_what_the_agreement_allows_sealed_for_the_recipient_and_accounted(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case_with_four_encounters(gateway, tag)
    by_owner = {(e["fields"]["data_owner"], e["fields"]["ous"]): e for e in case["encounters"]}
    flagged = by_owner[("CBP", "CBP/OFO/MIA")]
    r = await gateway.client.patch(
        f"/api/v1/encounters/{flagged['id']}/flags",
        headers=gateway.headers(),
        json={"not-sharable": {"set": True, "reason": "source asked us not to share"}},
    )
    assert r.status_code == 200
    await gateway.client.post(
        f"/api/v1/cases/{case['id']}/findings",
        headers=gateway.headers(),
        json={"kind": "summary", "text": f"One entry at JFK {tag}"},
    )
    await gateway.client.post(
        f"/api/v1/cases/{case['id']}/findings",
        headers=gateway.headers(),
        json={"kind": "travel-history", "text": f"Miami trip {tag}", "encounter_ids": [flagged["id"]]},
    )
    await make_ready(gateway, case["id"])  # the program's required searches (issue 27: nothing leaves before)
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    _, recipient = await _seeded_recipient(admin, "PCSC Greece")
    assert recipient["has_certificate"]

    async def draft() -> dict | None:
        r = await gateway.client.post(
            "/api/v1/disclosures",
            headers=gateway.headers(),
            json={"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"},
        )
        if r.status_code == 404:
            return None  # disclosure has not projected the case yet
        assert r.status_code == 201, r.text
        d = r.json()
        rules = {w["rule"] for w in d["withheld"]}
        return d if "non-sharable flag" in rules and len(d["released"]["findings"]) == 1 else None

    d = await wait_until(draft, what="a draft reflecting the flag and the findings")
    rules = {w["item"]: w["rule"] for w in d["withheld"]}
    assert rules[f"encounter {flagged['id']}"] == "non-sharable flag"
    assert rules[f"encounter {by_owner[('DOS', 'DOS/CA')]['id']}"] == "data owner not covered"
    assert rules[f"encounter {by_owner[('ICE', 'ICE/ERO/NYC')]['id']}"] == "O/U/S not covered"
    ok = by_owner[("CBP", "CBP/OFO/JFK")]
    assert rules[f"encounter {ok['id']} field passport_number"] == "field not allowed"
    assert list(d["released"]["encounters"]) == [ok["id"]]
    assert d["agreement_version"] == 1 and d["status"] == "draft"

    smuggle = await gateway.client.post(
        "/api/v1/disclosures",
        headers=gateway.headers(),
        json={
            "case_id": case["id"],
            "recipient_id": recipient["id"],
            "purpose": "serious-crime",
            "note": f"FYI passport DOS{tag}",
        },
    )
    assert smuggle.status_code == 409 and "withheld" in smuggle.json()["detail"]

    supervisor = await supervisor_of(gateway)
    sent = await approve_and_send(gateway, supervisor, d["id"])
    await supervisor.aclose()
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    again = await gateway.client.post(f"/api/v1/disclosures/{d['id']}/send", headers=gateway.headers())
    assert again.status_code == 409 and "already sent" in again.json()["detail"]

    mails = [p for p in (stack.var / "mail").glob("*.eml") if f"D-{tag}".encode() in p.read_bytes()]
    (mail,) = mails
    raw = mail.read_bytes()
    assert b"Karagiannis" not in raw
    pki = stack.var / "pki"
    opened = subprocess.run(
        ["openssl", "cms", "-decrypt", "-recip", str(pki / "pcsc-greece.crt"), "-inkey", str(pki / "pcsc-greece.key")],
        input=raw,
        capture_output=True,
        timeout=30,
    )
    assert opened.returncode == 0, opened.stderr
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-CAfile", str(pki / "ca.crt")],
        input=opened.stdout,
        capture_output=True,
        timeout=30,
    )
    assert verified.returncode == 0, verified.stderr
    body = verified.stdout.decode()
    assert "Karagiannis" in body and f"One entry at JFK {tag}" in body and "Result: MATCH" in body
    assert f"Findings accurate as of: {datetime.now(UTC).date().isoformat()}" in body
    for withheld in (f"FLAG{tag}", f"DOS{tag}", f"ERO{tag}", f"PX{tag}1", "Nikolaos", f"Miami trip {tag}"):
        assert withheld not in body
    stranger = subprocess.run(
        ["openssl", "cms", "-decrypt", "-recip", str(pki / "pcsc-italy.crt"), "-inkey", str(pki / "pcsc-italy.key")],
        input=raw,
        capture_output=True,
        timeout=30,
    )
    assert stranger.returncode != 0

    (record,) = (await gateway.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json()
    assert record["recipient_email"] == recipient["email"] and record["analyst"] == "analyst"
    assert record["recipient_agency"] == "Hellenic Police" and record["agreement_version"] == 1
    assert record["matched"] is True and record["encounter_ids"] == [ok["id"]]
    assert record["approved_by"] == ["supervisor"] and record["repeat_reason"] is None
    assert record["digest"] == hashlib.sha256(d["body"].encode()).hexdigest()
    today = datetime.now(UTC).date().isoformat()
    by_recipient = (
        await gateway.get("/api/v1/disclosures/accounting", recipient=recipient["id"], **{"from": today, "to": today})
    ).json()
    assert record["id"] in [x["id"] for x in by_recipient]
    assert (await gateway.get("/api/v1/disclosures/accounting")).status_code == 422

    # Reporting hears of it (DisclosureSent): counted in the EPR (a count below the threshold shows as
    # "suppressed", a zero as 0), with its match-to-response time.
    async def counted() -> list | None:
        epr = (await gateway.get("/api/v1/reports/epr", **{"from": today, "to": today})).json()
        months = epr["disclosures_by_month"]
        return months if months and months[0]["disclosures"] != 0 else None

    (month,) = await wait_until(counted, what="reporting to count the disclosure")
    assert month["disclosures"] == "suppressed" or month["disclosures"] >= 1
    assert month["average_hours_match_to_response"] == "suppressed" or month["average_hours_match_to_response"] >= 0

    # Redress corrects the DOB that was disclosed: the recipient lands on the list of people to tell.
    await _correct_dob(gateway, ok["id"], tag)

    async def notices() -> list:
        return (await gateway.get("/api/v1/disclosures/corrections", encounter=ok["id"])).json()

    (notice,) = await wait_until(notices, what="the correction notice")
    assert notice["field"] == "dob" and notice["recipient_email"] == recipient["email"]
    assert notice["accounting_id"] == record["id"]
    # An analyst of another program is told nothing of this PCSC case's notices.
    body = {"username": f"m5-{tag}", "password": "correct-horse-battery", "roles": ["analyst"], "programs": ["M5"]}
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    m5 = Gateway(gateway.base_url)
    await m5.login(f"m5-{tag}", "correct-horse-battery")
    assert (await m5.get("/api/v1/disclosures/corrections", encounter=ok["id"])).json() == []
    assert (await m5.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json() == []
    await m5.aclose()
    assert (await gateway.get("/api/v1/disclosures/corrections")).status_code == 422
    await admin.aclose()


async def _correct_dob(gw: Gateway, encounter_id: str, tag: str) -> None:
    today = datetime.now(UTC).date().isoformat()
    h = gw.headers()
    created = await gw.client.post(
        "/api/v1/redress",
        headers=h,
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-{tag}",
            "sent_on": today,
            "received_on": today,
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Karagiannis"},
            "contested_information": "DOB",
            "reason": "Wrong date of birth",
        },
    )
    rid = created.json()["id"]

    async def linked() -> bool:
        r = await gw.client.post(f"/api/v1/redress/{rid}/links", headers=h, json={"encounter_id": encounter_id})
        return r.status_code == 200

    await wait_until(linked, what="redress to know the record")
    c = await gw.client.post(
        f"/api/v1/redress/{rid}/corrections",
        headers=h,
        json={"encounter_id": encounter_id, "field": "dob", "problem": "typo", "proposed": "1971-04-05"},
    )
    cid = c.json()["corrections"][0]["id"]
    r = await gw.client.post(
        f"/api/v1/redress/{rid}/corrections/{cid}/decision", headers=h, json={"decision": "accepted"}
    )
    assert r.status_code == 200


async def test_no_certificate_or_an_expired_agreement_means_nothing_is_sent(gateway: Gateway, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case_with_four_encounters(gateway, tag)
    await make_ready(gateway, case["id"])
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    agreement_id, _ = await _seeded_recipient(admin, "PCSC Greece")
    clerk = (
        await admin.client.post(
            f"/api/v1/agreements/{agreement_id}/recipients",
            headers=admin.headers(),
            json={"person": "Clerk", "email": "clerk@police.example"},
        )
    ).json()

    async def draft_for(recipient_id: str) -> dict | None:
        r = await gateway.client.post(
            "/api/v1/disclosures",
            headers=gateway.headers(),
            json={"case_id": case["id"], "recipient_id": recipient_id, "purpose": "serious-crime"},
        )
        return r.json() if r.status_code == 201 else None

    d = await wait_until(lambda: draft_for(clerk["id"]), what="a draft")
    supervisor = await supervisor_of(gateway)
    r = await approve_and_send(gateway, supervisor, d["id"])
    await supervisor.aclose()
    assert r.status_code == 409 and "no certificate" in r.json()["detail"]

    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    expired = (
        await admin.client.post(
            "/api/v1/agreements",
            headers=admin.headers(),
            json={
                "name": f"Lapsed PCSC {tag}",
                "partner_country": "GRC",
                "partner_agency": "Old desk",
                "program": "PCSC",
                "data_owners": ["CBP"],
                "ous": ["*"],
                "fields": ["fin"],
                "purposes": ["serious-crime"],
                "valid_from": "2015-01-01",
                "valid_to": yesterday,
            },
        )
    ).json()
    privacy = Gateway(stack.url("edge"))
    await privacy.login("privacy")  # a version governs nothing until a privacy officer approves it
    approve = f"/api/v1/agreements/{expired['id']}/versions/1/approve"
    assert (await privacy.client.post(approve, json={"note": "ok"}, headers=privacy.headers())).status_code == 200
    await privacy.aclose()
    ca_cert, ca_key = certificate_authority()
    from cryptography.hazmat.primitives import serialization

    cert, _ = issue(ca_cert, ca_key, email="old@police.example", org="old")
    person = (
        await admin.client.post(
            f"/api/v1/agreements/{expired['id']}/recipients",
            headers=admin.headers(),
            json={
                "person": "Old desk",
                "email": "old@police.example",
                "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
            },
        )
    ).json()
    lapsed = await draft_for(person["id"])
    assert lapsed["status"] == "not-sendable" and lapsed["released"]["encounters"] == {}
    review = await gateway.client.post(f"/api/v1/disclosures/{lapsed['id']}/review", headers=gateway.headers())
    assert review.status_code == 409 and "not-sendable" in review.json()["detail"]
    assert {w["rule"] for w in lapsed["withheld"]} == {"agreement expired"}
    r = await gateway.client.post(f"/api/v1/disclosures/{lapsed['id']}/send", headers=gateway.headers())
    assert r.status_code == 409 and "agreement expired" in r.json()["detail"]
    assert (await gateway.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json() == []
    await admin.aclose()


async def test_a_retired_recipient_is_kept_listed_but_never_drafted_for_or_sent_to(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case_with_four_encounters(gateway, tag)
    await make_ready(gateway, case["id"])
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    agreement_id, _ = await _seeded_recipient(admin, "PCSC Greece")
    ca_cert, ca_key = certificate_authority()
    from cryptography.hazmat.primitives import serialization

    cert, _ = issue(ca_cert, ca_key, email=f"leaving-{tag}@police.example", org="leaving")
    url = f"/api/v1/agreements/{agreement_id}/recipients"
    body = {
        "person": f"Leaving {tag}",
        "email": f"leaving-{tag}@police.example",
        "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }
    person = (await admin.client.post(url, headers=admin.headers(), json=body)).json()

    async def draft() -> dict | None:
        r = await gateway.client.post(
            "/api/v1/disclosures",
            headers=gateway.headers(),
            json={"case_id": case["id"], "recipient_id": person["id"], "purpose": "serious-crime"},
        )
        return r.json() if r.status_code == 201 else None

    made = await wait_until(draft, what="a draft for the recipient")
    assert made["status"] == "draft"
    supervisor = await supervisor_of(gateway)
    await approve(gateway, supervisor, made["id"])  # approved, so only the retirement can stop it
    await supervisor.aclose()
    retire = f"{url}/{person['id']}/retire"
    # Only whoever manages agreements retires a recipient; an unknown one is named as such.
    refused = await gateway.client.post(retire, headers=gateway.headers(), json={"reason": "left"})
    assert refused.status_code == 403
    unknown = await admin.client.post(f"{url}/{uuid.uuid4()}/retire", headers=admin.headers(), json={"reason": "x"})
    assert unknown.status_code == 404 and "no recipient" in unknown.json()["detail"]
    assert (await admin.client.post(retire, headers=admin.headers(), json={"reason": ""})).status_code == 422
    done = await admin.client.post(retire, headers=admin.headers(), json={"reason": "left the agency"})
    assert done.status_code == 200, done.text
    assert done.json()["retired_by"] == "admin" and done.json()["retired_reason"] == "left the agency"
    again = await admin.client.post(retire, headers=admin.headers(), json={"reason": "twice"})
    assert again.status_code == 409 and "already retired" in again.json()["detail"]
    # Kept on the agreement, refused for a new draft and for sending the draft made before.
    listed = (await admin.get(f"/api/v1/agreements/{agreement_id}")).json()["recipients"]
    assert next(r for r in listed if r["id"] == person["id"])["retired_at"] is not None
    new = await gateway.client.post(
        "/api/v1/disclosures",
        headers=gateway.headers(),
        json={"case_id": case["id"], "recipient_id": person["id"], "purpose": "serious-crime"},
    )
    assert new.status_code == 409 and "retired" in new.json()["detail"]
    sent = await gateway.client.post(f"/api/v1/disclosures/{made['id']}/send", headers=gateway.headers())
    assert sent.status_code == 409 and "retired" in sent.json()["detail"]
    assert (await gateway.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json() == []
