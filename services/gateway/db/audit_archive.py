"""Queries of the checkpoint archive: every service's signed audit checkpoints, kept once each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import audit_checkpoints


async def keep_checkpoints(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store checkpoints not seen before; returns those that were new (a redelivery adds nothing)."""
    if not rows:
        return []
    stmt = insert(audit_checkpoints).values(rows).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(audit_checkpoints.c.service, audit_checkpoints.c.size))
    new = {(r.service, r.size) for r in result}
    return [r for r in rows if (r["service"], r["size"]) in new]


async def checkpoints(session: AsyncSession, service: str | None = None) -> list[Any]:
    stmt = select(audit_checkpoints).order_by(audit_checkpoints.c.service, audit_checkpoints.c.size)
    if service:
        stmt = stmt.where(audit_checkpoints.c.service == service)
    return list((await session.execute(stmt)).mappings().all())
