"""One case: its encounters, searches, findings and the actions on it (the queue is `queue.py`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

FLAGS = ["fast-matcher", "derogatory", "protected-class", "not-sharable"]
REFUSALS = (400, 409, 413, 422)  # the API's words go back onto the case page, with what was typed
# PIA Appendix A: offered as suggestions; the cases service decides what it accepts.
SOURCE_SYSTEMS = ["IDENT-SIT", "ADIS", "TECS", "CIS", "PCQS", "EAGLE", "EARM", "CCD", "EOIR", "INTERPOL-EASF2"]
FINDING_KINDS = ["travel-history", "adverse-action", "fast-matcher-hit", "summary", "no-derogatory-information"]
# What each flag means for the person working the case, said plainly.
CAVEATS = {
    "protected-class": "Protected class: never shared unless the partner's agreement names this class.",
    "not-sharable": "Not sharable: withheld from every disclosure.",
    "fast-matcher": "Fast-matcher hit: confirm by examiner review before relying on it.",
    "derogatory": "Derogatory information: handle under the program's rules.",
    "withdrawn": "Withdrawn at its data owner's request: out of every later disclosure and report.",
}


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
    return await _page(request, session, case_id)


async def _page(
    request: Request, session: Any, case_id: uuid.UUID, *, status_code: int = 200, typed: dict[str, Any] | None = None
) -> HTMLResponse:
    """The case page; after a refused form, with the API's words and everything typed put back (`typed`:
    the form's name, its values and the error)."""
    api = Api(request, session)
    case = await _case(api, case_id)
    referrals = None  # the case's referrals and notices to data owners, for those who may read them
    if session.can("disclosure:read"):
        try:
            referrals = await api.get("/api/v1/disclosures/referrals", case=str(case_id))
        except ApiError:  # the case page stands without them while disclosure is away
            referrals = None
    disclosures = await _disclosures(api, session, case_id)
    encounters = sorted(case["encounters"], key=lambda e: str(e["fields"].get("encounter_date") or ""))
    done = [s["system"] for s in case["searches"]]
    checklist = [{"system": s, "done": True} for s in dict.fromkeys(done)] + [
        {"system": s, "done": False} for s in case["missing_searches"]
    ]
    assignees = await api.get(f"/api/v1/cases/{case_id}/assignees") if session.can("case:assign") else []
    return render(
        request,
        "case.html",
        status_code=status_code,
        title=f"Case {str(case_id)[:8]}",
        case=case,
        encounters=encounters,
        checklist=checklist,
        caveats=CAVEATS,
        systems=list(dict.fromkeys([*case["missing_searches"], *SOURCE_SYSTEMS])),
        finding_kinds=FINDING_KINDS,
        flags=FLAGS,
        assignees=[a["username"] for a in assignees],
        me=session.principal.username,
        typed=typed or {},
        referrals=referrals,
        disclosures=disclosures,
    )


async def _act(
    request: Request, session: Any, case_id: uuid.UUID, form_name: str, path: str, body: dict[str, Any], done: str
) -> Response:
    """One write of the case page: a refusal re-renders the page with the API's words and the form as typed."""
    try:
        await Api(request, session).post(path, body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        typed = {"form": form_name, "input": body, "error": exc.detail}
        return await _page(request, session, case_id, status_code=exc.status, typed=typed)
    return redirect(request, f"/cases/{case_id}", done)


@router.post("/cases/{case_id}/searches")
async def log_search(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"system": form.get("system", ""), "result": form.get("result", ""), "notes": form.get("notes", "")}
    path = f"/api/v1/cases/{case_id}/searches"
    return await _act(request, session, case_id, "search", path, body, "Search recorded.")


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
    path = f"/api/v1/cases/{case_id}/findings"
    return await _act(request, session, case_id, "finding", path, body, "Finding recorded.")


@router.post("/cases/{case_id}/status")
async def change_status(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"status": form.get("status", ""), "reason": form.get("reason") or None}
    return await _act(request, session, case_id, "status", f"/api/v1/cases/{case_id}/status", body, "Status changed.")


@router.post("/cases/{case_id}/assign")
async def assign(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"assignee": str(form.get("assignee", "")).strip()}
    return await _act(request, session, case_id, "assign", f"/api/v1/cases/{case_id}/assign", body, "Case assigned.")


@router.post("/cases/{case_id}/take")
async def take(case_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    return await _act(request, session, case_id, "assign", f"/api/v1/cases/{case_id}/take", {}, "The case is yours.")


@router.post("/cases/{case_id}/encounters/{encounter_id}/flags")
async def set_flag(case_id: uuid.UUID, encounter_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    flag = str(form.get("flag", ""))
    change: dict[str, Any] = {"set": form.get("set", "true") == "true", "reason": form.get("reason", "")}
    if form.get("description"):
        change["description"] = form.get("description")
    path = f"/api/v1/encounters/{encounter_id}/flags"
    return await submit(request, path, {flag: change}, method="PATCH", back_to=f"/cases/{case_id}", done="Flag saved.")
