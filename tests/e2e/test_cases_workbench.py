"""The analyst's workbench through the gateway: cases, name search, flags, searches, findings, staleness, workflow."""

from __future__ import annotations

import uuid

from shared.events import topics
from tests.support import Gateway, csv_bytes, db_fetchval, events_until, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Protected Class", "Data Owner"]


async def _upload(gw: Gateway, rows: list[list[str]], program: str = "PCSC") -> str:
    up = await gw.upload(csv_bytes(HEADER, rows), program=program)
    assert up.status_code == 201, up.text
    assert (await gw.confirm(up.json()["id"])).status_code == 200
    return up.json()["id"]


async def _cases(gw: Gateway, **params: str) -> list[dict]:
    r = await gw.get("/api/v1/cases", **params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _one_case(gw: Gateway, **params: str) -> dict:
    async def found() -> list[dict]:
        return await _cases(gw, **params)

    (case,) = await wait_until(found, what=f"a case for {params}")
    return (await gw.get(f"/api/v1/cases/{case['id']}")).json()


async def _post(gw: Gateway, path: str, body: dict) -> tuple[int, dict]:
    r = await gw.client.post(path, json=body, headers=gw.headers())
    return r.status_code, r.json()


async def test_a_case_is_worked_from_new_to_closed_with_required_searches_enforced(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    await _upload(gateway, [[f"W{tag}", "Παπαδοπούλου", "Ελένη", "1977-07-07", "GRC", f"TCN-{tag}", "", "CBP"]])
    case = await _one_case(gateway, fin=f"W{tag}")
    cid = case["id"]
    assert (case["status"], case["program"], case["partner_transaction_number"]) == ("new", "PCSC", f"TCN-{tag}")
    assert case["missing_searches"] == ["IDENT-SIT", "INTERPOL-EASF2"]
    assert (await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "findings-ready"}))[0] == 409
    assert (await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "in-review"}))[0] == 200
    code, body = await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": "findings-ready"})
    assert code == 409 and body["missing"] == ["IDENT-SIT", "INTERPOL-EASF2"]
    assert (await _post(gateway, f"/api/v1/cases/{cid}/searches", {"system": "NOPE", "result": "hit"}))[0] == 422
    assert (await _post(gateway, f"/api/v1/cases/{cid}/searches", {"system": "TECS", "result": "maybe"}))[0] == 422
    for system, result in (("IDENT-SIT", "hit"), ("INTERPOL-EASF2", "not-authorized"), ("TECS", "no-hit")):
        code, body = await _post(
            gateway, f"/api/v1/cases/{cid}/searches", {"system": system, "result": result, "notes": "checked"}
        )
        assert code == 201
    assert body["missing_searches"] == [] and body["searches"][0]["searched_by"] == "analyst"
    code, body = await _post(
        gateway, f"/api/v1/cases/{cid}/findings", {"kind": "travel-history", "text": "Entered JFK 2019-05-01"}
    )
    assert code == 201 and body["findings"][0]["accurate_as_of"] and body["findings_as_of"]
    for status in ("findings-ready", "response-sent", "closed"):
        code, body = await _post(gateway, f"/api/v1/cases/{cid}/status", {"status": status})
        assert code == 200, body
    assert body["in_review_at"] <= body["findings_ready_at"] <= body["response_sent_at"] <= body["closed_at"]
    # Reopening and assigning are a supervisor's: the analyst is refused, the supervisor is not.
    reopen = {"status": "in-review", "reason": "new query"}
    assert (await _post(gateway, f"/api/v1/cases/{cid}/status", reopen))[0] == 403
    assert (await _post(gateway, f"/api/v1/cases/{cid}/assign", {"assignee": "analyst"}))[0] == 403
    supervisor = Gateway(gateway.base_url)
    await supervisor.login("supervisor")
    assert (await _post(supervisor, f"/api/v1/cases/{cid}/status", {"status": "in-review"}))[0] == 422  # no reason
    code, body = await _post(supervisor, f"/api/v1/cases/{cid}/status", reopen)
    assert code == 200 and body["status"] == "in-review"
    code, body = await _post(supervisor, f"/api/v1/cases/{cid}/assign", {"assignee": "analyst"})
    assert code == 200 and [c["id"] for c in await _cases(gateway, assignee="analyst", fin=f"W{tag}")] == [cid]
    await supervisor.aclose()
    actions = [t["action"] for t in body["timeline"]]
    assert actions.count("search-logged") == 3 and actions[-1] == "assigned" and "finding-recorded" in actions

    # Every change was published on tracs.cases.v1 for disclosure and reporting.
    def about_case(events: list[dict]) -> list[str]:
        return [
            e["event_type"]
            for e in events
            if e["payload"].get("case_id") == cid or any(r["case_id"] == cid for r in e["payload"].get("rows", ()))
        ]

    events = await events_until(
        stack.kafka_bootstrap, stack.topic_prefix + topics.CASES, lambda seen: "CaseAssigned" in about_case(seen)
    )
    kinds = about_case(events)
    assert kinds.count("SearchLogged") == 3 and kinds.count("CaseStatusChanged") == 5
    assert {"EncountersAttached", "FindingRecorded", "CaseAssigned"} <= set(kinds)
    answers = [e["payload"]["rows"] for e in events if e["event_type"] == "EncountersAttached"]
    opened = [r for rows in answers for r in rows if r["case_id"] == cid]
    assert [r["case_opened"] for r in opened].count(True) == 1  # the import opened it once


