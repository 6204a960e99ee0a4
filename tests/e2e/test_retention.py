"""Retention through the gateway: exactly the due records go (held ones stay), every service forgets its
copies, reporting's aggregates stay, each purge is audited; a dry run changes nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner"]


async def _subjects(gw: Gateway, tag: str) -> dict[str, dict]:
    rows = [[f"{who}{tag}", "Okonkwo", "Adaeze", "1985-05-05", "TUV", f"T{who}{tag}", "CBP"] for who in "ABC"]
    up = await gw.upload(csv_bytes(HEADER, rows), program="M5")
    assert up.status_code == 201 and (await gw.confirm(up.json()["id"])).status_code == 200
    out = {}
    for who in "ABC":

        async def case(fin: str = f"{who}{tag}") -> dict | None:
            items = (await gw.get("/api/v1/cases", fin=fin)).json()["items"]
            return (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json() if items else None

        out[who] = await wait_until(case, what=f"case {who}")
    return out


async def _redress_request(gw: Gateway, tag: str) -> str:
    today = datetime.now(UTC).date()
    r = await gw.client.post(
        "/api/v1/redress",
        headers=gw.headers(),
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-RET-{tag}",
            "sent_on": (today - timedelta(days=2)).isoformat(),
            "received_on": today.isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Okonkwo", "first_name": "Adaeze", "dob": "1985-05-05"},
            "contested_information": "x",
            "reason": "y",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_retention_purges_exactly_the_due_records_spares_held_ones_and_keeps_the_counts(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin, auditor = Gateway(stack.url("edge")), Gateway(stack.url("edge"))
    await admin.login("admin")
    await auditor.login("auditor")
    case = await _subjects(gateway, tag)
    enc = {who: c["encounters"][0]["id"] for who, c in case.items()}
    subject = {who: c["subject_id"] for who, c in case.items()}

    async def projected(who: str) -> list:
        return (await gateway.get(f"/api/v1/disclosures/subjects/{subject[who]}/encounters")).json()

    await wait_until(lambda: projected("B"), what="disclosure's copy of B")
    # Redress keeps no copy: it finds B through cases' search, so the purge needs nothing of it.
    redress_id = await _redress_request(gateway, tag)

    async def candidates(who: str) -> list[str]:
        r = await gateway.get(f"/api/v1/redress/{redress_id}/candidates", fin=f"{who}{tag}")
        assert r.status_code == 200, r.text
        return [c["encounter_id"] for c in r.json()]

    assert await candidates("B") == [enc["B"]]
    reporting_db = f"tracs_reporting{stack.database_suffix}"
    counts = (
        "SELECT (SELECT coalesce(json_agg(json_build_array(day, metric, value) ORDER BY day, metric)::text, '') "
        "FROM daily_counts WHERE program = 'M5' AND partner = 'TUV') || ' subjects ' || "
        "(SELECT count(*) FROM subject_days WHERE program = 'M5' AND partner = 'TUV')"
    )

    async def counted() -> str | None:
        found = await db_fetchval(stack.database_url, reporting_db, counts)
        return found if found and '"matches", 3' in found and found.endswith("subjects 3") else None

    counts_before = await wait_until(counted, what="reporting's counts of the three subjects")

    # A and B were collected and last used 80 years ago; C is recent. A is under a legal hold.
    cases_db = f"tracs_cases{stack.database_suffix}"
    for who in "AB":
        await db_fetchval(
            stack.database_url,
            cases_db,
            "UPDATE cases SET updated_at = now() - interval '80 years', opened_at = now() - interval '80 years'"
            " WHERE id = $1",
            uuid.UUID(case[who]["id"]),
        )
        await db_fetchval(
            stack.database_url,
            cases_db,
            "UPDATE encounters SET imported_at = now() - interval '80 years' WHERE id = $1",
            uuid.UUID(enc[who]),
        )
    hold = await admin.client.post(
        "/api/v1/holds", json={"subject_id": subject["A"], "reason": "litigation 24-117"}, headers=admin.headers()
    )
    assert hold.status_code == 201 and hold.json()["placed_by"] == "admin"
    assert (
        await admin.client.post("/api/v1/holds", json={"reason": "nothing named"}, headers=admin.headers())
    ).status_code == 422

    async def run(gw: Gateway, **params: str) -> tuple[int, dict]:
        r = await gw.client.post("/api/v1/retention/run", params=params, headers=gw.headers())
        return r.status_code, r.json()

    mine = {case[w]["id"] for w in "ABC"} | set(enc.values())

    def ours(report: dict) -> set[str]:
        return (set(report["cases"]) | set(report["encounters"])) & mine

    # A dry run lists exactly B; with the clock moved 80 years on, C too; A never while held.
    code, dry = await run(admin)
    assert code == 200 and dry["dry_run"] is True and ours(dry) == {case["B"]["id"], enc["B"]}
    later = (datetime.now(UTC) + timedelta(days=366 * 80)).isoformat()
    code, future = await run(admin, as_of=later)
    assert code == 200 and ours(future) == {case["B"]["id"], enc["B"], case["C"]["id"], enc["C"]}
    assert (await gateway.get(f"/api/v1/cases/{case['B']['id']}")).status_code == 200  # nothing changed
    # Only admins run retention, and a real run cannot be told another date.
    assert (await run(gateway))[0] == 403
    assert (await run(admin, dry_run="false", as_of=later))[0] == 422
    cli = subprocess.run(
        [sys.executable, "-m", "tracs.cli", "retention", "run", "--dry-run"],
        env=stack.env("cases"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0 and f"case {case['B']['id']}" in cli.stdout, cli.stdout + cli.stderr

    code, done = await run(admin, dry_run="false")
    assert code == 200 and ours(done) == {case["B"]["id"], enc["B"]}
    assert (await gateway.get(f"/api/v1/cases/{case['B']['id']}")).status_code == 404
    assert (await gateway.get(f"/api/v1/encounters/{enc['B']}")).status_code == 404
    assert (await gateway.get(f"/api/v1/subjects/{subject['B']}")).status_code == 404
    for who in "AC":
        assert (await gateway.get(f"/api/v1/cases/{case[who]['id']}")).status_code == 200
    # Every service forgets its copies ...
    await wait_until(lambda: _empty(projected("B")), what="disclosure forgetting B")
    assert await candidates("B") == [] and await candidates("C") == [enc["C"]]  # at once: no copy to forget
    assert await projected("A") and await projected("C")
    # ... reporting consumes the purge and its aggregates stay exactly as they were ...
    purge_event = await db_fetchval(
        stack.database_url,
        cases_db,
        "SELECT event_id FROM outbox WHERE event_type = 'RecordsPurged' AND key = $1",
        subject["B"],
    )
    seen = "SELECT count(*) FROM inbox WHERE event_id = $1"
    await wait_until(
        lambda: _positive(db_fetchval(stack.database_url, reporting_db, seen, purge_event)),
        what="reporting consuming the purge",
    )
    assert await db_fetchval(stack.database_url, reporting_db, counts) == counts_before
    # ... and each purge is in the audit trail.
    trail = (await auditor.get("/api/v1/audit", record=f"case:{case['B']['id']}")).json()
    purge = [e for e in trail if e["action"] == "retention-purge"]
    assert len(purge) == 1 and purge[0]["actor"] == "admin" and "analysis-record" in purge[0]["detail"]

    # Released, the hold no longer protects A.
    released = await admin.client.post(f"/api/v1/holds/{hold.json()['id']}/release", headers=admin.headers())
    assert released.status_code == 200 and released.json()["released_by"] == "admin"
    code, dry = await run(admin)
    assert ours(dry) == {case["A"]["id"], enc["A"]}
    for gw in (admin, auditor):
        await gw.aclose()


async def _positive(value) -> bool:  # type: ignore[no-untyped-def]
    return (await value) > 0


async def _empty(value) -> bool:  # type: ignore[no-untyped-def]
    return (await value) == []
