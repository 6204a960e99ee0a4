"""Intake use cases: stage an upload, show its preview, confirm or reject it."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.intake import db, domain
from services.intake.reader import read_sheet
from shared.errors import Conflict, NotFound
from shared.events.intake import BatchImported, EncounterFields, EncounterImported, subject_key
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class Upload:
    """A file already streamed to disk by the entrypoint, with its digest and size."""

    path: Path
    file_name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    preview_rows: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def upload_batch(*, uow: UnitOfWork, upload: Upload, program: str, kind: str, limits: Limits) -> uuid.UUID:
    """Stage a spreadsheet for preview; nothing is imported until it is confirmed."""
    domain.check_program(program, kind)
    async with uow:
        earlier = await db.find_live_by_sha(uow.session, upload.sha256)
        if earlier is not None:
            raise Conflict(
                f"this file was already uploaded as batch {earlier['id']} ({earlier['status']})",
                existing_batch_id=str(earlier["id"]),
            )
    sheet = read_sheet(upload.path, upload.file_name, max_rows=limits.max_rows, max_columns=limits.max_columns)
    mapping = domain.map_columns(sheet.headers)
    rows = [domain.parse_row(number, cells, mapping) for number, cells in sheet.rows]
    domain.mark_duplicates(rows)
    counts = domain.count(rows)
    batch_id = uuid.uuid4()
    async with uow:
        await db.insert_batch(
            uow.session,
            {
                "id": batch_id,
                "file_name": upload.file_name,
                "file_sha256": upload.sha256,
                "file_size": upload.size,
                "program": program,
                "upload_kind": kind,
                "status": domain.BatchStatus.STAGED,
                "mapping": mapping.as_dict(),
                "rows_total": counts.total,
                "rows_valid": counts.valid,
                "rows_invalid": counts.invalid,
                "rows_no_match": counts.no_match,
                "created_by": uow.actor,
            },
        )
        await db.insert_rows(
            uow.session,
            [
                {
                    "batch_id": batch_id,
                    "row_number": r.row_number,
                    "encounter_id": r.encounter_id,
                    "raw": r.raw,
                    "parsed": _jsonable(r.values),
                    "extra": r.extra,
                    "problems": [p.as_dict() for p in r.problems],
                    "valid": r.valid,
                    "no_match": r.no_match,
                }
                for r in rows
            ],
        )
    log.info("batch staged", batch_id=str(batch_id), rows=counts.total, invalid=counts.invalid)
    return batch_id


async def confirm_batch(*, uow: UnitOfWork, batch_id: uuid.UUID, block_on_invalid: bool = False) -> None:
    """Import every valid, matched row as one EncounterImported event; a second confirm imports nothing."""
    async with uow:
        batch = await _locked(uow, batch_id)
        if not domain.check_can_confirm(batch["status"], batch["rows_invalid"], block_on_invalid=block_on_invalid):
            return
        imported = 0
        async for chunk in db.importable_rows(uow.session, batch_id):
            for row in chunk:
                fields = EncounterFields.model_validate(row["parsed"])
                uow.emit(
                    EncounterImported(
                        encounter_id=row["encounter_id"],
                        batch_id=batch_id,
                        row_number=row["row_number"],
                        program=batch["program"],
                        upload_kind=batch["upload_kind"],
                        subject_key=subject_key(fields) or "",
                        fields=fields,
                        raw=row["raw"],
                        extra=row["extra"],
                    )
                )
            imported += len(chunk)
        now = datetime.now(UTC)
        uow.emit(
            BatchImported(
                batch_id=batch_id,
                program=batch["program"],
                upload_kind=batch["upload_kind"],
                file_sha256=batch["file_sha256"],
                rows_total=batch["rows_total"],
                rows_imported=imported,
                rows_invalid=batch["rows_invalid"],
                rows_no_match=batch["rows_no_match"],
                confirmed_at=now,
            )
        )
        await db.set_status(
            uow.session,
            batch_id,
            status=domain.BatchStatus.CONFIRMED,
            rows_imported=imported,
            decided_by=uow.actor,
            decided_at=now,
        )
    log.info("batch confirmed", batch_id=str(batch_id), imported=imported)


async def reject_batch(*, uow: UnitOfWork, batch_id: uuid.UUID) -> None:
    """Discard a staged batch; its rows stay for the record but are never imported."""
    async with uow:
        batch = await _locked(uow, batch_id)
        domain.check_can_reject(batch["status"])
        if batch["status"] != domain.BatchStatus.REJECTED:
            await db.set_status(
                uow.session,
                batch_id,
                status=domain.BatchStatus.REJECTED,
                decided_by=uow.actor,
                decided_at=datetime.now(UTC),
            )


async def batch_view(*, uow: UnitOfWork, batch_id: uuid.UUID, preview_rows: int) -> dict[str, Any]:
    """The preview an analyst checks before confirming: mapping, first rows, every problem."""
    async with uow:
        batch = await db.get_batch(uow.session, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        rows = await db.preview_rows(uow.session, batch_id, preview_rows)
        problems = await db.problems(uow.session, batch_id)
    return {
        **dict(batch),
        "preview": [
            {
                "row_number": r["row_number"],
                "raw": r["raw"],
                "parsed": r["parsed"],
                "extra": r["extra"],
                "valid": r["valid"],
                "no_match": r["no_match"],
            }
            for r in rows
        ],
        "problems": problems,
    }


async def _locked(uow: UnitOfWork, batch_id: uuid.UUID) -> Any:
    batch = await db.get_batch(uow.session, batch_id, for_update=True)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


def _jsonable(values: dict[str, object]) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
