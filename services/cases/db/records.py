"""Queries of single records every area reads or adds to: cases, encounters, subjects, flags, timeline, audit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import (
    audit_trail,
    case_encounters,
    cases,
    encounters,
    findings,
    flags,
    subjects,
    timeline,
)
from shared import audit as shared_audit


async def get_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> Any:
    return (await session.execute(select(encounters).where(encounters.c.id == encounter_id))).mappings().first()


async def list_encounters(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID | None,
    fin: str | None,
    subject_id: uuid.UUID | None,
    limit: int,
    offset: int,
    programs: frozenset[str] | None = None,
) -> tuple[int, list[Any]]:
    conditions = [] if programs is None else [encounters.c.program.in_(sorted(programs))]
    if batch_id is not None:
        conditions.append(encounters.c.batch_id == batch_id)
    if fin is not None:
        conditions.append(encounters.c.fin == fin)
    if subject_id is not None:
        conditions.append(encounters.c.subject_id == subject_id)
    total = await session.scalar(select(func.count()).select_from(encounters).where(*conditions))
    stmt = (
        select(encounters)
        .where(*conditions)
        .order_by(encounters.c.batch_id, encounters.c.row_number, encounters.c.id)
        .limit(limit)
        .offset(offset)
    )
    return total or 0, list((await session.execute(stmt)).mappings().all())


async def get_subject(session: AsyncSession, subject_id: uuid.UUID) -> Any:
    return (await session.execute(select(subjects).where(subjects.c.id == subject_id))).mappings().first()


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(cases).where(cases.c.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def case_encounter_rows(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(encounters)
        .join(case_encounters, case_encounters.c.encounter_id == encounters.c.id)
        .where(case_encounters.c.case_id == case_id)
        .order_by(encounters.c.attached_at, encounters.c.id)
    )
    return list((await session.execute(stmt)).mappings().all())


async def cases_of_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(case_encounters.c.case_id).where(case_encounters.c.encounter_id == encounter_id)
    return list((await session.execute(stmt)).scalars().all())


async def encounter_flags(session: AsyncSession, encounter_ids: list[uuid.UUID]) -> list[Any]:
    if not encounter_ids:
        return []
    stmt = select(flags).where(flags.c.encounter_id.in_(encounter_ids)).order_by(flags.c.flag)
    return list((await session.execute(stmt)).mappings().all())


async def findings_of(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    stmt = select(findings).where(findings.c.case_id == case_id).order_by(findings.c.accurate_as_of, findings.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def set_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Flags set or replaced, by the import (protected class) or by an analyst."""
    if not rows:
        return
    stmt = insert(flags)
    stmt = stmt.on_conflict_do_update(
        index_elements=["encounter_id", "flag"],
        set_={
            "value": stmt.excluded.value,
            "reason": stmt.excluded.reason,
            "set_by": stmt.excluded.set_by,
            "set_at": func.now(),
        },
    )
    await session.execute(stmt, rows)


async def add_timeline(session: AsyncSession, case_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
    await session.execute(
        timeline.insert().values(id=uuid.uuid4(), case_id=case_id, actor=actor, action=action, detail=detail)
    )


async def audit(session: AsyncSession, entries: list[shared_audit.Entry]) -> None:
    """Entries on cases' audit trail, in the transaction of what they record."""
    await shared_audit.append(session, audit_trail, entries)
