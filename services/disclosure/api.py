"""Disclosure HTTP API: drafts, their review and send, the accounting, notices, and the projection of cases
(agreements: agreements_api.py; referrals: referrals_api.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.disclosure import disclosures, mail, notices, projection, review
from shared import policy
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, audit_record, secured

router = APIRouter(prefix="/api/v1", tags=["disclosure"])


class ProjectedEncounter(BaseModel):
    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    program: str
    data_owner: str | None
    partner_country: str | None
    protected_class: str | None
    special_protected: bool
    projected_at: datetime
    flags: dict[str, Any] = Field(description="flags disclosure has heard of (not-sharable, protected-class, ...)")


class DraftIn(BaseModel):
    case_id: uuid.UUID
    recipient_id: uuid.UUID
    purpose: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=5000, description="covering note; it may not quote withheld information")
    matched: bool = Field(True, description="false: a no-match response (nothing about the case is released)")
    override_reason: str | None = Field(
        None, max_length=2000, description="supervisors: why a response is drafted before the case is ready"
    )
    repeat_reason: str | None = Field(
        None, max_length=2000, description="required when the case was already disclosed to this partner"
    )


class ReviewStep(BaseModel):
    step: Literal["review-requested", "approved", "sent-back", "discarded"]
    actor: str
    comment: str | None
    body_digest: str = Field(description="SHA-256 of the message body the step saw")
    at: datetime


class DraftOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    agreement_id: uuid.UUID
    agreement_version: int
    recipient_id: uuid.UUID
    purpose: str
    note: str
    released: dict[str, Any]
    withheld: list[dict[str, str]]
    body: str
    status: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    matched: bool
    readiness_override: dict[str, Any] | None = Field(None, description="reason, by, at, missing")
    repeat_reason: str | None
    approvals_required: int
    reviews: list[ReviewStep] = []


class CaseDisclosure(BaseModel):
    """One draft of a case as the case page lists it: its state, review and accounting."""

    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    matched: bool
    purpose: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    readiness_override: dict[str, Any] | None
    repeat_reason: str | None
    approvals_required: int
    agreement_id: uuid.UUID
    agreement_version: int
    recipient_person: str
    recipient_email: str
    accounting_id: uuid.UUID | None
    accounting_state: str | None
    reviews: list[ReviewStep]
    program: str | None = Field(None, description="the case's program (lists across cases)")


class SendBack(BaseModel):
    comment: str = Field(min_length=1, max_length=2000, description="what the drafter should change")


class AccountingOut(BaseModel):
    """A response or referral sent from a draft, or a notice a redress officer sent a system owner (no draft,
    recipient person or agreement: `referral_kind` redress-owner-notice)."""

    id: uuid.UUID
    draft_id: uuid.UUID | None
    case_id: uuid.UUID | None
    subject_id: uuid.UUID
    sent_at: datetime
    nature: str
    purpose: str
    recipient_id: uuid.UUID | None
    recipient_agency: str
    recipient_person: str | None
    recipient_email: str | None
    analyst: str
    agreement_id: uuid.UUID | None
    agreement_version: int | None
    matched: bool
    digest: str | None
    encounter_ids: list[uuid.UUID]
    fields: list[str]
    state: Literal["pending", "sent"] = Field(
        description="pending: accounted before the hand-off to the mail relay, not yet confirmed (it may have "
        "left; the service delivers it again with the same Message-ID); sent: the relay took it"
    )
    message_id: str | None = Field(None, description="Message-ID of the sealed message (a duplicate has the same)")
    message_digest: str | None = Field(None, description="SHA-256 of the sealed message as handed to the relay")
    delivered_at: datetime | None = None
    referral_kind: str | None = Field(
        None,
        description="set for a referral or notice (owner-referral, tsc-notice, dos-alert, ..., redress-owner-notice), "
        "an answer to a recipient's inaccuracy report (inaccuracy-answer) or an owner's report (owner-report); "
        "none: a response",
    )
    report_id: uuid.UUID | None = Field(None, description="an owner's report: the report this row itemises")
    redress_id: uuid.UUID | None = Field(None, description="a redress owner notice: its request")
    owner_notice_id: uuid.UUID | None = Field(None, description="a redress owner notice: the notice")
    repeat_reason: str | None = Field(None, description="why the case was disclosed again to the same partner")
    approved_by: list[str] | None = Field(None, description="the supervisors who approved what left")


@router.post(
    "/disclosures", status_code=201, response_model=DraftOut, tags=["disclosures"], **secured("disclosure:send")
)
async def draft(body: DraftIn, request: Request, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Draft a response to a partner: what will leave, and every withheld item with the rule that withheld it."""
    audit_record(request, "case", body.case_id)  # the case's trail shows its drafts from the first
    uow = rt.uow(actor=principal.username)
    draft_id = await disclosures.create_draft(
        uow=uow,
        cases=rt.internal["cases"],
        case_id=body.case_id,
        recipient_id=body.recipient_id,
        purpose=body.purpose,
        note=body.note,
        today=datetime.now(UTC).date(),
        matched=body.matched,
        override_reason=body.override_reason,
        may_override=policy.allows(principal, "disclosure:override"),
        repeat_reason=body.repeat_reason,
    )
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.get("/disclosures", response_model=list[CaseDisclosure], tags=["disclosures"], **secured("disclosure:read"))
async def case_disclosures(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    case: uuid.UUID | None = None,
    mine: Annotated[bool, Query(description="only drafts one made")] = False,
    status: Annotated[list[str] | None, Query(description="draft, in-review, approved, sent, discarded, ...")] = None,
    awaiting_review: Annotated[
        bool, Query(description="drafts in review one may approve: not one's own, not approved by one already")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """Every draft of a case (`case`), or, without one, the drafts of one's programs newest first: one's own,
    by state, or awaiting one's review; each with its review steps and whether (and how) it left."""
    uow = rt.uow(actor=principal.username)
    if case is not None:
        return await review.case_disclosures(uow=uow, case_id=case)
    return await review.worklist(
        uow=uow,
        mine=mine,
        statuses=status,
        awaiting_review=awaiting_review,
        may_approve=policy.allows(principal, "disclosure:approve"),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/disclosures/accounting", response_model=list[AccountingOut], tags=["disclosures"], **secured("accounting:read")
)
async def accounting(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    subject: uuid.UUID | None = None,
    recipient: uuid.UUID | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    """The accounting of disclosures: every disclosure about a person, or to a recipient over a period."""
    return await disclosures.accounting(
        uow=rt.uow(actor=principal.username), subject=subject, recipient=recipient, start=start, end=end
    )


class NoticeOut(BaseModel):
    correction_id: uuid.UUID
    accounting_id: uuid.UUID
    redress_id: uuid.UUID | None = Field(None, description="the redress request whose correction it was")
    report_id: uuid.UUID | None = Field(None, description="or the recipient's inaccuracy report it resolved")
    encounter_id: uuid.UUID
    field: str
    recipient_email: str
    recipient_agency: str
    disclosed_at: datetime
    listed_at: datetime


@router.get(
    "/disclosures/corrections", response_model=list[NoticeOut], tags=["disclosures"], **secured("disclosure:read")
)
async def corrections(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    encounter: uuid.UUID | None = None,
    redress: uuid.UUID | None = None,
    report: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Recipients who received data that a correction (redress's, or an inaccuracy report's) has since changed:
    they must be told."""
    return await notices.correction_notices(
        uow=rt.uow(actor=principal.username), encounter_id=encounter, redress_id=redress, report_id=report
    )


@router.get("/disclosures/notifications", tags=["disclosures"], **secured("disclosure:read"))
async def notifications(owner: str, rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Component notifications: what one data owner (USCIS, DOS, FBI-TSC, ...) is told about its encounters."""
    return await notices.notifications(uow=rt.uow(actor=principal.username), owner=owner)


@router.get("/disclosures/audit", tags=["disclosures"], **secured("disclosure:audit"))
async def audit(
    rt: RuntimeDep, principal: CurrentPrincipal, year: Annotated[int, Query(ge=2000, le=2100)]
) -> dict[str, Any]:
    """The annual sharing audit: every disclosure of the year checked against its agreement version."""
    return await disclosures.annual_audit(uow=rt.uow(actor=principal.username), year=year)


@router.get("/disclosures/{draft_id}", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:read"))
async def get_draft(draft_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await disclosures.get_draft(uow=rt.uow(actor=principal.username), draft_id=draft_id)


@router.post(
    "/disclosures/{draft_id}/review", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:send")
)
async def request_review(draft_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Ask a supervisor (not the drafter) to review exactly what will leave."""
    uow = rt.uow(actor=principal.username)
    await review.request_review(uow=uow, draft_id=draft_id)
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.post(
    "/disclosures/{draft_id}/approve", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:approve")
)
async def approve(draft_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The second person's approval of the stored body; never the drafter's."""
    uow = rt.uow(actor=principal.username)
    await review.approve(uow=uow, draft_id=draft_id, may_approve=policy.allows(principal, "disclosure:approve"))
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.post(
    "/disclosures/{draft_id}/send-back", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:approve")
)
async def send_back(draft_id: uuid.UUID, body: SendBack, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Return the draft to its drafter with a comment; approvals so far no longer count."""
    uow = rt.uow(actor=principal.username)
    await review.send_back(
        uow=uow, draft_id=draft_id, comment=body.comment, may_approve=policy.allows(principal, "disclosure:approve")
    )
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.post(
    "/disclosures/{draft_id}/discard", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:send")
)
async def discard(draft_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Discard a draft never sent for review: its drafter or a supervisor; it stays, marked, never sendable."""
    uow = rt.uow(actor=principal.username)
    await review.discard(uow=uow, draft_id=draft_id, is_supervisor=policy.allows(principal, "disclosure:approve"))
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.post(
    "/disclosures/{draft_id}/send", response_model=DraftOut, tags=["disclosures"], **secured("disclosure:send")
)
async def send(draft_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Seal the draft (signed by the office, encrypted to the recipient), account it, email it.

    The accounting is committed as pending before the relay sees the message and made sent after; a relay
    that refuses it is a 503 and the draft can be sent again."""
    s = rt.settings
    office = mail.office_from_files(*s.office_files(), s.office_email)
    uow = rt.uow(actor=principal.username)
    await disclosures.send(
        uow=uow,
        cases=rt.internal["cases"],
        draft_id=draft_id,
        office=office,
        smtp=(s.smtp_host, s.smtp_port),
        now=datetime.now(UTC),
        faults=s.faults(),
    )
    return await disclosures.get_draft(uow=uow, draft_id=draft_id)


@router.get(
    "/disclosures/subjects/{subject_id}/encounters",
    response_model=list[ProjectedEncounter],
    **secured("disclosure:read"),
)
async def subject_encounters(
    subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    return await projection.subject_encounters(uow=rt.uow(actor=principal.username), subject_id=subject_id)
