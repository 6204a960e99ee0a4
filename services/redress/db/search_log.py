"""Queries of search_log.py: the source systems searched for a request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import searches


async def add_search(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(searches.insert().values(id=uuid.uuid4(), **row))


async def searches_of(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(searches).where(searches.c.redress_id == redress_id).order_by(searches.c.searched_at, searches.c.id)
    return list((await session.execute(stmt)).mappings().all())
