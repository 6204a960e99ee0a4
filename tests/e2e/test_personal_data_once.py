"""Personal data stored once (issue 17): disclosure and redress ask cases for it, under a service identity.

A draft made right after a flag is set sees the flag (no copy to lag behind); a send refuses a case that changed
since its draft; cases' internal API answers services only, is not reachable through the gateway, and audits the
user each call served; with cases down a draft is a 503 naming cases, never a response built from nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared.auth import Principal, issue_service_token, issue_token
from shared.settings import DEV_JWT_SECRET
from tests.e2e.disclosure_steps import approve_and_send, make_ready, supervisor_of
from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
ISSUER = "tracs-gateway"


async def _case(gw: Gateway, tag: str) -> dict:
    rows = [
        [f"P{tag}", "Lambrou", "Eleni", "1979-09-09", "GRC", f"P-{tag}", "CBP", "CBP/OFO/JFK"],
        [f"P{tag}", "Lambrou", "Eleni", "1979-09-09", "GRC", f"P-{tag}", "CBP", "CBP/OFO/BOS"],
    ]
    up = await gw.upload(csv_bytes(HEADER, rows), program="PCSC")
    assert up.status_code == 201 and (await gw.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gw.get("/api/v1/cases", fin=f"P{tag}")).json()["items"]
        view = (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json() if items else None
        return view if view and len(view["encounters"]) == 2 else None

    found = await wait_until(case, what="the case with its two encounters")
    await make_ready(gw, found["id"])  # searches and a finding: a response may be drafted
    return found


async def _recipient(stack: Stack) -> dict:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    agreement = next(a for a in (await admin.get("/api/v1/agreements")).json() if a["name"] == "PCSC Greece")
    recipient = (await admin.get(f"/api/v1/agreements/{agreement['id']}")).json()["recipients"][0]
    await admin.aclose()
    return recipient


async def _draft(gw: Gateway, case_id: str, recipient_id: str) -> httpx.Response:
    body = {"case_id": case_id, "recipient_id": recipient_id, "purpose": "serious-crime"}
    return await gw.client.post("/api/v1/disclosures", headers=gw.headers(), json=body)


async def _flag(gw: Gateway, encounter_id: str) -> None:
    r = await gw.client.patch(
        f"/api/v1/encounters/{encounter_id}/flags",
        headers=gw.headers(),
        json={"not-sharable": {"set": True, "reason": "source asked us not to share"}},
    )
    assert r.status_code == 200, r.text


async def test_a_draft_made_right_after_a_flag_sees_it_and_a_send_refuses_a_changed_case(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case(gateway, tag)
    recipient = await _recipient(stack)
    jfk, bos = sorted(case["encounters"], key=lambda e: e["fields"]["ous"] != "CBP/OFO/JFK")

    async def projected() -> dict | None:
        r = await _draft(gateway, case["id"], recipient["id"])
        return None if r.status_code == 404 else r.json()  # disclosure has not heard of the case yet

    first = await wait_until(projected, what="disclosure to know the case")
    assert sorted(first["released"]["encounters"]) == sorted([jfk["id"], bos["id"]])
    assert first["released"]["encounters"][jfk["id"]]["last_name"] == "Lambrou"

    # The old race: a flag set a moment ago is seen by the very next draft, without waiting for any event.
    await _flag(gateway, bos["id"])
    after = await _draft(gateway, case["id"], recipient["id"])
    assert after.status_code == 201, after.text
    withheld = {w["item"]: w["rule"] for w in after.json()["withheld"]}
    assert withheld[f"encounter {bos['id']}"] == "non-sharable flag"
    assert list(after.json()["released"]["encounters"]) == [jfk["id"]]

    # The first draft was made before the flag: sending it now is refused (re-prepared from cases, it differs).
    stale = await gateway.client.post(f"/api/v1/disclosures/{first['id']}/send", headers=gateway.headers())
    assert stale.status_code == 409 and "changed since this draft" in stale.json()["detail"]
    supervisor = await supervisor_of(gateway)
    sent = await approve_and_send(gateway, supervisor, after.json()["id"])
    await supervisor.aclose()
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text

    # Disclosure keeps no imported values: only what it released (drafts) and sent (the accounting).
    disclosure_db = f"tracs_disclosure{stack.database_suffix}"
    tables = await db_fetchval(
        stack.database_url,
        disclosure_db,
        "SELECT string_agg(tablename, ',') FROM pg_tables WHERE tablename IN ('encounter_values', 'case_findings')",
    )
    assert tables is None
    # Cases audited each of disclosure's calls as made for the analyst.
    cases_db = f"tracs_cases{stack.database_suffix}"
    served = await db_fetchval(
        stack.database_url,
        cases_db,
        "SELECT count(*) FROM audit_trail WHERE actor = 'service:disclosure' AND record_id = $1 "
        "AND detail = 'on behalf of analyst' AND outcome = 'allowed'",
        case["id"],
    )
    assert served == 4  # two drafts and two sends (a draft refused before disclosure knew the case asks nothing)


async def test_cases_internal_api_answers_services_only_and_is_not_behind_the_gateway(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case(gateway, tag)
    secret = stack.env("cases").get("TRACS_JWT_SECRET", DEV_JWT_SECRET)
    path = f"{stack.url('cases')}/internal/v1/cases/{case['id']}/disclosure"
    async with httpx.AsyncClient(timeout=10) as http:
        # The analyst's own token, straight to cases: authenticated, but the action is the service role's.
        refused = await http.get(path, headers=gateway.headers())
        assert refused.status_code == 403 and "case:disclose" in refused.json()["detail"]
        # Every role at once still is not a service.
        everyone = issue_token(
            Principal("mallory", frozenset({"analyst", "supervisor", "auditor", "admin"}), frozenset({"PCSC"})),
            secret=secret,
            issuer=ISSUER,
            ttl_seconds=60,
        )
        people = f"{stack.url('cases')}/internal/v1/people"
        assert (await http.get(people, params={"fin": f"P{tag}"}, headers=_bearer(everyone))).status_code == 403
        assert (await http.get(path)).status_code == 401
        service = issue_service_token("disclosure", secret=secret, issuer=ISSUER)
        ok = await http.get(path, headers=_bearer(service))
        assert ok.status_code == 200 and len(ok.json()["encounters"]) == 2
        found = await http.get(people, params={"fin": f"P{tag}"}, headers=_bearer(service))
        assert [p["fin"] for p in found.json()] == [f"P{tag}", f"P{tag}"]
        forged = issue_service_token("disclosure", secret="x" * 40, issuer=ISSUER)
        assert (await http.get(path, headers=_bearer(forged))).status_code == 401
    # The gateway forwards /api/v1 only, and its merged OpenAPI lists no internal route.
    assert (
        await gateway.client.get(f"/internal/v1/cases/{case['id']}/disclosure", headers=gateway.headers())
    ).status_code == 404
    # Nor by dot segments that would resolve to it on the way out.
    climb = f"/api/v1/cases/%2e%2e/%2e%2e/%2e%2e/internal/v1/cases/{case['id']}/disclosure"
    assert (await gateway.client.get(climb, headers=gateway.headers())).status_code == 404
    doc = (await gateway.client.get("/openapi.json")).json()
    assert not [p for p in doc["paths"] if p.startswith("/internal")]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_with_cases_down_a_draft_or_a_candidate_search_is_503_naming_cases(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case(gateway, tag)
    recipient = await _recipient(stack)

    async def projected() -> bool:
        return (await _draft(gateway, case["id"], recipient["id"])).status_code == 201

    await wait_until(projected, what="disclosure to know the case")
    today = datetime.now(UTC).date()
    created = await gateway.client.post(
        "/api/v1/redress",
        headers=gateway.headers(),
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-DOWN-{tag}",
            "sent_on": (today - timedelta(days=1)).isoformat(),
            "received_on": today.isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Lambrou", "first_name": "Eleni"},
            "contested_information": "x",
            "reason": "y",
        },
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    # A search needs something to search by: cases is never asked for every record.
    assert (await gateway.get(f"/api/v1/redress/{rid}/candidates")).status_code == 422
    stack.stop("cases")
    try:
        down = await _draft(gateway, case["id"], recipient["id"])
        assert down.status_code == 503, down.text
        assert down.json()["detail"] == "cases is unavailable; try again" and down.json()["service"] == "cases"
        search = await gateway.get(f"/api/v1/redress/{rid}/candidates", fin=f"P{tag}")
        assert search.status_code == 503 and search.json()["detail"] == "cases is unavailable; try again"
    finally:
        stack.start("cases")
        stack.wait_ready("cases")
    again = await _draft(gateway, case["id"], recipient["id"])
    assert again.status_code == 201, again.text
    found = await gateway.get(f"/api/v1/redress/{rid}/candidates", fin=f"P{tag}")
    assert found.status_code == 200 and len(found.json()) == 2
