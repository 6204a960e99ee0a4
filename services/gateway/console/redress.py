"""Redress: open a request, find and link records, findings and corrections, resolve and respond; overdue."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit
from services.gateway.console.worklists import PAGE, page_of, pager

router = APIRouter()

STATUSES = ["received", "under-review", "resolved", "closed"]
DETERMINATIONS = ["corrected", "no-change-warranted", "referred"]
RESPONSE_KINDS = ["trip-findings", "individual", "agency"]
CORRECTABLE = ["dob", "last_name", "first_name", "gender", "nationality", "country_of_birth", "passport_number"]
SEARCH_SYSTEMS = ["IDENT-SIT", "ADIS", "TECS", "CIS", "PCQS", "EAGLE", "EARM", "CCD", "EOIR", "INTERPOL-EASF2"]
SEARCH_RESULTS = ["hit", "no-hit", "not-authorized"]
NOTICE_CHANNELS = ["email", "mail", "fax", "phone", "system-ticket"]
OWNER_DECISIONS = ["remove", "keep", "correct"]
REFUSALS = (400, 409, 413, 415, 422)


@router.get("/redress")
async def listing(request: Request, session: SessionDep, status: str = "", overdue: bool = False) -> HTMLResponse:
    """Requests by state (due soonest first), a page at a time; the state, "overdue" and the page in the address."""
    number = page_of(request.query_params.get("page"))
    items = await Api(request, session).get(
        "/api/v1/redress",
        status=status or None,
        overdue=overdue or None,
        limit=PAGE + 1,
        offset=(number - 1) * PAGE,
    )
    filters = {k: v for k, v in (("status", status), ("overdue", "true" if overdue else "")) if v}
    return render(
        request,
        "redress_list.html",
        title="Overdue redress" if overdue else "Redress",
        items=items[:PAGE],
        chosen=status,
        overdue=overdue,
        statuses=STATUSES,
        pager=pager("/redress", filters, number, has_next=len(items) > PAGE),
    )


@router.get("/redress/new")
async def new_form(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "redress_new.html", title="Open a redress request", typed={})


@router.post("/redress")
async def create(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    text = {k: str(form.get(k) or "").strip() for k in form if k != "csrf_token"}
    requester = {
        k: text.get(f"requester_{k}") or None
        for k in ("last_name", "first_name", "dob", "nationality", "document_number", "fin", "contact")
    }
    requester["first_name"] = requester["first_name"] or ""
    requester["contact"] = requester["contact"] or ""
    body: dict[str, Any] = {
        "source": text.get("source", "TRIP"),
        "trip_number": text.get("trip_number") or None,
        "channel": text.get("channel") or None,
        "sent_on": text.get("sent_on"),
        "received_on": text.get("received_on"),
        "submitting_agency": text.get("submitting_agency"),
        "contested_information": text.get("contested_information"),
        "reason": text.get("reason"),
        "requester": requester,
    }
    try:
        created = await Api(request, session).post("/api/v1/redress", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        # The refusal comes back on the form with everything typed, so nothing has to be typed twice.
        return render(
            request,
            "redress_new.html",
            status_code=exc.status,
            title="Open a redress request",
            typed=text,
            error=exc.detail,
        )
    return redirect(request, f"/redress/{created['id']}", "Request opened.")


@router.get("/redress/{redress_id}")
async def detail(redress_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    return await _page(redress_id, request, session)


async def _page(
    redress_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    *,
    relink_form: dict[str, Any] | None = None,
    relink_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The request's page; a refused re-link comes back on it with what was typed and the API's words."""
    api = Api(request, session)
    item = await api.get(f"/api/v1/redress/{redress_id}")
    search = {k: request.query_params.get(k, "").strip() for k in ("name", "dob", "document", "fin")}
    candidates = None
    if any(search.values()):
        candidates = await api.get(f"/api/v1/redress/{redress_id}/candidates", **search)
    linked = [str(link.get("encounter_id")) for link in item["linked_records"]]
    records = await asyncio.gather(*(linked_record(api, link) for link in item["linked_records"]))
    notices = []
    if item.get("relinks") and session.can("disclosure:read"):
        try:
            notices = await api.get("/api/v1/disclosures/corrections", redress=str(redress_id))
        except ApiError:
            notices = []  # the recipients stay listed in disclosure; this page only shows them when it may
    return render(
        request,
        "redress.html",
        status_code=status_code,
        title=f"Redress {item.get('trip_number') or str(redress_id)[:8]}",
        relink_form=relink_form or {"encounter_ids": [], "to_subject_id": "", "reason": ""},
        relink_error=relink_error,
        relink_notices=[n for n in notices if n["field"] == "subject"],
        search_systems=SEARCH_SYSTEMS,
        search_results=SEARCH_RESULTS,
        notice_channels=NOTICE_CHANNELS,
        owner_decisions=OWNER_DECISIONS,
        item=item,
        search=search,
        candidates=candidates,
        linked=linked,
        records=records,
        determinations=DETERMINATIONS,
        response_kinds=RESPONSE_KINDS,
        correctable=CORRECTABLE,
    )


async def linked_record(api: Api, link: dict[str, Any]) -> dict[str, Any]:
    """A linked record as redress gives it, with its encounter and case from cases' API where the user may read
    them; a record the user may not read (or cases cannot answer) says so in the API's words instead."""
    record: dict[str, Any] = {"link": link, "encounter": None, "case": None, "refused": None}
    try:
        encounter = await api.get(f"/api/v1/encounters/{link['encounter_id']}")
        record["encounter"] = encounter
        record["case"] = await _case_of(api, encounter)
    except ApiError as exc:
        record["refused"] = exc
    return record


