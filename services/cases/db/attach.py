"""Queries that attach imported rows: subjects, encounters, cases and their links, in bulk statements."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, Uuid, func, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db.tables import case_encounters, case_links, cases, encounters, subjects
from shared.db import all_array, any_array, copy_into, copy_upsert


async def upsert_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Create missing subjects in one statement; returns subject_key -> id for every key given."""
    if not rows:
        return {}
    await copy_upsert(session, subjects, rows)
    keys = [r["subject_key"] for r in rows]
    found = await session.execute(
        select(subjects.c.subject_key, subjects.c.id).where(subjects.c.subject_key == any_array(keys, Text))
    )
    return dict(found.tuples().all())


async def insert_encounters(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Store the encounters not yet present; returns the ids that are new.

    An import's rows are new but for a chunk delivered again: one lookup of the ids already stored, then COPY
    straight into the table (a staging table and INSERT ... SELECT wrote and read every row twice, the largest
    share of PostgreSQL's work on an import). The same chunk applied at once by two transactions (a rebalance)
    fails the second COPY on the key (`domain.DUPLICATE_ENCOUNTER`): its batch is retried, its inbox finds it applied.
    """
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    stored = await session.execute(select(encounters.c.id).where(encounters.c.id == any_array(ids, Uuid)))
    present = set(stored.scalars().all())
    new = [r for r in rows if r["id"] not in present]
    await copy_into(session, encounters, new)
    return [r["id"] for r in new]


async def upsert_cases(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, tuple[uuid.UUID, bool]]:
    """Open missing cases; returns case_key -> (id, opened now)."""
    if not rows:
        return {}
    opened = set(await copy_upsert(session, cases, rows, returning="case_key"))
    keys = [r["case_key"] for r in rows]
    found = await session.execute(select(cases.c.case_key, cases.c.id).where(cases.c.case_key == any_array(keys, Text)))
    return {k: (i, k in opened) for k, i in found.tuples().all()}


async def attachments(
    session: AsyncSession, encounter_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]:
    """encounter -> (subject, case) for encounters already attached (an import delivered again)."""
    stmt = (
        select(encounters.c.id, encounters.c.subject_id, case_encounters.c.case_id)
        .join(case_encounters, case_encounters.c.encounter_id == encounters.c.id)
        .where(encounters.c.id == any_array(encounter_ids, Uuid))
    )
    return {r.id: (r.subject_id, r.case_id) for r in (await session.execute(stmt)).all()}


async def link_case_encounters(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Links of encounters stored in this transaction: new as their encounters are, so COPY them straight in."""
    await copy_into(session, case_encounters, rows)


async def outdate_findings_of_subjects(
    session: AsyncSession, subject_ids: list[uuid.UUID], keep_fresh: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Cases of these subjects that have findings (not yet stale, not just opened) turn stale: a newly attached
    encounter postdates their findings. Returns the cases that turned."""
    if not subject_ids:
        return []
    stmt = (
        update(cases)
        .where(
            cases.c.subject_id == any_array(subject_ids, Uuid),
            cases.c.findings_as_of.is_not(None),
            cases.c.stale.is_(False),
            cases.c.id != all_array(keep_fresh, Uuid),
        )
        .values(stale=True, updated_at=func.now())
        .returning(cases.c.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def link_extracts_to_queries(session: AsyncSession, opened: list[uuid.UUID]) -> None:
    """Each extract-request case just opened is linked, both ways, to the query cases of the same subject,
    program and partner country (the partner's extract follows its query)."""
    if not opened:
        return
    x, q = cases.alias("x"), cases.alias("q")
    pairs = (
        select(x.c.id.label("extract"), q.c.id.label("query"))
        .join(
            q,
            (q.c.subject_id == x.c.subject_id)
            & (q.c.program == x.c.program)
            & q.c.partner_country.is_not_distinct_from(x.c.partner_country)
            & (q.c.upload_kind == "partner-query"),
        )
        .where(x.c.id == any_array(opened, Uuid), x.c.upload_kind == "partner-extract")
        .cte("pairs")
    )
    both = union_all(
        select(pairs.c.extract, pairs.c.query, literal("follows")),
        select(pairs.c.query, pairs.c.extract, literal("followed-by")),
    )
    stmt = insert(case_links).from_select(["case_id", "linked_case_id", "kind"], both)
    await session.execute(stmt.on_conflict_do_nothing())
