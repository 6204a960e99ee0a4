"""Disclosure's own tables: for now its projection of encounters from cases events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Table, Text, Uuid, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

encounter_projection = Table(
    "encounter_projection",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("protected_class", Text),
    Column("special_protected", Boolean, nullable=False),
    Column("projected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def project(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(encounter_projection).on_conflict_do_nothing(), rows)


async def subject_encounters(session: AsyncSession, subject_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(encounter_projection)
        .where(encounter_projection.c.subject_id == subject_id)
        .order_by(encounter_projection.c.projected_at, encounter_projection.c.encounter_id)
    )
    return list((await session.execute(stmt)).mappings().all())
