"""Redress to the end (issue 30): a fingerprint record wrongly linked to another person's record is re-linked to
its person and back again; a Privacy Act amendment request walks to an appeal whose clock runs out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.disclosure_steps import approve_and_send, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

TODAY = datetime.now(UTC).date()
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]


async def _subject_encounters(gw: Gateway, subject_id: str) -> set[str]:
    return {e["id"] for e in (await gw.get(f"/api/v1/subjects/{subject_id}")).json()["encounters"]}


async def _case_of_fin(gw: Gateway, fin: str, encounters: int) -> dict[str, Any]:
    async def case() -> dict | None:
        items = (await gw.get("/api/v1/cases", fin=fin)).json()["items"]
        if not items:
            return None
        view = (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json()
        return view if len(view["encounters"]) == encounters else None

    return await wait_until(case, what=f"the case of {fin} with {encounters} encounters")


async def _send_response(gw: Gateway, stack: Stack, case: dict[str, Any]) -> dict[str, Any]:
    """The case's encounters leave for the Greek police (the earlier recipient a re-link must list)."""
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "PCSC Greece")
    recipient = (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]
    await admin.aclose()

    async def draft() -> dict | None:
        r = await gw.client.post(
            "/api/v1/disclosures",
            headers=gw.headers(),
            json={"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"},
        )
        if r.status_code == 404:
            return None  # disclosure has not projected the case yet
        assert r.status_code == 201, r.text
        return r.json()

    await make_ready(gw, case["id"])
    d = await wait_until(draft, what="a draft of the case")
    supervisor = await supervisor_of(gw)
    sent = await approve_and_send(gw, supervisor, d["id"])
    await supervisor.aclose()
    assert sent.status_code == 200, sent.text
    return recipient


