"""Issue 32's guarantee under its own load shape: many clients looking a FIN up at once through the public entry
(Caddy straight to cases, the read's audit entry written by the read's own statement), and every answered
lookup has exactly one entry in cases' trail, allowed, under the correlation id the client sent."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.support import Gateway, asyncpg_dsn, csv_bytes, wait_until
from tracs.stack import Stack

pytestmark = pytest.mark.e2e

CLIENTS, LOOKUPS = 16, 15


async def test_every_concurrent_lookup_through_the_edge_has_exactly_one_audit_entry(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:8]
    fin = f"L{tag}"
    header = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner", "OUS"]
    up = await gateway.upload(
        csv_bytes(header, [[fin, "Haddad", "Rami", "1980-01-02", "GBR", f"L-{tag}", "CBP", "CBP"]])
    )
    assert up.status_code == 201, up.text
    assert (await gateway.confirm(up.json()["id"])).status_code == 200

    async def listed() -> list | None:
        return (await gateway.get("/api/v1/cases", fin=fin)).json()["items"] or None

    case_id = (await wait_until(listed, what=f"the case of {fin}"))[0]["id"]
    answers: dict[str, tuple[int, tuple[str, ...]]] = {}

    async def client(worker: int) -> None:
        for n in range(LOOKUPS):
            cid = f"lk-{tag}-{worker}-{n}"
            r = await gateway.client.get(
                "/api/v1/cases", params={"fin": fin}, headers=gateway.headers(**{"X-Correlation-ID": cid})
            )
            answers[cid] = (r.status_code, tuple(c["id"] for c in r.json()["items"]) if r.status_code == 200 else ())

    await asyncio.gather(*(client(w) for w in range(CLIENTS)))
    assert len(answers) == CLIENTS * LOOKUPS
    assert set(answers.values()) == {(200, (case_id,))}, "every lookup answered with the case"

    conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, f"tracs_cases{stack.database_suffix}"))
    try:
        entries = await conn.fetch(
            "SELECT correlation_id, outcome, actor FROM audit_trail WHERE correlation_id LIKE $1", f"lk-{tag}-%"
        )
    finally:
        await conn.close()
    # Written before each answer left: no waiting here, the entries are there when the answers are.
    ids = [e["correlation_id"] for e in entries]
    assert len(ids) == len(set(ids)), "one entry per lookup, never two"
    assert set(ids) == set(answers), "every answered lookup has its entry, and no entry lacks its lookup"
    assert {(e["outcome"], e["actor"]) for e in entries} == {("allowed", "analyst")}
