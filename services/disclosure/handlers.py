"""Disclosure use cases: keep the encounter projection; read it."""

from __future__ import annotations

import uuid
from typing import Any

from services.disclosure import db, domain
from shared.events.cases import EncounterAttached
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def project_encounters(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Copy the sharing-relevant facts of attached encounters into disclosure's own database."""
    rows = [domain.projection_row(d.event) for d in delivered if isinstance(d.event, EncounterAttached)]
    async with uow:
        await db.project(uow.session, rows)


async def subject_encounters(*, uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await db.subject_encounters(uow.session, subject_id)]