async def test_a_wrongly_linked_encounter_moves_to_its_person_is_told_to_its_recipient_and_moves_back(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    fin_a, fin_b = f"RA{tag}", f"RB{tag}"
    # Papadopoulou's fingerprints were linked to Karagiannis's FIN at the JFK encounter of one partner query.
    rows = [
        [fin_a, "Karagiannis", "Nikos", "1971-04-04", "GRC", f"T-{tag}", "CBP", "CBP/OFO/JFK"],
        [fin_a, "Papadopoulou", "Eleni", "1985-08-08", "GRC", f"T-{tag}", "CBP", "CBP/OFO/JFK"],
        [fin_b, "Papadopoulou", "Eleni", "1985-08-08", "GRC", f"U-{tag}", "CBP", "CBP/OFO/JFK"],
    ]
    up = await gateway.upload(csv_bytes(HEADER, rows), program="PCSC")
    assert (await gateway.confirm(up.json()["id"])).status_code == 200
    case_a = await _case_of_fin(gateway, fin_a, 2)
    case_b = await _case_of_fin(gateway, fin_b, 1)
    subject_a, subject_b = case_a["subject_id"], case_b["subject_id"]
    wrong = next(e for e in case_a["encounters"] if e["fields"]["last_name"] == "Papadopoulou")
    before_a, before_b = await _subject_encounters(gateway, subject_a), await _subject_encounters(gateway, subject_b)
    h = gateway.headers()
    finding = {"kind": "summary", "text": f"Two entries at JFK {tag}"}
    assert (await gateway.client.post(f"/api/v1/cases/{case_a['id']}/findings", headers=h, json=finding)).is_success
    recipient = await _send_response(gateway, stack, case_a)

    request = {
        "source": "TRIP",
        "trip_number": f"TRIP-RL-{tag}",
        "sent_on": (TODAY - timedelta(days=3)).isoformat(),
        "received_on": (TODAY - timedelta(days=1)).isoformat(),
        "submitting_agency": "DHS TRIP",
        "requester": {"last_name": "Papadopoulou", "first_name": "Eleni", "dob": "1985-08-08"},
        "contested_information": "Sent to secondary at every entry",
        "reason": "My fingerprints are linked to someone else",
    }
    created = await gateway.client.post("/api/v1/redress", json=request, headers=h)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    relink = {"encounter_ids": [wrong["id"]], "to_subject_id": subject_b, "reason": "her fingerprints, her FIN"}
    unlinked = await gateway.client.post(f"/api/v1/redress/{rid}/relinks", headers=h, json=relink)
    assert unlinked.status_code == 409 and "link the record" in unlinked.json()["detail"]
    linked = await gateway.client.post(
        f"/api/v1/redress/{rid}/links", headers=h, json={"encounter_id": wrong["id"], "note": "her JFK entry"}
    )
    assert linked.status_code == 200
    nobody = await gateway.client.post(
        f"/api/v1/redress/{rid}/relinks", headers=h, json=relink | {"to_subject_id": str(uuid.uuid4())}
    )
    assert nobody.status_code == 404 and "no subject" in nobody.json()["detail"]
    same = await gateway.client.post(
        f"/api/v1/redress/{rid}/relinks", headers=h, json=relink | {"to_subject_id": subject_a}
    )
    assert same.status_code == 409 and "already belong" in same.json()["detail"]
    moved = await gateway.client.post(f"/api/v1/redress/{rid}/relinks", headers=h, json=relink)
    assert moved.status_code == 201, moved.text
    (decided,) = moved.json()["relinks"]
    assert (decided["from_subject_id"], decided["to_subject_id"]) == (subject_a, subject_b)
    assert decided["decided_by"] == "analyst" and decided["new_subject"] is False

    async def at(subject: str) -> bool:
        return wrong["id"] in await _subject_encounters(gateway, subject)

    assert await wait_until(lambda: at(subject_b), what="cases to move the encounter to its person")
    assert await _subject_encounters(gateway, subject_a) == before_a - {wrong["id"]}
    assert await _subject_encounters(gateway, subject_b) == before_b | {wrong["id"]}

    # Both sides' cases show it: A's case lost it (stale, its finding flagged), B has the partner query's case.
    view_a = (await gateway.get(f"/api/v1/cases/{case_a['id']}")).json()
    assert wrong["id"] not in {e["id"] for e in view_a["encounters"]} and view_a["stale"] is True
    assert view_a["findings"][0]["needs_review"] and decided["id"] in view_a["findings"][0]["needs_review"]
    assert any(t["action"] == "encounter-relinked-out" for t in view_a["timeline"])
    cases_b = (await gateway.get("/api/v1/cases", subject=subject_b)).json()["items"]
    views_b = [(await gateway.get(f"/api/v1/cases/{c['id']}")).json() for c in cases_b]
    (joined,) = [v for v in views_b if wrong["id"] in {e["id"] for e in v["encounters"]}]
    assert joined["partner_transaction_number"] == f"T-{tag}"
    # B's case has no finding yet: nothing of it is out of date (issue 27), so it is not marked stale.
    assert not joined["findings"] and joined["stale"] is False
    assert any(t["action"] == "encounter-relinked-in" for t in joined["timeline"])

    # A later search by the first person's name and DOB no longer returns the encounter.
    found = (await gateway.get("/api/v1/cases", name="Karagiannis Nikos", dob="1971-04-04")).json()["items"]
    assert case_a["id"] in {c["id"] for c in found}
    for c in found:
        view = (await gateway.get(f"/api/v1/cases/{c['id']}")).json()
        assert wrong["id"] not in {e["id"] for e in view["encounters"]}

    # The Greek police received the encounter as Karagiannis's: they are listed for a correction notice.
    async def notices() -> list:
        return (await gateway.get("/api/v1/disclosures/corrections", redress=rid)).json()

    (notice,) = await wait_until(notices, what="the earlier recipient listed for a notice")
    assert notice["field"] == "subject" and notice["encounter_id"] == wrong["id"]
    assert notice["recipient_email"] == recipient["email"]

    # Both subjects' exports show the move.
    auditor = Gateway(stack.url("edge"))
    await auditor.login("auditor")
    export_a = (await auditor.get(f"/api/v1/subjects/{subject_a}/export")).json()
    export_b = (await auditor.get(f"/api/v1/subjects/{subject_b}/export")).json()
    for export in (export_a, export_b):
        assert [(m["encounter_id"], m["relink_id"]) for m in export["subject"]["relinks"]] == [
            (wrong["id"], decided["id"])
        ]
    assert wrong["id"] not in {e["id"] for e in export_a["encounters"]}
    assert wrong["id"] in {e["id"] for e in export_b["encounters"]}
    assert rid in {r["id"] for r in export_b["redress"]}
    timeline_a = [t["action"] for c in export_a["cases"] for t in c["timeline"]]
    assert "encounter-relinked-out" in timeline_a

    # Undo is another re-link: both subjects are as before, both steps stay in the audit.
    undone = await gateway.client.post(
        f"/api/v1/redress/{rid}/relinks/{decided['id']}/undo", headers=h, json={"reason": "wrong FIN chosen"}
    )
    assert undone.status_code == 201, undone.text
    first, back = undone.json()["relinks"]
    assert first["undone_by"] == back["id"] and back["undoes"] == first["id"]
    assert (back["from_subject_id"], back["to_subject_id"]) == (subject_b, subject_a)
    again = await gateway.client.post(
        f"/api/v1/redress/{rid}/relinks/{decided['id']}/undo", headers=h, json={"reason": "twice"}
    )
    assert again.status_code == 409 and "already undone" in again.json()["detail"]
    assert await wait_until(lambda: at(subject_a), what="cases to move the encounter back")
    assert await _subject_encounters(gateway, subject_a) == before_a
    assert await _subject_encounters(gateway, subject_b) == before_b
    view_a = (await gateway.get(f"/api/v1/cases/{case_a['id']}")).json()
    assert wrong["id"] in {e["id"] for e in view_a["encounters"]}
    assert [t["action"] for t in view_a["timeline"] if t["action"].startswith("encounter-relinked")] == [
        "encounter-relinked-out",
        "encounter-relinked-in",
    ]

    async def audited() -> list | None:
        trail = (await auditor.get("/api/v1/audit", record=f"encounter:{wrong['id']}")).json()
        applied = [e for e in trail if e["action"] == "redress-relink"]
        return applied if len(applied) == 2 else None

    assert all(e["outcome"] == "applied" for e in await wait_until(audited, what="both re-links in the audit"))
    # Redress's own trail: the re-link on the request, the undo on the re-link it undid (a second undo refused).
    on_request = (await auditor.get("/api/v1/audit", record=rid)).json()
    assert [e["outcome"] for e in on_request if e["action"].endswith("/relinks")].count("allowed") == 1
    on_relink = (await auditor.get("/api/v1/audit", record=decided["id"])).json()
    assert sorted(e["outcome"] for e in on_relink if e["action"].endswith("/undo")) == ["allowed", "refused"]
    await auditor.aclose()
    actions = [t["action"] for t in undone.json()["timeline"]]
    assert actions.count("records-relinked") == 1 and actions.count("relink-undone") == 1

    # The officer tells CBP of the discrepancy: the notice left DHS about the person whose record it names now
    # (Karagiannis's subject, after the undo), so it is in that subject's accounting and export (issue 30 item 3).
    discrepancy = f"IDENT links Papadopoulou's prints to FIN {fin_a} {tag}"
    told = await gateway.client.post(
        f"/api/v1/redress/{rid}/owner-notices",
        headers=h,
        json={
            "data_owner": "CBP",
            "discrepancy": discrepancy,
            "encounter_ids": [wrong["id"]],
            "channel": "mail",
            "sent_on": TODAY.isoformat(),
        },
    )
    assert told.status_code == 201, told.text
    (sent_notice,) = told.json()["owner_notices"]
    auditor = Gateway(stack.url("edge"))
    await auditor.login("auditor")

    async def accounted() -> list | None:
        rows = (await auditor.get("/api/v1/disclosures/accounting", subject=subject_a)).json()
        found = [a for a in rows if a["referral_kind"] == "redress-owner-notice"]
        return found or None

    (row,) = await wait_until(accounted, what="the owner notice in the accounting of disclosures")
    assert (row["owner_notice_id"], row["redress_id"], row["encounter_ids"]) == (sent_notice["id"], rid, [wrong["id"]])
    assert (row["recipient_agency"], row["analyst"], row["state"], row["draft_id"]) == ("CBP", "analyst", "sent", None)
    assert row["sent_at"].startswith(TODAY.isoformat()) and "mail" in row["nature"]
    assert row["purpose"] == "redress: discrepancy notice to the system owner" and fin_a not in str(row)
    others = (await auditor.get("/api/v1/disclosures/accounting", subject=subject_b)).json()
    assert all(a["referral_kind"] != "redress-owner-notice" for a in others)
    export_a = (await auditor.get(f"/api/v1/subjects/{subject_a}/export")).json()
    assert row["id"] in {a["id"] for a in export_a["accounting_of_disclosures"]}
    await auditor.aclose()


async def test_a_relink_to_a_new_subject_creates_the_person_and_bad_relinks_are_refused_by_name(
    gateway: Gateway,
) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [
        [f"RN{tag}", "Lindqvist", "Ebba", "1990-01-02", "GRC", f"N-{tag}", "CBP", "CBP/OFO/JFK"],
        [f"RN{tag}", "Okonkwo", "Chidi", "1979-12-12", "GRC", f"N-{tag}", "CBP", "CBP/OFO/JFK"],
    ]
    up = await gateway.upload(csv_bytes(HEADER, rows), program="PCSC")
    assert (await gateway.confirm(up.json()["id"])).status_code == 200
    case = await _case_of_fin(gateway, f"RN{tag}", 2)
    wrong = next(e for e in case["encounters"] if e["fields"]["last_name"] == "Okonkwo")
    h = gateway.headers()
    request = {
        "source": "non-TRIP",
        "channel": "mail",
        "sent_on": TODAY.isoformat(),
        "received_on": TODAY.isoformat(),
        "submitting_agency": "CBP",
        "requester": {"last_name": "Okonkwo", "first_name": "Chidi"},
        "contested_information": "Linked to a stranger",
        "reason": "not me",
    }
    rid = (await gateway.client.post("/api/v1/redress", json=request, headers=h)).json()["id"]
    await gateway.client.post(f"/api/v1/redress/{rid}/links", headers=h, json={"encounter_id": wrong["id"]})
    for body, status, words in (
        ({"encounter_ids": [], "reason": "x"}, 422, "encounter_ids"),
        ({"encounter_ids": ["not-a-uuid"], "reason": "x"}, 422, "encounter_ids"),
        ({"encounter_ids": [wrong["id"]], "reason": ""}, 422, "reason"),
        ({"encounter_ids": [str(uuid.uuid4())], "reason": "x"}, 404, "no imported record"),
    ):
        r = await gateway.client.post(f"/api/v1/redress/{rid}/relinks", headers=h, json=body)
        assert r.status_code == status and words in r.text, r.text
    assert (await gateway.get(f"/api/v1/redress/{rid}")).json()["relinks"] == []

    made = await gateway.client.post(
        f"/api/v1/redress/{rid}/relinks", headers=h, json={"encounter_ids": [wrong["id"]], "reason": "unknown FIN"}
    )
    assert made.status_code == 201, made.text
    (relink,) = made.json()["relinks"]
    assert relink["new_subject"] is True and relink["to_subject_id"] != case["subject_id"]

    async def moved() -> dict | None:
        r = await gateway.get(f"/api/v1/subjects/{relink['to_subject_id']}")
        return r.json() if r.status_code == 200 else None

    subject = await wait_until(moved, what="cases to create the new subject")
    assert [e["id"] for e in subject["encounters"]] == [wrong["id"]] and subject["fin"] is None


async def test_a_privacy_act_amendment_request_walks_to_an_appeal_whose_clock_runs_out(gateway: Gateway) -> None:
    h = gateway.headers()
    base = "/api/v1/redress/privacy-act"
    received = TODAY - timedelta(days=120)
    body = {
        "kind": "amendment",
        "received_on": received.isoformat(),
        "requester": {"last_name": "Ferreira", "first_name": "Inês", "dob": "1966-06-06", "contact": "by mail"},
        "records_sought": "IDENT encounter at MIA, 2019",
        "contested_information": "Nationality recorded as BRA",
        "reason": "I am Portuguese",
    }
    missing = await gateway.client.post(base, headers=h, json=body)
    assert missing.status_code == 422 and "proposed amendment" in missing.json()["detail"]
    created = await gateway.client.post(base, headers=h, json=body | {"proposed_amendment": "Nationality: PRT"})
    assert created.status_code == 201, created.text
    req = created.json()
    pid = req["id"]
    assert req["status"] == "received" and req["clock"] == "request" and req["overdue"] is True
    assert req["acknowledge_by"] < req["due_on"]  # 10 working days to acknowledge, 30 to decide
    assert pid in {r["id"] for r in (await gateway.get(base, overdue="true", kind="amendment")).json()}
    early = (received + timedelta(days=1)).isoformat()
    assert pid not in {r["id"] for r in (await gateway.get(base, overdue="true", as_of=early)).json()}

    async def post(path: str, payload: dict | None = None) -> Any:
        return await gateway.client.post(f"{base}/{pid}{path}", headers=h, json=payload or {})

    assert (await post("/decision", {"decision": "denied", "reason": "x"})).status_code == 409  # review first
    r = await post("/exemption-review", {"exemption": "(k)(2)", "basis": ""})
    assert r.status_code == 422 and "basis" in r.json()["detail"]
    r = await post("/exemption-review", {"exemption": "(k)(2)", "basis": "investigatory material, 552a(k)(2)"})
    assert r.status_code == 200 and r.json()["exemption"] == "(k)(2)"
    r = await post("/decision", {"decision": "denied", "reason": "exempt under (k)(2)"})
    assert r.status_code == 200 and r.json()["status"] == "decided" and r.json()["decided_by"] == "analyst"
    sent_on = (received + timedelta(days=10)).isoformat()
    r = await post("/response", {"channel": "mail", "sent_on": sent_on})
    assert r.status_code == 200 and r.json()["response"]["appeal_rights_stated"] is True
    assert r.json()["overdue"] is False and r.json()["clock"] is None  # answered: nothing owed now
    appealed_on = received + timedelta(days=20)
    r = await post("/appeal", {"appealed_on": (TODAY + timedelta(days=1)).isoformat(), "reason": "x"})
    assert r.status_code == 422 and "appeal date" in r.json()["detail"]
    r = await post("/appeal", {"appealed_on": appealed_on.isoformat(), "reason": "I hold a Portuguese passport"})
    assert r.status_code == 200, r.text
    appeal = r.json()
    assert appeal["status"] == "appealed" and appeal["clock"] == "appeal"
    assert appeal["appeal_due_on"] == appeal["clock_due_on"] > appealed_on.isoformat()
    assert appeal["overdue"] is True  # 30 working days from the appeal are long past
    overdue = {r["id"]: r for r in (await gateway.get(base, overdue="true")).json()}
    assert overdue[pid]["clock"] == "appeal"
    before_due = appealed_on + timedelta(days=2)
    assert pid not in {r["id"] for r in (await gateway.get(base, overdue="true", as_of=before_due.isoformat())).json()}
    assert (await post("/close")).status_code == 409
    r = await post("/appeal/decision", {"decision": "reversed", "reason": "passport seen"})
    assert r.status_code == 200 and r.json()["overdue"] is False and r.json()["appeal_decided_by"] == "analyst"
    r = await post("/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    actions = [t["action"] for t in r.json()["timeline"]]
    assert actions == ["received", "exemption-reviewed", "decided", "responded", "appealed", "appeal-decided", "closed"]
    assert (await gateway.get(f"{base}/{uuid.uuid4()}")).status_code == 404
    granted = await gateway.client.post(base, headers=h, json=body | {"kind": "access"})
    assert granted.status_code == 201
    gid = granted.json()["id"]
    await gateway.client.post(f"{base}/{gid}/exemption-review", headers=h, json={"exemption": "none"})
    await gateway.client.post(f"{base}/{gid}/decision", headers=h, json={"decision": "granted"})
    await gateway.client.post(f"{base}/{gid}/response", headers=h, json={"channel": "email", "sent_on": sent_on})
    r = await gateway.client.post(f"{base}/{gid}/appeal", headers=h, json={"appealed_on": sent_on, "reason": "x"})
    assert r.status_code == 409 and "adverse" in r.json()["detail"]
