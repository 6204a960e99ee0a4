"""Queries of privacy_act.py: Privacy Act requests, their timeline and queue."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import privacy_act_requests as pa
from services.redress.db.tables import privacy_act_timeline as pt


def _clock() -> Any:
    """The running statutory clock in SQL (privacy_act_rules.running_clock)."""
    return case(
        (pa.c.status.in_(("received", "decided")), pa.c.due_on),
        (pa.c.status == "appealed", pa.c.appeal_due_on),
        else_=None,
    )


async def insert_request(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(pa.insert().values(**row))


async def get_request(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(pa).where(pa.c.id == request_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).mappings().first()


async def update_request(session: AsyncSession, request_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(pa).where(pa.c.id == request_id).values(**values, updated_at=func.now()))


async def add_event(session: AsyncSession, request_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
    await session.execute(
        pt.insert().values(id=uuid.uuid4(), request_id=request_id, actor=actor, action=action, detail=detail)
    )


async def events(session: AsyncSession, request_id: uuid.UUID) -> list[Any]:
    stmt = select(pt).where(pt.c.request_id == request_id).order_by(pt.c.at, pt.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def queue(
    session: AsyncSession,
    *,
    kind: str | None,
    status: str | None,
    overdue_on: date | None,
    limit: int,
    offset: int,
) -> list[Any]:
    """Requests whose clock runs first come first; those owing nothing last."""
    clock = _clock()
    stmt = select(pa).order_by(clock.asc().nulls_last(), pa.c.received_on, pa.c.id).limit(limit).offset(offset)
    if kind:
        stmt = stmt.where(pa.c.kind == kind)
    if status:
        stmt = stmt.where(pa.c.status == status)
    if overdue_on is not None:
        stmt = stmt.where(clock < overdue_on)
    return list((await session.execute(stmt)).mappings().all())


async def overdue_by_kind(session: AsyncSession, *, today: date) -> dict[str, int]:
    """Requests past their running clock per kind (the same rule as privacy_act_rules.is_overdue)."""
    late = or_(
        and_(pa.c.status.in_(("received", "decided")), pa.c.due_on < today),
        and_(pa.c.status == "appealed", pa.c.appeal_due_on < today),
    )
    stmt = select(pa.c.kind, func.count()).where(late).group_by(pa.c.kind)
    return {kind: n for kind, n in (await session.execute(stmt)).all()}
