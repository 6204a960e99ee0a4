"""The skeleton flow through real HTTP, real Kafka-protocol broker and real PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import jwt

from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import SERVICES, Stack

HEADER = ["FIN", "Surname", "Prénom", "DOB", "Nationality", "Result", "Partner Country", "Case Officer"]


def _rows(tag: str) -> list[list[str]]:
    return [
        [f"000{tag}1", "Müller", "José", "1980", "DEU", "MATCH", "GBR", "desk 4"],
        [f"000{tag}2", "Иванов", "Иван", "1975-03-02", "RUS", "MATCH", "GBR", ""],
        [f"000{tag}3", "李", "小龙", "29221", "CHN", "MATCH", "GBR", ""],
        [f"000{tag}4", "Nobody", "Nil", "1990-01-01", "FRA", "NO MATCH", "GBR", ""],
    ]


async def test_csv_upload_through_gateway_becomes_encounters_readable_through_gateway(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    correlation = f"corr-{uuid.uuid4().hex}"
    up = await gateway.upload(csv_bytes(HEADER, _rows(tag)))
    assert up.status_code == 201, up.text
    batch = up.json()
    assert batch["status"] == "staged"
    assert (batch["rows_total"], batch["rows_valid"], batch["rows_no_match"]) == (4, 4, 1)
    assert {c["header"]: c["field"] for c in batch["mapping"]["columns"]}["Prénom"] == "first_name"
    assert batch["mapping"]["unknown_columns"] == ["Case Officer"]
    assert await gateway.encounter_total(batch["id"]) == 0  # nothing is imported before confirmation

    confirmed = await gateway.confirm(batch["id"], headers={"X-Correlation-ID": correlation})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["X-Correlation-ID"] == correlation
    assert confirmed.json()["rows_imported"] == 3  # the no-match row is not imported (PIA 2.5)

    await wait_until(lambda: _total_is(gateway, batch["id"], 3), what="3 encounters in cases")
    page = (await gateway.get("/api/v1/encounters", batch_id=batch["id"])).json()
    by_fin = {e["fields"]["fin"]: e for e in page["items"]}
    assert set(by_fin) == {f"000{tag}1", f"000{tag}2", f"000{tag}3"}  # leading zeros kept
    first = by_fin[f"000{tag}1"]
    assert first["fields"]["last_name"] == "Müller" and first["fields"]["dob"] == "1980"
    assert first["raw"]["Surname"] == "Müller" and first["extra"] == {"Case Officer": "desk 4"}
    assert by_fin[f"000{tag}3"]["fields"]["dob"] == "1980-01-01"  # Excel serial date
    assert by_fin[f"000{tag}3"]["raw"]["DOB"] == "29221"  # and the cell as it was

    one = await gateway.get(f"/api/v1/encounters/{first['id']}")
    assert one.status_code == 200 and one.json()["fields"]["first_name"] == "José"
    subject = await gateway.get(f"/api/v1/subjects/{first['subject_id']}")
    assert subject.status_code == 200 and subject.json()["fin"] == f"000{tag}1"

    # The correlation id travelled HTTP -> intake outbox -> Kafka -> the cases consumer's log lines.
    cases_log = (stack.var / "log" / "cases.log").read_text()
    assert correlation in cases_log
    # No PII in logs: names from the file never appear in any service's log.
    for name in (*SERVICES, "gateway"):
        text = (stack.var / "log" / f"{name}.log").read_text()
        assert "Müller" not in text and "Иванов" not in text, f"PII in {name}.log"


async def _total_is(gateway: Gateway, batch_id: str, n: int) -> bool:
    return await gateway.encounter_total(batch_id) == n


async def test_reupload_of_same_file_points_at_earlier_batch_and_second_confirm_imports_once(
    gateway: Gateway,
) -> None:
    content = csv_bytes(HEADER, _rows(uuid.uuid4().hex[:6]))
    first = (await gateway.upload(content)).json()
    again = await gateway.upload(content)
    assert again.status_code == 409
    assert again.json()["existing_batch_id"] == first["id"]
    assert (await gateway.confirm(first["id"])).status_code == 200
    assert (await gateway.confirm(first["id"])).json()["rows_imported"] == 3
    await wait_until(lambda: _total_is(gateway, first["id"], 3), what="3 encounters")


async def test_every_api_route_needs_a_token_and_services_check_it_themselves(gateway: Gateway, stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("edge")) as anon:
        assert (await anon.get("/api/v1/encounters")).status_code == 401
        assert (await anon.get("/api/v1/intake/batches/" + str(uuid.uuid4()))).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await anon.get("/api/v1/encounters", headers=bad)).status_code == 401
        wrong = await anon.post("/api/v1/auth/token", data={"username": "analyst", "password": "nope"})
        assert wrong.status_code == 401
        for path in ("/healthz", "/readyz", "/docs", "/openapi.json", "/asyncapi.json"):
            assert (await anon.get(path)).status_code == 200, path
    forged = jwt.encode({"sub": "analyst", "iss": "tracs-gateway", "exp": 4102444800}, "x" * 40, algorithm="HS256")
    async with httpx.AsyncClient(base_url=stack.url("cases")) as direct:
        # Calling a service directly, skipping the gateway, is refused without a valid signature.
        assert (await direct.get("/api/v1/encounters")).status_code == 401
        assert (
            await direct.get("/api/v1/encounters", headers={"Authorization": f"Bearer {forged}"})
        ).status_code == 401
        ok = await direct.get("/api/v1/encounters", headers=gateway.headers())
        assert ok.status_code == 200


async def test_json_login_works_and_unknown_area_is_404(gateway: Gateway, stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("edge")) as client:
        r = await client.post("/api/v1/auth/token", json={"username": "auditor", "password": "tracs-dev"})
        assert r.status_code == 200 and r.json()["token_type"] == "bearer"
        r = await client.post("/api/v1/auth/token", json={"username": "auditor"})
        assert r.status_code == 422
    assert (await gateway.get("/api/v1/nowhere")).status_code == 404
    assert (await gateway.get(f"/api/v1/encounters/{uuid.uuid4()}")).status_code == 404
    assert (await gateway.get("/api/v1/encounters/not-a-uuid")).status_code == 422


async def test_openapi_merges_service_routes_and_asyncapi_lists_contracts(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("edge")) as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
        for path in (
            "/api/v1/auth/token",
            "/api/v1/intake/batches",
            "/api/v1/intake/batches/{batch_id}/confirm",
            "/api/v1/encounters/{encounter_id}",
            "/api/v1/subjects/{subject_id}",
            "/api/v1/reports/dosr",
        ):
            assert path in paths, path
        channels = (await client.get("/asyncapi.json")).json()["channels"]
        names = " ".join(channels)
        for contract in ("EncountersImported.v2", "BatchImported.v1", "EncountersAttached.v2"):
            assert contract in names


async def test_every_service_is_ready_and_exports_metrics(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        for name in SERVICES:
            ready = await client.get(f"{stack.url(name)}/readyz")
            assert ready.status_code == 200 and ready.json()["checks"] == {
                "database": True,
                "broker": True,
            }, name
            metrics = (await client.get(f"{stack.url(name)}/metrics")).text
            assert "tracs_outbox_backlog" in metrics, name
        gw = await client.get(f"{stack.url('gateway')}/readyz")
        # The gateway consumes the audit checkpoints, so it needs the broker too.
        assert gw.json()["checks"] == {"database": True, "broker": True}
