"""The case is the spine (issue 27, cases' side) on the shared stack: flags from the file's KST and DI columns on
the case page and in the queue filter, the person's record with its sources, assignment only to real staff of
the case's program, and a status control that offers only the moves the rules allow."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "EID", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Passport No", "O/U/S"]
HEADER += ["Data Owner", "Fast Matcher", "DI", "DI Description", "DI Shared"]


def _row(fin: str, tcn: str, fast_matcher: str = "", di: str = "", description: str = "", shared: str = "") -> list:
    person = [fin, f"EID-{fin}", "Ivanova", "Anna", "1987-02-03", "AUS", tcn, f"P{fin}", "CBP/OFO/LAX", "CBP"]
    return [*person, fast_matcher, di, description, shared]


@pytest.fixture
async def supervisor(stack: Stack) -> AsyncIterator[Gateway]:
    gw = Gateway(stack.url("edge"))
    await gw.login("supervisor")
    yield gw
    await gw.aclose()


async def _import(gw: Gateway, rows: list[list[str]], program: str = "M5", kind: str = "partner-query") -> None:
    up = await gw.upload(csv_bytes(HEADER, rows), program=program, kind=kind)
    assert up.status_code == 201, up.text
    assert (await gw.confirm(up.json()["id"])).status_code == 200


async def _case_of(gw: Gateway, fin: str) -> dict:
    async def found() -> list[dict]:
        return (await gw.get("/api/v1/cases", fin=fin)).json()["items"]

    (case,) = await wait_until(found, what=f"the case of FIN {fin}")
    return (await gw.get(f"/api/v1/cases/{case['id']}")).json()


async def _post(gw: Gateway, path: str, body: dict) -> tuple[int, dict]:
    r = await gw.client.post(path, json=body, headers=gw.headers())
    return r.status_code, r.json()


async def test_a_file_s_kst_and_di_columns_become_flags_on_the_case_page_and_in_the_queue_filter(
    gateway: Gateway,
) -> None:
    tag = uuid.uuid4().int % 10**8
    flagged, clean = f"9{tag:08d}", f"8{tag:08d}"
    await _import(
        gateway,
        [
            _row(flagged, f"T-{tag}-1", "KST", "IMMIGRATION", "Overstayed a B-2 admission by 41 days", "Y"),
            _row(clean, f"T-{tag}-2", "NO", "", "", ""),
        ],
    )
    case = await _case_of(gateway, flagged)
    (encounter,) = case["encounters"]
    flags = {f["flag"]: f for f in encounter["flags"]}
    assert flags["fast-matcher"]["value"] == {"set": True, "status": "KST", "source": "file", "column": "Fast Matcher"}
    derogatory = flags["derogatory"]["value"]
    assert derogatory["description"] == "Overstayed a B-2 admission by 41 days" and derogatory["column"] == "DI"
    assert derogatory["di_shared"] is True and flags["derogatory"]["set_by"] == "system"
    # The person's record: FIN, EID, documents, DI, fast matcher, O/U/S, owner, partner ids, each with its source.
    record = {r["field"]: r for r in encounter["record"]}
    assert (record["fin"]["value"], record["fin"]["source"], record["fin"]["locked"]) == (flagged, "file", True)
    assert record["eid"]["value"] == f"EID-{flagged}" and record["passport_number"]["value"] == f"P{flagged}"
    assert record["di_description"]["value"] == "Overstayed a B-2 admission by 41 days"
    assert record["fast_matcher_status"]["value"] == "KST" and record["ous"]["value"] == "CBP/OFO/LAX"
    assert record["partner_transaction_number"]["value"] == f"T-{tag}-1"
    assert record["flag:derogatory"]["source"] == "file" and not record["flag:derogatory"]["locked"]
    # A "NO" in the fast-matcher column sets no flag.
    assert (await _case_of(gateway, clean))["encounters"][0]["flags"] == []

    async def queue(flag: str, fin: str) -> list[str]:
        r = await gateway.get("/api/v1/cases", flag=flag, fin=fin)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await queue("fast-matcher", flagged) == [case["id"]] and await queue("derogatory", flagged) == [case["id"]]
    assert await queue("fast-matcher", clean) == [] and await queue("not-sharable", flagged) == []
    count = await gateway.get("/api/v1/cases/count", flag="derogatory", fin=flagged)
    assert count.json() == {"total": 1}
    bad = await gateway.get("/api/v1/cases", flag="watchlist")
    assert bad.status_code == 422 and "unknown flag 'watchlist'" in bad.text

    # An analyst clears the file's flag by hand (with a reason, on the timeline); the queue follows.
    r = await gateway.client.patch(
        f"/api/v1/encounters/{encounter['id']}/flags",
        json={"fast-matcher": {"set": False, "reason": "examiner review: not the same person"}},
        headers=gateway.headers(),
    )
    assert r.status_code == 200, r.text
    assert await queue("fast-matcher", flagged) == []
    after = await _case_of(gateway, flagged)
    record = {x["field"]: x for x in after["encounters"][0]["record"]}
    assert record["flag:fast-matcher"]["source"] == "analyst" and record["flag:fast-matcher"]["value"] is False
    assert "flag-set" in [t["action"] for t in after["timeline"]]

    # TSC hears of every KST match (issue 28): the file's KST status made its notice due; on the clean case, a
    # KST flag an analyst sets later makes one due too.
    async def tsc_notice(case_id: str) -> list[dict]:
        r = await gateway.get("/api/v1/disclosures/referrals", case=case_id)
        return [n for n in r.json() if n["kind"] == "tsc-notice"]

    assert await wait_until(lambda: tsc_notice(case["id"]), what="TSC's notice for the file's KST")
    clean_case = await _case_of(gateway, clean)
    assert await tsc_notice(clean_case["id"]) == []
    r = await gateway.client.patch(
        f"/api/v1/encounters/{clean_case['encounters'][0]['id']}/flags",
        json={"fast-matcher": {"set": True, "status": "KST", "reason": "IDENT examiner: a KST hit"}},
        headers=gateway.headers(),
    )
    assert r.status_code == 200, r.text
    (notice,) = await wait_until(lambda: tsc_notice(clean_case["id"]), what="TSC's notice for the later KST flag")
    assert notice["status"] == "due" and notice["encounter_ids"] == [clean_case["encounters"][0]["id"]]


async def test_a_case_goes_only_to_an_active_analyst_or_supervisor_of_its_program(
    gateway: Gateway, supervisor: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().int % 10**8
    fin = f"7{tag:08d}"
    await _import(gateway, [_row(fin, f"A-{tag}")])
    cid = (await _case_of(gateway, fin))["id"]
    path = f"/api/v1/cases/{cid}/assign"
    code, body = await _post(supervisor, path, {"assignee": "anlyst"})
    assert code == 422 and body["detail"] == "assignee: no TRACS user is called 'anlyst'"
    code, body = await _post(supervisor, path, {"assignee": "auditor"})
    assert code == 422 and "is not an analyst or supervisor" in body["detail"]

    # A login of another program is refused; one of M5 becomes assignable once cases has heard of it.
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    names = {p: f"analyst-{p.lower()}-{tag}" for p in ("PCSC", "M5")}
    for program, name in names.items():
        user = {"username": name, "password": "a-long-test-password", "roles": ["analyst"], "programs": [program]}
        r = await admin.client.post("/api/v1/users", json=user, headers=admin.headers())
        assert r.status_code == 201, r.text
    await admin.aclose()

    async def assignable() -> list[str]:
        r = await supervisor.get(f"/api/v1/cases/{cid}/assignees")
        assert r.status_code == 200, r.text
        return [a["username"] for a in r.json()] if names["M5"] in r.text else []

    offered = await wait_until(assignable, what="the new M5 analyst among the assignees")
    assert {"analyst", "supervisor", names["M5"]} <= set(offered)
    assert names["PCSC"] not in offered and "auditor" not in offered and "admin" not in offered
    code, body = await _post(supervisor, path, {"assignee": names["PCSC"]})
    assert code == 422 and body["detail"] == f"assignee: {names['PCSC']!r} does not belong to program M5"
    # Assign to me: an analyst takes the unassigned case, then cannot take it from another.
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/take", {})
    assert code == 200 and body["assignee"] == "analyst"
    code, body = await _post(supervisor, path, {"assignee": names["M5"]})
    assert code == 200 and body["assignee"] == names["M5"]
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/take", {})
    assert code == 409 and body["detail"] == f"the case is assigned to {names['M5']}; a supervisor may reassign it"
    assert (await supervisor.get(f"/api/v1/cases/{cid}/assignees")).status_code == 200
    assert (await gateway.get(f"/api/v1/cases/{cid}/assignees")).status_code == 403  # a supervisor's picker

    # A login whose privacy training has lapsed may not sign in, and is no longer given work either.
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    lapsed_on = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()
    r = await admin.client.patch(
        f"/api/v1/users/{names['M5']}", json={"training_completed_on": lapsed_on}, headers=admin.headers()
    )
    await admin.aclose()
    assert r.status_code == 200, r.text

    async def dropped() -> bool:
        r = await supervisor.get(f"/api/v1/cases/{cid}/assignees")
        return names["M5"] not in [a["username"] for a in r.json()]

    assert await wait_until(dropped, what="the lapsed analyst to leave the picker")
    code, body = await _post(supervisor, path, {"assignee": names["M5"]})
    assert code == 422 and body["detail"] == f"assignee: {names['M5']!r} is not an active user"


async def test_the_status_control_offers_only_allowed_moves_and_a_case_without_findings_is_never_stale(
    gateway: Gateway, supervisor: Gateway
) -> None:
    tag = uuid.uuid4().int % 10**8
    fin = f"6{tag:08d}"
    await _import(gateway, [_row(fin, f"S-{tag}")])
    case = await _case_of(gateway, fin)
    cid = case["id"]
    assert case["allowed_moves"] == ["in-review", "closed"] and case["stale"] is False
    # A second file about the same person arrives: with no findings there is nothing to be stale.
    await _import(gateway, [_row(fin, f"S-{tag}-2")])
    await wait_until(
        lambda: _count(gateway, fin, 2),
        what="the second case of the same person",
    )
    assert (await gateway.get(f"/api/v1/cases/{cid}")).json()["stale"] is False
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "response-sent"})
    assert code == 409 and "cannot move to response-sent" in body["detail"]
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "in-review"})
    assert code == 200 and body["allowed_moves"] == ["findings-ready", "closed"]
    # The explicit "no derogatory information found" is a finding of its own kind.
    finding = {"kind": "no-derogatory-information", "text": "IDENT-SIT and ADIS searched: nothing adverse"}
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/findings", finding)
    assert code == 201 and body["findings"][0]["kind"] == "no-derogatory-information"
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "closed"})
    assert code == 200 and body["allowed_moves"] == []  # an analyst cannot reopen
    assert (await supervisor.get(f"/api/v1/cases/{cid}")).json()["allowed_moves"] == ["in-review"]


async def _count(gw: Gateway, fin: str, n: int) -> bool:
    return (await gw.get("/api/v1/cases/count", fin=fin)).json()["total"] == n


async def test_a_record_entered_by_hand_meets_the_same_validation_flags_and_case_rules_as_a_file_row(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().int % 10**8
    fin = f"5{tag:08d}"
    record = {"fin": fin, "last_name": "Ivanova", "first_name": "Anna", "fast_matcher_status": "KST"}
    entry = {"program": "M5", "kind": "partner-query", "partner_country": "AUS"}
    code, body = await _post(
        gateway, "/api/v1/intake/entries", {**entry, "fields": {**record, "dob": "2099-01-01", "gender": "Q"}}
    )
    assert code == 422 and body["detail"] == "dob: a date in the future; gender: gender must be M, F, X or U"
    assert [p["field"] for p in body["problems"]] == ["dob", "gender"]
    code, body = await _post(gateway, "/api/v1/intake/entries", {**entry, "fields": {**record, "shoe_size": "42"}})
    assert code == 422 and body["detail"] == "unknown fields: shoe_size"
    intake_db = f"tracs_intake{stack.database_suffix}"
    staged = "SELECT count(*) FROM staged_rows WHERE raw->>'fin' = $1"
    assert await db_fetchval(stack.database_url, intake_db, staged, fin) == 0  # nothing of a refused entry stored

    code, batch = await _post(gateway, "/api/v1/intake/entries", {**entry, "fields": {**record, "dob": "1987-02"}})
    assert code == 201, batch
    assert (batch["status"], batch["rows_total"], batch["rows_invalid"]) == ("confirmed", 1, 0)
    case = await _case_of(gateway, fin)
    (encounter,) = case["encounters"]
    assert encounter["dob"] == "1987-02" and encounter["dob_precision"] == "month"
    (flag,) = encounter["flags"]
    assert flag["flag"] == "fast-matcher" and flag["value"]["column"] == "fast_matcher_status"
    assert (case["program"], case["partner_country"], case["status"]) == ("M5", "AUS", "new")
    code, body = await _post(gateway, "/api/v1/intake/entries", {**entry, "fields": {**record, "dob": "1987-02"}})
    assert code == 409 and "already" in body["detail"]  # the same record twice is refused, as the same file is


async def test_a_partner_s_extract_request_is_linked_to_the_query_case_it_follows_both_ways(gateway: Gateway) -> None:
    tag = uuid.uuid4().int % 10**8
    fin = f"4{tag:08d}"
    await _import(gateway, [_row(fin, f"Q-{tag}")])
    query = await _case_of(gateway, fin)
    await _import(gateway, [_row(fin, f"X-{tag}")], kind="partner-extract")

    async def extract() -> dict | None:
        items = (await gateway.get("/api/v1/cases", fin=fin)).json()["items"]
        found = [c for c in items if c["upload_kind"] == "partner-extract"]
        return (await gateway.get(f"/api/v1/cases/{found[0]['id']}")).json() if found else None

    follow_up = await wait_until(extract, what="the extract request's case")
    assert [(c["case_id"], c["kind"]) for c in follow_up["linked_cases"]] == [(query["id"], "follows")]
    back = (await gateway.get(f"/api/v1/cases/{query['id']}")).json()["linked_cases"]
    assert [(c["case_id"], c["kind"], c["upload_kind"]) for c in back] == [
        (follow_up["id"], "followed-by", "partner-extract")
    ]
