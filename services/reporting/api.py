"""Reporting HTTP API: statistics only (DOSR, component report) and information bulletins."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from services.reporting import bulletins, exports, reports, stored
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1", tags=["reporting"])
Format = Literal["json", "csv", "xlsx", "pdf"]
From = Annotated[date, Query(alias="from", description="first day (inclusive)")]
To = Annotated[date, Query(alias="to", description="last day (inclusive)")]


def _respond(report: exports.Report, fmt: Format, name: str) -> Any:
    if fmt == "json":
        body = {"title": report.title, "subtitle": report.subtitle, **report.tables, "suppression": report.suppression}
        return Response(orjson.dumps(body), media_type="application/json")
    return Response(
        content=exports.render(report, fmt),
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _report_route(path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A report's route: every export format documented, readable with `report:read`."""
    formats = {200: {"content": {t: {} for t in exports.MEDIA_TYPES.values()}}}
    return router.get(path, responses=formats, **secured("report:read"))


async def _report(
    build: Callable[..., Awaitable[exports.Report]],
    name: str,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    start: date,
    end: date,
    fmt: Format,
) -> Any:
    """Build the report for the caller at the configured threshold and send it in the format asked for."""
    threshold = rt.settings.suppression_threshold
    report = await build(uow=rt.uow(actor=principal.username), start=start, end=end, threshold=threshold)
    return _respond(report, fmt, f"{name}-{start}-{end}")


@_report_route("/reports/dosr")
async def dosr(rt: RuntimeDep, principal: CurrentPrincipal, start: From, end: To, format: Format = "json") -> Any:
    """Director's Operations Status Report: subjects processed, matches, KST matches, no-matches, match rate,
    transactions per day and program, matches per partner (per week beyond 31 days), weekly totals. Small
    counts and their complements read "suppressed"; `suppression` lists them."""
    return await _report(reports.dosr, "dosr", rt, principal, start, end, format)


@_report_route("/reports/epr")
async def epr(rt: RuntimeDep, principal: CurrentPrincipal, start: From, end: To, format: Format = "json") -> Any:
    """Executive Performance Report: redress received, closed, backlog, processing times, share within SLA per
    month and quarter; disclosures and mean time from match to response."""
    return await _report(reports.epr, "epr", rt, principal, start, end, format)


@_report_route("/reports/components")
async def components(rt: RuntimeDep, principal: CurrentPrincipal, start: From, end: To, format: Format = "json") -> Any:
    """Component notification report: per data owner, its encounters matched by inbound partner queries."""
    return await _report(reports.components, "components", rt, principal, start, end, format)


class StoreIn(BaseModel):
    kind: Literal["dosr", "epr", "components"]
    start: date = Field(alias="from")
    end: date = Field(alias="to")


class StoredReport(BaseModel):
    id: uuid.UUID
    kind: str
    period_start: date
    period_end: date
    threshold: int
    generated_at: datetime
    generated_by: str


@router.post("/reports/stored", response_model=StoredReport, tags=["reports"], **secured("report:store"))
async def store_report(body: StoreIn, response: Response, rt: RuntimeDep, principal: CurrentPrincipal) -> Any:
    """Generate and keep a report now (the weekly DOSR and monthly EPR and component reports are also stored on
    schedule); a period stored before is answered as it was (200), never regenerated; a new one is 201."""
    kept, new = await stored.store(
        uow=rt.uow(actor=principal.username),
        kind=body.kind,
        start=body.start,
        end=body.end,
        threshold=rt.settings.suppression_threshold,
    )
    response.status_code = 201 if new else 200
    return kept


