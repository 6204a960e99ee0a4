"""DOS's report of its encounters shared (issue 28 item 4), after it left: it names each encounter by its EID, FIN
and encounter date as cases holds them, and its recipient is told of a later correction and of the owner's
deletion like a partner that received the encounter. On the shared stack, through the edge, broker and databases."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.disclosure_steps import answered_case, supervisor_of
from tests.e2e.test_inaccuracy import INACCURACIES, REPORTS, TODAY, _post, _recipient, _resolved
from tests.support import Gateway, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "EID", "Last Name", "First Name", "DOB", "Encounter Date", "Partner Country", "TCN", "Data Owner",
          "OUS"]  # fmt: skip


async def _shared(gw: Gateway, supervisor: Gateway, uk: dict[str, Any], tag: str) -> dict[str, Any]:
    """An M5 match from the UK with a CBP and a DOS encounter, each with its EID, answered to the UK."""
    fin = f"R{tag}"
    rows = [
        [fin, f"EID-{tag}-C", "Mensah", "Kofi", "1984-02-11", "2021-03-04", "GBR", f"R-{tag}", "CBP", "CBP/OFO"],
        [fin, f"EID-{tag}-D", "Mensah", "Kofi", "1984-02-11", "2022-08-19", "GBR", f"R-{tag}", "DOS", "DOS/CA"],
    ]
    return await answered_case(gw, supervisor, uk, header=HEADER, rows=rows, fin=fin)


async def test_a_sent_dos_report_names_eids_and_its_recipient_is_told_of_a_correction_and_a_deletion(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    supervisor = await supervisor_of(gateway)
    uk = await _recipient(admin, "M5 United Kingdom HVP")
    dos = await _recipient(admin, "Department of State encounter alerts and reports")
    shared = await _shared(gateway, supervisor, uk, tag)
    c, dos_encounter, response = shared["case"], shared["by_owner"]["DOS"], shared["response"]

    # The report names DOS's encounter as DOS's systems know it; CBP's encounter is not DOS's to be told of.
    drafted = await _post(gateway, REPORTS, {"recipient_id": dos["id"], "from": TODAY, "to": TODAY})
    assert drafted.status_code == 201, drafted.text
    report = drafted.json()
    [mine] = [i for i in report["items"] if i["case_id"] == c["id"]]
    named = {"eid": f"EID-{tag}-D", "fin": shared["fin"], "encounter_date": "2022-08-19"}
    assert mine["identifiers"] == {dos_encounter: named}
    line = f"Encounter {dos_encounter}: EID EID-{tag}-D, FIN {shared['fin']}, encounter date 2022-08-19"
    assert line in report["body"] and f"EID-{tag}-C" not in report["body"] and "Mensah" not in report["body"]
    assert (await _post(gateway, f"{REPORTS}/{report['id']}/review")).status_code == 200
    assert (await _post(supervisor, f"{REPORTS}/{report['id']}/approve")).status_code == 200
    sent = await _post(gateway, f"{REPORTS}/{report['id']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    accounting = (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    row = next(a for a in accounting if a["referral_kind"] == "owner-report")
    assert (row["report_id"], row["fields"]) == (report["id"], ["eid", "encounter_date", "fin"])

    # The UK reports the encounter date wrong; DOS confirms a correction. Both the UK and DOS received that date.
    base = {"accounting_id": response["id"], "encounter_id": dos_encounter, "received_on": TODAY}
    recorded = await _post(gateway, INACCURACIES, base | {"field": "encounter_date", "description": "a day later"})
    assert recorded.status_code == 201, recorded.text
    inaccuracy = recorded.json()["id"]
    fix = {"resolution": "correction", "note": "DOS confirmed", "field": "encounter_date"}
    resolved = await _post(gateway, f"{INACCURACIES}/{inaccuracy}/resolve", fix | {"corrected_value": "2022-08-20"})
    assert resolved.status_code == 200, resolved.text
    await wait_until(lambda: _resolved(gateway, inaccuracy), what="the correction to be applied in cases")
    notices = (await gateway.get("/api/v1/disclosures/corrections", report=inaccuracy)).json()
    assert sorted((n["accounting_id"], n["recipient_email"]) for n in notices) == sorted(
        [(response["id"], uk["email"]), (row["id"], dos["email"])]
    )
    # A correction of a field the report did not carry (the first name) is not DOS's to be told of.
    other = await _post(gateway, INACCURACIES, base | {"field": "first_name", "description": "Kwame, not Kofi"})
    fixed = await _post(
        gateway,
        f"{INACCURACIES}/{other.json()['id']}/resolve",
        {"resolution": "correction", "note": "DOS confirmed", "field": "first_name", "corrected_value": "Kwame"},
    )
    assert fixed.status_code == 200, fixed.text
    await wait_until(lambda: _resolved(gateway, other.json()["id"]), what="the second correction to be applied")
    told = (await gateway.get("/api/v1/disclosures/corrections", report=other.json()["id"])).json()
    assert [n["recipient_email"] for n in told] == [uk["email"]]

    # DOS deletes the encounter at source: every past recipient, the report's included, is listed for a notice,
    # and the report keeps its ids but no longer the encounter's identifiers.
    officer_name = f"po-m5-{tag}"
    body = {"username": officer_name, "password": "owner-notice-pw-1", "roles": ["privacy-officer"],
            "programs": ["M5"]}  # fmt: skip
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    officer = Gateway(stack.url("edge"))
    await officer.login(officer_name, "owner-notice-pw-1")
    deleted = await officer.client.post(
        f"/api/v1/encounters/{dos_encounter}/owner-deletion",
        json={"data_owner": "DOS", "reason": f"DOS notice {tag}: record expunged"},
        headers=officer.headers(),
    )
    assert deleted.status_code == 200, deleted.text

    async def listed() -> list | None:
        found = (await gateway.get("/api/v1/disclosures/removals", encounter=dos_encounter)).json()
        return found if len(found) >= 2 else None

    removals = await wait_until(listed, what="the deleted encounter listed for its past recipients")
    assert sorted((n["accounting_id"], n["recipient_email"]) for n in removals) == sorted(
        [(response["id"], uk["email"]), (row["id"], dos["email"])]
    )
    after = (await gateway.get(f"{REPORTS}/{report['id']}")).json()
    [kept] = [i for i in after["items"] if i["case_id"] == c["id"]]
    assert kept["identifiers"] == {dos_encounter: {}} and kept["encounter_ids"] == [dos_encounter]
    assert f"EID-{tag}-D" not in after["body"] and f"Encounter {dos_encounter}: [identifiers removed" in after["body"]
    for gw in (admin, supervisor, officer):
        await gw.aclose()
