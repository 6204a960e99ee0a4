"""Cases use cases fed by events: imported rows become subjects, encounters and cases; reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy.exc import DBAPIError

from services.cases import db, domain
from shared import policy
from shared.errors import NotFound
from shared.events.cases import EncounterCorrected, EncountersAttached
from shared.events.envelope import Envelope
from shared.events.intake import EncounterFields, EncountersImported, ImportedRow, chunk_key
from shared.events.redress import CorrectionAccepted
from shared.inbox import Delivered, is_transient
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


def attacher(protected_caveat: str):  # type: ignore[no-untyped-def]
    """The consumer's handler, closed over the caveat language set on protected-class flags."""

    async def attach_chunks(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        """Each chunk of imported rows -> subjects, encounters, cases, import flags, and one answer per chunk.

        A row that cannot be applied (a rule of cases, or the database refusing it) is named in the answer and
        the rest of its chunk applies; a redelivered chunk never reaches here twice (the inbox), and rows
        already attached are answered again from what is stored, so counting answers stays exact.
        """
        chunks = [_Chunk(d.envelope, d.event) for d in delivered if isinstance(d.event, EncountersImported)]
        if not chunks:
            return
        async with uow:
            for chunk in chunks:
                e = chunk.event
                failed = [
                    _failed(r, why) for r in e.rows if (why := domain.row_problem(r.subject_key, r.fields)) is not None
                ]
                refused = {f["encounter_id"] for f in failed}
                attached, db_failed = await _apply_bisecting(
                    uow, chunk, [r for r in e.rows if str(r.encounter_id) not in refused], protected_caveat
                )
                # A JSON-native payload (pinned to the contract by tests): a chunk's 1,000 answers are not built
                # as models and dumped again.
                uow.emit_payload(
                    EncountersAttached,
                    {
                        "batch_id": str(e.batch_id),
                        "chunk": e.chunk,
                        "program": e.program,
                        "upload_kind": e.upload_kind,
                        "rows": sorted(attached, key=itemgetter("row_number")),
                        "failed": sorted(failed + db_failed, key=itemgetter("row_number")),
                    },
                    key=chunk_key(e.batch_id, e.chunk),
                    causation_id=str(chunk.envelope.event_id),
                    correlation_id=chunk.envelope.correlation_id,
                )

    return attach_chunks


async def _apply_bisecting(
    uow: UnitOfWork, chunk: _Chunk, rows: list[ImportedRow], caveat: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
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
        if is_transient(exc):
            raise
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


async def _apply(uow: UnitOfWork, chunk: _Chunk, rows: list[ImportedRow], caveat: str) -> list[dict[str, Any]]:
    """Subjects, encounters, cases, links, staleness and import flags for rows, in a consistent lock order."""
    e = chunk.event
    rows = sorted(rows, key=lambda r: (r.subject_key, r.row_number))
    subject_rows = {
        r.subject_key: {"id": uuid.uuid4(), "subject_key": r.subject_key, **domain.identity_of(r.subject_key)}
        for r in rows
    }
    subject_ids = await db.upsert_subjects(uow.session, list(subject_rows.values()))
    new_ids = set(await db.insert_encounters(uow.session, [_encounter_row(chunk, r, subject_ids) for r in rows]))
    fresh = [r for r in rows if r.encounter_id in new_ids]
    keys = {r.encounter_id: _case_key(e, r) for r in fresh}
    case_rows = {keys[r.encounter_id]: _case_row(e, r, keys[r.encounter_id], subject_ids) for r in fresh}
    case_ids = await db.upsert_cases(uow.session, [case_rows[k] for k in sorted(case_rows)])
    await db.link_case_encounters(
        uow.session, [{"case_id": case_ids[keys[r.encounter_id]][0], "encounter_id": r.encounter_id} for r in fresh]
    )
    opened = [cid for cid, is_new in case_ids.values() if is_new]
    await db.mark_stale(uow.session, sorted({subject_ids[r.subject_key] for r in fresh}), opened)
    flags, attached, first_of_case = [], [], set()
    for r in fresh:
        case_id, is_new = case_ids[keys[r.encounter_id]]
        protected = r.fields.protected_class if r.fields.protected_class in domain.PROTECTED_CLASSES else None
        if protected:
            # Set on import when the source marks it, with the caveat language (PIA 6.5, 8.1).
            flags.append(
                {
                    "encounter_id": r.encounter_id,
                    "flag": "protected-class",
                    "value": {"class": protected, "caveat": caveat},
                    "reason": "marked by the source on import",
                    "set_by": "system",
                }
            )
        attached.append(
            _attached(r, subject_ids[r.subject_key], case_id, is_new and case_id not in first_of_case, protected)
        )
        first_of_case.add(case_id)
    await db.set_flags(uow.session, flags)
    again = [r for r in rows if r.encounter_id not in new_ids]
    if again:  # attached by an earlier delivery: answer from what is stored
        stored = await db.attachments(uow.session, [r.encounter_id for r in again])
        for r in again:
            if r.encounter_id in stored:
                subject_id, case_id = stored[r.encounter_id]
                protected = r.fields.protected_class if r.fields.protected_class in domain.PROTECTED_CLASSES else None
                attached.append(_attached(r, subject_id, case_id, False, protected))
    return attached


def _attached(
    r: ImportedRow, subject_id: uuid.UUID, case_id: uuid.UUID, opened: bool, protected: str | None
) -> dict[str, Any]:
    """An `AttachedRow` as JSON."""
    return {
        "encounter_id": str(r.encounter_id),
        "row_number": r.row_number,
        "subject_id": str(subject_id),
        "case_id": str(case_id),
        "case_opened": opened,
        "partner_transaction_number": r.fields.partner_transaction_number,
        "data_owner": r.fields.data_owner,
        "partner_country": r.fields.partner_country,
        "protected_class": protected,
        "matched": True,
    }


def _failed(r: ImportedRow, reason: str) -> dict[str, Any]:
    """A `FailedRow` as JSON."""
    return {"encounter_id": str(r.encounter_id), "row_number": r.row_number, "reason": reason}


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


async def get_encounter(*, uow: UnitOfWork, encounter_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = await db.get_encounter(uow.session, encounter_id)
        if row is None:
            raise NotFound(f"no encounter {encounter_id}")
        policy.require_visible(row["program"], f"no encounter {encounter_id}")
        flags = await db.encounter_flags(uow.session, [encounter_id])
    return {**dict(row), "flags": [dict(f) for f in flags]}


async def list_encounters(
    *,
    uow: UnitOfWork,
    batch_id: uuid.UUID | None = None,
    fin: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    async with uow:
        total, rows = await db.list_encounters(
            uow.session,
            batch_id=batch_id,
            fin=fin,
            subject_id=subject_id,
            limit=limit,
            offset=offset,
            programs=policy.visible_programs(),
        )
    return total, [dict(r) for r in rows]


async def get_subject(*, uow: UnitOfWork, subject_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        subject = await db.get_subject(uow.session, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        total, rows = await db.list_encounters(
            uow.session,
            batch_id=None,
            fin=None,
            subject_id=subject_id,
            limit=1000,
            offset=0,
            programs=policy.visible_programs(),
        )
        if total == 0:  # a subject known only through other programs does not exist for this caller
            raise policy.Hidden(f"no subject {subject_id}")
    return {**dict(subject), "encounter_count": total, "encounters": [dict(r) for r in rows]}


async def apply_corrections(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """A correction accepted by the data owner changes the imported field (the only way one changes); every
    case built on the encounter turns stale, and the change is published for disclosure's notifications."""
    accepted = [(d.envelope, d.event) for d in delivered if isinstance(d.event, CorrectionAccepted)]
    async with uow:
        for env, c in accepted:
            row = await db.get_encounter(uow.session, c.encounter_id)
            if row is None:
                raise NotFound(f"correction {c.correction_id} names encounter {c.encounter_id}, unknown to cases")
            fields = {**row["fields"], c.field: c.corrected_value}
            parsed = EncounterFields.model_validate(fields)
            await db.correct_encounter(
                uow.session, c.encounter_id, parsed.model_dump(mode="json"), domain.name_keys(parsed)
            )
            case_ids = await db.cases_of_encounter(uow.session, c.encounter_id)
            await db.make_stale(uow.session, case_ids)
            for case_id in case_ids:
                await db.add_timeline(
                    uow.session,
                    case_id,
                    env.actor,
                    "encounter-corrected",
                    {"encounter_id": str(c.encounter_id), "field": c.field, "redress_id": str(c.redress_id)},
                )
            await db.audit(
                uow.session,
                {
                    "actor": env.actor,
                    "action": "redress-correction",
                    "record_type": "encounter",
                    "record_id": str(c.encounter_id),
                    "fields": [c.field],
                    "outcome": "applied",
                    "correlation_id": env.correlation_id,
                },
            )
            uow.emit(
                EncounterCorrected(
                    encounter_id=c.encounter_id,
                    subject_id=row["subject_id"],
                    field=c.field,
                    redress_id=c.redress_id,
                    correction_id=c.correction_id,
                    value=c.corrected_value,
                    stale_cases=case_ids,
                ),
                causation_id=str(env.event_id),
                correlation_id=env.correlation_id,
            )
