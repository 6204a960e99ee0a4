"""Intake's query modules in memory, so its use cases' rules are tested without PostgreSQL.

One object stands in for every module under `services/intake/db/` (the use cases call `queries.<name>`);
it keeps only what the rules read back. The same use cases run against PostgreSQL in
tests/integration/test_intake_chunks.py and the e2e tests.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from services.intake import batches, coverage, dispatch, progress, staging
from services.intake.db.batches import INSERT_CHUNK
from services.intake.reader import Limits
from shared.events.envelope import Event
from tests.support import csv_bytes
from tests.unit.fakes import FakeUnitOfWork

LIMITS = Limits(10**6, 200, 2**30)
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Match"]


class UnitOfWork(FakeUnitOfWork):
    """The fake unit of work, taking a bulk payload as the real one does (orjson fragments of staged JSON)."""

    def emit_payload(self, contract_cls: type[Event], payload: dict[str, Any], **kw: Any) -> None:
        super().emit_payload(contract_cls, orjson.loads(orjson.dumps(payload)), **kw)


class FakeQueries:
    """Batches, their staged rows (the records `copy_rows` gets), cases' answers and agreement coverage."""

    INSERT_CHUNK = INSERT_CHUNK

    def __init__(self) -> None:
        self.batches: dict[uuid.UUID, dict[str, Any]] = {}
        self.staged: dict[uuid.UUID, list[tuple]] = {}
        self.chunks: set[tuple[uuid.UUID, int]] = set()
        self.failed: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
        self.agreements: dict[uuid.UUID, dict[str, Any]] = {}
        self.purged_before: list[Any] = []

    # db/batches.py
    async def insert_batch(self, session: Any, row: dict[str, Any]) -> None:
        defaults = {"rows_imported": 0, "rows_attached": 0, "rows_failed": 0, "dispatched_through": 0}
        self.batches[row["id"]] = defaults | {"chunks_dispatched": 0, "dispatched_at": None, "decided_at": None} | row

    async def copy_rows(self, session: Any, records: list[tuple]) -> None:
        for record in records:
            self.staged.setdefault(record[0], []).append(record)

    async def staged_for_reread(self, session: Any, batch_id: uuid.UUID, row_numbers: list[int]) -> list[Any]:
        return [
            {"row_number": r[1], "encounter_id": r[2], "parsed": orjson.loads(r[4]), "problems": orjson.loads(r[6])}
            for r in self.staged.get(batch_id, [])
            if r[1] in row_numbers
        ]

    async def update_parsed(self, session: Any, batch_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
        changed = {r["row_number"]: r for r in rows}
        self.staged[batch_id] = [
            (*r[:4], orjson.dumps(c["parsed"]).decode(), r[5], orjson.dumps(c["problems"]).decode(), c["valid"], *r[8:])
            if (c := changed.get(r[1]))
            else r
            for r in self.staged[batch_id]
        ]

    async def get_batch(self, session: Any, batch_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.batches.get(batch_id)

    async def find_live_by_sha(self, session: Any, sha256: str) -> Any:
        return next(
            (b for b in self.batches.values() if b["file_sha256"] == sha256 and b["status"] != "rejected"), None
        )

    async def set_status(self, session: Any, batch_id: uuid.UUID, *, actor: str, **values: Any) -> None:
        self.batches[batch_id].update(values, updated_by=actor)

    async def count_importable(self, session: Any, batch_id: uuid.UUID) -> int:
        return len(self._importable(batch_id))

    # db/dispatch.py
    async def next_to_dispatch(self, session: Any) -> Any:
        waiting = (b for b in self.batches.values() if b["status"] == "confirmed" and b["dispatched_at"] is None)
        return next(waiting, None)

    async def rows_after(self, session: Any, batch_id: uuid.UUID, after: int, limit: int) -> list[Any]:
        rows = [r for r in self._importable(batch_id) if r[1] > after][:limit]
        return [
            SimpleNamespace(row_number=r[1], encounter_id=r[2], raw=r[3], parsed=r[4], extra=r[5], subject_key=r[9])
            for r in rows
        ]

    # db/progress.py
    async def known_batches(self, session: Any, batch_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        return set(batch_ids) & set(self.batches)

    async def record_chunk_answers(self, session: Any, answers: list[dict[str, Any]]) -> list[tuple[uuid.UUID, int]]:
        fresh = [(a["batch_id"], a["chunk"]) for a in answers if (a["batch_id"], a["chunk"]) not in self.chunks]
        self.chunks.update(fresh)
        return fresh

    async def add_progress(self, session: Any, batch_id: uuid.UUID, attached: int, failed: int) -> None:
        self.batches[batch_id]["rows_attached"] += attached
        self.batches[batch_id]["rows_failed"] += failed

    async def record_failures(self, session: Any, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.failed.setdefault((row["batch_id"], row["row_number"]), row)

    # db/coverage.py
    async def project_agreements(self, session: Any, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            known = self.agreements.get(row["agreement_id"])
            if known is None or known["version"] < row["version"]:
                self.agreements[row["agreement_id"]] = row

    async def covered_partners(self, session: Any, program: str, countries: list[str], on: date) -> set[str]:
        return {
            a["partner_country"]
            for a in self.agreements.values()
            if a["program"] == program and a["partner_country"] in countries and a["valid_from"] <= on
        }

    # db/staging.py
    async def purge_decided_staging(self, session: Any, decided_before: Any, limit: int) -> list[uuid.UUID]:
        self.purged_before.append(decided_before)
        return []

    def _importable(self, batch_id: uuid.UUID) -> list[tuple]:
        return sorted((r for r in self.staged.get(batch_id, []) if r[7] and not r[8]), key=lambda r: r[1])


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeQueries:
    """Every intake use-case module's queries replaced by one in-memory store."""
    fake = FakeQueries()
    for module, name in (
        (batches, "queries"),
        (batches, "coverage_queries"),
        (dispatch, "queries"),
        (dispatch, "batch_queries"),
        (progress, "queries"),
        (coverage, "queries"),
        (staging, "queries"),
    ):
        monkeypatch.setattr(module, name, fake)
    return fake


def upload_of(tmp: Path, rows: list[list[str]], name: str = "matches.csv") -> batches.Upload:
    """A CSV of IDENT match results on disk, as the API hands it to `upload_batch`."""
    path = tmp / name
    path.write_bytes(csv_bytes(HEADER, rows))
    content = path.read_bytes()
    return batches.Upload(path=path, file_name=name, sha256=hashlib.sha256(content).hexdigest(), size=len(content))


def matches(n: int, *, no_match_every: int = 0, invalid: int = 0) -> list[list[str]]:
    """`n` rows with FINs; every `no_match_every`-th says NO, the first `invalid` have no FIN."""
    return [
        [
            "" if i < invalid else f"A{i:011d}",
            f"Name{i}",
            "Zoë",
            "1981-02-03",
            "NO" if no_match_every and i % no_match_every == 0 else "MATCH",
        ]
        for i in range(n)
    ]


async def staged(uow: UnitOfWork, tmp: Path, rows: list[list[str]], *, program: str = "M5") -> uuid.UUID:
    """A batch staged by `upload_batch` from a file of these rows."""
    upload = upload_of(tmp, rows)
    return await batches.upload_batch(uow=uow, upload=upload, program=program, kind="partner-query", limits=LIMITS)
