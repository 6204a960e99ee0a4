"""Retention of staging: decided batches' staged rows leave once cases holds what was imported."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.intake.db import staging as queries
from services.intake.db import tables
from shared import audit
from shared.events.cases import EncounterDeleted
from shared.inbox import Delivered
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def purge_staging(uow: UnitOfWork, *, now: datetime, keep_days: int, limit: int = 100) -> list[uuid.UUID]:
    """Staged rows of decided batches leave after `keep_days`: cases holds the imported ones from then on."""
    async with uow:
        purged = await queries.purge_decided_staging(uow.session, now - timedelta(days=keep_days), limit)
    if purged:
        log.info("staged rows purged", batches=len(purged))
    return purged


async def forget_deleted(uow: UnitOfWork, delivered: list[Delivered[EncounterDeleted]]) -> None:
    """A data owner had an encounter deleted: its staged copy (and its batch's published chunks) go too."""
    async with uow:
        for d in delivered:
            await queries.forget_encounter(uow.session, d.event.encounter_id, d.event.batch_id)
            await audit.append(
                uow.session,
                tables.metadata.tables["audit_trail"],
                [
                    audit.Entry(
                        actor=d.envelope.actor,
                        action="owner-deletion",
                        record_type="staged-row",
                        record_id=str(d.event.encounter_id),
                        outcome="applied",
                        correlation_id=d.envelope.correlation_id,
                        detail=f"staged copy deleted at {d.event.data_owner}'s notice",
                    )
                ],
            )
