"""The statements of the owners' reports: what partners received of one data owner's encounters, by period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import (
    ACCOUNTED,
    accounting,
    case_view,
    encounter_flags,
    encounter_projection,
    referrals,
    visible_cases,
)


async def shared_of_owner(session: AsyncSession, *, owner: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Responses (not referrals) sent from `start` to `end` inclusive that carried the owner's encounters, with
    just those encounters (none withdrawn since), oldest first; the caller's cases only."""
    a, p = accounting, encounter_projection
    f = encounter_flags
    # An encounter its owner had removed since (TSC's "remove") is out of every report, as of every release.
    withdrawn = exists().where(
        f.c.encounter_id == p.c.encounter_id, f.c.flag == "withdrawn", f.c.value["set"].as_boolean().is_(True)
    )
    owned = (
        select(func.array_agg(p.c.encounter_id.distinct()))
        .where(p.c.encounter_id == func.any(a.c.encounter_ids), p.c.data_owner == owner, ~withdrawn)
        .scalar_subquery()
    )
    stmt = (
        select(
            a.c.id.label("accounting_id"),
            a.c.sent_at,
            a.c.state,
            a.c.case_id,
            a.c.subject_id,
            case_view.c.program,
            case_view.c.partner_country,
            case_view.c.partner_transaction_number,
            a.c.recipient_agency,
            a.c.agreement_id,
            a.c.agreement_version,
            owned.label("encounter_ids"),
        )
        .join(case_view, case_view.c.case_id == a.c.case_id)
        .where(
            a.c.state.in_(ACCOUNTED),
            a.c.sent_at >= dt.datetime.combine(start, dt.time(0), dt.UTC),
            a.c.sent_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), dt.UTC),
            a.c.draft_id.is_not(None),  # a redress notice to a system owner is not a response either
            ~exists().where(referrals.c.draft_id == a.c.draft_id),
        )
        .order_by(a.c.sent_at, a.c.id)
    )
    if (visible := visible_cases()) is not None:
        stmt = stmt.where(a.c.case_id.in_(visible))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all() if r["encounter_ids"]]
