"""Owners' reports (issue 28 item 4): DOS's (or a Component's) report of its encounters shared in a past period,
drafted from the accounting, approved by a supervisor other than the drafter, then sent as an accounted
disclosure. Only a client of `/api/v1/disclosures/owner-reports` with the user's token."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

API = "/api/v1/disclosures/owner-reports"
REFUSALS = (400, 409, 422)  # the API's words go back onto the form, with what was typed
OWNER_KINDS = ("dos", "dhs-component")  # the recipients an owner's report may go to


async def _owner_recipients(api: Api) -> list[dict[str, Any]]:
    """Active recipients of agreements with DOS or a DHS Component, with the owner their agreement covers."""
    agreements = [a for a in await api.get("/api/v1/agreements") if a.get("recipient_kind") in OWNER_KINDS]
    details = await asyncio.gather(*(api.get(f"/api/v1/agreements/{a['id']}") for a in agreements))
    return [
        {**r, "agreement": d["name"], "owner": ", ".join(d.get("data_owners") or [])}
        for d in details
        for r in d["recipients"]
        if not r.get("retired_at")
    ]


def _new_form(
    request: Request,
    recipients: list[dict[str, Any]],
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if not values:  # the last full month by default
        first = datetime.now(UTC).date().replace(day=1)
        last = first - timedelta(days=1)
        values = {"from": last.replace(day=1).isoformat(), "to": last.isoformat()}
    return render(
        request,
        "owner_report_new.html",
        status_code=status_code,
        title="Draft an owner's report",
        recipients=recipients,
        values=values,
        error=error,
    )


@router.get("/owner-reports/new")
async def new_report(request: Request, session: SessionDep) -> HTMLResponse:
    session.require("disclosure:send")  # the form only for those the API lets draft
    return _new_form(request, await _owner_recipients(Api(request, session)), values={})


@router.post("/owner-reports")
async def create_report(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    values = {k: str(form.get(k) or "").strip() for k in ("recipient_id", "from", "to")}
    api = Api(request, session)
    try:
        created = await api.post(API, values)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return _new_form(request, await _owner_recipients(api), values, error=exc.detail, status_code=exc.status)
    done = "Report drafted: ask a supervisor other than you to review it."
    return redirect(request, f"/owner-reports/{created['id']}", done)


@router.get("/owner-reports/{report_id}")
async def report_page(report_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    report = await Api(request, session).get(f"{API}/{report_id}")
    approvers = sorted({s["actor"] for s in report["reviews"] if s["step"] == "approved"})
    return render(request, "owner_report.html", title="Owner's report", report=report, approvers=approvers)


async def _step(request: Request, report_id: uuid.UUID, step: str, done: str, body: Any = None) -> Response:
    url = f"/owner-reports/{report_id}"
    return await submit(request, f"{API}/{report_id}/{step}", body, back_to=url, done=done)


@router.post("/owner-reports/{report_id}/review")
async def ask_review(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    done = "Sent for review: a supervisor other than you approves the report before it can be sent."
    return await _step(request, report_id, "review", done)


@router.post("/owner-reports/{report_id}/approve")
async def approve(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    return await _step(request, report_id, "approve", "Approved: exactly this text may now be sent.")


@router.post("/owner-reports/{report_id}/send-back")
async def send_back(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"comment": str(form.get("comment") or "").strip()}
    return await _step(request, report_id, "send-back", "Sent back to the drafter with your comment.", body)


@router.post("/owner-reports/{report_id}/send")
async def send(report_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    return await _step(request, report_id, "send", "Report sent, signed and encrypted; it is accounted.")


@router.get("/owner-reports")
async def reports(request: Request, session: SessionDep) -> HTMLResponse:
    """Every owner's report, newest first, with its state."""
    listed = await Api(request, session).get(API)
    return render(request, "owner_reports.html", title="Owners' reports", reports=listed)
