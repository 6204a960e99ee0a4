"""The statements of the referral use cases: referrals and notices to data owners, their sending and replies."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    agreement_versions,
    agreements,
    case_view,
    recipients,
    referrals,
    visible_cases,
)


async def recipient_terms(session: AsyncSession, recipient_id: uuid.UUID) -> Any:
    """A recipient with the current version of its agreement: who the organisation is and whose data it gets."""
    r, a, v = recipients, agreements, agreement_versions
    stmt = (
        select(r, v.c.recipient_kind, v.c.partner_agency, v.c.data_owners)
        .join(a, a.c.id == r.c.agreement_id)
        .join(v, (v.c.agreement_id == a.c.id) & (v.c.version == a.c.current_version))
        .where(r.c.id == recipient_id)
    )
    return (await session.execute(stmt)).mappings().first()


async def insert_referral(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(referrals.insert().values(**row))


def _with_sending() -> Select[Any]:
    """Referrals with when they left (their accounting row), oldest first."""
    f, a = referrals, accounting
    sent = and_(a.c.draft_id == f.c.draft_id, a.c.state.in_(ACCOUNTED))
    return (
        select(
            f,
            a.c.id.label("accounting_id"),
            a.c.sent_at,
            a.c.analyst.label("sent_by"),
            a.c.state.label("accounting_state"),
            a.c.recipient_agency,
            a.c.recipient_person,
            a.c.recipient_email,
            a.c.nature.label("channel"),
            case_view.c.program,
        )
        .join(case_view, case_view.c.case_id == f.c.case_id)
        .outerjoin(a, sent)
        .order_by(f.c.created_at, f.c.id)
    )


async def referral(session: AsyncSession, referral_id: uuid.UUID) -> Any:
    return (await session.execute(_with_sending().where(referrals.c.id == referral_id))).mappings().first()


async def lock(session: AsyncSession, referral_id: uuid.UUID) -> None:
    await session.execute(select(referrals.c.id).where(referrals.c.id == referral_id).with_for_update())


async def listed(
    session: AsyncSession, *, case_id: uuid.UUID | None, recipient_org: str | None, awaiting: bool
) -> list[dict[str, Any]]:
    """Referrals of a case, to an organisation, or (awaiting) sent and still unanswered; the caller's cases only."""
    f = referrals
    stmt = _with_sending()
    if case_id is not None:
        stmt = stmt.where(f.c.case_id == case_id)
    if recipient_org is not None:
        stmt = stmt.where(f.c.recipient_org == recipient_org)
    if awaiting:
        stmt = stmt.where(f.c.reply_decision.is_(None), accounting.c.id.is_not(None))
    if (visible := visible_cases()) is not None:
        stmt = stmt.where(f.c.case_id.in_(visible))
    return [dict(r) for r in (await session.execute(stmt.limit(1000))).mappings().all()]


async def set_draft(
    session: AsyncSession,
    referral_id: uuid.UUID,
    *,
    draft_id: uuid.UUID,
    recipient_id: uuid.UUID,
    encounter_ids: list[uuid.UUID],
) -> bool:
    """Attach the draft to a referral not drafted yet; False if another analyst drafted it first."""
    values: dict[str, Any] = {"draft_id": draft_id, "recipient_id": recipient_id, "encounter_ids": encounter_ids}
    stmt = referrals.update().where(referrals.c.id == referral_id, referrals.c.draft_id.is_(None)).values(**values)
    return bool((await session.execute(stmt)).rowcount)


async def record_reply(session: AsyncSession, referral_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        referrals.update().where(referrals.c.id == referral_id).values(**values, reply_recorded_at=func.now())
    )
