"""Queries of requests.py: the requests themselves and their timeline."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import links, requests, timeline


async def by_trip_number(session: AsyncSession, trip_number: str) -> Any:
    stmt = select(requests.c.id).where(requests.c.trip_number == trip_number)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_request(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(requests.insert().values(**row))


async def get_request(session: AsyncSession, redress_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(requests).where(requests.c.id == redress_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def update_request(session: AsyncSession, redress_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(requests).where(requests.c.id == redress_id).values(**values, updated_at=func.now()))


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    overdue_on: date | None,
    limit: int,
    offset: int,
    encounters: list[uuid.UUID] | None = None,
) -> list[Any]:
    stmt = select(requests).order_by(requests.c.due_on, requests.c.id).limit(limit).offset(offset)
    if encounters:
        stmt = stmt.where(requests.c.id.in_(select(links.c.redress_id).where(links.c.encounter_id.in_(encounters))))
    if status:
        stmt = stmt.where(requests.c.status == status)
    if overdue_on is not None:
        stmt = stmt.where(requests.c.status != "closed", requests.c.due_on < overdue_on)
    return list((await session.execute(stmt)).mappings().all())


async def add_event(session: AsyncSession, redress_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
    await session.execute(
        timeline.insert().values(id=uuid.uuid4(), redress_id=redress_id, actor=actor, action=action, detail=detail)
    )


async def events(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(timeline).where(timeline.c.redress_id == redress_id).order_by(timeline.c.at, timeline.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def overdue_by_source(session: AsyncSession, *, today: date) -> dict[str, int]:
    """Open requests past their due date per source (the same rule as domain.is_overdue)."""
    stmt = (
        select(requests.c.source, func.count())
        .where(requests.c.status != "closed", requests.c.due_on < today)
        .group_by(requests.c.source)
    )
    return {source: n for source, n in (await session.execute(stmt)).all()}
