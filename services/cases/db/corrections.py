"""Queries of a redress correction: the encounter's field rewritten, the cases built on it turned stale."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import cases, encounters

TYPED_COLUMNS = ("fin", "last_name", "first_name", "dob", "data_owner", "partner_country", "partner_transaction_number")


async def correct_encounter(
    session: AsyncSession, encounter_id: uuid.UUID, fields: dict[str, Any], name_keys: dict[str, Any]
) -> None:
    values = {k: fields.get(k) for k in TYPED_COLUMNS}
    await session.execute(
        update(encounters).where(encounters.c.id == encounter_id).values(fields=fields, **name_keys, **values)
    )


async def mark_cases_stale(session: AsyncSession, case_ids: list[uuid.UUID]) -> None:
    """Every case given turns stale, findings or not (a field it was built on changed)."""
    if case_ids:
        await session.execute(update(cases).where(cases.c.id.in_(case_ids)).values(stale=True, updated_at=func.now()))
