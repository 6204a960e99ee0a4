"""Cases HTTP API: the analyst's workbench (cases, encounters, flags, searches, findings, status)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field, computed_field

from services.cases import records, retention, workbench
from services.cases.retention_rules import describe as describe_rules
from services.cases.retention_rules import rules as rules_for
from shared import dob as dobs
from shared import policy
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1", tags=["cases"])


class FlagOut(BaseModel):
    flag: str
    value: dict[str, Any]
    reason: str
    set_by: str
    set_at: datetime


class RecordValueOut(BaseModel):
    """One value of the person's record: where it came from and whether it may be edited."""

    field: str
    label: str
    value: Any
    locked: bool = Field(description="imported fields are locked: only an accepted redress correction changes one")
    source: str = Field(description="file (as imported), correction (redress) or analyst (a flag set by hand)")
    column: str | None = Field(None, description="for a flag set on import: the file's column it came from")
    set_by: str | None = None


class EncounterOut(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    batch_id: uuid.UUID
    row_number: int
    program: str
    upload_kind: str
    fields: dict[str, Any]
    raw: dict[str, str]
    extra: dict[str, str]
    imported_by: str
    imported_at: datetime
    attached_at: datetime
    flags: list[FlagOut] = []
    record: list[RecordValueOut] = Field([], description="the person's record (case view only)")

    @computed_field(description="the date of birth as imported: YYYY, YYYY-MM or YYYY-MM-DD")  # type: ignore[prop-decorator]
    @property
    def dob(self) -> str | None:
        return self.fields.get("dob")

    @computed_field(description="year, month or day: how much of the date of birth is known")  # type: ignore[prop-decorator]
    @property
    def dob_precision(self) -> str | None:
        return self.fields.get("dob_precision") or dobs.precision(self.fields.get("dob"))


class EncounterPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EncounterOut]


class SubjectOut(BaseModel):
    id: uuid.UUID
    fin: str | None
    partner_country: str | None
    partner_unique_id: str | None
    created_at: datetime
    encounter_count: int
    encounters: list[EncounterOut]
    relinks: list[dict[str, Any]] = Field(
        [], description="re-links that moved encounters to or from this subject (redress), oldest first"
    )


class CaseOut(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    program: str
    upload_kind: str
    partner_country: str | None
    partner_unique_id: str | None
    partner_transaction_number: str | None
    search_code: str | None
    status: str
    assignee: str | None
    stale: bool
    findings_as_of: datetime | None
    opened_at: datetime
    in_review_at: datetime | None
    findings_ready_at: datetime | None
    response_sent_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    updated_by: str


class LinkedCaseOut(BaseModel):
    case_id: uuid.UUID
    kind: str = Field(description="follows (this extract follows that query) or followed-by")
    upload_kind: str
    status: str
    partner_transaction_number: str | None


class CaseDetail(CaseOut):
    encounters: list[EncounterOut]
    searches: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    missing_searches: list[str]
    new_encounters: list[dict[str, Any]]
    allowed_moves: list[str] = Field([], description="the statuses the caller may move the case to now")
    linked_cases: list[LinkedCaseOut] = Field(
        [], description="an extract request's query case (follows), or a query's extract requests (followed-by)"
    )


class AssigneeOut(BaseModel):
    username: str
    roles: list[str]


class SearchIn(BaseModel):
    system: str
    result: str = Field(description="hit, no-hit or not-authorized")
    notes: str = Field("", max_length=10000)


class FindingIn(BaseModel):
    kind: str = Field(
        description="adverse-action, travel-history, fast-matcher-hit, summary, or no-derogatory-information "
        "(the explicit finding that the searches found nothing adverse)"
    )
    text: str = Field(min_length=1, max_length=20000)
    accurate_as_of: datetime | None = None
    encounter_ids: list[uuid.UUID] = []


class StatusIn(BaseModel):
    status: str = Field(description="in-review, findings-ready, response-sent, closed (in-review again reopens)")
    reason: str | None = Field(None, max_length=2000)


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=200)


