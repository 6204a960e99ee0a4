"""Notice use cases: the recipients to tell of a correction, and what each data owner is told."""

from __future__ import annotations

import uuid
from typing import Any

from services.disclosure.db import notices as queries
from shared.errors import Invalid
from shared.uow import UnitOfWork


async def correction_notices(
    *, uow: UnitOfWork, encounter_id: uuid.UUID | None, redress_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """Recipients who received data a redress correction has since changed (Privacy Act 552a(c)(4))."""
    if encounter_id is None and redress_id is None:
        raise Invalid("ask by encounter or by redress request")
    async with uow:
        return await queries.correction_notices_of(uow.session, encounter_id=encounter_id, redress_id=redress_id)


async def notifications(*, uow: UnitOfWork, owner: str) -> list[dict[str, Any]]:
    """What one data owner is told: only its own encounters."""
    async with uow:
        return await queries.owner_notifications_of(uow.session, owner)
