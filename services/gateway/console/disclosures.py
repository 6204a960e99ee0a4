"""Disclosure: draft a response for a case, see what leaves and what is withheld and why, send, the accounting."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, SessionDep, form_with_csrf, q, render, submit

router = APIRouter()

PURPOSES = ["immigration", "law-enforcement", "counter-terrorism", "border-security"]


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


@router.get("/disclosures/new")
async def new_draft(case_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    case = await api.get(f"/api/v1/cases/{case_id}")
    recipients = await _recipients(api, case)
    purposes = sorted({p for r in recipients for p in r["purposes"]}) or PURPOSES
    return render(
        request, "disclosure_new.html", title="Draft a disclosure", case=case, recipients=recipients, purposes=purposes
    )


@router.post("/disclosures")
async def create_draft(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {k: str(form.get(k) or "") for k in ("case_id", "recipient_id", "purpose", "note")}
    return await submit(
        request,
        "/api/v1/disclosures",
        body,
        back_to=f"/disclosures/new?case_id={q(body['case_id'])}",
        done="Draft ready: review what will leave before sending.",
        go_to=lambda draft: f"/disclosures/{draft['id']}",
    )


@router.get("/disclosures/{draft_id}")
async def draft_page(draft_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    api = Api(request, session)
    draft = await api.get(f"/api/v1/disclosures/{draft_id}")
    case = await api.get(f"/api/v1/cases/{draft['case_id']}")
    accounting: list[dict[str, Any]] = []
    if draft["status"] != "draft" and session.can("accounting:read"):
        entries = await api.get("/api/v1/disclosures/accounting", subject=case["subject_id"])
        accounting = [e for e in entries if e["draft_id"] == str(draft_id)]
    # Withheld items name encounters by id; say which encounter each is, as the case page shows it.
    names = {
        e["id"]: f"{e['fields'].get('encounter_date') or ''} {e['fields'].get('ous') or ''} ({e['id'][:8]})".strip()
        for e in case["encounters"]
    }
    withheld = [
        {**w, "item": re.sub(r"encounter ([0-9a-f-]{36})", lambda m: f"encounter {names.get(m[1], m[1])}", w["item"])}
        for w in draft["withheld"]
    ]
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


@router.post("/disclosures/{draft_id}/send")
async def send(draft_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    url = f"/disclosures/{draft_id}"
    done = "Sent, signed and encrypted; the disclosure is accounted."
    return await submit(request, f"/api/v1/disclosures/{draft_id}/send", back_to=url, done=done)
