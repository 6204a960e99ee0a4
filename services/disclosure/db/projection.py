"""The statements of the projection: disclosure's read model of cases, written from cases' events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, delete, exists, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    case_members,
    case_view,
    correction_notices,
    draft_reviews,
    drafts,
    encounter_flags,
    encounter_projection,
    inaccuracy_reports,
    owner_notifications,
    referrals,
    told_of_records,
)
from shared.db import copy_upsert


async def _upsert(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: list[str], update: list[str] | None = None
) -> None:
    """Idempotent projection writes: insert, or overwrite the named columns."""
    await copy_upsert(session, table, rows, conflict=keys, update=update or ())


async def project(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await copy_upsert(session, encounter_projection, rows)


async def notify_owners(session: AsyncSession, notices: list[dict[str, Any]]) -> None:
    """Owner notifications keyed by a stable id, so a redelivered event adds none."""
    await _upsert(session, owner_notifications, notices, ["id"])


async def add_due_notices(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Notices due (made by a match, not by an analyst), one per case and kind: a redelivered or later chunk
    adds its encounters to the notice still to be drafted, never a second notice."""
    if not rows:
        return
    stmt = insert(referrals)
    merged = literal_column(
        "ARRAY(SELECT DISTINCT e FROM unnest(referrals.encounter_ids || excluded.encounter_ids) AS e)"
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"encounter_ids": merged},
        where=referrals.c.draft_id.is_(None),
    )
    for row in rows:
        await session.execute(stmt, row)


async def open_cases(session: AsyncSession, cases: list[dict[str, Any]]) -> None:
    await _upsert(session, case_view, cases, ["case_id"])


async def cases_of_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(select(case_members.c.case_id).where(case_members.c.encounter_id == encounter_id))
    return [r[0] for r in rows]


async def add_members(session: AsyncSession, members: list[dict[str, Any]]) -> None:
    await _upsert(session, case_members, members, ["case_id", "encounter_id"])


async def set_flags(session: AsyncSession, flags: list[dict[str, Any]]) -> None:
    """Each flag's latest value (at most one row per encounter and flag in `flags`)."""
    await _upsert(session, encounter_flags, flags, ["encounter_id", "flag"], ["value"])


async def disclosures_with(session: AsyncSession, *, encounter_id: uuid.UUID, field: str) -> list[Any]:
    """Disclosures (pending or sent: a pending one may have left) that carried a field of an encounter: a draft's
    released values, or an owner's report's identifiers of the encounter (its accounting lists them)."""
    a = accounting
    stmt = select(a).where(
        a.c.encounter_ids.any(encounter_id), a.c.fields.any(field), a.c.state.in_(ACCOUNTED), told_of_records()
    )
    return list((await session.execute(stmt)).all())


async def disclosures_of(session: AsyncSession, encounter_id: uuid.UUID) -> list[Any]:
    """Every disclosure (pending or sent) that carried anything of an encounter, whichever fields, an owner's
    report that itemised it included; not redress's notice to the record's own system owner (no value left)."""
    a = accounting
    stmt = select(a).where(a.c.encounter_ids.any(encounter_id), a.c.state.in_(ACCOUNTED), told_of_records())
    return list((await session.execute(stmt)).all())


async def move_encounter(
    session: AsyncSession,
    *,
    encounter_id: uuid.UUID,
    to_subject_id: uuid.UUID,
    from_case_ids: list[uuid.UUID],
    to_case_id: uuid.UUID,
) -> None:
    """A re-linked encounter belongs to its right subject and case in the read model."""
    p, m = encounter_projection, case_members
    await session.execute(update(p).where(p.c.encounter_id == encounter_id).values(subject_id=to_subject_id))
    if from_case_ids:
        await session.execute(delete(m).where(m.c.encounter_id == encounter_id, m.c.case_id.in_(from_case_ids)))
    await _upsert(session, m, [{"case_id": to_case_id, "encounter_id": encounter_id}], ["case_id", "encounter_id"])


async def list_notices(session: AsyncSession, notices: list[dict[str, Any]]) -> None:
    await _upsert(session, correction_notices, notices, ["correction_id", "accounting_id"])


async def forget(session: AsyncSession, *, case_ids: list[uuid.UUID], encounter_ids: list[uuid.UUID]) -> None:
    """Drop the read model's copies of purged records (unsent drafts with them)."""
    if encounter_ids:
        for table in (encounter_projection, encounter_flags, case_members):
            await session.execute(delete(table).where(table.c.encounter_id.in_(encounter_ids)))
    if case_ids:
        # A draft with any accounting (sent, pending or a failed attempt) stays with its accounting.
        accounted = exists().where(accounting.c.draft_id == drafts.c.id)
        unsent = select(drafts.c.id).where(drafts.c.case_id.in_(case_ids), ~accounted)
        # A recipient's inaccuracy reports go with the case (their words may quote its values); an answer that left
        # stays in the accounting. A referral keeps its record, without the unsent draft.
        await session.execute(delete(inaccuracy_reports).where(inaccuracy_reports.c.case_id.in_(case_ids)))
        await session.execute(update(referrals).where(referrals.c.draft_id.in_(unsent)).values(draft_id=None))
        await session.execute(delete(draft_reviews).where(draft_reviews.c.draft_id.in_(unsent)))
        await session.execute(delete(drafts).where(drafts.c.case_id.in_(case_ids), ~accounted))
        for table in (case_members, case_view):
            await session.execute(delete(table).where(table.c.case_id.in_(case_ids)))


async def subject_encounters(session: AsyncSession, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """Disclosure's own view of a subject's encounters, with the flags it has heard of (what a draft uses)."""
    stmt = (
        select(encounter_projection)
        .where(encounter_projection.c.subject_id == subject_id)
        .order_by(encounter_projection.c.projected_at, encounter_projection.c.encounter_id)
    )
    rows = [dict(r) for r in (await session.execute(stmt)).mappings().all()]
    ids = [r["encounter_id"] for r in rows]
    flags: dict[uuid.UUID, dict[str, Any]] = {i: {} for i in ids}
    if ids:
        found = await session.execute(select(encounter_flags).where(encounter_flags.c.encounter_id.in_(ids)))
        for f in found.mappings():
            flags[f["encounter_id"]][f["flag"]] = f["value"]
    return [{**r, "flags": flags[r["encounter_id"]]} for r in rows]
