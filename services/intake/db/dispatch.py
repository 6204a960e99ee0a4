"""Queries of the dispatcher: the next confirmed batch to cut, and its importable rows after the cursor."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.batches import importable
from services.intake.db.tables import batches, staged_rows


async def next_to_dispatch(session: AsyncSession) -> Any:
    """A confirmed batch with rows still to send; SKIP LOCKED, so replicas dispatch different batches."""
    stmt = (
        select(batches)
        .where(batches.c.status == "confirmed", batches.c.dispatched_at.is_(None))
        .order_by(batches.c.decided_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).mappings().first()


async def rows_after(session: AsyncSession, batch_id: uuid.UUID, after: int, limit: int) -> list[Any]:
    """Importable rows after a row number, in row order (the primary key's order)."""
    c = staged_rows.c
    # JSON columns come back as their text: a chunk embeds them without decoding and encoding each row again.
    stmt = (
        select(
            c.row_number,
            c.encounter_id,
            cast(c.raw, Text).label("raw"),
            cast(c.parsed, Text).label("parsed"),
            cast(c.extra, Text).label("extra"),
            c.subject_key,
        )
        .where(importable(batch_id), c.row_number > after)
        .order_by(c.row_number)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())
