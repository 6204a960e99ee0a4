"""A recipient's report of a possible inaccuracy (issue 28 item 6), and DOS's report sent as an accounted
disclosure (item 4), on the shared stack: every step through the edge, the broker and the databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.disclosure_steps import answered_case, approve, supervisor_of
from tests.support import Gateway, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
TODAY = datetime.now(UTC).date().isoformat()
INACCURACIES = "/api/v1/disclosures/inaccuracies"
REPORTS = "/api/v1/disclosures/owner-reports"


async def _recipient(admin: Gateway, agreement_name: str) -> dict[str, Any]:
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == agreement_name)
    return (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]


async def _post(gw: Gateway, path: str, body: dict[str, Any] | None = None) -> Any:
    return await gw.client.post(path, headers=gw.headers(), json=body or {})


async def _shared_case(gw: Gateway, supervisor: Gateway, uk: dict[str, Any], first_name: str) -> dict[str, Any]:
    """An M5 match from the UK with a CBP and a DOS encounter, answered to the UK: the case and its accounting."""
    tag = uuid.uuid4().hex[:6]
    fin = f"I{tag}"
    rows = [
        [fin, "Okafor", first_name, "1985-06-01", "GBR", f"I-{tag}", "CBP", "CBP/OFO"],
        [fin, "Okafor", first_name, "1985-06-01", "GBR", f"I-{tag}", "DOS", "DOS/CA"],
    ]
    return await answered_case(gw, supervisor, uk, header=HEADER, rows=rows, fin=fin)


async def _resolved(gw: Gateway, report_id: str) -> dict | None:
    found = (await gw.get(f"{INACCURACIES}/{report_id}")).json()
    return found if found["status"] == "resolved" else None


async def test_an_inaccuracy_report_ends_in_a_correction_for_past_recipients_and_is_answered(
    gateway: Gateway, stack: Stack
) -> None:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    auditor = Gateway(stack.url("edge"))
    await auditor.login("auditor")
    supervisor = await supervisor_of(gateway)
    uk = await _recipient(admin, "M5 United Kingdom HVP")
    shared = await _shared_case(gateway, supervisor, uk, "Chidi")
    c, response = shared["case"], shared["response"]

    # Bad input: an encounter the disclosure did not carry, a day to come, a field not released; unknown ids.
    base = {"accounting_id": response["id"], "encounter_id": shared["by_owner"]["CBP"], "received_on": TODAY}
    base |= {"field": "first_name", "description": "our records give the first name as Chidiebere"}
    stranger = await _post(gateway, INACCURACIES, base | {"encounter_id": str(uuid.uuid4())})
    assert stranger.status_code == 422 and "was not in that disclosure" in stranger.json()["detail"], stranger.text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert (await _post(gateway, INACCURACIES, base | {"received_on": tomorrow})).status_code == 422
    assert (await _post(gateway, INACCURACIES, base | {"field": "eye_colour"})).status_code == 422
    assert (await _post(gateway, INACCURACIES, base | {"description": ""})).status_code == 422
    assert (await _post(gateway, INACCURACIES, base | {"accounting_id": str(uuid.uuid4())})).status_code == 404
    assert (await gateway.get(f"{INACCURACIES}/{uuid.uuid4()}")).status_code == 404

    recorded = await _post(gateway, INACCURACIES, base)
    assert recorded.status_code == 201, recorded.text
    report = recorded.json()
    assert (report["status"], report["recipient_id"], report["recipient_agency"], report["case_id"]) == (
        "received",
        uk["id"],
        "UK Home Office (Immigration Enforcement)",
        c["id"],
    )
    assert report["id"] in [r["id"] for r in (await gateway.get(INACCURACIES, open="true")).json()]
    # Wrong moves: an answer before a resolution; a correction of a field that is not an encounter's.
    early = await _post(gateway, f"{INACCURACIES}/{report['id']}/answer")
    assert early.status_code == 409 and "resolve it first" in early.json()["detail"], early.text
    bad = await _post(
        gateway,
        f"{INACCURACIES}/{report['id']}/resolve",
        {"resolution": "correction", "note": "CBP confirmed", "field": "shoe_size", "corrected_value": "9"},
    )
    assert bad.status_code == 422, bad.text
    resolved = await _post(
        gateway,
        f"{INACCURACIES}/{report['id']}/resolve",
        {
            "resolution": "correction",
            # The note goes into the answer: it names no withheld value (the data owner is not released to the UK).
            "note": "the data owner confirmed the first name in its system of origin",
            "field": "first_name",
            "corrected_value": "Chidiebere",
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["data_owner"] == "CBP" and resolved.json()["corrected_field"] == "first_name"
    again = await _post(gateway, f"{INACCURACIES}/{report['id']}/resolve", {"resolution": "no-change", "note": "x"})
    assert again.status_code == 409, again.text

    # Cases applies the owner's correction; every past recipient of the old value is listed to be told.
    await wait_until(lambda: _resolved(gateway, report["id"]), what="the correction to be applied in cases")
    view = (await gateway.get(f"/api/v1/cases/{c['id']}")).json()
    corrected = next(e for e in view["encounters"] if e["id"] == shared["by_owner"]["CBP"])
    assert corrected["fields"]["first_name"] == "Chidiebere"
    notices = (await gateway.get("/api/v1/disclosures/corrections", report=report["id"])).json()
    assert [(n["accounting_id"], n["recipient_email"], n["field"]) for n in notices] == [
        (response["id"], uk["email"], "first_name")
    ]

    # The answer: a draft under the reporter's agreement with the corrected values and the agreement's limits.
    answered = await _post(gateway, f"{INACCURACIES}/{report['id']}/answer", {"note": "Thank you for telling us."})
    assert answered.status_code == 200 and answered.json()["status"] == "answer-drafted", answered.text
    draft = (await gateway.get(f"/api/v1/disclosures/{answered.json()['answer_draft_id']}")).json()
    assert draft["body"].startswith("Answer to a report of a possible inaccuracy on M5 transaction")
    assert "first_name: Chidiebere" in draft["body"] and "Resolution: corrected." in draft["body"]
    assert "USE AND RE-DISSEMINATION LIMITS:" in draft["body"]
    unapproved = await _post(gateway, f"{INACCURACIES}/{report['id']}/send")
    assert unapproved.status_code == 409, unapproved.text  # a second person approves first
    await approve(gateway, supervisor, draft["id"])
    sent = await _post(gateway, f"{INACCURACIES}/{report['id']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "answered", sent.text
    assert sent.json()["answered_by"] == "analyst" and sent.json()["answer_accounting_id"]
    assert (await _post(gateway, f"{INACCURACIES}/{report['id']}/send")).status_code == 409
    assert report["id"] not in [r["id"] for r in (await gateway.get(INACCURACIES, open="true")).json()]

    # The answer is a disclosure outside DHS: in the accounting and the subject export.
    accounting = (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    answer_row = next(a for a in accounting if a["referral_kind"] == "inaccuracy-answer")
    assert answer_row["id"] == sent.json()["answer_accounting_id"] and answer_row["recipient_email"] == uk["email"]
    export = (await auditor.get(f"/api/v1/subjects/{c['subject_id']}/export")).json()
    assert answer_row["id"] in {a["id"] for a in export["accounting_of_disclosures"]}

    # A second report ends in "no change", answered with its reason.
    other = await _post(
        gateway, INACCURACIES, base | {"field": "dob", "description": "we think the date of birth is 1985-01-06"}
    )
    assert other.status_code == 201, other.text
    kept = await _post(
        gateway,
        f"{INACCURACIES}/{other.json()['id']}/resolve",
        {"resolution": "no-change", "note": "both owners record 1 June 1985; day and month are not swapped"},
    )
    assert kept.status_code == 200 and kept.json()["status"] == "resolved", kept.text
    assert kept.json()["correction_id"] is None
    drafted = await _post(gateway, f"{INACCURACIES}/{other.json()['id']}/answer")
    body = (await gateway.get(f"/api/v1/disclosures/{drafted.json()['answer_draft_id']}")).json()["body"]
    assert "Resolution: no change." in body and "day and month are not swapped" in body
    await approve(gateway, supervisor, drafted.json()["answer_draft_id"])
    closed = await _post(gateway, f"{INACCURACIES}/{other.json()['id']}/send")
    assert closed.status_code == 200 and closed.json()["status"] == "answered", closed.text
    assert {r["id"] for r in (await gateway.get(INACCURACIES, case=c["id"])).json()} == {
        report["id"],
        other.json()["id"],
    }
    for gw in (admin, auditor, supervisor):
        await gw.aclose()


async def test_the_dos_report_lists_exactly_the_encounters_shared_in_its_period_and_is_accounted(
    gateway: Gateway, stack: Stack
) -> None:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    supervisor = await supervisor_of(gateway)
    uk = await _recipient(admin, "M5 United Kingdom HVP")
    dos = await _recipient(admin, "Department of State encounter alerts and reports")
    shared = await _shared_case(gateway, supervisor, uk, "Amaka")
    c, response = shared["case"], shared["response"]

    # Bad input and wrong recipients: a period to come, a foreign partner; a period with nothing shared.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    future = await _post(gateway, REPORTS, {"recipient_id": dos["id"], "from": TODAY, "to": tomorrow})
    assert future.status_code == 422, future.text
    foreign = await _post(gateway, REPORTS, {"recipient_id": uk["id"], "from": TODAY, "to": TODAY})
    assert foreign.status_code == 422 and "dos or dhs-component" in foreign.json()["detail"], foreign.text
    empty = await _post(gateway, REPORTS, {"recipient_id": dos["id"], "from": "2001-01-01", "to": "2001-01-31"})
    assert empty.status_code == 409, empty.text
    assert (await gateway.get(f"{REPORTS}/{uuid.uuid4()}")).status_code == 404

    drafted = await _post(gateway, REPORTS, {"recipient_id": dos["id"], "from": TODAY, "to": TODAY})
    assert drafted.status_code == 201, drafted.text
    report = drafted.json()
    # Exactly the period's responses with DOS's encounters, as the accounting says (no CBP encounter, no referral).
    expected = (
        await gateway.get("/api/v1/disclosures/owner-report", owner="DOS", **{"from": TODAY, "to": TODAY})
    ).json()
    assert [(i["accounting_id"], i["encounter_ids"]) for i in report["items"]] == [
        (i["accounting_id"], sorted(i["encounter_ids"])) for i in expected["items"]
    ]
    mine = [i for i in report["items"] if i["case_id"] == c["id"]]
    assert [(i["accounting_id"], i["encounter_ids"]) for i in mine] == [(response["id"], [shared["by_owner"]["DOS"]])]
    assert shared["by_owner"]["CBP"] not in report["body"] and shared["by_owner"]["DOS"] in report["body"]
    assert "USE AND RE-DISSEMINATION LIMITS: For official use only" in report["body"]

    early = await _post(gateway, f"{REPORTS}/{report['id']}/send")
    assert early.status_code == 409, early.text  # a second person approves first
    self_approval = await _post(gateway, f"{REPORTS}/{report['id']}/approve")
    assert self_approval.status_code == 403, self_approval.text  # an analyst may not approve
    assert (await _post(gateway, f"{REPORTS}/{report['id']}/review")).status_code == 200
    approved = await _post(supervisor, f"{REPORTS}/{report['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    sent = await _post(gateway, f"{REPORTS}/{report['id']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    assert (await _post(gateway, f"{REPORTS}/{report['id']}/send")).status_code == 409

    # In the accounting of each person it itemises: DOS received that its encounter was shared.
    accounting = (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    row = next(a for a in accounting if a["referral_kind"] == "owner-report")
    assert (row["report_id"], row["encounter_ids"], row["recipient_email"], row["state"]) == (
        report["id"],
        [shared["by_owner"]["DOS"]],
        dos["email"],
        "sent",
    )
    # The one identifier of DOS's encounter this file holds (no EID, no encounter date): its FIN.
    assert row["approved_by"] == ["supervisor"] and row["fields"] == ["fin"]
    assert mine[0]["identifiers"] == {shared["by_owner"]["DOS"]: {"fin": shared["fin"]}}
    for gw in (admin, supervisor):
        await gw.aclose()
