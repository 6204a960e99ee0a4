"""Queries of an owner's deletion notice: the hold that would stop it, and the cases the encounter leaves empty."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import case_encounters, legal_holds


async def hold_covering(
    session: AsyncSession, *, encounter_id: uuid.UUID, subject_id: uuid.UUID, case_ids: list[uuid.UUID]
) -> uuid.UUID | None:
    """A legal hold in force on the encounter, its subject or one of its cases."""
    h = legal_holds.c
    stmt = select(h.id).where(
        h.released_at.is_(None),
        or_(h.encounter_id == encounter_id, h.subject_id == subject_id, h.case_id.in_(case_ids)),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def cases_only_of(session: AsyncSession, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    """The cases this encounter is the only encounter of."""
    ce = case_encounters.c
    mine = select(ce.case_id).where(ce.encounter_id == encounter_id)
    stmt = select(ce.case_id).where(ce.case_id.in_(mine)).group_by(ce.case_id).having(func.count() == 1)
    return list((await session.execute(stmt)).scalars().all())
