"""The statements of owners' reports sent as disclosures: the report, its review steps, its accounting rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import accounting, owner_report_reviews, owner_report_sends


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(owner_report_sends.insert().values(**row))


async def report(session: AsyncSession, report_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(owner_report_sends).where(owner_report_sends.c.id == report_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()


async def listed(session: AsyncSession, owner: str | None) -> list[dict[str, Any]]:
    r = owner_report_sends
    stmt = select(r).order_by(r.c.created_at.desc(), r.c.id)
    if owner is not None:
        stmt = stmt.where(r.c.owner == owner)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def update_report(session: AsyncSession, report_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(owner_report_sends).where(owner_report_sends.c.id == report_id).values(**values))


async def add_step(
    session: AsyncSession, *, report_id: uuid.UUID, step: str, actor: str, body_digest: str, comment: str | None = None
) -> None:
    await session.execute(
        owner_report_reviews.insert().values(
            id=uuid.uuid4(), report_id=report_id, step=step, actor=actor, body_digest=body_digest, comment=comment
        )
    )


async def steps(session: AsyncSession, report_id: uuid.UUID) -> list[dict[str, Any]]:
    s = owner_report_reviews
    stmt = select(s).where(s.c.report_id == report_id).order_by(s.c.at, s.c.id)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def account(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(accounting.insert(), rows)


async def settle(
    session: AsyncSession, report_id: uuid.UUID, *, state: str, at: dt.datetime, failure: str | None
) -> int:
    """The report's pending accounting rows become sent (or failed: an attempt, not a disclosure)."""
    a = accounting
    stmt = (
        update(a)
        .where(a.c.report_id == report_id, a.c.state == "pending")
        .values(state=state, delivered_at=at if state == "sent" else None, failure=failure)
    )
    return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def sending(session: AsyncSession) -> list[Any]:
    """Reports a crash left being sent, with their sealed bytes and recipient."""
    r = owner_report_sends
    stmt = select(r.c.id, r.c.message, r.c.sent_by).where(r.c.status == "sending", r.c.message.is_not(None))
    return list((await session.execute(stmt)).all())


async def recipient_email_of(session: AsyncSession, report_id: uuid.UUID) -> str | None:
    a = accounting
    return await session.scalar(select(a.c.recipient_email).where(a.c.report_id == report_id).limit(1))