@router.get("/reports/stored", response_model=list[StoredReport], tags=["reports"], **secured("report:read"))
async def stored_reports(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    kind: Literal["dosr", "epr", "components"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Every stored report, newest period first."""
    return await stored.listing(uow=rt.uow(actor=principal.username), kind=kind, limit=limit)


@router.get(
    "/reports/stored/{report_id}",
    responses={200: {"content": {t: {} for t in (*exports.MEDIA_TYPES.values(), "application/json")}}},
    tags=["reports"],
    **secured("report:read"),
)
async def stored_report(
    report_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal, format: Format = "json"
) -> Response:
    """A stored report exactly as it was generated (the same bytes however often it is downloaded)."""
    listed, content = await stored.download(uow=rt.uow(actor=principal.username), report_id=report_id, fmt=format)
    name = f"{listed['kind']}-{listed['period_start']}-{listed['period_end']}"
    media = "application/json" if format == "json" else exports.MEDIA_TYPES[format]
    disposition = {} if format == "json" else {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    return Response(content=content, media_type=media, headers=disposition)


class BulletinIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=5000)
    case_summary: str = Field(min_length=1, max_length=20000)
    services_provided: str = Field(min_length=1, max_length=5000)
    outcome: str = Field("", max_length=5000)


class BulletinPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, min_length=1, max_length=5000)
    case_summary: str | None = Field(None, min_length=1, max_length=20000)
    services_provided: str | None = Field(None, min_length=1, max_length=5000)
    outcome: str | None = Field(None, max_length=5000)


class BulletinOut(BulletinIn):
    id: uuid.UUID
    author: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime
    updated_by: str
    sent_by: str | None = None
    approved_by: str | None = None


class BulletinIteration(BaseModel):
    bulletin_id: uuid.UUID
    iteration: int
    title: str
    description: str
    case_summary: str
    services_provided: str
    outcome: str
    written_by: str
    written_at: datetime


@router.post("/bulletins", status_code=201, response_model=BulletinOut, tags=["bulletins"], **secured("bulletin:write"))
async def create_bulletin(body: BulletinIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    bulletin_id = await bulletins.create_bulletin(uow=uow, fields=body.model_dump())
    return await bulletins.get_bulletin(uow=uow, bulletin_id=bulletin_id)


@router.get("/bulletins", response_model=list[BulletinOut], tags=["bulletins"], **secured("bulletin:read"))
async def list_bulletins(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    status: Literal["draft", "sent", "approved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    return await bulletins.list_bulletins(
        uow=rt.uow(actor=principal.username), status=status, limit=limit, offset=offset
    )


@router.get("/bulletins/{bulletin_id}", response_model=BulletinOut, tags=["bulletins"], **secured("bulletin:read"))
async def get_bulletin(bulletin_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await bulletins.get_bulletin(uow=rt.uow(actor=principal.username), bulletin_id=bulletin_id)


@router.get(
    "/bulletins/{bulletin_id}/iterations",
    response_model=list[BulletinIteration],
    tags=["bulletins"],
    **secured("bulletin:read"),
)
async def bulletin_iterations(bulletin_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict]:
    """Every iteration of a bulletin as it was written, first to last, with who wrote each and when."""
    return await bulletins.iterations(uow=rt.uow(actor=principal.username), bulletin_id=bulletin_id)


@router.patch("/bulletins/{bulletin_id}", response_model=BulletinOut, tags=["bulletins"], **secured("bulletin:write"))
async def edit_bulletin(
    bulletin_id: uuid.UUID, body: BulletinPatch, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    uow = rt.uow(actor=principal.username)
    await bulletins.edit_bulletin(uow=uow, bulletin_id=bulletin_id, fields=body.model_dump(exclude_none=True))
    return await bulletins.get_bulletin(uow=uow, bulletin_id=bulletin_id)


@router.delete("/bulletins/{bulletin_id}", status_code=204, tags=["bulletins"], **secured("bulletin:write"))
async def delete_bulletin(bulletin_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> Response:
    await bulletins.delete_bulletin(uow=rt.uow(actor=principal.username), bulletin_id=bulletin_id)
    return Response(status_code=204)


@router.post(
    "/bulletins/{bulletin_id}/{action}", response_model=BulletinOut, tags=["bulletins"], **secured("bulletin:write")
)
async def advance_bulletin(
    bulletin_id: uuid.UUID, action: Literal["send", "approve"], rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """`send` records it went to the Executive Secretariat; `approve` records the Secretariat's approval."""
    uow = rt.uow(actor=principal.username)
    await bulletins.advance_bulletin(uow=uow, bulletin_id=bulletin_id, action=action)
    return await bulletins.get_bulletin(uow=uow, bulletin_id=bulletin_id)
