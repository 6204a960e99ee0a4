"""A redress request through the gateway from receipt to closure, with a correction published for cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.events import topics
from tests.support import Gateway, csv_bytes, events_until, wait_until
from tracs.stack import Stack

TODAY = datetime.now(UTC).date()


def _request(trip: str, received_days_ago: int) -> dict:
    received = TODAY - timedelta(days=received_days_ago)
    return {
        "source": "TRIP",
        "trip_number": trip,
        "sent_on": (received - timedelta(days=2)).isoformat(),
        "received_on": received.isoformat(),
        "submitting_agency": "DHS TRIP",
        "requester": {"last_name": "Gonçalves", "first_name": "João", "dob": "1984-03-09"},
        "contested_information": "Secondary inspection at every entry",
        "reason": "Fingerprints linked to another",
    }


async def _step(gw: Gateway, rid: str, **body: object) -> dict:
    r = await gw.client.post(f"/api/v1/redress/{rid}/status", json=body, headers=gw.headers())
    return {**r.json(), "http": r.status_code}


async def test_a_trip_request_is_worked_corrected_resolved_closed_and_reopened(gateway: Gateway, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    up = await gateway.upload(
        csv_bytes(
            ["FIN", "Last Name", "First Name", "DOB", "Passport No", "Data Owner"],
            [
                [f"R{tag}1", "GONÇALVES", "João", "1984-03-09", f"P{tag}", "CBP"],
                [f"R{tag}2", "Gonçalves", "Maria", "1950-01-01", f"Q{tag}", "ICE"],
            ],
        )
    )
    assert (await gateway.confirm(up.json()["id"])).status_code == 200

    trip = f"TRIP-{tag}"
    created = await gateway.client.post("/api/v1/redress", json=_request(trip, 40), headers=gateway.headers())
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["status"] == "received" and created.json()["overdue"] is True  # 30-day SLA passed
    dup = await gateway.client.post("/api/v1/redress", json=_request(trip, 1), headers=gateway.headers())
    assert dup.status_code == 409 and dup.json()["existing_redress_id"] == rid

    async def overdue_ids(as_of: str | None = None) -> set[str]:
        params = {"overdue": "true", **({"as_of": as_of} if as_of else {})}
        return {r["id"] for r in (await gateway.get("/api/v1/redress", **params)).json()}

    assert rid in await overdue_ids()
    assert rid not in await overdue_ids((TODAY - timedelta(days=15)).isoformat())  # not yet due then

    async def found() -> list:
        r = await gateway.get(f"/api/v1/redress/{rid}/candidates", name="goncalves joao")
        return r.json()

    (candidate,) = await wait_until(found, what="the requester's record in the redress index")
    assert candidate["fin"] == f"R{tag}1"
    by_doc = (await gateway.get(f"/api/v1/redress/{rid}/candidates", document=f"Q{tag}")).json()
    assert [c["fin"] for c in by_doc] == [f"R{tag}2"]

    h = gateway.headers()
    reviewer = {"reviewer": "BSC examiner Okafor"}
    assert (await gateway.client.post(f"/api/v1/redress/{rid}/reviewers", json=reviewer, headers=h)).status_code == 403
    supervisor = Gateway(gateway.base_url)
    await supervisor.login("supervisor")
    assigned = await supervisor.client.post(
        f"/api/v1/redress/{rid}/reviewers", json=reviewer, headers=supervisor.headers()
    )
    assert assigned.status_code == 200
    await supervisor.aclose()
    assert (await _step(gateway, rid, action="start-review"))["http"] == 200
    assert (await _step(gateway, rid, action="start-review"))["http"] == 409  # not from under-review
    unlinked = await gateway.client.post(
        f"/api/v1/redress/{rid}/corrections",
        headers=h,
        json={"encounter_id": candidate["encounter_id"], "field": "dob", "problem": "x", "proposed": "1984-03-10"},
    )
    assert unlinked.status_code == 409 and "link the record" in unlinked.json()["detail"]
    linked = await gateway.client.post(
        f"/api/v1/redress/{rid}/links",
        headers=h,
        json={"encounter_id": candidate["encounter_id"], "note": "same person"},
    )
    assert linked.status_code == 200
    assert (
        await gateway.client.post(
            f"/api/v1/redress/{rid}/findings", headers=h, json={"text": "Two persons merged under one FIN"}
        )
    ).status_code == 200
    proposed = await gateway.client.post(
        f"/api/v1/redress/{rid}/corrections",
        headers=h,
        json={
            "encounter_id": candidate["encounter_id"],
            "field": "dob",
            "problem": "DOB of the other person",
            "proposed": "1984-03-10",
        },
    )
    assert proposed.status_code == 201, proposed.text
    correction = proposed.json()["corrections"][0]
    assert correction["decision"] == "pending" and correction["data_owner"] == "CBP"
    pending = await _step(gateway, rid, action="resolve", determination="corrected")
    assert pending["http"] == 409 and "await the data owner" in pending["detail"]

    decided = await gateway.client.post(
        f"/api/v1/redress/{rid}/corrections/{correction['id']}/decision", json={"decision": "accepted"}, headers=h
    )
    assert decided.status_code == 200
    event = await _find_correction_event(stack, correction["id"])
    assert event["payload"]["field"] == "dob" and event["payload"]["corrected_value"] == "1984-03-10"
    assert event["payload"]["encounter_id"] == candidate["encounter_id"]

    async def corrected() -> dict | None:
        e = (await gateway.get(f"/api/v1/encounters/{candidate['encounter_id']}")).json()
        return e if e["fields"]["dob"] == "1984-03-10" else None

    encounter = await wait_until(corrected, what="cases to apply the accepted correction")
    assert encounter["raw"]["DOB"] == "1984-03-09"  # the cell as imported is kept verbatim
    (case,) = (await gateway.get("/api/v1/cases", fin=f"R{tag}1")).json()["items"]
    view = (await gateway.get(f"/api/v1/cases/{case['id']}")).json()
    # The case has no finding yet, so nothing of it is out of date (issue 27): it is not marked stale.
    assert not view["findings"] and view["stale"] is False
    assert any(t["action"] == "encounter-corrected" and t["detail"]["field"] == "dob" for t in view["timeline"])

    unsearched = await _step(gateway, rid, action="resolve", determination="corrected")
    assert unsearched["http"] == 409 and unsearched["missing"] == ["IDENT-SIT"]
    searched = await gateway.client.post(
        f"/api/v1/redress/{rid}/searches", headers=h, json={"system": "IDENT-SIT", "result": "hit", "notes": "2 FINs"}
    )
    assert searched.status_code == 201 and searched.json()["missing_searches"] == []
    assert searched.json()["searches"][0]["searched_by"] == "analyst"
    assert (await _step(gateway, rid, action="resolve", determination="corrected"))["http"] == 200
    closing = await _step(gateway, rid, action="close")
    assert closing["http"] == 409 and "record the findings" in closing["detail"]
    wrong = await gateway.client.post(
        f"/api/v1/redress/{rid}/response",
        headers=h,
        json={"kind": "individual", "channel": "mail", "sent_on": TODAY.isoformat()},
    )
    assert wrong.status_code == 409
    responded = await gateway.client.post(
        f"/api/v1/redress/{rid}/response", headers=h, json={"kind": "trip-findings", "sent_on": TODAY.isoformat()}
    )
    assert responded.status_code == 200
    closed = await _step(gateway, rid, action="close")
    assert closed["http"] == 200 and closed["closed_at"] and closed["overdue"] is False
    assert closed["first_action_at"] <= closed["review_started_at"] <= closed["resolved_at"] <= closed["closed_at"]
    assert rid not in await overdue_ids()
    assert (
        await gateway.client.post(f"/api/v1/redress/{rid}/findings", headers=h, json={"text": "late"})
    ).status_code == 409
    assert (await _step(gateway, rid, action="reopen"))["http"] == 422
    reopened = await _step(gateway, rid, action="reopen", reason="Requester sent new evidence")
    assert reopened["http"] == 200 and reopened["status"] == "under-review" and reopened["determination"] is None
    actions = [e["action"] for e in reopened["timeline"]]
    assert actions[0] == "received" and actions[-1] == "reopen" and "correction-accepted" in actions


async def _find_correction_event(stack: Stack, correction_id: str) -> dict:
    def mine(e: dict) -> bool:
        return e["event_type"] == "CorrectionAccepted" and e["payload"]["correction_id"] == correction_id

    seen = await events_until(
        stack.kafka_bootstrap, stack.topic_prefix + topics.REDRESS, lambda events: any(mine(e) for e in events)
    )
    return next(e for e in seen if mine(e))


async def test_bad_requests_are_refused_by_name(gateway: Gateway) -> None:
    h = gateway.headers()
    bad = _request("", 1) | {"trip_number": None}
    r = await gateway.client.post("/api/v1/redress", json=bad, headers=h)
    assert r.status_code == 422 and "TRIP/redress number" in r.json()["detail"]
    r = await gateway.client.post(
        "/api/v1/redress",
        json=_request("TRIP-0001", 1) | {"source": "non-TRIP", "trip_number": None, "channel": "x"},
        headers=h,
    )
    assert r.status_code == 422 and "channel" in r.json()["detail"]
    r = await gateway.client.post("/api/v1/redress", json=_request("TRIP-0002", -5), headers=h)
    assert r.status_code == 422 and "future" in r.json()["detail"]
    assert (await gateway.get(f"/api/v1/redress/{uuid.uuid4()}")).status_code == 404
    assert (
        await gateway.client.post(f"/api/v1/redress/{uuid.uuid4()}/status", json={"action": "close"}, headers=h)
    ).status_code == 404
