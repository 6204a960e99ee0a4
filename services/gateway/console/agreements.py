"""Agreements (ISAAs): read them; admins create them, revise them (each change a draft version), add and retire
recipients; privacy officers approve or reject drafts, with two versions side by side."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render
from shared.events.intake import PROTECTED_CLASSES, EncounterFields
from shared.policy import CASE_PROGRAMS

router = APIRouter()

# Offered as choices (with PROTECTED_CLASSES); the disclosure service decides what it accepts, and says why not.
SHAREABLE = [*sorted(EncounterFields.model_fields), "findings"]  # the API's own list: PIA 2.1 fields and findings
LISTS = ("data_owners", "ous", "purposes", "di_categories")  # typed as comma-separated text
CHOICES = ("fields", "protected_classes")  # ticked
TEXT = (
    "recipient_kind",
    "partner_country",
    "partner_agency",
    "program",
    "caveat",
    "use_limits",
    "valid_from",
    "valid_to",
)
MANAGE = "agreement:manage"
REFUSALS = (400, 409, 422)  # the API's words go back onto the form, with what was typed


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def terms_from_form(form: Any) -> dict[str, Any]:
    """The form's values as the API's AgreementTerms (an empty valid_to: open-ended)."""
    terms: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT}
    terms["partner_country"] = terms["partner_country"].upper() or None
    terms["recipient_kind"] = terms["recipient_kind"] or "foreign-partner"
    terms["valid_to"] = terms["valid_to"] or None
    terms.update({k: _split(str(form.get(k) or "")) for k in LISTS})
    terms.update({k: form.getlist(k) for k in CHOICES})
    approvals = str(form.get("approvals_required") or "1").strip()
    terms["approvals_required"] = int(approvals) if approvals.isdigit() else approvals  # the API names a bad one
    return terms


def _form_page(
    request: Request, *, terms: dict[str, Any], error: str | None = None, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "agreement_new.html",
        status_code=status_code,
        title="New agreement",
        terms=terms,
        error=error,
        programs=[*sorted(CASE_PROGRAMS), "*"],  # '*': every program, for a recipient inside the US
        shareable=SHAREABLE,
        protected=PROTECTED_CLASSES,
        **extra,
    )


@router.get("/admin/agreements/new")
async def new_form(request: Request, session: SessionDep) -> HTMLResponse:
    session.require(MANAGE)
    blank = {"fields": [], "protected_classes": [], "program": "", "valid_from": ""}
    return _form_page(request, terms=blank, agreement_name="", note="")


@router.post("/admin/agreements")
async def create(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    name, note = str(form.get("name") or "").strip(), str(form.get("change_note") or "").strip()
    terms = terms_from_form(form)
    body = {"name": name, "change_note": note or "created", **terms}
    try:
        created = await Api(request, session).post("/api/v1/agreements", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return _form_page(
            request, terms=terms, error=exc.detail, status_code=exc.status, agreement_name=name, note=note
        )
    done = "Agreement created: version 1 is a draft until a privacy officer approves it."
    return redirect(request, f"/admin/agreements/{created['id']}", done)


async def _page(
    request: Request,
    session: SessionDep,
    agreement_id: uuid.UUID,
    *,
    status_code: int = 200,
    revision: dict[str, Any] | None = None,
    recipient: dict[str, Any] | None = None,
    retire: dict[str, Any] | None = None,
    review: dict[str, Any] | None = None,
) -> HTMLResponse:
    agreement = await Api(request, session).get(f"/api/v1/agreements/{agreement_id}")
    current = {k: agreement.get(k) for k in (*TEXT, *LISTS, *CHOICES, "approvals_required")}
    return render(
        request,
        "agreement.html",
        status_code=status_code,
        title=agreement["name"],
        agreement=agreement,
        # The revision form starts from the current version's terms, or from what was typed when refused.
        terms=(revision or {}).get("terms") or current,
        revision=revision or {},
        recipient=recipient or {},
        retire=retire,
        review=review or {},
        programs=[*sorted(CASE_PROGRAMS), "*"],  # '*': every program, for a recipient inside the US
        shareable=SHAREABLE + sorted(set(agreement.get("fields") or []) - set(SHAREABLE)),
        protected=PROTECTED_CLASSES,
    )


@router.get("/admin/agreements/{agreement_id}")
async def detail(agreement_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    """One agreement: its current terms, every version with who changed it and why, and its recipients."""
    return await _page(request, session, agreement_id)


@router.post("/admin/agreements/{agreement_id}/versions")
async def revise(agreement_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """PUT on the API: a new version with a change note, never an edit of the current one."""
    form = await form_with_csrf(request)
    terms, note = terms_from_form(form), str(form.get("change_note") or "").strip()
    try:
        revised = await Api(request, session).call(
            "PUT", f"/api/v1/agreements/{agreement_id}", json={**terms, "change_note": note}
        )
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        revision = {"terms": terms, "note": note, "error": exc.detail}
        return await _page(request, session, agreement_id, status_code=exc.status, revision=revision)
    done = f"Version {revised['version']} recorded. It is a draft: the version in force governs until it is approved."
    return redirect(request, f"/admin/agreements/{agreement_id}", done)


@router.post("/admin/agreements/{agreement_id}/versions/{version}/review")
async def review(agreement_id: uuid.UUID, version: int, request: Request, session: SessionDep) -> Response:
    """A privacy officer approves or rejects a draft version; a refusal keeps the note typed."""
    form = await form_with_csrf(request)
    decision = "approve" if form.get("decision") == "approve" else "reject"
    note = str(form.get("note") or "").strip()
    path = f"/api/v1/agreements/{agreement_id}/versions/{version}/{decision}"
    try:
        await Api(request, session).post(path, {"note": note})
    except ApiError as exc:
        if exc.status not in (*REFUSALS, 403):
            raise
        typed = {"version": version, "note": note, "error": exc.detail}
        return await _page(request, session, agreement_id, status_code=exc.status, review=typed)
    done = (
        f"Version {version} approved: it governs every draft and send from now."
        if decision == "approve"
        else (f"Version {version} rejected; the version in force is unchanged.")
    )
    return redirect(request, f"/admin/agreements/{agreement_id}", done)


@router.get("/admin/agreements/{agreement_id}/compare")
async def compare(agreement_id: uuid.UUID, request: Request, session: SessionDep, left: int, right: int) -> Response:
    """Two versions side by side, the changed terms marked."""
    compared = await Api(request, session).get(f"/api/v1/agreements/{agreement_id}/compare", left=left, right=right)
    agreement = await Api(request, session).get(f"/api/v1/agreements/{agreement_id}")
    return render(
        request,
        "agreement_compare.html",
        title=f"{agreement['name']}: versions {left} and {right}",
        agreement=agreement,
        compared=compared,
    )


@router.post("/admin/agreements/{agreement_id}/recipients")
async def add_recipient(agreement_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """A person of the partner agency; their certificate (pasted or as a file) is what mail is encrypted to."""
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in ("person", "email", "certificate_pem")}
    upload = form.get("certificate_file")
    if upload is not None and not isinstance(upload, str):
        uploaded = (await upload.read()).decode("utf-8", "replace").strip()
        typed["certificate_pem"] = uploaded or typed["certificate_pem"]
    body = {**typed, "certificate_pem": typed["certificate_pem"] or None}
    try:
        await Api(request, session).post(f"/api/v1/agreements/{agreement_id}/recipients", body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        recipient = {**typed, "error": exc.detail}
        return await _page(request, session, agreement_id, status_code=exc.status, recipient=recipient)
    return redirect(request, f"/admin/agreements/{agreement_id}", "Recipient added.")


@router.post("/admin/agreements/{agreement_id}/recipients/{recipient_id}/retire")
async def retire_recipient(
    agreement_id: uuid.UUID, recipient_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """Never sent to again, still listed: the accounting names who received what."""
    form = await form_with_csrf(request)
    reason = str(form.get("reason") or "").strip()
    try:
        await Api(request, session).post(
            f"/api/v1/agreements/{agreement_id}/recipients/{recipient_id}/retire", {"reason": reason}
        )
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        retire = {"id": str(recipient_id), "reason": reason, "error": exc.detail}
        return await _page(request, session, agreement_id, status_code=exc.status, retire=retire)
    return redirect(request, f"/admin/agreements/{agreement_id}", "Recipient retired.")
