"""Privacy Act access and amendment requests: their queue (the running clock first), entry, and each step."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

BASE = "/api/v1/redress/privacy-act"
STATUSES = ["received", "decided", "responded", "appealed", "appeal-decided", "closed"]
REFUSALS = (400, 409, 413, 415, 422)
FIELDS = ("kind", "received_on", "records_sought", "contested_information", "reason", "proposed_amendment")
REQUESTER = ("last_name", "first_name", "dob", "document_number", "contact")
# step -> (API path, the fields it posts, the message when done)
STEPS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "exemption-review": ("/exemption-review", ("exemption", "basis"), "Exemption review recorded."),
    "decision": ("/decision", ("decision", "reason"), "Decision recorded."),
    "response": ("/response", ("channel", "sent_on", "note"), "Response recorded."),
    "appeal": ("/appeal", ("appealed_on", "reason"), "Appeal recorded; its clock runs."),
    "appeal-decision": ("/appeal/decision", ("decision", "reason"), "Appeal decided."),
    "close": ("/close", (), "Request closed."),
}


@router.get("/privacy-act")
async def queue(
    request: Request, session: SessionDep, kind: str = "", status: str = "", overdue: bool = False
) -> HTMLResponse:
    params = {"kind": kind or None, "status": status or None, "overdue": overdue or None}
    items = await Api(request, session).get(BASE, **params)
    return render(
        request,
        "privacy_act_list.html",
        title="Privacy Act requests",
        items=items,
        kind=kind,
        chosen=status,
        overdue=overdue,
        statuses=STATUSES,
    )


def _form(request: Request, values: dict[str, str], error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "privacy_act_new.html",
        status_code=status_code,
        title="Enter a Privacy Act request",
        v=values,
        error=error,
    )


@router.get("/privacy-act/new")
async def new_form(request: Request, session: SessionDep) -> HTMLResponse:
    session.require("redress:work")
    return _form(request, {})


@router.post("/privacy-act")
async def create(request: Request, session: SessionDep) -> Response:
    """Enter a request; a refusal comes back on the form with everything typed."""
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in (*FIELDS, *(f"requester_{r}" for r in REQUESTER))}
    body: dict[str, Any] = {k: typed[k] or None for k in FIELDS}
    body["requester"] = {r: typed[f"requester_{r}"] or None for r in REQUESTER}
    body["requester"]["first_name"] = body["requester"]["first_name"] or ""
    body["requester"]["contact"] = body["requester"]["contact"] or ""
    try:
        created = await Api(request, session).post(BASE, body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return _form(request, typed, exc.detail, exc.status)
    return redirect(request, f"/privacy-act/{created['id']}", "Request entered; its clock runs.")


@router.get("/privacy-act/{request_id}")
async def detail(request_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    item = await Api(request, session).get(f"{BASE}/{request_id}")
    return render(request, "privacy_act.html", title=f"Privacy Act {item['kind']} request", item=item)


@router.post("/privacy-act/{request_id}/{step}")
async def act(request_id: uuid.UUID, step: str, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    if step not in STEPS:
        return redirect(request, f"/privacy-act/{request_id}", f"unknown step {step!r}", "error")
    path, fields, done = STEPS[step]
    body = {k: str(form.get(k) or "") for k in fields}
    url = f"/privacy-act/{request_id}"
    return await submit(request, f"{BASE}/{request_id}{path}", body, back_to=url, done=done)
