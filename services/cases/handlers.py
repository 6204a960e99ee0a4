"""Cases use cases fed by events: imported rows become subjects, encounters and cases; reads."""

from __future__ import annotations

import uuid
from typing import Any

from services.cases import db, domain
from shared import policy
from shared.errors import NotFound
from shared.events.cases import CaseOpened, EncounterAttached, EncounterCorrected, FlagSet
from shared.events.intake import EncounterFields, EncounterImported
from shared.events.redress import CorrectionAccepted
from shared.inbox import Delivered
from shared.uow import UnitOfWork


def attacher(protected_caveat: str):  # type: ignore[no-untyped-def]
    """The consumer's handler, closed over the caveat language set on protected-class flags."""

    async def attach_encounters(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        """Imported rows -> subjects, encounters, cases, import flags, in one transaction; replays change nothing."""
        imported = [(d.envelope, d.event) for d in delivered if isinstance(d.event, EncounterImported)]
        if not imported:
            return
        async with uow:
            subject_rows = {
                e.subject_key: {"id": uuid.uuid4(), "subject_key": e.subject_key, **domain.identity_of(e.subject_key)}
                for _, e in imported
            }
            subject_ids = await db.upsert_subjects(uow.session, list(subject_rows.values()))
            new_ids = set(
                await db.insert_encounters(uow.session, [_encounter_row(env, e, subject_ids) for env, e in imported])
            )
            fresh = [(env, e) for env, e in imported if e.encounter_id in new_ids]
            keys = {e.encounter_id: _case_key(e) for _, e in fresh}
            case_rows = {keys[e.encounter_id]: _case_row(e, keys[e.encounter_id], subject_ids) for _, e in fresh}
            case_ids = await db.upsert_cases(uow.session, list(case_rows.values()))
            await db.link_case_encounters(
                uow.session,
                [{"case_id": case_ids[keys[e.encounter_id]][0], "encounter_id": e.encounter_id} for _, e in fresh],
            )
            opened = [cid for cid, is_new in case_ids.values() if is_new]
            await db.mark_stale(uow.session, list({subject_ids[e.subject_key] for _, e in fresh}), opened)
            flags = []
            for env, e in fresh:
                subject_id = subject_ids[e.subject_key]
                case_id, is_new = case_ids[keys[e.encounter_id]]
                if is_new:
                    uow.emit(
                        CaseOpened(
                            case_id=case_id,
                            subject_id=subject_id,
                            program=e.program,
                            upload_kind=e.upload_kind,
                            partner_country=e.fields.partner_country,
                            partner_transaction_number=e.fields.partner_transaction_number,
                        ),
                        causation_id=str(env.event_id),
                        correlation_id=env.correlation_id,
                    )
                    case_ids[keys[e.encounter_id]] = (case_id, False)
                uow.emit(
                    EncounterAttached(
                        encounter_id=e.encounter_id,
                        subject_id=subject_id,
                        batch_id=e.batch_id,
                        program=e.program,
                        upload_kind=e.upload_kind,
                        data_owner=e.fields.data_owner,
                        partner_country=e.fields.partner_country,
                        protected_class=e.fields.protected_class,
                        encounter_date=e.fields.encounter_date,
                        case_id=case_id,
                    ),
                    causation_id=str(env.event_id),
                    correlation_id=env.correlation_id,
                )
                if e.fields.protected_class in domain.PROTECTED_CLASSES:
                    # Set on import when the source marks it, with the caveat language (PIA 6.5, 8.1).
                    value = {"class": e.fields.protected_class, "caveat": protected_caveat}
                    flags.append(
                        {
                            "encounter_id": e.encounter_id,
                            "flag": "protected-class",
                            "value": value,
                            "reason": "marked by the source on import",
                            "set_by": "system",
                        }
                    )
                    uow.emit(
                        FlagSet(
                            encounter_id=e.encounter_id,
                            subject_id=subject_id,
                            flag="protected-class",
                            value=value,
                            reason="marked by the source on import",
                        ),
                        causation_id=str(env.event_id),
                        correlation_id=env.correlation_id,
                    )
            await db.set_flags(uow.session, flags)

    return attach_encounters


def _case_key(e: EncounterImported) -> str:
    return domain.case_key(
        program=e.program,
        upload_kind=e.upload_kind,
        partner_country=e.fields.partner_country,
        transaction=e.fields.partner_transaction_number,
        batch_id=str(e.batch_id),
        subject_key=e.subject_key,
    )


def _case_row(e: EncounterImported, key: str, subject_ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "case_key": key,
        "subject_id": subject_ids[e.subject_key],
        "program": e.program,
        "upload_kind": e.upload_kind,
        "partner_country": e.fields.partner_country,
        "partner_unique_id": e.fields.partner_unique_id,
        "partner_transaction_number": e.fields.partner_transaction_number,
        "search_code": e.fields.search_code,
    }


def _encounter_row(env: Any, e: EncounterImported, subject_ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    return {
        "id": e.encounter_id,
        "subject_id": subject_ids[e.subject_key],
        "batch_id": e.batch_id,
        "row_number": e.row_number,
        "program": e.program,
        "upload_kind": e.upload_kind,
        "fin": e.fields.fin,
        "last_name": e.fields.last_name,
        "first_name": e.fields.first_name,
        "dob": e.fields.dob,
        "data_owner": e.fields.data_owner,
        "partner_country": e.fields.partner_country,
        "partner_transaction_number": e.fields.partner_transaction_number,
        **domain.name_keys(e.fields),
        "fields": env.payload["fields"],
        "raw": e.raw,
        "extra": e.extra,
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
