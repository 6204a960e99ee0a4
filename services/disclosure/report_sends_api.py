"""Disclosure HTTP API of owners' reports sent as disclosures (DOS's report of its encounters shared)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.disclosure import mail, report_sends
from shared import policy
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/disclosures/owner-reports", tags=["owner reports"])


class ReportDraftIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    recipient_id: uuid.UUID = Field(description="a recipient of the owner's agreement (DOS, or a DHS Component)")
    start: date = Field(alias="from")
    end: date = Field(alias="to")


class SendBackIn(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class ReportItem(BaseModel):
    accounting_id: uuid.UUID
    sent_at: datetime
    case_id: uuid.UUID
    subject_id: uuid.UUID
    program: str
    partner_country: str | None
    partner_transaction_number: str | None
    recipient_agency: str
    encounter_ids: list[uuid.UUID] = Field(description="the owner's encounters in that response, none withdrawn")
    identifiers: dict[uuid.UUID, dict[str, str]] = Field(
        default_factory=dict,
        description="each encounter's EID, FIN and encounter date as cases held them when drafted, those the "
        "owner's agreement releases (none of a protected or not-sharable encounter); empty in a report drafted "
        "before identifiers were named",
    )


class ReportStep(BaseModel):
    step: Literal["review-requested", "approved", "sent-back"]
    actor: str
    comment: str | None
    body_digest: str
    at: datetime


class OwnerReportSendOut(BaseModel):
    id: uuid.UUID
    owner: str
    recipient_id: uuid.UUID
    agreement_id: uuid.UUID
    agreement_version: int
    period_from: date
    period_to: date
    items: list[ReportItem]
    body: str = Field(description="exactly what leaves, with the agreement's use and re-dissemination limits")
    status: str = Field(description="draft, in-review, approved, sending, sent")
    approvals_required: int
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    message_id: str | None
    failure: str | None
    reviews: list[ReportStep] = []


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("", status_code=201, response_model=OwnerReportSendOut, **secured("disclosure:send"))
async def draft(body: ReportDraftIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Draft the report of the owner's encounters shared in a period, from the accounting (frozen until sent)."""
    uow = rt.uow(actor=principal.username)
    report_id = await report_sends.draft(
        uow=uow,
        cases=rt.internal["cases"],
        recipient_id=body.recipient_id,
        start=body.start,
        end=body.end,
        today=_now().date(),
    )
    return await report_sends.get(uow=uow, report_id=report_id)


@router.get("", response_model=list[OwnerReportSendOut], **secured("disclosure:read"))
async def listed(rt: RuntimeDep, principal: CurrentPrincipal, owner: str | None = None) -> list[dict[str, Any]]:
    return await report_sends.listed(uow=rt.uow(actor=principal.username), owner=owner)


@router.get("/{report_id}", response_model=OwnerReportSendOut, **secured("disclosure:read"))
async def get(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await report_sends.get(uow=rt.uow(actor=principal.username), report_id=report_id)


@router.post("/{report_id}/review", response_model=OwnerReportSendOut, **secured("disclosure:send"))
async def request_review(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    await report_sends.request_review(uow=uow, report_id=report_id)
    return await report_sends.get(uow=uow, report_id=report_id)


@router.post("/{report_id}/approve", response_model=OwnerReportSendOut, **secured("disclosure:approve"))
async def approve(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """A supervisor other than the drafter approves exactly the stored body."""
    uow = rt.uow(actor=principal.username)
    await report_sends.approve(uow=uow, report_id=report_id, may_approve=policy.allows(principal, "disclosure:approve"))
    return await report_sends.get(uow=uow, report_id=report_id)


@router.post("/{report_id}/send-back", response_model=OwnerReportSendOut, **secured("disclosure:approve"))
async def send_back(
    report_id: uuid.UUID, body: SendBackIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    await report_sends.send_back(
        uow=uow, report_id=report_id, comment=body.comment, may_approve=policy.allows(principal, "disclosure:approve")
    )
    return await report_sends.get(uow=uow, report_id=report_id)


@router.post("/{report_id}/send", response_model=OwnerReportSendOut, **secured("disclosure:send"))
async def send(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Seal, account per subject as pending, hand to the relay, account as sent (the owner told of its own only)."""
    s = rt.settings
    uow = rt.uow(actor=principal.username)
    await report_sends.send(
        uow=uow,
        cases=rt.internal["cases"],
        report_id=report_id,
        office=mail.office_from_files(*s.office_files(), s.office_email),
        smtp=(s.smtp_host, s.smtp_port),
        now=_now(),
    )
    return await report_sends.get(uow=uow, report_id=report_id)
