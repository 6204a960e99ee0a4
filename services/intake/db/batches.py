"""Queries of the batches area: stage a file's rows, read them back for the preview, decide the batch."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.tables import batches, row_failures, staged_rows
from shared.db import any_array, copy_records

INSERT_CHUNK = 5000
ROW_COLUMNS = (
    "batch_id",
    "row_number",
    "encounter_id",
    "raw",
    "parsed",
    "extra",
    "problems",
    "valid",
    "no_match",
    "subject_key",
)


async def insert_batch(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(batches.insert().values(**row))


async def copy_rows(session: AsyncSession, records: list[tuple]) -> None:
    """Stage a chunk of rows with COPY (JSON columns as JSON text)."""
    await copy_records(session, staged_rows.name, ROW_COLUMNS, records)


async def staged_for_reread(session: AsyncSession, batch_id: uuid.UUID, row_numbers: list[int]) -> list[Any]:
    stmt = select(
        staged_rows.c.row_number,
        staged_rows.c.encounter_id,
        staged_rows.c.parsed,
        staged_rows.c.problems,
    ).where(staged_rows.c.batch_id == batch_id, staged_rows.c.row_number == any_array(row_numbers, Integer))
    return list((await session.execute(stmt)).mappings().all())


async def update_parsed(session: AsyncSession, batch_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Rewrite rows' parsed values, problems and validity (rows: row_number, parsed, problems, valid)."""
    stmt = (
        update(staged_rows)
        .where(staged_rows.c.batch_id == batch_id, staged_rows.c.row_number == bindparam("n"))
        .values(parsed=bindparam("p"), problems=bindparam("e"), valid=bindparam("v"))
    )
    params = [{"n": r["row_number"], "p": r["parsed"], "e": r["problems"], "v": r["valid"]} for r in rows]
    await session.execute(stmt, params)


async def get_batch(session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(batches).where(batches.c.id == batch_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def find_live_by_sha(session: AsyncSession, sha256: str) -> Any:
    """An earlier batch of the same file that was not rejected."""
    stmt = (
        select(batches.c.id, batches.c.status, batches.c.program)
        .where(batches.c.file_sha256 == sha256, batches.c.status != "rejected")
        .order_by(batches.c.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).mappings().first()


async def set_status(session: AsyncSession, batch_id: uuid.UUID, *, actor: str, **values: Any) -> None:
    stmt = update(batches).where(batches.c.id == batch_id)
    await session.execute(stmt.values(updated_at=func.now(), updated_by=actor, **values))


async def preview_rows(session: AsyncSession, batch_id: uuid.UUID, limit: int) -> list[Any]:
    stmt = select(staged_rows).where(staged_rows.c.batch_id == batch_id).order_by(staged_rows.c.row_number).limit(limit)
    return list((await session.execute(stmt)).mappings().all())


async def problems(session: AsyncSession, batch_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Row problems in row order; paged by invalid row."""
    stmt = (
        select(staged_rows.c.problems)
        .where(staged_rows.c.batch_id == batch_id, staged_rows.c.valid.is_(False))
        .order_by(staged_rows.c.row_number)
        .limit(limit)
        .offset(offset)
    )
    return [p for (row_problems,) in (await session.execute(stmt)).all() for p in row_problems]


def importable(batch_id: uuid.UUID) -> Any:
    """A staged row that leaves in a chunk: valid and matched."""
    c = staged_rows.c
    return (c.batch_id == batch_id) & c.valid.is_(True) & c.no_match.is_(False)


async def count_importable(session: AsyncSession, batch_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).select_from(staged_rows).where(importable(batch_id))) or 0)


async def failures(session: AsyncSession, batch_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    c = row_failures.c
    stmt = (
        select(c.row_number, c.encounter_id, c.reason)
        .where(c.batch_id == batch_id)
        .order_by(c.row_number)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]
