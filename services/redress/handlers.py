"""Redress use cases: keep the subject projection; read it."""

from __future__ import annotations

import uuid
from typing import Any

from services.redress import db, domain
from shared.errors import NotFound
from shared.events.cases import EncounterAttached
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def project_subjects(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Count each subject's encounters and programs, one upsert per batch."""
    counts: dict[uuid.UUID, tuple[int, set[str]]] = {}
    for d in delivered:
        if isinstance(d.event, EncounterAttached):
            update = domain.subject_update(d.event)
            n, programs = counts.get(d.event.subject_id, (0, set()))
            counts[d.event.subject_id] = (n + 1, programs | {str(update["program"])})
    async with uow:
        await db.add_encounters(uow.session, counts)


async def get_subject(*, uow: UnitOfWork, subject_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = await db.get_subject(uow.session, subject_id)
    if row is None:
        raise NotFound(f"no subject {subject_id} known to redress")
    return dict(row)
