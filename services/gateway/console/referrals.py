"""Referrals and notices to the owners of the data (issue 28): make one for a case, draft a notice that is due,
send, record the owner's reply; the queue of replies awaited."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

REFUSALS = (400, 409, 422)  # the API's words go back onto the form, with what was typed
KINDS = {
    "owner-referral": "Referral to the DHS Component that owns the data",
    "usg-dissemination": "Dissemination to a USG agency",
    "tsc-notice": "Notice to the FBI Terrorist Screening Center",
    "dos-alert": "Alert to the Department of State",
    "fast-matcher-removal": "Recommendation to remove from the fast matcher",
}
DECISIONS = ["acknowledged", "keep", "remove", "approved", "declined"]
REFERRAL_FIELDS = ("kind", "recipient_id", "reason", "note", "reply_within_days")


async def _domestic_recipients(api: Api) -> list[dict[str, Any]]:
    """Recipients of agreements with an organisation inside the US (Components, TSC, DOS, USG agencies)."""
    agreements = [
        a
        for a in await api.get("/api/v1/agreements")
        if a.get("recipient_kind", "foreign-partner") != "foreign-partner"
    ]
    details = await asyncio.gather(*(api.get(f"/api/v1/agreements/{a['id']}") for a in agreements))
    return [
        {**r, "agreement": d["name"], "recipient_kind": d["recipient_kind"]}
        for d in details
        for r in d["recipients"]
        if not r.get("retired_at")
    ]


def _new_form(
    request: Request,
    case: dict[str, Any],
    recipients: list[dict[str, Any]],
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "referral_new.html",
        status_code=status_code,
        title="Refer to a data owner",
        case=case,
        recipients=recipients,
        kinds=KINDS,
        values=values,
        error=error,
    )


@router.get("/referrals/new")
async def new_referral(case_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    case = await api.get(f"/api/v1/cases/{case_id}")
    return _new_form(request, case, await _domestic_recipients(api), values={})


@router.post("/referrals")
async def create_referral(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    case_id = str(form.get("case_id") or "")
    values = {k: str(form.get(k) or "").strip() for k in REFERRAL_FIELDS}
    body: dict[str, Any] = {**values, "case_id": case_id}
    body["reply_within_days"] = values["reply_within_days"] or None
    api = Api(request, session)
    try:
        created = await api.post("/api/v1/disclosures/referrals", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        case = await api.get(f"/api/v1/cases/{case_id}")
        recipients = await _domestic_recipients(api)
        return _new_form(request, case, recipients, values, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/referrals/{created['id']}", "Referral drafted: review what will leave before sending.")


def _referral_page(
    request: Request,
    referral: dict[str, Any],
    recipients: list[dict[str, Any]],
    reply: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
    draft: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "referral.html",
        draft=draft,
        status_code=status_code,
        title=KINDS.get(referral["kind"], referral["kind"]),
        referral=referral,
        kinds=KINDS,
        recipients=recipients,
        decisions=DECISIONS,
        reply=reply or {"replied_on": datetime.now(UTC).date().isoformat()},
        error=error,
    )


async def _recipients_for(api: Api, referral: dict[str, Any]) -> list[dict[str, Any]]:
    """For a notice that is due, the recipients it may go to (a TSC notice: TSC's desks only)."""
    if referral["status"] != "due":
        return []
    kinds = set(referral.get("recipient_kinds") or ())
    return [r for r in await _domestic_recipients(api) if not kinds or r["recipient_kind"] in kinds]


@router.get("/referrals/{referral_id}")
async def referral_page(referral_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    referral = await api.get(f"/api/v1/disclosures/referrals/{referral_id}")
    # A drafted notice waits on the same review as any disclosure: the page says where it stands.
    draft = await api.get(f"/api/v1/disclosures/{referral['draft_id']}") if referral["status"] == "drafted" else None
    return _referral_page(request, referral, await _recipients_for(api, referral), draft=draft)


@router.post("/referrals/{referral_id}/draft")
async def draft_due(referral_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {"recipient_id": str(form.get("recipient_id") or ""), "note": str(form.get("note") or "")}
    url = f"/referrals/{referral_id}"
    return await submit(request, f"/api/v1/disclosures{url}/draft", body, back_to=url, done="Notice drafted.")


@router.post("/referrals/{referral_id}/review")
async def ask_review(referral_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The drafter asks a supervisor to review the notice's message (the disclosure review, from this page)."""
    await form_with_csrf(request)
    referral = await Api(request, session).get(f"/api/v1/disclosures/referrals/{referral_id}")
    url = f"/referrals/{referral_id}"
    if not referral.get("draft_id"):
        return redirect(request, url, "Draft the notice for a recipient first.", "error")
    done = "Sent for review: a supervisor other than you approves the message before it can be sent."
    return await submit(request, f"/api/v1/disclosures/{referral['draft_id']}/review", back_to=url, done=done)


@router.post("/referrals/{referral_id}/send")
async def send(referral_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    url = f"/referrals/{referral_id}"
    done = "Sent, signed and encrypted; the referral is accounted."
    return await submit(request, f"/api/v1/disclosures{url}/send", {}, back_to=url, done=done)


@router.post("/referrals/{referral_id}/reply")
async def reply(referral_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in ("decision", "replied_on", "note")}
    api = Api(request, session)
    try:
        await api.post(f"/api/v1/disclosures/referrals/{referral_id}/reply", typed)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        referral = await api.get(f"/api/v1/disclosures/referrals/{referral_id}")
        return _referral_page(request, referral, [], reply=typed, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/referrals/{referral_id}", "Reply recorded.")


@router.get("/referrals")
async def awaited(request: Request, session: SessionDep) -> HTMLResponse:
    """The queue of replies awaited from the owners of the data, overdue first."""
    queue = await Api(request, session).get("/api/v1/disclosures/referrals", awaiting="true")
    return render(request, "referrals.html", title="Replies awaited", queue=queue, kinds=KINDS)
