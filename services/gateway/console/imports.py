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
    return render(request, "imports.html", title="Import a file", programs=session.case_programs, kinds=KINDS)


@router.post("/imports")
async def upload(request: Request, session: SessionDep) -> Response:
    """The file goes to intake as it came; intake stages it and answers the preview."""
    form = await form_with_csrf(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, "/imports", "Choose a file to import.", "error")
    data = {k: str(form.get(k) or "") for k in ("program", "kind", "partner_country") if form.get(k)}
    files = {"file": (file.filename, file.file, file.content_type or "application/octet-stream")}
    return await submit(
        request,
        "/api/v1/intake/batches",
        data=data,
        files=files,
        back_to="/imports",
        done="The file is staged: check the preview, then confirm.",
        go_to=lambda batch: f"/imports/{batch['id']}",
    )


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
