"""Redress HTTP API (the skeleton: what redress knows of a subject)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.redress import handlers
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1/redress", tags=["redress"])


class ProjectedSubject(BaseModel):
    subject_id: uuid.UUID
    encounter_count: int
    programs: list[str]
    updated_at: datetime


@router.get("/subjects/{subject_id}", response_model=ProjectedSubject)
async def get_subject(subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await handlers.get_subject(uow=rt.uow(actor=principal.username), subject_id=subject_id)
