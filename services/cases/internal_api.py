"""Cases' internal API (`/internal/v1`): personal data for other services, fetched when a user needs it.

Personal data is stored once, here. Disclosure asks for a case's current values when an analyst drafts or
sends a response; redress searches people here when an officer looks for a requester's records. Only the
`service` role may call these routes (a person's token gets 403), and the gateway does not forward them.
They are not program-scoped: the calling service applies its own user's visibility before it asks (disclosure
checks the case's program, redress needs REDRESS, whose officers search every program's records). Each call
is audited with the end user it was made for (`X-TRACS-On-Behalf-Of`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.cases import records, search
from shared.runtime import RuntimeDep
from shared.web import secured

router = APIRouter(prefix="/internal/v1", tags=["internal"])


@router.get("/cases/{case_id}/disclosure", **secured("case:disclose"))
async def disclosure_view(case_id: uuid.UUID, rt: RuntimeDep) -> dict[str, Any]:
    """What a response may be built from, as it is now: the case, its encounters with their current values
    (corrections applied) and flags, its findings with the encounters they are about, and the searches its
    program requires that are not recorded yet (disclosure's readiness gate)."""
    return await records.disclosure_view(uow=rt.uow(), case_id=case_id, required=rt.settings.required_searches)


@router.get("/people", **secured("person:search"))
async def search_people(
    rt: RuntimeDep,
    name: Annotated[str | None, Query(max_length=500)] = None,
    dob: Annotated[str | None, Query(max_length=10)] = None,
    document: Annotated[str | None, Query(max_length=64)] = None,
    fin: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Encounters of every program that may be about a person (name in any script, DOB of any precision,
    document, FIN), ranked as the case list ranks them, each with its names by field and why it matched."""
    return await search.search_people(uow=rt.uow(), name=name, dob=dob, document=document, fin=fin, limit=limit)


@router.get("/encounters/{encounter_id}", **secured("person:search"))
async def encounter_owner(encounter_id: uuid.UUID, rt: RuntimeDep) -> dict[str, Any]:
    """That a record exists, and whose it is (a correction is proposed to its data owner); no personal values."""
    return await records.encounter_owner(uow=rt.uow(), encounter_id=encounter_id)


@router.get("/subjects/{subject_id}", **secured("person:search"))
async def subject_exists(subject_id: uuid.UUID, rt: RuntimeDep) -> dict[str, Any]:
    """That a subject exists (redress re-links records to it), and its number of encounters; no personal values."""
    return await records.subject_exists(uow=rt.uow(), subject_id=subject_id)
