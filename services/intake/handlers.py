"""Intake use cases: stage an upload, show its preview, confirm or reject it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from services.intake import db, domain, reader, rows
from shared import policy
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events.cases import EncountersAttached
from shared.events.disclosure import AgreementChanged
from shared.events.intake import (
    CHUNK_MAX_BYTES,
    CHUNK_MAX_ROWS,
    BatchImported,
    EncountersImported,
    chunk_key,
    subject_key_of,
)
from shared.inbox import Delivered
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
        await db.insert_batch(
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
        for chunk in batched(sheet.rows, db.INSERT_CHUNK):
            records = []
            for number, cells in chunk:
                row = row_reader.read(number, cells)
                duplicates.check(row)
                tally.add(row)
                records.append(_record(batch_id, row))
            await db.copy_rows(uow.session, records)
        if tally.total == 0:
            raise Invalid("the sheet has a header row but no data rows")
        await _read_again(uow, batch_id, row_reader, tally)
        column_notices = row_reader.notices()
        await db.set_status(
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
    for numbers in batched(sorted(pending), db.INSERT_CHUNK):
        changed = []
        for staged in await db.staged_for_reread(uow.session, batch_id, numbers):
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
        await db.update_parsed(uow.session, batch_id, changed)


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
    earlier = await db.find_live_by_sha(uow.session, sha256)
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
        batch = await _locked(uow, batch_id)
        if not domain.check_can_confirm(batch["status"], batch["rows_invalid"], block_on_invalid=block_on_invalid):
            return
        imported = await db.count_importable(uow.session, batch_id)
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
            actor=uow.actor,
            status=domain.BatchStatus.CONFIRMED,
            rows_imported=imported,
            decided_by=uow.actor,
            decided_at=now,
            dispatched_at=None if imported else now,
            confirm_correlation_id=current_correlation_id(),
        )
    log.info("batch confirmed", batch_id=str(batch_id), imported=imported)


CHUNKS_PER_TRANSACTION = 4


async def dispatch_once(uow: UnitOfWork, *, max_rows: int = CHUNK_MAX_ROWS, max_bytes: int = CHUNK_MAX_BYTES) -> int:
    """Cut the next chunks of one confirmed batch into the outbox; returns how many (0: nothing to do).

    The cursor (last row number sent) moves in the transaction that writes the chunks, so a crash resends
    nothing twice and skips nothing; replicas take different batches (SKIP LOCKED).
    """
    async with uow:
        batch = await db.next_to_dispatch(uow.session)
        if batch is None:
            return 0
        # The chunks are the confirming analyst's act, traced by their confirm request's correlation id.
        uow.actor = batch["decided_by"] or uow.actor
        correlation = batch["confirm_correlation_id"]
        after, chunk_no, written = batch["dispatched_through"], batch["chunks_dispatched"], 0
        finished = False
        while written < CHUNKS_PER_TRANSACTION:
            rows = await db.rows_after(uow.session, batch["id"], after, max_rows)
            if not rows:
                finished = True
                break
            rows = _cut(rows, max_bytes)
            uow.emit_payload(
                EncountersImported,
                {
                    "batch_id": str(batch["id"]),
                    "chunk": chunk_no,
                    "program": batch["program"],
                    "upload_kind": batch["upload_kind"],
                    "rows": [_chunk_row(r) for r in rows],
                },
                key=chunk_key(batch["id"], chunk_no),
                correlation_id=correlation,
            )
            after, chunk_no, written = rows[-1].row_number, chunk_no + 1, written + 1
        values: dict[str, Any] = {"dispatched_through": after, "chunks_dispatched": chunk_no}
        if finished:
            values["dispatched_at"] = datetime.now(UTC)
        await db.set_status(uow.session, batch["id"], actor="dispatcher", **values)
    if finished:
        log.info("batch dispatched", batch_id=str(batch["id"]), chunks=chunk_no)
    return max(written, 1)


def _cut(rows: list[Any], max_bytes: int) -> list[Any]:
    """The longest prefix within max_bytes (at least one row: a row is never split)."""
    size = 0
    for i, r in enumerate(rows):
        size += len(r.raw) + len(r.parsed) + len(r.extra) + 160
        if size > max_bytes and i:
            return rows[:i]
    return rows


def _chunk_row(r: Any) -> dict[str, Any]:
    return {
        "encounter_id": str(r.encounter_id),
        "row_number": r.row_number,
        "subject_key": r.subject_key,
        "fields": orjson.Fragment(r.parsed),
        "raw": orjson.Fragment(r.raw),
        "extra": orjson.Fragment(r.extra),
    }


async def record_attached(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Cases' answer per chunk -> the batch's progress and its failed rows; a repeated answer counts once."""
    answers = [d.event for d in delivered if isinstance(d.event, EncountersAttached)]
    if not answers:
        return
    async with uow:
        known = await db.known_batches(uow.session, list({a.batch_id for a in answers}))
        if len(known) < len({a.batch_id for a in answers}):  # rows another producer sent straight to cases
            log.warning(
                "answers for batches intake never staged ignored", batches=len({a.batch_id for a in answers} - known)
            )
        answers = [a for a in answers if a.batch_id in known]
        fresh = set(
            await db.record_chunk_answers(
                uow.session,
                [
                    {
                        "batch_id": a.batch_id,
                        "chunk": a.chunk,
                        "rows_attached": len(a.rows),
                        "rows_failed": len(a.failed),
                    }
                    for a in {(a.batch_id, a.chunk): a for a in answers}.values()
                ],
            )
        )
        progress: dict[uuid.UUID, list[int]] = {}
        failed = []
        for a in answers:
            if (a.batch_id, a.chunk) not in fresh:
                continue
            fresh.discard((a.batch_id, a.chunk))
            counts = progress.setdefault(a.batch_id, [0, 0])
            counts[0] += len(a.rows)
            counts[1] += len(a.failed)
            failed += [
                {"batch_id": a.batch_id, "row_number": f.row_number, "encounter_id": f.encounter_id, "reason": f.reason}
                for f in a.failed
            ]
        for batch_id, (attached, n_failed) in sorted(progress.items()):
            await db.add_progress(uow.session, batch_id, attached, n_failed)
        await db.record_failures(uow.session, failed)


