"""Queries of stored reports: kept once per kind and period, read back byte for byte, never changed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db.tables import stored_reports

FORMATS = ("json", "csv", "xlsx", "pdf")
_LISTED = [c for c in stored_reports.c if c.name not in FORMATS]


async def keep(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID | None:
    """Store a generated report unless that kind and period is stored already; its id, or None."""
    stmt = insert(stored_reports).values(**row).on_conflict_do_nothing().returning(stored_reports.c.id)
    return (await session.execute(stmt)).scalar()


async def find(session: AsyncSession, kind: str, start: Any, end: Any) -> Any:
    c = stored_reports.c
    stmt = select(*_LISTED).where(c.kind == kind, c.period_start == start, c.period_end == end)
    return (await session.execute(stmt)).mappings().first()


async def listing(session: AsyncSession, kind: str | None, limit: int) -> list[Any]:
    stmt = select(*_LISTED).order_by(stored_reports.c.period_end.desc(), stored_reports.c.kind).limit(limit)
    if kind:
        stmt = stmt.where(stored_reports.c.kind == kind)
    return list((await session.execute(stmt)).mappings().all())


async def content(session: AsyncSession, report_id: uuid.UUID, fmt: str) -> Any:
    column = stored_reports.c[fmt]
    stmt = select(*_LISTED, column.label("content")).where(stored_reports.c.id == report_id)
    return (await session.execute(stmt)).mappings().first()
