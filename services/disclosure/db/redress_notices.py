"""Queries of redress_notices.py: the cases of noticed records (read model), and the notices' accounting rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import accounting, case_members, case_view


async def cases_of(session: AsyncSession, encounter_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The cases (as the read model knows them) holding any of the encounters, oldest first."""
    if not encounter_ids:
        return []
    m, c = case_members, case_view
    stmt = (
        select(m.c.encounter_id, c.c.case_id, c.c.subject_id)
        .join(c, c.c.case_id == m.c.case_id)
        .where(m.c.encounter_id.in_(encounter_ids))
        .order_by(c.c.opened_at, c.c.case_id)
    )
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def account(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Accounting rows keyed by notice and subject: a notice already accounted adds none."""
    if rows:
        await session.execute(insert(accounting).on_conflict_do_nothing(), rows)
