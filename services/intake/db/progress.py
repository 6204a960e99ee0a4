"""Queries of cases' answers per chunk: recorded once, added to the batch's progress, failed rows named."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.tables import batch_chunks, batches, row_failures
from shared.db import any_array


async def known_batches(session: AsyncSession, batch_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(batches.c.id).where(batches.c.id == any_array(batch_ids, Uuid))
    return set((await session.execute(stmt)).scalars().all())


async def record_chunk_answers(session: AsyncSession, answers: list[dict[str, Any]]) -> list[tuple[uuid.UUID, int]]:
    """Insert cases' answers; returns the (batch, chunk) pairs that were new (a redelivery adds nothing)."""
    if not answers:
        return []
    stmt = insert(batch_chunks).values(answers).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(batch_chunks.c.batch_id, batch_chunks.c.chunk))
    return [(r.batch_id, r.chunk) for r in result.all()]


async def add_progress(session: AsyncSession, batch_id: uuid.UUID, attached: int, failed: int) -> None:
    stmt = update(batches).where(batches.c.id == batch_id)
    await session.execute(
        stmt.values(rows_attached=batches.c.rows_attached + attached, rows_failed=batches.c.rows_failed + failed)
    )


async def record_failures(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(row_failures).values(rows).on_conflict_do_nothing())
