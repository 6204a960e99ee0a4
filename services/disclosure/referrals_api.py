"""Disclosure HTTP API of referrals and notices to the owners of the data, their replies and removal notices."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.disclosure import mail, notices, owner_reports, referrals
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, audit_record, secured

router = APIRouter(prefix="/api/v1/disclosures", tags=["referrals"])

Kind = Literal["owner-referral", "usg-dissemination", "tsc-notice", "dos-alert", "fast-matcher-removal"]


class ReferralIn(BaseModel):
    case_id: uuid.UUID
    kind: Kind
    recipient_id: uuid.UUID = Field(description="a recipient of an agreement of the kind's organisation")
    reason: str = Field(min_length=1, max_length=2000, description="why it is referred (kept with the record)")
    note: str = Field("", max_length=5000, description="covering note; it may not quote withheld information")
    reply_within_days: int | None = Field(None, ge=0, le=365, description="default: the kind's usual delay")


class DueDraftIn(BaseModel):
    recipient_id: uuid.UUID
    note: str = Field("", max_length=5000)


class ReplyIn(BaseModel):
    decision: Literal["acknowledged", "keep", "remove", "approved", "declined"]
    replied_on: date = Field(description="the day the owner's reply came")
    note: str = Field("", max_length=2000, description="what the owner said (no imported values)")


class ReferralOut(BaseModel):
    id: uuid.UUID
    kind: str
    case_id: uuid.UUID
    program: str
    encounter_ids: list[uuid.UUID]
    recipient_org: str
    recipient_id: uuid.UUID | None
    draft_id: uuid.UUID | None
    reason: str
    recipient_kinds: list[str] = Field(description="the kinds of recipient (agreement) this kind of referral may go to")
    status: Literal["due", "drafted", "sent", "replied"]
    created_at: datetime
    created_by: str
    accounting_id: uuid.UUID | None = Field(None, description="its row in the accounting of disclosures once sent")
    sent_at: datetime | None
    sent_by: str | None
    channel: str | None
    recipient_agency: str | None
    recipient_person: str | None
    reply_within_days: int
    reply_due_at: datetime | None
    overdue: bool
    reply_decision: str | None
    reply_note: str | None
    replied_on: date | None
    reply_recorded_by: str | None
    reply_recorded_at: datetime | None


class RemovalNoticeOut(BaseModel):
    encounter_id: uuid.UUID
    accounting_id: uuid.UUID
    referral_id: uuid.UUID | None
    requested_by: str
    reason: str
    recipient_email: str
    recipient_agency: str
    disclosed_at: datetime
    listed_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/referrals", status_code=201, response_model=ReferralOut, **secured("disclosure:send"))
async def refer(body: ReferralIn, request: Request, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Refer a case to a data owner, TSC, DOS or a USG agency: drafted under the recipient's agreement."""
    audit_record(request, "case", body.case_id)  # the case's trail shows its referrals from the first
    uow = rt.uow(actor=principal.username)
    referral_id = await referrals.refer(
        uow=uow,
        cases=rt.internal["cases"],
        case_id=body.case_id,
        kind=body.kind,
        recipient_id=body.recipient_id,
        reason=body.reason,
        note=body.note,
        reply_within_days=body.reply_within_days,
        today=_now().date(),
    )
    return await referrals.get_referral(uow=uow, referral_id=referral_id, now=_now())


@router.get("/referrals", response_model=list[ReferralOut], **secured("disclosure:read"))
async def list_referrals(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    case: uuid.UUID | None = None,
    organisation: str | None = None,
    awaiting: bool = False,
) -> list[dict[str, Any]]:
    """A case's referrals and notices, or (awaiting=true) the queue of replies awaited, overdue first."""
    return await referrals.list_referrals(
        uow=rt.uow(actor=principal.username), case_id=case, recipient_org=organisation, awaiting=awaiting, now=_now()
    )


@router.get("/referrals/{referral_id}", response_model=ReferralOut, **secured("disclosure:read"))
async def get_referral(referral_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await referrals.get_referral(uow=rt.uow(actor=principal.username), referral_id=referral_id, now=_now())


@router.post("/referrals/{referral_id}/draft", response_model=ReferralOut, **secured("disclosure:send"))
async def draft_due(
    referral_id: uuid.UUID, body: DueDraftIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Draft a notice a match made due (TSC's) for a recipient of its organisation."""
    uow = rt.uow(actor=principal.username)
    await referrals.draft_due(
        uow=uow,
        cases=rt.internal["cases"],
        referral_id=referral_id,
        recipient_id=body.recipient_id,
        note=body.note,
        today=_now().date(),
    )
    return await referrals.get_referral(uow=uow, referral_id=referral_id, now=_now())


@router.post("/referrals/{referral_id}/send", response_model=ReferralOut, **secured("disclosure:send"))
async def send(referral_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Send it as a response is sent: accounted as pending, handed to the relay, accounted as sent."""
    s = rt.settings
    uow = rt.uow(actor=principal.username)
    await referrals.send(
        uow=uow,
        cases=rt.internal["cases"],
        referral_id=referral_id,
        office=mail.office_from_files(*s.office_files(), s.office_email),
        smtp=(s.smtp_host, s.smtp_port),
        now=_now(),
        faults=s.faults(),
    )
    return await referrals.get_referral(uow=uow, referral_id=referral_id, now=_now())


@router.post("/referrals/{referral_id}/reply", response_model=ReferralOut, **secured("disclosure:send"))
async def reply(referral_id: uuid.UUID, body: ReplyIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Record the owner's reply; "remove" withdraws the encounters from sharing and reports (in cases)."""
    uow = rt.uow(actor=principal.username)
    await referrals.record_reply(
        uow=uow,
        referral_id=referral_id,
        decision=body.decision,
        note=body.note,
        replied_on=body.replied_on,
        today=_now().date(),
    )
    return await referrals.get_referral(uow=uow, referral_id=referral_id, now=_now())


@router.get("/removals", response_model=list[RemovalNoticeOut], **secured("disclosure:read"))
async def removals(rt: RuntimeDep, principal: CurrentPrincipal, encounter: uuid.UUID) -> list[dict[str, Any]]:
    """Past recipients of an encounter its owner had removed: they must be told, as of a correction."""
    return await notices.removal_notices(uow=rt.uow(actor=principal.username), encounter_id=encounter)


class OwnerReportItem(BaseModel):
    accounting_id: uuid.UUID
    sent_at: datetime
    state: str
    case_id: uuid.UUID
    program: str
    partner_country: str | None
    recipient_agency: str
    agreement_id: uuid.UUID
    agreement_version: int
    encounter_ids: list[uuid.UUID] = Field(description="the owner's encounters in that response, no others")


class OwnerReport(BaseModel):
    owner: str
    from_: date = Field(alias="from")
    to: date
    generated_at: datetime
    responses: int
    encounters_shared: int
    items: list[OwnerReportItem]


@router.get("/owner-report", response_model=OwnerReport, response_model_by_alias=True, **secured("disclosure:read"))
async def owner_report(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    owner: Annotated[str, Query(min_length=1, max_length=50, examples=["DOS"])],
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    """The report to a data owner (DOS, PIA 3.1) of its encounters subsequently shared with partners, itemised."""
    return await owner_reports.shared_report(uow=rt.uow(actor=principal.username), owner=owner, start=start, end=end)
