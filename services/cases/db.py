"""Cases' own tables and the queries on them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Table, Text, Uuid, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

subjects = Table(
    "subjects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_key", Text, nullable=False, unique=True),
    Column("fin", Text, index=True),
    Column("partner_country", Text),
    Column("partner_unique_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, ForeignKey("subjects.id"), nullable=False, index=True),
    Column("batch_id", Uuid, nullable=False, index=True),
    Column("row_number", Integer, nullable=False),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("fin", Text),
    Column("last_name", Text),
    Column("first_name", Text),
    Column("dob", Text),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("partner_transaction_number", Text),
    Column("name_search", Text, nullable=False, server_default=""),
    Column("fields", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
    Column("extra", JSONB, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_encounters_fin", "fin"),
)


async def upsert_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Create missing subjects in one statement; returns subject_key -> id for every key given."""
    if not rows:
        return {}
    await session.execute(insert(subjects).on_conflict_do_nothing(index_elements=["subject_key"]), rows)
    keys = [r["subject_key"] for r in rows]
    found = await session.execute(select(subjects.c.subject_key, subjects.c.id).where(subjects.c.subject_key.in_(keys)))
    return dict(found.tuples().all())


async def insert_encounters(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert encounters not yet present; returns the ids that are new."""
    if not rows:
        return []
    # executemany with RETURNING: SQLAlchemy batches the VALUES within the driver's parameter limit.
    stmt = insert(encounters).on_conflict_do_nothing(index_elements=["id"]).returning(encounters.c.id)
    return list((await session.execute(stmt, rows)).scalars().all())


async def get_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> Any:
    return (await session.execute(select(encounters).where(encounters.c.id == encounter_id))).mappings().first()


async def list_encounters(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID | None,
    fin: str | None,
    subject_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Any]]:
    conditions = []
    if batch_id is not None:
        conditions.append(encounters.c.batch_id == batch_id)
    if fin is not None:
        conditions.append(encounters.c.fin == fin)
    if subject_id is not None:
        conditions.append(encounters.c.subject_id == subject_id)
    total = await session.scalar(select(func.count()).select_from(encounters).where(*conditions))
    stmt = (
        select(encounters)
        .where(*conditions)
        .order_by(encounters.c.batch_id, encounters.c.row_number, encounters.c.id)
        .limit(limit)
        .offset(offset)
    )
    return total or 0, list((await session.execute(stmt)).mappings().all())


async def get_subject(session: AsyncSession, subject_id: uuid.UUID) -> Any:
    return (await session.execute(select(subjects).where(subjects.c.id == subject_id))).mappings().first()