async def test_names_are_found_ignoring_case_and_accents_in_every_script(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:6]
    await _upload(
        gateway,
        [
            [f"N{tag}1", "Ωμέγα", "Δήμητρα", "1980-01-01", "GRC", f"N1-{tag}", "", "CBP"],
            [f"N{tag}2", "Иванов", "Иван", "1975-05-05", "GRC", f"N2-{tag}", "", "CBP"],
            [f"N{tag}3", "Gonçalves Müller", "José", "1990-09-09", "GRC", f"N3-{tag}", "", "CBP"],
        ],
    )
    await _one_case(gateway, fin=f"N{tag}3")
    for query, fin in (
        ("ΩΜΕΓΑ", "1"),
        ("ωμεγα δημητρα", "1"),
        ("ИВАНОВ", "2"),
        ("jose goncalves", "3"),
        ("MULLER", "3"),
    ):
        cases = await _cases(gateway, name=query, transaction=f"N{fin}-{tag}")
        assert len(cases) == 1, query
    assert await _cases(gateway, name="nobody-like-this") == []
    assert len(await _cases(gateway, dob="1975", transaction=f"N2-{tag}")) == 1


async def test_flags_have_who_when_why_and_imported_fields_are_locked_and_audited(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    await _upload(gateway, [[f"F{tag}", "Doe", "Jane", "1980", "GRC", f"F-{tag}", "VAWA", "USCIS"]])
    case = await _one_case(gateway, fin=f"F{tag}")
    (encounter,) = case["encounters"]
    (imported_flag,) = encounter["flags"]
    assert imported_flag["flag"] == "protected-class" and imported_flag["value"]["class"] == "VAWA"
    assert "8 U.S.C. 1367" in imported_flag["value"]["caveat"] and imported_flag["set_by"] == "system"
    url = f"/api/v1/encounters/{encounter['id']}/flags"
    r = await gateway.client.patch(url, json={"last_name": "Roe"}, headers=gateway.headers())
    assert r.status_code == 409 and "last_name" in r.json()["detail"]
    audited = await db_fetchval(
        stack.database_url,
        f"tracs_cases{stack.database_suffix}",
        "SELECT count(*) FROM audit_trail WHERE record_id = $1 AND outcome = 'denied' AND fields = ARRAY['last_name'] "
        "AND action = 'edit-imported-field'",
        encounter["id"],
    )
    assert audited == 1
    assert (
        await gateway.client.patch(url, json={"not-sharable": {"set": True}}, headers=gateway.headers())
    ).status_code == 422
    r = await gateway.client.patch(
        url, json={"not-sharable": {"set": True, "reason": "DOS data, not shared"}}, headers=gateway.headers()
    )
    assert r.status_code == 200
    flags = {f["flag"]: f for f in r.json()["flags"]}
    assert flags["not-sharable"]["set_by"] == "analyst" and flags["not-sharable"]["reason"] == "DOS data, not shared"
    assert r.json()["fields"]["last_name"] == "Doe"  # unchanged
    assert (
        await gateway.client.patch(f"/api/v1/encounters/{uuid.uuid4()}/flags", json={}, headers=gateway.headers())
    ).status_code == 404


async def test_a_new_encounter_after_findings_marks_the_case_stale_and_shows_what_is_new(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:6]
    await _upload(gateway, [[f"S{tag}", "Stale", "Sam", "1970", "GRC", f"S1-{tag}", "", "CBP"]])
    case = await _one_case(gateway, transaction=f"S1-{tag}")
    code, body = await _post(gateway, f"/api/v1/cases/{case['id']}/findings", {"kind": "summary", "text": "x"})
    assert code == 201 and body["stale"] is False
    await _upload(gateway, [[f"S{tag}", "Stale", "Sam", "1970", "GRC", f"S2-{tag}", "", "ICE"]])
    second = await _one_case(gateway, transaction=f"S2-{tag}")

    async def stale() -> dict | None:
        view = (await gateway.get(f"/api/v1/cases/{case['id']}")).json()
        return view if view["stale"] else None

    view = await wait_until(stale, what="the first case to turn stale")
    assert [n["id"] for n in view["new_encounters"]] == [second["encounters"][0]["id"]]
    assert second["stale"] is False
    code, body = await _post(gateway, f"/api/v1/cases/{case['id']}/findings", {"kind": "summary", "text": "re-checked"})
    assert body["stale"] is False and body["new_encounters"] == []


async def test_pages_neither_repeat_nor_skip_while_cases_keep_arriving(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:6]
    first = [[f"P{tag}{i:02d}", "Page", "Pat", "1980", "ISL", f"P{tag}-{i:02d}", "", "CBP"] for i in range(7)]
    await _upload(gateway, first, program="KST")

    async def all_there() -> bool:
        return len(await _cases(gateway, partner="ISL", program="KST", fin=f"P{tag}06")) == 1

    await wait_until(all_there, what="the first cases")
    seen: list[str] = []
    cursor = None
    for page in range(10):
        params = {"partner": "ISL", "program": "KST", "limit": "3", **({"cursor": cursor} if cursor else {})}
        body = (await gateway.get("/api/v1/cases", **params)).json()
        seen += [c["partner_transaction_number"] for c in body["items"]]
        if page == 0:  # more cases arrive while the analyst pages
            await _upload(
                gateway,
                [[f"Q{tag}{i}", "Page", "Pat", "1980", "ISL", f"Q{tag}-{i}", "", "CBP"] for i in range(4)],
                program="KST",
            )
        cursor = body["next_cursor"]
        if cursor is None:
            break
    mine = [t for t in seen if t.startswith((f"P{tag}", f"Q{tag}"))]
    assert len(mine) == len(set(mine)), "a case was repeated"
    assert {f"P{tag}-{i:02d}" for i in range(7)} <= set(mine), "a case was skipped"
    assert (await gateway.get("/api/v1/cases", cursor="garbage")).status_code == 422
