"""Queries of corrections.py: corrections proposed to a record's data owner and their decisions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import corrections


async def insert_correction(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(corrections.insert().values(**row))


async def get_correction(session: AsyncSession, redress_id: uuid.UUID, correction_id: uuid.UUID) -> Any:
    stmt = select(corrections).where(corrections.c.id == correction_id, corrections.c.redress_id == redress_id)
    return (await session.execute(stmt.with_for_update())).mappings().first()


async def set_decision(session: AsyncSession, correction_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(corrections).where(corrections.c.id == correction_id).values(**values))


async def request_corrections(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(corrections).where(corrections.c.redress_id == redress_id).order_by(corrections.c.recorded_at)
    return list((await session.execute(stmt)).mappings().all())
