"""A data owner's deletion notice, recorded by an admin or privacy officer (audited like every write)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.cases import owner_deletions
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/encounters", tags=["retention"])


class OwnerDeletionIn(BaseModel):
    data_owner: str = Field(min_length=1, max_length=100, description="the owner that sent the notice (CBP, DOS...)")
    reason: str = Field(min_length=1, max_length=2000, description="the notice's words or reference; no personal data")


@router.post("/{encounter_id}/owner-deletion", **secured("retention:manage"))
async def owner_deletion(
    encounter_id: uuid.UUID, body: OwnerDeletionIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Delete an encounter at its data owner's notice: its personal data leaves every service, the accounting's
    minimum stays and its past recipients are listed (`GET /api/v1/disclosures/removals?encounter=`). Admins and
    privacy officers of the encounter's program only: outside it the encounter does not exist (404)."""
    return await owner_deletions.delete_at_owners_notice(
        uow=rt.uow(actor=principal.username), encounter_id=encounter_id, data_owner=body.data_owner,
        reason=body.reason.strip(),
    )  # fmt: skip
