"""Import a file: upload, preview (mapping, first rows, row problems, notices), confirm or reject, progress."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

KINDS = ["partner-query", "partner-extract"]
PROBLEMS_SHOWN = 1000  # invalid rows a page shows; the API pages them, and so does the page (`?rows_from=`)


@router.get("/imports")
async def upload_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _upload_page(request, session, {})


def _upload_page(
    request: Request, session: Any, typed: dict[str, str], error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The upload form; after a refusal, its words and the program, kind and partner as chosen (a browser never
    lets a page choose a file, so only the file is chosen again)."""
    return render(
        request,
        "imports.html",
        status_code=status,
        title="Import a file",
        programs=session.case_programs,
        kinds=KINDS,
        typed=typed,
        error=error,
    )


@router.post("/imports")
async def upload(request: Request, session: SessionDep) -> Response:
    """The file goes to intake as it came; intake stages it and answers the preview."""
    form = await form_with_csrf(request)
    file = form.get("file")
    typed = {k: str(form.get(k) or "").strip() for k in ("program", "kind", "partner_country")}
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(request, session, typed, "Choose a file to import.", 422)
    data = {k: v for k, v in typed.items() if v}
    files = {"file": (file.filename, file.file, file.content_type or "application/octet-stream")}
    try:
        batch = await Api(request, session).call("POST", "/api/v1/intake/batches", data=data, files=files)
    except ApiError as exc:
        if exc.status in (403, 404) or exc.status >= 500:
            raise
        error = f"{exc.detail} (choose the file again: a browser never keeps it)"
        return _upload_page(request, session, typed, error, exc.status)
    return redirect(request, f"/imports/{batch['id']}", "The file is staged: check the preview, then confirm.")


# The fields of manual entry, in the order a partner's record gives them (TRACS field names, PIA 2.1).
ENTRY_FIELDS = [
    ("fin", "FIN"),
    ("eid", "EID"),
    ("last_name", "Last name"),
    ("first_name", "First name"),
    ("dob", "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)"),
    ("gender", "Gender (M, F, X, U)"),
    ("nationality", "Nationality"),
    ("passport_number", "Passport number"),
    ("encounter_date", "Encounter date"),
    ("ous", "O/U/S"),
    ("data_owner", "Data owner"),
    ("fast_matcher_status", "Fast-matcher status"),
    ("derogatory_information", "Derogatory information (DI)"),
    ("di_description", "DI description"),
    ("di_shared", "DI shared (Y/N)"),
    ("partner_unique_id", "Partner unique ID"),
    ("partner_transaction_number", "Partner transaction number"),
    ("search_code", "Search code"),
]
ENTRY_CONTEXT = ("program", "kind", "partner_country")


def _entry_page(
    request: Request, session: Any, typed: dict[str, str], error: str = "", status: int = 200
) -> HTMLResponse:
    """The form; after a refusal with the API's words, each named field marked, and everything as typed.

    Intake's reasons start with the field's name ("dob: a date in the future"), one per problem."""
    return render(
        request,
        "entry.html",
        status_code=status,
        title="Enter one record",
        programs=session.case_programs,
        kinds=KINDS,
        fields=ENTRY_FIELDS,
        typed=typed,
        error=error,
        problems=[p.strip() for p in error.split("; ")] if error else [],
        problem_fields={n for n, _ in ENTRY_FIELDS if f"{n}:" in error},
    )


@router.get("/imports/entry")
async def entry_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _entry_page(request, session, {})


@router.post("/imports/entry")
async def enter_record(request: Request, session: SessionDep) -> Response:
    """One typed record to intake's manual entry; a refusal comes back with every value as typed."""
    form = await form_with_csrf(request)
    typed = {k: str(form.get(k) or "") for k in (*ENTRY_CONTEXT, *(n for n, _ in ENTRY_FIELDS))}
    body = {
        "program": typed["program"],
        "kind": typed["kind"] or "partner-query",
        "partner_country": typed["partner_country"].strip() or None,
        "fields": {n: typed[n] for n, _ in ENTRY_FIELDS if typed[n].strip()},
    }
    try:
        batch = await Api(request, session).post("/api/v1/intake/entries", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 413, 422):
            raise
        return _entry_page(request, session, typed, exc.detail, exc.status)
    return redirect(request, f"/imports/{batch['id']}", "The record was entered and imported.")


@router.get("/imports/{batch_id}")
async def preview(batch_id: uuid.UUID, request: Request, session: SessionDep, rows_from: int = 0) -> HTMLResponse:
    api = Api(request, session)
    batch = await api.get(f"/api/v1/intake/batches/{batch_id}")
    first = max(0, rows_from)
    problems = await api.get(f"/api/v1/intake/batches/{batch_id}/problems", limit=PROBLEMS_SHOWN, offset=first)
    columns = list(dict.fromkeys(k for row in batch["preview"] for k in (row.get("parsed") or {})))
    return render(
        request,
        "batch.html",
        title=f"Import {batch['file_name']}",
        batch=batch,
        problems=problems,
        invalid_from=first,
        invalid_shown=PROBLEMS_SHOWN,
        columns=columns,
        progress=await _progress(api, batch),
    )


async def _progress(api: Api, batch: dict[str, Any]) -> dict[str, Any]:
    """Rows cases has answered for so far (attached, or named as failed), as intake's batch counts them."""
    expected = int(batch["rows_imported"] or 0)
    attached, failed = int(batch["rows_attached"]), int(batch["rows_failed"])
    done = batch["progress"] == "done"
    percent = 100 if expected == 0 else min(100, round(100 * (attached + failed) / expected))
    return {
        "attached": attached,
        "failed": failed,
        "failures": batch.get("failures", [])[:50],
        "expected": expected,
        "done": done,
        "percent": percent,
    }


@router.get("/imports/{batch_id}/progress")
async def progress(batch_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The htmx fragment polled every second until every row is in a case (then it stops polling)."""
    api = Api(request, session)
    batch = await api.get(f"/api/v1/intake/batches/{batch_id}")
    return render(request, "_progress.html", batch=batch, progress=await _progress(api, batch))


@router.post("/imports/{batch_id}/{decision}")
async def decide(batch_id: uuid.UUID, decision: str, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    if decision not in ("confirm", "reject"):
        raise ApiError(404, f"no action {decision!r} on an import")
    done = (
        "Confirmed: the rows are on their way into cases." if decision == "confirm" else "Rejected: nothing imported."
    )
    path = f"/api/v1/intake/batches/{batch_id}/{decision}"
    return await submit(request, path, back_to=f"/imports/{batch_id}", done=done)
