"""Queries of sign-in: the account with its lockout counter, and the trail entry of every attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import audit_trail, users
from shared import audit


async def account(session: AsyncSession, username: str) -> Any:
    """The user's row, password hash included, locked until the attempt's counter is written."""
    stmt = select(users).where(users.c.username == username).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def update_account(session: AsyncSession, username: str, *, updated_by: str, **values: Any) -> None:
    stmt = update(users).where(users.c.username == username)
    await session.execute(stmt.values(updated_at=func.now(), updated_by=updated_by, **values))


async def record(session: AsyncSession, entries: list[audit.Entry]) -> None:
    """Append to the gateway's own trail in the attempt's transaction."""
    await audit.append(session, audit_trail, entries)
