"""Notice use cases: the recipients to tell of a correction or a removal, and what each data owner is told."""

from __future__ import annotations

import uuid
from typing import Any

from services.disclosure.db import notices as queries
from shared.errors import Invalid
from shared.events.cases import EncounterWithdrawn
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def correction_notices(
    *,
    uow: UnitOfWork,
    encounter_id: uuid.UUID | None,
    redress_id: uuid.UUID | None,
    report_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Recipients who received data a correction has since changed (Privacy Act 552a(c)(4))."""
    if encounter_id is None and redress_id is None and report_id is None:
        raise Invalid("ask by encounter, by redress request or by inaccuracy report")
    async with uow:
        return await queries.correction_notices_of(
            uow.session, encounter_id=encounter_id, redress_id=redress_id, report_id=report_id
        )


async def notifications(*, uow: UnitOfWork, owner: str) -> list[dict[str, Any]]:
    """What one data owner is told: only its own encounters."""
    async with uow:
        return await queries.owner_notifications_of(uow.session, owner)


async def withdrawn(uow: UnitOfWork, delivered: list[Delivered[EncounterWithdrawn]]) -> None:
    """An encounter its owner had removed: every past disclosure that carried it becomes a notice to send."""
    async with uow:
        for d in delivered:
            w = d.event
            found = await queries.disclosures_of_encounter(uow.session, w.encounter_id)
            await queries.list_removals(
                uow.session,
                [
                    {
                        "encounter_id": w.encounter_id,
                        "accounting_id": r.id,
                        "referral_id": w.referral_id,
                        "requested_by": w.requested_by,
                        "reason": f"withdrawn at {w.requested_by}'s request",
                        "recipient_email": r.recipient_email,
                        "recipient_agency": r.recipient_agency,
                        "disclosed_at": r.sent_at,
                    }
                    for r in found
                ],
            )


async def removal_notices(*, uow: UnitOfWork, encounter_id: uuid.UUID) -> list[dict[str, Any]]:
    """Recipients to tell that an encounter they received was removed at its owner's request."""
    async with uow:
        return await queries.removal_notices_of(uow.session, encounter_id)
