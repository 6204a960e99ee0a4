"""Intake HTTP API: upload (streamed to disk, size-limited), preview, confirm, reject."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from services.intake import batches, entry, imports
from shared import policy
from shared.errors import Invalid, TooLarge, in_units
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

PREFIX = "/api/v1/intake"
router = APIRouter(prefix=PREFIX, tags=["intake"])


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
    notices: list[str]
    column_notices: list[dict[str, Any]]
    partner_country: str | None
    partner_coverage: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    preview: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    # Bulk path v2: rows cases has attached or could not apply so far, and the first failed rows.
    progress: str
    rows_attached: int
    rows_failed: int
    failures: list[dict[str, Any]]
    staging_purged_at: datetime | None


async def _spool(upload: UploadFile, directory: str, max_bytes: int) -> batches.Upload:
    """Copy the upload to disk in chunks, hashing as it goes, refusing it past the size limit."""
    name = Path(upload.filename or "upload").name
    target = Path(directory) / "upload"
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the file exceeds the upload limit of {in_units(max_bytes)}")
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise Invalid("the uploaded file is empty")
    return batches.Upload(path=target, file_name=name, sha256=digest.hexdigest(), size=size)


@router.post("/batches", status_code=201, response_model=BatchOut, **secured("intake:import"))
async def upload_batch(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="Spreadsheet of IDENT match results or a partner extract")],
    program: Annotated[str, Form()],
    kind: Annotated[str, Form(description="partner-query or partner-extract")],
    partner_country: Annotated[
        str | None,
        Form(description="the partner the file comes from (ISO alpha-3; a partner-country column overrides it)"),
    ] = None,
) -> dict[str, Any]:
    s = rt.settings
    with tempfile.TemporaryDirectory(prefix="tracs-upload-") as tmp:
        upload = await _spool(file, tmp, s.max_upload_bytes)
        batch_id = await batches.upload_batch_once(
            uow=rt.uow(actor=principal.username),
            upload=upload,
            program=program,
            kind=kind,
            limits=s.reader_limits(),
            program_aliases=s.program_aliases,
            rules=s.reading_rules(program),
            partner_country=partner_country,
        )
    return await batches.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=s.preview_rows
    )


class EntryIn(BaseModel):
    """One record typed by hand: TRACS field names (as in the column catalogue) -> text, as a file's cells."""

    program: str = Field(max_length=40)
    kind: str = Field("partner-query", max_length=40, description="partner-query or partner-extract")
    partner_country: str | None = Field(None, max_length=100)
    fields: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]] = Field(
        max_length=60, description='e.g. {"fin": "40512337", "last_name": "Ivanova", "dob": "1987-02-03"}'
    )


@router.post("/entries", status_code=201, response_model=BatchOut, **secured("intake:import"))
async def enter_record(body: EntryIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Manual entry of one partner record: read by the same rules as a file row (a problem is a 422 naming
    its field, and nothing is stored), then staged and confirmed as a batch of one."""
    s = rt.settings
    with tempfile.TemporaryDirectory(prefix="tracs-entry-") as tmp:
        batch_id = await entry.enter_record(
            uow=rt.uow(actor=principal.username),
            confirm_uow=rt.uow(actor=principal.username),
            values=entry.typed(body.fields),
            program=body.program,
            kind=body.kind,
            partner_country=body.partner_country,
            rules=s.reading_rules(body.program),
            limits=s.reader_limits(),
            spool_dir=tmp,
        )
    return await batches.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=s.preview_rows
    )


class BatchListed(BaseModel):
    id: uuid.UUID
    file_name: str
    program: str
    upload_kind: str
    status: str
    partner_country: str | None
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_no_match: int
    rows_imported: int
    rows_attached: int
    rows_failed: int
    progress: str
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class BatchPage(BaseModel):
    items: list[BatchListed]
    total: int = Field(description="every batch the filters find, across all pages")


@router.get("/batches", response_model=BatchPage, **secured("intake:read"))
async def list_batches(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    mine: Annotated[bool, Query(description="only one's own (always so without intake:oversee)")] = False,
    status: Annotated[str | None, Query(description="staged, confirmed or rejected")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """Imports newest first: one's own, or everyone's (of one's programs) for a supervisor or auditor."""
    return await imports.listing(
        uow=rt.uow(actor=principal.username),
        mine=mine,
        sees_all=policy.allows(principal, "intake:oversee"),
        status=status,
        limit=limit,
        offset=offset,
    )


@router.get("/batches/{batch_id}", response_model=BatchOut, **secured("intake:read"))
async def get_batch(batch_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await batches.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )


@router.get("/batches/{batch_id}/problems", response_model=list[dict[str, Any]], **secured("intake:read"))
async def batch_problems(
    batch_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=5000, description="invalid rows per page")] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """Every row problem (row, column, value, reason), a page of invalid rows at a time."""
    return await batches.batch_problems(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, limit=limit, offset=offset
    )


@router.get("/batches/{batch_id}/failures", response_model=list[dict[str, Any]], **secured("intake:read"))
async def batch_failures(
    batch_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """Rows cases could not apply (row number, encounter id, why), in row order."""
    return await batches.batch_failures(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, limit=limit, offset=offset
    )


@router.post("/batches/{batch_id}/confirm", response_model=BatchOut, **secured("intake:import"))
async def confirm_batch(
    batch_id: uuid.UUID,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    block_on_invalid: Annotated[bool, Query(description="refuse the import if any row is invalid")] = False,
) -> dict[str, Any]:
    await batches.confirm_batch(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, block_on_invalid=block_on_invalid
    )
    return await batches.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )


@router.post("/batches/{batch_id}/reject", response_model=BatchOut, **secured("intake:import"))
async def reject_batch(batch_id: uuid.UUID, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    await batches.reject_batch(uow=rt.uow(actor=principal.username), batch_id=batch_id)
    return await batches.batch_view(
        uow=rt.uow(actor=principal.username), batch_id=batch_id, preview_rows=rt.settings.preview_rows
    )
