"""Queries of owner_notices.py: notices to system owners, their replies and decisions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import owner_notices


async def insert_notice(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(owner_notices.insert().values(**row))


async def get_notice(session: AsyncSession, redress_id: uuid.UUID, notice_id: uuid.UUID) -> Any:
    stmt = select(owner_notices).where(owner_notices.c.id == notice_id, owner_notices.c.redress_id == redress_id)
    return (await session.execute(stmt.with_for_update())).mappings().first()


async def update_notice(session: AsyncSession, notice_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(owner_notices).where(owner_notices.c.id == notice_id).values(**values))


async def request_notices(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    n = owner_notices
    stmt = select(n).where(n.c.redress_id == redress_id).order_by(n.c.recorded_at, n.c.id)
    return list((await session.execute(stmt)).mappings().all())
