"""The statements of a draft's review and of a case's disclosures: review steps, earlier disclosures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import ACCOUNTED, accounting, case_view, draft_reviews, drafts, recipients, referrals


async def add_step(
    session: AsyncSession, *, draft_id: uuid.UUID, step: str, actor: str, body_digest: str, comment: str | None = None
) -> None:
    await session.execute(
        draft_reviews.insert().values(
            id=uuid.uuid4(), draft_id=draft_id, step=step, actor=actor, comment=comment, body_digest=body_digest
        )
    )


async def set_status(session: AsyncSession, draft_id: uuid.UUID, status: str, *, actor: str) -> None:
    stmt = drafts.update().where(drafts.c.id == draft_id)
    await session.execute(stmt.values(status=status, updated_at=dt.datetime.now(dt.UTC), updated_by=actor))


async def steps(session: AsyncSession, draft_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The review steps of drafts, oldest first."""
    if not draft_ids:
        return []
    r = draft_reviews
    stmt = select(r).where(r.c.draft_id.in_(draft_ids)).order_by(r.c.at, r.c.id)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def approvers_since_last_return(session: AsyncSession, draft_id: uuid.UUID) -> list[str]:
    """Who approved the draft since it was last sent back (a return voids earlier approvals)."""
    rows = await steps(session, [draft_id])
    approvers: list[str] = []
    for row in rows:
        if row["step"] == "sent-back":
            approvers = []
        elif row["step"] == "approved":
            approvers.append(row["actor"])
    return approvers


async def earlier_disclosures(
    session: AsyncSession, *, case_id: uuid.UUID, agreement_id: uuid.UUID, other_than: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Pending or sent disclosures of a case under an agreement (to that partner), other than one draft's."""
    a = accounting
    stmt = select(a.c.id, a.c.sent_at, a.c.draft_id).where(
        a.c.case_id == case_id, a.c.agreement_id == agreement_id, a.c.state.in_(ACCOUNTED)
    )
    if other_than is not None:
        stmt = stmt.where(a.c.draft_id != other_than)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def referral_of(session: AsyncSession, draft_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(referrals.c.id).where(referrals.c.draft_id == draft_id))


async def drafts_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every draft of a case, newest first, with its recipient and its accounting (if it left)."""
    stmt = _listed().where(drafts.c.case_id == case_id).order_by(drafts.c.created_at.desc(), drafts.c.id)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


async def drafts_listed(
    session: AsyncSession,
    *,
    programs: frozenset[str] | None,
    created_by: str | None,
    not_created_by: str | None,
    statuses: list[str] | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Drafts of the programs one may see, newest first, filtered by drafter and state (the worklists)."""
    d = drafts.c
    stmt = _listed().join(case_view, case_view.c.case_id == d.case_id).add_columns(case_view.c.program)
    if programs is not None:
        stmt = stmt.where(case_view.c.program.in_(sorted(programs)))
    if created_by is not None:
        stmt = stmt.where(d.created_by == created_by)
    if not_created_by is not None:
        stmt = stmt.where(d.created_by != not_created_by)
    if statuses:
        stmt = stmt.where(d.status.in_(statuses))
    stmt = stmt.order_by(d.created_at.desc(), d.id).limit(limit).offset(offset)
    return [dict(x) for x in (await session.execute(stmt)).mappings().all()]


def _listed() -> Any:
    """A draft as lists show it: its state, recipient and accounting (if it left)."""
    d, r, a = drafts, recipients, accounting
    return (
        select(
            d.c.id,
            d.c.case_id,
            d.c.status,
            d.c.matched,
            d.c.purpose,
            d.c.created_by,
            d.c.created_at,
            d.c.sent_at,
            d.c.readiness_override,
            d.c.repeat_reason,
            d.c.approvals_required,
            d.c.agreement_id,
            d.c.agreement_version,
            r.c.person.label("recipient_person"),
            r.c.email.label("recipient_email"),
            a.c.id.label("accounting_id"),
            a.c.state.label("accounting_state"),
        )
        .join(r, r.c.id == d.c.recipient_id)
        .outerjoin(a, (a.c.draft_id == d.c.id) & a.c.state.in_(ACCOUNTED))
    )
