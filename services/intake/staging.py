"""Retention of staging: decided batches' staged rows leave once cases holds what was imported."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.intake.db import staging as queries
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
