"""The case queue (filters, search, paging, a count) and one case (encounters, searches, findings, actions)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, render, submit

router = APIRouter()

STATUSES = ["new", "in-review", "findings-ready", "response-sent", "closed"]
FILTERS = ("status", "assignee", "program", "partner", "fin", "name", "dob", "transaction")
PAGE = 50
# PIA Appendix A: offered as suggestions; the cases service decides what it accepts.
SOURCE_SYSTEMS = ["IDENT-SIT", "ADIS", "TECS", "CIS", "PCQS", "EAGLE", "EARM", "CCD", "EOIR", "INTERPOL-EASF2"]
FINDING_KINDS = ["travel-history", "adverse-action", "fast-matcher-hit", "summary"]
# What each flag means for the person working the case, said plainly.
CAVEATS = {
    "protected-class": "Protected class: never shared unless the partner's agreement names this class.",
    "not-sharable": "Not sharable: withheld from every disclosure.",
    "fast-matcher": "Fast-matcher hit: confirm by examiner review before relying on it.",
    "derogatory": "Derogatory information: handle under the program's rules.",
}


def _filters(request: Request) -> dict[str, str]:
    return {k: v.strip() for k in FILTERS if (v := request.query_params.get(k, ""))}


@router.get("/cases")
async def queue(request: Request, session: SessionDep, cursor: str | None = None) -> HTMLResponse:
    """Renders one page of the queue; the count arrives after first paint (htmx), so the page stays fast."""
    filters = _filters(request)
    page = await Api(request, session).get("/api/v1/cases", **filters, cursor=cursor, limit=PAGE)
    programs = session.case_programs
    return render(
        request,
        "cases.html",
        title="Case queue",
        page=page,
        filters=filters,
        cursor=cursor,
        statuses=STATUSES,
        programs=programs,
        searching=bool({"name", "dob"} & filters.keys()),
    )


@router.get("/cases/count")
async def count(request: Request, session: SessionDep) -> HTMLResponse:
    """How many cases the filters find: the API's own count, so the queue and its count cannot disagree."""
    total = (await Api(request, session).get("/api/v1/cases/count", **_filters(request)))["total"]
    return render(request, "_count.html", total=total)


async def _case(api: Api, case_id: uuid.UUID) -> dict[str, Any]:
    return await api.get(f"/api/v1/cases/{case_id}")


async def _disclosures(api: Api, session: SessionDep, case_id: uuid.UUID) -> list[dict[str, Any]] | str:
    """The case's drafts, reviews and sends from disclosure; why not, in words, when they cannot be listed."""
    if not session.can("disclosure:read"):
        return []
    try:
        return list(await api.get("/api/v1/disclosures", case=str(case_id)))
    except ApiError as exc:
        if exc.status == 404:
            return []  # disclosure has not heard of the case yet: nothing drafted
        return f"disclosures cannot be listed now ({exc.detail})"


@router.get("/cases/{case_id}")
async def case_page(case_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    case = await _case(api, case_id)
    disclosures = await _disclosures(api, session, case_id)
    encounters = sorted(case["encounters"], key=lambda e: str(e["fields"].get("encounter_date") or ""))
    done = [s["system"] for s in case["searches"]]
    checklist = [{"system": s, "done": True} for s in dict.fromkeys(done)] + [
        {"system": s, "done": False} for s in case["missing_searches"]
    ]
    return render(
        request,
        "case.html",
        title=f"Case {str(case_id)[:8]}",
        case=case,
        encounters=encounters,
        checklist=checklist,
        caveats=CAVEATS,
        systems=list(dict.fromkeys([*case["missing_searches"], *SOURCE_SYSTEMS])),
        finding_kinds=FINDING_KINDS,
        statuses=STATUSES,
        disclosures=disclosures,
    )


async def _act(request: Request, case_id: uuid.UUID, path: str, body: dict[str, Any], done: str) -> Response:
    return await submit(request, path, body, back_to=f"/cases/{case_id}", done=done)


@router.post("/cases/{case_id}/searches")
async def log_search(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"system": form.get("system", ""), "result": form.get("result", ""), "notes": form.get("notes", "")}
    return await _act(request, case_id, f"/api/v1/cases/{case_id}/searches", body, "Search recorded.")


@router.post("/cases/{case_id}/findings")
async def record_finding(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "text": form.get("text", ""),
        "encounter_ids": form.getlist("encounter_ids"),
    }
    if form.get("accurate_as_of"):
        body["accurate_as_of"] = f"{form.get('accurate_as_of')}T00:00:00Z"
    return await _act(request, case_id, f"/api/v1/cases/{case_id}/findings", body, "Finding recorded.")


@router.post("/cases/{case_id}/status")
async def change_status(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"status": form.get("status", ""), "reason": form.get("reason") or None}
    return await _act(request, case_id, f"/api/v1/cases/{case_id}/status", body, "Status changed.")


@router.post("/cases/{case_id}/assign")
async def assign(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"assignee": form.get("assignee", "")}
    return await _act(request, case_id, f"/api/v1/cases/{case_id}/assign", body, "Case assigned.")


@router.post("/cases/{case_id}/encounters/{encounter_id}/flags")
async def set_flag(case_id: uuid.UUID, encounter_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    flag = str(form.get("flag", ""))
    change = {flag: {"set": form.get("set", "true") == "true", "reason": form.get("reason", "")}}
    path = f"/api/v1/encounters/{encounter_id}/flags"
    return await submit(request, path, change, method="PATCH", back_to=f"/cases/{case_id}", done="Flag saved.")
