"""Disclosure HTTP API (the skeleton: what disclosure knows of a subject's encounters)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.disclosure import handlers
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1/disclosures", tags=["disclosure"])


class ProjectedEncounter(BaseModel):
    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    program: str
    data_owner: str | None
    partner_country: str | None
    protected_class: str | None
    special_protected: bool
    projected_at: datetime


@router.get("/subjects/{subject_id}/encounters", response_model=list[ProjectedEncounter])
async def subject_encounters(
    subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    return await handlers.subject_encounters(uow=rt.uow(actor=principal.username), subject_id=subject_id)
