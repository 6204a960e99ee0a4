"""The workbench's own queries: a case's searches, findings and timeline, and changes to the case row."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import case_links, cases, encounters, findings, searches, timeline


async def _of_case(session: AsyncSession, table: Table, case_id: uuid.UUID, order: Any) -> list[Any]:
    stmt = select(table).where(table.c.case_id == case_id).order_by(order)
    return list((await session.execute(stmt)).mappings().all())


async def searches_of(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    return await _of_case(session, searches, case_id, searches.c.searched_at)


async def findings_recorded(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    """A case's findings in the order they were written (the case view)."""
    return await _of_case(session, findings, case_id, findings.c.recorded_at)


async def timeline_of(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    return await _of_case(session, timeline, case_id, timeline.c.at)


async def subject_encounters_after(session: AsyncSession, subject_id: uuid.UUID, after: Any) -> list[Any]:
    stmt = (
        select(encounters.c.id, encounters.c.attached_at)
        .where(encounters.c.subject_id == subject_id, encounters.c.attached_at > after)
        .order_by(encounters.c.attached_at)
    )
    return list((await session.execute(stmt)).mappings().all())


async def update_case(session: AsyncSession, case_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(cases).where(cases.c.id == case_id).values(**values, updated_at=func.now()))


async def add_search(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(searches.insert().values(id=uuid.uuid4(), **row))


async def add_finding(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(findings.insert().values(**row))


async def linked_cases(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    """The cases linked to this one (an extract request and the query it follows), with what a link shows."""
    c, k = cases.c, case_links.c
    stmt = (
        select(k.linked_case_id.label("case_id"), k.kind, c.upload_kind, c.status, c.partner_transaction_number)
        .join(cases, c.id == k.linked_case_id)
        .where(k.case_id == case_id)
        .order_by(c.opened_at)
    )
    return list((await session.execute(stmt)).mappings().all())
