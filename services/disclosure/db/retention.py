"""Retention queries of disclosure: which accounting rows, notices and unsent drafts are due (held ones apart), and
their disposal with what hangs on them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    accounting,
    correction_notices,
    draft_reviews,
    drafts,
    inaccuracy_reports,
    legal_holds,
    owner_notifications,
    owner_report_reviews,
    owner_report_sends,
    referrals,
    removal_notices,
)
from shared.disposal import covered, split_held


async def due_accounting(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    """Rows sent (or failed) before the cutoff; a pending row is a message in flight and never due."""
    a = accounting.c
    held = covered(legal_holds, subject_id=a.subject_id, case_id=a.case_id, encounter_ids=a.encounter_ids)
    return await split_held(session, a.id, (a.sent_at < cutoff) & (a.state != "pending"), held)


async def dispose_accounting(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """The rows, the lists of past recipients built from them, recipients' inaccuracy reports about them, the drafts
    they sent once no row names them, and an owner's report once none of its rows is left."""
    draft_ids = list(
        (await session.scalars(select(accounting.c.draft_id).where(accounting.c.id.in_(ids)).distinct())).all()
    )
    report_ids = [
        r
        for r in (await session.scalars(select(accounting.c.report_id).where(accounting.c.id.in_(ids)))).all()
        if r is not None
    ]
    answered = await session.scalars(
        delete(inaccuracy_reports)
        .where(inaccuracy_reports.c.accounting_id.in_(ids))
        .returning(inaccuracy_reports.c.answer_draft_id)
    )
    draft_ids += [d for d in answered.all() if d is not None]
    for table in (correction_notices, removal_notices):
        await session.execute(delete(table).where(table.c.accounting_id.in_(ids)))
    await session.execute(delete(accounting).where(accounting.c.id.in_(ids)))
    if report_ids:
        left = exists().where(accounting.c.report_id == owner_report_sends.c.id)
        gone = select(owner_report_sends.c.id).where(owner_report_sends.c.id.in_(report_ids), ~left)
        await session.execute(delete(owner_report_reviews).where(owner_report_reviews.c.report_id.in_(gone)))
        await session.execute(delete(owner_report_sends).where(owner_report_sends.c.id.in_(gone)))
    orphaned = [d for d in draft_ids if d is not None]
    if orphaned:
        still = exists().where(accounting.c.draft_id == drafts.c.id)
        gone = list((await session.scalars(select(drafts.c.id).where(drafts.c.id.in_(orphaned), ~still))).all())
        await dispose_drafts(session, gone)


async def due_owner_notices(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    o = owner_notifications.c
    held = covered(legal_holds, case_id=o.case_id, encounter_ids=o.encounter_ids)
    return await split_held(session, o.id, o.created_at < cutoff, held)


async def dispose_owner_notices(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await session.execute(delete(owner_notifications).where(owner_notifications.c.id.in_(ids)))


async def due_unsent_drafts(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    """Drafts last changed before the cutoff that no accounting row names (never sent, nor tried)."""
    d = drafts.c
    accounted = exists().where(accounting.c.draft_id == d.id)
    return await split_held(
        session, d.id, (d.updated_at < cutoff) & ~accounted, covered(legal_holds, case_id=d.case_id)
    )


async def dispose_drafts(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Drafts with their review steps and the referral made with them (an inaccuracy report they would have answered
    stays, unanswered)."""
    if not ids:
        return
    r = inaccuracy_reports.c
    await session.execute(update(inaccuracy_reports).where(r.answer_draft_id.in_(ids)).values(answer_draft_id=None))
    await session.execute(delete(draft_reviews).where(draft_reviews.c.draft_id.in_(ids)))
    await session.execute(delete(referrals).where(referrals.c.draft_id.in_(ids)))
    await session.execute(delete(drafts).where(drafts.c.id.in_(ids)))
