"""The statements of the inaccuracy reports: recorded, resolved, answered; the queue of open ones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    case_view,
    drafts,
    encounter_projection,
    inaccuracy_reports,
    recipients,
    visible_cases,
)


async def disclosure(session: AsyncSession, accounting_id: uuid.UUID) -> Any:
    """The accounting row a report is about, with its case's program (for visibility)."""
    a = accounting
    stmt = (
        select(
            a.c.id,
            a.c.draft_id,
            a.c.case_id,
            a.c.subject_id,
            a.c.recipient_id,
            a.c.recipient_agency,
            a.c.agreement_id,
            a.c.purpose,
            a.c.sent_at,
            a.c.state,
            a.c.encounter_ids,
            a.c.fields,
            case_view.c.program,
        )
        .outerjoin(case_view, case_view.c.case_id == a.c.case_id)
        .where(a.c.id == accounting_id)
    )
    return (await session.execute(stmt)).mappings().first()


async def recipient(session: AsyncSession, recipient_id: uuid.UUID) -> Any:
    return (await session.execute(select(recipients).where(recipients.c.id == recipient_id))).mappings().first()


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(inaccuracy_reports.insert().values(**row))


def _with_answer() -> Select[Any]:
    """Reports with their case's program and their answer's accounting (once it left)."""
    r, a = inaccuracy_reports, accounting
    answered = and_(a.c.draft_id == r.c.answer_draft_id, a.c.state.in_(ACCOUNTED))
    return (
        select(
            r,
            case_view.c.program,
            a.c.id.label("answer_accounting_id"),
            a.c.sent_at.label("answered_at"),
            a.c.analyst.label("answered_by"),
            a.c.state.label("answer_state"),
            drafts.c.status.label("answer_status"),
        )
        .join(case_view, case_view.c.case_id == r.c.case_id)
        .outerjoin(drafts, drafts.c.id == r.c.answer_draft_id)
        .outerjoin(a, answered)
        .order_by(r.c.received_on, r.c.recorded_at, r.c.id)
    )


async def report(session: AsyncSession, report_id: uuid.UUID, *, lock: bool = False) -> Any:
    if lock:
        await session.execute(
            select(inaccuracy_reports.c.id).where(inaccuracy_reports.c.id == report_id).with_for_update()
        )
    return (await session.execute(_with_answer().where(inaccuracy_reports.c.id == report_id))).mappings().first()


async def listed(
    session: AsyncSession, *, case_id: uuid.UUID | None, encounter_id: uuid.UUID | None, open_only: bool
) -> list[dict[str, Any]]:
    """Reports of a case or an encounter, or all; `open_only`: not yet answered (a sent answer closes it)."""
    r = inaccuracy_reports
    stmt = _with_answer()
    if case_id is not None:
        stmt = stmt.where(r.c.case_id == case_id)
    if encounter_id is not None:
        stmt = stmt.where(r.c.encounter_id == encounter_id)
    if open_only:
        stmt = stmt.where(accounting.c.id.is_(None))
    if (visible := visible_cases()) is not None:
        stmt = stmt.where(r.c.case_id.in_(visible))
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def resolve(session: AsyncSession, report_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(inaccuracy_reports).where(inaccuracy_reports.c.id == report_id).values(**values))


async def set_answer(session: AsyncSession, report_id: uuid.UUID, draft_id: uuid.UUID) -> bool:
    """The answer's draft, once (False when another answer was drafted meanwhile)."""
    r = inaccuracy_reports
    stmt = update(r).where(r.c.id == report_id, r.c.answer_draft_id.is_(None)).values(answer_draft_id=draft_id)
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def correction_applied(session: AsyncSession, report_id: uuid.UUID, *, at: dt.datetime) -> None:
    """Cases applied the report's correction: the report is resolved and may be answered."""
    r = inaccuracy_reports
    stmt = update(r).where(r.c.id == report_id, r.c.correction_applied_at.is_(None)).values(correction_applied_at=at)
    await session.execute(stmt)


async def owner_of(session: AsyncSession, encounter_id: uuid.UUID) -> str | None:
    """The encounter's data owner as the read model knows it."""
    p = encounter_projection
    return await session.scalar(select(p.c.data_owner).where(p.c.encounter_id == encounter_id))
