"""Redress HTTP API: DHS TRIP and other redress requests from receipt to closure."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.redress import corrections, owner_notices, records, relinks, requests, search_log
from shared.errors import Invalid
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/redress", tags=["redress"])


def _today(as_of: date | None) -> date:
    return as_of or datetime.now(UTC).date()


class Requester(BaseModel):
    last_name: str = Field(min_length=1, max_length=200)
    first_name: str = Field("", max_length=200)
    dob: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    nationality: str | None = Field(None, max_length=3)
    document_number: str | None = Field(None, max_length=64)
    fin: str | None = Field(None, max_length=64)
    contact: str = Field("", max_length=500)


class RedressIn(BaseModel):
    source: Literal["TRIP", "non-TRIP"]
    trip_number: str | None = None
    channel: str | None = Field(None, description="non-TRIP only: mail, email, fax or agency-referral")
    sent_on: date
    received_on: date
    requester: Requester
    submitting_agency: str = Field(min_length=1, max_length=300)
    contested_information: str = Field(min_length=1, max_length=5000)
    reason: str = Field(min_length=1, max_length=5000)


class RedressOut(BaseModel):
    id: uuid.UUID
    source: str
    trip_number: str | None
    channel: str | None
    sent_on: date
    received_on: date
    due_on: date
    overdue: bool
    requester: dict[str, Any]
    submitting_agency: str
    contested_information: str
    reason: str
    status: str
    reviewers: list[str]
    determination: str | None
    response: dict[str, Any] | None
    first_action_at: datetime | None
    review_started_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None
    created_at: datetime
    created_by: str


class RedressDetail(RedressOut):
    timeline: list[dict[str, Any]]
    linked_records: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    corrections: list[dict[str, Any]]
    searches: list[dict[str, Any]] = Field(description="the search log: system, result, notes, who, when")
    missing_searches: list[str] = Field(description="searches the redress program requires, not yet logged")
    relinks: list[dict[str, Any]] = Field(description="records moved to their right subject (and undone)")
    owner_notices: list[dict[str, Any]] = Field(description="system owners told of a discrepancy, reply, decision")


class StatusIn(BaseModel):
    action: Literal["start-review", "resolve", "close", "reopen"]
    determination: Literal["corrected", "no-change-warranted", "referred"] | None = None
    reason: str | None = Field(None, max_length=2000)


class ResponseIn(BaseModel):
    kind: Literal["trip-findings", "individual", "agency"]
    channel: Literal["mail", "email", "fax"] | None = None
    sent_on: date
    note: str = Field("", max_length=5000)


class CorrectionIn(BaseModel):
    encounter_id: uuid.UUID
    field: str
    problem: str = Field(min_length=1, max_length=2000)
    proposed: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    decision: Literal["accepted", "declined"]


class ReviewerIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=200, description="OBIM reviewer")


class LinkIn(BaseModel):
    encounter_id: uuid.UUID
    note: str = Field("", max_length=2000)


class FindingIn(BaseModel):
    text: str = Field(min_length=1, max_length=10000)


async def _detail(rt: RuntimeDep, principal: CurrentPrincipal, redress_id: uuid.UUID) -> dict[str, Any]:
    return await requests.detail(
        uow=rt.uow(actor=principal.username),
        redress_id=redress_id,
        today=_today(None),
        required=rt.settings.required_searches,
    )


@router.post("", status_code=201, response_model=RedressDetail, **secured("redress:work"))
async def create(body: RedressIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    s = rt.settings
    sla = s.sla_days_trip if body.source == "TRIP" else s.sla_days_other
    data = body.model_dump()
    redress_id = await requests.create_request(
        uow=rt.uow(actor=principal.username), data=data, sla_days=sla, today=_today(None)
    )
    return await _detail(rt, principal, redress_id)


@router.get("", response_model=list[RedressOut], **secured("redress:read"))
async def listing(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    status: Literal["received", "under-review", "resolved", "closed"] | None = None,
    overdue: bool = False,
    as_of: Annotated[date | None, Query(description="judge overdue as of this day (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    encounter: Annotated[list[uuid.UUID] | None, Query(description="requests linked to these records")] = None,
) -> list[dict[str, Any]]:
    return await requests.listing(
        encounters=encounter,
        uow=rt.uow(actor=principal.username),
        status=status,
        overdue=overdue,
        today=_today(as_of),
        limit=limit,
        offset=offset,
    )


@router.get("/{redress_id}", response_model=RedressDetail, **secured("redress:read"))
async def get(redress_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/reviewers", response_model=RedressDetail, **secured("redress:assign"))
async def assign(redress_id: uuid.UUID, body: ReviewerIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await requests.assign_reviewer(
        uow=rt.uow(actor=principal.username), redress_id=redress_id, reviewer=body.reviewer.strip()
    )
    return await _detail(rt, principal, redress_id)


@router.get("/{redress_id}/candidates", **secured("redress:read"))
async def candidates(
    redress_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    name: str | None = None,
    dob: str | None = None,
    document: str | None = None,
    fin: str | None = None,
) -> list[dict[str, Any]]:
    """Imported records that may be about the requester, found by cases' search across every program."""
    return await records.candidates(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        name=name,
        dob=dob,
        document=document,
        fin=fin,
    )


