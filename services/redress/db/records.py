"""Queries of records.py: the records linked to a request and the officer's search findings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import findings, links


async def link(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(insert(links).values(**row).on_conflict_do_nothing().returning(links.c.encounter_id))
    return result.first() is not None


async def request_links(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(links).where(links.c.redress_id == redress_id).order_by(links.c.linked_at)
    return list((await session.execute(stmt)).mappings().all())


async def insert_finding(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(findings.insert().values(**row))


async def request_findings(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(findings).where(findings.c.redress_id == redress_id).order_by(findings.c.recorded_at)
    return list((await session.execute(stmt)).mappings().all())
