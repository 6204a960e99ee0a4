"""Personal data is stored once: after an import is worked, only intake's staging (the staged rows and the
chunks that carried them, until the batch's staging is purged) and cases hold the imported names, dates of
birth, document numbers and FINs. Every table of every service's database is scanned, not a list of
suspects, so a new copy anywhere fails this test."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.support import Gateway, asyncpg_dsn, csv_bytes, wait_until
from tracs.stack import Stack

SERVICES = ("gateway", "intake", "cases", "disclosure", "redress", "reporting")
SEARCHABLE = ("text", "character varying", "jsonb", "json", "bytea", "ARRAY")
# Where an imported value may live (docs/architecture.md, "Where personal data lives").
ALLOWED = {("intake", "staged_rows"), ("intake", "outbox")} | {("cases", "*")}


async def _hits(stack: Stack, needles: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """(service, table) -> the needles found in any of its text, JSON, bytea or array columns."""
    found: dict[tuple[str, str], set[str]] = {}
    for service in SERVICES:
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, f"tracs_{service}{stack.database_suffix}"))
        try:
            columns = await conn.fetch(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = ANY($1::text[])",
                list(SEARCHABLE),
            )
            for col in columns:
                table, column = col["table_name"], col["column_name"]
                as_text = f"encode(\"{column}\", 'escape')" if col["data_type"] == "bytea" else f'"{column}"::text'
                for name, needle in needles.items():
                    hit = await conn.fetchval(
                        f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {as_text} ILIKE $1)',
                        f"%{needle}%",
                    )
                    if hit:
                        found.setdefault((service, table), set()).add(name)
        finally:
            await conn.close()
    return found


async def test_imported_personal_data_is_held_by_intake_staging_and_cases_only(gateway: Gateway, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    needles = {
        "surname": f"Qvarnstrom{tag}",
        "given name": f"Ysolde{tag}",
        "document": f"DOC{tag}X",
        "passport": f"PP{tag}Z",
        "fin": f"9{int(tag, 16) % 10**9:09d}",
        "dob": "1907-03-29",
    }
    header = ["FIN", "Last Name", "First Name", "DOB", "Document Number", "Passport Number", "Partner Country", "Match"]
    rows = [
        [needles["fin"], needles["surname"], needles["given name"], "1907-03-29", needles["document"],
         needles["passport"], "CHL", "MATCH"],
    ]  # fmt: skip
    up = await gateway.upload(csv_bytes(header, rows), program="M5")
    assert up.status_code == 201, up.text
    batch_id = up.json()["id"]
    assert (await gateway.confirm(batch_id)).status_code == 200

    async def done() -> dict[str, Any] | None:
        batch = (await gateway.get(f"/api/v1/intake/batches/{batch_id}")).json()
        return batch if batch["progress"] == "done" else None

    assert (await wait_until(done, what="the row attached in cases"))["rows_attached"] == 1
    # An analyst works it: finds the case by name and reads the encounter.
    found = (await gateway.get("/api/v1/cases", name=needles["surname"])).json()["items"]
    assert len(found) == 1
    encounters = (await gateway.get("/api/v1/encounters", batch_id=batch_id)).json()["items"]
    assert encounters[0]["fields"]["passport_number"] == needles["passport"]

    # Disclosure and reporting have taken what they take from cases' answer (ids and codes).
    async def projected() -> bool:
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, f"tracs_disclosure{stack.database_suffix}"))
        try:
            return bool(
                await conn.fetchval(
                    "SELECT count(*) FROM encounter_projection WHERE encounter_id = $1",
                    uuid.UUID(encounters[0]["id"]),
                )
            )
        finally:
            await conn.close()

    await wait_until(projected, what="disclosure's projection of the encounter")

    hits = await _hits(stack, needles)
    outside = {
        where: sorted(names) for where, names in hits.items() if where not in ALLOWED and (where[0], "*") not in ALLOWED
    }
    assert outside == {}, f"personal data copied outside intake's staging and cases: {outside}"
    # The scan does see the data where it is meant to be (it is not blind).
    assert hits[("intake", "staged_rows")] == set(needles)
    assert hits[("cases", "encounters")] == set(needles)
