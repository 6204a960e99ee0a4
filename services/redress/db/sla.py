"""Queries of sla.py: open requests due soon whose nearing is not yet announced, and marking it announced."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import requests


async def nearing(session: AsyncSession, *, due_by: date, limit: int) -> list[Any]:
    """Open requests due on or before `due_by` not yet announced for their current due date (locked, skipped by
    another instance)."""
    r = requests.c
    stmt = (
        select(r.id, r.due_on, r.reviewers, r.created_by)
        .where(
            r.status.in_(("received", "under-review")),
            r.due_on <= due_by,
            or_(r.sla_warned_for.is_(None), r.sla_warned_for != r.due_on),
        )
        .order_by(r.due_on, r.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).mappings().all())


async def mark_warned(session: AsyncSession, rows: list[Any]) -> None:
    for row in rows:
        stmt = update(requests).where(requests.c.id == row["id"])
        await session.execute(stmt.values(sla_warned_for=row["due_on"]))
