"""Retention queries of reporting: bulletins and stored reports due, their disposal, and the disposal report's
counts as every service reports them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db.tables import bulletins, disposals, stored_reports
from shared.disposal import split_held


async def due_bulletins(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    """Bulletins sent before the cutoff, and drafts last edited before it. A bulletin names no record by id (its
    summary is prose), so no legal hold can cover one."""
    b = bulletins.c
    return await split_held(session, b.id, func.coalesce(b.sent_at, b.updated_at) < cutoff, None)


async def dispose_bulletins(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await session.execute(delete(bulletins).where(bulletins.c.id.in_(ids)))  # iterations cascade


async def due_stored_reports(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    """Reports generated before the cutoff: aggregates, about no one a hold could name."""
    s = stored_reports.c
    return await split_held(session, s.id, s.generated_at < cutoff, None)


async def dispose_stored_reports(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """The one DELETE the immutability trigger lets through: this transaction says it is retention's."""
    await session.execute(text("SET LOCAL tracs.retention_disposal = 'on'"))
    await session.execute(delete(stored_reports).where(stored_reports.c.id.in_(ids)))
    await session.execute(text("SET LOCAL tracs.retention_disposal = 'off'"))


async def record_disposals(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """A run's counts, once per (run, kind): a redelivered report changes nothing."""
    if rows:
        await session.execute(insert(disposals).values(rows).on_conflict_do_nothing(index_elements=["run_id", "kind"]))


async def totals(session: AsyncSession, since: datetime | None) -> list[Any]:
    """Disposed of (and spared by holds) per service, kind and rule, with the runs that did it."""
    d = disposals.c
    stmt = (
        select(
            d.service,
            d.kind,
            d.rule,
            func.sum(d.count).label("count"),
            func.sum(d.held).label("held"),
            func.count(func.distinct(d.run_id)).label("runs"),
            func.max(d.as_of).label("last_run"),
        )
        .group_by(d.service, d.kind, d.rule)
        .order_by(d.service, d.kind, d.rule)
    )
    if since is not None:
        stmt = stmt.where(d.as_of >= since)
    return list((await session.execute(stmt)).mappings().all())
