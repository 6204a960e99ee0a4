"""Corrections: a correction the data owner accepted changes the imported field it names.

Two ways lead here, both the owner's word: a redress correction (`CorrectionAccepted`) and the correction that
resolved a recipient's report of a possible inaccuracy (disclosure's `InaccuracyCorrected`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.cases import domain
from services.cases.db import corrections as queries
from services.cases.db import records
from shared.audit import Entry
from shared.errors import NotFound
from shared.events.cases import EncounterCorrected
from shared.events.disclosure import InaccuracyCorrected
from shared.events.envelope import Envelope
from shared.events.intake import EncounterFields
from shared.events.redress import CorrectionAccepted
from shared.inbox import Delivered
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class _Correction:
    correction_id: uuid.UUID
    encounter_id: uuid.UUID
    field: str
    value: str
    redress_id: uuid.UUID | None = None
    report_id: uuid.UUID | None = None


async def apply_corrections(uow: UnitOfWork, delivered: list[Delivered[CorrectionAccepted]]) -> None:
    """A correction accepted by the data owner changes the imported field (the only way one changes); every
    case built on the encounter turns stale, and the change is published for disclosure's notifications."""
    async with uow:
        for d in delivered:
            c = d.event
            await _apply(
                uow, d.envelope, _Correction(c.correction_id, c.encounter_id, c.field, c.corrected_value, c.redress_id)
            )


async def apply_inaccuracy_corrections(uow: UnitOfWork, delivered: list[Delivered[InaccuracyCorrected]]) -> None:
    """The correction that resolved a recipient's inaccuracy report, applied exactly as a redress correction."""
    async with uow:
        for d in delivered:
            c = d.event
            correction = _Correction(c.correction_id, c.encounter_id, c.field, c.corrected_value, report_id=c.report_id)
            await _apply(uow, d.envelope, correction)


async def _apply(uow: UnitOfWork, env: Envelope, c: _Correction) -> None:
    row = await records.get_encounter(uow.session, c.encounter_id)
    if row is None:
        raise NotFound(f"correction {c.correction_id} names encounter {c.encounter_id}, unknown to cases")
    fields = {**row["fields"], c.field: c.value}
    parsed = EncounterFields.model_validate(fields)
    await queries.correct_encounter(
        uow.session, c.encounter_id, parsed.model_dump(mode="json"), domain.name_keys(parsed)
    )
    case_ids = await records.cases_of_encounter(uow.session, c.encounter_id)
    await queries.mark_cases_stale(uow.session, case_ids)
    source = {"redress_id": str(c.redress_id)} if c.redress_id else {"inaccuracy_report_id": str(c.report_id)}
    for case_id in case_ids:
        await records.add_timeline(
            uow.session,
            case_id,
            env.actor,
            "encounter-corrected",
            {"encounter_id": str(c.encounter_id), "field": c.field, **source},
        )
    await records.audit(
        uow.session,
        [
            Entry(
                actor=env.actor,
                action="redress-correction" if c.redress_id else "inaccuracy-correction",
                record_type="encounter",
                record_id=str(c.encounter_id),
                fields=[c.field],
                outcome="applied",
                correlation_id=env.correlation_id,
            )
        ],
    )
    uow.emit(
        EncounterCorrected(
            encounter_id=c.encounter_id,
            subject_id=row["subject_id"],
            field=c.field,
            redress_id=c.redress_id,
            report_id=c.report_id,
            correction_id=c.correction_id,
            value=c.value,
            stale_cases=case_ids,
        ),
        causation_id=str(env.event_id),
        correlation_id=env.correlation_id,
    )
