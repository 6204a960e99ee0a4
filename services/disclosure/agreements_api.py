"""Agreements' HTTP API: admins change them (every change is a new version a privacy officer approves), their
recipients, and versions side by side."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, EmailStr, Field

from services.disclosure import agreements
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1", tags=["disclosure"])


class AgreementTerms(BaseModel):
    recipient_kind: Literal["foreign-partner", "dhs-component", "tsc", "dos", "usg-agency"] = Field(
        "foreign-partner", description="who the recipient organisation is; only a foreign partner names a country"
    )
    partner_country: str | None = Field(None, min_length=3, max_length=3, examples=["GRC"])
    partner_agency: str = Field(min_length=1, max_length=300, description="the recipient organisation")
    program: str = Field(description="the program whose cases it covers; '*' (every program) for a US recipient")
    data_owners: list[str] = Field(description="agencies whose encounters may be shared")
    ous: list[str] = Field(description="O/U/S prefixes whose encounters may be shared; '*' for any")
    fields: list[str] = Field(description="PIA 2.1 fields that may leave, plus 'findings'")
    di_categories: list[str] = []
    protected_classes: list[str] = Field([], description="empty: special protected classes are never shared")
    caveat: str = ""
    use_limits: str = Field("", max_length=2000, description="re-dissemination and use limits stated on every release")
    purposes: list[str]
    valid_from: date
    valid_to: date | None = None
    approvals_required: int = Field(
        1, ge=1, le=3, description="supervisors (never the drafter) who approve a response; at least 1, never off"
    )


class AgreementIn(AgreementTerms):
    name: str = Field(min_length=1, max_length=200)
    change_note: str = Field("created", max_length=2000)


class AgreementRevision(AgreementTerms):
    change_note: str = Field(min_length=1, max_length=2000)


class AgreementVersion(AgreementTerms):
    version: int
    change_note: str
    changed_by: str
    changed_at: datetime
    status: Literal["draft", "approved", "rejected", "retired"] = Field(
        description="only the approved version governs drafts and sends"
    )
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None


class RecipientIn(BaseModel):
    person: str = Field(min_length=1, max_length=300)
    email: EmailStr
    certificate_pem: str | None = Field(None, description="PEM X.509 certificate for S/MIME encryption")


class RecipientOut(BaseModel):
    id: uuid.UUID
    agreement_id: uuid.UUID
    person: str
    email: str
    has_certificate: bool
    created_at: datetime
    created_by: str
    retired_at: datetime | None = Field(None, description="set: never drafted for or sent to again")
    retired_by: str | None = None
    retired_reason: str | None = None


class AgreementOut(AgreementVersion):
    """The newest version (perhaps a draft awaiting review) and the number of the one in force."""

    id: uuid.UUID
    name: str
    created_at: datetime
    created_by: str
    approved_version: int | None = Field(description="the version in force; none until a privacy officer approves")


class AgreementDetail(AgreementOut):
    history: list[AgreementVersion]
    recipients: list[RecipientOut]


def _terms(body: AgreementTerms) -> dict[str, Any]:
    return body.model_dump(include=set(AgreementTerms.model_fields))


@router.post(
    "/agreements", status_code=201, response_model=AgreementDetail, tags=["agreements"], **secured("agreement:manage")
)
async def create_agreement(body: AgreementIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    agreement_id = await agreements.create_agreement(uow=uow, name=body.name, terms=_terms(body), note=body.change_note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


@router.get("/agreements", response_model=list[AgreementOut], tags=["agreements"], **secured("agreement:read"))
async def list_agreements(rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return await agreements.list_agreements(uow=rt.uow(actor=principal.username))


@router.get(
    "/agreements/{agreement_id}", response_model=AgreementDetail, tags=["agreements"], **secured("agreement:read")
)
async def get_agreement(agreement_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await agreements.get_agreement(uow=rt.uow(actor=principal.username), agreement_id=agreement_id)


@router.put(
    "/agreements/{agreement_id}", response_model=AgreementDetail, tags=["agreements"], **secured("agreement:manage")
)
async def revise_agreement(
    agreement_id: uuid.UUID, body: AgreementRevision, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A change never edits a version in place: it adds the next one."""
    uow = rt.uow(actor=principal.username)
    await agreements.revise_agreement(uow=uow, agreement_id=agreement_id, terms=_terms(body), note=body.change_note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


class Review(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="the privacy officer's reason")


@router.post(
    "/agreements/{agreement_id}/versions/{version}/approve",
    response_model=AgreementDetail,
    tags=["agreements"],
    **secured("agreement:approve"),
)
async def approve_version(
    agreement_id: uuid.UUID, version: int, body: Review, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A privacy officer (never the version's author) puts a draft version in force; the one before is retired."""
    uow = rt.uow(actor=principal.username)
    await agreements.review_version(uow=uow, agreement_id=agreement_id, version=version, approve=True, note=body.note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


@router.post(
    "/agreements/{agreement_id}/versions/{version}/reject",
    response_model=AgreementDetail,
    tags=["agreements"],
    **secured("agreement:approve"),
)
async def reject_version(
    agreement_id: uuid.UUID, version: int, body: Review, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A draft the privacy officer does not approve: kept with the reason, nothing in force changes."""
    uow = rt.uow(actor=principal.username)
    await agreements.review_version(uow=uow, agreement_id=agreement_id, version=version, approve=False, note=body.note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


class TermRow(BaseModel):
    term: str
    left: Any
    right: Any
    changed: bool


class VersionComparison(BaseModel):
    agreement_id: uuid.UUID
    left: AgreementVersion
    right: AgreementVersion
    terms: list[TermRow]


@router.get(
    "/agreements/{agreement_id}/compare",
    response_model=VersionComparison,
    tags=["agreements"],
    **secured("agreement:read"),
)
async def compare_versions(
    agreement_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    left: Annotated[int, Query(ge=1, le=1_000_000)],
    right: Annotated[int, Query(ge=1, le=1_000_000)],
) -> dict[str, Any]:
    """Two versions side by side, term by term (what a draft changes against the version in force)."""
    return await agreements.compare_versions(
        uow=rt.uow(actor=principal.username), agreement_id=agreement_id, left=left, right=right
    )


@router.post(
    "/agreements/{agreement_id}/recipients",
    status_code=201,
    response_model=RecipientOut,
    tags=["agreements"],
    **secured("agreement:manage"),
)
async def add_recipient(
    agreement_id: uuid.UUID, body: RecipientIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await agreements.add_recipient(
        uow=rt.uow(actor=principal.username),
        agreement_id=agreement_id,
        person=body.person,
        email=str(body.email),
        certificate_pem=body.certificate_pem,
    )


class RecipientRetirement(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why: left the agency, address changed, ...")


@router.post(
    "/agreements/{agreement_id}/recipients/{recipient_id}/retire",
    response_model=RecipientOut,
    tags=["agreements"],
    **secured("agreement:manage"),
)
async def retire_recipient(
    agreement_id: uuid.UUID,
    recipient_id: uuid.UUID,
    body: RecipientRetirement,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Kept (the accounting names who received what) but never drafted for or sent to again."""
    return await agreements.retire_recipient(
        uow=rt.uow(actor=principal.username), agreement_id=agreement_id, recipient_id=recipient_id, reason=body.reason
    )
