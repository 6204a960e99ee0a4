"""Cases HTTP API, the case list: filters, search by name and DOB, sort, pages by cursor or offset, a count.
Registered before `api.router`, so `/cases/count` is never taken for a case id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
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


class CaseFilter(BaseModel):
    """The queue's filters, shared by its pages and its count so the two can never disagree. One model validated
    in one pass: a plain-function dependency of a dozen parameters cost a worker-thread hop on every lookup."""

    status: str | None = None
    program: str | None = None
    partner: str | None = Field(None, description="partner country, ISO alpha-3")
    assignee: str | None = None
    fin: str | None = None
    transaction: str | None = Field(None, description="partner transaction number")
    name: str | None = Field(
        None,
        description="any name or alias, in any script or in Latin letters, words in any order; case, accents "
        "and punctuation ignored; results ranked exact, transliterated, fuzzy, each with its match",
    )
    dob: str | None = Field(
        None, description="YYYY, YYYY-MM or YYYY-MM-DD; also finds DOBs known less or more precisely, ranked after"
    )
    subject: uuid.UUID | None = Field(None, description="cases of one subject")
    flag: str | None = Field(
        None, description="cases with an encounter flagged: not-sharable, protected-class, fast-matcher, derogatory"
    )
    case: str | None = Field(
        None, description="a case id, whole or its first 8 characters (the short id the console shows)"
    )
    batch: uuid.UUID | None = Field(None, description="cases with an encounter imported by this batch")

    def as_filters(self) -> dict[str, Any]:
        """The filters by the names of what they compare (cases' columns, the subject, the batch)."""
        return {
            "flag": self.flag,
            "status": self.status,
            "program": self.program,
            "partner_country": self.partner,
            "assignee": self.assignee,
            "fin": self.fin,
            "partner_transaction_number": self.transaction,
            "name": self.name,
            "dob": self.dob,
            "subject_id": self.subject,
            "case": self.case,
            "batch_id": self.batch,
        }


class CaseListQuery(CaseFilter):
    """A page of the queue: its filters, where it starts and how it is ordered."""

    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)
    sort: str | None = Field(
        None,
        description=f"one of {', '.join(SORTS)} ('-': descending; ties by opening time, then id, the same "
        "way); default opened (oldest first); not with name or dob, which list the best match first",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="skip this many cases (page numbers); not with a cursor")


class CaseCount(BaseModel):
    total: int = Field(description="every case the filters find, across all pages")


@router.get("/cases", response_model=CasePage, **secured("case:read"))
async def list_cases(
    rt: RuntimeDep, principal: CurrentPrincipal, query: Annotated[CaseListQuery, Query()]
) -> dict[str, Any]:
    return await search.list_cases(
        uow=rt.uow(actor=principal.username, read_only=True),
        filters=query.as_filters(),
        cursor=query.cursor,
        limit=query.limit,
        sort=query.sort,
        offset=query.offset,
    )


@router.get("/cases/count", response_model=CaseCount, **secured("case:read"))
async def count_cases(
    rt: RuntimeDep, principal: CurrentPrincipal, filters: Annotated[CaseFilter, Query()]
) -> dict[str, Any]:
    """The exact size of a queue; a count and no case, so a tool can show it beside the pages."""
    return {
        "total": await search.count_cases(
            uow=rt.uow(actor=principal.username, read_only=True), filters=filters.as_filters()
        )
    }
