"""Retention in every owning service on the shared stack (issue 29): a legal hold placed in cases reaches
disclosure and redress by event and spares their records there, disclosure's accounting and notices, redress's
requests and reporting's bulletins go when due, and the disposal report shows each service's counts, no id."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.disclosure_steps import sent_response, supervisor_of
from tests.e2e.test_disclosure import HEADER
from tests.support import Gateway, db_fetchval, wait_until
from tracs.stack import Stack

OLD = "now() - interval '80 years'"


async def _sent_response(gw: Gateway, supervisor: Gateway, recipient: dict, fin: str, tag: str) -> dict:
    """A PCSC case of one encounter, made ready, drafted to Greece, approved and sent: one accounting row."""
    row = [fin, "Papadopoulou", "Eleni", "1980-02-29", "GRC", "GRC", f"R-{fin}", "CBP", "CBP/OFO/JFK", f"PP{tag}"]
    answered = {"recipient_id": recipient["id"], "purpose": "serious-crime"}
    return await sent_response(gw, supervisor, program="PCSC", header=HEADER, rows=[row], fin=fin, **answered)


async def _closed_request(gw: Gateway, encounter_id: str, tag: str) -> str:
    today = datetime.now(UTC).date()
    r = await gw.client.post(
        "/api/v1/redress",
        headers=gw.headers(),
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-HOLD-{tag}",
            "sent_on": (today - timedelta(days=2)).isoformat(),
            "received_on": today.isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Papadopoulou", "first_name": "Eleni", "dob": "1980-02-29"},
            "contested_information": "x",
            "reason": "y",
        },
    )
    assert r.status_code == 201, r.text
    redress_id = r.json()["id"]
    link = {"encounter_id": encounter_id, "note": "the traveller's record"}
    r = await gw.client.post(f"/api/v1/redress/{redress_id}/links", headers=gw.headers(), json=link)
    assert r.status_code == 200, r.text
    return redress_id


async def test_a_legal_hold_blocks_disposal_in_every_service_and_the_disposal_report_counts_what_went(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    supervisor = await supervisor_of(gateway)
    greece = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "PCSC Greece")
    recipient = (await admin.get(f"/api/v1/agreements/{greece['id']}")).json()["recipients"][0]
    # H (to be held) and F (free): each disclosed to Greece once and the subject of a redress request.
    case = {who: await _sent_response(gateway, supervisor, recipient, f"{who}{tag}", tag) for who in "HF"}
    await supervisor.aclose()
    subject = {who: c["subject_id"] for who, c in case.items()}
    encounter = {who: c["encounters"][0]["id"] for who, c in case.items()}
    request = {who: await _closed_request(gateway, encounter[who], f"{who}{tag}") for who in "HF"}

    async def accounted(who: str) -> list[dict]:
        return (await gateway.get("/api/v1/disclosures/accounting", subject=subject[who])).json()

    for who in "HF":
        assert len(await accounted(who)) == 1

    # The hold is placed in cases, on H's subject, and reaches disclosure and redress by event.
    hold = await admin.client.post(
        "/api/v1/holds", json={"subject_id": subject["H"], "reason": f"litigation {tag}"}, headers=admin.headers()
    )
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    for area in ("disclosures", "redress"):

        async def arrived(area: str = area) -> dict | None:
            r = await admin.get(f"/api/v1/{area}/retention/holds")
            assert r.status_code == 200, r.text
            return next((h for h in r.json() if h["id"] == hold_id), None)

        got = await wait_until(arrived, what=f"the hold in {area}")
        assert got["reason"] == f"litigation {tag}" and encounter["H"] in got["encounter_ids"]
        assert got["released_at"] is None
    assert (await gateway.get("/api/v1/disclosures/retention/holds")).status_code == 403  # admins, privacy officers

    # Everything of both is 80 years old: sent, noticed, closed; and a bulletin of 80 years ago.
    databases = {s: f"tracs_{s}{stack.database_suffix}" for s in ("disclosure", "redress", "reporting", "cases")}

    async def sql(service: str, query: str, *args: Any) -> Any:
        return await db_fetchval(stack.database_url, databases[service], query, *args)

    subjects = [uuid.UUID(subject[w]) for w in "HF"]
    cases = [uuid.UUID(case[w]["id"]) for w in "HF"]
    await sql("disclosure", f"UPDATE accounting SET sent_at = {OLD} WHERE subject_id = ANY($1)", subjects)
    await sql("disclosure", f"UPDATE owner_notifications SET created_at = {OLD} WHERE case_id = ANY($1)", cases)
    requests = [uuid.UUID(request[w]) for w in "HF"]
    await sql(
        "redress", f"UPDATE redress_requests SET status = 'closed', closed_at = {OLD} WHERE id = ANY($1)", requests
    )
    body = {"title": f"Old {tag}", "description": "d", "outcome": "", "case_summary": "s", "services_provided": "p"}
    bulletin = (await gateway.client.post("/api/v1/bulletins", json=body, headers=gateway.headers())).json()
    await sql("reporting", f"UPDATE bulletins SET updated_at = {OLD} WHERE id = $1", uuid.UUID(bulletin["id"]))
    started = datetime.now(UTC).isoformat()

    async def run(area: str, **params: str) -> dict:
        r = await admin.client.post(f"/api/v1/{area}/retention/run", params=params, headers=admin.headers())
        assert r.status_code == 200, r.text
        return {c["kind"]: c for c in r.json()["counts"]}

    # A dry run counts H's records as held and F's as due, and changes nothing.
    dry = await run("disclosures")
    assert dry["accounting"]["held"] >= 1 and dry["accounting"]["count"] >= 1
    assert dry["owner-notice"]["held"] >= 1
    assert (await run("redress"))["redress-request"]["held"] >= 1
    assert len(await accounted("F")) == 1
    assert (await admin.client.post("/api/v1/redress/retention/run", headers=gateway.headers())).status_code == 403

    # The real runs: F's accounting, notices and request go; H's stay while held.
    done = await run("disclosures", dry_run="false")
    assert done["accounting"]["count"] >= 1 and done["accounting"]["held"] >= 1
    assert await accounted("F") == [] and len(await accounted("H")) == 1
    await run("redress", dry_run="false")
    assert (await gateway.get(f"/api/v1/redress/{request['F']}")).status_code == 404
    assert (await gateway.get(f"/api/v1/redress/{request['H']}")).status_code == 200
    reporting = await run("reports", dry_run="false")
    assert reporting["bulletin"]["count"] >= 1
    assert (await gateway.get(f"/api/v1/bulletins/{bulletin['id']}")).status_code == 404
    # Stored reports fall due 15 years after the end of the year generated (a dry run names the day).
    later = (datetime.now(UTC) + timedelta(days=366 * 17)).isoformat()
    assert "stored-report" in await run("reports", as_of=later)
    # Cases, too: F's case and encounter, 80 years old; H's are held there as well.
    for who in "HF":
        await sql(
            "cases", f"UPDATE cases SET updated_at = {OLD}, opened_at = {OLD} WHERE id = $1", uuid.UUID(case[who]["id"])
        )
        await sql("cases", f"UPDATE encounters SET imported_at = {OLD} WHERE id = $1", uuid.UUID(encounter[who]))
    purged = (
        await admin.client.post("/api/v1/retention/run", params={"dry_run": "false"}, headers=admin.headers())
    ).json()
    assert case["F"]["id"] in purged["cases"] and case["H"]["id"] not in purged["cases"]

    # Each service's run reaches the disposal report as counts: per service, kind and rule, no id of anything.
    async def reported() -> dict | None:
        r = await admin.get("/api/v1/reports/disposals", since=started)
        assert r.status_code == 200, r.text
        found = {(x["service"], x["kind"]): x for x in r.json()["rows"]}
        wanted = {
            ("disclosure", "accounting"),
            ("redress", "redress-request"),
            ("reporting", "bulletin"),
            ("cases", "case"),
        }
        return r.json() if wanted <= set(found) else None

    report = await wait_until(reported, what="every service's disposals in the report")
    rows = {(x["service"], x["kind"]): x for x in report["rows"]}
    assert rows[("disclosure", "accounting")]["count"] >= 1 and rows[("disclosure", "accounting")]["held"] >= 1
    assert "75 years after the end of the year sent" in rows[("disclosure", "accounting")]["rule"]
    assert report["total"] >= 4
    text = str(report)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), "the disposal report names no record"
    assert (await gateway.get("/api/v1/reports/disposals")).status_code == 403
    cli = subprocess.run(
        [sys.executable, "-m", "tracs.cli", "retention", "report", "--since", started],
        env=stack.env("reporting"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert cli.returncode == 0 and "disclosure" in cli.stdout and "accounting" in cli.stdout, cli.stdout + cli.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "tracs.cli", "retention", "run", "--dry-run", "--service", "redress"],
        env=stack.env("redress"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert cli.returncode == 0 and "redress-request" in cli.stdout and "held" in cli.stdout, cli.stdout + cli.stderr

    # Released, the hold spares nothing: the next runs take H's records too.
    r = await admin.client.post(f"/api/v1/holds/{hold_id}/release", headers=admin.headers())
    assert r.status_code == 200, r.text

    async def released() -> bool:
        held = [h for h in (await admin.get("/api/v1/disclosures/retention/holds")).json() if h["id"] == hold_id]
        again = [h for h in (await admin.get("/api/v1/redress/retention/holds")).json() if h["id"] == hold_id]
        return bool(held and held[0]["released_at"] and again and again[0]["released_at"])

    await wait_until(released, what="the release in disclosure and redress")
    await run("disclosures", dry_run="false")
    await run("redress", dry_run="false")
    assert await accounted("H") == []
    assert (await gateway.get(f"/api/v1/redress/{request['H']}")).status_code == 404
    # Each disposal is in the owning service's audit trail, with the rule it went under.
    trail = (await db_fetchval(
        stack.database_url, databases["disclosure"],
        "SELECT detail FROM audit_trail WHERE action = 'retention-purge' AND record_type = 'accounting'"
        " ORDER BY id DESC LIMIT 1",
    ))  # fmt: skip
    assert "75 years after the end of the year sent" in trail and "552a(c)(2)" in trail
    await admin.aclose()
