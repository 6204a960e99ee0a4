"""Cases HTTP API, the case list: filters, search by name and DOB, sort, pages by cursor or offset, a count.
Registered before `api.router`, so `/cases/count` is never taken for a case id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.cases import search
from services.cases.api import CaseOut
from services.cases.search_rules import SORTS
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1", tags=["cases"])


class DobMatchOut(BaseModel):
    kind: str = Field(description="exact (same date, same precision) or partial (agrees as far as the less precise)")
    value: str
    precision: str | None


class MatchOut(BaseModel):
    """Why a case was found by a name or DOB search: its best-matching encounter."""

    kind: str | None = Field(None, description="exact, transliterated or fuzzy (ranked in that order)")
    rule: str | None = Field(None, description="same words, latin words, consonants or part of a word")
    field: str | None = Field(None, description="the name field that matched first: last_name, first_name, ...")
    fields: list[str] = []
    value: str | None = Field(None, description="that field's name as stored, in its own script")
    dob: DobMatchOut | None = None


class CaseListItem(CaseOut):
    fin: str | None = Field(None, description="the subject's FIN (else its first encounter's)")
    last_name: str | None = Field(None, description="as on the case's first encounter, in its own script")
    first_name: str | None = Field(None, description="as on the case's first encounter, in its own script")
    flags: list[str] = Field([], description="the flags on any encounter of the case (cleared ones left out)")
    match: MatchOut | None = Field(None, description="set when searching by name or DOB")


class CasePage(BaseModel):
    items: list[CaseListItem]
    next_cursor: str | None = Field(description="pass as ?cursor= (same sort) for the next page; null at the end")


def case_filters(
    status: str | None = None,
    program: str | None = None,
    partner: Annotated[str | None, Query(description="partner country, ISO alpha-3")] = None,
    assignee: str | None = None,
    fin: str | None = None,
    transaction: Annotated[str | None, Query(description="partner transaction number")] = None,
    name: Annotated[
        str | None,
        Query(
            description="any name or alias, in any script or in Latin letters, words in any order; case, accents "
            "and punctuation ignored; results ranked exact, transliterated, fuzzy, each with its match"
        ),
    ] = None,
    dob: Annotated[
        str | None,
        Query(description="YYYY, YYYY-MM or YYYY-MM-DD; also finds DOBs known less or more precisely, ranked after"),
    ] = None,
    subject: Annotated[uuid.UUID | None, Query(description="cases of one subject")] = None,
    flag: Annotated[
        str | None,
        Query(description="cases with an encounter flagged: not-sharable, protected-class, fast-matcher, derogatory"),
    ] = None,
    case: Annotated[
        str | None, Query(description="a case id, whole or its first 8 characters (the short id the console shows)")
    ] = None,
    batch: Annotated[uuid.UUID | None, Query(description="cases with an encounter imported by this batch")] = None,
) -> dict[str, Any]:
    """The queue's filters, shared by its pages and its count so the two can never disagree."""
    return {
        "flag": flag,
        "status": status,
        "program": program,
        "partner_country": partner,
        "assignee": assignee,
        "fin": fin,
        "partner_transaction_number": transaction,
        "name": name,
        "dob": dob,
        "subject_id": subject,
        "case": case,
        "batch_id": batch,
    }


CaseFilters = Annotated[dict[str, Any], Depends(case_filters)]


class CaseCount(BaseModel):
    total: int = Field(description="every case the filters find, across all pages")


@router.get("/cases", response_model=CasePage, **secured("case:read"))
async def list_cases(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    filters: CaseFilters,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Annotated[
        str | None,
        Query(
            description=f"one of {', '.join(SORTS)} ('-': descending; ties by opening time, then id, the same "
            "way); default opened (oldest first); not with name or dob, which list the best match first"
        ),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="skip this many cases (page numbers); not with a cursor")
    ] = 0,
) -> dict[str, Any]:
    return await search.list_cases(
        uow=rt.uow(actor=principal.username), filters=filters, cursor=cursor, limit=limit, sort=sort, offset=offset
    )


@router.get("/cases/count", response_model=CaseCount, **secured("case:read"))
async def count_cases(rt: RuntimeDep, principal: CurrentPrincipal, filters: CaseFilters) -> dict[str, Any]:
    """The exact size of a queue; a count and no case, so a tool can show it beside the pages."""
    return {"total": await search.count_cases(uow=rt.uow(actor=principal.username), filters=filters)}
