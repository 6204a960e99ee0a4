"""A recipient's reports of possible inaccuracies (issue 28): record one against a disclosure, resolve it (the owner's
correction, or no change with its reason), answer it (a disclosure reviewed like any), the queue of open ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

API = "/api/v1/disclosures/inaccuracies"
REFUSALS = (400, 409, 422)  # the API's words go back onto the form, with what was typed
REPORT_FIELDS = ("encounter_id", "field", "description", "received_on")
RESOLVE_FIELDS = ("resolution", "note", "field", "corrected_value", "data_owner")


async def _disclosure(api: Api, case_id: str, accounting_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case and the accounting row (a disclosure of it) the report is about."""
    case = await api.get(f"/api/v1/cases/{case_id}")
    rows = await api.get("/api/v1/disclosures/accounting", subject=case["subject_id"])
    row = next((r for r in rows if r["id"] == accounting_id), None)
    if row is None:
        raise ApiError(404, f"no disclosure {accounting_id} of case {case_id} in the accounting")
    return case, row


def _new_form(
    request: Request,
    case: dict[str, Any],
    disclosure: dict[str, Any],
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "inaccuracy_new.html",
        status_code=status_code,
        title="Record a report of a possible inaccuracy",
        case=case,
        disclosure=disclosure,
        values=values or {"received_on": datetime.now(UTC).date().isoformat()},
        error=error,
    )


@router.get("/inaccuracies/new")
async def new_report(case_id: uuid.UUID, accounting_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    case, disclosure = await _disclosure(Api(request, session), str(case_id), str(accounting_id))
    return _new_form(request, case, disclosure, values={})


@router.post("/inaccuracies")
async def create_report(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    case_id, accounting_id = str(form.get("case_id") or ""), str(form.get("accounting_id") or "")
    values = {k: str(form.get(k) or "").strip() for k in REPORT_FIELDS}
    body: dict[str, Any] = {**values, "accounting_id": accounting_id, "field": values["field"] or None}
    api = Api(request, session)
    try:
        created = await api.post(API, body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        case, disclosure = await _disclosure(api, case_id, accounting_id)
        return _new_form(request, case, disclosure, values, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/inaccuracies/{created['id']}", "Report recorded: resolve it with the data owner.")


def _page(
    request: Request,
    report: dict[str, Any],
    draft: dict[str, Any] | None,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "inaccuracy.html",
        status_code=status_code,
        title="Report of a possible inaccuracy",
        report=report,
        draft=draft,
        typed=typed or {"resolution": "correction", "field": report.get("field") or ""},
        error=error,
    )


async def _answer_draft(api: Api, report: dict[str, Any]) -> dict[str, Any] | None:
    return await api.get(f"/api/v1/disclosures/{report['answer_draft_id']}") if report["answer_draft_id"] else None


@router.get("/inaccuracies/{report_id}")
async def report_page(report_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    report = await api.get(f"{API}/{report_id}")
    return _page(request, report, await _answer_draft(api, report))


@router.post("/inaccuracies/{report_id}/resolve")
async def resolve(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in RESOLVE_FIELDS}
    body: dict[str, Any] = {k: v or None for k, v in typed.items()}
    body["note"] = typed["note"]
    if typed["resolution"] == "no-change":  # the correction's fields stay on the form, not in a no-change
        body |= {"field": None, "corrected_value": None, "data_owner": None}
    api = Api(request, session)
    try:
        await api.post(f"{API}/{report_id}/resolve", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        report = await api.get(f"{API}/{report_id}")
        return _page(request, report, None, typed=typed, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/inaccuracies/{report_id}", "Resolution recorded.")


@router.post("/inaccuracies/{report_id}/answer")
async def answer(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    url = f"/inaccuracies/{report_id}"
    done = "Answer drafted: a supervisor other than you approves it before it is sent."
    return await submit(
        request, f"{API}/{report_id}/answer", {"note": str(form.get("note") or "")}, back_to=url, done=done
    )


@router.post("/inaccuracies/{report_id}/review")
async def ask_review(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The drafter asks a supervisor to review the answer (the disclosure review, from this page)."""
    await form_with_csrf(request)
    report = await Api(request, session).get(f"{API}/{report_id}")
    url = f"/inaccuracies/{report_id}"
    if not report.get("answer_draft_id"):
        return redirect(request, url, "Draft the answer first.", "error")
    done = "Sent for review: a supervisor other than you approves the answer before it can be sent."
    return await submit(request, f"/api/v1/disclosures/{report['answer_draft_id']}/review", back_to=url, done=done)


@router.post("/inaccuracies/{report_id}/send")
async def send(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    url = f"/inaccuracies/{report_id}"
    done = "Answer sent, signed and encrypted; it is accounted."
    return await submit(request, f"{API}/{report_id}/send", {}, back_to=url, done=done)


@router.get("/inaccuracies")
async def open_reports(request: Request, session: SessionDep) -> HTMLResponse:
    """The queue of reports not yet answered, oldest received first."""
    queue = await Api(request, session).get(API, open="true")
    return render(request, "inaccuracies.html", title="Inaccuracy reports open", queue=queue)
