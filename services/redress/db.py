"""Redress's own tables: for now its projection of subjects from cases events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ARRAY, Column, DateTime, Integer, Table, Text, Uuid, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

subject_projection = Table(
    "subject_projection",
    metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("encounter_count", Integer, nullable=False),
    Column("programs", ARRAY(Text), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def add_encounters(session: AsyncSession, counts: dict[uuid.UUID, tuple[int, set[str]]]) -> None:
    if not counts:
        return
    stmt = insert(subject_projection)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject_id"],
        set_={
            "encounter_count": subject_projection.c.encounter_count + stmt.excluded.encounter_count,
            "programs": literal_column(
                "ARRAY(SELECT DISTINCT p FROM unnest(subject_projection.programs || excluded.programs) AS p ORDER BY p)"
            ),
            "updated_at": func.now(),
        },
    )
    await session.execute(
        stmt,
        [{"subject_id": s, "encounter_count": n, "programs": sorted(p)} for s, (n, p) in sorted(counts.items())],
    )


async def get_subject(session: AsyncSession, subject_id: uuid.UUID) -> Any:
    stmt = select(subject_projection).where(subject_projection.c.subject_id == subject_id)
    return (await session.execute(stmt)).mappings().first()
