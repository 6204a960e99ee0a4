"""The batches area: stage an upload, show its preview, confirm or reject it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from services.intake import domain, reader, rows
from services.intake.db import batches as queries
from services.intake.db import coverage as coverage_queries
from shared import policy
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events.intake import BatchImported, subject_key_of
from shared.logging import current_correlation_id, get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
PREVIEW_PROBLEM_ROWS = 1000


@dataclass(frozen=True)
class Upload:
    """A file already streamed to disk by the entrypoint, with its digest and size."""

    path: Path
    file_name: str
    sha256: str
    size: int


async def upload_batch(
    *,
    uow: UnitOfWork,
    upload: Upload,
    program: str,
    kind: str,
    limits: reader.Limits,
    program_aliases: dict[str, dict[str, str]] | None = None,
    rules: rows.ReadingRules | None = None,
    partner_country: str | None = None,
) -> uuid.UUID:
    """Stage a spreadsheet for preview in one transaction; nothing is imported until it is confirmed.

    Rows stream through in chunks (bounded memory); any failure leaves nothing behind.
    """
    domain.check_program(program, kind)
    partner = domain.batch_partner(partner_country)
    if not policy.is_visible(program):
        raise Forbidden(f"you are not a member of program {program}", action="intake:import")
    sheet = reader.open_sheet(upload.path, upload.file_name, limits)
    mapping = domain.map_columns(sheet.headers, (program_aliases or {}).get(program))
    batch_id = uuid.uuid4()
    tally = domain.Tally()
    duplicates = domain.DuplicateFinder()
    row_reader = rows.RowReader(mapping, rules=rules, partner_country=partner)
    formulas = domain.formula_notices(sheet.formula_count, sheet.formula_cells)
    async with uow:
        await _refuse_reupload(uow, upload.sha256)
        await queries.insert_batch(
            uow.session,
            {
                "id": batch_id,
                "file_name": upload.file_name,
                "file_sha256": upload.sha256,
                "file_size": upload.size,
                "program": program,
                "upload_kind": kind,
                "partner_country": partner,
                "status": domain.BatchStatus.STAGED,
                "mapping": mapping.as_dict(),
                "rows_total": 0,
                "rows_valid": 0,
                "rows_invalid": 0,
                "rows_no_match": 0,
                "notices": formulas,
                "created_by": uow.actor,
            },
        )
        for chunk in batched(sheet.rows, queries.INSERT_CHUNK):
            records = []
            for number, cells in chunk:
                row = row_reader.read(number, cells)
                duplicates.check(row)
                tally.add(row)
                records.append(_record(batch_id, row))
            await queries.copy_rows(uow.session, records)
        if tally.total == 0:
            raise Invalid("the sheet has a header row but no data rows")
        await _read_again(uow, batch_id, row_reader, tally)
        column_notices = row_reader.notices()
        await queries.set_status(
            uow.session,
            batch_id,
            actor=uow.actor,
            rows_total=tally.total,
            rows_valid=tally.valid,
            rows_invalid=tally.invalid,
            rows_no_match=tally.no_match,
            notices=formulas + [n.text for n in column_notices],
            column_notices=[n.as_dict() for n in column_notices],
            partners=dict(tally.partners),
            rows_without_partner=tally.no_partner,
        )
    log.info("batch staged", batch_id=str(batch_id), rows=tally.total, invalid=tally.invalid)
    return batch_id


async def _read_again(uow: UnitOfWork, batch_id: uuid.UUID, row_reader: rows.RowReader, tally: domain.Tally) -> None:
    """Ambiguous dates staged before their column showed its day/month order are read again (usually few)."""
    pending = row_reader.rereads()
    for numbers in batched(sorted(pending), queries.INSERT_CHUNK):
        changed = []
        for staged in await queries.staged_for_reread(uow.session, batch_id, numbers):
            row = domain.ParsedRow(
                row_number=staged["row_number"],
                raw={},
                values=dict(staged["parsed"]),
                extra={},
                problems=[domain.Problem(**p) for p in staged["problems"]],
                encounter_id=staged["encounter_id"],
            )
            tally.remove(row)
            row_reader.reread(row, pending[row.row_number])
            tally.add(row)
            problems = [p.as_dict() for p in row.problems]
            changed.append(
                {"row_number": row.row_number, "parsed": row.values, "problems": problems, "valid": row.valid}
            )
        await queries.update_parsed(uow.session, batch_id, changed)


async def upload_batch_once(**kwargs: Any) -> uuid.UUID:
    """upload_batch, where losing a race against a concurrent upload of the same file is a 409 too."""
    try:
        return await upload_batch(**kwargs)
    except IntegrityError as exc:
        if "uq_batches_live_sha" not in str(exc.orig):
            raise
        async with kwargs["uow"] as uow:
            await _refuse_reupload(uow, kwargs["upload"].sha256)
        raise Conflict("this file is being uploaded by someone else right now") from exc


async def _refuse_reupload(uow: UnitOfWork, sha256: str) -> None:
    earlier = await queries.find_live_by_sha(uow.session, sha256)
    if earlier is not None and not policy.is_visible(earlier["program"]):
        # The file is a duplicate either way; which batch (and program) holds it is not for this user to learn.
        raise Conflict("this file was already uploaded to a program you do not belong to")
    if earlier is not None:
        raise Conflict(
            f"this file was already uploaded as batch {earlier['id']} ({earlier['status']})",
            existing_batch_id=str(earlier["id"]),
        )


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """itertools.batched, which Python 3.11 lacks."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _record(batch_id: uuid.UUID, row: domain.ParsedRow) -> tuple:
    return (
        batch_id,
        row.row_number,
        row.encounter_id,
        _json(row.raw),
        _json(row.values),
        _json(row.extra),
        _json([p.as_dict() for p in row.problems]),
        row.valid,
        row.no_match,
        subject_key_of(row.values.get("fin"), row.values.get("partner_unique_id"), row.values.get("partner_country")),
    )


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


