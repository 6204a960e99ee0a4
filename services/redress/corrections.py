"""Corrections: a discrepancy found in a linked record, proposed to its data owner, and their decision."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.redress import domain
from services.redress.db import corrections as queries
from services.redress.db import records as record_queries
from services.redress.records import imported_record
from services.redress.requests import add_to_timeline, open_request
from shared.errors import Conflict, NotFound
from shared.events.redress import CorrectionAccepted
from shared.internal import InternalClient
from shared.uow import UnitOfWork


async def propose_correction(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    redress_id: uuid.UUID,
    encounter_id: uuid.UUID,
    field: str,
    problem: str,
    proposed: str,
) -> uuid.UUID:
    """A discrepancy becomes a recommendation to the record's data owner (as cases knows it now), pending
    their decision."""
    domain.check_correction(field, proposed)
    correction_id = uuid.uuid4()
    async with uow:
        await open_request(uow, redress_id)
        linked = {r["encounter_id"] for r in await record_queries.request_links(uow.session, redress_id)}
        if encounter_id not in linked:
            raise Conflict("link the record to this request before proposing a correction to it")
    record = await imported_record(cases, encounter_id, uow.actor)
    async with uow:
        await open_request(uow, redress_id)
        await queries.insert_correction(
            uow.session,
            {
                "id": correction_id,
                "redress_id": redress_id,
                "encounter_id": encounter_id,
                "field": field,
                "problem": problem,
                "proposed": proposed,
                "data_owner": record["data_owner"] or "UNKNOWN",
                "decision": domain.Decision.PENDING,
                "recorded_by": uow.actor,
            },
        )
        await add_to_timeline(
            uow, redress_id, "correction-proposed", {"correction_id": str(correction_id), "field": field}
        )
    return correction_id


async def decide_correction(*, uow: UnitOfWork, redress_id: uuid.UUID, correction_id: uuid.UUID, decision: str) -> None:
    """The data owner's answer; an accepted correction is published for cases to apply."""
    async with uow:
        await open_request(uow, redress_id)
        c = await queries.get_correction(uow.session, redress_id, correction_id)
        if c is None:
            raise NotFound(f"no correction {correction_id} on this request")
        domain.check_decision(c["decision"], decision)
        await queries.set_decision(
            uow.session, correction_id, decision=decision, decided_by=uow.actor, decided_at=datetime.now(UTC)
        )
        await add_to_timeline(uow, redress_id, f"correction-{decision}", {"correction_id": str(correction_id)})
        if decision == domain.Decision.ACCEPTED:
            uow.emit(
                CorrectionAccepted(
                    redress_id=redress_id,
                    correction_id=correction_id,
                    encounter_id=c["encounter_id"],
                    field=c["field"],
                    corrected_value=c["proposed"],
                    data_owner=c["data_owner"],
                )
            )
