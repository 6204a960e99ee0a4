"""The statements of the delivery use cases: the accounting row's state around the mail relay."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import accounting, drafts, owner_notifications


async def lock_pending(session: AsyncSession, accounting_id: uuid.UUID) -> Any:
    """The accounting row if it is still pending, locked; None once resolved."""
    a = accounting
    stmt = select(a).where(a.c.id == accounting_id, a.c.state == "pending").with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def record_sent(session: AsyncSession, row: Any, *, delivered_at: dt.datetime) -> None:
    """The accounting row and its draft sent; the sealed copy goes (only a re-delivery needed it)."""
    a = accounting
    await session.execute(
        a.update().where(a.c.id == row["id"]).values(state="sent", delivered_at=delivered_at, message=None)
    )
    await session.execute(
        drafts.update()
        .where(drafts.c.id == row["draft_id"])
        .values(status="sent", sent_at=row["sent_at"], updated_at=delivered_at, updated_by=row["analyst"])
    )


async def notify_owners(session: AsyncSession, notices: list[dict[str, Any]]) -> None:
    for notice in notices:
        await session.execute(owner_notifications.insert().values(**notice))


async def record_failed(session: AsyncSession, row: Any, *, reason: str) -> None:
    """The attempt failed; a draft still `sending` is approved again (its approval was of the same body)."""
    a = accounting
    await session.execute(a.update().where(a.c.id == row["id"]).values(state="failed", failure=reason, message=None))
    await session.execute(
        drafts.update()
        .where(drafts.c.id == row["draft_id"], drafts.c.status == "sending")
        .values(status="approved", updated_at=dt.datetime.now(dt.UTC), updated_by=row["analyst"])
    )


async def pending(session: AsyncSession) -> list[Any]:
    """Every pending disclosure, oldest first, with what a re-delivery needs."""
    a = accounting
    stmt = (
        select(a.c.id, a.c.message, a.c.recipient_email, a.c.message_id, a.c.analyst)
        .where(a.c.state == "pending", a.c.draft_id.is_not(None))  # an owner's report resolves its own
        .order_by(a.c.sent_at)
    )
    return list((await session.execute(stmt)).all())
