"""Cases HTTP API (the skeleton: encounters and subjects; the cases issue adds the workbench)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.cases import handlers
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["cases"])


class EncounterOut(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    batch_id: uuid.UUID
    row_number: int
    program: str
    upload_kind: str
    fields: dict[str, Any]
    raw: dict[str, str]
    extra: dict[str, str]
    imported_by: str
    imported_at: datetime
    attached_at: datetime


class EncounterPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EncounterOut]


class SubjectOut(BaseModel):
    id: uuid.UUID
    fin: str | None
    partner_country: str | None
    partner_unique_id: str | None
    created_at: datetime
    encounter_count: int
    encounters: list[EncounterOut]


@router.get("/encounters", response_model=EncounterPage)
async def list_encounters(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    batch_id: uuid.UUID | None = None,
    fin: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    total, items = await handlers.list_encounters(
        uow=rt.uow(actor=principal.username),
        batch_id=batch_id,
        fin=fin,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/encounters/{encounter_id}", response_model=EncounterOut)
async def get_encounter(encounter_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await handlers.get_encounter(uow=rt.uow(actor=principal.username), encounter_id=encounter_id)


@router.get("/subjects/{subject_id}", response_model=SubjectOut)
async def get_subject(subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await handlers.get_subject(uow=rt.uow(actor=principal.username), subject_id=subject_id)