async def _case_of(api: Api, encounter: dict[str, Any]) -> dict[str, Any] | None:
    """The case holding the encounter: the subject's case of that program (if there are several, the one whose
    encounters include it)."""
    page = await api.get("/api/v1/cases", subject=encounter["subject_id"], program=encounter["program"], limit=20)
    cases = page["items"]
    if len(cases) <= 1:
        return cases[0] if cases else None
    for case in cases:
        full = await api.get(f"/api/v1/cases/{case['id']}")
        if any(str(e["id"]) == str(encounter["id"]) for e in full["encounters"]):
            return case
    return None


async def _act(request: Request, redress_id: uuid.UUID, path: str, body: dict[str, Any], done: str) -> Response:
    url = f"/redress/{redress_id}"
    return await submit(request, f"/api/v1{url}{path}", body, back_to=url, done=done)


@router.post("/redress/{redress_id}/links")
async def link(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"encounter_id": str(form.get("encounter_id") or ""), "note": str(form.get("note") or "")}
    return await _act(request, redress_id, "/links", body, "Record linked.")


@router.post("/redress/{redress_id}/findings")
async def finding(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    return await _act(request, redress_id, "/findings", {"text": str(form.get("text") or "")}, "Finding recorded.")


@router.post("/redress/{redress_id}/corrections")
async def correction(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {k: str(form.get(k) or "") for k in ("encounter_id", "field", "problem", "proposed")}
    return await _act(request, redress_id, "/corrections", body, "Correction proposed to the data owner.")


@router.post("/redress/{redress_id}/corrections/{correction_id}/decision")
async def decision(redress_id: uuid.UUID, correction_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"decision": str(form.get("decision") or "")}
    return await _act(request, redress_id, f"/corrections/{correction_id}/decision", body, "Decision recorded.")


@router.post("/redress/{redress_id}/reviewers")
async def reviewer(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    return await _act(
        request, redress_id, "/reviewers", {"reviewer": str(form.get("reviewer") or "")}, "Reviewer assigned."
    )


@router.post("/redress/{redress_id}/status")
async def status(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {
        "action": str(form.get("action") or ""),
        "determination": form.get("determination") or None,
        "reason": form.get("reason") or None,
    }
    return await _act(request, redress_id, "/status", body, "Status changed.")


@router.post("/redress/{redress_id}/response")
async def respond(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {
        "kind": str(form.get("kind") or ""),
        "channel": form.get("channel") or None,
        "sent_on": str(form.get("sent_on") or ""),
        "note": str(form.get("note") or ""),
    }
    return await _act(request, redress_id, "/response", body, "Response recorded.")


@router.post("/redress/{redress_id}/searches")
async def search(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {k: str(form.get(k) or "") for k in ("system", "result", "notes")}
    return await _act(request, redress_id, "/searches", body, "Search logged.")


@router.post("/redress/{redress_id}/relinks")
async def relink(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """Move the chosen linked records to their right subject (blank: a new subject); a refusal keeps the form."""
    form = await form_with_csrf(request)
    typed = {
        "encounter_ids": [str(v) for v in form.getlist("encounter_ids")],
        "to_subject_id": str(form.get("to_subject_id") or "").strip(),
        "reason": str(form.get("reason") or ""),
    }
    body = {**typed, "to_subject_id": typed["to_subject_id"] or None}
    try:
        await Api(request, session).post(f"/api/v1/redress/{redress_id}/relinks", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return await _page(
            redress_id, request, session, relink_form=typed, relink_error=exc.detail, status_code=exc.status
        )
    return redirect(request, f"/redress/{redress_id}", "Records re-linked; cases moves them now.")


@router.post("/redress/{redress_id}/relinks/{relink_id}/undo")
async def undo(redress_id: uuid.UUID, relink_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"reason": str(form.get("reason") or "")}
    return await _act(request, redress_id, f"/relinks/{relink_id}/undo", body, "Re-link undone by a re-link back.")


@router.post("/redress/{redress_id}/owner-notices")
async def owner_notice(redress_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body: dict[str, Any] = {k: str(form.get(k) or "") for k in ("data_owner", "discrepancy", "channel", "sent_on")}
    body["encounter_ids"] = [str(v) for v in form.getlist("encounter_ids")]
    return await _act(request, redress_id, "/owner-notices", body, "Notice to the system owner recorded.")


@router.post("/redress/{redress_id}/owner-notices/{notice_id}/reply")
async def owner_reply(redress_id: uuid.UUID, notice_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"reply": str(form.get("reply") or ""), "replied_on": str(form.get("replied_on") or "")}
    return await _act(request, redress_id, f"/owner-notices/{notice_id}/reply", body, "Owner's reply recorded.")


@router.post("/redress/{redress_id}/owner-notices/{notice_id}/decision")
async def owner_decision(
    redress_id: uuid.UUID, notice_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    form = await form_with_csrf(request)
    body = {"decision": str(form.get("decision") or ""), "decided_by": str(form.get("decided_by") or "")}
    return await _act(request, redress_id, f"/owner-notices/{notice_id}/decision", body, "Owner's decision recorded.")
