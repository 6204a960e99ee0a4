"""The data owners' side (issue 28): TSC notices, referrals with replies, removals, all accounted and exported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.disclosure_steps import approve, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
TODAY = datetime.now(UTC).date().isoformat()


async def _recipient(admin: Gateway, agreement_name: str) -> dict[str, Any]:
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == agreement_name)
    return (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]


async def _kst_matches(gw: Gateway) -> Any:
    """Today's KST matches in the DOSR's totals. Not a (program, partner) cell: other tests' small cells on the
    shared stack make complementary suppression hide that one, while the total of the day stays shown."""
    report = (
        await gw.client.get("/api/v1/reports/dosr", params={"from": TODAY, "to": TODAY}, headers=gw.headers())
    ).json()
    return report["totals"][0]["kst_matches"] if report["totals"] else None


async def _post(gw: Gateway, path: str, body: dict[str, Any]) -> Any:
    return await gw.client.post(path, headers=gw.headers(), json=body)


async def test_tsc_notice_on_a_kst_match_its_remove_reply_and_a_cbp_referral_with_its_reply(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    fin = f"K{tag}"
    rows = [
        [fin, "Haddad", "Samir", "1979-03-02", "GBR", f"K-{tag}", "FBI-TSC", "FBI/TSC"],
        [fin, "Haddad", "Samir", "1979-03-02", "GBR", f"K-{tag}", "CBP", "CBP/OFO"],
        [fin, "Haddad", "Samir", "1979-03-02", "GBR", f"K-{tag}", "DOS", "DOS/CA"],
    ]
    # More KST matches, so the day's KST total stays above its suppression threshold after a removal.
    rows += [
        [f"K{tag}{n}", "Lindqvist", "Eva", "1990-01-01", "GBR", f"K-{tag}-{n}", "CBP", "CBP/OFO"] for n in range(6)
    ]
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    auditor = Gateway(stack.url("edge"))
    await auditor.login("auditor")
    supervisor = await supervisor_of(gateway)
    before = await _kst_matches(gateway)
    up = await gateway.upload(csv_bytes(HEADER, rows), program="KST")
    assert up.status_code == 201, up.text
    assert (await gateway.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gateway.get("/api/v1/cases", fin=fin)).json()["items"]
        return items[0] if items else None

    c = await wait_until(case, what="the KST case")

    async def upload_counted() -> int | None:
        # Reporting counts one chunk in one transaction: the value jumps by all 8 rows at once.
        now = await _kst_matches(gateway)
        if not isinstance(now, int):
            return None
        return now if (now == before + len(rows) if isinstance(before, int) else now >= len(rows)) else None

    counted = await wait_until(upload_counted, what="the DOSR to count the upload")
    view = (await gateway.get(f"/api/v1/cases/{c['id']}")).json()
    tsc_encounter = next(e["id"] for e in view["encounters"] if e["fields"]["data_owner"] == "FBI-TSC")
    cbp_encounter = next(e["id"] for e in view["encounters"] if e["fields"]["data_owner"] == "CBP")
    dos_encounter = next(e["id"] for e in view["encounters"] if e["fields"]["data_owner"] == "DOS")

    async def tsc_notice() -> dict | None:
        found = (await gateway.get("/api/v1/disclosures/referrals", case=c["id"])).json()
        return found[0] if found and found[0]["encounter_ids"] else None

    # The match made TSC's notice due, though nothing has been shared with anyone.
    notice = await wait_until(tsc_notice, what="TSC's notice to be due")
    assert (notice["kind"], notice["status"], notice["recipient_org"]) == ("tsc-notice", "due", "FBI-TSC")
    assert tsc_encounter in notice["encounter_ids"]
    assert (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json() == []

    # Drafted for TSC's desk (a CBP recipient is refused for a TSC notice), sent through the accounting.
    cbp = await _recipient(admin, "CBP data owner referrals")
    tsc = await _recipient(admin, "FBI Terrorist Screening Center match notifications")
    # Nothing is drafted before the case's work is done (issue 27): the refusal names what is missing.
    unready = await _post(gateway, f"/api/v1/disclosures/referrals/{notice['id']}/draft", {"recipient_id": tsc["id"]})
    assert unready.status_code in (409, 422) and "no finding recorded" in unready.json()["detail"], unready.text
    await make_ready(gateway, c["id"])
    wrong = await _post(gateway, f"/api/v1/disclosures/referrals/{notice['id']}/draft", {"recipient_id": cbp["id"]})
    assert wrong.status_code == 422 and "tsc" in wrong.json()["detail"], wrong.text
    drafted = await _post(gateway, f"/api/v1/disclosures/referrals/{notice['id']}/draft", {"recipient_id": tsc["id"]})
    assert drafted.status_code == 200 and drafted.json()["status"] == "drafted", drafted.text
    assert drafted.json()["encounter_ids"] == [tsc_encounter]  # what TSC receives: its own record
    draft = (await gateway.get(f"/api/v1/disclosures/{drafted.json()['draft_id']}")).json()
    assert list(draft["released"]["encounters"]) == [tsc_encounter]  # TSC receives its own record only
    assert "USE AND RE-DISSEMINATION LIMITS:" in draft["body"]
    # A reply cannot be recorded before the notice has left.
    early = await _post(
        gateway, f"/api/v1/disclosures/referrals/{notice['id']}/reply", {"decision": "keep", "replied_on": TODAY}
    )
    assert early.status_code == 409, early.text
    unapproved = await _post(gateway, f"/api/v1/disclosures/referrals/{notice['id']}/send", {})
    assert unapproved.status_code == 409, unapproved.text  # a second person approves first
    await approve(gateway, supervisor, drafted.json()["draft_id"])
    sent = await _post(gateway, f"/api/v1/disclosures/referrals/{notice['id']}/send", {})
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    assert sent.json()["sent_by"] == "analyst" and sent.json()["accounting_id"]

    # The UK KST partner receives the case: all three encounters.
    uk = await _recipient(admin, "KST United Kingdom (FBI/DHS/UK)")
    response = await _post(
        gateway, "/api/v1/disclosures", {"case_id": c["id"], "recipient_id": uk["id"], "purpose": "national-security"}
    )
    assert response.status_code == 201, response.text
    assert set(response.json()["released"]["encounters"]) == {tsc_encounter, cbp_encounter, dos_encounter}
    assert "USE AND RE-DISSEMINATION LIMITS:" in response.json()["body"]
    await approve(gateway, supervisor, response.json()["id"])
    assert (await _post(gateway, f"/api/v1/disclosures/{response.json()['id']}/send", {})).status_code == 200

    # TSC's own report of its encounters shared today names the one the UK received...
    assert tsc_encounter in await _reported(gateway, "FBI-TSC")
    # TSC answers: the subject is no longer in its database; remove the encounter.
    replied = await _post(
        gateway,
        f"/api/v1/disclosures/referrals/{notice['id']}/reply",
        {"decision": "remove", "replied_on": TODAY, "note": "no longer in the TSDB"},
    )
    assert replied.status_code == 200, replied.text
    r = replied.json()
    assert (r["status"], r["reply_decision"], r["reply_recorded_by"], r["replied_on"]) == (
        "replied",
        "remove",
        "analyst",
        TODAY,
    )
    again = await _post(
        gateway, f"/api/v1/disclosures/referrals/{notice['id']}/reply", {"decision": "keep", "replied_on": TODAY}
    )
    assert again.status_code == 409  # a reply is recorded once

    async def removal_listed() -> list | None:
        found = (await gateway.get("/api/v1/disclosures/removals", encounter=tsc_encounter)).json()
        return found if len(found) == 2 else None

    # Both earlier recipients (TSC's own notice and the UK response) are listed to be told, like a correction.
    listed = await wait_until(removal_listed, what="the removal to be listed for past recipients")
    assert {n["recipient_email"] for n in listed} == {tsc["email"], uk["email"]}
    assert all(n["requested_by"] == "FBI-TSC" for n in listed)
    # ...and once it is withdrawn, no owner's report names it again (nor may a report sent later).
    await wait_until(
        lambda: _absent(gateway, "FBI-TSC", tsc_encounter), what="the withdrawn encounter to leave TSC's report"
    )
    # Cases keeps the encounter and why it was withdrawn.
    view = (await gateway.get(f"/api/v1/cases/{c['id']}")).json()
    assert any(t["action"] == "encounter-withdrawn" for t in view["timeline"]), view["timeline"]
    # A later response leaves the encounter out, naming why.
    later = await _post(
        gateway,
        "/api/v1/disclosures",
        {
            "case_id": c["id"],
            "recipient_id": uk["id"],
            "purpose": "national-security",
            "repeat_reason": "TSC asked that its record be removed",
        },
    )
    assert later.status_code == 201, later.text
    assert set(later.json()["released"]["encounters"]) == {cbp_encounter, dos_encounter}, (
        later.json()["status"],
        later.json()["withheld"],
    )
    assert {"item": f"encounter {tsc_encounter}", "rule": "withdrawn at its data owner's request"} in later.json()[
        "withheld"
    ]
    # The DOSR no longer counts it: the upload's matches, less the one withdrawn.
    expected = counted - 1
    assert await wait_until(
        lambda: _settled_count(gateway, expected), timeout=60, what=f"the DOSR to count {expected} KST matches"
    )

    # A referral to CBP, overdue at once (0 days to reply), answered, in the accounting and the export.
    referral = await _post(
        gateway,
        "/api/v1/disclosures/referrals",
        {
            "case_id": c["id"],
            "kind": "owner-referral",
            "recipient_id": cbp["id"],
            "reason": "match against a CBP encounter",
            "reply_within_days": 0,
        },
    )
    assert referral.status_code == 201, referral.text
    ref = referral.json()
    assert (ref["status"], ref["recipient_org"], ref["encounter_ids"]) == ("drafted", "CBP", [cbp_encounter])
    await approve(gateway, supervisor, ref["draft_id"])
    assert (await _post(gateway, f"/api/v1/disclosures/referrals/{ref['id']}/send", {})).status_code == 200
    queue = (await gateway.get("/api/v1/disclosures/referrals", awaiting="true")).json()
    mine = next(q for q in queue if q["id"] == ref["id"])
    assert mine["overdue"] is True and mine["status"] == "sent"
    assert notice["id"] not in [q["id"] for q in queue]  # answered: no longer awaited
    answered = await _post(
        gateway,
        f"/api/v1/disclosures/referrals/{ref['id']}/reply",
        {"decision": "acknowledged", "replied_on": TODAY, "note": "CBP has the match"},
    )
    assert answered.status_code == 200 and answered.json()["overdue"] is False
    # DOS: the alert (its own encounter only), and the report of its encounters shared in the period.
    dos = await _recipient(admin, "Department of State encounter alerts and reports")
    alert = await _post(
        gateway,
        "/api/v1/disclosures/referrals",
        {"case_id": c["id"], "kind": "dos-alert", "recipient_id": dos["id"], "reason": "DOS record matched"},
    )
    assert alert.status_code == 201 and alert.json()["encounter_ids"] == [dos_encounter], alert.text
    await approve(gateway, supervisor, alert.json()["draft_id"])
    assert (await _post(gateway, f"/api/v1/disclosures/referrals/{alert.json()['id']}/send", {})).status_code == 200
    report = (await gateway.get("/api/v1/disclosures/owner-report", owner="DOS", **{"from": TODAY, "to": TODAY})).json()
    assert [(i["accounting_id"], i["encounter_ids"]) for i in report["items"] if i["case_id"] == c["id"]] == [
        (next(a["id"] for a in (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
              if a["referral_kind"] is None), [dos_encounter])
    ]  # fmt: skip
    assert report["encounters_shared"] == sum(len(i["encounter_ids"]) for i in report["items"])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    earlier = (
        await gateway.get("/api/v1/disclosures/owner-report", owner="DOS", **{"from": yesterday, "to": yesterday})
    ).json()
    assert c["id"] not in [i["case_id"] for i in earlier["items"]]
    accounting = (await gateway.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    kinds = sorted(a["referral_kind"] or "response" for a in accounting)
    assert kinds == ["dos-alert", "owner-referral", "response", "tsc-notice"]
    cbp_row = next(a for a in accounting if a["referral_kind"] == "owner-referral")
    assert cbp_row["recipient_email"] == cbp["email"] and cbp_row["encounter_ids"] == [cbp_encounter]
    export = (await auditor.get(f"/api/v1/subjects/{c['subject_id']}/export")).json()
    assert {a["id"] for a in export["accounting_of_disclosures"]} == {a["id"] for a in accounting}
    exported = {x["id"]: x for x in export["referrals_and_notices"]}
    assert exported[ref["id"]]["reply_decision"] == "acknowledged"
    assert exported[notice["id"]]["reply_decision"] == "remove"
    await admin.aclose()
    await auditor.aclose()
    await supervisor.aclose()


async def _settled_count(gw: Gateway, expected: int) -> bool:
    return await _kst_matches(gw) == expected


async def _reported(gw: Gateway, owner: str) -> list[str]:
    """Every encounter of the owner's report of today's sharing."""
    report = (await gw.get("/api/v1/disclosures/owner-report", owner=owner, **{"from": TODAY, "to": TODAY})).json()
    return [e for i in report["items"] for e in i["encounter_ids"]]


async def _absent(gw: Gateway, owner: str, encounter_id: str) -> bool:
    return encounter_id not in await _reported(gw, owner)
