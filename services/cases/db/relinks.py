"""Queries of relinks.py: an encounter moved between subjects, the cases it leaves and joins, the history."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import case_encounters, cases, encounters, findings, relinks, subjects


async def get_subject(session: AsyncSession, subject_id: uuid.UUID) -> Any:
    return (await session.execute(select(subjects).where(subjects.c.id == subject_id))).mappings().first()


async def create_subject(session: AsyncSession, subject_id: uuid.UUID, subject_key: str) -> None:
    """A person TRACS did not know as a subject until redress found their encounter under someone else."""
    await session.execute(
        insert(subjects).values(id=subject_id, subject_key=subject_key).on_conflict_do_nothing(index_elements=["id"])
    )


async def encounter_for_update(session: AsyncSession, encounter_id: uuid.UUID) -> Any:
    stmt = select(encounters.c.id, encounters.c.subject_id).where(encounters.c.id == encounter_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def cases_holding(session: AsyncSession, encounter_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(cases)
        .join(case_encounters, case_encounters.c.case_id == cases.c.id)
        .where(case_encounters.c.encounter_id == encounter_id)
        .order_by(cases.c.opened_at, cases.c.id)
    )
    return list((await session.execute(stmt)).mappings().all())


async def ensure_case(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID:
    """The case with this key (made if it does not exist yet), its id."""
    await session.execute(insert(cases).values(**row).on_conflict_do_nothing(index_elements=["case_key"]))
    return (await session.execute(select(cases.c.id).where(cases.c.case_key == row["case_key"]))).scalar_one()


async def move_encounter(
    session: AsyncSession,
    encounter_id: uuid.UUID,
    *,
    to_subject_id: uuid.UUID,
    from_case_ids: list[uuid.UUID],
    to_case_id: uuid.UUID,
) -> None:
    if from_case_ids:
        await session.execute(
            delete(case_encounters).where(
                case_encounters.c.encounter_id == encounter_id, case_encounters.c.case_id.in_(from_case_ids)
            )
        )
    await session.execute(
        insert(case_encounters).values(case_id=to_case_id, encounter_id=encounter_id).on_conflict_do_nothing()
    )
    await session.execute(update(encounters).where(encounters.c.id == encounter_id).values(subject_id=to_subject_id))


async def mark_for_review(session: AsyncSession, case_ids: list[uuid.UUID], why: str, actor: str) -> None:
    """The cases turn stale and their findings are flagged: they were written about a different set of records."""
    if not case_ids:
        return
    await session.execute(
        update(cases).where(cases.c.id.in_(case_ids)).values(stale=True, updated_at=func.now(), updated_by=actor)
    )
    await session.execute(update(findings).where(findings.c.case_id.in_(case_ids)).values(needs_review=why))


async def record(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(relinks).values(rows).on_conflict_do_nothing())


async def of_subject(session: AsyncSession, subject_id: uuid.UUID) -> list[Any]:
    """Every re-link that moved an encounter to or from the subject, oldest first."""
    stmt = (
        select(relinks)
        .where(or_(relinks.c.from_subject_id == subject_id, relinks.c.to_subject_id == subject_id))
        .order_by(relinks.c.relinked_at, relinks.c.relink_id, relinks.c.encounter_id)
    )
    return list((await session.execute(stmt)).mappings().all())


async def has_cases(session: AsyncSession, subject_id: uuid.UUID, programs: frozenset[str] | None) -> bool:
    stmt = select(func.count()).select_from(cases).where(cases.c.subject_id == subject_id)
    if programs is not None:
        stmt = stmt.where(cases.c.program.in_(sorted(programs)))
    return bool(await session.scalar(stmt))
