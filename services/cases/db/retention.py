"""Retention queries: which records are due, the legal holds that stop a purge, and the purge itself."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import (
    case_encounters,
    case_links,
    cases,
    encounters,
    findings,
    flags,
    legal_holds,
    relinks,
    searches,
    subjects,
    timeline,
)

RETENTION_LOCK_KEY = 0x7472_6163_7302


async def try_retention_lock(session: AsyncSession) -> bool:
    """One retention run at a time across every cases instance (scheduled or asked for)."""
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(RETENTION_LOCK_KEY))))


def _active_holds() -> ColumnElement[bool]:
    return legal_holds.c.released_at.is_(None)


async def due_records(
    session: AsyncSession, *, analysis_cutoff: Any, partner_cutoff: Any, case_cutoff: Any
) -> dict[uuid.UUID, dict[str, list[uuid.UUID]]]:
    """Per subject: cases opened before the case cutoff and last used before the analysis cutoff, and
    encounters collected before the partner cutoff that no surviving case still needs. Held subjects and held
    cases are left out."""
    held_subjects = select(legal_holds.c.subject_id).where(_active_holds(), legal_holds.c.subject_id.is_not(None))
    held_cases = select(legal_holds.c.case_id).where(_active_holds(), legal_holds.c.case_id.is_not(None))
    held_encounters = select(legal_holds.c.encounter_id).where(_active_holds(), legal_holds.c.encounter_id.is_not(None))
    due_cases = select(cases.c.id).where(
        cases.c.updated_at < analysis_cutoff,
        cases.c.opened_at < case_cutoff,
        cases.c.id.not_in(held_cases),
        cases.c.subject_id.not_in(held_subjects),
    )
    case_rows = (await session.execute(select(cases.c.id, cases.c.subject_id).where(cases.c.id.in_(due_cases)))).all()
    surviving = select(case_encounters.c.encounter_id).where(case_encounters.c.case_id.not_in(due_cases))
    enc_rows = (
        await session.execute(
            select(encounters.c.id, encounters.c.subject_id).where(
                encounters.c.imported_at < partner_cutoff,
                encounters.c.subject_id.not_in(held_subjects),
                encounters.c.id.not_in(held_encounters),
                encounters.c.id.not_in(surviving),
            )
        )
    ).all()
    out: dict[uuid.UUID, dict[str, list[uuid.UUID]]] = {}
    for case_id, subject_id in case_rows:
        out.setdefault(subject_id, {"cases": [], "encounters": []})["cases"].append(case_id)
    for encounter_id, subject_id in enc_rows:
        out.setdefault(subject_id, {"cases": [], "encounters": []})["encounters"].append(encounter_id)
    return out


async def purge(
    session: AsyncSession, subject_id: uuid.UUID, case_ids: list[uuid.UUID], encounter_ids: list[uuid.UUID]
) -> bool:
    """Delete the cases (with their searches, findings, timeline, links) and encounters (with flags); the
    subject goes too once nothing of it is left. Returns whether the subject was removed."""
    if case_ids:
        for table in (searches, findings, timeline, case_encounters):
            await session.execute(delete(table).where(table.c.case_id.in_(case_ids)))
        await session.execute(
            delete(case_links).where(case_links.c.case_id.in_(case_ids) | case_links.c.linked_case_id.in_(case_ids))
        )
        await session.execute(delete(cases).where(cases.c.id.in_(case_ids)))
    if encounter_ids:
        await session.execute(delete(flags).where(flags.c.encounter_id.in_(encounter_ids)))
        await session.execute(delete(relinks).where(relinks.c.encounter_id.in_(encounter_ids)))
        await session.execute(delete(case_encounters).where(case_encounters.c.encounter_id.in_(encounter_ids)))
        await session.execute(delete(encounters).where(encounters.c.id.in_(encounter_ids)))
    left = await session.scalar(
        select(func.count())
        .select_from(subjects)
        .where(
            subjects.c.id == subject_id,
            or_(
                subjects.c.id.in_(select(encounters.c.subject_id)),
                subjects.c.id.in_(select(cases.c.subject_id)),
            ),
        )
    )
    if left:
        return False
    await session.execute(delete(subjects).where(subjects.c.id == subject_id))
    return True


async def add_hold(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(legal_holds.insert().values(**row))


async def get_hold(session: AsyncSession, hold_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(legal_holds).where(legal_holds.c.id == hold_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def list_holds(session: AsyncSession, *, active_only: bool) -> list[Any]:
    stmt = select(legal_holds).order_by(legal_holds.c.placed_at, legal_holds.c.id)
    if active_only:
        stmt = stmt.where(_active_holds())
    return list((await session.execute(stmt)).mappings().all())


async def release_hold(session: AsyncSession, hold_id: uuid.UUID, actor: str) -> None:
    await session.execute(
        update(legal_holds)
        .where(legal_holds.c.id == hold_id)
        .values(released_at=func.now(), released_by=actor, updated_at=func.now(), updated_by=actor)
    )


async def hold_scope(
    session: AsyncSession, *, subject_id: uuid.UUID | None, case_id: uuid.UUID | None, encounter_id: uuid.UUID | None
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The cases and encounters a hold covers as it is placed: all of a subject's, a case's own encounters, or the
    one encounter (with the cases it is in, so their disclosures are held elsewhere too)."""
    if subject_id is not None:
        case_ids = select(cases.c.id).where(cases.c.subject_id == subject_id)
        encounter_ids = select(encounters.c.id).where(encounters.c.subject_id == subject_id)
    elif case_id is not None:
        case_ids = select(cases.c.id).where(cases.c.id == case_id)
        encounter_ids = select(case_encounters.c.encounter_id).where(case_encounters.c.case_id == case_id)
    else:
        case_ids = select(case_encounters.c.case_id).where(case_encounters.c.encounter_id == encounter_id)
        encounter_ids = select(encounters.c.id).where(encounters.c.id == encounter_id)
    return list((await session.scalars(case_ids)).all()), list((await session.scalars(encounter_ids)).all())
