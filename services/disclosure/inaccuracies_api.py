"""Disclosure HTTP API of a recipient's reports of possible inaccuracies: record, resolve, answer, the open queue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.disclosure import inaccuracies, mail
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/disclosures/inaccuracies", tags=["inaccuracies"])


class ReportIn(BaseModel):
    accounting_id: uuid.UUID = Field(description="the disclosure (its accounting row) the recipient says is wrong")
    encounter_id: uuid.UUID = Field(description="the encounter of that disclosure the report is about")
    recipient_id: uuid.UUID | None = Field(
        None, description="who reported, a recipient of the same agreement; default: the disclosure's recipient"
    )
    field: str | None = Field(None, max_length=100, description="the released field they say is wrong, if named")
    description: str = Field(min_length=1, max_length=5000, description="what they say is wrong, in their words")
    received_on: date = Field(description="the day the report came")


class ResolveIn(BaseModel):
    resolution: Literal["correction", "no-change"]
    note: str = Field(min_length=1, max_length=2000, description="the data owner's answer, or why nothing changes")
    field: str | None = Field(None, max_length=100, description="correction: the encounter field the owner corrected")
    corrected_value: str | None = Field(None, max_length=500, description="correction: the value the owner confirmed")
    data_owner: str | None = Field(
        None, max_length=50, description="correction: who confirmed it; default: the encounter's data owner"
    )


class AnswerIn(BaseModel):
    note: str = Field("", max_length=5000, description="added to the answer; it may not quote withheld information")


class InaccuracyOut(BaseModel):
    id: uuid.UUID
    status: Literal["received", "correcting", "resolved", "answer-drafted", "answered"]
    accounting_id: uuid.UUID
    case_id: uuid.UUID
    program: str
    subject_id: uuid.UUID
    encounter_id: uuid.UUID
    recipient_id: uuid.UUID
    agreement_id: uuid.UUID
    recipient_agency: str
    field: str | None
    description: str
    received_on: date
    recorded_by: str
    recorded_at: datetime
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    correction_id: uuid.UUID | None
    corrected_field: str | None
    data_owner: str | None
    correction_applied_at: datetime | None
    answer_draft_id: uuid.UUID | None
    answer_status: str | None = Field(None, description="the answer draft's status (draft, in-review, approved, ...)")
    answer_accounting_id: uuid.UUID | None = Field(None, description="the answer's row in the accounting, once sent")
    answered_at: datetime | None
    answered_by: str | None


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("", status_code=201, response_model=InaccuracyOut, **secured("disclosure:send"))
async def record(body: ReportIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Record a recipient's report that something a disclosure carried may be wrong."""
    uow = rt.uow(actor=principal.username)
    report_id = await inaccuracies.record(
        uow=uow,
        accounting_id=body.accounting_id,
        encounter_id=body.encounter_id,
        recipient_id=body.recipient_id,
        field=body.field,
        description=body.description,
        received_on=body.received_on,
        today=_now().date(),
    )
    return await inaccuracies.get_report(uow=uow, report_id=report_id)


@router.get("", response_model=list[InaccuracyOut], **secured("disclosure:read"))
async def listed(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    case: uuid.UUID | None = None,
    encounter: uuid.UUID | None = None,
    open: bool = False,
) -> list[dict[str, Any]]:
    """A case's or an encounter's reports, or (open=true) the queue of reports not yet answered."""
    return await inaccuracies.list_reports(
        uow=rt.uow(actor=principal.username), case_id=case, encounter_id=encounter, open_only=open
    )


@router.get("/{report_id}", response_model=InaccuracyOut, **secured("disclosure:read"))
async def get(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await inaccuracies.get_report(uow=rt.uow(actor=principal.username), report_id=report_id)


@router.post("/{report_id}/resolve", response_model=InaccuracyOut, **secured("disclosure:send"))
async def resolve(report_id: uuid.UUID, body: ResolveIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Resolve it: a correction the data owner confirmed (applied in cases, listed for past recipients), or no
    change with its reason."""
    uow = rt.uow(actor=principal.username)
    await inaccuracies.resolve(
        uow=uow,
        report_id=report_id,
        resolution=body.resolution,
        note=body.note,
        field=body.field,
        corrected_value=body.corrected_value,
        data_owner=body.data_owner,
        now=_now(),
    )
    return await inaccuracies.get_report(uow=uow, report_id=report_id)


@router.post("/{report_id}/answer", response_model=InaccuracyOut, **secured("disclosure:send"))
async def answer(report_id: uuid.UUID, body: AnswerIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Draft the answer to the recipient under its agreement; a supervisor reviews it as any draft."""
    uow = rt.uow(actor=principal.username)
    await inaccuracies.draft_answer(
        uow=uow, cases=rt.internal["cases"], report_id=report_id, note=body.note, today=_now().date()
    )
    return await inaccuracies.get_report(uow=uow, report_id=report_id)


@router.post("/{report_id}/send", response_model=InaccuracyOut, **secured("disclosure:send"))
async def send(report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Send the approved answer as any disclosure is sent: accounted as pending, handed to the relay, sent."""
    s = rt.settings
    uow = rt.uow(actor=principal.username)
    await inaccuracies.send_answer(
        uow=uow,
        cases=rt.internal["cases"],
        report_id=report_id,
        office=mail.office_from_files(*s.office_files(), s.office_email),
        smtp=(s.smtp_host, s.smtp_port),
        now=_now(),
        faults=s.faults(),
    )
    return await inaccuracies.get_report(uow=uow, report_id=report_id)
