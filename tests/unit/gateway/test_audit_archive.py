"""The checkpoint archive against an in-memory table: a checkpoint is kept once, in the table and the file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.gateway import audit_archive
from shared.events.audit import AuditCheckpointSigned
from shared.events.envelope import wrap
from shared.inbox import Delivered
from tests.unit.fakes import FakeUnitOfWork


class FakeArchiveQueries:
    """services.gateway.db.audit_archive in memory."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}

    async def keep_checkpoints(self, session: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        new = [r for r in rows if (r["service"], r["size"]) not in self.rows]
        self.rows.update({(r["service"], r["size"]): r for r in new})
        return new


def _checkpoint(service: str, size: int) -> AuditCheckpointSigned:
    return AuditCheckpointSigned(
        service=service,
        size=size,
        head_hash=f"{size:064x}",
        signed_at=datetime(2026, 11, 24, 12, size, tzinfo=UTC),
        key_id="k1",
        signature="c2ln",
    )


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> FakeArchiveQueries:
    fake = FakeArchiveQueries()
    monkeypatch.setattr(audit_archive, "queries", fake)
    return fake


async def test_new_checkpoints_are_kept_and_appended_and_a_redelivery_adds_nothing(
    table: FakeArchiveQueries, tmp_path: Path
) -> None:
    archive = tmp_path / "audit" / "checkpoints.jsonl"
    first = [_checkpoint("cases", 10), _checkpoint("intake", 4)]
    await audit_archive.keep_checkpoints(uow=FakeUnitOfWork(), checkpoints=first, archive=archive)
    await audit_archive.keep_checkpoints(
        uow=FakeUnitOfWork(), checkpoints=[_checkpoint("cases", 10), _checkpoint("cases", 12)], archive=archive
    )
    assert sorted(table.rows) == [("cases", 10), ("cases", 12), ("intake", 4)]
    lines = [orjson.loads(line) for line in archive.read_bytes().splitlines()]
    assert [(line["service"], line["size"]) for line in lines] == [("cases", 10), ("intake", 4), ("cases", 12)]


async def test_the_consumer_handler_hands_the_batch_s_checkpoints_to_the_use_case(
    table: FakeArchiveQueries, tmp_path: Path
) -> None:
    checkpoint = _checkpoint("redress", 7)
    handle = audit_archive.checkpoint_keeper(tmp_path / "checkpoints.jsonl")
    envelope = wrap(checkpoint, producer="redress", correlation_id="c", actor="system")
    await handle(FakeUnitOfWork(), [Delivered(envelope=envelope, event=checkpoint)])  # type: ignore[arg-type]
    assert list(table.rows) == [("redress", 7)]
    assert (tmp_path / "checkpoints.jsonl").exists()
