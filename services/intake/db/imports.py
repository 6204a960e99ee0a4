"""Queries of imports.py: the list of batches, newest first, with their counts (no row, no cell)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.tables import batches

LISTED = (
    "id",
    "file_name",
    "program",
    "upload_kind",
    "status",
    "partner_country",
    "rows_total",
    "rows_valid",
    "rows_invalid",
    "rows_no_match",
    "rows_imported",
    "rows_attached",
    "rows_failed",
    "dispatched_at",
    "created_by",
    "created_at",
    "decided_by",
    "decided_at",
)


def _where(stmt: Any, *, programs: frozenset[str] | None, created_by: str | None, status: str | None) -> Any:
    b = batches.c
    if programs is not None:
        stmt = stmt.where(b.program.in_(sorted(programs)))
    if created_by is not None:
        stmt = stmt.where(b.created_by == created_by)
    if status is not None:
        stmt = stmt.where(b.status == status)
    return stmt


async def listed(session: AsyncSession, *, limit: int, offset: int, **filters: Any) -> tuple[list[Any], int]:
    b = batches.c
    page = _where(select(*(b[c] for c in LISTED)), **filters).order_by(b.created_at.desc(), b.id)
    rows = (await session.execute(page.limit(limit).offset(offset))).mappings().all()
    total = await session.scalar(_where(select(func.count()).select_from(batches), **filters))
    return [dict(r) for r in rows], int(total or 0)
