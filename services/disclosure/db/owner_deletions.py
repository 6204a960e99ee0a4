"""Queries of an owner's deletion: what disclosure kept of the encounter's values is stripped to the accounting's
minimum (when, to whom, why, under which agreement, which ids and field names)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import accounting, drafts, inaccuracy_reports, owner_report_sends


async def strip_values(session: AsyncSession, encounter_id: uuid.UUID, notice: dict[str, Any]) -> tuple[int, int]:
    """Every draft that released the encounter keeps no value and no body (a draft's values come from cases when
    made, and the send compares them again: an unsent one can no longer be sent as it was); every accounting row
    that carried it drops its sealed message, and a recipient's report of an inaccuracy in it keeps its dates and
    outcome but not the recipient's words nor the reason given (both may quote the values). Returns (drafts,
    accounting rows) stripped."""
    carried = drafts.c.released["encounters"].has_key(str(encounter_id))
    stripped = await session.execute(
        update(drafts)
        .where(carried)
        .values(released={"removed": notice}, body=f"[removed at {notice['data_owner']}'s deletion notice]")
        .returning(drafts.c.id)
    )
    draft_ids = list(stripped.scalars().all())
    a = accounting.c
    sealed = await session.execute(
        update(accounting)
        .where(a.encounter_ids.any(encounter_id), a.state != "pending", a.message.is_not(None))
        .values(message=None)
        .returning(a.id)
    )
    removed = f"[removed at {notice['data_owner']}'s deletion notice]"
    r = inaccuracy_reports.c
    await session.execute(
        update(inaccuracy_reports)
        .where(r.encounter_id == encounter_id)
        .values(description=removed, resolution_note=case((r.resolution_note.is_(None), None), else_=removed))
    )
    return len(draft_ids), len(sealed.scalars().all())


async def reports_naming(session: AsyncSession, encounter_id: uuid.UUID) -> list[dict[str, Any]]:
    """Owners' reports (drafted or sent) whose items name the encounter, locked: their identifiers are stripped."""
    r = owner_report_sends
    items = r.c["items"]  # not `r.c.items`: that is the column collection's own method
    stmt = select(r.c.id, items, r.c.body).where(items.contains([{"encounter_ids": [str(encounter_id)]}]))
    return [dict(x) for x in (await session.execute(stmt.with_for_update())).mappings().all()]


async def rewrite_report(session: AsyncSession, report_id: uuid.UUID, *, items: Any, body: str) -> None:
    await session.execute(
        update(owner_report_sends).where(owner_report_sends.c.id == report_id).values(items=items, body=body)
    )
