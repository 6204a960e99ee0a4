"""The dispatcher: a confirmed batch's importable rows leave as chunk events (EncountersImported), in row order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from services.intake.db import batches as batch_queries
from services.intake.db import dispatch as queries
from shared.events.intake import CHUNK_MAX_BYTES, CHUNK_MAX_ROWS, EncountersImported, chunk_key
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

CHUNKS_PER_TRANSACTION = 4


async def dispatch_once(uow: UnitOfWork, *, max_rows: int = CHUNK_MAX_ROWS, max_bytes: int = CHUNK_MAX_BYTES) -> int:
    """Cut the next chunks of one confirmed batch into the outbox; returns how many (0: nothing to do).

    The cursor (last row number sent) moves in the transaction that writes the chunks, so a crash resends
    nothing twice and skips nothing; replicas take different batches (SKIP LOCKED).
    """
    async with uow:
        batch = await queries.next_to_dispatch(uow.session)
        if batch is None:
            return 0
        # The chunks are the confirming analyst's act, traced by their confirm request's correlation id.
        uow.actor = batch["decided_by"] or uow.actor
        correlation = batch["confirm_correlation_id"]
        after, chunk_no, written = batch["dispatched_through"], batch["chunks_dispatched"], 0
        finished = False
        while written < CHUNKS_PER_TRANSACTION:
            rows = await queries.rows_after(uow.session, batch["id"], after, max_rows)
            if not rows:
                finished = True
                break
            rows = _cut(rows, max_bytes)
            uow.emit_payload(
                EncountersImported,
                {
                    "batch_id": str(batch["id"]),
                    "chunk": chunk_no,
                    "program": batch["program"],
                    "upload_kind": batch["upload_kind"],
                    "rows": [_chunk_row(r) for r in rows],
                },
                key=chunk_key(batch["id"], chunk_no),
                correlation_id=correlation,
            )
            after, chunk_no, written = rows[-1].row_number, chunk_no + 1, written + 1
        values: dict[str, Any] = {"dispatched_through": after, "chunks_dispatched": chunk_no}
        if finished:
            values["dispatched_at"] = datetime.now(UTC)
        await batch_queries.set_status(uow.session, batch["id"], actor="dispatcher", **values)
    if finished:
        log.info("batch dispatched", batch_id=str(batch["id"]), chunks=chunk_no)
    return max(written, 1)


def _cut(rows: list[Any], max_bytes: int) -> list[Any]:
    """The longest prefix within max_bytes (at least one row: a row is never split)."""
    size = 0
    for i, r in enumerate(rows):
        size += len(r.raw) + len(r.parsed) + len(r.extra) + 160
        if size > max_bytes and i:
            return rows[:i]
    return rows


def _chunk_row(r: Any) -> dict[str, Any]:
    return {
        "encounter_id": str(r.encounter_id),
        "row_number": r.row_number,
        "subject_key": r.subject_key,
        "fields": orjson.Fragment(r.parsed),
        "raw": orjson.Fragment(r.raw),
        "extra": orjson.Fragment(r.extra),
    }
