"""Queries of the staging retention: decided batches' staged rows (and their chunks' outbox copies) leave."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.tables import batches, outbox, staged_rows
from shared.db import any_array
from shared.messaging_tables import pending_of


async def purge_decided_staging(session: AsyncSession, decided_before: Any, limit: int) -> list[uuid.UUID]:
    """Delete the staged rows of batches decided before a time (rejected, or confirmed and fully answered).

    The batch itself (counts, mapping, who decided, failures by row number) stays as the record of the import.
    """
    b = batches.c
    done = or_(
        b.status == "rejected",
        (b.status == "confirmed") & b.dispatched_at.is_not(None) & (b.rows_attached + b.rows_failed >= b.rows_imported),
    )
    ids = list(
        (
            await session.execute(
                select(b.id)
                .where(done, b.decided_at < decided_before, b.staging_purged_at.is_(None))
                .order_by(b.decided_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if ids:
        await session.execute(staged_rows.delete().where(staged_rows.c.batch_id == any_array(ids, Uuid)))
        # The chunks carried the same rows: published (every row was answered), so their outbox copies go too.
        # `tracs replay` can no longer resend them; cases holds the rows.
        pending = pending_of(outbox)
        o = outbox.c
        for batch_id in ids:
            await session.execute(
                outbox.delete().where(
                    o.event_type == "EncountersImported",
                    o.key.startswith(f"{batch_id}/"),
                    o.id.not_in(select(pending.c.id)),
                )
            )
        await session.execute(update(batches).where(b.id == any_array(ids, Uuid)).values(staging_purged_at=func.now()))
    return ids


async def forget_encounter(session: AsyncSession, encounter_id: uuid.UUID, batch_id: uuid.UUID) -> int:
    """A deleted encounter's staged row, and the published chunks of its batch (which carried its cells): the chunks
    cannot be edited without rewriting what was published, so they go as the staging purge takes them. Returns the
    staged rows deleted (0 when the purge took them already)."""
    deleted = await session.execute(staged_rows.delete().where(staged_rows.c.encounter_id == encounter_id))
    o = outbox.c
    await session.execute(
        outbox.delete().where(
            o.event_type == "EncountersImported",
            o.key.startswith(f"{batch_id}/"),
            o.id.not_in(select(pending_of(outbox).c.id)),
        )
    )
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]
