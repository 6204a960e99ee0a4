"""Queries of relinks.py: the re-links decided on a request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import relinks


async def insert_relink(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(relinks.insert().values(**row))


async def get_relink(session: AsyncSession, redress_id: uuid.UUID, relink_id: uuid.UUID) -> Any:
    stmt = select(relinks).where(relinks.c.id == relink_id, relinks.c.redress_id == redress_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def mark_undone(session: AsyncSession, relink_id: uuid.UUID, undone_by: uuid.UUID) -> None:
    await session.execute(update(relinks).where(relinks.c.id == relink_id).values(undone_by=undone_by))


async def request_relinks(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(relinks).where(relinks.c.redress_id == redress_id).order_by(relinks.c.decided_at, relinks.c.id)
    return list((await session.execute(stmt)).mappings().all())