async def _view(rt: RuntimeDep, principal: CurrentPrincipal, case_id: uuid.UUID) -> dict[str, Any]:
    return await workbench.case_view(
        uow=rt.uow(actor=principal.username),
        case_id=case_id,
        required=rt.settings.required_searches,
        may_reopen=policy.allows(principal, "case:reopen"),
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, **secured("case:read"))
async def get_case(case_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _view(rt, principal, case_id)


@router.post("/cases/{case_id}/searches", response_model=CaseDetail, status_code=201, **secured("case:work"))
async def log_search(case_id: uuid.UUID, body: SearchIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await workbench.log_search(
        uow=rt.uow(actor=principal.username),
        case_id=case_id,
        system=body.system,
        result=body.result,
        notes=body.notes,
        catalogue=rt.settings.search_catalogue,
    )
    return await _view(rt, principal, case_id)


@router.post("/cases/{case_id}/findings", response_model=CaseDetail, status_code=201, **secured("case:work"))
async def record_finding(case_id: uuid.UUID, body: FindingIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await workbench.record_finding(
        uow=rt.uow(actor=principal.username),
        case_id=case_id,
        kind=body.kind,
        text=body.text,
        accurate_as_of=body.accurate_as_of,
        encounter_ids=body.encounter_ids,
    )
    return await _view(rt, principal, case_id)


@router.post("/cases/{case_id}/status", response_model=CaseDetail, **secured("case:work"))
async def change_status(case_id: uuid.UUID, body: StatusIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await workbench.change_status(
        uow=rt.uow(actor=principal.username),
        case_id=case_id,
        target=body.status,
        reason=body.reason,
        required=rt.settings.required_searches,
        may_reopen=policy.allows(principal, "case:reopen"),
    )
    return await _view(rt, principal, case_id)


@router.post("/cases/{case_id}/assign", response_model=CaseDetail, **secured("case:assign"))
async def assign(case_id: uuid.UUID, body: AssignIn, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    await workbench.assign(uow=rt.uow(actor=principal.username), case_id=case_id, assignee=body.assignee)
    return await _view(rt, principal, case_id)


@router.post("/cases/{case_id}/take", response_model=CaseDetail, **secured("case:take"))
async def take(case_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """Assign to me: an analyst or supervisor of the case's program takes an unassigned case."""
    await workbench.assign(
        uow=rt.uow(actor=principal.username), case_id=case_id, assignee=principal.username, taking=True
    )
    return await _view(rt, principal, case_id)


@router.get("/cases/{case_id}/assignees", response_model=list[AssigneeOut], **secured("case:assign"))
async def assignees(case_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Who the case may be given to: active analysts and supervisors of its program (as the gateway says)."""
    return await workbench.assignees(uow=rt.uow(actor=principal.username), case_id=case_id)


@router.patch("/encounters/{encounter_id}/flags", response_model=EncounterOut, **secured("case:work"))
async def set_flags(
    encounter_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    changes: Annotated[dict[str, Any], Body(examples=[{"not-sharable": {"set": True, "reason": "DOS data"}}])],
) -> Any:
    """Set flags (not-sharable, protected-class, fast-matcher, derogatory), each with a reason.
    Imported fields are locked: naming one is refused with 409 and audited."""
    await workbench.set_flags(
        uow=rt.uow(actor=principal.username),
        audit_uow=rt.uow(actor=principal.username, records_request=False),
        encounter_id=encounter_id,
        changes=changes,
    )
    return await records.get_encounter(uow=rt.uow(actor=principal.username), encounter_id=encounter_id)


@router.get("/encounters", response_model=EncounterPage, **secured("case:read"))
async def list_encounters(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    batch_id: uuid.UUID | None = None,
    fin: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    total, items = await records.list_encounters(
        uow=rt.uow(actor=principal.username),
        batch_id=batch_id,
        fin=fin,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/encounters/{encounter_id}", response_model=EncounterOut, **secured("case:read"))
async def get_encounter(encounter_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await records.get_encounter(uow=rt.uow(actor=principal.username), encounter_id=encounter_id)


@router.get("/subjects/{subject_id}", response_model=SubjectOut, **secured("case:read"))
async def get_subject(subject_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await records.get_subject(uow=rt.uow(actor=principal.username), subject_id=subject_id)


class HoldIn(BaseModel):
    subject_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    encounter_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=2000)


class HoldOut(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID | None
    case_id: uuid.UUID | None
    encounter_id: uuid.UUID | None = None
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    updated_at: datetime
    updated_by: str


@router.post("/holds", status_code=201, response_model=HoldOut, tags=["retention"], **secured("retention:manage"))
async def place_hold(body: HoldIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """A legal hold stops any purge of one subject (all their records), one case or one encounter, in every service
    that keeps records about it, until released."""
    uow = rt.uow(actor=principal.username)
    hold_id = await retention.place_hold(
        uow=uow, subject_id=body.subject_id, case_id=body.case_id, encounter_id=body.encounter_id, reason=body.reason
    )
    return await retention.get_hold(uow=uow, hold_id=hold_id)


@router.get("/holds", response_model=list[HoldOut], tags=["retention"], **secured("retention:manage"))
async def list_holds(rt: RuntimeDep, principal: CurrentPrincipal, active: bool = True) -> list[dict[str, Any]]:
    return await retention.holds(uow=rt.uow(actor=principal.username), active_only=active)


@router.get("/holds/{hold_id}", response_model=HoldOut, tags=["retention"], **secured("retention:manage"))
async def get_hold(hold_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await retention.get_hold(uow=rt.uow(actor=principal.username), hold_id=hold_id)


@router.post("/holds/{hold_id}/release", response_model=HoldOut, tags=["retention"], **secured("retention:manage"))
async def release_hold(hold_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    await retention.release_hold(uow=uow, hold_id=hold_id)
    return await retention.get_hold(uow=uow, hold_id=hold_id)


@router.get("/retention/rules", tags=["retention"], **secured("retention:manage"))
async def retention_rules(rt: RuntimeDep) -> dict[str, Any]:
    """Each record class's retention period and basis, as configured."""
    return describe_rules(rules_for(rt.settings.retention_years))


@router.post("/retention/run", tags=["retention"], **secured("retention:manage"))
async def retention_run(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    dry_run: Annotated[bool, Query(description="list what would go; change nothing")] = True,
    as_of: Annotated[datetime | None, Query(description="judge due-ness as of this instant (dry runs)")] = None,
) -> dict[str, Any]:
    """Purge every record whose retention period has run out (held ones spared); a dry run only lists them."""
    return await retention.run_on_request(
        uow=rt.uow(actor=principal.username),
        dry_run=dry_run,
        as_of=as_of,
        allow_as_of=rt.settings.retention_allow_as_of,
        rules=rules_for(rt.settings.retention_years),
    )
