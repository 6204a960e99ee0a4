"""Roles x programs x every operation in the gateway's OpenAPI: each allow and each deny, as the policy says.

The expectation comes from the policy table itself (shared.policy) and the action each operation
publishes (`x-tracs-action`); the answers come from the running services through the gateway.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import policy
from shared.auth import PROGRAMS, Principal
from tests.e2e.disclosure_steps import make_ready
from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

PASSWORD = "matrix-password-1"
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner"]
# Path parameters naming a record of a case program: hidden (404) from those outside that program.
SCOPED = {"case_id", "encounter_id", "subject_id", "batch_id", "draft_id", "referral_id"}
# Operations that list rather than fetch: a hidden record is simply absent (200, empty).
LISTING = {("get", "/api/v1/disclosures/subjects/{subject_id}/encounters")}
# Bodies that pass validation, so a hidden record's 404 is not masked by a 422.
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/v1/cases/{case_id}/searches"): {"system": "TECS", "result": "no-hit"},
    ("post", "/api/v1/cases/{case_id}/findings"): {"kind": "summary", "text": "matrix"},
    ("post", "/api/v1/cases/{case_id}/status"): {"status": "in-review"},
    ("post", "/api/v1/cases/{case_id}/assign"): {"assignee": "analyst"},
    ("patch", "/api/v1/encounters/{encounter_id}/flags"): {},
    # Not the encounter's owner: a profile that may act and sees PCSC would get 409, never a deletion.
    ("post", "/api/v1/encounters/{encounter_id}/owner-deletion"): {"data_owner": "NOT-ITS-OWNER", "reason": "matrix"},
    ("post", "/api/v1/disclosures/referrals/{referral_id}/draft"): {"recipient_id": str(uuid.uuid4())},
    ("post", "/api/v1/disclosures/{draft_id}/send-back"): {"comment": "matrix"},
    ("post", "/api/v1/disclosures/referrals/{referral_id}/reply"): {
        "decision": "keep",
        "replied_on": datetime.now(UTC).date().isoformat(),
    },
}


def _profiles(tag: str) -> dict[str, Principal]:
    every = PROGRAMS
    return {
        "analyst": Principal("analyst", frozenset({"analyst"}), every),
        "supervisor": Principal("supervisor", frozenset({"supervisor"}), every),
        "auditor": Principal("auditor", frozenset({"auditor"}), every),
        "admin": Principal("admin", frozenset({"admin"}), frozenset()),
        "privacy": Principal("privacy", frozenset({"privacy-officer"}), frozenset()),
        f"an-m5-{tag}": Principal(f"an-m5-{tag}", frozenset({"analyst"}), frozenset({"M5"})),
        f"su-m5r-{tag}": Principal(f"su-m5r-{tag}", frozenset({"supervisor"}), frozenset({"M5", "REDRESS"})),
        f"au-m5p-{tag}": Principal(f"au-m5p-{tag}", frozenset({"auditor"}), frozenset({"M5", "REPORTING"})),
        f"an-rep-{tag}": Principal(f"an-rep-{tag}", frozenset({"analyst"}), frozenset({"REPORTING"})),
    }


async def _records(stack: Stack, analyst: Gateway, admin: Gateway, tag: str) -> dict[str, str]:
    """One real record of every kind an operation can name, in program PCSC."""
    up = await analyst.upload(
        csv_bytes(HEADER, [[f"X{tag}", "Papadopoulos", "Giorgos", "1970-01-01", "GRC", f"T{tag}", "CBP"]]),
        program="PCSC",
    )
    assert up.status_code == 201, up.text
    assert (await analyst.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await analyst.get("/api/v1/cases", fin=f"X{tag}")).json()["items"]
        return (await analyst.get(f"/api/v1/cases/{items[0]['id']}")).json() if items else None

    view = await wait_until(case, what="the PCSC case")
    await make_ready(analyst, view["id"])
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "PCSC Greece")
    recipient = (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]

    async def draft() -> str | None:
        body = {"case_id": view["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"}
        r = await analyst.client.post("/api/v1/disclosures", json=body, headers=analyst.headers())
        return r.json()["id"] if r.status_code == 201 else None

    draft_id = await wait_until(draft, what="a disclosure draft")  # disclosure knows the case from here on
    cbp = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "CBP data owner referrals")
    cbp_recipient = (await admin.get(f"/api/v1/agreements/{cbp['id']}")).json()["recipients"][0]
    referral = await analyst.client.post(
        "/api/v1/disclosures/referrals",
        headers=analyst.headers(),
        json={"case_id": view["id"], "kind": "owner-referral", "recipient_id": cbp_recipient["id"], "reason": "matrix"},
    )
    assert referral.status_code == 201, referral.text
    today = datetime.now(UTC).date()
    redress = await analyst.client.post(
        "/api/v1/redress",
        headers=analyst.headers(),
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-{tag}",
            "sent_on": (today - timedelta(days=3)).isoformat(),
            "received_on": today.isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Matrix", "first_name": "Test", "dob": "1970-01-01"},
            "contested_information": "x",
            "reason": "y",
        },
    )
    assert redress.status_code == 201, redress.text
    bulletin = await analyst.client.post(
        "/api/v1/bulletins",
        headers=analyst.headers(),
        json={"title": "t", "description": "d", "case_summary": "s", "services_provided": "p"},
    )
    assert bulletin.status_code == 201, bulletin.text
    hold = await admin.client.post(
        "/api/v1/holds", json={"case_id": view["id"], "reason": "matrix"}, headers=admin.headers()
    )
    assert hold.status_code == 201, hold.text
    return {
        "case_id": view["id"],
        "encounter_id": view["encounters"][0]["id"],
        "subject_id": view["subject_id"],
        "batch_id": up.json()["id"],
        "draft_id": draft_id,
        "agreement_id": agreement["id"],
        "redress_id": redress.json()["id"],
        "correction_id": str(uuid.uuid4()),
        "relink_id": str(uuid.uuid4()),
        "notice_id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),  # a Privacy Act request
        # Not the seeded recipient: retiring it would leave the other tests nobody to send to.
        "recipient_id": str(uuid.uuid4()),
        "bulletin_id": bulletin.json()["id"],
        "hold_id": hold.json()["id"],
        "referral_id": referral.json()["id"],
        "action": "send",
        "username": f"an-rep-{tag}",
        "version": "1",
        "report_id": str(uuid.uuid4()),
        "seq": "1",  # an audit entry (its inclusion proof)
    }


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    ops = [
        (method, path, op.get("x-tracs-action"))
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    # Deleting goes last so the other operations still find their records.
    return sorted(ops, key=lambda o: (o[0] == "delete", o[1], o[0]))


async def test_every_operation_allows_and_denies_exactly_as_the_policy_says(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:5]
    base = stack.url("edge")
    profiles = _profiles(tag)
    clients: dict[str, Gateway] = {}
    for name in ("analyst", "supervisor", "auditor", "admin", "privacy"):
        clients[name] = Gateway(base)
        await clients[name].login(name)
    admin = clients["admin"]
    for name, p in profiles.items():
        if name in clients:
            continue
        body = {"username": name, "password": PASSWORD, "roles": sorted(p.roles), "programs": sorted(p.programs)}
        assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
        clients[name] = Gateway(base)
        await clients[name].login(name, PASSWORD)
    ids = await _records(stack, clients["analyst"], admin, tag)

    doc = (await clients["analyst"].client.get("/openapi.json")).json()
    ops = _operations(doc)
    assert len(ops) >= 50, "the gateway's OpenAPI should list every service's operations"
    unguarded = [(m, p) for m, p, a in ops if a not in policy.POLICY and a != "public"]
    assert unguarded == [], "every operation names an action from the policy table"

    anonymous = Gateway(base)
    outcomes: list[str] = []
    for method, template, action in ops:
        if action == "public":
            continue
        names = re.findall(r"{(\w+)}", template)
        path = template.format(**{n: ids[n] for n in names})
        body = BODIES.get((method, template), {} if method in ("post", "put", "patch") else None)
        hidden_record = bool(SCOPED.intersection(names))

        r = await anonymous.client.request(method, path, json=body)
        assert r.status_code == 401, f"{method.upper()} {template} without a token: {r.status_code}"
        for name, principal in profiles.items():
            gw = clients[name]
            r = await gw.client.request(method, path, json=body, headers=gw.headers())
            what = f"{name} {method.upper()} {template} ({action}): {r.status_code} {r.text[:200]}"
            if not policy.allows(principal, action):
                assert r.status_code == 403, what
                outcomes.append("deny")
            elif hidden_record and "PCSC" not in principal.programs:
                if (method, template) in LISTING:
                    assert r.status_code == 200 and r.json() == [], what
                else:
                    assert r.status_code == 404, what
                outcomes.append("hidden")
            else:
                assert r.status_code not in (401, 403), what
                assert r.status_code < 500, what
                if method == "get" and hidden_record:
                    assert r.status_code == 200, what  # a member of the program reads it
                outcomes.append("allow")
    # The matrix really exercised all three answers, many times over.
    assert outcomes.count("deny") > 100 and outcomes.count("allow") > 100 and outcomes.count("hidden") > 20
    for gw in (*clients.values(), anonymous):
        await gw.aclose()
