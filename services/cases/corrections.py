"""Redress corrections: a correction the data owner accepted changes the imported field it names."""

from __future__ import annotations

from services.cases import domain
from services.cases.db import corrections as queries
from services.cases.db import records
from shared.audit import Entry
from shared.errors import NotFound
from shared.events.cases import EncounterCorrected
from shared.events.intake import EncounterFields
from shared.events.redress import CorrectionAccepted
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def apply_corrections(uow: UnitOfWork, delivered: list[Delivered[CorrectionAccepted]]) -> None:
    """A correction accepted by the data owner changes the imported field (the only way one changes); every
    case built on the encounter turns stale, and the change is published for disclosure's notifications."""
    async with uow:
        for d in delivered:
            env, c = d.envelope, d.event
            row = await records.get_encounter(uow.session, c.encounter_id)
            if row is None:
                raise NotFound(f"correction {c.correction_id} names encounter {c.encounter_id}, unknown to cases")
            fields = {**row["fields"], c.field: c.corrected_value}
            parsed = EncounterFields.model_validate(fields)
            await queries.correct_encounter(
                uow.session, c.encounter_id, parsed.model_dump(mode="json"), domain.name_keys(parsed)
            )
            case_ids = await records.cases_of_encounter(uow.session, c.encounter_id)
            await queries.mark_cases_stale(uow.session, case_ids)
            for case_id in case_ids:
                await records.add_timeline(
                    uow.session,
                    case_id,
                    env.actor,
                    "encounter-corrected",
                    {"encounter_id": str(c.encounter_id), "field": c.field, "redress_id": str(c.redress_id)},
                )
            await records.audit(
                uow.session,
                [
                    Entry(
                        actor=env.actor,
                        action="redress-correction",
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
                    correction_id=c.correction_id,
                    value=c.corrected_value,
                    stale_cases=case_ids,
                ),
                causation_id=str(env.event_id),
                correlation_id=env.correlation_id,
            )
