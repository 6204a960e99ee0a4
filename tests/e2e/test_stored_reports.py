"""Stored reports: a DOSR kept as generated stays byte-identical after new data arrives, in every format,
while the live report moves on; a stored period is never regenerated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner"]


async def _signed_in(stack: Stack, username: str) -> Gateway:
    gw = Gateway(stack.url("edge"))
    await gw.login(username)
    return gw


async def test_a_stored_dosr_stays_byte_identical_after_new_data_arrives(stack: Stack, gateway: Gateway) -> None:
    supervisor = await _signed_in(stack, "supervisor")
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.isoweekday() - 1)
    period = {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}
    live_params = {**period, "format": "json"}

    refused = await gateway.client.post(
        "/api/v1/reports/stored", json={"kind": "dosr", **period}, headers=gateway.headers()
    )
    assert refused.status_code == 403  # analysts read stored reports; supervisors store one on demand
    r = await supervisor.client.post(
        "/api/v1/reports/stored", json={"kind": "dosr", **period}, headers=supervisor.headers()
    )
    assert r.status_code == 201, r.text
    stored = r.json()
    assert (stored["kind"], stored["period_start"], stored["generated_by"]) == ("dosr", period["from"], "supervisor")
    url = f"/api/v1/reports/stored/{stored['id']}"
    before = {fmt: (await gateway.get(url, format=fmt)).content for fmt in ("json", "csv", "xlsx", "pdf")}
    assert before["pdf"].startswith(b"%PDF") and b'"suppression"' in before["json"]
    live_before = (await gateway.get("/api/v1/reports/dosr", **live_params)).content

    # New data: six matches of new subjects in M5 today.
    tag = uuid.uuid4().hex[:6]
    rows = [[f"S{tag}{i}", "Okafor", "Chidi", "1975-05-05", "AUS", f"S-{tag}-{i}", "CBP"] for i in range(6)]
    up = await gateway.upload(csv_bytes(HEADER, rows), program="M5")
    assert up.status_code == 201 and (await gateway.confirm(up.json()["id"])).status_code == 200

    async def moved_on() -> bytes | None:
        live = (await gateway.get("/api/v1/reports/dosr", **live_params)).content
        return live if live != live_before else None

    await wait_until(moved_on, what="the live DOSR counting the new matches")
    after = {fmt: (await gateway.get(url, format=fmt)).content for fmt in ("json", "csv", "xlsx", "pdf")}
    assert after == before  # byte for byte, every format

    again = await supervisor.client.post(
        "/api/v1/reports/stored", json={"kind": "dosr", **period}, headers=supervisor.headers()
    )
    assert again.status_code == 200 and again.json()["id"] == stored["id"]  # never regenerated
    assert (await gateway.get(url, format="json")).content == before["json"]
    listed = (await gateway.get("/api/v1/reports/stored", kind="dosr")).json()
    assert stored["id"] in [s["id"] for s in listed]
    assert (await gateway.get(f"/api/v1/reports/stored/{uuid.uuid4()}")).status_code == 404
    bad = await supervisor.client.post(
        "/api/v1/reports/stored", json={"kind": "weekly", **period}, headers=supervisor.headers()
    )
    assert bad.status_code == 422
    await supervisor.aclose()


async def test_a_bulletin_keeps_every_iteration_with_its_author_and_its_approver(
    stack: Stack, gateway: Gateway
) -> None:
    body = {"title": "Bus accident", "description": "d", "case_summary": "s", "services_provided": "p"}
    created = await gateway.client.post("/api/v1/bulletins", json=body, headers=gateway.headers())
    assert created.status_code == 201, created.text
    bid = created.json()["id"]
    supervisor = await _signed_in(stack, "supervisor")
    edited = await supervisor.client.patch(
        f"/api/v1/bulletins/{bid}", json={"title": "Bus accident, Route 9"}, headers=supervisor.headers()
    )
    assert edited.status_code == 200, edited.text
    assert (await gateway.client.post(f"/api/v1/bulletins/{bid}/send", headers=gateway.headers())).status_code == 200
    approved = await supervisor.client.post(f"/api/v1/bulletins/{bid}/approve", headers=supervisor.headers())
    assert approved.status_code == 200
    assert (approved.json()["sent_by"], approved.json()["approved_by"]) == ("analyst", "supervisor")
    history = (await gateway.get(f"/api/v1/bulletins/{bid}/iterations")).json()
    assert [(h["iteration"], h["title"], h["written_by"]) for h in history] == [
        (1, "Bus accident", "analyst"),
        (2, "Bus accident, Route 9", "supervisor"),
    ]
    assert (await gateway.get(f"/api/v1/bulletins/{uuid.uuid4()}/iterations")).status_code == 404
    await supervisor.aclose()
