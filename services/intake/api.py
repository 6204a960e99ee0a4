"""Intake HTTP API: upload (streamed to disk, size-limited), preview, confirm, reject."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel

from services.intake import handlers
from shared.errors import Invalid, TooLarge
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])


class BatchOut(BaseModel):
    id: uuid.UUID
    file_name: str
    file_sha256: str
    file_size: int
    program: str
    upload_kind: str
    status: str
    mapping: dict[str, Any]
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_no_match: int
    rows_imported: int
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    preview: list[dict[str, Any]]
    problems: list[dict[str, Any]]


def _limits(rt: RuntimeDep) -> handlers.Limits:
    s = rt.settings
    return handlers.Limits(max_rows=s.max_rows, max_columns=s.max_columns, preview_rows=s.preview_rows)


async def _spool(upload: UploadFile, directory: str, max_bytes: int) -> handlers.Upload:
    """Copy the upload to disk in chunks, hashing as it goes, refusing it past the size limit."""
    name = Path(upload.filename or "upload").name
    target = Path(directory) / "upload"
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the file exceeds the upload limit of {max_bytes} bytes")
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise Invalid("the uploaded file is empty")
    return handlers.Upload(path=target, file_name=name, sha256=digest.hexdigest(), size=size)


@router.post("/batches", status_code=201, response_model=BatchOut)
async def upload_batch(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="Spreadsheet of IDENT match results or a partner extract")],
    program: Annotated[str, Form()],
    kind: Annotated[str, Form(description="partner-query or partner-extract")],
) -> dict[str, Any]:
    declared = int(request.headers.get("content-length") or 0)
    if declared > rt.settings.max_upload_bytes + 64 * 1024:
        raise TooLarge(f"the upload exceeds the limit of {rt.settings.max_upload_bytes} bytes")
    limits = _limits(rt)
    with tempfile.TemporaryDirectory(prefix="tracs-upload-") as tmp:
        upload = await _spool(file, tmp, rt.settings.max_upload_bytes)
        batch_id = await handlers.upload_batch(
            uow=rt.uow(actor=principal.username), upload=upload, program=program, kind=kind, limits=limits
        )
    return await handlers.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=limits.preview_rows
    )


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get_batch(batch_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await handlers.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )


@router.post("/batches/{batch_id}/confirm", response_model=BatchOut)
async def confirm_batch(
    batch_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    block_on_invalid: Annotated[bool, Query(description="refuse the import if any row is invalid")] = False,
) -> dict[str, Any]:
    await handlers.confirm_batch(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, block_on_invalid=block_on_invalid
    )
    return await handlers.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )


@router.post("/batches/{batch_id}/reject", response_model=BatchOut)
async def reject_batch(batch_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    await handlers.reject_batch(uow=rt.uow(actor=principal.username), batch_id=batch_id)
    return await handlers.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )
