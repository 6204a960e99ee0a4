"""Queries of bulletins.py: information bulletins."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db.tables import bulletin_iterations, bulletins


async def insert_bulletin(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(bulletins.insert().values(**row))


async def get_bulletin(session: AsyncSession, bulletin_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(bulletins).where(bulletins.c.id == bulletin_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def list_bulletins(session: AsyncSession, status: str | None, limit: int, offset: int) -> list[Any]:
    stmt = select(bulletins).order_by(bulletins.c.created_at.desc(), bulletins.c.id).limit(limit).offset(offset)
    if status:
        stmt = stmt.where(bulletins.c.status == status)
    return list((await session.execute(stmt)).mappings().all())


async def update_bulletin(session: AsyncSession, bulletin_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(bulletins).where(bulletins.c.id == bulletin_id).values(**values, updated_at=func.now())
    )


async def delete_bulletin(session: AsyncSession, bulletin_id: uuid.UUID) -> None:
    await session.execute(delete(bulletins).where(bulletins.c.id == bulletin_id))


async def add_iteration(session: AsyncSession, bulletin_id: uuid.UUID, text: dict[str, Any], written_by: str) -> None:
    """The bulletin's text as it now stands, as its next iteration."""
    it = bulletin_iterations.c
    number = select(func.coalesce(func.max(it.iteration), 0) + 1).where(it.bulletin_id == bulletin_id)
    await session.execute(
        bulletin_iterations.insert().values(
            bulletin_id=bulletin_id, iteration=number.scalar_subquery(), **text, written_by=written_by
        )
    )


async def iterations(session: AsyncSession, bulletin_id: uuid.UUID) -> list[Any]:
    it = bulletin_iterations.c
    stmt = select(bulletin_iterations).where(it.bulletin_id == bulletin_id).order_by(it.iteration)
    return list((await session.execute(stmt)).mappings().all())
