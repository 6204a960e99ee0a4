"""Attaching imported rows: each chunk becomes subjects, encounters, cases and import flags, and one answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy.exc import DBAPIError

from services.cases import domain
from services.cases.db import attach as queries
from services.cases.db import records
from shared.events.cases import AttachedRow, EncountersAttached, FailedRow, tally_of
from shared.events.envelope import Envelope
from shared.events.intake import EncountersImported, ImportedRow, chunk_key
from shared.inbox import BatchHandler, Delivered, is_transient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class _Chunk:
    envelope: Envelope
    event: EncountersImported

    def fields_of(self, row_number: int) -> Any:
        """The row's fields as they came on the wire (JSON already): stored without dumping the model again."""
        return self._by_row.get(row_number)

    @property
    def _by_row(self) -> dict[int, Any]:
        cached = self.__dict__.get("_rows")
        if cached is None:
            cached = {r["row_number"]: r["fields"] for r in self.envelope.payload.get("rows", ())}
            object.__setattr__(self, "_rows", cached)
        return cached


def attacher(protected_caveat: str) -> BatchHandler:
    """The consumer's handler, closed over the caveat language set on protected-class flags."""

    async def attach_chunks(uow: UnitOfWork, delivered: list[Delivered[EncountersImported]]) -> None:
        """Each chunk of imported rows -> subjects, encounters, cases, import flags, and one answer per chunk.

        A row that cannot be applied (a rule of cases, or the database refusing it) is named in the answer and
        the rest of its chunk applies; a redelivered chunk never reaches here twice (the inbox), and rows
        already attached are answered again from what is stored, so counting answers stays exact.
        """
        async with uow:
            for d in delivered:
                chunk = _Chunk(d.envelope, d.event)
                e = chunk.event
                failed = [
                    _failed(r, why) for r in e.rows if (why := domain.row_problem(r.subject_key, r.fields)) is not None
                ]
                refused = {f.encounter_id for f in failed}
                attached, db_failed = await _apply_bisecting(
                    uow, chunk, [r for r in e.rows if r.encounter_id not in refused], protected_caveat
                )
                uow.emit_payload(
                    EncountersAttached,
                    chunk_answer(event=e, attached=attached, failed=failed + db_failed),
                    key=chunk_key(e.batch_id, e.chunk),
                    causation_id=str(chunk.envelope.event_id),
                    correlation_id=chunk.envelope.correlation_id,
                )

    return attach_chunks


def chunk_answer(*, event: EncountersImported, attached: list[AttachedRow], failed: list[FailedRow]) -> dict[str, Any]:
    """The `EncountersAttached` payload as JSON, rows in row order: pinned to the contract by tests, and sent
    without building the event model around a chunk's 1,000 answers."""
    by_row = attrgetter("row_number")
    attached = sorted(attached, key=by_row)
    return {
        "batch_id": str(event.batch_id),
        "chunk": event.chunk,
        "program": event.program,
        "upload_kind": event.upload_kind,
        "rows": [r.model_dump(mode="json") for r in attached],
        "failed": [f.model_dump(mode="json") for f in sorted(failed, key=by_row)],
        "tally": tally_of(attached).model_dump(mode="json"),  # counters read this, not the rows
    }


async def _apply_bisecting(
    uow: UnitOfWork, chunk: _Chunk, rows: list[ImportedRow], caveat: str
) -> tuple[list[AttachedRow], list[FailedRow]]:
    """Apply rows under a savepoint; if the database refuses them, halve until each refused row is found alone.

    One bad row among 1,000 costs about twenty savepoints, not a thousand; infrastructure errors are raised
    (the batch is retried), never blamed on a row.
    """
    if not rows:
        return [], []
    try:
        async with uow.session.begin_nested():
            return await _apply(uow, chunk, rows, caveat), []
    except DBAPIError as exc:
        if is_transient(exc) or getattr(exc.orig, "constraint_name", None) == domain.DUPLICATE_ENCOUNTER:
            raise  # not the row's fault: the batch is retried (a race with the same chunk applied elsewhere)
        if len(rows) == 1:
            reason = domain.refusal_reason(_sqlstate(exc), getattr(exc.orig, "constraint_name", None))
            log.warning("row refused by the database", batch_id=str(chunk.event.batch_id), row=rows[0].row_number)
            return [], [_failed(rows[0], reason)]
    half = len(rows) // 2
    a_ok, a_failed = await _apply_bisecting(uow, chunk, rows[:half], caveat)
    b_ok, b_failed = await _apply_bisecting(uow, chunk, rows[half:], caveat)
    return a_ok + b_ok, a_failed + b_failed


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)


