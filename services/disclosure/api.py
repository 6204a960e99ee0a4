"""Disclosure HTTP API: agreements (admins change them; every change is a new version) and projections."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field

from services.disclosure import agreements, handlers
from shared.auth import Principal
from shared.errors import Forbidden
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["disclosure"])


def _admin(principal: Principal) -> None:
    if not principal.has_role("admin"):
        raise Forbidden("only administrators change agreements and recipients")


class AgreementTerms(BaseModel):
    partner_country: str = Field(min_length=3, max_length=3, examples=["GRC"])
    partner_agency: str = Field(min_length=1, max_length=300)
    program: str
    data_owners: list[str] = Field(description="agencies whose encounters may be shared")
    ous: list[str] = Field(description="O/U/S prefixes whose encounters may be shared; '*' for any")
    fields: list[str] = Field(description="PIA 2.1 fields that may leave, plus 'findings'")
    di_categories: list[str] = []
    protected_classes: list[str] = Field([], description="empty: special protected classes are never shared")
    caveat: str = ""
    purposes: list[str]
    valid_from: date
    valid_to: date | None = None


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


class AgreementOut(AgreementVersion):
    id: uuid.UUID
    name: str
    created_at: datetime
    created_by: str


class AgreementDetail(AgreementOut):
    history: list[AgreementVersion]
    recipients: list[RecipientOut]


class ProjectedEncounter(BaseModel):
    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    program: str
    data_owner: str | None
    partner_country: str | None
    protected_class: str | None
    special_protected: bool
    projected_at: datetime


def _terms(body: AgreementTerms) -> dict[str, Any]:
    return body.model_dump(include=set(AgreementTerms.model_fields))


@router.post("/agreements", status_code=201, response_model=AgreementDetail, tags=["agreements"])
async def create_agreement(body: AgreementIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    _admin(principal)
    uow = rt.uow(actor=principal.username)
    agreement_id = await agreements.create_agreement(uow=uow, name=body.name, terms=_terms(body), note=body.change_note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


@router.get("/agreements", response_model=list[AgreementOut], tags=["agreements"])
async def list_agreements(rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return await agreements.list_agreements(uow=rt.uow(actor=principal.username))


@router.get("/agreements/{agreement_id}", response_model=AgreementDetail, tags=["agreements"])
async def get_agreement(agreement_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await agreements.get_agreement(uow=rt.uow(actor=principal.username), agreement_id=agreement_id)


@router.put("/agreements/{agreement_id}", response_model=AgreementDetail, tags=["agreements"])
async def revise_agreement(
    agreement_id: uuid.UUID, body: AgreementRevision, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A change never edits a version in place: it adds the next one."""
    _admin(principal)
    uow = rt.uow(actor=principal.username)
    await agreements.revise_agreement(uow=uow, agreement_id=agreement_id, terms=_terms(body), note=body.change_note)
    return await agreements.get_agreement(uow=uow, agreement_id=agreement_id)


@router.post("/agreements/{agreement_id}/recipients", status_code=201, response_model=RecipientOut, tags=["agreements"])
async def add_recipient(
    agreement_id: uuid.UUID, body: RecipientIn, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    _admin(principal)
    return await agreements.add_recipient(
        uow=rt.uow(actor=principal.username),
        agreement_id=agreement_id,
        person=body.person,
        email=str(body.email),
        certificate_pem=body.certificate_pem,
    )


@router.get("/disclosures/subjects/{subject_id}/encounters", response_model=list[ProjectedEncounter])
async def subject_encounters(
    subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    return await handlers.subject_encounters(uow=rt.uow(actor=principal.username), subject_id=subject_id)
