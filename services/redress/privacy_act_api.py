"""Privacy Act requests' HTTP API (`/api/v1/redress/privacy-act`): access and amendment requests, their queue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.redress import privacy_act
from services.redress.api import Requester
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/redress/privacy-act", tags=["privacy act"])


def _today(as_of: date | None = None) -> date:
    return as_of or datetime.now(UTC).date()


def _clocks(rt: RuntimeDep) -> privacy_act.Clocks:
    s = rt.settings
    return privacy_act.Clocks(
        access_days=s.privacy_act_access_days,
        amendment_ack_days=s.privacy_act_amendment_ack_days,
        amendment_days=s.privacy_act_amendment_days,
        appeal_days=s.privacy_act_appeal_days,
        holidays=tuple(s.holidays),
    )


class PrivacyActIn(BaseModel):
    kind: Literal["access", "amendment"]
    received_on: date
    requester: Requester
    records_sought: str = Field(min_length=1, max_length=5000, description="the records asked for or contested")
    contested_information: str | None = Field(None, max_length=5000)
    reason: str | None = Field(None, max_length=5000)
    proposed_amendment: str | None = Field(None, max_length=5000, description="amendment requests: PIA 7.2")


class PrivacyActOut(BaseModel):
    id: uuid.UUID
    kind: str
    requester: dict[str, Any]
    received_on: date
    due_on: date
    acknowledge_by: date | None
    records_sought: str
    contested_information: str | None
    reason: str | None
    proposed_amendment: str | None
    status: str
    exemption: str | None
    exemption_basis: str | None
    exemption_reviewed_by: str | None
    decision: str | None
    decision_reason: str | None
    decided_by: str | None
    response: dict[str, Any] | None
    responded_on: date | None
    appealed_on: date | None
    appeal_due_on: date | None
    appeal_reason: str | None
    appeal_decision: str | None
    appeal_decision_reason: str | None
    appeal_decided_by: str | None
    clock: str | None = Field(description="the clock that runs: request, appeal, or none")
    clock_due_on: date | None
    overdue: bool
    created_by: str
    created_at: datetime


class PrivacyActDetail(PrivacyActOut):
    timeline: list[dict[str, Any]]


class ExemptionIn(BaseModel):
    exemption: Literal["none", "(j)(2)", "(k)(2)"]
    basis: str = Field("", max_length=5000)


class DecisionIn(BaseModel):
    decision: Literal["granted", "partially-granted", "denied"]
    reason: str = Field("", max_length=5000)


class ResponseIn(BaseModel):
    channel: Literal["mail", "email", "fax"]
    sent_on: date
    note: str = Field("", max_length=5000)


class AppealIn(BaseModel):
    appealed_on: date
    reason: str = Field(min_length=1, max_length=5000)


class AppealDecisionIn(BaseModel):
    decision: Literal["upheld", "reversed", "partially-reversed"]
    reason: str = Field(min_length=1, max_length=5000)


async def _detail(rt: RuntimeDep, principal: CurrentPrincipal, request_id: uuid.UUID) -> dict[str, Any]:
    return await privacy_act.detail(uow=rt.uow(actor=principal.username), request_id=request_id, today=_today())


@router.post("", status_code=201, response_model=PrivacyActDetail, **secured("redress:work"))
async def receive(body: PrivacyActIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Enter an access or amendment request; its due date comes from the statute's clock."""
    request_id = await privacy_act.receive(
        uow=rt.uow(actor=principal.username), data=body.model_dump(), clocks=_clocks(rt), today=_today()
    )
    return await _detail(rt, principal, request_id)


@router.get("", response_model=list[PrivacyActOut], **secured("redress:read"))
async def queue(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    kind: Literal["access", "amendment"] | None = None,
    status: Literal["received", "decided", "responded", "appealed", "appeal-decided", "closed"] | None = None,
    overdue: bool = False,
    as_of: Annotated[date | None, Query(description="judge overdue as of this day (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """The queue, the clock that ends first on top."""
    return await privacy_act.queue(
        uow=rt.uow(actor=principal.username),
        kind=kind,
        status=status,
        overdue=overdue,
        today=_today(as_of),
        limit=limit,
        offset=offset,
    )


@router.get("/{request_id}", response_model=PrivacyActDetail, **secured("redress:read"))
async def get(request_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/exemption-review", response_model=PrivacyActDetail, **secured("redress:work"))
async def exemption(request_id: uuid.UUID, body: ExemptionIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """Whether an exemption under 552a(j)(2) or (k)(2) limits the answer, and its basis."""
    await privacy_act.review_exemption(uow=rt.uow(actor=principal.username), request_id=request_id, **body.model_dump())
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/decision", response_model=PrivacyActDetail, **secured("redress:work"))
async def decision(request_id: uuid.UUID, body: DecisionIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await privacy_act.decide(uow=rt.uow(actor=principal.username), request_id=request_id, **body.model_dump())
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/response", response_model=PrivacyActDetail, **secured("redress:work"))
async def response(request_id: uuid.UUID, body: ResponseIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await privacy_act.respond(uow=rt.uow(actor=principal.username), request_id=request_id, **body.model_dump())
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/appeal", response_model=PrivacyActDetail, **secured("redress:work"))
async def appeal(request_id: uuid.UUID, body: AppealIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """An appeal of an adverse determination; its own clock starts."""
    await privacy_act.appeal(
        uow=rt.uow(actor=principal.username),
        request_id=request_id,
        clocks=_clocks(rt),
        today=_today(),
        **body.model_dump(),
    )
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/appeal/decision", response_model=PrivacyActDetail, **secured("redress:work"))
async def appeal_decision(
    request_id: uuid.UUID, body: AppealDecisionIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> Any:
    await privacy_act.decide_appeal(uow=rt.uow(actor=principal.username), request_id=request_id, **body.model_dump())
    return await _detail(rt, principal, request_id)


@router.post("/{request_id}/close", response_model=PrivacyActDetail, **secured("redress:work"))
async def close(request_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await privacy_act.close(uow=rt.uow(actor=principal.username), request_id=request_id)
    return await _detail(rt, principal, request_id)
