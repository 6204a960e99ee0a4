"""Queries of oversight: the gateway's own part of the merged audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import audit_trail
from shared import audit


async def trail(session: AsyncSession, *, record_type: str | None, record_id: str | None, limit: int) -> list[Any]:
    return await audit.trail(session, audit_trail, record_type=record_type, record_id=record_id, limit=limit)


async def trail_query(session: AsyncSession, query: audit.TrailQuery) -> list[Any]:
    return await audit.trail(session, audit_trail, query=query)
