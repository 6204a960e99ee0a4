"""Component notifications (each owner sees only its encounters; TSC always told) and the annual audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.e2e.disclosure_steps import approve_and_send, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]


async def test_owners_hear_only_of_their_own_encounters_tsc_of_every_match_and_the_audit_finds_tampering(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    fin = f"O{tag}"
    rows = [
        [fin, "Okonkwo", "Ada", "1985-05-05", "GBR", f"O-{tag}", owner, f"{owner}/X"]
        for owner in ("DOS", "CBP", "USCIS", "FBI-TSC")
    ]
    up = await gateway.upload(csv_bytes(HEADER, rows), program="UK-VISA")
    assert (await gateway.confirm(up.json()["id"])).status_code == 200
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    agreement = next(
        a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "UK Home Office Visa Services MOU"
    )
    recipient = (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]

    async def case() -> dict | None:
        items = (await gateway.get("/api/v1/cases", fin=fin)).json()["items"]
        return items[0] if items else None

    c = await wait_until(case, what="the case")
    await make_ready(gateway, c["id"])

    async def draft() -> dict | None:
        r = await gateway.client.post(
            "/api/v1/disclosures",
            headers=gateway.headers(),
            json={"case_id": c["id"], "recipient_id": recipient["id"], "purpose": "visa-adjudication"},
        )
        return r.json() if r.status_code == 201 and len(r.json()["released"]["encounters"]) == 3 else None

    d = await wait_until(draft, what="a draft with the three shareable encounters")
    supervisor = await supervisor_of(gateway)
    assert (await approve_and_send(gateway, supervisor, d["id"])).status_code == 200
    await supervisor.aclose()
    view = (await gateway.get(f"/api/v1/cases/{c['id']}")).json()
    owner_of = {e["id"]: e["fields"]["data_owner"] for e in view["encounters"]}

    for owner in ("DOS", "CBP", "USCIS"):
        mine = [
            n
            for n in (await gateway.get("/api/v1/disclosures/notifications", owner=owner)).json()
            if n["case_id"] == c["id"]
        ]
        assert len(mine) == 1 and mine[0]["shared"] is True, owner
        assert {owner_of[e] for e in mine[0]["encounter_ids"]} == {owner}  # only its own encounters
    tsc = [
        n
        for n in (await gateway.get("/api/v1/disclosures/notifications", owner="FBI-TSC")).json()
        if n["case_id"] == c["id"]
    ]
    assert len(tsc) == 1 and tsc[0]["shared"] is False  # matched, withheld, still reported to TSC
    # An analyst of another program hears of none of it.
    body = {"username": f"m5-{tag}", "password": "correct-horse-battery", "roles": ["analyst"], "programs": ["M5"]}
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    m5 = Gateway(stack.url("edge"))
    await m5.login(f"m5-{tag}", "correct-horse-battery")
    for owner in ("DOS", "FBI-TSC"):
        seen = (await m5.get("/api/v1/disclosures/notifications", owner=owner)).json()
        assert c["id"] not in [n["case_id"] for n in seen], owner
    await m5.aclose()

    year = datetime.now(UTC).year
    assert (await gateway.get("/api/v1/disclosures/audit", year=year)).status_code == 403  # analysts do not audit
    auditor = Gateway(gateway.base_url)
    await auditor.login("auditor")
    report = (await auditor.get("/api/v1/disclosures/audit", year=year)).json()
    assert report["disclosures_checked"] >= 1
    (record,) = (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    assert not [i for i in report["inconsistencies"] if i["accounting_id"] == record["id"]]
    # Someone edits the accounting behind the application's back: the audit catches it.
    await db_fetchval(
        stack.database_url,
        f"tracs_disclosure{stack.database_suffix}",
        "UPDATE accounting SET fields = fields || ARRAY['passport_number'] WHERE id = $1 RETURNING 1",
        uuid.UUID(record["id"]),
    )
    report = (await auditor.get("/api/v1/disclosures/audit", year=year)).json()
    problems = [i["problem"] for i in report["inconsistencies"] if i["accounting_id"] == record["id"]]
    assert problems == ["field passport_number not allowed by the agreement"]
    await admin.aclose()
    await auditor.aclose()