@router.post("/{redress_id}/links", response_model=RedressDetail, **secured("redress:work"))
async def link(redress_id: uuid.UUID, body: dict[str, str], rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    try:
        encounter_id = uuid.UUID(body.get("encounter_id", ""))
    except ValueError as exc:
        raise Invalid("encounter_id must be the id of an imported record") from exc
    await records.link_record(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        encounter_id=encounter_id,
        note=body.get("note", ""),
    )
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/findings", response_model=RedressDetail, **secured("redress:work"))
async def finding(redress_id: uuid.UUID, body: FindingIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await records.record_finding(uow=rt.uow(actor=principal.username), redress_id=redress_id, text=body.text)
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/corrections", status_code=201, response_model=RedressDetail, **secured("redress:work"))
async def correction(redress_id: uuid.UUID, body: CorrectionIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await corrections.propose_correction(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        encounter_id=body.encounter_id,
        field=body.field,
        problem=body.problem,
        proposed=body.proposed,
    )
    return await _detail(rt, principal, redress_id)


@router.post(
    "/{redress_id}/corrections/{correction_id}/decision", response_model=RedressDetail, **secured("redress:work")
)
async def decision(
    redress_id: uuid.UUID, correction_id: uuid.UUID, body: DecisionIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> Any:
    await corrections.decide_correction(
        uow=rt.uow(actor=principal.username), redress_id=redress_id, correction_id=correction_id, decision=body.decision
    )
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/status", response_model=RedressDetail, **secured("redress:work"))
async def status(redress_id: uuid.UUID, body: StatusIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await requests.change_status(
        uow=rt.uow(actor=principal.username),
        redress_id=redress_id,
        required=rt.settings.required_searches,
        **body.model_dump(),
    )
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/response", response_model=RedressDetail, **secured("redress:work"))
async def response(redress_id: uuid.UUID, body: ResponseIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await requests.record_response(uow=rt.uow(actor=principal.username), redress_id=redress_id, **body.model_dump())
    return await _detail(rt, principal, redress_id)


class SearchIn(BaseModel):
    system: str = Field(min_length=1, max_length=100, description="a source system of the catalogue")
    result: Literal["hit", "no-hit", "not-authorized"]
    notes: str = Field("", max_length=5000)


@router.post("/{redress_id}/searches", status_code=201, response_model=RedressDetail, **secured("redress:work"))
async def search(redress_id: uuid.UUID, body: SearchIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """Log a search of one source system for the request (the program's required searches gate resolving)."""
    await search_log.log_search(
        uow=rt.uow(actor=principal.username),
        redress_id=redress_id,
        system=body.system,
        result=body.result,
        notes=body.notes,
        catalogue=rt.settings.search_catalogue,
    )
    return await _detail(rt, principal, redress_id)


class RelinkIn(BaseModel):
    encounter_ids: list[uuid.UUID] = Field(min_length=1, max_length=100, description="linked records to move")
    to_subject_id: uuid.UUID | None = Field(None, description="their right subject; empty: a new subject")
    reason: str = Field(min_length=1, max_length=5000)


class UndoIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


@router.post("/{redress_id}/relinks", status_code=201, response_model=RedressDetail, **secured("redress:work"))
async def relink(redress_id: uuid.UUID, body: RelinkIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """Move records wrongly linked to another person's record to their right subject (or a new one)."""
    await relinks.relink(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        encounter_ids=body.encounter_ids,
        to_subject_id=body.to_subject_id,
        reason=body.reason,
    )
    return await _detail(rt, principal, redress_id)


@router.post(
    "/{redress_id}/relinks/{relink_id}/undo", status_code=201, response_model=RedressDetail, **secured("redress:work")
)
async def undo_relink(
    redress_id: uuid.UUID, relink_id: uuid.UUID, body: UndoIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> Any:
    """Undo a re-link: another re-link moving the records back (nothing is deleted)."""
    await relinks.undo(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        relink_id=relink_id,
        reason=body.reason,
    )
    return await _detail(rt, principal, redress_id)


class NoticeIn(BaseModel):
    data_owner: str = Field(min_length=1, max_length=200, description="the system owner told")
    discrepancy: str = Field(min_length=1, max_length=5000)
    encounter_ids: list[uuid.UUID] = Field([], max_length=100, description="linked records the notice is about")
    channel: Literal["email", "mail", "fax", "phone", "system-ticket"]
    sent_on: date


class ReplyIn(BaseModel):
    reply: str = Field(min_length=1, max_length=5000)
    replied_on: date


class OwnerDecisionIn(BaseModel):
    decision: Literal["remove", "keep", "correct"]
    decided_by: str = Field(min_length=1, max_length=200, description="who decided at the system owner")


@router.post("/{redress_id}/owner-notices", status_code=201, response_model=RedressDetail, **secured("redress:work"))
async def owner_notice(redress_id: uuid.UUID, body: NoticeIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """The system owner was told of a discrepancy in its records (PIA 3.0)."""
    await owner_notices.record_notice(
        uow=rt.uow(actor=principal.username),
        cases=rt.internal["cases"],
        redress_id=redress_id,
        today=_today(None),
        **body.model_dump(),
    )
    return await _detail(rt, principal, redress_id)


@router.post("/{redress_id}/owner-notices/{notice_id}/reply", response_model=RedressDetail, **secured("redress:work"))
async def owner_reply(
    redress_id: uuid.UUID, notice_id: uuid.UUID, body: ReplyIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> Any:
    await owner_notices.record_reply(
        uow=rt.uow(actor=principal.username),
        redress_id=redress_id,
        notice_id=notice_id,
        today=_today(None),
        **body.model_dump(),
    )
    return await _detail(rt, principal, redress_id)


@router.post(
    "/{redress_id}/owner-notices/{notice_id}/decision", response_model=RedressDetail, **secured("redress:work")
)
async def owner_decision(
    redress_id: uuid.UUID, notice_id: uuid.UUID, body: OwnerDecisionIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> Any:
    await owner_notices.record_decision(
        uow=rt.uow(actor=principal.username), redress_id=redress_id, notice_id=notice_id, **body.model_dump()
    )
    return await _detail(rt, principal, redress_id)
