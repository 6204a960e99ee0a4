"""The statements of the disclosure use cases: drafts, their sending, the accounting and its annual audit."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    agreement_versions,
    agreements,
    case_view,
    drafts,
    encounter_projection,
    inaccuracy_reports,
    recipients,
    referrals,
    visible_cases,
)
from shared import policy

INACCURACY_ANSWER = "inaccuracy-answer"


async def case(session: AsyncSession, case_id: uuid.UUID) -> Any:
    """The case as disclosure's read model knows it (ids, program, partner), or None."""
    return (await session.execute(select(case_view).where(case_view.c.case_id == case_id))).mappings().first()


async def case_program(session: AsyncSession, case_id: uuid.UUID) -> str | None:
    return await session.scalar(select(case_view.c.program).where(case_view.c.case_id == case_id))


async def agreement_version(session: AsyncSession, agreement_id: uuid.UUID, version: int | None) -> Any:
    """One version of an agreement; its latest when `version` is None."""
    v = agreement_versions
    stmt = select(v).where(v.c.agreement_id == agreement_id)
    stmt = stmt.where(v.c.version == version) if version else stmt.order_by(v.c.version.desc()).limit(1)
    return (await session.execute(stmt)).mappings().first()


async def agreement_in_force(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    """The agreement with the number of its approved version (None while no version is approved)."""
    stmt = select(agreements.c.id, agreements.c.approved_version).where(agreements.c.id == agreement_id)
    return (await session.execute(stmt)).mappings().first()


async def recipient(session: AsyncSession, recipient_id: uuid.UUID) -> Any:
    return (await session.execute(select(recipients).where(recipients.c.id == recipient_id))).mappings().first()


async def insert_draft(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(drafts.insert().values(**row))


async def draft(session: AsyncSession, draft_id: uuid.UUID, *, lock: bool = False) -> Any:
    """A draft, locked against a concurrent send when `lock`."""
    stmt = select(drafts).where(drafts.c.id == draft_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()


async def mark_sending(session: AsyncSession, draft_id: uuid.UUID, *, at: dt.datetime, actor: str) -> None:
    stmt = drafts.update().where(drafts.c.id == draft_id)
    await session.execute(stmt.values(status="sending", updated_at=at, updated_by=actor))


async def insert_accounting(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(accounting.insert().values(**row))


async def accounted(
    session: AsyncSession,
    *,
    subject: uuid.UUID | None,
    recipient: uuid.UUID | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[dict[str, Any]]:
    """Pending and sent disclosures about a subject or to a recipient, from `start` to `end` inclusive."""
    a = accounting
    # A referral or notice to a data owner, TSC or DOS is a disclosure like a response; its kind says which.
    # A redress notice to a system owner has no draft: its own `kind` says so.
    referral = select(referrals.c.kind).where(referrals.c.draft_id == a.c.draft_id).scalar_subquery()
    # The answer to a recipient's report of a possible inaccuracy is a disclosure too.
    answer = (
        select(literal(INACCURACY_ANSWER)).where(inaccuracy_reports.c.answer_draft_id == a.c.draft_id).scalar_subquery()
    )
    kind = func.coalesce(referral, answer, a.c.kind)
    stmt = select(a, kind.label("referral_kind")).where(a.c.state.in_(ACCOUNTED)).order_by(a.c.sent_at, a.c.id)
    if subject is not None:
        stmt = stmt.where(a.c.subject_id == subject)
    if recipient is not None:
        stmt = stmt.where(a.c.recipient_id == recipient)
    if start is not None:
        stmt = stmt.where(a.c.sent_at >= dt.datetime.combine(start, dt.time(0), dt.UTC))
    if end is not None:
        stmt = stmt.where(a.c.sent_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), dt.UTC))
    if (visible := visible_cases()) is not None:
        # A redress owner notice accounted before the read model knew its records has no case: their programs say.
        p = encounter_projection
        records_seen = exists().where(
            p.c.encounter_id == func.any(a.c.encounter_ids), p.c.program.in_(sorted(policy.visible_programs() or ()))
        )
        stmt = stmt.where(or_(a.c.case_id.in_(visible), a.c.case_id.is_(None) & records_seen))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def disclosures_of_year(session: AsyncSession, year: int) -> list[Any]:
    """Every pending or sent disclosure of a year, with the terms of its agreement version and the agreement
    its recipient belongs to."""
    a, v, r = accounting, agreement_versions, recipients
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    stmt = (
        select(
            a,
            v.c.fields.label("allowed_fields"),
            v.c.purposes,
            v.c.valid_from,
            v.c.valid_to,
            v.c.data_owners,
            r.c.agreement_id.label("recipient_agreement"),
        )
        .join(v, (v.c.agreement_id == a.c.agreement_id) & (v.c.version == a.c.agreement_version))
        .join(r, r.c.id == a.c.recipient_id)
        .where(a.c.sent_at >= start, a.c.sent_at < start.replace(year=year + 1), a.c.state.in_(ACCOUNTED))
        .order_by(a.c.sent_at)
    )
    return list((await session.execute(stmt)).mappings().all())


async def encounter_owners(session: AsyncSession) -> dict[uuid.UUID, str | None]:
    """The data owner of every encounter the read model knows."""
    p = encounter_projection
    return {x.encounter_id: x.data_owner for x in (await session.execute(select(p.c.encounter_id, p.c.data_owner)))}
