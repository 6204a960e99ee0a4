"""A data owner's deletion notice (issue 29 item 2, PIA 5.2): after it, no database of any service holds the
encounter's personal data (the personal-data scan of every table), the accounting's minimum survives (when, to
whom, why) and the encounter is listed for its past recipients; another owner's notice and a held encounter are
refused; the CLI records a notice too."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

from tests.e2e.disclosure_steps import approve_and_send, make_ready, supervisor_of
from tests.e2e.test_personal_data import _hits
from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Nationality", "Partner Country", "TCN", "Data Owner", "OUS",
          "Passport No"]  # fmt: skip


def _needles(tag: str, n: int) -> dict[str, str]:
    return {
        "surname": f"Vasilakou{tag}{n}",
        "given name": f"Theodora{tag}{n}",
        "passport": f"PV{tag}{n}Q",
        "fin": f"8{(int(tag, 16) + n) % 10**9:09d}",
    }


async def _encounter(gw: Gateway, needles: dict[str, str], tag: str) -> dict[str, Any]:
    row = [needles["fin"], needles["surname"], needles["given name"], "1911-11-11", "GRC", "GRC", f"OD-{tag}",
           "CBP", "CBP/OFO/JFK", needles["passport"]]  # fmt: skip
    up = await gw.upload(csv_bytes(HEADER, [row]), program="PCSC")
    assert up.status_code == 201 and (await gw.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gw.get("/api/v1/cases", fin=needles["fin"])).json()["items"]
        return (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json() if items else None

    return await wait_until(case, what="the case")


async def _send(gw: Gateway, stack: Stack, case: dict) -> dict:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    greece = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "PCSC Greece")
    recipient = (await admin.get(f"/api/v1/agreements/{greece['id']}")).json()["recipients"][0]
    await admin.aclose()
    await make_ready(gw, case["id"])

    async def draft() -> dict | None:
        body = {"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"}
        r = await gw.client.post("/api/v1/disclosures", headers=gw.headers(), json=body)
        if r.status_code == 404:
            return None
        assert r.status_code == 201, r.text
        return r.json()

    d = await wait_until(draft, what="a draft")
    supervisor = await supervisor_of(gw)
    assert (await approve_and_send(gw, supervisor, d["id"])).status_code == 200
    await supervisor.aclose()
    return recipient


async def test_an_owners_deletion_leaves_no_personal_data_anywhere_keeps_the_accounting_and_lists_recipients(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    # Who records an owner's notice acts on a record by its id: a privacy officer of its program (PCSC).
    officer_name = f"po-pcsc-{tag}"
    body = {"username": officer_name, "password": "owner-notice-pw-1", "roles": ["privacy-officer"],
            "programs": ["PCSC"]}  # fmt: skip
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    officer = Gateway(stack.url("edge"))
    await officer.login(officer_name, "owner-notice-pw-1")
    first, second = _needles(tag, 1), _needles(tag, 2)
    case = await _encounter(gateway, first, tag)
    other = await _encounter(gateway, second, tag)
    encounter, other_encounter = case["encounters"][0]["id"], other["encounters"][0]["id"]
    recipient = await _send(gateway, stack, case)
    # Before: the scan sees the sent draft's values in disclosure (it is not blind).
    assert ("disclosure", "drafts") in await _hits(stack, first)

    async def delete(encounter_id: str, owner: str, by: Gateway = officer) -> Any:
        body = {"data_owner": owner, "reason": f"CBP notice {tag}: record expunged at source"}
        path = f"/api/v1/encounters/{encounter_id}/owner-deletion"
        return await by.client.post(path, json=body, headers=by.headers())

    # An admin outside PCSC does not see the encounter (404, as for an unknown id).
    assert (await delete(encounter, "CBP", by=admin)).status_code == 404

    refused = await delete(encounter, "DOS")
    assert refused.status_code == 409 and "not the data owner" in refused.json()["detail"]
    assert (await gateway.client.post(f"/api/v1/encounters/{encounter}/owner-deletion", headers=gateway.headers(),
                                      json={"data_owner": "CBP", "reason": "x"})).status_code == 403  # fmt: skip
    done = await delete(encounter, "CBP")
    assert done.status_code == 200, done.text
    assert done.json()["cases_removed"] == [case["id"]] and done.json()["subject_removed"] is True
    assert (await gateway.get(f"/api/v1/encounters/{encounter}")).status_code == 404
    assert (await delete(encounter, "CBP")).status_code == 404

    # Past recipients are listed for a notice, as a correction's are.
    async def listed() -> list | None:
        r = await gateway.get("/api/v1/disclosures/removals", encounter=encounter)
        assert r.status_code == 200, r.text
        return r.json() or None

    notices = await wait_until(listed, what="the encounter listed for its past recipients")
    assert [n["recipient_email"] for n in notices] == [recipient["email"]]
    assert notices[0]["requested_by"] == "CBP" and "deleted at CBP's notice" in notices[0]["reason"]
    # The accounting's minimum survives: when, to whom, why; the sealed message is gone.
    [kept] = (await gateway.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json()
    assert kept["recipient_agency"] and kept["purpose"] == "serious-crime" and kept["sent_at"]
    assert encounter in kept["encounter_ids"]
    message = await db_fetchval(
        stack.database_url, f"tracs_disclosure{stack.database_suffix}",
        "SELECT count(*) FROM accounting WHERE $1 = ANY(encounter_ids) AND message IS NOT NULL", uuid.UUID(encounter),
    )  # fmt: skip
    assert message == 0

    # No table of any service's database holds the deleted encounter's personal data any more.
    async def clean() -> dict | None:
        hits = await _hits(stack, first)
        return None if hits else {"clean": True}

    await wait_until(clean, what="no personal data of the deleted encounter in any database", timeout=90)
    assert ("cases", "encounters") in await _hits(stack, second)  # the other encounter is untouched

    # A held encounter is not deleted; released, the CLI records the owner's notice.
    hold = await admin.client.post(
        "/api/v1/holds", json={"encounter_id": other_encounter, "reason": f"case {tag}"}, headers=admin.headers()
    )
    assert hold.status_code == 201, hold.text
    held = await delete(other_encounter, "CBP")
    assert held.status_code == 409 and hold.json()["id"] in held.json()["detail"]
    assert (await admin.client.post(f"/api/v1/holds/{hold.json()['id']}/release", headers=admin.headers())).is_success
    cli = subprocess.run(
        [sys.executable, "-m", "tracs.cli", "retention", "owner-deletion", other_encounter, "--owner", "CBP",
         "--reason", f"CBP notice {tag}-2"],
        env=stack.env("cases"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert cli.returncode == 0 and "deleted at CBP's notice" in cli.stdout, cli.stdout + cli.stderr
    assert (await gateway.get(f"/api/v1/encounters/{other_encounter}")).status_code == 404

    async def clean_too() -> dict | None:
        return None if await _hits(stack, second) else {"clean": True}

    await wait_until(clean_too, what="no personal data of the second encounter either", timeout=90)
    # Both deletions are in cases' audit trail, with the owner and the notice.
    audited = await db_fetchval(
        stack.database_url, f"tracs_cases{stack.database_suffix}",
        "SELECT count(*) FROM audit_trail WHERE action = 'owner-deletion' AND record_type = 'encounter'"
        " AND record_id = ANY($1::text[]) AND detail LIKE 'deleted at CBP''s notice%'", [encounter, other_encounter],
    )  # fmt: skip
    assert audited == 2
    await admin.aclose()
    await officer.aclose()
