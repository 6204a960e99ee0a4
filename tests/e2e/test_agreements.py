"""Agreements as data through the gateway: seeded, validated, versioned, admin-only, recipients with certificates."""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography.hazmat.primitives import serialization

from tests.support import Gateway
from tracs.pki import certificate_authority, issue
from tracs.stack import Stack

TERMS = {
    "partner_country": "ITA",
    "partner_agency": "Polizia di Stato",
    "program": "PCSC",
    "data_owners": ["CBP"],
    "ous": ["CBP/OFO"],
    "fields": ["fin", "last_name", "findings"],
    "di_categories": ["CRIMINAL"],
    "protected_classes": [],
    "caveat": "",
    "purposes": ["serious-crime"],
    "valid_from": "2024-01-01",
    "valid_to": "2029-12-31",
}


async def _admin(stack: Stack) -> Gateway:
    gw = Gateway(stack.url("edge"))
    await gw.login("admin")
    return gw


def _pem(days: int = 365, start: dt.datetime | None = None) -> str:
    ca_cert, ca_key = certificate_authority()
    cert, _ = issue(ca_cert, ca_key, email="desk@polizia.example", org="test", days=days, not_before=start)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


async def test_development_seeds_the_sample_agreements(gateway: Gateway) -> None:
    listed = (await gateway.get("/api/v1/agreements")).json()
    names = {a["name"]: a for a in listed}
    for name in ("UK Home Office Visa Services MOU", "M5 Australia HVP", "PCSC Greece", "PCSC Italy"):
        assert name in names
    assert names["PCSC Greece"]["partner_country"] == "GRC" and names["PCSC Greece"]["protected_classes"] == []
    assert "ASYLEE" in names["M5 Australia HVP"]["protected_classes"] and names["M5 Australia HVP"]["caveat"]


async def test_an_admin_creates_and_revises_an_agreement_and_every_version_is_kept(
    stack: Stack, gateway: Gateway
) -> None:
    admin = await _admin(stack)
    try:
        name = f"PCSC Italy addendum {uuid.uuid4().hex[:6]}"
        refused = await gateway.client.post(
            "/api/v1/agreements", json={**TERMS, "name": name}, headers=gateway.headers()
        )
        assert refused.status_code == 403  # analysts do not change agreements
        created = await admin.client.post("/api/v1/agreements", json={**TERMS, "name": name}, headers=admin.headers())
        assert created.status_code == 201, created.text
        a = created.json()
        assert (a["version"], a["created_by"], a["changed_by"]) == (1, "admin", "admin")
        again = await admin.client.post("/api/v1/agreements", json={**TERMS, "name": name}, headers=admin.headers())
        assert again.status_code == 409
        assert a["status"] == "draft" and a["approved_version"] is None
        privacy = Gateway(stack.url("edge"))
        await privacy.login("privacy")
        approve = f"/api/v1/agreements/{a['id']}/versions/1/approve"
        assert (await privacy.client.post(approve, json={"note": "ok"}, headers=privacy.headers())).status_code == 200
        await privacy.aclose()

        revised = await admin.client.put(
            f"/api/v1/agreements/{a['id']}",
            json={**TERMS, "fields": ["fin", "findings"], "change_note": "last name withdrawn by data owner"},
            headers=admin.headers(),
        )
        assert revised.status_code == 200, revised.text
        r = revised.json()
        assert r["version"] == 2 and r["fields"] == ["fin", "findings"] and r["approved_version"] == 1
        assert [(h["version"], h["fields"]) for h in r["history"]] == [
            (1, ["fin", "last_name", "findings"]),
            (2, ["fin", "findings"]),
        ]
        assert r["history"][1]["change_note"] == "last name withdrawn by data owner"
        missing = await admin.client.put(
            f"/api/v1/agreements/{uuid.uuid4()}", json={**TERMS, "change_note": "x"}, headers=admin.headers()
        )
        assert missing.status_code == 404
    finally:
        await admin.aclose()


async def test_bad_terms_are_refused_by_name(stack: Stack) -> None:
    admin = await _admin(stack)
    try:
        cases = [
            ({"partner_country": "Italy"}, 422, "partner_country"),
            ({"partner_country": "ita"}, 422, "alpha-3"),
            ({"fields": ["fin", "shoe_size"]}, 422, "unknown fields: shoe_size"),
            ({"protected_classes": ["TPS"]}, 422, "caveat language"),
            ({"protected_classes": ["XYZ"], "caveat": "c"}, 422, "unknown protected classes"),
            ({"valid_to": "2020-01-01"}, 422, "valid_to is before valid_from"),
            ({"purposes": []}, 422, "at least one purpose"),
            ({"program": "NOPE"}, 422, "program must be"),
        ]
        for change, status, message in cases:
            r = await admin.client.post(
                "/api/v1/agreements", json={**TERMS, **change, "name": uuid.uuid4().hex}, headers=admin.headers()
            )
            assert r.status_code == status, (change, r.text)
            assert message in r.text, (change, r.text)
    finally:
        await admin.aclose()


async def test_recipients_need_a_readable_current_certificate_to_hold_one(stack: Stack) -> None:
    admin = await _admin(stack)
    try:
        a = (
            await admin.client.post(
                "/api/v1/agreements", json={**TERMS, "name": f"R {uuid.uuid4().hex}"}, headers=admin.headers()
            )
        ).json()
        url = f"/api/v1/agreements/{a['id']}/recipients"
        ok = await admin.client.post(
            url,
            json={"person": "Desk officer", "email": "desk@polizia.example", "certificate_pem": _pem()},
            headers=admin.headers(),
        )
        assert ok.status_code == 201 and ok.json()["has_certificate"] is True
        expired = _pem(days=10, start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        r = await admin.client.post(
            url,
            json={"person": "Old", "email": "old@polizia.example", "certificate_pem": expired},
            headers=admin.headers(),
        )
        assert r.status_code == 409 and "not valid now" in r.json()["detail"]
        r = await admin.client.post(
            url, json={"person": "X", "email": "x@p.example", "certificate_pem": "junk"}, headers=admin.headers()
        )
        assert r.status_code == 409 and "cannot be read" in r.json()["detail"]
        r = await admin.client.post(url, json={"person": "X", "email": "not-an-email"}, headers=admin.headers())
        assert r.status_code == 422
        no_cert = await admin.client.post(
            url, json={"person": "Clerk", "email": "clerk@polizia.example"}, headers=admin.headers()
        )
        assert no_cert.status_code == 201 and no_cert.json()["has_certificate"] is False
        detail = (await admin.get(f"/api/v1/agreements/{a['id']}")).json()
        assert [p["person"] for p in detail["recipients"]] == ["Desk officer", "Clerk"]
        assert "certificate_pem" not in detail["recipients"][0]
        r = await admin.client.post(
            f"/api/v1/agreements/{uuid.uuid4()}/recipients",
            json={"person": "X", "email": "x@p.example"},
            headers=admin.headers(),
        )
        assert r.status_code == 404
    finally:
        await admin.aclose()
