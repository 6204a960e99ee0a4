"""Queries of staff.py: the projection of the gateway's logins (who may be given a case)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import staff


async def upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The newest change of each username wins; an older event delivered late changes nothing."""
    if not rows:
        return
    stmt = insert(staff)
    stmt = stmt.on_conflict_do_update(
        index_elements=["username"],
        set_={c: stmt.excluded[c] for c in ("roles", "programs", "active", "changed_at")},
        where=staff.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt, rows)


async def member(session: AsyncSession, username: str) -> Any:
    return (await session.execute(select(staff).where(staff.c.username == username))).mappings().first()


async def of_program(session: AsyncSession, program: str) -> list[Any]:
    stmt = select(staff).where(staff.c.active.is_(True), staff.c.programs.any(program)).order_by(staff.c.username)
    return list((await session.execute(stmt)).mappings().all())