async def confirm_batch(*, uow: UnitOfWork, batch_id: uuid.UUID, block_on_invalid: bool = False) -> None:
    """Decide the batch: its importable rows will leave as chunks (the dispatcher); a second confirm does nothing.

    The rows are not read here: confirming a 100,000-row batch is one count and one update, and the chunks
    start flowing (and cases attaching them) while later ones are still being cut.
    """
    async with uow:
        batch = await _visible(uow, batch_id, for_update=True)
        if not domain.check_can_confirm(batch["status"], batch["rows_invalid"], block_on_invalid=block_on_invalid):
            return
        imported = await queries.count_importable(uow.session, batch_id)
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
        await queries.set_status(
            uow.session,
            batch_id,
            actor=uow.actor,
            status=domain.BatchStatus.CONFIRMED,
            rows_imported=imported,
            decided_by=uow.actor,
            decided_at=now,
            dispatched_at=None if imported else now,
            confirm_correlation_id=current_correlation_id(),
        )
    log.info("batch confirmed", batch_id=str(batch_id), imported=imported)


async def reject_batch(*, uow: UnitOfWork, batch_id: uuid.UUID) -> None:
    """Discard a staged batch; its rows stay for the record but are never imported."""
    async with uow:
        batch = await _visible(uow, batch_id, for_update=True)
        domain.check_can_reject(batch["status"])
        if batch["status"] != domain.BatchStatus.REJECTED:
            await queries.set_status(
                uow.session,
                batch_id,
                actor=uow.actor,
                status=domain.BatchStatus.REJECTED,
                decided_by=uow.actor,
                decided_at=datetime.now(UTC),
            )


async def batch_view(*, uow: UnitOfWork, batch_id: uuid.UUID, preview_rows: int) -> dict[str, Any]:
    """The preview an analyst checks before confirming: mapping, first rows, the first problems."""
    async with uow:
        batch = await _visible(uow, batch_id)
        preview = await queries.preview_rows(uow.session, batch_id, preview_rows)
        problems = await queries.problems(uow.session, batch_id, limit=PREVIEW_PROBLEM_ROWS)
        partners = batch["partners"]
        covered = await coverage_queries.covered_partners(uow.session, batch["program"], list(partners), date.today())
        failures = (
            await queries.failures(uow.session, batch_id, limit=PREVIEW_PROBLEM_ROWS) if batch["rows_failed"] else []
        )
    coverage, warnings = domain.partner_coverage(batch["program"], partners, batch["rows_without_partner"], covered)
    return {
        **dict(batch),
        "notices": [*batch["notices"], *warnings],
        "partner_coverage": coverage,
        "preview": [
            {
                "row_number": r["row_number"],
                "raw": r["raw"],
                "parsed": r["parsed"],
                "extra": r["extra"],
                "valid": r["valid"],
                "no_match": r["no_match"],
            }
            for r in preview
        ],
        "problems": problems,
        "progress": domain.progress(
            batch["status"],
            dispatched=batch["dispatched_at"] is not None,
            imported=batch["rows_imported"],
            answered=batch["rows_attached"] + batch["rows_failed"],
        ),
        "failures": failures,
    }


async def batch_failures(*, uow: UnitOfWork, batch_id: uuid.UUID, limit: int, offset: int) -> list[dict[str, Any]]:
    """Rows cases could not apply, in row order."""
    async with uow:
        await _visible(uow, batch_id)
        return await queries.failures(uow.session, batch_id, limit=limit, offset=offset)


async def batch_problems(*, uow: UnitOfWork, batch_id: uuid.UUID, limit: int, offset: int) -> list[dict[str, Any]]:
    """Every row problem, a page of invalid rows at a time."""
    async with uow:
        await _visible(uow, batch_id)
        return await queries.problems(uow.session, batch_id, limit=limit, offset=offset)


async def _visible(uow: UnitOfWork, batch_id: uuid.UUID, *, for_update: bool = False) -> Any:
    """The batch, or the same 404 whether it does not exist or belongs to a program the user is not in."""
    batch = await queries.get_batch(uow.session, batch_id, for_update=for_update)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    policy.require_visible(batch["program"], f"no batch {batch_id}")
    return batch
