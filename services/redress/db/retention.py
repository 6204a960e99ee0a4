"""Retention queries of redress: closed requests due (those whose records a legal hold covers apart) and their
disposal with everything recorded on them; Privacy Act requests by kind."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, or_
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.db.tables import (
    corrections,
    findings,
    legal_holds,
    links,
    owner_notices,
    privacy_act_requests,
    privacy_act_timeline,
    relinks,
    requests,
    searches,
    timeline,
)
from shared.disposal import covered, split_held


def _held_request() -> ColumnElement[bool]:
    """A request is held when a hold covers a record linked to it, corrected, noticed to an owner or re-linked."""
    r = requests.c.id
    return or_(
        exists().where(links.c.redress_id == r, covered(legal_holds, encounter_id=links.c.encounter_id)),
        exists().where(corrections.c.redress_id == r, covered(legal_holds, encounter_id=corrections.c.encounter_id)),
        exists().where(
            owner_notices.c.redress_id == r, covered(legal_holds, encounter_ids=owner_notices.c.encounter_ids)
        ),
        exists().where(
            relinks.c.redress_id == r,
            or_(
                covered(legal_holds, subject_id=relinks.c.from_subject_id, encounter_ids=relinks.c.encounter_ids),
                covered(legal_holds, subject_id=relinks.c.to_subject_id),
            ),
        ),
    )


async def due_requests(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
    """Requests closed before the cutoff (a reopened one is not closed: its clock starts again when it is)."""
    due = (requests.c.status == "closed") & (requests.c.closed_at < cutoff)
    return await split_held(session, requests.c.id, due, _held_request())


async def dispose_requests(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    for table in (timeline, links, findings, corrections, searches, relinks, owner_notices):
        await session.execute(delete(table).where(table.c.redress_id.in_(ids)))
    await session.execute(delete(requests).where(requests.c.id.in_(ids)))


def _due_privacy_act(kind: str):  # type: ignore[no-untyped-def]
    async def due(session: AsyncSession, cutoff: datetime) -> tuple[list[uuid.UUID], int]:
        """Closed before the cutoff. A Privacy Act request names records in the requester's words, never by id,
        so no legal hold can cover one: none is ever counted held."""
        p = privacy_act_requests.c
        cond = (p.kind == kind) & (p.status == "closed") & (p.closed_at < cutoff)
        return await split_held(session, p.id, cond, None)

    return due


due_privacy_act_access = _due_privacy_act("access")
due_privacy_act_amendment = _due_privacy_act("amendment")


async def dispose_privacy_act(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await session.execute(delete(privacy_act_timeline).where(privacy_act_timeline.c.request_id.in_(ids)))
    await session.execute(delete(privacy_act_requests).where(privacy_act_requests.c.id.in_(ids)))
