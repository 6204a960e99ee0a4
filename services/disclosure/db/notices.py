"""The statements of the notices: corrections to tell recipients of, and what each data owner is told."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    correction_notices,
    owner_notifications,
    removal_notices,
    told_of_records,
    visible_cases,
)


async def correction_notices_of(
    session: AsyncSession,
    *,
    encounter_id: uuid.UUID | None,
    redress_id: uuid.UUID | None,
    report_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Correction notices of an encounter or a redress request, on the caller's cases, oldest disclosure first."""
    n = correction_notices
    stmt = select(n).order_by(n.c.disclosed_at, n.c.accounting_id)
    if encounter_id is not None:
        stmt = stmt.where(n.c.encounter_id == encounter_id)
    if redress_id is not None:
        stmt = stmt.where(n.c.redress_id == redress_id)
    if report_id is not None:
        stmt = stmt.where(n.c.report_id == report_id)
    if (visible := visible_cases()) is not None:
        a = accounting
        stmt = stmt.where(n.c.accounting_id.in_(select(a.c.id).where(a.c.case_id.in_(visible))))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def owner_notifications_of(session: AsyncSession, owner: str) -> list[dict[str, Any]]:
    """One data owner's notifications on the caller's cases, oldest first."""
    n = owner_notifications
    stmt = select(n).where(n.c.data_owner == owner).order_by(n.c.created_at, n.c.id)
    if (visible := visible_cases()) is not None:
        stmt = stmt.where(n.c.case_id.in_(visible))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def disclosures_of_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> list[Any]:
    """Disclosures (pending or sent: a pending one may have left) that carried an encounter, an owner's report that
    itemised it included; a redress notice to the record's own system owner is not told of the owner's removal."""
    a = accounting
    stmt = select(a).where(a.c.encounter_ids.any(encounter_id), a.c.state.in_(ACCOUNTED), told_of_records())
    return list((await session.execute(stmt)).all())


async def list_removals(session: AsyncSession, notices: list[dict[str, Any]]) -> None:
    """Removal notices, once each (a redelivered event lists none twice)."""
    if notices:
        await session.execute(insert(removal_notices).on_conflict_do_nothing(), notices)


async def removal_notices_of(session: AsyncSession, encounter_id: uuid.UUID) -> list[dict[str, Any]]:
    """Removal notices of an encounter, on the caller's cases, oldest disclosure first."""
    n = removal_notices
    stmt = select(n).where(n.c.encounter_id == encounter_id).order_by(n.c.disclosed_at, n.c.accounting_id)
    if (visible := visible_cases()) is not None:
        a = accounting
        stmt = stmt.where(n.c.accounting_id.in_(select(a.c.id).where(a.c.case_id.in_(visible))))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]