async def _apply(uow: UnitOfWork, chunk: _Chunk, rows: list[ImportedRow], caveat: str) -> list[AttachedRow]:
    """Subjects, encounters, cases, links, staleness and import flags for rows, in a consistent lock order."""
    e = chunk.event
    rows = sorted(rows, key=lambda r: (r.subject_key, r.row_number))
    subject_rows = {
        r.subject_key: {"id": uuid.uuid4(), "subject_key": r.subject_key, **domain.identity_of(r.subject_key)}
        for r in rows
    }
    subject_ids = await queries.upsert_subjects(uow.session, list(subject_rows.values()))
    new_ids = set(await queries.insert_encounters(uow.session, [_encounter_row(chunk, r, subject_ids) for r in rows]))
    fresh = [r for r in rows if r.encounter_id in new_ids]
    keys = {r.encounter_id: _case_key(e, r) for r in fresh}
    case_rows = {keys[r.encounter_id]: _case_row(e, r, keys[r.encounter_id], subject_ids) for r in fresh}
    case_ids = await queries.upsert_cases(uow.session, [case_rows[k] for k in sorted(case_rows)])
    await queries.link_case_encounters(
        uow.session, [{"case_id": case_ids[keys[r.encounter_id]][0], "encounter_id": r.encounter_id} for r in fresh]
    )
    opened = [cid for cid, is_new in case_ids.values() if is_new]
    await queries.link_extracts_to_queries(uow.session, opened)
    await queries.outdate_findings_of_subjects(uow.session, sorted({subject_ids[r.subject_key] for r in fresh}), opened)
    flags, attached, first_of_case = [], [], set()
    for r in fresh:
        case_id, is_new = case_ids[keys[r.encounter_id]]
        # Set on import from the row's own cells, each value naming the column it came from (PIA 2.1, 6.5, 8.1).
        flags += [
            {"encounter_id": r.encounter_id, "flag": flag, "value": value, "reason": _IMPORT_REASON, "set_by": "system"}
            for flag, value in domain.import_flags(r.fields, r.raw, protected_caveat=caveat).items()
        ]
        attached.append(_attached(e, r, subject_ids[r.subject_key], case_id, is_new and case_id not in first_of_case))
        first_of_case.add(case_id)
    await records.set_flags(uow.session, flags)
    again = [r for r in rows if r.encounter_id not in new_ids]
    if again:  # attached by an earlier delivery: answer from what is stored
        stored = await queries.attachments(uow.session, [r.encounter_id for r in again])
        for r in again:
            if r.encounter_id in stored:
                subject_id, case_id = stored[r.encounter_id]
                attached.append(_attached(e, r, subject_id, case_id, False))
    return attached


_IMPORT_REASON = "marked by the source on import"


def _attached(
    e: EncountersImported, r: ImportedRow, subject_id: uuid.UUID, case_id: uuid.UUID, opened: bool
) -> AttachedRow:
    f = r.fields
    return AttachedRow(
        encounter_id=r.encounter_id,
        row_number=r.row_number,
        subject_id=subject_id,
        case_id=case_id,
        case_opened=opened,
        partner_transaction_number=f.partner_transaction_number,
        data_owner=f.data_owner,
        partner_country=f.partner_country,
        protected_class=f.protected_class if f.protected_class in domain.PROTECTED_CLASSES else None,
        matched=True,
        fast_matcher=domain.says_yes(f.fast_matcher_status),
        kst=domain.is_kst(e.program, f.fast_matcher_status),
        derogatory=domain.carries_di(f),
    )


def _failed(r: ImportedRow, reason: str) -> FailedRow:
    return FailedRow(encounter_id=r.encounter_id, row_number=r.row_number, reason=reason)


def _case_key(e: EncountersImported, r: ImportedRow) -> str:
    return domain.case_key(
        program=e.program,
        upload_kind=e.upload_kind,
        partner_country=r.fields.partner_country,
        transaction=r.fields.partner_transaction_number,
        batch_id=str(e.batch_id),
        subject_key=r.subject_key,
    )


def _case_row(e: EncountersImported, r: ImportedRow, key: str, subject_ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "case_key": key,
        "subject_id": subject_ids[r.subject_key],
        "program": e.program,
        "upload_kind": e.upload_kind,
        "partner_country": r.fields.partner_country,
        "partner_unique_id": r.fields.partner_unique_id,
        "partner_transaction_number": r.fields.partner_transaction_number,
        "search_code": r.fields.search_code,
    }


def _encounter_row(chunk: _Chunk, r: ImportedRow, subject_ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    e, env, f = chunk.event, chunk.envelope, r.fields
    return {
        "id": r.encounter_id,
        "subject_id": subject_ids[r.subject_key],
        "batch_id": e.batch_id,
        "row_number": r.row_number,
        "program": e.program,
        "upload_kind": e.upload_kind,
        "fin": f.fin,
        "last_name": f.last_name,
        "first_name": f.first_name,
        "dob": f.dob,
        "data_owner": f.data_owner,
        "partner_country": f.partner_country,
        "partner_transaction_number": f.partner_transaction_number,
        **domain.name_keys(f),
        "fields": chunk.fields_of(r.row_number) or f.model_dump(mode="json"),
        "raw": r.raw,
        "extra": r.extra,
        "imported_by": env.actor,
        "imported_at": env.occurred_at,
    }
