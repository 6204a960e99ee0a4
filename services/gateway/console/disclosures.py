"""Disclosure: draft a response for a case, see what leaves and what is withheld and why, have it reviewed by a
second person, send, the accounting."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

PURPOSES = ["immigration", "law-enforcement", "counter-terrorism", "border-security"]
REFUSALS = (400, 409, 422)  # the API's words go back onto the form, with what was typed
FORM_FIELDS = ("case_id", "recipient_id", "purpose", "note", "result", "repeat_reason", "override_reason")


async def _recipients(api: Api, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Recipients of the agreements of the case's program and partner (the API decides which one governs)."""
    agreements = [
        a
        for a in await api.get("/api/v1/agreements")
        if a["program"] == case["program"]
        and (not case["partner_country"] or a["partner_country"] == case["partner_country"])
    ]
    details = await asyncio.gather(*(api.get(f"/api/v1/agreements/{a['id']}") for a in agreements))
    return [
        {**r, "agreement": d["name"], "purposes": d["purposes"]}
        for d in details
        for r in d["recipients"]
        if not r.get("retired_at")
    ]


async def _form_page(
    request: Request,
    session: SessionDep,
    case_id: uuid.UUID,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    api = Api(request, session)
    case = await api.get(f"/api/v1/cases/{case_id}")
    recipients = await _recipients(api, case)
    purposes = sorted({p for r in recipients for p in r["purposes"]}) or PURPOSES
    return render(
        request,
        "disclosure_new.html",
        status_code=status_code,
        title="Draft a disclosure",
        case=case,
        recipients=recipients,
        purposes=purposes,
        typed=typed or {},
        error=error,
    )


@router.get("/disclosures/new")
async def new_draft(case_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    return await _form_page(request, session, case_id)


@router.post("/disclosures")
async def create_draft(request: Request, session: SessionDep) -> Response:
    """A refused draft (the case not ready, a repeat without its reason) comes back with everything typed."""
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "") for k in FORM_FIELDS}
    body: dict[str, Any] = {k: typed[k] for k in ("case_id", "recipient_id", "purpose", "note")}
    body["matched"] = typed["result"] != "no-match"
    body.update({k: typed[k].strip() for k in ("repeat_reason", "override_reason") if typed[k].strip()})
    try:
        case_id = uuid.UUID(typed["case_id"])
    except ValueError:
        raise ApiError(422, "case_id: not a case id") from None
    try:
        draft = await Api(request, session).post("/api/v1/disclosures", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return await _form_page(request, session, case_id, typed=typed, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/disclosures/{draft['id']}", "Draft ready: ask a supervisor to review it.")


@router.get("/disclosures/{draft_id}")
async def draft_page(draft_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    draft = await api.get(f"/api/v1/disclosures/{draft_id}")
    case = await api.get(f"/api/v1/cases/{draft['case_id']}")
    accounting: list[dict[str, Any]] = []
    if draft["status"] != "draft" and session.can("accounting:read"):
        entries = await api.get("/api/v1/disclosures/accounting", subject=case["subject_id"])
        accounting = [e for e in entries if e["draft_id"] == str(draft_id)]
    withheld = [{**w, **_encounter_named(w["item"], case["encounters"])} for w in draft["withheld"]]
    released = list((draft["released"].get("encounters") or {}).values())
    fields = list(dict.fromkeys(k for e in released for k in e))
    return render(
        request,
        "disclosure.html",
        title="Disclosure",
        draft=draft,
        released=released,
        fields=fields,
        accounting=accounting,
        withheld=withheld,
    )


def _encounter_named(item: str, encounters: list[dict[str, Any]]) -> dict[str, str]:
    """A withheld item names its encounter by id: say which encounter it is as the case page does (date, O/U/S),
    its short id shown as ids are everywhere (`short`, in code), the text either side in `item` and `after`."""
    found = re.search(r"encounter ([0-9a-f-]{36})", item)
    if not found:
        return {"item": item, "short": "", "after": ""}
    fields = next((e["fields"] for e in encounters if e["id"] == found[1]), {})
    said = " ".join(v for v in (fields.get("encounter_date"), fields.get("ous")) if v)
    return {
        "item": f"{item[: found.start()]}encounter {said}".rstrip(),
        "short": found[1][:8],
        "after": item[found.end() :],
    }


@router.post("/disclosures/{draft_id}/send")
async def send(draft_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    url = f"/disclosures/{draft_id}"
    done = "Sent, signed and encrypted; the disclosure is accounted."
    return await submit(request, f"/api/v1/disclosures/{draft_id}/send", back_to=url, done=done)


STEPS = {
    "review": "Sent for review: a supervisor other than you approves it before it can be sent.",
    "approve": "Approved: what you reviewed may now be sent.",
    "discard": "Draft discarded: it stays on the case, marked, and can never be sent.",
}


@router.post("/disclosures/{draft_id}/{step}")
async def review_step(draft_id: uuid.UUID, step: str, request: Request, session: SessionDep) -> Response:
    """Ask for review, approve, or send back with a comment (refusals come back as a message on the draft)."""
    form = await form_with_csrf(request)
    url = f"/disclosures/{draft_id}"
    if step == "send-back":
        body = {"comment": str(form.get("comment") or "")}
        return await submit(request, f"/api/v1{url}/send-back", body, back_to=url, done="Sent back to the drafter.")
    if step not in STEPS:
        raise ApiError(404, f"no step {step!r}; one of review, approve, send-back, discard")
    return await submit(request, f"/api/v1{url}/{step}", back_to=url, done=STEPS[step])