async def purge_staging(uow: UnitOfWork, *, now: datetime, keep_days: int, limit: int = 100) -> list[uuid.UUID]:
    """Staged rows of decided batches leave after `keep_days`: cases holds the imported ones from then on."""
    async with uow:
        purged = await db.purge_decided_staging(uow.session, now - timedelta(days=keep_days), limit)
    if purged:
        log.info("staged rows purged", batches=len(purged))
    return purged


async def reject_batch(*, uow: UnitOfWork, batch_id: uuid.UUID) -> None:
    """Discard a staged batch; its rows stay for the record but are never imported."""
    async with uow:
        batch = await _locked(uow, batch_id)
        domain.check_can_reject(batch["status"])
        if batch["status"] != domain.BatchStatus.REJECTED:
            await db.set_status(
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
        batch = await db.get_batch(uow.session, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        policy.require_visible(batch["program"], f"no batch {batch_id}")
        preview = await db.preview_rows(uow.session, batch_id, preview_rows)
        problems = await db.problems(uow.session, batch_id, limit=PREVIEW_PROBLEM_ROWS)
        partners = batch["partners"]
        covered = await db.covered_partners(uow.session, batch["program"], list(partners), date.today())
        failures = await db.failures(uow.session, batch_id, limit=PREVIEW_PROBLEM_ROWS) if batch["rows_failed"] else []
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
        batch = await db.get_batch(uow.session, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        policy.require_visible(batch["program"], f"no batch {batch_id}")
        return await db.failures(uow.session, batch_id, limit=limit, offset=offset)


async def batch_problems(*, uow: UnitOfWork, batch_id: uuid.UUID, limit: int, offset: int) -> list[dict[str, Any]]:
    """Every row problem, a page of invalid rows at a time."""
    async with uow:
        batch = await db.get_batch(uow.session, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        policy.require_visible(batch["program"], f"no batch {batch_id}")
        return await db.problems(uow.session, batch_id, limit=limit, offset=offset)


async def _locked(uow: UnitOfWork, batch_id: uuid.UUID) -> Any:
    batch = await db.get_batch(uow.session, batch_id, for_update=True)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    policy.require_visible(batch["program"], f"no batch {batch_id}")
    return batch


async def project_agreements(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Keep which partners each program's agreements cover (disclosure's AgreementChanged), newest version."""
    latest: dict[uuid.UUID, AgreementChanged] = {}
    for d in delivered:
        e = d.event
        if isinstance(e, AgreementChanged) and (
            e.agreement_id not in latest or latest[e.agreement_id].version < e.version
        ):
            latest[e.agreement_id] = e
    if latest:
        async with uow:
            await db.project_agreements(uow.session, [e.model_dump() for e in latest.values()])
