"""Broken spreadsheets through the gateway: whatever arrives is either staged whole or refused by name.

Complements the reader fuzz (unit): here the bytes go through the gateway, intake's streaming upload,
its parser and its database, and each answer is checked against what intake then holds."""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import files
from tests.support import csv_bytes, db_fetchval
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "Match"]
ROWS = [[f"00{i}", "Łukasz", "Ζωή", "1981-02-03", "GBR", "MATCH"] for i in range(6)]
XLSX = files.xlsx(HEADER, ROWS)
CSV = csv_bytes(HEADER, ROWS)


def _flip(base: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(base) - 1), st.integers(0, 255)).map(
        lambda t: base[: t[0]] + bytes([t[1]]) + base[t[0] + 1 :]
    )


uploads = st.one_of(
    st.tuples(st.just("a.xlsx"), _flip(XLSX)),
    st.tuples(st.just("a.xlsx"), st.integers(0, len(XLSX) - 1).map(lambda cut: XLSX[:cut])),
    st.tuples(st.sampled_from(["a.xlsx", "a.xls", "a.ods"]), st.binary(max_size=1024)),
    st.tuples(st.just("a.csv"), _flip(CSV)),
    st.tuples(st.just("a.csv"), st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))),
)


def test_every_upload_is_staged_whole_or_refused_by_name_with_nothing_left_behind(stack: Stack) -> None:
    base = stack.url("edge")
    db = f"tracs_intake{stack.database_suffix}"
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    outcomes: dict[str, int] = {"staged": 0, "refused": 0}

    def held() -> tuple[int, int]:
        async def counts() -> tuple[int, int]:
            return (
                int(await db_fetchval(stack.database_url, db, "SELECT count(*) FROM batches")),
                int(await db_fetchval(stack.database_url, db, "SELECT count(*) FROM staged_rows")),
            )

        return asyncio.run(counts())

    @given(upload=uploads)
    @settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def probe(upload: tuple[str, bytes]) -> None:
        name, content = upload
        batches, rows = held()
        r = httpx.post(
            f"{base}/api/v1/intake/batches",
            files={"file": (name, content, "application/octet-stream")},
            data={"program": "M5", "kind": "partner-query"},
            headers=headers,
            timeout=30,
        )
        assert r.status_code < 500, f"{name}: {r.status_code} {r.text[:200]}"
        if r.status_code == 201:
            outcomes["staged"] += 1
            assert held() == (batches + 1, rows + r.json()["rows_total"]), "a batch is staged whole"
        else:
            outcomes["refused"] += 1
            assert 400 <= r.status_code < 500 and r.json()["detail"], r.text
            assert held() == (batches, rows), f"refused ({r.json()['detail']}) yet something was stored"

    probe()
    assert outcomes["refused"] > 0 and outcomes["staged"] > 0, outcomes
